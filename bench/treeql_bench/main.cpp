// trine_treeql_bench: TreeQL queries against the same queries in SQL on
// SQLite, on the same data, in one run, side by side.
//
//   User  (--n rows, default 1M): name string INDEX ("u0000042", in id order),
//         age int INDEX (0..99), city string, score int INDEX (random)
//   Post  (--n rows): author REF User (one of the first n/10 users, so each
//         of those has ~10 posts), title string, likes int
//
// Queries (each prepared once, run --iters times with random parameters):
//   point   SELECT { name, age, city } FROM User WHERE id = ?
//   range   SELECT { name, age, score } FROM User WHERE score >= ? ORDER BY score LIMIT 50
//   count   SELECT count(*) FROM User WHERE age BETWEEN ? AND ? + 4      (~5% of the rows)
//   nested  SELECT { name, posts: [SELECT { title, likes } FROM Post AS p WHERE p.author = u] }
//           FROM User AS u WHERE u.name >= ? ORDER BY u.name LIMIT 100    (~1,000 posts)
// (--queries point,range runs a subset; --explain prints both engines' plans.)
// SQLite gets the same indexes, and its best single statement for nested: a
// join of the 100 parents with their posts, returned flat (no tree built).
// SQLite rows are read column by column into a checksum; Trine's into result
// trees (its API's product), so Trine carries that cost too.
//
// Both stores use the same cache size (--cache-mb). Trine's tree is flushed
// and compacted after the load, SQLite's file is checkpointed (both settled).
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../common/bench_error.h"
#include "../common/flags.h"
#include "../common/sqlite_util.h"
#include "../common/work_dir.h"
#include "../db_bench/metrics.h"
#include "trine/database.h"
#include "trine/treeql.h"

namespace {

using trine_bench::BenchError;
using trine_bench::Clock;
using trine_bench::ElapsedNanos;
using trine_bench::LatencyHistogram;

struct Setup {
  uint64_t n = 1000000;
  uint64_t iters = 2000;
  uint64_t cache_mb = 256;
  uint64_t seed = 42;
};

std::string Name(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "u%08llu", static_cast<unsigned long long>(id));
  return buf;
}

const char* kCities[] = {"Oslo", "Rome", "Lima", "Kyiv", "Pune", "Lyon", "Bern", "Riga"};

struct Row {
  std::string name;
  int64_t age;
  const char* city;
  int64_t score;
};

struct PostRow {
  uint64_t author;
  std::string title;
  int64_t likes;
};

struct Data {
  std::vector<Row> users;
  std::vector<PostRow> posts;
};

Data Generate(const Setup& s) {
  std::mt19937_64 rng(s.seed);
  Data d;
  d.users.reserve(s.n);
  for (uint64_t i = 1; i <= s.n; ++i)
    d.users.push_back(Row{Name(i), static_cast<int64_t>(rng() % 100), kCities[rng() % 8],
                          static_cast<int64_t>(rng() % 1000000000)});
  uint64_t authors = std::max<uint64_t>(1, s.n / 10);
  d.posts.reserve(s.n);
  for (uint64_t i = 0; i < s.n; ++i)
    d.posts.push_back(PostRow{1 + rng() % authors, "post " + std::to_string(i),
                              static_cast<int64_t>(rng() % 1000)});
  return d;
}

struct Params {
  int64_t id, score, age;
  std::string name;
};

std::vector<Params> MakeParams(const Setup& s, uint64_t count) {
  std::mt19937_64 rng(s.seed + 1);
  std::vector<Params> out;
  uint64_t authors = std::max<uint64_t>(1, s.n / 10);
  for (uint64_t i = 0; i < count; ++i)
    out.push_back(Params{static_cast<int64_t>(1 + rng() % s.n),
                         static_cast<int64_t>(rng() % 1000000000), static_cast<int64_t>(rng() % 95),
                         Name(1 + rng() % (authors > 100 ? authors - 100 : 1))});
  return out;
}

struct Result {
  LatencyHistogram hist;
  uint64_t rows = 0;  // result rows (or the count), summed: both engines must agree
};

