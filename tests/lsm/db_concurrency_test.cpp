// Concurrency tests of the public DB API, built and run under ThreadSanitizer
// (the tsan preset) as well as in the normal debug build.
//
// 1. One writer commits batches that move a fixed set of keys from
//    generation g to g+1 atomically (with deletes and range deletes that keep
//    an invariant), a maintenance thread flushes and compacts in a loop, and
//    readers check that every snapshot and every iterator sees exactly one
//    generation, never an older one than before, and never one older than a
//    commit acknowledged before the read began.
// 2. Several writers commit concurrently (durable and relaxed, single updates
//    and batches) while the store flushes and compacts; afterwards, and after
//    a reopen, every acknowledged commit must be there.
//
// Thread interleavings are not reproducible, but the random choices are:
// TRINE_SEED=... repeats them. TRINE_CONC_SECONDS sets how long each test's
// concurrent phase runs (default 8).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/util/test_util.h"
#include "trine/db.h"
#include "trine/iterator.h"
#include "trine/options.h"
#include "trine/status.h"
#include "trine/write_batch.h"

namespace trine {
namespace {

using Clock = std::chrono::steady_clock;

// Small tables so the phases below flush and compact many times per second.
Options SmallOptions() {
  Options o;
  o.write_buffer_size = 16 << 10;
  o.target_file_size = 16 << 10;
  o.max_bytes_for_level_base = 64 << 10;
  o.level_size_multiplier = 4;
  o.level0_compaction_trigger = 2;
  o.block_size = 512;
  o.block_cache_bytes = 64 << 10;
  o.wal_flush_interval_ms = 1;
  o.wal_sync_interval_ms = 10;
  return o;
}

std::chrono::milliseconds PhaseDuration() {
  return std::chrono::milliseconds(test::EnvInt("TRINE_CONC_SECONDS", 8) * 1000);
}

// Reports the first few failures from any thread (gtest assertions are
// thread-safe) and tells every thread to stop.
class Failures {
 public:
  void Add(const std::string& msg) {
    failed_.store(true);
    std::lock_guard<std::mutex> lock(mu_);
    if (++count_ <= 5)
      ADD_FAILURE() << msg;
  }
  bool failed() const { return failed_.load(); }

 private:
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  int count_ = 0;
};

// ---------------------------------------------------------------------------
// 1. Snapshot consistency under a generation-committing writer.

constexpr int kGenKeys = 40;  // every generation rewrites all of them
constexpr int kDelKeys = 24;  // present or absent depending on the generation

std::string GenKey(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "gen/%03d", i);
  return buf;
}
std::string DelKey(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "del/%03d", i);
  return buf;
}
// "del/" .. "del0" covers every DelKey ('0' follows '/').
constexpr std::string_view kDelBegin = "del/";
constexpr std::string_view kDelEnd = "del0";

// Which del keys generation g has: a third of them are absent, a different
// third each generation, so every commit both deletes and re-creates keys.
bool DelPresent(int i, uint64_t g) {
  return (static_cast<uint64_t>(i) * 7 + g) % 3 != 0;
}

// The key and generation, then padding of varying length so the memtable
// fills after a few commits.
std::string GenValue(const std::string& key, uint64_t g) {
  std::string v = key + "@" + std::to_string(g) + "#";
  v.append(40 + (g * 13 + key.size() + static_cast<unsigned char>(key.back())) % 90, 'x');
  return v;
}

// The generation written into `value` for `key`, or false if malformed.
bool ParseGen(std::string_view key, std::string_view value, uint64_t* g) {
  size_t at = value.find('@');
  size_t hash = value.find('#');
  if (at == std::string_view::npos || hash == std::string_view::npos || hash < at ||
      value.substr(0, at) != key) {
    return false;
  }
  std::string_view digits = value.substr(at + 1, hash - at - 1);
  if (digits.empty() || digits.size() > 18)
    return false;
  *g = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return false;
    *g = *g * 10 + static_cast<uint64_t>(c - '0');
  }
  return GenValue(std::string(key), *g) == value;
}

