// Views (schema files' VIEW): their stored rows equal their query over the
// base data of the same commit, after random workloads, after reopening and
// after a kill -9 in the middle of a workload.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "tests/treeql/live_gen.h"
#include "tests/util/test_util.h"
#include "treeql/executor.h"
#include "trine/database.h"
#include "trine/live.h"
#include "trine/schema.h"
#include "trine/treeql.h"

namespace trine {
namespace {

const char* kSchema = R"(
  TABLE P = 1 { name string = 1; rank int = 2 INDEX; }
  TABLE C = 2 { p REF P = 1; a int = 2 INDEX; b int = 3; s string = 4 INDEX;
                d decimal(9,2) = 5; }
)";

// Views over C and P, one of each kind the maintainer handles, and one view
// on a view.
const char* kViews = R"(
  VIEW Hi AS SELECT { id, a: c.a, s: c.s } FROM C AS c WHERE c.a > 10;
  VIEW TopB AS SELECT { id, b } FROM C WHERE b IS NOT NULL ORDER BY b DESC LIMIT 5;
  VIEW ByS AS SELECT { s, n: count(*), lo: min(a), hi: max(b), total: sum(d) } FROM C GROUP BY s;
  VIEW Total AS SELECT { n: count(*), total: sum(d), avg_a: avg(a) } FROM C WHERE a < 15;
  VIEW Named AS SELECT { id, pn: c.p.name, rank: c.p.rank } FROM C AS c WHERE c.p.rank < 5;
  VIEW Busy AS SELECT { id, n: count(SELECT c FROM C AS c WHERE c.p = x) } FROM P AS x
    WHERE exists(SELECT c FROM C AS c WHERE c.p = x AND c.a > 15);
  VIEW BigS AS SELECT { s, n } FROM ByS WHERE n > 3;  -- a view on a view
  VIEW Counted MANUAL AS SELECT { p, n: count(*) } FROM C GROUP BY p;
)";
const char* kOnCommit[] = {"Hi", "TopB", "ByS", "Total", "Named", "Busy", "BigS"};

