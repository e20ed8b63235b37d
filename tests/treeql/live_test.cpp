// Live queries: maintained results against fresh executions, diffs applied
// to the previous result, wake-up counters and hydration read counts.
#include "trine/live.h"

#include <algorithm>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/treeql/live_apply.h"
#include "tests/treeql/live_gen.h"
#include "tests/util/test_util.h"
#include "trine/database.h"
#include "trine/treeql.h"

namespace trine {
namespace {

using test::ApplyDiff;
using test::Canonical;
using test::kGenSchema;
using test::LiveDifferential;
using test::TestSeed;

class LiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Database>> db = Database::Open(dir_.Sub("db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    session_ = std::make_unique<Session>(*db_);
  }
  void Exec(const std::string& text) {
    Result<std::vector<StatementResult>> r = session_->Execute(text);
    ASSERT_TRUE(r.ok()) << text << "\n" << r.status().ToString();
  }
  Tree Fresh(const std::string& query) {
    Result<std::vector<StatementResult>> r = session_->Execute(query);
    EXPECT_TRUE(r.ok()) << query << "\n" << r.status().ToString();
    return r.ok() ? r->back().value : Tree();
  }
  std::unique_ptr<LiveQuery> Live(const std::string& query) {
    Result<std::unique_ptr<LiveQuery>> q = Subscribe(*db_, query);
    EXPECT_TRUE(q.ok()) << query << "\n" << q.status().ToString();
    return q.ok() ? std::move(*q) : nullptr;
  }

  test::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Session> session_;
};

TEST_F(LiveTest, WindowCountAggregateAndNested) {
  Exec(R"(
    TABLE Team = 1 { name string = 1; rank int = 2 INDEX; }
    TABLE Item = 2 { owner int = 1 INDEX; score int = 2 INDEX; team REF Team = 3;
                     price decimal(9,2) = 4; }
    INSERT Team { name: 'red', rank: 1 };
    INSERT Team { name: 'blue', rank: 2 };
  )");
  for (int i = 0; i < 40; ++i)
    Exec("INSERT Item { owner: " + std::to_string(i % 4) +
         ", score: " + std::to_string(i * 7 % 50) + ", team: " + std::to_string(1 + i % 2) +
         ", price: " + std::to_string(i) + ".25 }");
  const std::vector<std::string> queries = {
      "SELECT { id, score } FROM Item WHERE owner = 1 ORDER BY score DESC LIMIT 3",
      "SELECT id FROM Item ORDER BY score, id LIMIT 4 OFFSET 2",
      "SELECT count(*) FROM Item WHERE score > 25",
      "SELECT { n: count(*), lo: min(score), hi: max(score), total: sum(price), "
      "avg: avg(score) } FROM Item WHERE owner = 2",
      "SELECT { name, top: [SELECT { id, score } FROM Item AS i WHERE i.team = t "
      "ORDER BY i.score DESC LIMIT 2], n: count(SELECT i FROM Item AS i WHERE i.team = t) } "
      "FROM Team AS t ORDER BY rank",
      "SELECT { id, tn: team.name } FROM Item WHERE team.rank = 2 ORDER BY score DESC, id LIMIT 3",
  };
  std::vector<std::unique_ptr<LiveQuery>> live;
  std::vector<Tree> mirrored;
  for (const std::string& q : queries) {
    live.push_back(Live(q));
    ASSERT_NE(live.back(), nullptr);
    EXPECT_EQ(ToJson(live.back()->Result()), ToJson(Fresh(q))) << q;
    mirrored.push_back(live.back()->Result());
  }
  const std::vector<std::string> writes = {
      "UPDATE Item SET score = 99 WHERE id = 4",      // into A's and B's results
      "UPDATE Item SET owner = 1 WHERE id = 5",       // moves a row into A
      "DELETE FROM Item WHERE id = 4",                // the current max goes
      "UPDATE Item SET score = 0 WHERE owner = 2",    // min / max of group 2
      "UPDATE Team SET name = 'green' WHERE id = 2",  // a path and the nested parent
      "UPDATE Item SET team = 1 WHERE id = 8",        // a child changes parent
      "INSERT Item { owner: 1, score: 48, team: 2, price: 1.10 }",
      "DELETE FROM Item WHERE owner = 1",
  };
  for (const std::string& w : writes) {
    Exec(w);
    for (size_t i = 0; i < queries.size(); ++i) {
      EXPECT_EQ(ToJson(live[i]->Result()), ToJson(Fresh(queries[i])))
          << queries[i] << "\nafter " << w << "\n"
          << live[i]->Explain();
      while (std::optional<LiveDiff> d = live[i]->Poll())
        ApplyDiff(&mirrored[i], *d);
      EXPECT_EQ(ToJson(mirrored[i]), ToJson(live[i]->Result())) << queries[i] << " after " << w;
    }
  }
  EXPECT_NE(live[4]->Explain().find("sub-queries"), std::string::npos) << live[4]->Explain();
  EXPECT_NE(live[3]->Explain().find("min (multiset)"), std::string::npos) << live[3]->Explain();
}

TEST_F(LiveTest, MovedRowIsOneMove) {
  Exec("TABLE Item = 1 { score int = 1 INDEX; }");
  for (int i = 1; i <= 10; ++i)
    Exec("INSERT Item { score: " + std::to_string(i * 10) + " }");
  std::vector<LiveDiff> diffs;
  Result<std::unique_ptr<LiveQuery>> q =
      Subscribe(*db_, "SELECT { id, score } FROM Item ORDER BY score LIMIT 5", {},
                [&](const LiveDiff& d, const LiveQuery&) { diffs.push_back(d); });
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  Exec("UPDATE Item SET score = 35 WHERE id = 1");  // from first to third
  ASSERT_EQ(diffs.size(), 1u);
  ASSERT_EQ(diffs[0].changes.size(), 1u) << diffs[0].ToJson();
  EXPECT_EQ(diffs[0].changes[0].kind, LiveChange::Kind::kMoved);
  EXPECT_EQ(diffs[0].ToJson().substr(diffs[0].ToJson().find("\"changes\"")),
            R"("changes":[{"op":"move","id":1,"from":0,"to":2,"row":{"id":1,"score":35}}]})");
  Exec("UPDATE Item SET score = 500 WHERE id = 3");  // leaves; the window refills
  ASSERT_EQ(diffs.size(), 2u);
  EXPECT_EQ(ToJson((*q)->Result()), ToJson(Fresh("SELECT { id, score } FROM Item ORDER BY score "
                                                 "LIMIT 5")));
  Exec("UPDATE Item SET score = 600 WHERE id = 9");  // outside the window: no diff
  EXPECT_EQ(diffs.size(), 2u);
}

// GROUP BY: accumulators per key; a change inside one group is one
// `changed` of that group's row; the last member leaving removes the row.
TEST_F(LiveTest, GroupedAggregateChangesOneGroup) {
  Exec("TABLE Item = 1 { kind string = 1 INDEX; score int = 2; price decimal(9,2) = 3; }");
  for (int i = 0; i < 30; ++i)
    Exec("INSERT Item { kind: 'k" + std::to_string(i % 3) + "', score: " + std::to_string(i) +
         ", price: " + std::to_string(i) + ".10 }");
  const std::string query =
      "SELECT { kind, n: count(*), hi: max(score), total: sum(price) } FROM Item GROUP BY kind";
  std::vector<LiveDiff> diffs;
  Result<std::unique_ptr<LiveQuery>> q =
      Subscribe(*db_, query, {}, [&](const LiveDiff& d, const LiveQuery&) { diffs.push_back(d); });
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_NE((*q)->Explain().find("accumulators per GROUP BY key"), std::string::npos)
      << (*q)->Explain();
  EXPECT_EQ(ToJson((*q)->Result()), ToJson(Fresh(query)));
  Exec("DELETE FROM Item WHERE id = 28");  // k0's max (27 at id 28) goes
  ASSERT_EQ(diffs.size(), 1u);
  ASSERT_EQ(diffs[0].changes.size(), 1u) << diffs[0].ToJson();
  EXPECT_EQ(diffs[0].changes[0].kind, LiveChange::Kind::kChanged);
  EXPECT_EQ(ToJson((*q)->Result()), ToJson(Fresh(query)));
  Exec("INSERT Item { kind: 'new', score: 1, price: 0.01 }");  // a new group
  ASSERT_EQ(diffs.size(), 2u);
  ASSERT_EQ(diffs[1].changes.size(), 1u) << diffs[1].ToJson();
  EXPECT_EQ(diffs[1].changes[0].kind, LiveChange::Kind::kAdded);
  Exec("UPDATE Item SET kind = 'k1' WHERE kind = 'new'");  // it empties again
  ASSERT_EQ(diffs.size(), 3u);
  EXPECT_EQ(ToJson((*q)->Result()), ToJson(Fresh(query)));
  bool removed = false;
  for (const LiveChange& c : diffs[2].changes)
    removed = removed || c.kind == LiveChange::Kind::kRemoved;
  EXPECT_TRUE(removed) << diffs[2].ToJson();
}

// Diffs cost what a commit touched, not the result's size (counted): an
// unlimited list of 3,000 rows, a window with OFFSET, and 1,000 groups.
TEST_F(LiveTest, DiffsLookOnlyAtTouchedRows) {
  Exec("TABLE Item = 1 { kind int = 1; score int = 2 INDEX; }");
  ASSERT_TRUE(db_->Run([&](Transaction& t) -> Status {
                   for (int i = 0; i < 3000; ++i) {
                     Result<uint64_t> id = t.Insert(
                         "Item", {{"kind", Value::Int(i % 1000)}, {"score", Value::Int(i)}});
                     if (!id.ok())
                       return id.status();
                   }
                   return Status::OK();
                 })
                  .ok());
  const std::vector<std::string> queries{
      "SELECT { id, score } FROM Item WHERE score >= 10 ORDER BY score",
      "SELECT { id, score } FROM Item ORDER BY score DESC LIMIT 20 OFFSET 5",
      "SELECT { kind, n: count(*), hi: max(score) } FROM Item GROUP BY kind"};
  std::vector<std::unique_ptr<LiveQuery>> live;
  std::vector<Tree> mirrored;
  for (const std::string& q : queries) {
    live.push_back(Live(q));
    ASSERT_NE(live.back(), nullptr);
    mirrored.push_back(live.back()->Result());
  }
  auto check = [&](const std::string& what) {
    for (size_t i = 0; i < queries.size(); ++i) {
      while (std::optional<LiveDiff> d = live[i]->Poll())
        ApplyDiff(&mirrored[i], *d);
      EXPECT_EQ(ToJson(live[i]->Result()), ToJson(Fresh(queries[i]))) << what << ": " << queries[i];
      EXPECT_EQ(ToJson(mirrored[i]), ToJson(live[i]->Result())) << what << ": " << queries[i];
    }
  };
  std::vector<uint64_t> before;
  for (auto& q : live)
    before.push_back(q->stats().diff_rows);
  // One row moves from the middle of the list to the top; another is
  // deleted; a third is inserted into a new group.
  Exec("UPDATE Item SET score = 5000 WHERE score = 1500");
  Exec("DELETE FROM Item WHERE score = 2990");
  Exec("INSERT Item { kind: 4242, score: 2500 }");
  check("after three commits");
  for (size_t i = 0; i < live.size(); ++i) {
    LiveStats st = live[i]->stats();
    EXPECT_EQ(st.reruns, 0u) << queries[i];
    // At most two rows per commit are touched, plus those the window's
    // LIMIT and OFFSET pushed across (one per boundary and commit).
    EXPECT_LE(st.diff_rows - before[i], 12u) << queries[i];
    EXPECT_GT(st.diff_rows - before[i], 0u) << queries[i];
    std::cout << "[ " << queries[i] << ": " << st.diff_rows - before[i] << " rows diffed ]\n";
  }
}

// A schema change to another type leaves a live query running untouched.
TEST_F(LiveTest, SchemaChangesElsewhereKeepItRunning) {
  Exec("TABLE Item = 1 { score int = 1 INDEX; }");
  for (int i = 0; i < 10; ++i)
    Exec("INSERT Item { score: " + std::to_string(i) + " }");
  const std::string query = "SELECT { id, score } FROM Item ORDER BY score DESC LIMIT 3";
  std::unique_ptr<LiveQuery> q = Live(query);
  ASSERT_NE(q, nullptr);
  Exec("TABLE Other = 2 { x int = 1; }");  // another type
  Exec("INSERT Item { score: 100 }");
  std::optional<LiveDiff> d = q->Poll();
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->error.empty()) << d->error;
  EXPECT_EQ(ToJson(q->Result()), ToJson(Fresh(query)));
  EXPECT_EQ(q->stats().rebinds, 0u);
}

// A schema change to a type a query reads binds the query anew, at once:
// it goes on, with one diff if the change rewrote values it shows, and ends
// with an error diff only when it no longer binds.
TEST_F(LiveTest, SchemaChangesRebindTheQueriesTheyTouch) {
  Exec("TABLE Item = 1 { score int = 1 INDEX; note string = 2; }");
  for (int i = 0; i < 10; ++i)
    Exec("INSERT Item { score: " + std::to_string(i) + ", note: 'n" + std::to_string(i % 3) +
         "' }");
  const std::vector<std::string> texts = {
      "SELECT { id, score, note } FROM Item WHERE score > 2 ORDER BY score DESC LIMIT 3",
      "SELECT { id, note } FROM Item WHERE note = 'n1'",
      "SELECT { note, total: sum(score) } FROM Item GROUP BY note",
      "SELECT count(*) FROM Item WHERE note = 'n1'",
  };
  std::vector<std::unique_ptr<LiveQuery>> qs;
  std::vector<Tree> seen;  // each query's first result with its diffs applied
  for (const std::string& t : texts) {
    qs.push_back(Live(t));
    ASSERT_NE(qs.back(), nullptr);
    seen.push_back(qs.back()->Result());
  }
  // Applies the queries' diffs; returns how many each had.
  auto drain = [&](const std::string& when) {
    std::vector<int> diffs;
    for (size_t i = 0; i < qs.size(); ++i) {
      diffs.push_back(0);
      while (std::optional<LiveDiff> d = qs[i]->Poll()) {
        EXPECT_TRUE(d->error.empty()) << when << ": " << texts[i] << "\n" << d->error;
        ApplyDiff(&seen[i], *d);
        ++diffs.back();
      }
      std::string fresh = ToJson(Canonical(Fresh(texts[i]), texts[i]));
      EXPECT_EQ(ToJson(qs[i]->Result()), fresh) << when << ": " << texts[i];
      EXPECT_EQ(ToJson(seen[i]), fresh) << when << ": " << texts[i];
    }
    return diffs;
  };

  // An index added to a field they read: rebound with no write after it,
  // and nothing to tell (the results are the same).
  Exec("TABLE Item = 1 { score int = 1 INDEX; note string = 2 INDEX; }");
  EXPECT_EQ(drain("index added"), (std::vector<int>{0, 0, 0, 0}));
  for (const auto& q : qs)
    EXPECT_EQ(q->stats().rebinds, 1u);
  // Maintained through the new plans.
  Exec("INSERT Item { score: 50, note: 'n1' }");
  Exec("UPDATE Item SET note = 'n1' WHERE score = 9");
  Exec("DELETE FROM Item WHERE score = 8");
  // A diff per commit that changed a result: the delete of score 8 (note
  // n2) leaves the n1 list and count alone.
  EXPECT_EQ(drain("writes"), (std::vector<int>{3, 2, 3, 2}));
  // A retype rewrites the scores: a diff for each query that shows them.
  Exec("TABLE Item = 1 { score decimal(9,2) = 1 INDEX; note string = 2 INDEX; }");
  EXPECT_EQ(drain("retype"), (std::vector<int>{1, 0, 1, 0}));
  EXPECT_NE(ToJson(qs[0]->Result()).find("50.00"), std::string::npos) << ToJson(qs[0]->Result());
  Exec("UPDATE Item SET score = 7.5 WHERE score = 50");
  EXPECT_EQ(drain("a write after the retype"), (std::vector<int>{1, 0, 1, 0}));
  for (const auto& q : qs)
    EXPECT_EQ(q->stats().rebinds, 2u);

  // `score` renamed: the queries that name it no longer bind and end with an
  // error diff; those that read only `note` go on.
  Exec("TABLE Item = 1 { points decimal(9,2) = 1 INDEX; note string = 2 INDEX; }");
  for (size_t i : {size_t{0}, size_t{2}}) {
    std::optional<LiveDiff> d = qs[i]->Poll();
    ASSERT_TRUE(d.has_value()) << texts[i];
    EXPECT_NE(d->error.find("no longer binds"), std::string::npos) << d->error;
    EXPECT_NE(d->error.find("score"), std::string::npos) << d->error;
    EXPECT_FALSE(qs[i]->Poll().has_value());
  }
  Exec("INSERT Item { points: 3, note: 'n1' }");
  for (size_t i : {size_t{0}, size_t{2}})
    EXPECT_FALSE(qs[i]->Poll().has_value()) << "no diff after the error: " << texts[i];
  for (size_t i : {size_t{1}, size_t{3}}) {
    std::optional<LiveDiff> d = qs[i]->Poll();
    ASSERT_TRUE(d.has_value()) << texts[i];
    EXPECT_TRUE(d->error.empty()) << d->error;
    ApplyDiff(&seen[i], *d);
    EXPECT_EQ(ToJson(seen[i]), ToJson(Fresh(texts[i]))) << texts[i];
    EXPECT_EQ(qs[i]->stats().rebinds, 3u);
  }
}

// A callback subscription gets the rebind's diff from the schema change
// itself, with no commit after it; a handle destroyed later gets nothing.
TEST_F(LiveTest, RebindDiffsReachCallbacks) {
  Exec("TABLE Item = 1 { score int = 1; }");
  for (int i = 0; i < 5; ++i)
    Exec("INSERT Item { score: " + std::to_string(i) + " }");
  const std::string query = "SELECT { id, score } FROM Item WHERE score >= 2";
  std::vector<LiveDiff> got;
  Result<std::unique_ptr<LiveQuery>> q =
      Subscribe(*db_, query, {}, [&](const LiveDiff& d, const LiveQuery&) { got.push_back(d); });
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  Tree seen = (*q)->Result();
  Exec("TABLE Item = 1 { score float = 1 INDEX; }");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].error.empty()) << got[0].error;
  EXPECT_EQ(got[0].changes.size(), 3u);  // rows 3, 4 and 5 changed: ints became floats
  ApplyDiff(&seen, got[0]);
  EXPECT_EQ(ToJson(seen), ToJson(Canonical(Fresh(query), query)));
  Exec("INSERT Item { score: 9 }");
  ASSERT_EQ(got.size(), 2u);
  ApplyDiff(&seen, got[1]);
  EXPECT_EQ(ToJson(seen), ToJson(Canonical(Fresh(query), query)));
  q->reset();
  Exec("TABLE Item = 1 { score float = 1; }");
  Exec("INSERT Item { score: 10 }");
  EXPECT_EQ(got.size(), 2u);
}

