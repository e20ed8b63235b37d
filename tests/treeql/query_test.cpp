// End-to-end TreeQL: statements run through a Session on a real store, results
// compared as exact JSON; EXPLAIN and read counts pin the access paths.
#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "tests/util/test_util.h"
#include "treeql/ops.h"
#include "trine/database.h"
#include "trine/treeql.h"

namespace trine {
namespace {

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Database>> db = Database::Open(dir_.Sub("db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    session_ = std::make_unique<Session>(*db_);
  }

  // Runs `text`; returns the JSON of the last statement's result.
  std::string Run(const std::string& text, const QueryParams& params = {}) {
    Result<std::vector<StatementResult>> r = session_->Execute(text, params);
    EXPECT_TRUE(r.ok()) << text << "\n" << r.status().ToString();
    if (!r.ok() || r->empty())
      return "<error>";
    return r->back().ToJson();
  }
  StatementResult RunOne(const std::string& text, const QueryParams& params = {}) {
    Result<std::vector<StatementResult>> r = session_->Execute(text, params);
    EXPECT_TRUE(r.ok()) << text << "\n" << r.status().ToString();
    if (!r.ok() || r->empty())
      return {};
    return std::move(r->back());
  }
  std::string Error(const std::string& text, const QueryParams& params = {}) {
    Result<std::vector<StatementResult>> r = session_->Execute(text, params);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? "<ok>" : r.status().message();
  }
  std::string Explain(const std::string& query) {
    StatementResult r = RunOne("EXPLAIN " + query);
    return r.text;
  }

  void LoadPeople() {
    Run(R"(
      TABLE User = 1 {
        name string = 1 INDEX;
        age int = 2 INDEX;
        city string = 3;
        boss REF User = 4;
        score decimal(9,2) = 5;
      }
      TABLE Post = 2 {
        author REF User = 1;
        title string = 2;
        likes int = 3 INDEX;
      }
      INSERT User { name: 'ann', age: 31, city: 'Oslo', score: 10.50 };
      INSERT User { name: 'bob', age: 25, city: 'Rome', boss: 1 };
      INSERT User { name: 'cid', age: 40, boss: 1, score: 7.25 };
      INSERT User { name: 'dee', city: 'Oslo', boss: 2 };
      INSERT Post { author: 1, title: 'hello', likes: 5 };
      INSERT Post { author: 1, title: 'again', likes: 9 };
      INSERT Post { author: 2, title: 'rome', likes: 1 };
      INSERT Post { author: 3, title: 'forty', likes: 9 };
    )");
  }

  test::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Session> session_;
};

TEST_F(QueryTest, ShapesAndFilters) {
  LoadPeople();
  EXPECT_EQ(Run("SELECT { name, age } FROM User WHERE age > 30 ORDER BY age"),
            R"([{"name":"ann","age":31},{"name":"cid","age":40}])");
  EXPECT_EQ(Run("SELECT name FROM User WHERE city = 'Oslo' ORDER BY name DESC"),
            R"(["dee","ann"])");
  // NULLs: unknown comparisons drop the row; IS NULL finds it.
  EXPECT_EQ(Run("SELECT name FROM User WHERE NOT (age > 30)"), R"(["bob"])");
  EXPECT_EQ(Run("SELECT name FROM User WHERE age IS NULL"), R"(["dee"])");
  EXPECT_EQ(Run("SELECT name FROM User WHERE age NOT IN (25, NULL)"), "[]");
  EXPECT_EQ(Run("SELECT name FROM User WHERE age BETWEEN 25 AND 35 ORDER BY id"),
            R"(["ann","bob"])");
  EXPECT_EQ(Run("SELECT name FROM User WHERE name LIKE '_e%' OR city LIKE 'R%' ORDER BY id"),
            R"(["bob","dee"])");
  // LIKE 'prefix%' on an indexed attribute reads the prefix's range only.
  EXPECT_EQ(Run("SELECT name FROM User WHERE name LIKE 'b%'"), R"(["bob"])");
  EXPECT_EQ(Run("SELECT name FROM User WHERE name LIKE 'c_d' AND name IN ('cid', 'bob')"),
            R"(["cid"])");
  EXPECT_NE(Explain("SELECT name FROM User WHERE name LIKE 'b%'").find(R"(name LIKE "b%")"),
            std::string::npos);
  // NULLs last in both directions; ties by id in the last key's direction.
  EXPECT_EQ(Run("SELECT name FROM User ORDER BY age DESC"), R"(["cid","ann","bob","dee"])");
  EXPECT_EQ(Run("SELECT name FROM User ORDER BY city, name"), R"(["ann","dee","bob","cid"])");
  EXPECT_EQ(Run("SELECT name FROM User ORDER BY age NULLS FIRST LIMIT 2"), R"(["dee","bob"])");
  EXPECT_EQ(Run("SELECT name FROM User ORDER BY age LIMIT 2 OFFSET 1"), R"(["ann","cid"])");
  // Computed values, exact decimals, string concatenation.
  EXPECT_EQ(Run("SELECT { n: name || '!', s: score + 1, a: age * 2 } FROM User WHERE id = 1"),
            R"([{"n":"ann!","s":11.50,"a":62}])");
  EXPECT_EQ(Run("SELECT { * } FROM User WHERE id = 2"),
            R"([{"id":2,"name":"bob","age":25,"city":"Rome","boss":1,"score":null}])");
}

TEST_F(QueryTest, ParametersAndScalars) {
  LoadPeople();
  QueryParams p;
  p.positional = {Value::Int(30)};
  p.named = {{"c", Value::String("Oslo")}};
  EXPECT_EQ(Run("SELECT name FROM User WHERE age > ? OR city = :c ORDER BY id", p),
            R"(["ann","cid","dee"])");
  EXPECT_EQ(Run("SELECT count(*) FROM User WHERE age >= 30"), "2");
  EXPECT_EQ(Run("SELECT { n: count(*), total: sum(score), lo: min(age), hi: max(age) } FROM User"),
            R"({"n":4,"total":17.75,"lo":25,"hi":40})");
  EXPECT_EQ(Run("SELECT 1 + 2 * 3"), "7");
  EXPECT_EQ(Run("SELECT count(SELECT p FROM Post AS p WHERE p.likes = 9)"), "2");
}

TEST_F(QueryTest, NestedAndPaths) {
  LoadPeople();
  EXPECT_EQ(Run("SELECT { name, posts: [SELECT { title, likes } FROM Post AS p WHERE p.author = u "
                "ORDER BY p.likes DESC] } FROM User AS u WHERE u.age > 30 ORDER BY u.age"),
            R"([{"name":"ann","posts":[{"title":"again","likes":9},{"title":"hello","likes":5}]},)"
            R"({"name":"cid","posts":[{"title":"forty","likes":9}]}])");
  EXPECT_EQ(
      Run("SELECT { name, n: count(SELECT p FROM Post AS p WHERE p.author = u), "
          "any: exists(SELECT p FROM Post AS p WHERE p.author = u AND p.likes > 4), "
          "best: (SELECT max(p.likes) FROM Post AS p WHERE p.author = u) } "
          "FROM User AS u ORDER BY id"),
      R"([{"name":"ann","n":2,"any":true,"best":9},{"name":"bob","n":1,"any":false,"best":1},)"
      R"({"name":"cid","n":1,"any":true,"best":9},{"name":"dee","n":0,"any":false,"best":null}])");
  // Forward reference paths and reverse traversal.
  EXPECT_EQ(
      Run("SELECT { title, who: p.author.name, boss: p.author.boss.name } FROM Post AS p "
          "ORDER BY id"),
      R"([{"title":"hello","who":"ann","boss":null},{"title":"again","who":"ann","boss":null},)"
      R"({"title":"rome","who":"bob","boss":"ann"},{"title":"forty","who":"cid","boss":"ann"}])");
  EXPECT_EQ(Run("SELECT { name, team: u<-User.boss, titles: u<-Post.author.title } FROM User AS u "
                "WHERE id = 1"),
            R"([{"name":"ann","team":[2,3],"titles":["hello","again"]}])");
  EXPECT_EQ(Run("SELECT name FROM User AS u WHERE count(u<-Post.author) >= 2"), R"(["ann"])");
  EXPECT_EQ(Run("SELECT title FROM Post AS p WHERE p.author.city = 'Oslo' ORDER BY id"),
            R"(["hello","again"])");
}

TEST_F(QueryTest, GroupBy) {
  LoadPeople();
  // One row per key, in key order (NULL last); keys and aggregates only.
  EXPECT_EQ(Run("SELECT { city, n: count(*), total: sum(score) } FROM User GROUP BY city"),
            R"([{"city":"Oslo","n":2,"total":10.50},{"city":"Rome","n":1,"total":null},)"
            R"({"city":null,"n":1,"total":7.25}])");
  // WHERE filters rows before grouping; ORDER BY sorts groups, by keys or
  // aggregates; LIMIT / OFFSET count groups.
  EXPECT_EQ(Run("SELECT { a: author, n: count(*), best: max(likes) } FROM Post WHERE likes > 1 "
                "GROUP BY author ORDER BY count(*) DESC, author LIMIT 1"),
            R"([{"a":1,"n":2,"best":9}])");
  EXPECT_EQ(Run("SELECT { likes, n: count(*) } FROM Post GROUP BY likes ORDER BY likes DESC "
                "OFFSET 1"),
            R"([{"likes":5,"n":1},{"likes":1,"n":1}])");
  // Expressions as keys, several keys, and a projection of the key alone.
  EXPECT_EQ(Run("SELECT { big: likes > 4, n: count(*) } FROM Post GROUP BY likes > 4"),
            R"([{"big":false,"n":1},{"big":true,"n":3}])");
  EXPECT_EQ(Run("SELECT city FROM User WHERE city IS NOT NULL GROUP BY city"),
            R"(["Oslo","Rome"])");
  EXPECT_EQ(Run("SELECT { author, likes } FROM Post GROUP BY author, likes ORDER BY author, likes"),
            R"([{"author":1,"likes":5},{"author":1,"likes":9},{"author":2,"likes":1},)"
            R"({"author":3,"likes":9}])");
  // No rows: no groups (unlike an aggregate without GROUP BY: one row).
  EXPECT_EQ(Run("SELECT count(*) FROM User WHERE age > 99 GROUP BY city"), "[]");
  EXPECT_EQ(Run("SELECT count(*) FROM User WHERE age > 99"), "0");
  // Per parent in a sub-query.
  EXPECT_EQ(Run("SELECT { name, by_likes: [SELECT { likes, n: count(*) } FROM Post AS p "
                "WHERE p.author = u GROUP BY likes] } FROM User AS u WHERE id <= 2"),
            R"([{"name":"ann","by_likes":[{"likes":5,"n":1},{"likes":9,"n":1}]},)"
            R"({"name":"bob","by_likes":[{"likes":1,"n":1}]}])");
  EXPECT_NE(Explain("SELECT { city, n: count(*) } FROM User GROUP BY city").find("group by: city"),
            std::string::npos);
  // Errors point at the offending spot.
  EXPECT_EQ(Error("SELECT { name, n: count(*) } FROM User GROUP BY city"),
            "1:10: with GROUP BY, the projection can use a row's attributes only as GROUP BY "
            "keys or inside count, sum, avg, min or max\n"
            "SELECT { name, n: count(*) } FROM User GROUP BY city\n"
            "         ^");
  EXPECT_NE(Error("SELECT count(*) FROM User GROUP BY count(*)").find("not allowed in GROUP BY"),
            std::string::npos);
  EXPECT_NE(Error("SELECT 1 GROUP BY 1").find("GROUP BY is only allowed after FROM Type"),
            std::string::npos);
}

TEST_F(QueryTest, Writes) {
  LoadPeople();
  StatementResult ins = RunOne("INSERT User { name: 'eve', age: 22 }");
  ASSERT_EQ(ins.ids.size(), 1u);
  EXPECT_EQ(ins.ToJson(), R"({"ok":true,"count":1,"id":)" + std::to_string(ins.ids[0]) + "}");
  EXPECT_EQ(Run("UPDATE User SET age = age + 1 WHERE age < 30"), R"({"ok":true,"count":2})");
  EXPECT_EQ(Run("SELECT age FROM User WHERE name = 'eve'"), "[23]");
  EXPECT_EQ(Run("SET User[2].city = 'Paris'"), R"({"ok":true,"count":1})");
  EXPECT_EQ(Run("RETRACT User[2].age"), R"({"ok":true,"count":1})");
  EXPECT_EQ(Run("SELECT { city, age } FROM User WHERE id = 2"), R"([{"city":"Paris","age":null}])");
  EXPECT_EQ(Run("DELETE FROM User WHERE name = 'eve'"), R"({"ok":true,"count":1})");
  EXPECT_EQ(Run("SELECT count(*) FROM User"), "4");
  // A transaction: all or nothing.
  Run("BEGIN; INSERT User { name: 'fay' }; INSERT User { name: 'gus' }; COMMIT");
  EXPECT_EQ(Run("SELECT count(*) FROM User"), "6");
  Run("BEGIN; DELETE FROM User WHERE name = 'fay'; ROLLBACK");
  EXPECT_EQ(Run("SELECT count(*) FROM User"), "6");
  std::string err = Error("BEGIN; DELETE FROM User WHERE name = 'gus'; SELECT 1 / 0; COMMIT");
  EXPECT_NE(err.find("division by zero"), std::string::npos) << err;
  EXPECT_NE(err.find("rolled back"), std::string::npos) << err;
  EXPECT_FALSE(session_->in_transaction());
  EXPECT_EQ(Run("SELECT count(*) FROM User"), "6");
}

// An UPDATE or DELETE reads the state before it: a sub-query of the written
// type does not see rows the statement already wrote, whatever the order in
// which rows are visited or sub-queries are first run.
TEST_F(QueryTest, WritesReadTheStateBeforeTheStatement) {
  LoadPeople();
  // No score is 1.00 before: the min is NULL and only ann matches.
  EXPECT_EQ(Run("UPDATE User SET score = 1.00 WHERE id = 1 OR age > "
                "(SELECT min(age) FROM User WHERE score = 1.00)"),
            R"({"ok":true,"count":1})");
  // Every new age comes from the same max (40), not from rows already set.
  EXPECT_EQ(Run("UPDATE User SET age = (SELECT max(age) FROM User) + 1 WHERE age IS NOT NULL"),
            R"({"ok":true,"count":3})");
  EXPECT_EQ(Run("SELECT age FROM User WHERE age IS NOT NULL"), "[41,41,41]");
  // ann's city (Oslo) still counts though ann is deleted first: dee goes too.
  EXPECT_EQ(Run("DELETE FROM User WHERE id = 1 OR city IN "
                "(SELECT city FROM User WHERE name = 'ann')"),
            R"({"ok":true,"count":2})");
  EXPECT_EQ(Run("SELECT name FROM User ORDER BY name"), R"(["bob","cid"])");
}

TEST_F(QueryTest, PreparedStatementsSurviveSchemaChanges) {
  LoadPeople();
  Result<std::unique_ptr<Session::Prepared>> q =
      session_->Prepare("SELECT { name, age } FROM User WHERE id = :id");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  QueryParams p;
  p.named = {{"id", Value::Int(2)}};
  Result<StatementResult> r = (*q)->Run(p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToJson(), R"([{"name":"bob","age":25}])");
  // A new field and a dropped index change the schema: the plan is rebuilt.
  Run("TABLE User = 1 { name string = 1 INDEX; age int = 2; city string = 3; boss REF User = 4;"
      " score decimal(9,2) = 5; nick string = 6; }");
  Run("UPDATE User SET age = 26 WHERE id = 2");
  r = (*q)->Run(p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToJson(), R"([{"name":"bob","age":26}])");
  // Missing parameters are an error, not a NULL.
  EXPECT_FALSE((*q)->Run({}).ok());
}

TEST_F(QueryTest, Errors) {
  LoadPeople();
  EXPECT_EQ(Error("SELECT nme FROM User"),
            "1:8: User has no attribute 'nme'\nSELECT nme FROM User\n       ^");
  EXPECT_EQ(Error("SELECT name FROM Usr"),
            "1:18: unknown type 'Usr'\nSELECT name FROM Usr\n                 ^");
  EXPECT_EQ(Error("SELECT name FROM User\nWHERE name > 3"),
            "2:7: type mismatch: cannot compare string with int\nWHERE name > 3\n      ^");
  EXPECT_EQ(Error("SELECT (SELECT name FROM User)"),
            "1:8: (SELECT ...) returned 4 rows; it must return at most one\n"
            "SELECT (SELECT name FROM User)\n       ^");
  EXPECT_EQ(Error("SELECT age / 0 FROM User"),
            "1:8: division by zero\nSELECT age / 0 FROM User\n       ^");
  // A string compared with a time must be a timestamp.
  Run("TABLE Ev { at time = 1; }");
  std::string bad = Error("SELECT at FROM Ev WHERE at > 'soon'");
  EXPECT_EQ(bad.substr(0, 5), "1:30:") << bad;
  EXPECT_NE(bad.find("timestamp"), std::string::npos) << bad;
  EXPECT_EQ(Run("INSERT Ev { at: '2024-05-01T10:00:00Z' }; "
                "SELECT at FROM Ev WHERE at > '2024-01-01T00:00:00Z'"),
            R"(["2024-05-01T10:00:00Z"])");
  // A failed write applies nothing.
  Error("UPDATE User SET age = 100 / (age - 40)");
  EXPECT_EQ(Run("SELECT age FROM User ORDER BY id"), "[31,25,40,null]");
}

// ------------------------------------------------------------- EXPLAIN --

class ExplainTest : public QueryTest {
 protected:
  void LoadMany(int n) {
    Run("TABLE Item { rank int = 1 INDEX; group_id int = 2; label string = 3; }"
        "TABLE Part { item REF Item = 1; weight int = 2; }");
    std::string batch = "BEGIN;";
    for (int i = 0; i < n; ++i)
      batch += "INSERT Item { rank: " + std::to_string((i * 7919) % n) +
               ", group_id: " + std::to_string(i % 10) + ", label: 'x" + std::to_string(i) + "' };";
    batch += "COMMIT";
    Run(batch);
  }
};

TEST_F(ExplainTest, IndexForWhere) {
  LoadMany(2000);
  std::string plan = Explain("SELECT label FROM Item WHERE rank = 5");
  EXPECT_NE(plan.find("access: index Item.rank range rank = 5"), std::string::npos) << plan;
  StatementResult r = RunOne("SELECT label FROM Item WHERE rank = 5");
  EXPECT_EQ(r.count, 1u);
  std::cout << "[ reads ] WHERE rank = 5 over 2,000 rows: " << r.stats.entries_read << " entries, "
            << r.stats.seeks << " seeks\n";
  // One index entry plus one label: far from the 2,000 a scan would read.
  EXPECT_LE(r.stats.entries_read, 4u) << r.stats.entries_read;
  plan = Explain("SELECT label FROM Item WHERE group_id = 5");
  EXPECT_NE(plan.find("access: type scan Item"), std::string::npos) << plan;
}

TEST_F(ExplainTest, OrderByIndexLimitReadsOnlyTheWindow) {
  LoadMany(5000);
  std::string q = "SELECT { rank, label } FROM Item ORDER BY rank DESC LIMIT 10";
  std::string plan = Explain(q);
  EXPECT_NE(plan.find("in ORDER BY order (descending)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("stops after offset + limit"), std::string::npos) << plan;
  StatementResult r = RunOne(q);
  ASSERT_EQ(r.count, 10u);
  std::cout << "[ reads ] ORDER BY rank DESC LIMIT 10 over 5,000 rows: " << r.stats.entries_read
            << " entries, " << r.stats.seeks << " seeks\n";
  EXPECT_EQ(r.value.items()[0].Find("rank")->value(), Value::Int(4999));
  // 10 index entries + 10 labels (+ slack for positioning), not 5,000.
  EXPECT_LE(r.stats.entries_read, 30u) << r.stats.entries_read;
}

// `ORDER BY f, id` and `ORDER BY f DESC, id DESC` are the index's own order
// (equal values come in id order of the scan's direction, NULLs after): no
// sort, and the rows equal those of a sort (`f + 0` is no column, so it
// sorts). Mixed directions sort.
TEST_F(ExplainTest, OrderByIndexThenIdIsIndexOrder) {
  Run("TABLE Score { v int = 1 INDEX; tag string = 2; }");
  std::string batch = "BEGIN;";
  for (int i = 0; i < 600; ++i)
    batch += i % 11 == 0 ? "INSERT Score { tag: 'n' };"
                         : "INSERT Score { v: " + std::to_string((i * 7) % 37) + ", tag: 't' };";
  batch += "COMMIT";
  Run(batch);
  for (std::string tail :
       {"ORDER BY v, id LIMIT 50", "ORDER BY v DESC, id DESC LIMIT 50", "ORDER BY v, id",
        "ORDER BY v DESC, id DESC LIMIT 40 OFFSET 530", "ORDER BY v, id LIMIT 30 OFFSET 530",
        "WHERE v > 20 ORDER BY v DESC, id DESC LIMIT 25", "WHERE v >= 3 ORDER BY v, id"}) {
    std::string q = "SELECT { id, v } FROM Score " + tail;
    std::string plan = Explain(q);
    EXPECT_NE(plan.find("in ORDER BY order"), std::string::npos) << q << "\n" << plan;
    EXPECT_EQ(plan.find("sort:"), std::string::npos) << q << "\n" << plan;
    std::string sorted = q;
    sorted.replace(sorted.find("ORDER BY v"), 10, "ORDER BY v + 0");
    EXPECT_NE(Explain(sorted).find("sort:"), std::string::npos) << Explain(sorted);
    EXPECT_EQ(Run(q), Run(sorted)) << q;
  }
  // Stops after the window: 10 index entries (+ slack), not 600.
  StatementResult r = RunOne("SELECT { id, v } FROM Score ORDER BY v DESC, id DESC LIMIT 10");
  ASSERT_EQ(r.count, 10u);
  EXPECT_LE(r.stats.entries_read, 30u) << r.stats.entries_read;
  for (std::string mixed : {"ORDER BY v, id DESC", "ORDER BY v DESC, id"}) {
    std::string q = "SELECT { id, v } FROM Score " + mixed + " LIMIT 20";
    EXPECT_NE(Explain(q).find("sort:"), std::string::npos) << q << "\n" << Explain(q);
  }
}

TEST_F(ExplainTest, NestedQueriesSeekInBatches) {
  LoadMany(1000);
  std::string parts = "BEGIN;";
  for (int i = 1; i <= 1000; ++i)
    for (int k = 0; k < 2; ++k)
      parts +=
          "INSERT Part { item: " + std::to_string(i) + ", weight: " + std::to_string(k) + " };";
  parts += "COMMIT";
  Run(parts);
  std::string q =
      "SELECT { label, parts: [SELECT weight FROM Part AS p WHERE p.item = i ORDER BY p.weight] } "
      "FROM Item AS i";
  std::string plan = Explain(q);
  EXPECT_NE(plan.find("reference seek Part.item = <outer> (batched"), std::string::npos) << plan;
  StatementResult r = RunOne(q);
  ASSERT_EQ(r.count, 1000u);
  std::cout << "[ reads ] nested [SELECT] over 1,000 parents x 2 children: " << r.stats.entries_read
            << " entries, " << r.stats.seeks << " seeks\n";
  EXPECT_EQ(ToJson(r.value.items()[0]), R"({"label":"x0","parts":[0,1]})");
  // Batched: each column and the reference index are read through one
  // iterator for all 1,000 parents (dense ids step instead of seeking), so
  // the query positions iterators a handful of times, not once per parent.
  EXPECT_LE(r.stats.seeks, 20u) << r.stats.seeks;
  // 1,000 subjects + 1,000 labels + 2,000 reference entries + 2,000 weights.
  EXPECT_LE(r.stats.entries_read, 6000u + 50u) << r.stats.entries_read;
}

// A lax int field holding floats, decimals and strings too (values that do
// not convert are kept as given). The index orders values by type first, but
// WHERE compares numbers of any type by value and a string with a number is
// NULL: ranges, counts and ordered windows must find every match in every
// type's part of the index (once), against a model over random values and
// bounds.
TEST_F(QueryTest, LaxFieldRangesMatchNumbersOfEveryType) {
  const uint64_t seed = test::TestSeed();
  std::mt19937_64 rng(seed);
  // v is indexed, u holds the same values unindexed: a sort must agree
  // with an index scan.
  Run("TABLE T = 1 { v int = 1 INDEX; u int = 2; }");
  struct Row {
    int rank = -1;  // ORDER BY's type order: int 0, float 1, decimal 2; -1 no number
    double number = 0;
  };
  std::map<uint64_t, Row> rows;
  for (int i = 0; i < 150; ++i) {
    int k = static_cast<int>(rng() % 41) - 20;
    std::string lit;
    Row r;
    switch (rng() % 6) {
      case 0:
        lit = std::to_string(k) + ".5e0";  // a float
        r = {1, k + (k < 0 ? -0.5 : 0.5)};
        break;
      case 1:
        lit = std::to_string(k) + ".25";  // a decimal
        r = {2, k + (k < 0 ? -0.25 : 0.25)};
        break;
      case 2:
        lit = rng() % 2 ? "'s'" : "null";
        break;
      default:
        lit = std::to_string(k);
        r = {0, static_cast<double>(k)};
    }
    StatementResult res = RunOne("INSERT T { v: " + lit + ", u: " + lit + " }");
    ASSERT_EQ(res.ids.size(), 1u);
    rows[res.ids[0]] = r;
  }
  auto number = [&] {  // a bound: an int, or halfway, or a decimal, or beyond every int
    int k = static_cast<int>(rng() % 45) - 22;
    switch (rng() % 25 == 0 ? 3 : rng() % 3) {
      case 0:
        return std::pair{std::to_string(k), static_cast<double>(k)};
      case 1:
        return std::pair{std::to_string(k) + ".5e0", k + (k < 0 ? -0.5 : 0.5)};
      case 2:
        return std::pair{std::to_string(k) + ".25", k + (k < 0 ? -0.25 : 0.25)};
      default:
        return k < 0 ? std::pair{std::string("-1e30"), -1e30}
                     : std::pair{std::string("1e30"), 1e30};
    }
  };
  for (int q = 0; q < 300; ++q) {
    auto [a, x] = number();
    auto [b, y] = number();
    std::string where;
    std::function<bool(double)> match;
    switch (rng() % 7) {
      case 0:
        where = "v > " + a, match = [x](double v) { return v > x; };
        break;
      case 1:
        where = "v >= " + a, match = [x](double v) { return v >= x; };
        break;
      case 2:
        where = "v < " + a, match = [x](double v) { return v < x; };
        break;
      case 3:
        where = "v <= " + a, match = [x](double v) { return v <= x; };
        break;
      case 4:
        where = "v = " + a, match = [x](double v) { return v == x; };
        break;
      case 5:
        where = "v BETWEEN " + a + " AND " + b,
        match = [x, y](double v) { return v >= x && v <= y; };
        break;
      default: {
        // An IN list: its values probe every numeric type's part of the index.
        std::vector<double> in{x, y};
        where = "v IN (" + a + ", " + b;
        for (int i = static_cast<int>(rng() % 3); i > 0; --i) {
          auto [c, z] = number();
          where += ", " + c;
          in.push_back(z);
        }
        where += ")";
        match = [in](double v) { return std::find(in.begin(), in.end(), v) != in.end(); };
      }
    }
    std::vector<std::pair<uint64_t, Row>> want;
    for (const auto& [id, r] : rows)
      if (r.rank >= 0 && match(r.number))
        want.emplace_back(id, r);
    SCOPED_TRACE("seed " + std::to_string(seed) + ": WHERE " + where);
    EXPECT_EQ(Run("SELECT count(*) FROM T WHERE " + where), std::to_string(want.size()));
    // The same over the unindexed copy: read by a type scan and sorted.
    std::string where_u = where;
    where_u[0] = 'u';
    // Ordered windows: type first, then value, ties by id in the key's direction.
    const bool desc = rng() % 2;
    const size_t limit = 1 + rng() % 8;
    std::sort(want.begin(), want.end(), [&](const auto& l, const auto& r) {
      auto key = [](const auto& e) { return std::tuple(e.second.rank, e.second.number, e.first); };
      return desc ? key(r) < key(l) : key(l) < key(r);
    });
    std::string expect = "[";
    for (size_t i = 0; i < want.size() && i < limit; ++i)
      expect += (i ? "," : "") + std::to_string(want[i].first);
    expect += "]";
    EXPECT_EQ(Run("SELECT id FROM T WHERE " + where + " ORDER BY v" + (desc ? " DESC" : "") +
                  " LIMIT " + std::to_string(limit)),
              expect);
    EXPECT_EQ(Run("SELECT id FROM T WHERE " + where_u + " ORDER BY u" + (desc ? " DESC" : "") +
                  " LIMIT " + std::to_string(limit)),
              expect);
  }
}

// The sum behind sum() and avg(), as inputs of each type come and go.
TEST(NumericSumTest, KeepsEachTypeApart) {
  treeql::NumericSum sum;
  auto total = [&] {
    Result<Value> t = sum.Total();
    return t.ok() ? t->ToString() : t.status().message();
  };
  EXPECT_EQ(total(), "null");
  sum.Add(Value::Int(3), 1);
  sum.Add(Value::Dec(Decimal{120, 2}), 1);  // 1.20
  EXPECT_EQ(total(), "4.20");
  sum.Add(Value::Float(0.5), 1);
  EXPECT_EQ(total(), "4.7");  // a float while a float is in
  sum.Add(Value::Float(0.5), -1);
  EXPECT_EQ(total(), "4.20");  // the exact decimal again, not 4.2
  sum.Add(Value::String("x"), 1);
  EXPECT_EQ(total(), "needs numbers");
  sum.Add(Value::String("x"), -1);
  EXPECT_EQ(total(), "4.20");
  ASSERT_TRUE(sum.Average().ok());
  EXPECT_EQ(sum.Average()->ToString(), "2.1");
  // A decimal overflow is an error while the decimals that caused it are in.
  const Value big = Value::Dec(Decimal{INT64_MAX / 2 + 1, 0});
  sum.Add(big, 1);
  sum.Add(big, 1);
  EXPECT_TRUE(total().starts_with("decimal overflow")) << total();
  sum.Add(big, -1);
  sum.Add(big, -1);
  sum.Add(Value::Dec(Decimal{120, 2}), -1);
  EXPECT_EQ(total(), "3");  // only the int left: an int
}

}  // namespace
}  // namespace trine