// Rows as "id: k=v, ..." lines in id order (NULLs omitted, as stored).
std::string StoredRows(Database& db, const std::string& view) {
  TransactionOptions to;
  to.read_only = true;
  std::unique_ptr<Transaction> txn = db.Begin(to);
  std::map<uint64_t, std::string> rows;
  Status s = txn->Scan(view, [&](uint64_t id) {
    rows[id];
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  for (auto& [id, text] : rows) {
    Result<std::optional<Entity>> e = txn->Get(view, id);
    EXPECT_TRUE(e.ok() && e->has_value());
    for (const auto& [k, v] : (*e)->fields)
      text += k + "=" + v.ToString() + " ";
  }
  std::string out;
  for (const auto& [id, text] : rows)
    out += std::to_string(id) + ": " + text + "\n";
  return out;
}

std::string FreshRows(Database& db, const std::string& view) {
  std::optional<TypeInfo> t = db.FindType(view);
  EXPECT_TRUE(t && t->is_view());
  Session session(db);
  Result<std::vector<StatementResult>> r = session.Execute(t->view_query);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok())
    return "<error>";
  const Tree& result = r->back().value;
  std::map<uint64_t, std::string> rows;
  auto add = [&](uint64_t id, const Tree& row) {
    std::string text;
    if (row.is_object()) {
      for (size_t i = 0; i < row.keys().size(); ++i)
        if (row.members()[i].is_value() && !row.members()[i].value().is_null())
          text += row.keys()[i] + "=" + row.members()[i].value().ToString() + " ";
    } else if (row.is_value() && !row.value().is_null()) {
      text += "value=" + row.value().ToString() + " ";
    }
    rows[id] = text;
  };
  if (result.is_array()) {
    for (const Tree& row : result.items())
      add(row.subject(), row);
  } else {
    add(treeql::Executor::GroupId({}), result);
  }
  std::string out;
  for (const auto& [id, text] : rows)
    out += std::to_string(id) + ": " + text + "\n";
  return out;
}

std::string StateOf(Database& db, const std::string& view, const std::string& field) {
  Session session(db);
  Result<std::vector<StatementResult>> r =
      session.Execute("SELECT " + field + " FROM _views WHERE name = '" + view + "'");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? ToJson(r->back().value) : "<error>";
}

class Workload {
 public:
  explicit Workload(uint64_t seed) : rng_(seed) {}
  int R(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  std::string Val(int range) { return R(6) == 0 ? "NULL" : std::to_string(R(range)); }
  std::string Next() {
    switch (R(8)) {
      case 0:
      case 1:
        return "INSERT C { p: " + std::to_string(1 + R(6)) + ", a: " + Val(20) + ", b: " + Val(20) +
               ", s: 's" + std::to_string(R(5)) + "', d: " + std::to_string(R(40)) + "." +
               std::to_string(10 + R(90)) + " }";
      case 2:
        return "UPDATE C SET a = " + Val(20) + " WHERE id = " + std::to_string(7 + R(60));
      case 3:
        return "UPDATE C SET b = " + Val(20) + ", s = 's" + std::to_string(R(5)) +
               "' WHERE id = " + std::to_string(7 + R(60));
      case 4:
        return "UPDATE C SET p = " + std::to_string(1 + R(6)) +
               " WHERE id = " + std::to_string(7 + R(60));
      case 5:
        return "UPDATE P SET rank = " + std::to_string(R(10)) + ", name = 'n" +
               std::to_string(R(9)) + "' WHERE id = " + std::to_string(1 + R(6));
      case 6:
        return "DELETE FROM C WHERE id = " + std::to_string(7 + R(60));
      default:
        return "BEGIN; UPDATE C SET d = d + 1.05 WHERE a = " + std::to_string(R(20)) +
               "; DELETE FROM C WHERE b = " + std::to_string(R(20)) + "; COMMIT";
    }
  }

 private:
  std::mt19937_64 rng_;
};

void LoadBaseAndViews(Database& db) {
  ASSERT_TRUE(ApplySchema(db, kSchema).ok());
  Session s(db);
  for (int i = 1; i <= 6; ++i)
    ASSERT_TRUE(s.Execute("INSERT P { name: 'n" + std::to_string(i) +
                          "', rank: " + std::to_string(i) + " }")
                    .ok());
  Workload w(7);
  for (int i = 0; i < 40; ++i)
    (void)s.Execute(w.Next());
  Result<SchemaReport> r = ApplySchema(db, kViews, "views.trine");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

void ExpectViewsMatch(Database& db, const std::string& when) {
  for (const char* v : kOnCommit) {
    std::string stored = StoredRows(db, v);
    std::string fresh = FreshRows(db, v);
    ASSERT_EQ(stored, fresh) << "view " << v << " " << when;
  }
}

uint64_t SeedFromEnv() {
  const char* env = std::getenv("TRINE_SEED");
  uint64_t seed =
      env != nullptr
          ? std::strtoull(env, nullptr, 10)
          : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) %
                1000000000000ull;
  std::cout << "[ view seed " << seed << " (TRINE_SEED to replay) ]" << std::endl;
  return seed;
}

TEST(ViewTest, RandomWorkloadReopenAndManualRefresh) {
  uint64_t seed = SeedFromEnv();
  test::TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  LoadBaseAndViews(**db);
  ExpectViewsMatch(**db, "after the build");
  EXPECT_EQ(StateOf(**db, "ByS", "state"), R"(["fresh"])");
  // Views are written only by the store.
  auto s = std::make_unique<Session>(**db);
  Result<std::vector<StatementResult>> bad = s->Execute("INSERT Hi { a: 1 }");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Hi is a view"), std::string::npos)
      << bad.status().message();

  Workload w(seed);
  int commits = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 300; ++i, ++commits) {
      std::string op = w.Next();
      (void)s->Execute(op);
      ExpectViewsMatch(**db, "after commit " + std::to_string(commits) + ": " + op);
      if (HasFatalFailure())
        return;
    }
    // Reopen: nothing is rebuilt, and the views still match.
    s.reset();
    db->reset();
    db = Database::Open(dir.Sub("db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    s = std::make_unique<Session>(**db);
    ExpectViewsMatch(**db, "after reopen " + std::to_string(round));
    EXPECT_EQ(StateOf(**db, "ByS", "builds"), "[1]");
  }
  std::cout << "[ " << commits << " random commits, " << std::size(kOnCommit)
            << " on-commit views compared after each, 3 reopens; rows now:";
  for (const char* v : kOnCommit) {
    std::string rows = StoredRows(**db, v);
    std::cout << " " << v << "=" << std::count(rows.begin(), rows.end(), '\n');
  }
  std::cout << " ]" << std::endl;

  // The manual view went stale; REFRESH VIEW makes it fresh and exact.
  EXPECT_EQ(StateOf(**db, "Counted", "state"), R"(["stale"])");
  Result<std::vector<StatementResult>> refreshed = s->Execute("REFRESH VIEW Counted");
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_EQ(refreshed->back().text, "Counted: refreshed");
  EXPECT_EQ(StateOf(**db, "Counted", "state"), R"(["fresh"])");
  EXPECT_EQ(StateOf(**db, "Counted", "builds"), "[2]");
  Result<std::vector<StatementResult>> unknown = s->Execute("REFRESH VIEW Nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("1:14: no view named 'Nope'"), std::string::npos)
      << unknown.status().message();
  EXPECT_EQ(StoredRows(**db, "Counted"), FreshRows(**db, "Counted"));

  // A changed definition rebuilds the view (and only that one).
  Result<SchemaReport> r = ApplySchema(
      **db, "VIEW Hi AS SELECT { id, a: c.a, b: c.b } FROM C AS c WHERE c.a > 12;", "v2.trine");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(StateOf(**db, "Hi", "builds"), "[2]");
  EXPECT_EQ(StateOf(**db, "ByS", "builds"), "[1]");
  ExpectViewsMatch(**db, "after the new definition");

  // A view defined alone (no later schema change) is maintained from the
  // first commit on.
  ASSERT_TRUE(ApplySchema(**db, "VIEW Alone AS SELECT { s, n: count(*) } FROM C GROUP BY s;").ok());
  ASSERT_TRUE(s->Execute("INSERT C { p: 1, a: 1, s: 'zz' }").ok());
  EXPECT_EQ(StoredRows(**db, "Alone"), FreshRows(**db, "Alone"));
  EXPECT_NE(StoredRows(**db, "Alone").find("zz"), std::string::npos);

  // A query error in a view points into the schema file.
  Result<SchemaReport> err =
      ApplySchema(**db, "\nVIEW Bad AS SELECT { nope } FROM C;", "bad.trine");
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("bad.trine:2:"), std::string::npos)
      << err.status().message();
}

// kill -9 of a writer in the middle of a workload: after reopening, every
// view equals its query over the recovered base data.
TEST(ViewTest, KillNineMidWorkload) {
  uint64_t seed = SeedFromEnv();
  test::TempDir dir;
  {
    auto db = Database::Open(dir.Sub("db"));
    ASSERT_TRUE(db.ok());
    LoadBaseAndViews(**db);
  }
  for (int trial = 0; trial < 3; ++trial) {
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      auto db = Database::Open(dir.Sub("db"));
      if (!db.ok())
        _exit(2);
      Session s(**db);
      Workload w(seed + static_cast<uint64_t>(trial));
      for (int i = 0;; ++i) {
        std::string op = w.Next();
        // Mix relaxed and durable commits.
        if (i % 3 == 0 && op.rfind("BEGIN", 0) != 0)
          op = "BEGIN DURABLE; " + op + "; COMMIT";
        (void)s.Execute(op);
      }
    }
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + 200 * trial));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer ended by itself: " << status;
    auto db = Database::Open(dir.Sub("db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ExpectViewsMatch(**db, "after kill -9 #" + std::to_string(trial));
    Session s(**db);
    Result<std::vector<StatementResult>> n = s.Execute("SELECT count(*) FROM C");
    ASSERT_TRUE(n.ok());
    std::cout << "[ kill -9 #" << trial << ": " << ToJson(n->back().value)
              << " rows of C recovered; views match ]" << std::endl;
  }
}

// A store with T { n int, k string } and 20 rows (n 0..19, k 'k0'..'k2').
Result<std::unique_ptr<Database>> OpenWithT(const test::TempDir& dir) {
  TRINE_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(dir.Sub("db")));
  TRINE_RETURN_IF_ERROR(ApplySchema(*db, "TABLE T = 1 { n int = 1; k string = 2; }").status());
  Session s(*db);
  for (int i = 0; i < 20; ++i)
    TRINE_RETURN_IF_ERROR(
        s.Execute("INSERT T { n: " + std::to_string(i) + ", k: 'k" + std::to_string(i % 3) + "' }")
            .status());
  return db;
}