// A commit that touches no watched range wakes no live query: counted.
TEST_F(LiveTest, UntouchedCommitsWakeNothing) {
  Exec(R"(
    TABLE Item = 1 { owner int = 1 INDEX; score int = 2 INDEX; note string = 3; }
    TABLE Other = 2 { x int = 1; }
  )");
  for (int i = 0; i < 100; ++i)
    Exec("INSERT Item { owner: " + std::to_string(i % 10) + ", score: " + std::to_string(i) +
         ", note: 'n' }");
  auto count = Live("SELECT count(*) FROM Item WHERE score > 50");
  auto window = Live("SELECT id FROM Item WHERE owner = 7 ORDER BY score DESC LIMIT 5");
  ASSERT_TRUE(count && window);
  Exec("INSERT Other { x: 1 }");                    // another type
  Exec("UPDATE Item SET score = 10 WHERE id = 3");  // 2 -> 10: outside score > 50
  Exec("UPDATE Item SET owner = 3 WHERE id = 5");   // 4 -> 3: outside owner = 7
  EXPECT_EQ(count->stats().wakeups, 0u);
  EXPECT_EQ(window->stats().wakeups, 0u);
  Exec("UPDATE Item SET note = 'm' WHERE id = 9");  // an attribute nobody reads
  EXPECT_EQ(count->stats().wakeups, 0u);
  EXPECT_EQ(window->stats().wakeups, 0u);
  Exec("UPDATE Item SET score = 70 WHERE id = 3");  // into score > 50
  EXPECT_EQ(count->stats().wakeups, 1u);
  EXPECT_EQ(window->stats().wakeups, 0u);  // item 3 is not owner 7's
  EXPECT_EQ(ToJson(count->Result()), "50");
  Exec("UPDATE Item SET owner = 7 WHERE id = 1");  // into owner = 7
  EXPECT_EQ(window->stats().wakeups, 1u);
  EXPECT_EQ(count->stats().wakeups, 1u);
  Exec("UPDATE Item SET score = 200 WHERE id = 1");  // a member's order key
  EXPECT_EQ(window->stats().wakeups, 2u);
  EXPECT_EQ(count->stats().wakeups, 2u);
  EXPECT_EQ(ToJson(window->Result()), "[1,98,88,78,68]");
}