void Check(const trine::Status& s, const std::string& what) {
  if (!s.ok())
    throw BenchError(what + ": " + s.ToString());
}

// ------------------------------------------------------------------ Trine --

class TrineSide {
 public:
  void Load(const std::string& dir, const Setup& s, const Data& d) {
    trine::DatabaseOptions o;
    o.storage.block_cache_bytes = s.cache_mb << 20;
    auto db = trine::Database::Open(dir, o);
    Check(db.status(), "open " + dir);
    db_ = std::move(*db);
    session_ = std::make_unique<trine::Session>(*db_);
    Check(session_
              ->Execute(R"(
      TABLE User { name string = 1 INDEX; age int = 2 INDEX; city string = 3; score int = 4 INDEX; }
      TABLE Post { author REF User = 1; title string = 2; likes int = 3; })")
              .status(),
          "schema");
    trine::TransactionOptions relaxed;
    relaxed.durability = trine::Durability::kRelaxed;
    for (size_t i = 0; i < d.users.size(); i += 10000) {
      auto txn = db_->Begin(relaxed);
      for (size_t k = i; k < std::min(d.users.size(), i + 10000); ++k) {
        const Row& r = d.users[k];
        auto id = txn->Insert("User", {{"name", trine::Value::String(r.name)},
                                       {"age", trine::Value::Int(r.age)},
                                       {"city", trine::Value::String(r.city)},
                                       {"score", trine::Value::Int(r.score)}});
        Check(id.status(), "insert");
      }
      Check(txn->Commit(), "commit");
    }
    for (size_t i = 0; i < d.posts.size(); i += 10000) {
      auto txn = db_->Begin(relaxed);
      for (size_t k = i; k < std::min(d.posts.size(), i + 10000); ++k) {
        const PostRow& p = d.posts[k];
        Check(txn->Insert("Post", {{"author", trine::Value::Ref(p.author)},
                                   {"title", trine::Value::String(p.title)},
                                   {"likes", trine::Value::Int(p.likes)}})
                  .status(),
              "insert");
      }
      Check(txn->Commit(), "commit");
    }
    Check(db_->storage()->Flush(), "flush");
    Check(db_->storage()->CompactRange("", ""), "compact");
  }

  // Runs `query` once per parameter set; returns latencies and row counts.
  Result Run(const std::string& query, const std::vector<Params>& params,
             const std::function<trine::QueryParams(const Params&)>& bind) {
    auto prepared = session_->Prepare(query);
    Check(prepared.status(), "prepare " + query);
    Result r;
    for (const Params& p : params) {
      trine::QueryParams qp = bind(p);
      Clock::time_point t0 = Clock::now();
      auto res = (*prepared)->Run(qp);
      Clock::time_point t1 = Clock::now();
      Check(res.status(), query);
      r.hist.Record(ElapsedNanos(t0, t1));
      r.rows += Rows(res->value);
    }
    return r;
  }

  std::string Explain(const std::string& query) {
    auto r = session_->Execute("EXPLAIN " + query);
    Check(r.status(), "explain");
    return (*r)[0].text;
  }

 private:
  static uint64_t Rows(const trine::Tree& t) {
    if (t.is_value())
      return t.value().type() == trine::ValueType::kInt ? static_cast<uint64_t>(t.value().as_int())
                                                        : 1;
    uint64_t n = 0;
    for (const trine::Tree& row : t.items()) {
      const trine::Tree* posts = row.is_object() ? row.Find("posts") : nullptr;
      // A parent without posts is one row of SQLite's LEFT JOIN too.
      n += posts != nullptr ? std::max<size_t>(1, posts->items().size()) : 1;
    }
    return n;
  }

  std::unique_ptr<trine::Database> db_;
  std::unique_ptr<trine::Session> session_;
};

// ----------------------------------------------------------------- SQLite --