// A schema change of a table views read rebuilds them: retyping a field
// (int to decimal) rewrites the table's values outside view maintenance. A
// rename their queries no longer bind leaves them invalid, and the report
// says so.
TEST(ViewTest, RetypedBaseFieldRebuildsItsViews) {
  test::TempDir dir;
  auto db = OpenWithT(dir);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Result<SchemaReport> made =
      ApplySchema(**db,
                  "VIEW Big AS SELECT { id, n } FROM T WHERE n > 10;\n"
                  "VIEW Sums AS SELECT { k, total: sum(n) } FROM T GROUP BY k;\n"
                  "VIEW Other AS SELECT { id } FROM T WHERE k = 'k1';",
                  "views.trine");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  std::string big_before = StoredRows(**db, "Big");
  auto joined = [](const SchemaReport& r) {
    std::string all;
    for (const std::string& c : r.changes)
      all += c + "\n";
    return all;
  };

  Result<SchemaReport> retype =
      ApplySchema(**db, "TABLE T = 1 { n decimal(9,2) = 1; k string = 2; }", "t.trine");
  ASSERT_TRUE(retype.ok()) << retype.status().ToString();
  std::string report = joined(*retype);
  EXPECT_NE(report.find("Big: rebuilt"), std::string::npos) << report;
  EXPECT_NE(report.find("Sums: rebuilt"), std::string::npos) << report;
  EXPECT_NE(report.find("Other: rebuilt"), std::string::npos) << report;
  EXPECT_NE(StoredRows(**db, "Big"), big_before);  // the values are decimals now
  for (const char* v : {"Big", "Sums", "Other"}) {
    EXPECT_EQ(StoredRows(**db, v), FreshRows(**db, v)) << v;
    EXPECT_EQ(StateOf(**db, v, "state"), R"(["fresh"])") << v;
  }
  // Maintained as before from the next commit, and nothing rebuilt at reopen.
  {
    Session s(**db);
    ASSERT_TRUE(s.Execute("INSERT T { n: 12.5, k: 'k1' }").ok());
    ASSERT_TRUE(s.Execute("UPDATE T SET n = 3 WHERE n = 19").ok());
  }
  std::string builds = StateOf(**db, "Big", "builds");
  db->reset();
  db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(StateOf(**db, "Big", "builds"), builds);
  for (const char* v : {"Big", "Sums", "Other"})
    EXPECT_EQ(StoredRows(**db, v), FreshRows(**db, v)) << v;

  // A table change that views do not read rebuilds nothing.
  Result<SchemaReport> unrelated = ApplySchema(**db, "TABLE U = 50 { x int = 1; }", "u.trine");
  ASSERT_TRUE(unrelated.ok()) << unrelated.status().ToString();
  EXPECT_EQ(joined(*unrelated).find("rebuilt"), std::string::npos) << joined(*unrelated);
  EXPECT_EQ(StateOf(**db, "Big", "builds"), builds);

  // Renaming n: Big and Sums no longer bind; Other (reads k) is rebuilt.
  Result<SchemaReport> rename = ApplySchema(
      **db, "TABLE T = 1 { amount decimal(9,2) = 1; k string = 2; } TABLE U = 50 { x int = 1; }",
      "t.trine");
  ASSERT_TRUE(rename.ok()) << rename.status().ToString();
  report = joined(*rename);
  EXPECT_NE(report.find("Big: invalid, its query no longer binds"), std::string::npos) << report;
  EXPECT_NE(report.find("Sums: invalid, its query no longer binds"), std::string::npos) << report;
  EXPECT_EQ(StateOf(**db, "Big", "state"), R"(["invalid"])");
  EXPECT_EQ(StateOf(**db, "Other", "state"), R"(["fresh"])");
  EXPECT_EQ(StoredRows(**db, "Other"), FreshRows(**db, "Other"));
}