// The registry's counters: commits matched, and the time they spent on the
// maintenance, which grows with commits while queries are live and stays
// put once none are.
TEST_F(LiveTest, RegistryCountsCommitsAndMaintenanceTime) {
  Exec("TABLE Item = 1 { score int = 1 INDEX; }");
  Exec("INSERT Item { score: 1 }");
  LiveRegistryStats s0 = GetLiveRegistryStats(*db_);
  {
    auto q = Live("SELECT count(*) FROM Item WHERE score > 0");
    ASSERT_NE(q, nullptr);
    for (int i = 0; i < 20; ++i)
      Exec("INSERT Item { score: " + std::to_string(i) + " }");
    EXPECT_EQ(ToJson(q->Result()), "20");
  }
  LiveRegistryStats s1 = GetLiveRegistryStats(*db_);
  EXPECT_EQ(s1.commits - s0.commits, 20u);
  EXPECT_GT(s1.maintenance_nanos, s0.maintenance_nanos);
  Exec("INSERT Item { score: 5 }");  // no live query left
  LiveRegistryStats s2 = GetLiveRegistryStats(*db_);
  EXPECT_EQ(s2.commits, s1.commits);
  EXPECT_EQ(s2.maintenance_nanos, s1.maintenance_nanos);
}

// count(*) whose WHERE is an index range of one attribute decides a changed
// subject from its new value against that range (QueryImpl::CountInRange),
// not by evaluating the row: bounds exclusive and inclusive, equality,
// two-sided, a float bound on an int field (rounded inward), NULLs, inserts
// and deletes; values of other types (lax writes of a float or a string into
// the int field) are evaluated by the WHERE's rules (numbers compare by
// value, a string with a number is NULL). Each count must equal a model
// after every commit (and a fresh execution while the field holds only
// ints), and a change of another attribute evaluates nothing.
TEST_F(LiveTest, CountInRangeFollowsTheIndexRange) {
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed);
  Exec("TABLE Item = 1 { score int = 1 INDEX; note string = 2; }");
  struct Q {
    std::string text;
    bool (*match)(double);
  };
  const std::vector<Q> queries{
      {"SELECT count(*) FROM Item WHERE score > 10", [](double v) { return v > 10; }},
      {"SELECT count(*) FROM Item WHERE score >= 10", [](double v) { return v >= 10; }},
      {"SELECT count(*) FROM Item WHERE score < 5", [](double v) { return v < 5; }},
      {"SELECT count(*) FROM Item WHERE score = 7", [](double v) { return v == 7; }},
      {"SELECT count(*) FROM Item WHERE score BETWEEN 3 AND 9",
       [](double v) { return v >= 3 && v <= 9; }},
      {"SELECT count(*) FROM Item WHERE score > 2.5", [](double v) { return v > 2.5; }},
      {"SELECT count(*) FROM Item WHERE score <= 7.5", [](double v) { return v <= 7.5; }},
      {"SELECT count(*) FROM Item WHERE score >= 4 AND score < 12",
       [](double v) { return v >= 4 && v < 12; }}};
  // The model: each live subject's score as written (nullopt: NULL; a
  // string never matches).
  struct Score {
    bool is_number = false;
    double number = 0;
  };
  std::map<uint64_t, Score> model;
  bool mixed = false;  // the second half writes floats and strings too
  auto value = [&](Score* s) -> std::string {
    int pick = static_cast<int>(rng() % 12);
    if (pick == 0)
      return "null";
    if (mixed && pick == 1) {
      *s = {true, 7.5};
      return "7.5";  // lax: kept as a float
    }
    if (mixed && pick == 2)
      return "'12'";  // lax: kept as a string
    int v = static_cast<int>(rng() % 24) - 2;
    *s = {true, static_cast<double>(v)};
    return std::to_string(v);
  };
  auto insert = [&] {
    Score sc;
    std::string v = value(&sc);
    Result<std::vector<StatementResult>> r =
        session_->Execute("INSERT Item { score: " + v + ", note: 'n' }");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->back().ids.size(), 1u);
    model[r->back().ids[0]] = sc;
  };
  auto expected = [&](const Q& q) {
    int64_t n = 0;
    for (const auto& [id, sc] : model)
      n += sc.is_number && q.match(sc.number);
    return std::to_string(n);
  };
  for (int i = 0; i < 60; ++i)
    insert();
  std::vector<std::unique_ptr<LiveQuery>> live;
  for (const Q& q : queries) {
    live.push_back(Live(q.text));
    ASSERT_NE(live.back(), nullptr);
    EXPECT_NE(live.back()->Explain().find("lies in the WHERE's index range"), std::string::npos)
        << live.back()->Explain();
    EXPECT_EQ(ToJson(live.back()->Result()), expected(q)) << q.text;
  }
  for (int k = 0; k < 800; ++k) {
    mixed = k >= 400;
    const int op = static_cast<int>(rng() % 10);
    auto pick = [&] { return std::next(model.begin(), static_cast<long>(rng() % model.size())); };
    if (op < 2 || model.empty()) {
      insert();
    } else if (op < 3) {
      auto it = pick();
      Exec("DELETE FROM Item WHERE id = " + std::to_string(it->first));
      model.erase(it);
    } else if (op < 4) {
      std::vector<uint64_t> evaluated;
      for (auto& q : live)
        evaluated.push_back(q->stats().evaluated);
      Exec("UPDATE Item SET note = 'x" + std::to_string(k) +
           "' WHERE id = " + std::to_string(pick()->first));
      for (size_t i = 0; i < live.size(); ++i)
        EXPECT_EQ(live[i]->stats().evaluated, evaluated[i]) << queries[i].text;
    } else if (op < 5 && model.size() > 1) {
      // One commit changing one subject's note and another's score: the
      // first is in the change set without a change of the counted value.
      auto a = pick(), b = pick();
      if (a == b)
        continue;
      Score sc;
      Exec("BEGIN; UPDATE Item SET note = 'y' WHERE id = " + std::to_string(a->first) +
           "; UPDATE Item SET score = " + value(&sc) + " WHERE id = " + std::to_string(b->first) +
           "; COMMIT");
      b->second = sc;
    } else {
      auto it = pick();
      Score sc;
      Exec("UPDATE Item SET score = " + value(&sc) + " WHERE id = " + std::to_string(it->first));
      it->second = sc;
    }
    for (size_t i = 0; i < live.size(); ++i) {
      ASSERT_EQ(ToJson(live[i]->Result()), expected(queries[i]))
          << "seed " << seed << " op " << k << ": " << queries[i].text;
      if (!mixed) {
        ASSERT_EQ(ToJson(live[i]->Result()), ToJson(Fresh(queries[i].text)))
            << "seed " << seed << " op " << k << ": " << queries[i].text;
      }
    }
  }
}

