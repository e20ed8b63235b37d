// trine_live_bench: live queries under a stream of single-row commits.
//
//   peer    The IVM peers' workload (its generator reproduced draw for draw:
//           mulberry32, seed 42, N items {owner, score, title}, M ops of the
//           mix 40/30/15/15 with HOT = 0.25), queries
//             A  WHERE owner = 7 ORDER BY score DESC, id LIMIT 50
//             B  count(*) WHERE score > 500000
//             C  ORDER BY score, id LIMIT 20
//           live at once; per op: one relaxed commit plus the maintenance of
//           all three (diffs delivered to callbacks), timed together. The
//           results are checked against fresh executions at 0, M/4, M/2,
//           3M/4 and M ops.
//   scale   N rows, Q live queries (half `owner = k ORDER BY score DESC LIMIT
//           10`, half `count(*) WHERE owner = k`), commits that change one
//           row's score or owner: the cost per commit for each Q, against
//           re-executing all Q queries after a commit.
//   nested  P parents x C children, one live query
//           `SELECT { id, top: [SELECT ... ORDER BY score DESC LIMIT 10] }`;
//           commits change a child's score or parent.
//
// trine_live_bench [--part peer,scale,nested] [--n 100000] [--m 100000]
//                  [--scale-n 1000000] [--scale-commits 20000] [--dir PATH]
//                  [--write-buffer-mb MB] [--scale-queries 1,100,1000,10000]
//                  [--memtable-thread 0|1]
//
// The peer part also prints the process's CPU time per op (every thread:
// the commit, the memtable's ordering thread, the log writer, flushes): the
// ordering thread takes work off the commit's path onto another core, and
// this shows what it costs in all.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "bench/common/flags.h"
#include "trine/database.h"
#include "trine/live.h"
#include "trine/treeql.h"