// The same through Database::UpdateSchema called directly (no schema file):
// the views reading the retyped table are rebuilt and reported.
TEST(ViewTest, DirectSchemaUpdateRebuildsItsViews) {
  test::TempDir dir;
  auto db = OpenWithT(dir);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(
      ApplySchema(**db, "VIEW Big AS SELECT { id, n } FROM T WHERE n > 10;", "v.trine").ok());
  std::string before = StoredRows(**db, "Big");
  std::string builds = StateOf(**db, "Big", "builds");
  std::optional<TypeInfo> t = (*db)->FindType("T");
  ASSERT_TRUE(t.has_value());
  for (FieldInfo& f : t->fields)
    if (f.name == "n") {
      f.type = FieldType::kDecimal;
      f.precision = 9;
      f.scale = 2;
    }
  Result<SchemaReport> r = (*db)->UpdateSchema({*t});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string report;
  for (const std::string& c : r->changes)
    report += c + "\n";
  EXPECT_NE(report.find("Big: rebuilt"), std::string::npos) << report;
  EXPECT_NE(StoredRows(**db, "Big"), before);  // the values are decimals now
  EXPECT_EQ(StoredRows(**db, "Big"), FreshRows(**db, "Big"));
  EXPECT_EQ(StateOf(**db, "Big", "state"), R"(["fresh"])");
  EXPECT_NE(StateOf(**db, "Big", "builds"), builds);
}