// A window ordered by an attribute, with no WHERE, is not woken by a change
// of that attribute past its last row for a subject it does not hold (the
// registry's pre-check, QueryImpl::MayMatter): an `ORDER BY score LIMIT n`
// would otherwise wake for every score change. Random updates (ties with
// the bound are frequent in a small domain, NULLs too), inserts and deletes;
// each window, ascending and descending, with and without OFFSET, must equal
// a fresh execution after every commit, and most score updates must wake
// nothing.
TEST_F(LiveTest, WindowSkipsChangesPastItsBound) {
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed);
  Exec("TABLE Item = 1 { score int = 1 INDEX; note string = 2; }");
  std::vector<uint64_t> ids;
  for (int i = 0; i < 150; ++i) {
    Result<std::vector<StatementResult>> r =
        session_->Execute("INSERT Item { score: " + std::to_string(rng() % 200) + ", note: 'n' }");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  auto all_ids = [&] {
    std::vector<uint64_t> out;
    Tree all = Fresh("SELECT id FROM Item");
    for (const Tree& row : all.items())
      out.push_back(row.subject());
    return out;
  };
  ids = all_ids();
  ASSERT_EQ(ids.size(), 150u);
  const std::vector<std::string> queries = {
      "SELECT { id, score } FROM Item ORDER BY score LIMIT 5",
      "SELECT { id, score } FROM Item ORDER BY score DESC, id LIMIT 5 OFFSET 2",
      "SELECT id FROM Item ORDER BY score, id LIMIT 8",
  };
  std::vector<std::unique_ptr<LiveQuery>> live;
  for (const std::string& q : queries) {
    live.push_back(Live(q));
    ASSERT_TRUE(live.back());
  }
  int score_updates = 0, inserts_and_deletes = 0;
  for (int k = 0; k < 600; ++k) {
    const uint64_t dice = rng() % 10;
    const uint64_t id = ids[rng() % ids.size()];
    if (dice < 7) {
      const std::string v = rng() % 20 == 0 ? "NULL" : std::to_string(rng() % 200);
      Exec("UPDATE Item SET score = " + v + " WHERE id = " + std::to_string(id));
      ++score_updates;
    } else if (dice < 8) {
      Exec("UPDATE Item SET note = 'x' WHERE id = " + std::to_string(id));
    } else if (dice < 9) {
      Exec("INSERT Item { score: " + std::to_string(rng() % 200) + ", note: 'n' }");
    } else {
      Exec("DELETE FROM Item WHERE id = " + std::to_string(id));
    }
    if (dice >= 8) {
      ++inserts_and_deletes;
      ids = all_ids();
      ASSERT_FALSE(ids.empty());
    }
    for (size_t q = 0; q < queries.size(); ++q)
      ASSERT_EQ(ToJson(live[q]->Result()), ToJson(Fresh(queries[q])))
          << queries[q] << " after commit " << k << ", TRINE_SEED=" << seed;
  }
  // Inserts and deletes wake it (their presence is watched); without the
  // pre-check so would every score update.
  EXPECT_LT(live[0]->stats().wakeups,
            static_cast<uint64_t>(inserts_and_deletes + score_updates / 2))
      << score_updates << " score updates, " << inserts_and_deletes
      << " inserts and deletes, TRINE_SEED=" << seed;
}