namespace {

using trine::Database;
using trine::Transaction;
using trine::Value;
using Clock = std::chrono::steady_clock;

double Us(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

struct Stats {
  double mean = 0, p50 = 0, p99 = 0, max = 0;
};
Stats Summarize(std::vector<double> v) {
  Stats s;
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v)
    sum += x;
  s.mean = sum / static_cast<double>(v.size());
  s.p50 = v[v.size() / 2];
  s.p99 = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  s.max = v.back();
  return s;
}

void Check(const trine::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

size_t g_write_buffer_bytes = 0;  // --write-buffer-mb; 0: the default
bool g_memtable_thread = true;    // --memtable-thread 0: memtable trees filled in the commit

std::unique_ptr<Database> OpenFresh(const std::string& dir) {
  std::filesystem::remove_all(dir);
  trine::DatabaseOptions o;
  o.storage.block_cache_bytes = 256ull << 20;
  if (g_write_buffer_bytes != 0)
    o.storage.write_buffer_size = g_write_buffer_bytes;
  o.storage.order_memtable_in_background = g_memtable_thread;
  auto db = Database::Open(dir, o);
  Check(db.status(), "open");
  return std::move(*db);
}

// ------------------------------------------------------------ peer workload

// The peers' PRNG (bench/common.mjs mulberry32), bit for bit.
struct Mulberry32 {
  uint32_t a;
  double operator()() {
    a += 0x6d2b79f5u;
    uint32_t t = a;
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return static_cast<double>(t ^ (t >> 14)) / 4294967296.0;
  }
};

// common.mjs's IndexedSet: swap-remove, so picks match the peers' exactly.
struct IndexedSet {
  std::vector<int64_t> arr;
  std::map<int64_t, size_t> pos;
  void add(int64_t x) {
    if (pos.count(x))
      return;
    pos[x] = arr.size();
    arr.push_back(x);
  }
  void del(int64_t x) {
    auto it = pos.find(x);
    if (it == pos.end())
      return;
    size_t i = it->second;
    int64_t last = arr.back();
    arr.pop_back();
    if (last != x) {
      arr[i] = last;
      pos[last] = i;
    }
    pos.erase(x);
  }
  int64_t pick(Mulberry32& r) {
    return arr[static_cast<size_t>(std::floor(r() * static_cast<double>(arr.size())))];
  }
};

struct Row {
  int64_t id, owner, score;
};
struct PeerOp {
  char t;  // 'u' update, 'i' insert, 'd' delete
  Row old, row;
};

struct PeerWorkload {
  std::vector<Row> rows0;
  std::vector<PeerOp> ops;
  int counts[4] = {0, 0, 0, 0};
};

PeerWorkload Generate(int64_t n, int64_t m) {
  const int64_t owners = 1000, hot_owner = 7, score_max = 1000000, limit_c = 20;
  const double hot_p = 0.25;
  const int64_t low = std::max<int64_t>(
      1, std::llround(static_cast<double>(score_max * 2 * limit_c) / static_cast<double>(n)));
  Mulberry32 rnd{42};
  auto ri = [&](int64_t k) {
    return static_cast<int64_t>(std::floor(rnd() * static_cast<double>(k)));
  };
  auto word = [&] { (void)ri(2176782336LL); };  // 36^6: the title's random word
  std::map<int64_t, Row> rows;
  IndexedSet all, hot_a, low_c;
  auto track = [&](const Row& r) {
    rows[r.id] = r;
    all.add(r.id);
    if (r.owner == hot_owner)
      hot_a.add(r.id);
    if (r.score < low)
      low_c.add(r.id);
  };
  auto untrack = [&](const Row& r) {
    rows.erase(r.id);
    all.del(r.id);
    hot_a.del(r.id);
    low_c.del(r.id);
  };
  PeerWorkload w;
  for (int64_t id = 0; id < n; ++id) {
    Row r{id, ri(owners), ri(score_max)};
    word();
    w.rows0.push_back(r);
    track(r);
  }
  int64_t next_id = n;
  auto pick_target = [&](bool hot, char which) {
    if (hot) {
      IndexedSet& s = which == 'A' ? hot_a : low_c;
      if (!s.arr.empty())
        return rows[s.pick(rnd)];
    }
    return rows[all.pick(rnd)];
  };
  for (int64_t k = 0; k < m; ++k) {
    double u = rnd() * 100;
    bool hot = rnd() < hot_p;
    char which = rnd() < 0.5 ? 'A' : 'C';
    PeerOp op{};
    if (u < 40) {
      Row old = pick_target(hot, which);
      int64_t score = ri(score_max);
      if (hot && which == 'C' && rnd() < 0.5)
        score = ri(low);
      op = PeerOp{'u', old, Row{old.id, old.owner, score}};
      ++w.counts[0];
    } else if (u < 70) {
      Row old;
      int64_t owner;
      if (hot && which == 'A' && rnd() < 0.5) {
        old = pick_target(false, which);
        owner = hot_owner;
      } else {
        old = pick_target(hot, which);
        owner = ri(owners);
      }
      op = PeerOp{'u', old, Row{old.id, owner, old.score}};
      ++w.counts[1];
    } else if (u < 85) {
      int64_t id = next_id++;
      int64_t owner = hot && which == 'A' ? hot_owner : ri(owners);
      int64_t score = hot && which == 'C' ? ri(low) : ri(score_max);
      word();
      op = PeerOp{'i', Row{}, Row{id, owner, score}};
      ++w.counts[2];
    } else {
      op = PeerOp{'d', pick_target(hot, which), Row{}};
      ++w.counts[3];
    }
    if (op.t != 'i')
      untrack(op.old);
    if (op.t != 'd')
      track(op.row);
    w.ops.push_back(op);
  }
  return w;
}

// One pass of the peer workload over a fresh store: the load, then the M
// ops, each a relaxed commit timed on its own. With `live`, queries A, B
// and C are live during the ops (their maintenance is inside each op's
// time) and checked against fresh executions at 0, M/4, M/2, 3M/4 and M.
// The process's CPU time so far (all threads), in µs.
double ProcessCpuUs() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

struct PassResult {
  std::vector<double> per_op;  // µs, each op timed on its own
  double cpu_per_op = 0;       // the process's CPU time over the ops, per op
};

PassResult PeerPass(const std::string& dir, const PeerWorkload& w, bool live) {
  const int64_t m = static_cast<int64_t>(w.ops.size());
  auto db = OpenFresh(dir);
  trine::Session session(*db);
  Check(session
            .Execute("TABLE Item = 1 { owner int = 1 INDEX; score int = 2 INDEX; "
                     "title string = 3; }")
            .status(),
        "schema");
  std::vector<uint64_t> sid;  // peer id -> subject id
  sid.reserve(w.rows0.size() + w.ops.size());
  for (size_t b = 0; b < w.rows0.size(); b += 10000) {
    Check(db->Run(
              [&](Transaction& t) -> trine::Status {
                for (size_t i = b; i < std::min(w.rows0.size(), b + 10000); ++i) {
                  const Row& r = w.rows0[i];
                  auto id =
                      t.Insert("Item", {{"owner", Value::Int(r.owner)},
                                        {"score", Value::Int(r.score)},
                                        {"title", Value::String("item " + std::to_string(r.id))}});
                  if (!id.ok())
                    return id.status();
                  sid.push_back(*id);
                }
                return trine::Status::OK();
              },
              {.durability = trine::Durability::kRelaxed}),
          "load");
  }
  const char* qa = "SELECT id FROM Item WHERE owner = 7 ORDER BY score DESC, id LIMIT 50";
  const char* qb = "SELECT count(*) FROM Item WHERE score > 500000";
  const char* qc = "SELECT id FROM Item ORDER BY score, id LIMIT 20";
  uint64_t delivered = 0;
  auto cb = [&](const trine::LiveDiff& d, const trine::LiveQuery&) {
    delivered += d.changes.size() + (d.value_changed ? 1 : 0);
  };
  std::vector<std::unique_ptr<trine::LiveQuery>> queries;
  if (live) {
    Clock::time_point h[4];
    h[0] = Clock::now();
    for (const char* q : {qa, qb, qc}) {
      auto l = trine::Subscribe(*db, q, {}, cb);
      Check(l.status(), q);
      queries.push_back(std::move(*l));
      h[queries.size()] = Clock::now();
    }
    std::printf(
        "hydration: A %.2f ms (%llu entries read), B %.2f ms (%llu), C %.2f ms (%llu); "
        "all three %.2f ms\n",
        Us(h[1] - h[0]) / 1000,
        static_cast<unsigned long long>(queries[0]->stats().hydration.entries_read),
        Us(h[2] - h[1]) / 1000,
        static_cast<unsigned long long>(queries[1]->stats().hydration.entries_read),
        Us(h[3] - h[2]) / 1000,
        static_cast<unsigned long long>(queries[2]->stats().hydration.entries_read),
        Us(h[3] - h[0]) / 1000);
  }
  auto verify = [&](int64_t k) {
    if (!live)
      return;
    int bad = 0;
    for (size_t i = 0; i < 3; ++i) {
      const char* text = std::array{qa, qb, qc}[i];
      auto fresh = session.Execute(text);
      Check(fresh.status(), "fresh");
      if (trine::ToJson(queries[i]->Result()) != trine::ToJson(fresh->back().value)) {
        std::printf("MISMATCH at op %lld: %s\n", static_cast<long long>(k), text);
        ++bad;
      }
    }
    if (bad)
      std::exit(1);
  };
  verify(0);
  std::vector<double> per_op;
  per_op.reserve(static_cast<size_t>(m));
  double cpu = 0;  // over the ops, without the checks between them
  double cpu_from = ProcessCpuUs();
  trine::TransactionOptions to;
  to.durability = trine::Durability::kRelaxed;
  for (int64_t k = 0; k < m; ++k) {
    const PeerOp& op = w.ops[static_cast<size_t>(k)];
    Clock::time_point t0 = Clock::now();
    std::unique_ptr<Transaction> txn = db->Begin(to);
    if (op.t == 'u') {
      uint64_t id = sid[static_cast<size_t>(op.old.id)];
      if (op.row.owner != op.old.owner)
        Check(txn->Update("Item", id, {{"owner", Value::Int(op.row.owner)}}), "update");
      else
        Check(txn->Update("Item", id, {{"score", Value::Int(op.row.score)}}), "update");
    } else if (op.t == 'i') {
      auto id =
          txn->Insert("Item", {{"owner", Value::Int(op.row.owner)},
                               {"score", Value::Int(op.row.score)},
                               {"title", Value::String("item " + std::to_string(op.row.id))}});
      Check(id.status(), "insert");
      if (sid.size() <= static_cast<size_t>(op.row.id))
        sid.resize(static_cast<size_t>(op.row.id) + 1);
      sid[static_cast<size_t>(op.row.id)] = *id;
    } else {
      Check(txn->Delete("Item", sid[static_cast<size_t>(op.old.id)]), "delete");
    }
    Check(txn->Commit(), "commit");
    per_op.push_back(Us(Clock::now() - t0));
    if (k + 1 == m / 4 || k + 1 == m / 2 || k + 1 == 3 * m / 4 || k + 1 == m) {
      cpu += ProcessCpuUs() - cpu_from;
      verify(k + 1);
      cpu_from = ProcessCpuUs();
    }
  }
  if (live) {
    std::printf("%llu row changes delivered; results verified at 0, M/4, M/2, 3M/4, M\n",
                static_cast<unsigned long long>(delivered));
    for (size_t i = 0; i < 3; ++i) {
      trine::LiveStats st = queries[i]->stats();
      std::printf(
          "  %c: woken %llu times, %llu diffs, %llu subjects evaluated, %llu refills, "
          "%llu entries read in maintenance\n",
          "ABC"[i], static_cast<unsigned long long>(st.wakeups),
          static_cast<unsigned long long>(st.diffs), static_cast<unsigned long long>(st.evaluated),
          static_cast<unsigned long long>(st.refills),
          static_cast<unsigned long long>(st.maintenance.entries_read));
    }
  }
  {
    trine::Stats st = db->storage()->GetStats();
    std::printf(
        "storage (%s): %llu flushes, %llu compactions; memtable regions %llu ready, %llu "
        "mapped on demand; block cache %llu hits, %llu misses\n",
        live ? "live pass" : "no live query", static_cast<unsigned long long>(st.flushes),
        static_cast<unsigned long long>(st.compactions),
        static_cast<unsigned long long>(st.memtable_regions_ready),
        static_cast<unsigned long long>(st.memtable_regions_mapped),
        static_cast<unsigned long long>(st.block_cache_hits),
        static_cast<unsigned long long>(st.block_cache_misses));
  }
  PassResult r;
  r.per_op = std::move(per_op);
  r.cpu_per_op = cpu / static_cast<double>(m);
  return r;
}

void RunPeer(const std::string& dir, int64_t n, int64_t m, bool with_bare) {
  std::printf("== peer workload: N = %lld items, M = %lld single-row ops (relaxed commits)\n",
              static_cast<long long>(n), static_cast<long long>(m));
  PeerWorkload w = Generate(n, m);
  std::printf("op mix: %d score updates, %d owner updates, %d inserts, %d deletes\n", w.counts[0],
              w.counts[1], w.counts[2], w.counts[3]);
  PassResult live_pass = PeerPass(dir, w, true);
  const std::vector<double>& live = live_pass.per_op;
  // The same ops on a fresh copy of the data with no live query: what the
  // commits cost alone, so the maintenance's share can be told apart.
  PassResult bare = with_bare ? PeerPass(dir, w, false) : PassResult{};
  std::printf(
      "| per op | mean | p50 | p99 | max | CPU, all threads |\n|---|---|---|---|---|---|\n");
  auto row = [](const char* what, const std::vector<double>& v, double cpu) {
    Stats s = Summarize(v);
    std::printf("| %s | %.2f us | %.2f us | %.2f us | %.0f us | ", what, s.mean, s.p50, s.p99,
                s.max);
    if (cpu > 0)
      std::printf("%.2f us |\n", cpu);
    else
      std::printf(" |\n");
  };
  row("commit + maintenance of A, B, C", live, live_pass.cpu_per_op);
  if (with_bare)
    row("the same commits, no live query", bare.per_op, bare.cpu_per_op);
  // By kind of op (with the live queries): where the tail comes from.
  const char* kinds[4] = {"score updates", "owner updates", "inserts", "deletes"};
  for (int kind = 0; kind < 4; ++kind) {
    std::vector<double> v;
    for (size_t k = 0; k < w.ops.size(); ++k) {
      const PeerOp& op = w.ops[k];
      int ok = op.t == 'i' ? 2 : op.t == 'd' ? 3 : op.row.owner != op.old.owner ? 1 : 0;
      if (ok == kind)
        v.push_back(live[k]);
    }
    row((std::string("  live, ") + kinds[kind]).c_str(), v, 0);
  }
}

// ------------------------------------------------------------------- scale

void RunScale(const std::string& dir, int64_t n, int64_t commits, const std::vector<int>& counts) {
  std::printf("\n== scale: N = %lld rows, 10,000 owners (~%lld rows each)\n",
              static_cast<long long>(n), static_cast<long long>(n / 10000));
  auto db = OpenFresh(dir);
  trine::Session session(*db);
  Check(session.Execute("TABLE Item = 1 { owner int = 1 INDEX; score int = 2 INDEX; }").status(),
        "schema");
  std::mt19937_64 rng(1);
  std::vector<uint64_t> ids;
  for (int64_t b = 0; b < n; b += 20000)
    Check(db->Run(
              [&](Transaction& t) -> trine::Status {
                for (int64_t i = b; i < std::min(n, b + 20000); ++i) {
                  auto id = t.Insert(
                      "Item", {{"owner", Value::Int(static_cast<int64_t>(rng() % 10000))},
                               {"score", Value::Int(static_cast<int64_t>(rng() % 1000000))}});
                  if (!id.ok())
                    return id.status();
                  ids.push_back(*id);
                }
                return trine::Status::OK();
              },
              {.durability = trine::Durability::kRelaxed}),
          "load");
  auto window = [](int k) {
    return "SELECT id FROM Item WHERE owner = " + std::to_string(k) +
           " ORDER BY score DESC LIMIT 10";
  };
  auto count = [](int k) { return "SELECT count(*) FROM Item WHERE owner = " + std::to_string(k); };
  // Hydration of one ORDER BY indexed LIMIT 50 over all rows: counted.
  {
    auto q = trine::Subscribe(*db, "SELECT id FROM Item ORDER BY score DESC LIMIT 50");
    Check(q.status(), "hydrate");
    std::printf(
        "hydration of ORDER BY score DESC LIMIT 50 over %lld rows: %llu entries read, "
        "%llu seeks\n",
        static_cast<long long>(n),
        static_cast<unsigned long long>((*q)->stats().hydration.entries_read),
        static_cast<unsigned long long>((*q)->stats().hydration.seeks));
  }
  std::printf(
      "| live queries | woken per commit | watches examined per commit | commit + maintenance "
      "mean | p99 | the same commits, none live | commit + re-executing all of them | ratio | "
      "maintenance alone | re-executing alone | ratio alone |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n");
  trine::TransactionOptions to;
  to.durability = trine::Durability::kRelaxed;
  auto one_commit = [&](std::vector<double>* out) {
    uint64_t id = ids[rng() % ids.size()];
    bool owner = rng() % 2;
    Clock::time_point t0 = Clock::now();
    std::unique_ptr<Transaction> txn = db->Begin(to);
    Check(
        txn->Update("Item", id,
                    {{owner ? "owner" : "score",
                      Value::Int(static_cast<int64_t>(owner ? rng() % 10000 : rng() % 1000000))}}),
        "update");
    Check(txn->Commit(), "commit");
    if (out)
      out->push_back(Us(Clock::now() - t0));
  };
  for (int q : counts) {
    std::vector<std::unique_ptr<trine::LiveQuery>> live;
    std::vector<std::unique_ptr<trine::Session::Prepared>> prepared;
    for (int k = 0; k < q; ++k) {
      std::string text = k % 2 == 0 ? window(k) : count(k);
      auto l = trine::Subscribe(*db, text);
      Check(l.status(), "subscribe");
      live.push_back(std::move(*l));
      auto p = session.Prepare(text);
      Check(p.status(), "prepare");
      prepared.push_back(std::move(*p));
    }
    std::vector<double> ivm;
    trine::LiveRegistryStats r0 = trine::GetLiveRegistryStats(*db);
    uint64_t woken0 = 0, woken1 = 0;
    for (const auto& l : live)
      woken0 += l->stats().wakeups;
    for (int64_t k = 0; k < commits; ++k)
      one_commit(&ivm);
    trine::LiveRegistryStats r1 = trine::GetLiveRegistryStats(*db);
    for (const auto& l : live)
      woken1 += l->stats().wakeups;
    // The same kind of commits with no live query, in the same state of the
    // store: what the commits cost alone.
    live.clear();
    std::vector<double> bare;
    for (int64_t k = 0; k < commits; ++k)
      one_commit(&bare);
    // Re-execution: the same kind of commit, then every query run again.
    // "Alone": the maintenance as timed by the registry inside each commit,
    // and the re-executions without their commit.
    std::vector<double> rerun, rerun_alone;
    int64_t rerun_commits = std::max<int64_t>(3, std::min<int64_t>(200, 200000 / q));
    for (int64_t k = 0; k < rerun_commits; ++k) {
      Clock::time_point t0 = Clock::now();
      one_commit(nullptr);
      Clock::time_point t1 = Clock::now();
      for (auto& p : prepared)
        Check(p->Run({}).status(), "rerun");
      rerun.push_back(Us(Clock::now() - t0));
      rerun_alone.push_back(Us(Clock::now() - t1));
    }
    Stats a = Summarize(ivm), b = Summarize(rerun), c = Summarize(bare), d = Summarize(rerun_alone);
    double matched = static_cast<double>(r1.commits - r0.commits);
    double maintenance = static_cast<double>(r1.maintenance_nanos - r0.maintenance_nanos) / 1000 /
                         static_cast<double>(commits);
    std::printf(
        "| %d | %.2f | %.2f | %.2f us | %.2f us | %.2f us | %.0f us | %.0fx | %.3f us | %.0f us | "
        "%.0fx |\n",
        q, static_cast<double>(woken1 - woken0) / static_cast<double>(commits),
        static_cast<double>(r1.watches_examined - r0.watches_examined) / matched, a.mean, a.p99,
        c.mean, b.mean, b.mean / a.mean, maintenance, d.mean, d.mean / maintenance);
  }
}

// ------------------------------------------------------------------ nested

void RunNested(const std::string& dir, int64_t parents, int64_t per_parent, int64_t commits) {
  std::printf(
      "\n== nested: %lld parents x %lld children, live "
      "[SELECT ... ORDER BY score DESC LIMIT 10] per parent\n",
      static_cast<long long>(parents), static_cast<long long>(per_parent));
  auto db = OpenFresh(dir);
  trine::Session session(*db);
  Check(session
            .Execute("TABLE Team = 1 { name string = 1; } "
                     "TABLE Item = 2 { team REF Team = 1; score int = 2 INDEX; }")
            .status(),
        "schema");
  std::mt19937_64 rng(3);
  std::vector<uint64_t> teams, items;
  Check(db->Run([&](Transaction& t) -> trine::Status {
    for (int64_t p = 0; p < parents; ++p) {
      auto id = t.Insert("Team", {{"name", Value::String("t" + std::to_string(p))}});
      if (!id.ok())
        return id.status();
      teams.push_back(*id);
    }
    for (int64_t i = 0; i < parents * per_parent; ++i) {
      auto id = t.Insert("Item", {{"team", Value::Ref(teams[static_cast<size_t>(i % parents)])},
                                  {"score", Value::Int(static_cast<int64_t>(rng() % 1000000))}});
      if (!id.ok())
        return id.status();
      items.push_back(*id);
    }
    return trine::Status::OK();
  }),
        "load");
  const char* text =
      "SELECT { id, name, top: [SELECT { id, score } FROM Item AS i WHERE i.team = t "
      "ORDER BY i.score DESC LIMIT 10] } FROM Team AS t";
  uint64_t changes = 0;
  Clock::time_point h0 = Clock::now();
  auto q = trine::Subscribe(*db, text, {}, [&](const trine::LiveDiff& d, const trine::LiveQuery&) {
    changes += d.changes.size();
  });
  double hyd = Us(Clock::now() - h0) / 1000;
  Check(q.status(), "subscribe");
  auto prepared = session.Prepare(text);
  Check(prepared.status(), "prepare");
  trine::TransactionOptions to;
  to.durability = trine::Durability::kRelaxed;
  std::vector<double> ivm, rerun;
  for (int64_t k = 0; k < commits; ++k) {
    uint64_t id = items[rng() % items.size()];
    bool move = rng() % 4 == 0;
    Clock::time_point t0 = Clock::now();
    std::unique_ptr<Transaction> txn = db->Begin(to);
    Check(txn->Update("Item", id,
                      {{move ? "team" : "score",
                        move ? Value::Ref(teams[rng() % teams.size()])
                             : Value::Int(static_cast<int64_t>(rng() % 1000000))}}),
          "update");
    Check(txn->Commit(), "commit");
    ivm.push_back(Us(Clock::now() - t0));
  }
  auto fresh = session.Execute(text);
  Check(fresh.status(), "fresh");
  bool same = trine::ToJson((*q)->Result()) == trine::ToJson(fresh->back().value);
  for (int k = 0; k < 20; ++k) {
    Clock::time_point t0 = Clock::now();
    Check((*prepared)->Run({}).status(), "rerun");
    rerun.push_back(Us(Clock::now() - t0));
  }
  Stats a = Summarize(ivm), b = Summarize(rerun);
  std::printf(
      "hydration %.1f ms; per commit (commit + maintenance) mean %.2f us, p50 %.2f, p99 "
      "%.2f; re-running the query %.0f us (%.0fx); %llu nested changes delivered; result "
      "%s a fresh execution\n",
      hyd, a.mean, a.p50, a.p99, b.mean, b.mean / a.mean, static_cast<unsigned long long>(changes),
      same ? "equals" : "DIFFERS FROM");
  if (!same)
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    trine_bench::Flags flags(
        argc, argv, {},
        {"part", "n", "m", "scale-n", "scale-commits", "dir", "parents", "children",
         "nested-commits", "write-buffer-mb", "scale-queries", "memtable-thread"});
    g_memtable_thread = flags.GetNumber("memtable-thread", 1) != 0;
    g_write_buffer_bytes = static_cast<size_t>(flags.GetNumber("write-buffer-mb", 0)) << 20;
    std::string parts = flags.Get("part", "peer,scale,nested");
    std::string dir = flags.Get("dir", "/tmp/trine_live_bench");
    for (const std::string& p : trine_bench::SplitList(parts)) {
      if (p == "peer")
        RunPeer(dir, static_cast<int64_t>(flags.GetNumber("n", 100000)),
                static_cast<int64_t>(flags.GetNumber("m", 100000)), true);
      else if (p == "peer-live")  // only the pass with live queries (for profiling)
        RunPeer(dir, static_cast<int64_t>(flags.GetNumber("n", 100000)),
                static_cast<int64_t>(flags.GetNumber("m", 100000)), false);
      else if (p == "scale") {
        std::vector<int> counts;
        for (const std::string& c :
             trine_bench::SplitList(flags.Get("scale-queries", "1,100,1000,10000")))
          counts.push_back(std::stoi(c));
        RunScale(dir, static_cast<int64_t>(flags.GetNumber("scale-n", 1000000)),
                 static_cast<int64_t>(flags.GetNumber("scale-commits", 20000)), counts);
      } else if (p == "nested")
        RunNested(dir, static_cast<int64_t>(flags.GetNumber("parents", 1000)),
                  static_cast<int64_t>(flags.GetNumber("children", 20)),
                  static_cast<int64_t>(flags.GetNumber("nested-commits", 5000)));
      else
        throw std::runtime_error("unknown part: " + p);
    }
    std::filesystem::remove_all(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trine_live_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