// The generated views' differential: the live-query differential's random
// queries (all but those with nested lists, which a view cannot store) as ON
// COMMIT views, plus a view on one of them, over random writes and, in the
// second round, a schema change that rewrites a table's values; after every
// commit each view's stored rows equal its query over the same data, and
// again after reopening the store. A failure prints the seed and the
// shortest sequence of writes found that still breaks the view.

// A write list entry that is a schema change rather than a statement: C's
// field b retyped from int to float (every value rewritten) and a field
// added, so every view reading C is rebuilt.
constexpr const char* kRetypeC = "<schema: C.b int -> float, C.e added>";

Status RunOp(Database& db, const std::string& op) {
  if (op == kRetypeC) {
    std::string schema = test::kGenSchema;
    size_t b = schema.find("b int = 3;");
    schema.replace(b, std::string("b int = 3;").size(), "b float = 3;");
    size_t f = schema.find("f float = 6;");
    schema.insert(f + std::string("f float = 6;").size(), " e int = 7;");
    return ApplySchema(db, schema, "retype.trine").status();
  }
  Session s(db);
  return s.Execute(op).status();
}

struct GeneratedViews {
  std::vector<std::string> setup;                          // base rows, as statements
  std::vector<std::pair<std::string, std::string>> views;  // name, query
};

// Replays `ops` on a fresh store with views[index] (and the view it reads,
// for the view on a view) defined; true if the view differs from its query
// after some op.
bool ViewFails(const GeneratedViews& g, size_t index, const std::vector<std::string>& ops) {
  test::TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  if (!db.ok() || !ApplySchema(**db, test::kGenSchema).ok())
    return false;
  Session s(**db);
  for (const std::string& t : g.setup)
    (void)s.Execute(t);
  std::string file;
  const auto& [name, query] = g.views[index];
  if (query.find(" FROM V") != std::string::npos)
    file += "VIEW V0 AS " + g.views[0].second + ";\n";
  file += "VIEW " + name + " AS " + query + ";\n";
  if (!ApplySchema(**db, file).ok())
    return false;
  for (const std::string& op : ops) {
    (void)RunOp(**db, op);
    if (StoredRows(**db, name) != FreshRows(**db, name))
      return true;
  }
  return false;
}

