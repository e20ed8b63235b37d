// Live queries under concurrency (this binary also runs under TSan): two
// threads commit, one changes the schema of the type the queries read (an
// index added and dropped, which rebinds them), and the main thread
// subscribes, unsubscribes, polls and reads results meanwhile. Once the
// threads stop, every long-lived query's result equals a fresh execution,
// and so does its first result with every polled diff applied.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/treeql/live_apply.h"
#include "tests/treeql/live_gen.h"
#include "tests/util/test_util.h"
#include "trine/database.h"
#include "trine/live.h"
#include "trine/treeql.h"

namespace trine {
namespace {

TEST(LiveConcurrencyTest, SubscribeCommitAndRebindAtOnce) {
  const uint64_t seed = test::TestSeed();
  test::TempDir dir;
  Result<std::unique_ptr<Database>> opened = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Database& db = **opened;
  Session session(db);
  ASSERT_TRUE(session.Execute("TABLE Item = 1 { owner int = 1 INDEX; score int = 2; }").ok());
  std::vector<uint64_t> ids;
  for (int i = 0; i < 200; ++i) {
    Result<std::vector<StatementResult>> r =
        session.Execute("INSERT Item { owner: " + std::to_string(i % 7) +
                        ", score: " + std::to_string(i * 37 % 1000) + " }");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ids.push_back(r->back().ids.at(0));
  }
  const std::vector<std::string> texts = {
      "SELECT { id, score } FROM Item WHERE owner = 3 ORDER BY score DESC LIMIT 5",
      "SELECT count(*) FROM Item WHERE score > 500",
      "SELECT { owner, n: count(*), top: max(score) } FROM Item GROUP BY owner",
      "SELECT { id } FROM Item WHERE score < 100",
  };
  // Long-lived, polled: their diffs are applied to their first results.
  std::vector<std::unique_ptr<LiveQuery>> kept;
  std::vector<Tree> seen;
  for (const std::string& t : texts) {
    Result<std::unique_ptr<LiveQuery>> q = Subscribe(db, t);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    seen.push_back((*q)->Result());
    kept.push_back(std::move(*q));
  }
  auto drain = [&] {
    for (size_t i = 0; i < kept.size(); ++i)
      while (std::optional<LiveDiff> d = kept[i]->Poll()) {
        ASSERT_TRUE(d->error.empty()) << texts[i] << ": " << d->error;
        test::ApplyDiff(&seen[i], *d);
      }
  };

  std::atomic<bool> stop{false};
  std::atomic<int> commits{0}, schema_changes{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w)
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(seed + static_cast<uint64_t>(w));
      TransactionOptions to;
      to.durability = Durability::kRelaxed;
      while (!stop.load()) {
        uint64_t id = ids[rng() % ids.size()];
        std::string field = rng() % 2 ? "score" : "owner";
        int64_t v =
            field == "score" ? static_cast<int64_t>(rng() % 1000) : static_cast<int64_t>(rng() % 7);
        Status s = db.Run(
            [&](Transaction& t) {
              return t.Update("Item", id, {{field, Value::Int(v)}});
            },
            to);
        // A schema change in between makes the transaction conflict after
        // its retries: a refused commit, nothing to check.
        EXPECT_TRUE(s.ok() || s.IsConflict()) << s.ToString();
        commits.fetch_add(1);
      }
    });
  threads.emplace_back([&] {
    Session s(db);
    for (int i = 0; i < 30 && !stop.load(); ++i) {
      std::string score = i % 2 == 0 ? "score int = 2 INDEX;" : "score int = 2;";
      Result<std::vector<StatementResult>> r =
          s.Execute("TABLE Item = 1 { owner int = 1 INDEX; " + score + " }");
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      schema_changes.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });

  // Meanwhile: short-lived subscriptions (some with callbacks that read the
  // result), results read, the long-lived ones polled.
  std::mt19937_64 rng(seed ^ 0x5eed);
  std::atomic<int> called{0};
  for (int i = 0; i < 300; ++i) {
    const std::string& t = texts[rng() % texts.size()];
    LiveCallback cb;
    if (rng() % 2)
      cb = [&](const LiveDiff&, const LiveQuery& q) {
        (void)q.Result();
        called.fetch_add(1);
      };
    Result<std::unique_ptr<LiveQuery>> q = Subscribe(db, t, {}, cb);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    (void)(*q)->Result();
    (void)(*q)->stats();
    if (i % 10 == 0)
      drain();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  stop.store(true);
  for (std::thread& th : threads)
    th.join();
  drain();
  for (size_t i = 0; i < kept.size(); ++i) {
    Result<std::vector<StatementResult>> fresh = session.Execute(texts[i]);
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
    std::string want = ToJson(test::Canonical(fresh->back().value, texts[i]));
    EXPECT_EQ(ToJson(kept[i]->Result()), want) << texts[i];
    EXPECT_EQ(ToJson(seen[i]), want) << texts[i] << " (the first result with its diffs applied)";
  }
  std::cout << "[ " << commits.load() << " commits, " << schema_changes.load()
            << " schema changes, " << kept[0]->stats().rebinds << " rebinds of the first query, "
            << called.load() << " callbacks; seed " << seed << " ]\n";
  EXPECT_GT(kept[0]->stats().rebinds, 0u);
}

}  // namespace
}  // namespace trine
