// Entity API, indexes, transactions and change sets of the triple store.
#include "trine/database.h"

#include <algorithm>
#include <memory>

#include <gtest/gtest.h>

#include "tests/util/entity_util.h"
#include "tests/util/test_util.h"

namespace trine {
namespace {

FieldInfo Field(std::string name, uint64_t number, FieldType type, bool indexed = false) {
  FieldInfo f;
  f.name = std::move(name);
  f.number = number;
  f.type = type;
  f.indexed = indexed;
  return f;
}

TypeInfo UserType() {
  TypeInfo t;
  t.name = "User";
  t.fields.push_back(Field("name", 1, FieldType::kString, true));
  FieldInfo email = Field("email", 2, FieldType::kString);
  email.unique = true;
  t.fields.push_back(email);
  t.fields.push_back(Field("age", 3, FieldType::kInt, true));
  FieldInfo manager = Field("manager", 4, FieldType::kRef);
  manager.ref_type = "User";
  t.fields.push_back(manager);
  FieldInfo balance = Field("balance", 5, FieldType::kDecimal);
  balance.precision = 18;
  balance.scale = 2;
  t.fields.push_back(balance);
  return t;
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    db_.reset();
    auto r = Database::Open(dir_.path());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db_ = std::move(r).value();
  }

  void CreateUser() {
    auto r = db_->UpdateSchema({UserType()});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  uint64_t Insert(const std::string& type, const Fields& fields) {
    return test::InsertEntity(*db_, type, fields);
  }

  std::optional<Entity> Get(const std::string& type, uint64_t id) {
    auto txn = db_->Begin();
    auto r = txn->Get(type, id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : std::nullopt;
  }

  std::vector<uint64_t> Range(const std::string& field, IndexRange range) {
    std::vector<uint64_t> ids;
    auto txn = db_->Begin();
    Status s = txn->IndexScan("User", field, range, [&](const Value&, uint64_t id) {
      ids.push_back(id);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return ids;
  }

  test::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, InsertGetUpdateDelete) {
  CreateUser();
  uint64_t ann = Insert("User", {{"name", Value::String("ann")}, {"age", Value::Int(41)}});
  uint64_t bob = Insert("User", {{"name", Value::String("bob")},
                                 {"manager", Value::Ref(ann)},
                                 {"balance", Value::Dec(Decimal::Parse("10.5").value())}});
  EXPECT_LT(ann, bob);
  auto e = Get("User", bob);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->Get("name"), Value::String("bob"));
  EXPECT_EQ(e->Get("manager"), Value::Ref(ann));
  // Stored at the field's scale.
  EXPECT_EQ(e->Get("balance").as_decimal().scale, 2);
  EXPECT_EQ(e->Get("balance").as_decimal().units, 1050);
  EXPECT_TRUE(e->Get("age").is_null());

  ASSERT_TRUE(db_->Run([&](Transaction& txn) {
                   return txn.Update("User", bob, {{"age", Value::Int(30)}, {"manager", Value()}});
                 })
                  .ok());
  e = Get("User", bob);
  EXPECT_EQ(e->Get("age"), Value::Int(30));
  EXPECT_TRUE(e->Get("manager").is_null());

  ASSERT_TRUE(db_->Run([&](Transaction& txn) { return txn.Delete("User", ann); }).ok());
  EXPECT_FALSE(Get("User", ann));
  Status s = db_->Run([&](Transaction& txn) { return txn.Delete("User", ann); });
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  s = db_->Run([&](Transaction& txn) { return txn.Update("User", ann, {{"age", Value::Int(1)}}); });
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  // The index forgot ann.
  EXPECT_EQ(Range("age", {}), (std::vector<uint64_t>{bob}));
}

TEST_F(DatabaseTest, IdsAreNeverReusedAcrossReopen) {
  CreateUser();
  uint64_t a = Insert("User", {{"name", Value::String("a")}});
  ASSERT_TRUE(db_->Run([&](Transaction& txn) { return txn.Delete("User", a); }).ok());
  Reopen();
  uint64_t b = Insert("User", {{"name", Value::String("b")}});
  EXPECT_GT(b, a);
}

TEST_F(DatabaseTest, IndexRangesBoundsAndDirection) {
  CreateUser();
  std::vector<uint64_t> ids;
  for (int age : {30, 10, 20, 20, 40})
    ids.push_back(Insert("User", {{"age", Value::Int(age)}}));
  // ids[1]=10, ids[2]=20, ids[3]=20, ids[0]=30, ids[4]=40
  EXPECT_EQ(Range("age", {}), (std::vector<uint64_t>{ids[1], ids[2], ids[3], ids[0], ids[4]}));
  IndexRange r;
  r.lower = IndexBound{Value::Int(20), true};
  r.upper = IndexBound{Value::Int(30), false};
  EXPECT_EQ(Range("age", r), (std::vector<uint64_t>{ids[2], ids[3]}));
  r.lower->inclusive = false;
  r.upper->inclusive = true;
  EXPECT_EQ(Range("age", r), (std::vector<uint64_t>{ids[0]}));
  IndexRange d;
  d.descending = true;
  d.limit = 3;
  EXPECT_EQ(Range("age", d), (std::vector<uint64_t>{ids[4], ids[0], ids[3]}));
  d.lower = IndexBound{Value::Int(20), true};
  d.limit = 10;
  EXPECT_EQ(Range("age", d), (std::vector<uint64_t>{ids[4], ids[0], ids[3], ids[2]}));
  auto txn = db_->Begin();
  Status s = txn->IndexScan("User", "balance", {}, [](const Value&, uint64_t) { return true; });
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
}

TEST_F(DatabaseTest, ReferencesBothWays) {
  CreateUser();
  uint64_t boss = Insert("User", {{"name", Value::String("boss")}});
  uint64_t a = Insert("User", {{"manager", Value::Ref(boss)}});
  uint64_t b = Insert("User", {{"manager", Value::Ref(boss)}});
  Insert("User", {{"manager", Value::Ref(a)}});
  auto txn = db_->Begin();
  std::vector<uint64_t> reports;
  ASSERT_TRUE(txn->Referrers("User", "manager", boss,
                             [&](uint64_t id) {
                               reports.push_back(id);
                               return true;
                             })
                  .ok());
  EXPECT_EQ(reports, (std::vector<uint64_t>{a, b}));
  EXPECT_EQ(txn->GetField("User", a, "manager").value(), Value::Ref(boss));
}

TEST_F(DatabaseTest, UniqueIsEnforced) {
  CreateUser();
  uint64_t a = Insert("User", {{"email", Value::String("x@y")}});
  Status s = db_->Run([&](Transaction& txn) {
    return txn.Insert("User", {{"email", Value::String("x@y")}}).status();
  });
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("unique"), std::string::npos) << s.ToString();
  // Rewriting one's own value is fine; freeing it lets another take it.
  EXPECT_TRUE(db_->Run([&](Transaction& txn) {
                   return txn.Update("User", a, {{"email", Value::String("x@y")}});
                 })
                  .ok());
  EXPECT_TRUE(db_->Run([&](Transaction& txn) {
                   return txn.Update("User", a, {{"email", Value::String("z@y")}});
                 })
                  .ok());
  Insert("User", {{"email", Value::String("x@y")}});
}

TEST_F(DatabaseTest, ReadYourWritesAndRollback) {
  CreateUser();
  auto txn = db_->Begin();
  auto id = txn->Insert("User", {{"name", Value::String("ghost")}, {"age", Value::Int(5)}});
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(txn->Get("User", id.value()).value().has_value());
  std::vector<uint64_t> seen;
  ASSERT_TRUE(txn->IndexScan("User", "age", {},
                             [&](const Value& v, uint64_t s) {
                               EXPECT_EQ(v, Value::Int(5));
                               seen.push_back(s);
                               return true;
                             })
                  .ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{id.value()}));
  txn->Rollback();
  EXPECT_FALSE(Get("User", id.value()));
  EXPECT_TRUE(txn->Commit().IsInvalidArgument());
}

// Scans merge the store with the transaction's own inserts, updates and
// deletes, in both directions.
TEST_F(DatabaseTest, ScansSeeOwnWritesBothWays) {
  CreateUser();
  std::vector<uint64_t> ids;
  for (int age : {10, 20, 30, 40})
    ids.push_back(Insert("User", {{"age", Value::Int(age)}}));
  auto txn = db_->Begin();
  ASSERT_TRUE(txn->Delete("User", ids[1]).ok());                            // 20 gone
  ASSERT_TRUE(txn->Update("User", ids[2], {{"age", Value::Int(5)}}).ok());  // 30 -> 5
  auto added = txn->Insert("User", {{"age", Value::Int(35)}});
  ASSERT_TRUE(added.ok());
  auto ages = [&](bool descending) {
    std::vector<std::pair<int64_t, uint64_t>> out;
    IndexRange r;
    r.descending = descending;
    EXPECT_TRUE(txn->IndexScan("User", "age", r,
                               [&](const Value& v, uint64_t id) {
                                 out.emplace_back(v.as_int(), id);
                                 return true;
                               })
                    .ok());
    return out;
  };
  std::vector<std::pair<int64_t, uint64_t>> want = {
      {5, ids[2]}, {10, ids[0]}, {35, added.value()}, {40, ids[3]}};
  EXPECT_EQ(ages(false), want);
  std::reverse(want.begin(), want.end());
  EXPECT_EQ(ages(true), want);
  std::vector<uint64_t> scanned;
  ASSERT_TRUE(txn->Scan("User",
                        [&](uint64_t id) {
                          scanned.push_back(id);
                          return true;
                        })
                  .ok());
  EXPECT_EQ(scanned, (std::vector<uint64_t>{ids[0], ids[2], ids[3], added.value()}));
}

TEST_F(DatabaseTest, WriteWriteConflictIsDetected) {
  CreateUser();
  uint64_t a = Insert("User", {{"age", Value::Int(1)}});
  auto t1 = db_->Begin();
  auto t2 = db_->Begin();
  ASSERT_TRUE(t1->Update("User", a, {{"age", Value::Int(2)}}).ok());
  ASSERT_TRUE(t2->Update("User", a, {{"age", Value::Int(3)}}).ok());
  ASSERT_TRUE(t1->Commit().ok());
  Status s = t2->Commit();
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("User[" + std::to_string(a) + "].age"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(Get("User", a)->Get("age"), Value::Int(2));
}

TEST_F(DatabaseTest, PhantomInScannedRangeConflicts) {
  CreateUser();
  Insert("User", {{"age", Value::Int(10)}});
  auto reader = db_->Begin();
  int n = 0;
  IndexRange r;
  r.lower = IndexBound{Value::Int(0), true};
  r.upper = IndexBound{Value::Int(100), true};
  ASSERT_TRUE(reader
                  ->IndexScan("User", "age", r,
                              [&](const Value&, uint64_t) {
                                ++n;
                                return true;
                              })
                  .ok());
  EXPECT_EQ(n, 1);
  // reader writes based on what it saw; a concurrent insert into the range
  // must make it conflict (write skew is not allowed).
  Insert("User", {{"age", Value::Int(50)}});
  ASSERT_TRUE(reader->Insert("User", {{"name", Value::String("count=1")}}).ok());
  EXPECT_TRUE(reader->Commit().IsConflict());
  // Outside the range: no conflict.
  auto r2 = db_->Begin();
  ASSERT_TRUE(r2->IndexScan("User", "age", r, [&](const Value&, uint64_t) { return true; }).ok());
  Insert("User", {{"age", Value::Int(500)}});
  ASSERT_TRUE(r2->Insert("User", {{"name", Value::String("x")}}).ok());
  EXPECT_TRUE(r2->Commit().ok());
}

TEST_F(DatabaseTest, StrictAndLax) {
  TypeInfo strict = UserType();
  strict.name = "Account";
  strict.strict = true;
  for (auto& f : strict.fields)
    if (f.type == FieldType::kRef)
      f.ref_type = "Account";
  ASSERT_TRUE(db_->UpdateSchema({UserType(), strict}).ok());
  // Lax: unknown attributes are created on first write and read back.
  uint64_t u = Insert("User", {{"nickname", Value::String("al")}, {"age", Value::String("old")}});
  auto e = Get("User", u);
  EXPECT_EQ(e->Get("nickname"), Value::String("al"));
  EXPECT_EQ(e->Get("age"), Value::String("old"));  // kept as given
  // Lossless conversion happens in both modes.
  uint64_t v = Insert("User", {{"age", Value::Dec(Decimal::Parse("7.00").value())}});
  EXPECT_EQ(Get("User", v)->Get("age").type(), ValueType::kInt);
  // Strict: both rejected, nothing written.
  Status s = db_->Run([&](Transaction& txn) {
    return txn.Insert("Account", {{"nickname", Value::String("al")}}).status();
  });
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  s = db_->Run([&](Transaction& txn) {
    return txn.Insert("Account", {{"age", Value::String("old")}}).status();
  });
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("expected int"), std::string::npos) << s.ToString();
  auto txn = db_->Begin();
  int n = 0;
  ASSERT_TRUE(txn->Scan("Account", [&](uint64_t) { return ++n > 0; }).ok());
  EXPECT_EQ(n, 0);
  txn.reset();
  // Dynamic fields survive reopen.
  Reopen();
  EXPECT_EQ(Get("User", u)->Get("nickname"), Value::String("al"));
}

TEST_F(DatabaseTest, RequiredAndDefault) {
  TypeInfo t;
  t.name = "Todo";
  FieldInfo title = Field("title", 1, FieldType::kString);
  title.required = true;
  FieldInfo done = Field("done", 2, FieldType::kBool, true);
  done.default_value = Value::Bool(false);
  t.fields = {title, done};
  ASSERT_TRUE(db_->UpdateSchema({t}).ok());
  Status s = db_->Run([&](Transaction& txn) { return txn.Insert("Todo", {}).status(); });
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  uint64_t id = Insert("Todo", {{"title", Value::String("a")}});
  EXPECT_EQ(Get("Todo", id)->Get("done"), Value::Bool(false));
  s = db_->Run([&](Transaction& txn) { return txn.Update("Todo", id, {{"title", Value()}}); });
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
}

class Recorder : public CommitListener {
 public:
  void OnCommit(const ChangeSet& cs) override { sets.push_back(cs); }
  std::vector<ChangeSet> sets;
};

TEST_F(DatabaseTest, CommitListenerGetsChangeSets) {
  CreateUser();
  Recorder rec;
  db_->AddCommitListener(&rec);
  uint64_t id = Insert("User", {{"name", Value::String("a")}, {"age", Value::Int(1)}});
  ASSERT_TRUE(db_->Run([&](Transaction& txn) {
                   TRINE_RETURN_IF_ERROR(txn.Update("User", id, {{"age", Value::Int(2)}}));
                   // Written and reset within one transaction: no change.
                   TRINE_RETURN_IF_ERROR(txn.Update("User", id, {{"name", Value::String("b")}}));
                   return txn.Update("User", id, {{"name", Value::String("a")}});
                 })
                  .ok());
  ASSERT_TRUE(db_->Run([&](Transaction& txn) { return txn.Delete("User", id); }).ok());
  // A read-only transaction produces no change set.
  ASSERT_TRUE(db_->Run([&](Transaction& txn) { return txn.Get("User", id).status(); }).ok());
  db_->RemoveCommitListener(&rec);
  ASSERT_EQ(rec.sets.size(), 3u);
  EXPECT_LT(rec.sets[0].sequence, rec.sets[1].sequence);
  const auto& c0 = rec.sets[0].changes;
  ASSERT_EQ(c0.size(), 3u);
  EXPECT_EQ(c0[0].field, 0u);  // the subject itself
  EXPECT_EQ(c0[0].new_value, Value::Bool(true));
  EXPECT_EQ(c0[1].field, 1u);
  EXPECT_EQ(c0[1].new_value, Value::String("a"));
  EXPECT_EQ(c0[2].field, 3u);
  const auto& c1 = rec.sets[1].changes;
  ASSERT_EQ(c1.size(), 1u);
  EXPECT_EQ(c1[0].subject, id);
  EXPECT_EQ(c1[0].old_value, Value::Int(1));
  EXPECT_EQ(c1[0].new_value, Value::Int(2));
  const auto& c2 = rec.sets[2].changes;
  ASSERT_EQ(c2.size(), 3u);
  EXPECT_EQ(c2[0].old_value, Value::Bool(true));
  EXPECT_TRUE(c2[0].new_value.is_null());
  EXPECT_EQ(c2[2].old_value, Value::Int(2));
  EXPECT_TRUE(c2[2].new_value.is_null());
}

TEST_F(DatabaseTest, RefusesANonTripleStore) {
  db_.reset();
  {
    auto raw = DB::Open(Options(), dir_.path() + "/raw");
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(raw.value()->Put(WriteOptions(), "k", "v").ok());
  }
  auto r = Database::Open(dir_.path() + "/raw");
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
}

}  // namespace
}  // namespace trine