// With 2,000 live queries, a commit wakes exactly the queries whose watched
// values or members it touches, and finding them looks at as many watch
// entries as with 20 queries: the registry's cost does not grow with the
// queries a commit leaves alone. Counted, not timed.
TEST_F(LiveTest, WakingIsFlatInTheNumberOfQueries) {
  Exec("TABLE Item = 1 { owner int = 1 INDEX; score int = 2 INDEX; }");
  constexpr int kQueries = 2000;
  std::vector<uint64_t> ids;  // two rows per owner: row i has owner i % kQueries
  ASSERT_TRUE(db_->Run([&](Transaction& t) -> Status {
                   for (int i = 0; i < 2 * kQueries; ++i) {
                     Result<uint64_t> id = t.Insert(
                         "Item", {{"owner", Value::Int(i % kQueries)}, {"score", Value::Int(i)}});
                     TRINE_RETURN_IF_ERROR(id.status());
                     ids.push_back(*id);
                   }
                   return Status::OK();
                 })
                  .ok());
  // Query k watches owner k: a window (its order key matters for its
  // members only) for even k, a count for odd k.
  auto text = [](int k) {
    return k % 2 == 0 ? "SELECT id FROM Item WHERE owner = " + std::to_string(k) +
                            " ORDER BY score DESC LIMIT 3"
                      : "SELECT count(*) FROM Item WHERE owner = " + std::to_string(k);
  };
  std::vector<std::unique_ptr<LiveQuery>> live;
  auto subscribe = [&](int upto) {
    while (static_cast<int>(live.size()) < upto) {
      live.push_back(Live(text(static_cast<int>(live.size()))));
      ASSERT_NE(live.back(), nullptr);
    }
  };
  // The watch entries one write looks at.
  auto examined = [&](const std::string& write) {
    uint64_t before = GetLiveRegistryStats(*db_).watches_examined;
    Exec(write);
    return GetLiveRegistryStats(*db_).watches_examined - before;
  };
  auto set_score = [&](int row, int score) {
    return "UPDATE Item SET score = " + std::to_string(score) +
           " WHERE id = " + std::to_string(ids[static_cast<size_t>(row)]);
  };
  std::vector<uint64_t> expected(kQueries, 0);

  subscribe(20);
  uint64_t few = examined(set_score(4, 9000));  // a member of window 4
  expected[4] = 1;
  subscribe(kQueries);
  EXPECT_EQ(GetLiveRegistryStats(*db_).queries, static_cast<uint64_t>(kQueries));
  uint64_t many = examined(set_score(6, 9000));  // a member of window 6
  expected[6] = 1;
  std::cout << "[ watch entries examined by one score update: " << few << " with 20 live queries, "
            << many << " with " << kQueries << " ]\n";
  EXPECT_EQ(many, few);
  EXPECT_LE(many, 4u);
  // Owner 9 -> an owner nobody watches: count 9 only; 8 -> 11: both.
  EXPECT_LE(examined("UPDATE Item SET owner = 5000 WHERE id = " + std::to_string(ids[9])), 6u);
  expected[9] = 1;
  EXPECT_LE(examined("UPDATE Item SET owner = 11 WHERE id = " + std::to_string(ids[8])), 6u);
  expected[8] = expected[11] = 1;
  EXPECT_LE(examined("INSERT Item { owner: 13, score: 1 }"), 6u);
  expected[13] = 1;
  // A row of no watched owner, and the score of a row no query holds.
  EXPECT_LE(examined("INSERT Item { owner: 7000, score: 2 }"), 6u);
  EXPECT_LE(examined(set_score(kQueries + 9, 5)), 4u);  // row 9 + kQueries: owner 9, a count's
  for (int k = 0; k < kQueries; ++k)
    ASSERT_EQ(live[static_cast<size_t>(k)]->stats().wakeups, expected[static_cast<size_t>(k)])
        << text(k);
  for (int k : {4, 6, 8, 9, 11, 13})
    EXPECT_EQ(ToJson(live[static_cast<size_t>(k)]->Result()), ToJson(Fresh(text(k)))) << text(k);
}