class SqliteSide {
 public:
  void Load(const std::string& dir, const Setup& s, const Data& d) {
    db_.Open(dir + "/bench.sqlite");
    db_.Exec("PRAGMA page_size=4096");
    db_.Exec("PRAGMA journal_mode=WAL");
    db_.Exec("PRAGMA synchronous=NORMAL");
    db_.Exec("PRAGMA cache_size=-" + std::to_string(s.cache_mb << 10));
    db_.Exec(
        "CREATE TABLE user(id INTEGER PRIMARY KEY, name TEXT, age INTEGER, city TEXT, "
        "score INTEGER)");
    db_.Exec(
        "CREATE TABLE post(id INTEGER PRIMARY KEY, author INTEGER, title TEXT, "
        "likes INTEGER)");
    db_.Exec("CREATE INDEX user_name ON user(name)");
    db_.Exec("CREATE INDEX user_age ON user(age)");
    db_.Exec("CREATE INDEX user_score ON user(score)");
    db_.Exec("CREATE INDEX post_author ON post(author)");
    sqlite3_stmt* ins = db_.Prepare("INSERT INTO user(name, age, city, score) VALUES(?,?,?,?)");
    sqlite3_stmt* insp = db_.Prepare("INSERT INTO post(author, title, likes) VALUES(?,?,?)");
    for (size_t i = 0; i < d.users.size(); i += 10000)
      db_.Transaction([&] {
        for (size_t k = i; k < std::min(d.users.size(), i + 10000); ++k) {
          const Row& r = d.users[k];
          sqlite3_bind_text(ins, 1, r.name.data(), static_cast<int>(r.name.size()),
                            trine_bench::kSqliteStatic);
          sqlite3_bind_int64(ins, 2, r.age);
          sqlite3_bind_text(ins, 3, r.city, -1, trine_bench::kSqliteStatic);
          sqlite3_bind_int64(ins, 4, r.score);
          db_.Step(ins, "insert user");
        }
      });
    for (size_t i = 0; i < d.posts.size(); i += 10000)
      db_.Transaction([&] {
        for (size_t k = i; k < std::min(d.posts.size(), i + 10000); ++k) {
          const PostRow& p = d.posts[k];
          sqlite3_bind_int64(insp, 1, static_cast<int64_t>(p.author));
          sqlite3_bind_text(insp, 2, p.title.data(), static_cast<int>(p.title.size()),
                            trine_bench::kSqliteStatic);
          sqlite3_bind_int64(insp, 3, p.likes);
          db_.Step(insp, "insert post");
        }
      });
    db_.Exec("ANALYZE");
    db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  Result Run(const char* sql, const std::vector<Params>& params,
             const std::function<void(sqlite3_stmt*, const Params&)>& bind, bool count) {
    sqlite3_stmt* st = db_.Prepare(sql);
    Result r;
    uint64_t checksum = 0;
    for (const Params& p : params) {
      Clock::time_point t0 = Clock::now();
      bind(st, p);
      int rc;
      uint64_t rows = 0;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int n = sqlite3_column_count(st);
        for (int c = 0; c < n; ++c) {
          if (sqlite3_column_type(st, c) == SQLITE_TEXT)
            checksum += static_cast<uint64_t>(sqlite3_column_bytes(st, c));
          else
            checksum += static_cast<uint64_t>(sqlite3_column_int64(st, c));
        }
        rows += count ? static_cast<uint64_t>(sqlite3_column_int64(st, 0)) : 1;
      }
      if (rc != SQLITE_DONE)
        db_.Fail(sql);
      sqlite3_reset(st);
      Clock::time_point t1 = Clock::now();
      r.hist.Record(ElapsedNanos(t0, t1));
      r.rows += rows;
    }
    sink_ = sink_ + checksum;  // keeps the column reads from being optimized away
    return r;
  }

  std::string Plan(const std::string& sql) {
    sqlite3_stmt* st = db_.Prepare(("EXPLAIN QUERY PLAN " + sql).c_str());
    std::string out;
    while (sqlite3_step(st) == SQLITE_ROW)
      out += std::string(out.empty() ? "" : "; ") +
             reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    sqlite3_reset(st);
    return out;
  }

 private:
  trine_bench::SqliteDb db_;
  volatile uint64_t sink_ = 0;
};