TEST(ViewTest, GeneratedViewsEqualTheirQueries) {
  uint64_t seed = SeedFromEnv();
  const int rounds = static_cast<int>(test::EnvInt("TRINE_VIEW_ROUNDS", 4));
  const int views_per_round = static_cast<int>(test::EnvInt("TRINE_VIEW_QUERIES", 12));
  const int commits_per_round = static_cast<int>(test::EnvInt("TRINE_VIEW_COMMITS", 500));
  test::LiveDifferential gen(seed);
  uint64_t checks = 0;
  for (int round = 0; round < rounds; ++round) {
    test::TempDir dir;
    auto db = Database::Open(dir.Sub("db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(ApplySchema(**db, test::kGenSchema).ok());
    GeneratedViews g;
    for (int i = 0; i < 12; ++i)
      g.setup.push_back("INSERT P { name: 'p" + std::to_string(i) +
                        "', rank: " + std::to_string(gen.R(10)) + " }");
    gen.next_c_ = 0;
    for (int i = 0; i < 80; ++i) {
      g.setup.push_back(gen.InsertC());
      ++gen.next_c_;
    }
    {
      Session s(**db);
      for (const std::string& t : g.setup)
        ASSERT_TRUE(s.Execute(t).ok()) << t;
    }
    std::string file;
    while (static_cast<int>(g.views.size()) < views_per_round) {
      std::string q = gen.Query();
      if (q.find('[') != std::string::npos)
        continue;  // a nested list: not storable in a view
      g.views.emplace_back("V" + std::to_string(g.views.size()), q);
    }
    g.views.emplace_back("W", "SELECT { n: count(*) } FROM V0");  // a view on a view
    for (const auto& [name, query] : g.views)
      file += "VIEW " + name + " AS " + query + ";\n";
    Result<SchemaReport> applied = ApplySchema(**db, file, "views.trine");
    ASSERT_TRUE(applied.ok()) << applied.status().ToString() << "\n" << file;
    std::vector<std::string> ops;
    auto check = [&](const std::string& when) {
      for (size_t v = 0; v < g.views.size(); ++v) {
        ++checks;
        std::string stored = StoredRows(**db, g.views[v].first);
        std::string fresh = FreshRows(**db, g.views[v].first);
        if (stored == fresh)
          continue;
        std::vector<std::string> repro = test::ShrinkOps(
            ops, [&](const std::vector<std::string>& o) { return ViewFails(g, v, o); });
        std::string text;
        for (const std::string& op : repro)
          text += "  " + op + ";\n";
        FAIL() << "seed " << seed << " round " << round << " " << when << "\nview "
               << g.views[v].first << " AS " << g.views[v].second << "\nstored:\n"
               << stored << "fresh:\n"
               << fresh << "writes after the setup that still break it (" << repro.size() << "):\n"
               << text;
      }
    };
    check("after the build");
    for (int k = 0; k < commits_per_round; ++k) {
      // Half way through one round, a schema change rewrites C's values.
      ops.push_back(round == 1 && k == commits_per_round / 2 ? kRetypeC : gen.Write());
      Status st = RunOp(**db, ops.back());  // a write may fail (a deleted id): nothing changed
      if (ops.back() == kRetypeC) {
        ASSERT_TRUE(st.ok()) << st.ToString();
      }
      check("after commit " + std::to_string(k));
      if (HasFatalFailure() || HasFailure())
        return;
    }
    db->reset();
    db = Database::Open(dir.Sub("db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    check("after reopening");
    if (HasFailure())
      return;
  }
  std::cout << "[ " << rounds << " rounds of " << views_per_round + 1 << " generated views, "
            << rounds * commits_per_round << " commits, " << checks << " view comparisons ]\n";
}

}  // namespace
}  // namespace trine