// Watched values compare as the query compares them: numbers by value across
// int, float and decimal, a whole-number point hashed once whatever its
// type. A value the registry cannot order against the bound (another type)
// wakes the query, as ValueRange::Contains says.
TEST_F(LiveTest, RangeWatchesCompareNumbersByValue) {
  Exec("TABLE M = 1 { d decimal(9,2) = 1 INDEX; f float = 2 INDEX; n int = 3 INDEX; }");
  const std::vector<std::string> queries = {
      "SELECT count(*) FROM M WHERE d = 3",    // 3.00 matches
      "SELECT count(*) FROM M WHERE f = 2",    // 2.0 matches
      "SELECT count(*) FROM M WHERE f = 2.5",  // a point that is no whole number
      "SELECT count(*) FROM M WHERE n BETWEEN 10 AND 20",
      "SELECT count(*) FROM M WHERE d > 4.5",
  };
  std::vector<std::unique_ptr<LiveQuery>> live;
  for (const std::string& q : queries) {
    live.push_back(Live(q));
    ASSERT_NE(live.back(), nullptr);
  }
  QueryParams other_type;
  other_type.positional.push_back(Value::String("x"));
  Result<std::unique_ptr<LiveQuery>> odd =
      Subscribe(*db_, "SELECT count(*) FROM M WHERE n = ?", other_type);
  ASSERT_TRUE(odd.ok()) << odd.status().ToString();
  const std::vector<std::pair<std::string, std::vector<uint64_t>>> steps = {
      {"INSERT M { d: 3.00, f: 2.0, n: 15 }", {1, 1, 0, 1, 0}},
      {"INSERT M { d: 2.99, f: 2.5, n: 21 }", {1, 1, 1, 1, 0}},
      {"INSERT M { d: 4.51, f: -0.0, n: 10 }", {1, 1, 1, 2, 1}},
      {"UPDATE M SET d = 3 WHERE d = 2.99", {2, 1, 1, 2, 1}},
  };
  for (const auto& [write, wakeups] : steps) {
    Exec(write);
    for (size_t i = 0; i < queries.size(); ++i) {
      EXPECT_EQ(live[i]->stats().wakeups, wakeups[i]) << queries[i] << " after " << write;
      EXPECT_EQ(ToJson(live[i]->Result()), ToJson(Fresh(queries[i]))) << queries[i];
    }
  }
  EXPECT_EQ((*odd)->stats().wakeups, 3u);  // every write of n (conservative)
  EXPECT_EQ(ToJson((*odd)->Result()), "0");
}