std::string Us(double nanos) {
  char buf[32];
  std::snprintf(buf, sizeof buf, nanos < 10000 ? "%.2f" : "%.0f", nanos / 1000.0);
  return buf;
}

int Main(int argc, char** argv) {
  trine_bench::Flags flags(argc, argv, {"explain"},
                           {"n", "iters", "cache-mb", "seed", "dir", "queries"});
  std::vector<std::string> only = trine_bench::SplitList(flags.Get("queries", ""));
  Setup s;
  s.n = flags.GetNumber("n", s.n);
  s.iters = flags.GetNumber("iters", s.iters);
  s.cache_mb = flags.GetNumber("cache-mb", s.cache_mb);
  s.seed = flags.GetNumber("seed", s.seed);
  trine_bench::WorkDir work(flags, "trine-treeql-bench");
  std::printf(
      "trine_treeql_bench: n=%llu users + %llu posts, iters=%llu, cache=%llu MiB, seed=%llu\n",
      static_cast<unsigned long long>(s.n), static_cast<unsigned long long>(s.n),
      static_cast<unsigned long long>(s.iters), static_cast<unsigned long long>(s.cache_mb),
      static_cast<unsigned long long>(s.seed));
  Data data = Generate(s);
  std::string tdir = work.path() + "/trine", sdir = work.path() + "/sqlite";
  trine_bench::MakeEmptyDir(tdir);
  trine_bench::MakeEmptyDir(sdir);
  TrineSide trine_side;
  SqliteSide sqlite_side;
  Clock::time_point l0 = Clock::now();
  trine_side.Load(tdir, s, data);
  Clock::time_point l1 = Clock::now();
  sqlite_side.Load(sdir, s, data);
  Clock::time_point l2 = Clock::now();
  std::printf("load: trine %.1f s, sqlite %.1f s\n",
              static_cast<double>(ElapsedNanos(l0, l1)) / 1e9,
              static_cast<double>(ElapsedNanos(l1, l2)) / 1e9);
  data = Data();

  struct Query {
    const char* name;
    std::string treeql;
    const char* sql;
    uint64_t iters;
    std::function<trine::QueryParams(const Params&)> tbind;
    std::function<void(sqlite3_stmt*, const Params&)> sbind;
    bool count = false;
  };
  auto text = [](sqlite3_stmt* st, int i, const std::string& v) {
    sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), trine_bench::kSqliteStatic);
  };
  std::vector<Query> queries = {
      {"point", "SELECT { name, age, city } FROM User WHERE id = ?",
       "SELECT name, age, city FROM user WHERE id = ?", s.iters,
       [](const Params& p) {
         return trine::QueryParams{{trine::Value::Int(p.id)}, {}};
       },
       [](sqlite3_stmt* st, const Params& p) { sqlite3_bind_int64(st, 1, p.id); }},
      {"range", "SELECT { name, age, score } FROM User WHERE score >= ? ORDER BY score LIMIT 50",
       "SELECT name, age, score FROM user WHERE score >= ? ORDER BY score, id LIMIT 50", s.iters,
       [](const Params& p) {
         return trine::QueryParams{{trine::Value::Int(p.score)}, {}};
       },
       [](sqlite3_stmt* st, const Params& p) { sqlite3_bind_int64(st, 1, p.score); }},
      {"count", "SELECT count(*) FROM User WHERE age BETWEEN ? AND ?",
       "SELECT count(*) FROM user WHERE age BETWEEN ? AND ?", std::max<uint64_t>(20, s.iters / 50),
       [](const Params& p) {
         return trine::QueryParams{{trine::Value::Int(p.age), trine::Value::Int(p.age + 4)}, {}};
       },
       [](sqlite3_stmt* st, const Params& p) {
         sqlite3_bind_int64(st, 1, p.age);
         sqlite3_bind_int64(st, 2, p.age + 4);
       },
       true},
      {"nested",
       "SELECT { name, posts: [SELECT { title, likes } FROM Post AS p WHERE p.author = u] } "
       "FROM User AS u WHERE u.name >= ? ORDER BY u.name LIMIT 100",
       "SELECT u.name, p.title, p.likes FROM (SELECT id, name FROM user WHERE name >= ? "
       "ORDER BY name, id LIMIT 100) AS u LEFT JOIN post AS p ON p.author = u.id "
       "ORDER BY u.name, u.id, p.id",
       std::max<uint64_t>(20, s.iters / 10),
       [](const Params& p) {
         return trine::QueryParams{{trine::Value::String(p.name)}, {}};
       },
       [text](sqlite3_stmt* st, const Params& p) { text(st, 1, p.name); }},
  };

  std::printf("\n%-7s %10s %10s %10s %10s %10s %10s %9s %9s\n", "query", "trine_mean", "trine_p50",
              "trine_p99", "sqlite_mean", "sqlite_p50", "sqlite_p99", "mean_x", "p50_x");
  std::printf("%-7s %10s %10s %10s %10s %10s %10s %9s %9s\n", "", "(us)", "(us)", "(us)", "(us)",
              "(us)", "(us)", "(sq/tr)", "(sq/tr)");
  for (const Query& q : queries) {
    if (!only.empty() && std::find(only.begin(), only.end(), q.name) == only.end())
      continue;
    std::vector<Params> params = MakeParams(s, q.iters);
    std::vector<Params> warm(params.begin(), params.begin() + std::min<size_t>(params.size(), 50));
    trine_side.Run(q.treeql, warm, q.tbind);
    sqlite_side.Run(q.sql, warm, q.sbind, q.count);
    // Interleaved halves, so that drift of a shared machine hits both.
    std::vector<Params> a(params.begin(), params.begin() + static_cast<long>(params.size() / 2));
    std::vector<Params> b(params.begin() + static_cast<long>(params.size() / 2), params.end());
    Result t = trine_side.Run(q.treeql, a, q.tbind);
    Result sq = sqlite_side.Run(q.sql, a, q.sbind, q.count);
    Result t2 = trine_side.Run(q.treeql, b, q.tbind);
    Result sq2 = sqlite_side.Run(q.sql, b, q.sbind, q.count);
    double tm = (t.hist.mean_nanos() * static_cast<double>(t.hist.count()) +
                 t2.hist.mean_nanos() * static_cast<double>(t2.hist.count())) /
                static_cast<double>(t.hist.count() + t2.hist.count());
    double sm = (sq.hist.mean_nanos() * static_cast<double>(sq.hist.count()) +
                 sq2.hist.mean_nanos() * static_cast<double>(sq2.hist.count())) /
                static_cast<double>(sq.hist.count() + sq2.hist.count());
    double tp50 = (t.hist.Percentile(0.5) + t2.hist.Percentile(0.5)) / 2;
    double sp50 = (sq.hist.Percentile(0.5) + sq2.hist.Percentile(0.5)) / 2;
    double tp99 = std::max(t.hist.Percentile(0.99), t2.hist.Percentile(0.99));
    double sp99 = std::max(sq.hist.Percentile(0.99), sq2.hist.Percentile(0.99));
    std::printf("%-7s %10s %10s %10s %10s %10s %10s %9.2f %9.2f\n", q.name, Us(tm).c_str(),
                Us(tp50).c_str(), Us(tp99).c_str(), Us(sm).c_str(), Us(sp50).c_str(),
                Us(sp99).c_str(), sm / tm, sp50 / tp50);
    if (t.rows + t2.rows != sq.rows + sq2.rows)
      std::printf("  MISMATCH: trine returned %llu rows, sqlite %llu\n",
                  static_cast<unsigned long long>(t.rows + t2.rows),
                  static_cast<unsigned long long>(sq.rows + sq2.rows));
    if (flags.GetBool("explain")) {
      std::printf("  trine plan:\n    %s\n", trine_side.Explain(q.treeql).c_str());
      std::printf("  sqlite plan: %s\n", sqlite_side.Plan(q.sql).c_str());
    }
  }
  std::printf("\nx = SQLite's latency / Trine's: above 1, Trine is faster.\n");
  work.Remove();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const BenchError& e) {
    std::fprintf(stderr, "trine_treeql_bench: %s\n", e.what());
    return 1;
  }
}
