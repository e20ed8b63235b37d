// Optimistic concurrency under real contention (built with TSan by the tsan
// preset): concurrent transactions with overlapping read and write sets must
// have a serializable outcome.
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/util/test_util.h"
#include "trine/database.h"

namespace trine {
namespace {

class OccTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Database::Open(dir_.path());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db_ = std::move(r).value();
    TypeInfo t;
    t.name = "Counter";
    FieldInfo n;
    n.name = "n";
    n.number = 1;
    n.type = FieldType::kInt;
    FieldInfo key;
    key.name = "key";
    key.number = 2;
    key.type = FieldType::kString;
    key.unique = true;
    t.fields = {n, key};
    ASSERT_TRUE(db_->UpdateSchema({t}).ok());
  }

  uint64_t NewCounter(int64_t value) {
    uint64_t id = 0;
    EXPECT_TRUE(db_->Run([&](Transaction& txn) -> Status {
                     TRINE_ASSIGN_OR_RETURN(id, txn.Insert("Counter", {{"n", Value::Int(value)}}));
                     return Status::OK();
                   })
                    .ok());
    return id;
  }

  int64_t Read(uint64_t id) {
    auto txn = db_->Begin();
    auto v = txn->GetField("Counter", id, "n");
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? v.value().as_int() : -1;
  }

  test::TempDir dir_;
  std::unique_ptr<Database> db_;
  const TransactionOptions relaxed_{Durability::kRelaxed};
};

// No lost update: every committed increment is counted exactly once.
TEST_F(OccTest, CounterIncrementedByFourThreads) {
  const int kThreads = 4;
  const int kPerThread = static_cast<int>(test::EnvInt("TRINE_OCC_TXNS", 10000));
  uint64_t id = NewCounter(0);
  std::atomic<int64_t> attempts{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        Status s = db_->Run(
            [&](Transaction& txn) -> Status {
              attempts.fetch_add(1);
              TRINE_ASSIGN_OR_RETURN(Value v, txn.GetField("Counter", id, "n"));
              return txn.Update("Counter", id, {{"n", Value::Int(v.as_int() + 1)}});
            },
            relaxed_, 1000);
        if (!s.ok())
          failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Read(id), int64_t{kThreads} * kPerThread);
  std::printf("%d increments, %lld attempts (%lld retried after conflicts)\n",
              kThreads * kPerThread, static_cast<long long>(attempts.load()),
              static_cast<long long>(attempts.load() - int64_t{kThreads} * kPerThread));
}

// Transfers between accounts keep the total; concurrent readers always see
// the same total (a snapshot never shows half a transfer), and a transfer
// that read a balance someone else changed is retried, never applied stale.
TEST_F(OccTest, TransfersConserveTheTotal) {
  const int kAccounts = 8;
  const int kTransfers = static_cast<int>(test::EnvInt("TRINE_OCC_TXNS", 10000)) / 4;
  std::vector<uint64_t> accounts;
  for (int i = 0; i < kAccounts; ++i)
    accounts.push_back(NewCounter(1000));
  std::atomic<bool> stop{false};
  std::atomic<int> bad_reads{0}, reads{0};
  std::thread reader([&] {
    while (!stop.load()) {
      auto txn = db_->Begin();
      int64_t sum = 0;
      for (uint64_t a : accounts)
        sum += txn->GetField("Counter", a, "n").value().as_int();
      if (sum != 1000 * kAccounts)
        bad_reads.fetch_add(1);
      reads.fetch_add(1);
    }
  });
  std::vector<std::thread> writers;
  uint64_t seed = test::TestSeed();
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937_64 rng(seed + static_cast<uint64_t>(t));
      for (int i = 0; i < kTransfers; ++i) {
        uint64_t from = accounts[rng() % kAccounts], to = accounts[rng() % kAccounts];
        int64_t amount = static_cast<int64_t>(rng() % 50);
        Status s = db_->Run(
            [&](Transaction& txn) -> Status {
              TRINE_ASSIGN_OR_RETURN(Value a, txn.GetField("Counter", from, "n"));
              if (a.as_int() < amount || from == to)
                return Status::OK();  // insufficient funds: nothing to do
              TRINE_ASSIGN_OR_RETURN(Value b, txn.GetField("Counter", to, "n"));
              TRINE_RETURN_IF_ERROR(
                  txn.Update("Counter", from, {{"n", Value::Int(a.as_int() - amount)}}));
              return txn.Update("Counter", to, {{"n", Value::Int(b.as_int() + amount)}});
            },
            relaxed_, 1000);
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& w : writers)
    w.join();
  stop = true;
  reader.join();
  int64_t sum = 0;
  for (uint64_t a : accounts) {
    int64_t v = Read(a);
    EXPECT_GE(v, 0);
    sum += v;
  }
  EXPECT_EQ(sum, 1000 * kAccounts);
  EXPECT_EQ(bad_reads.load(), 0) << "of " << reads.load() << " snapshot reads";
}