// Every key and value of generation g, in key order ("del/" < "gen/").
std::vector<std::pair<std::string, std::string>> ExpectedContents(uint64_t g) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < kDelKeys; i++) {
    if (DelPresent(i, g))
      out.emplace_back(DelKey(i), GenValue(DelKey(i), g));
  }
  for (int i = 0; i < kGenKeys; i++)
    out.emplace_back(GenKey(i), GenValue(GenKey(i), g));
  return out;
}

// Generation g as one atomic batch. Even generations clear the del keys with
// a range tombstone and re-put the present ones; odd ones delete the absent
// ones one by one.
WriteBatch GenerationBatch(uint64_t g) {
  WriteBatch b;
  if (g % 2 == 0)
    b.DeleteRange(kDelBegin, kDelEnd);
  for (int i = 0; i < kDelKeys; i++) {
    if (DelPresent(i, g)) {
      b.Put(DelKey(i), GenValue(DelKey(i), g));
    } else if (g % 2 == 1) {
      b.Delete(DelKey(i));
    }
  }
  for (int i = 0; i < kGenKeys; i++)
    b.Put(GenKey(i), GenValue(GenKey(i), g));
  return b;
}

// Reads every key by Get at `snap`; returns the one generation they all show,
// or 0 with *err set.
uint64_t GenerationViaGets(DB* db, const Snapshot* snap, std::string* err) {
  ReadOptions ro;
  ro.snapshot = snap;
  std::string v;
  uint64_t g = 0;
  for (int i = 0; i < kGenKeys; i++) {
    std::string k = GenKey(i);
    Status s = db->Get(ro, k, &v);
    uint64_t gi = 0;
    if (!s.ok()) {
      *err = "Get " + k + ": " + s.ToString();
      return 0;
    }
    if (!ParseGen(k, v, &gi)) {
      *err = "Get " + k + ": malformed value " + v;
      return 0;
    }
    if (i == 0)
      g = gi;
    if (gi != g) {
      *err = "Get " + k + " shows generation " + std::to_string(gi) + " but " + GenKey(0) +
             " shows " + std::to_string(g) + " in the same snapshot";
      return 0;
    }
  }
  for (int i = 0; i < kDelKeys; i++) {
    std::string k = DelKey(i);
    Status s = db->Get(ro, k, &v);
    if (DelPresent(i, g) ? !(s.ok() && v == GenValue(k, g)) : !s.IsNotFound()) {
      *err = "Get " + k + " at generation " + std::to_string(g) + ": " + s.ToString() +
             (s.ok() ? " value " + v : "") + ", expected " +
             (DelPresent(i, g) ? GenValue(k, g) : std::string("NotFound"));
      return 0;
    }
  }
  return g;
}

// Scans the store (or [lower, upper)) at `snap` in one direction and checks
// it is exactly the contents of one generation; returns it, or 0 with *err set.
uint64_t GenerationViaIterator(DB* db, const Snapshot* snap, bool backward, bool del_keys_only,
                               std::string* err) {
  ReadOptions ro;
  ro.snapshot = snap;
  if (del_keys_only) {
    ro.lower_bound = kDelBegin;
    ro.upper_bound = kDelEnd;
  }
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  std::vector<std::pair<std::string, std::string>> got;
  if (backward) {
    for (it->SeekToLast(); it->Valid(); it->Prev())
      got.emplace_back(it->key(), it->value());
    std::reverse(got.begin(), got.end());
  } else {
    for (it->SeekToFirst(); it->Valid(); it->Next())
      got.emplace_back(it->key(), it->value());
  }
  if (!it->status().ok()) {
    *err = "iterator status " + it->status().ToString();
    return 0;
  }
  std::string how = std::string(backward ? "backward" : "forward") +
                    (del_keys_only ? " scan of [del/, del0)" : " scan");
  // The generation comes from the first present del key (there are always
  // some: at most a third are absent) and must explain everything else.
  if (got.empty()) {
    *err = how + " found nothing";
    return 0;
  }
  uint64_t g = 0;
  if (!ParseGen(got[0].first, got[0].second, &g)) {
    *err = how + ": malformed entry " + got[0].first + " = " + got[0].second;
    return 0;
  }
  auto want = ExpectedContents(g);
  if (del_keys_only) {
    std::erase_if(want, [](const auto& kv) { return !kv.first.starts_with(kDelBegin); });
  }
  if (got != want) {
    std::string msg = how + " is not one generation (first entry says " + std::to_string(g) +
                      "): got " + std::to_string(got.size()) + " entries, expected " +
                      std::to_string(want.size());
    for (size_t i = 0; i < std::max(got.size(), want.size()); i++) {
      std::string a = i < got.size() ? got[i].first + "=" + got[i].second.substr(0, 12) : "-";
      std::string b = i < want.size() ? want[i].first + "=" + want[i].second.substr(0, 12) : "-";
      if (a != b) {
        msg += "; first difference at entry " + std::to_string(i) + ": got " + a + " expected " + b;
        break;
      }
    }
    *err = msg;
    return 0;
  }
  return g;
}