// A lax int field holding floats and decimals too: sums keep the type a
// fresh execution gives them as inputs of each type come and go, and a
// window orders as the index does (by type first).
TEST_F(LiveTest, LaxNumbersOfEveryTypeSumAndOrderAsFresh) {
  Exec("TABLE T = 1 { v int = 1 INDEX; s string = 2; }");
  const std::vector<std::string> queries = {
      "SELECT { n: count(*), sum: sum(v), avg: avg(v), lo: min(v), hi: max(v) } FROM T",
      "SELECT {id, v} FROM T ORDER BY v LIMIT 3",
      "SELECT {id, v} FROM T ORDER BY v DESC LIMIT 3",
      "SELECT {id, v} FROM T WHERE v IN (2.5e0, 4, 1.2) ORDER BY v",
      "SELECT sum(v) FROM T WHERE s = 'x'",
  };
  std::vector<std::unique_ptr<LiveQuery>> live;
  for (const std::string& q : queries) {
    live.push_back(Live(q));
    ASSERT_NE(live.back(), nullptr);
  }
  const std::vector<std::pair<std::string, std::string>> steps = {
      {"INSERT T { v: 3, s: 'x' }", "3"},
      {"INSERT T { v: 2.5e0, s: 'x' }", "5.5"},  // a float: the sum is a float
      {"INSERT T { v: 1.20, s: 'x' }", "6.7"},
      {"INSERT T { v: 4, s: 'y' }", "6.7"},
      {"DELETE FROM T WHERE id = 2", "4.20"},    // the float gone: a decimal again
      {"UPDATE T SET v = 2 WHERE id = 3", "5"},  // the decimal gone: an int again
      {"UPDATE T SET v = 0.5e0 WHERE id = 4", "5"},
      // A string: sum(v) over every row fails (in both), the rest go on.
      {"INSERT T { v: 'a', s: 'y' }", "5"},
      {"UPDATE T SET v = 1.5e0 WHERE id = 1", "3.5"},
  };
  bool string_in = false;
  for (const auto& [write, sum] : steps) {
    Exec(write);
    string_in = string_in || write.find("'a'") != std::string::npos;
    for (size_t i = string_in ? 1 : 0; i < queries.size(); ++i)
      EXPECT_EQ(ToJson(live[i]->Result()), ToJson(Fresh(queries[i])))
          << queries[i] << " after " << write;
    EXPECT_EQ(ToJson(live[4]->Result()), sum) << "after " << write;
  }
}

// Making `ORDER BY indexed LIMIT 50` live reads O(50) entries, not O(rows).
TEST_F(LiveTest, HydrationReadsOnlyTheWindow) {
  Exec("TABLE Item = 1 { score int = 1 INDEX; title string = 2; }");
  constexpr int kRows = 100000;
  for (int b = 0; b < kRows / 5000; ++b) {
    ASSERT_TRUE(db_->Run(
                       [&](Transaction& t) -> Status {
                         for (int i = 0; i < 5000; ++i) {
                           int n = b * 5000 + i;
                           TRINE_RETURN_IF_ERROR(
                               t.Insert("Item", {{"score", Value::Int((n * 7919) % 1000003)},
                                                 {"title", Value::String("t")}})
                                   .status());
                         }
                         return Status::OK();
                       },
                       {.durability = Durability::kRelaxed})
                    .ok());
  }
  auto q = Live("SELECT { id, score } FROM Item ORDER BY score DESC LIMIT 50");
  ASSERT_TRUE(q);
  LiveStats s = q->stats();
  std::cout << "[ hydration over " << kRows << " rows: " << s.hydration.entries_read << " entries, "
            << s.hydration.seeks << " seeks ]\n";
  // 100 rows held (the window and as many past it): index entries plus the
  // held rows' columns. Bounded well below the row count.
  EXPECT_LE(s.hydration.entries_read, 500u);
  EXPECT_EQ(q->Result().items().size(), 50u);
  EXPECT_TRUE(q->ready());
}