// Racing inserts of the same unique key: exactly one wins.
TEST_F(OccTest, UniqueUnderRace) {
  const int kRounds = 200;
  for (int round = 0; round < kRounds; ++round) {
    std::string key = "k" + std::to_string(round);
    std::atomic<int> ok{0}, dup{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        Status s = db_->Run(
            [&](Transaction& txn) {
              return txn.Insert("Counter", {{"key", Value::String(key)}}).status();
            },
            relaxed_, 100);
        if (s.ok())
          ok.fetch_add(1);
        else if (s.IsInvalidArgument())
          dup.fetch_add(1);
      });
    }
    for (auto& th : threads)
      th.join();
    ASSERT_EQ(ok.load(), 1) << "round " << round;
    ASSERT_EQ(dup.load(), 3) << "round " << round;
  }
  int n = 0;
  auto txn = db_->Begin();
  ASSERT_TRUE(txn->IndexScan("Counter", "key", {},
                             [&](const Value&, uint64_t) {
                               ++n;
                               return true;
                             })
                  .ok());
  EXPECT_EQ(n, kRounds);
}

// Schema changes (index built and dropped, fields added and renamed) while
// writers commit: a transaction that overlaps a schema change conflicts and
// is retried; none is lost, and the index ends up matching the data.
TEST_F(OccTest, SchemaChangesWhileWriting) {
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop.load() || i < 50; ++i) {
        Status s = db_->Run(
            [&](Transaction& txn) {
              return txn.Insert("Counter", {{"n", Value::Int(t * 100000 + i)}}).status();
            },
            relaxed_, 1000);
        ASSERT_TRUE(s.ok()) << s.ToString();
        committed.fetch_add(1);
        if (i > 2000)
          break;
      }
    });
  }
  // Two declared states: the index on `n` built or dropped, field 3 added
  // and then renamed back and forth.
  std::vector<TypeInfo> versions(2, db_->FindType("Counter").value());
  FieldInfo extra;
  extra.name = "extra";
  extra.number = 3;
  extra.type = FieldType::kString;
  versions[0].fields.push_back(extra);
  versions[1].fields[0].indexed = true;  // n INDEX
  extra.name = "extra_renamed";
  versions[1].fields.push_back(extra);
  int changes = 0;
  Status failed;
  for (int round = 0; round < 20 && failed.ok(); ++round) {
    auto r = db_->UpdateSchema({versions[round % 2]});
    if (!r.ok())
      failed = r.status();
    else
      changes += r.value().changed() ? 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // End with the index on, so that it must cover every committed insert.
  if (failed.ok())
    failed = db_->UpdateSchema({versions[1]}).status();
  stop = true;
  for (auto& w : writers)
    w.join();
  ASSERT_TRUE(failed.ok()) << failed.ToString();
  auto txn = db_->Begin();
  int in_index = 0, entities = 0;
  ASSERT_TRUE(txn->IndexScan("Counter", "n", {},
                             [&](const Value&, uint64_t) {
                               ++in_index;
                               return true;
                             })
                  .ok());
  ASSERT_TRUE(txn->Scan("Counter",
                        [&](uint64_t) {
                          ++entities;
                          return true;
                        })
                  .ok());
  EXPECT_EQ(entities, committed.load());
  EXPECT_EQ(in_index, committed.load());
  EXPECT_GT(changes, 0);
}

}  // namespace
}  // namespace trine