TEST(DbConcurrencyTest, SnapshotsSeeOneGenerationWhileWritingAndCompacting) {
  const uint64_t seed = test::TestSeed();
  test::TempDir dir;
  Options options = SmallOptions();
  auto opened = DB::Open(options, dir.path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<DB> db = std::move(opened).value();

  // Generation 1 exists before any reader starts, so every read finds one.
  ASSERT_TRUE(db->Write(WriteOptions{}, GenerationBatch(1)).ok());
  std::atomic<uint64_t> acked{1};  // the newest generation whose Write returned
  std::atomic<bool> stop{false};
  Failures failures;
  const Stats before = db->GetStats();

  std::thread writer([&] {
    std::mt19937_64 rng(seed);
    for (uint64_t g = 2; !stop.load() && !failures.failed(); g++) {
      WriteOptions wo;
      wo.durability = rng() % 4 == 0 ? Durability::kDurable : Durability::kRelaxed;
      Status s = db->Write(wo, GenerationBatch(g));
      if (!s.ok()) {
        failures.Add("Write of generation " + std::to_string(g) + ": " + s.ToString());
        return;
      }
      acked.store(g);
    }
  });

  std::atomic<uint64_t> maintenance_ops{0};
  std::thread maintenance([&] {
    std::mt19937_64 rng(seed + 1);
    while (!stop.load() && !failures.failed()) {
      Status s;
      switch (rng() % 5) {
        case 0:
        case 1:
          s = db->Flush();
          break;
        case 2:
          s = db->CompactRange("gen/010", "gen/030");
          break;
        case 3:
          s = db->CompactRange(kDelBegin, kDelEnd);
          break;
        default:
          s = db->CompactAll();
          break;
      }
      if (!s.ok()) {
        failures.Add("flush/compaction: " + s.ToString());
        return;
      }
      maintenance_ops++;
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 5));
    }
  });

  constexpr int kReaders = 3;
  std::atomic<uint64_t> checks{0};
  // The newest generation any reader has seen: a snapshot taken after that
  // read finished must be at least as new (reads see a growing prefix of the
  // commit order, whichever thread reads).
  std::atomic<uint64_t> max_seen{1};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; r++) {
    readers.emplace_back([&, r] {
      std::mt19937_64 rng(seed + 100 + static_cast<uint64_t>(r));
      uint64_t last_gen = 0;
      uint64_t last_seq = 0;
      // Snapshots kept for a while and read again: compactions in between
      // must not change what they see.
      struct Held {
        const Snapshot* snap;
        uint64_t gen;
      };
      std::vector<Held> held;
      auto fail = [&](const std::string& msg) {
        failures.Add("reader " + std::to_string(r) + ": " + msg);
      };
      while (!stop.load() && !failures.failed()) {
        const uint64_t acked_before = acked.load();
        const uint64_t seen_before = max_seen.load();
        const Snapshot* snap = db->GetSnapshot();
        std::string err;
        uint64_t g = GenerationViaGets(db.get(), snap, &err);
        if (g == 0) {
          fail(err);
          db->ReleaseSnapshot(snap);
          break;
        }
        if (g < acked_before) {
          fail("snapshot shows generation " + std::to_string(g) + " but generation " +
               std::to_string(acked_before) + " was acknowledged before it was taken");
        }
        if (g < seen_before) {
          fail("snapshot shows generation " + std::to_string(g) + " but another reader saw " +
               std::to_string(seen_before) + " before this snapshot was taken");
        }
        // Raise max_seen to g; a failed compare_exchange reloads m.
        uint64_t m = max_seen.load();
        while (m < g && !max_seen.compare_exchange_weak(m, g)) {
        }
        if (g < last_gen) {
          fail("snapshot shows generation " + std::to_string(g) +
               " after an earlier snapshot showed " + std::to_string(last_gen));
        }
        if (snap->sequence() < last_seq) {
          fail("snapshot sequence went back from " + std::to_string(last_seq) + " to " +
               std::to_string(snap->sequence()));
        }
        last_gen = g;
        last_seq = snap->sequence();
        // The same snapshot through an iterator, in a random direction.
        bool backward = rng() % 2 == 0;
        bool del_only = rng() % 3 == 0;
        uint64_t gi = GenerationViaIterator(db.get(), snap, backward, del_only, &err);
        if (gi != g) {
          fail("iterator on a snapshot of generation " + std::to_string(g) + ": " +
               (gi ? "shows generation " + std::to_string(gi) : err));
        }
        // An iterator without a snapshot is its own consistent view, at least as new.
        uint64_t gl = GenerationViaIterator(db.get(), nullptr, !backward, false, &err);
        if (gl == 0) {
          fail("iterator without snapshot: " + err);
        } else if (gl < g) {
          fail("iterator without snapshot shows generation " + std::to_string(gl) +
               " after a snapshot showed " + std::to_string(g));
        }
        held.push_back({snap, g});
        if (held.size() > 3 || rng() % 2 == 0) {
          size_t i = rng() % held.size();
          uint64_t again = rng() % 2 ? GenerationViaGets(db.get(), held[i].snap, &err)
                                     : GenerationViaIterator(db.get(), held[i].snap, rng() % 2 == 0,
                                                             false, &err);
          if (again != held[i].gen) {
            fail("snapshot of generation " + std::to_string(held[i].gen) +
                 " read again: " + (again ? "generation " + std::to_string(again) : err));
          }
          db->ReleaseSnapshot(held[i].snap);
          held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
        }
        checks++;
      }
      for (const auto& h : held)
        db->ReleaseSnapshot(h.snap);
    });
  }

  const auto deadline = Clock::now() + PhaseDuration();
  while (Clock::now() < deadline && !failures.failed()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Taken while readers still run, so the counts below are of work that
  // overlapped with them.
  const Stats during = db->GetStats();
  stop.store(true);
  writer.join();
  maintenance.join();
  for (auto& t : readers)
    t.join();
  if (failures.failed())
    return;

  const uint64_t final_gen = acked.load();
  std::fprintf(stderr,
               "generations written: %llu, reader checks: %llu, maintenance ops: %llu, "
               "flushes: %llu, compactions: %llu\n",
               static_cast<unsigned long long>(final_gen),
               static_cast<unsigned long long>(checks.load()),
               static_cast<unsigned long long>(maintenance_ops.load()),
               static_cast<unsigned long long>(during.flushes - before.flushes),
               static_cast<unsigned long long>(during.compactions - before.compactions));
  EXPECT_GE(final_gen, 20u) << "the writer barely ran";
  EXPECT_GE(checks.load(), 3u * kReaders) << "the readers barely ran";
  EXPECT_GT(during.flushes, before.flushes) << "no flush overlapped with the readers";
  EXPECT_GT(during.compactions, before.compactions) << "no compaction overlapped with the readers";

  // The latest state is the last acknowledged generation, also after a clean
  // close (relaxed commits included) and reopen.
  std::string err;
  EXPECT_EQ(GenerationViaGets(db.get(), nullptr, &err), final_gen) << err;
  db.reset();
  opened = DB::Open(options, dir.path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  db = std::move(opened).value();
  EXPECT_EQ(GenerationViaGets(db.get(), nullptr, &err), final_gen) << err;
  EXPECT_EQ(GenerationViaIterator(db.get(), nullptr, false, false, &err), final_gen) << err;
}

// ---------------------------------------------------------------------------
// 2. Concurrent writers: every acknowledged commit is present.

constexpr int kWriters = 4;
constexpr int kKeysPerWriter = 300;
constexpr int kSharedKeys = 8;

std::string WriterKey(int w, int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "w%d/%04d", w, i);
  return buf;
}
std::string SharedKey(int j) {
  return "shared/" + std::to_string(j);
}