TEST_F(LiveTest, SessionLiveSelectAndExplainLive) {
  std::vector<std::pair<uint64_t, std::string>> got;
  SessionOptions o;
  o.on_live = [&](uint64_t id, const LiveDiff& d) { got.emplace_back(id, d.ToJson()); };
  Session s(*db_, o);
  ASSERT_TRUE(s.Execute("TABLE T = 1 { x int = 1 INDEX; }").ok());
  Result<std::vector<StatementResult>> r = s.Execute("LIVE SELECT count(*) FROM T WHERE x > 1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->back().verb, "LIVE");
  EXPECT_EQ(r->back().ToJson(), "0");
  ASSERT_TRUE(s.Execute("INSERT T { x: 5 }").ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second.substr(got[0].second.find(",")), R"(,"value":1})");
  Result<std::vector<StatementResult>> e =
      s.Execute("EXPLAIN LIVE SELECT count(*) FROM T WHERE x > 1");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_NE(e->back().text.find("T.x in range [1, +inf]"), std::string::npos) << e->back().text;
  Result<std::vector<StatementResult>> bad = s.Execute("LIVE SELECT nope FROM T");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("1:13"), std::string::npos) << bad.status().message();
}

// ------------------------------------------------------------ differential --

// Replays `ops` on a fresh store with `query` live; true if the maintained
// result differs from a fresh execution after some op.
bool Fails(const std::string& query, const std::vector<std::string>& setup,
           const std::vector<std::string>& ops) {
  test::TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  if (!db.ok())
    return false;
  Session s(**db);
  for (const std::string& t : setup)
    (void)s.Execute(t);
  auto q = Subscribe(**db, query);
  if (!q.ok())
    return false;
  for (const std::string& op : ops) {
    (void)s.Execute(op);
    auto fresh = s.Execute(query);
    if (!fresh.ok())
      return false;
    if (ToJson((*q)->Result()) != ToJson(Canonical(fresh->back().value, query)))
      return true;
  }
  return false;
}

TEST(LiveDifferentialTest, MaintainedEqualsFresh) {
  uint64_t seed = TestSeed();
  std::cout << "[ live differential seed " << seed << " (TRINE_SEED to replay) ]\n";
  const int rounds = static_cast<int>(test::EnvInt("TRINE_LIVE_ROUNDS", 10));
  const int queries_per_round = static_cast<int>(test::EnvInt("TRINE_LIVE_QUERIES", 30));
  const int commits_per_round = static_cast<int>(test::EnvInt("TRINE_LIVE_COMMITS", 2000));
  LiveDifferential gen(seed);
  uint64_t total_commits = 0, total_checks = 0, total_diffs = 0;
  for (int round = 0; round < rounds; ++round) {
    test::TempDir dir;
    auto db = Database::Open(dir.Sub("db"));
    ASSERT_TRUE(db.ok());
    Session s(**db);
    std::vector<std::string> setup{kGenSchema};
    for (int i = 0; i < 12; ++i)
      setup.push_back("INSERT P { name: 'p" + std::to_string(i) +
                      "', rank: " + std::to_string(gen.R(10)) + " }");
    gen.next_c_ = 0;
    for (int i = 0; i < 120; ++i) {
      setup.push_back(gen.InsertC());
      ++gen.next_c_;
    }
    for (const std::string& t : setup)
      ASSERT_TRUE(s.Execute(t).ok()) << t;
    std::vector<std::string> queries;
    std::vector<std::unique_ptr<Session::Prepared>> fresh_stmt;
    std::vector<std::unique_ptr<LiveQuery>> live;
    std::vector<Tree> mirrored;
    for (int i = 0; i < queries_per_round; ++i) {
      queries.push_back(gen.Query());
      auto q = Subscribe(**db, queries.back());
      ASSERT_TRUE(q.ok()) << queries.back() << "\n" << q.status().ToString();
      mirrored.push_back((*q)->Result());
      live.push_back(std::move(*q));
      auto p = s.Prepare(queries.back());
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      fresh_stmt.push_back(std::move(*p));
    }
    std::vector<std::string> ops;
    for (int k = 0; k < commits_per_round; ++k) {
      ops.push_back(gen.Write());
      (void)s.Execute(ops.back());  // writes may fail (a deleted id): then nothing changed
      ++total_commits;
      for (size_t i = 0; i < live.size(); ++i) {
        auto fresh = fresh_stmt[i]->Run({});
        ASSERT_TRUE(fresh.ok()) << queries[i] << "\n" << fresh.status().ToString();
        std::string want = ToJson(Canonical(fresh->value, queries[i]));
        std::string got = ToJson(live[i]->Result());
        while (std::optional<LiveDiff> d = live[i]->Poll()) {
          ASSERT_TRUE(d->error.empty()) << d->error;
          ApplyDiff(&mirrored[i], *d);
          ++total_diffs;
        }
        ++total_checks;
        if (got != want || ToJson(mirrored[i]) != got) {
          std::cout << "[ mismatch at round " << round << " commit " << k << ": " << queries[i]
                    << "; shrinking " << ops.size() << " ops ]" << std::endl;
          std::vector<std::string> repro = test::ShrinkOps(
              ops, [&](const std::vector<std::string>& o) { return Fails(queries[i], setup, o); });
          std::string text;
          for (const std::string& op : repro)
            text += "  " + op + ";\n";
          FAIL() << "seed " << seed << " round " << round << " commit " << k
                 << "\nquery: " << queries[i] << "\nlive:   " << got << "\nfresh:  " << want
                 << "\ndiffs applied: " << ToJson(mirrored[i]) << "\n"
                 << live[i]->Explain() << "\nreproducing ops after the setup (" << repro.size()
                 << "):\n"
                 << text;
        }
      }
    }
  }
  std::cout << "[ " << rounds * queries_per_round << " live queries, " << total_commits
            << " commits, " << total_checks << " comparisons, " << total_diffs
            << " diffs applied ]\n";
}

}  // namespace
}  // namespace trine