TEST(DbConcurrencyTest, ConcurrentWritersKeepEveryAcknowledgedCommit) {
  const uint64_t seed = test::TestSeed();
  test::TempDir dir;
  Options options = SmallOptions();
  auto opened = DB::Open(options, dir.path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<DB> db = std::move(opened).value();

  std::atomic<bool> stop{false};
  Failures failures;
  // Each writer owns its keys and keeps their expected contents; shared keys
  // are written by everyone, and end with some writer's last value.
  std::vector<std::map<std::string, std::string>> models(kWriters);
  std::vector<std::map<std::string, std::string>> last_shared(kWriters);
  std::vector<uint64_t> commits(kWriters, 0);

  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; w++) {
    writers.emplace_back([&, w] {
      std::mt19937_64 rng(seed + static_cast<uint64_t>(w));
      auto& model = models[static_cast<size_t>(w)];
      auto& shared = last_shared[static_cast<size_t>(w)];
      auto fail = [&](const std::string& msg) {
        failures.Add("writer " + std::to_string(w) + ": " + msg);
      };
      for (uint64_t n = 0; !stop.load() && !failures.failed(); n++) {
        WriteOptions wo;
        // Writers 0 and 1 mostly durable, 2 and 3 mostly relaxed, so group
        // commits mix both kinds.
        wo.durability = ((rng() % 4 == 0) == (w < 2)) ? Durability::kRelaxed : Durability::kDurable;
        int i = static_cast<int>(rng() % kKeysPerWriter);
        std::string k = WriterKey(w, i);
        std::string v = k + "#" + std::to_string(n) + std::string(rng() % 120, 'v');
        Status s;
        switch (rng() % 10) {
          case 0:
          case 1:
          case 2:
          case 3: {
            s = db->Put(wo, k, v);
            if (s.ok())
              model[k] = v;
            break;
          }
          case 4: {
            s = db->Delete(wo, k);
            if (s.ok())
              model.erase(k);
            break;
          }
          case 5: {
            std::string e = WriterKey(w, i + 1 + static_cast<int>(rng() % 10));
            s = db->DeleteRange(wo, k, e);
            if (s.ok())
              model.erase(model.lower_bound(k), model.lower_bound(e));
            break;
          }
          case 6: {
            std::string sk = SharedKey(static_cast<int>(rng() % kSharedKeys));
            std::string sv = "writer " + std::to_string(w) + " commit " + std::to_string(n);
            s = db->Put(wo, sk, sv);
            if (s.ok())
              shared[sk] = sv;
            break;
          }
          default: {
            // A batch over this writer's keys, applied to the model in order.
            WriteBatch b;
            std::vector<std::pair<std::string, std::string>> puts;
            std::vector<std::string> dels;
            int m = 1 + static_cast<int>(rng() % 8);
            std::map<std::string, std::string> next = model;
            for (int j = 0; j < m; j++) {
              std::string bk = WriterKey(w, static_cast<int>(rng() % kKeysPerWriter));
              if (rng() % 4 == 0) {
                b.Delete(bk);
                next.erase(bk);
              } else {
                std::string bv = bk + "#" + std::to_string(n) + "." + std::to_string(j);
                b.Put(bk, bv);
                next[bk] = bv;
              }
            }
            s = db->Write(wo, b);
            if (s.ok())
              model = std::move(next);
            break;
          }
        }
        if (!s.ok()) {
          fail("commit " + std::to_string(n) + ": " + s.ToString());
          return;
        }
        commits[static_cast<size_t>(w)]++;
        // Read-your-writes: a commit is visible once acknowledged, relaxed or not.
        if (rng() % 8 == 0) {
          std::string got;
          Status g = db->Get(ReadOptions{}, k, &got);
          auto it = model.find(k);
          if (it == model.end() ? !g.IsNotFound() : !(g.ok() && got == it->second)) {
            fail("Get " + k + " right after commit " + std::to_string(n) + ": " + g.ToString() +
                 " " + got + ", expected " + (it == model.end() ? "NotFound" : it->second));
            return;
          }
        }
      }
    });
  }

  std::thread maintenance([&] {
    std::mt19937_64 rng(seed + 99);
    while (!stop.load() && !failures.failed()) {
      Status s;
      switch (rng() % 4) {
        case 0:
          s = db->Flush();
          break;
        case 1:
          s = db->Sync();
          break;
        case 2: {
          // One writer's keys: "w<n>/" up to "w<n>/\xff".
          std::string b = "w" + std::to_string(rng() % kWriters) + "/";
          s = db->CompactRange(b, b + "\xff");
          break;
        }
        default:
          s = db->CompactAll();
          break;
      }
      if (!s.ok()) {
        failures.Add("flush/compaction: " + s.ToString());
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2 + rng() % 10));
    }
  });

  const auto deadline = Clock::now() + PhaseDuration();
  while (Clock::now() < deadline && !failures.failed()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop.store(true);
  for (auto& t : writers)
    t.join();
  maintenance.join();
  if (failures.failed())
    return;

  uint64_t total = 0;
  for (uint64_t c : commits)
    total += c;
  const Stats stats = db->GetStats();
  std::fprintf(stderr, "commits: %llu, flushes: %llu, compactions: %llu\n",
               static_cast<unsigned long long>(total),
               static_cast<unsigned long long>(stats.flushes),
               static_cast<unsigned long long>(stats.compactions));
  for (int w = 0; w < kWriters; w++) {
    EXPECT_GE(commits[static_cast<size_t>(w)], 20u) << "writer " << w << " barely ran";
  }
  EXPECT_GT(stats.flushes, 0u);
  EXPECT_GT(stats.compactions, 0u);

  // The whole store must be the union of the writers' models plus, for each
  // shared key, the last value of one of the writers that wrote it.
  auto verify = [&](const char* when) {
    std::map<std::string, std::string> want;
    for (const auto& m : models)
      want.insert(m.begin(), m.end());
    std::map<std::string, std::set<std::string>> shared_candidates;
    for (const auto& m : last_shared) {
      for (const auto& [k, v] : m)
        shared_candidates[k].insert(v);
    }
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions{});
    size_t shared_seen = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string k(it->key());
      std::string v(it->value());
      if (k.starts_with("shared/")) {
        shared_seen++;
        auto c = shared_candidates.find(k);
        EXPECT_TRUE(c != shared_candidates.end() && c->second.count(v) == 1)
            << when << ": shared key " << k << " = " << v << " is no writer's last value";
        continue;
      }
      auto w = want.find(k);
      if (w == want.end()) {
        ADD_FAILURE() << when << ": deleted or never written key " << k << " = " << v;
        continue;
      }
      EXPECT_EQ(v, w->second) << when << ": key " << k;
      want.erase(w);
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    EXPECT_EQ(shared_seen, shared_candidates.size()) << when << ": shared keys missing";
    for (const auto& [k, v] : want) {
      ADD_FAILURE() << when << ": acknowledged key " << k << " = " << v << " missing";
      break;
    }
    // And by Get, for every writer key.
    for (int w = 0; w < kWriters; w++) {
      const auto& m = models[static_cast<size_t>(w)];
      for (int i = 0; i < kKeysPerWriter; i++) {
        std::string k = WriterKey(w, i);
        std::string got;
        Status s = db->Get(ReadOptions{}, k, &got);
        auto e = m.find(k);
        if (e == m.end()) {
          EXPECT_TRUE(s.IsNotFound()) << when << ": Get " << k << ": " << s.ToString();
        } else {
          EXPECT_TRUE(s.ok() && got == e->second) << when << ": Get " << k << ": " << s.ToString();
        }
      }
    }
  };
  verify("after the writers stopped");
  // A clean close persists relaxed commits; they must all come back.
  db.reset();
  opened = DB::Open(options, dir.path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  db = std::move(opened).value();
  verify("after reopen");
}

}  // namespace
}  // namespace trine
