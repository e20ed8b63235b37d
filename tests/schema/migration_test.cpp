// Schema migrations through schema files: renames, added, retired and
// reserved fields, type changes, index builds and drops, strict and lax
// writes. Every rejected migration must leave catalog and data byte for byte
// as they were.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/util/entity_util.h"
#include "tests/util/test_util.h"
#include "trine/database.h"
#include "trine/iterator.h"
#include "trine/schema.h"
#include "triples/keys.h"

namespace trine {
namespace {

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    db_.reset();
    auto r = Database::Open(dir_.path());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db_ = std::move(r).value();
  }

  SchemaReport Apply(const std::string& text) {
    auto r = ApplySchema(*db_, text, "schema.trine");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : SchemaReport{};
  }

  // Applies a schema that must be rejected; checks nothing changed and
  // returns the error message.
  std::string Reject(const std::string& text) {
    auto before = Dump();
    auto r = ApplySchema(*db_, text, "schema.trine");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    EXPECT_TRUE(before == Dump()) << "a rejected migration changed the store";
    return std::string(r.status().message());
  }

  // Every key and value in the store.
  std::map<std::string, std::string> Dump() {
    std::map<std::string, std::string> all;
    auto it = db_->storage()->NewIterator(ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next())
      all[std::string(it->key())] = std::string(it->value());
    EXPECT_TRUE(it->status().ok());
    return all;
  }

  size_t IndexEntries(const std::string& type, uint64_t field) {
    uint64_t id = db_->FindType(type)->id;
    return test::KeysWithPrefix(*db_, triples::AttrPrefix(triples::Keyspace::kIndex, id, field))
        .size();
  }

  uint64_t Insert(const std::string& type, const Fields& fields) {
    return test::InsertEntity(*db_, type, fields);
  }

  Value GetField(const std::string& type, uint64_t id, const std::string& field) {
    return test::ReadField(*db_, type, id, field);
  }

  std::vector<uint64_t> Range(const std::string& type, const std::string& field, IndexRange range) {
    std::vector<uint64_t> ids;
    auto txn = db_->Begin();
    Status s = txn->IndexScan(type, field, range, [&](const Value&, uint64_t id) {
      ids.push_back(id);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return ids;
  }

  static bool Mentions(const SchemaReport& r, const std::string& text) {
    for (const auto& c : r.changes)
      if (c.find(text) != std::string::npos)
        return true;
    return false;
  }

  test::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(MigrationTest, RenameKeepsData) {
  Apply("TABLE User { name string = 1 INDEX; }");
  uint64_t id = Insert("User", {{"name", Value::String("ann")}});
  SchemaReport r = Apply("TABLE User { full_name string = 1 INDEX; }");
  EXPECT_TRUE(Mentions(r, "rename field name -> full_name")) << r.changes.size();
  EXPECT_EQ(GetField("User", id, "full_name"), Value::String("ann"));
  EXPECT_EQ(Range("User", "full_name", {}), (std::vector<uint64_t>{id}));
  // Applying the same file again changes nothing.
  EXPECT_FALSE(Apply("TABLE User { full_name string = 1 INDEX; }").changed());
  Reopen();
  EXPECT_EQ(GetField("User", id, "full_name"), Value::String("ann"));
}

TEST_F(MigrationTest, RenameTypeByNumber) {
  Apply("TABLE User = 10 { name string = 1; }\nTABLE Post { author REF User = 1; }");
  uint64_t u = Insert("User", {{"name", Value::String("ann")}});
  uint64_t p = Insert("Post", {{"author", Value::Ref(u)}});
  SchemaReport r = Apply("TABLE Person = 10 { name string = 1; }");
  EXPECT_TRUE(Mentions(r, "rename type User -> Person"));
  EXPECT_EQ(GetField("Person", u, "name"), Value::String("ann"));
  // The reference follows the rename: it stores the type's id.
  auto post = db_->FindType("Post");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->FindField("author")->ref_type, "Person");
  EXPECT_EQ(GetField("Post", p, "author"), Value::Ref(u));
  Reopen();
  EXPECT_EQ(db_->FindType("Post")->FindField("author")->ref_type, "Person");
  EXPECT_FALSE(db_->FindType("User"));
}

TEST_F(MigrationTest, AddFieldAndRetireIt) {
  Apply("TABLE User { name string = 1; }");
  uint64_t a = Insert("User", {{"name", Value::String("a")}});
  SchemaReport r = Apply("TABLE User { name string = 1; age int = 2 INDEX; }");
  EXPECT_TRUE(Mentions(r, "add field age int = 2"));
  EXPECT_TRUE(GetField("User", a, "age").is_null());
  uint64_t b = Insert("User", {{"name", Value::String("b")}, {"age", Value::Int(7)}});
  EXPECT_EQ(IndexEntries("User", 2), 1u);

  r = Apply("TABLE User { name string = 1; }");
  EXPECT_TRUE(Mentions(r, "User.age: retire field (number 2 reserved)"));
  // The data stays (lax), readable by the old name or by number; the index goes.
  EXPECT_EQ(GetField("User", b, "age"), Value::Int(7));
  EXPECT_EQ(GetField("User", b, "#2"), Value::Int(7));
  EXPECT_EQ(IndexEntries("User", 2), 0u);
  TypeInfo user = *db_->FindType("User");
  const FieldInfo* f = user.FindNumber(2);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->state, FieldInfo::State::kRetired);

  // Reusing the retired number is an error pointing at the number.
  std::string err = Reject("TABLE User {\n  name string = 1;\n  nick string = 2;\n}");
  EXPECT_EQ(err,
            "schema.trine:3:17: error: User.nick: field number 2 was retired (it was 'age'); "
            "field numbers are never reused\n"
            "  nick string = 2;\n"
            "                ^\n");
  Reopen();
  EXPECT_EQ(db_->FindType("User")->FindNumber(2)->state, FieldInfo::State::kRetired);
}

TEST_F(MigrationTest, ReservedNumbersStayReserved) {
  Apply("TABLE User { name string = 1; RESERVED 5, 8 TO 9; RESERVED 'old'; }");
  // The file may drop the RESERVED line: the numbers stay reserved.
  Apply("TABLE User { name string = 1; }");
  std::string err = Reject("TABLE User { name string = 1; x int = 9; }");
  EXPECT_NE(err.find("field number 9 is reserved"), std::string::npos) << err;
  EXPECT_NE(err.find("schema.trine:1:39"), std::string::npos) << err;
  err = Reject("TABLE User { name string = 1; old int = 3; }");
  EXPECT_NE(err.find("the name is reserved"), std::string::npos) << err;
}

TEST_F(MigrationTest, LosslessTypeChanges) {
  Apply("TABLE M { a int = 1 INDEX; b int = 2; c string = 3; d decimal(10,2) = 4 INDEX; }");
  std::vector<uint64_t> ids;
  for (int i : {3, -1, 2})
    ids.push_back(Insert("M", {{"a", Value::Int(i)},
                               {"b", Value::Int(i * 1000)},
                               {"c", Value::String("s" + std::to_string(i))},
                               {"d", Value::Dec(Decimal{i * 150, 2})}}));
  SchemaReport r = Apply(
      "TABLE M { a decimal(12,3) = 1 INDEX; b float = 2; c bytes = 3; d decimal(12,4) = 4 INDEX; "
      "}");
  EXPECT_TRUE(Mentions(r, "M.a: change type int -> decimal(12,3) (3 values converted)"));
  Value a0 = GetField("M", ids[0], "a");
  ASSERT_EQ(a0.type(), ValueType::kDecimal);
  EXPECT_EQ(a0.as_decimal().units, 3000);
  EXPECT_EQ(a0.as_decimal().scale, 3);
  EXPECT_EQ(GetField("M", ids[1], "b"), Value::Float(-1000.0));
  EXPECT_EQ(GetField("M", ids[2], "c"), Value::Bytes("s2"));
  EXPECT_EQ(GetField("M", ids[2], "d").as_decimal().scale, 4);
  // The rebuilt index orders the converted values.
  EXPECT_EQ(Range("M", "a", {}), (std::vector<uint64_t>{ids[1], ids[2], ids[0]}));
  EXPECT_EQ(IndexEntries("M", 1), 3u);
  EXPECT_EQ(Range("M", "d", {}), (std::vector<uint64_t>{ids[1], ids[2], ids[0]}));
  // And back: decimal(12,3) -> int is lossless for these values.
  Apply("TABLE M { a int = 1 INDEX; b float = 2; c bytes = 3; d decimal(12,4) = 4 INDEX; }");
  EXPECT_EQ(GetField("M", ids[0], "a"), Value::Int(3));
}

TEST_F(MigrationTest, LossyTypeChangeIsRejected) {
  Apply("TABLE M { a string = 1 INDEX; f float = 2; }");
  Insert("M", {{"a", Value::String("12")}, {"f", Value::Float(2.0)}});
  uint64_t bad = Insert("M", {{"a", Value::String("abc")}, {"f", Value::Float(1.5)}});
  // Strings never convert to numbers; the error names the first value.
  std::string err = Reject("TABLE M {\n  a int = 1 INDEX;\n  f float = 2;\n}");
  EXPECT_EQ(err, "schema.trine:2:5: error: M.a: cannot change type from string to int: M[" +
                     std::to_string(bad - 1) +
                     "].a = \"12\" does not convert losslessly\n"
                     "  a int = 1 INDEX;\n"
                     "    ^\n");
  // 2.0 converts to an int, 1.5 does not.
  err = Reject("TABLE M { a string = 1 INDEX; f int = 2; }");
  EXPECT_NE(err.find("M.f: cannot change type from float to int: M[" + std::to_string(bad) +
                     "].f = 1.5 does not convert losslessly"),
            std::string::npos)
      << err;
  // One bad type among good changes: nothing at all is applied.
  err = Reject("TABLE M { a string = 1; f int = 2; g bool = 3; }\nTABLE N { x int = 1; }");
  EXPECT_FALSE(db_->FindType("N"));
  EXPECT_TRUE(db_->FindType("M")->FindNumber(1)->indexed);
}

TEST_F(MigrationTest, AddAndDropIndexOn100kEntities) {
  Apply("TABLE E { k int = 1; v string = 2; }");
  const int kN = 100000;
  for (int base = 0; base < kN; base += 5000) {
    ASSERT_TRUE(db_->Run(
                       [&](Transaction& txn) -> Status {
                         for (int i = base; i < base + 5000; ++i)
                           TRINE_RETURN_IF_ERROR(
                               txn.Insert("E", {{"k", Value::Int((i * 7919) % kN)},
                                                {"v", Value::String("x")}})
                                   .status());
                         return Status::OK();
                       },
                       TransactionOptions{Durability::kRelaxed})
                    .ok());
  }
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  SchemaUpdateOptions opts;
  opts.progress = [&](std::string_view what, uint64_t done, uint64_t total) {
    EXPECT_EQ(what, "index E.k");
    progress.emplace_back(done, total);
  };
  auto r = ApplySchema(*db_, "TABLE E { k int = 1 INDEX; v string = 2; }", "s", opts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(Mentions(r.value(), "E.k: build index (100000 entries)"));
  ASSERT_GE(progress.size(), 10u);
  EXPECT_EQ(progress.back(), (std::pair<uint64_t, uint64_t>(kN, kN)));
  EXPECT_EQ(IndexEntries("E", 1), static_cast<size_t>(kN));
  IndexRange range;
  range.lower = IndexBound{Value::Int(500), true};
  range.upper = IndexBound{Value::Int(509), true};
  auto ids = Range("E", "k", range);
  ASSERT_EQ(ids.size(), 10u);
  for (size_t i = 0; i < ids.size(); ++i)
    EXPECT_EQ(GetField("E", ids[i], "k"), Value::Int(500 + static_cast<int>(i)));

  r = ApplySchema(*db_, "TABLE E { k int = 1; v string = 2; }", "s");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(Mentions(r.value(), "E.k: drop index"));
  EXPECT_EQ(IndexEntries("E", 1), 0u);
  auto txn = db_->Begin();
  EXPECT_TRUE(txn->IndexScan("E", "k", {}, [](const Value&, uint64_t) { return true; })
                  .IsInvalidArgument());
  txn.reset();
  Reopen();
  EXPECT_EQ(IndexEntries("E", 1), 0u);
}

TEST_F(MigrationTest, ConstraintsCheckedAgainstData) {
  Apply("TABLE U { email string = 1; name string = 2; }");
  Insert("U", {{"email", Value::String("a@x")}, {"name", Value::String("a")}});
  Insert("U", {{"email", Value::String("a@x")}});
  std::string err = Reject("TABLE U { email string = 1 UNIQUE; name string = 2; }");
  EXPECT_NE(err.find("cannot make the field UNIQUE"), std::string::npos) << err;
  err = Reject("TABLE U { email string = 1; name string = 2 REQUIRED; }");
  EXPECT_NE(err.find("cannot make the field REQUIRED"), std::string::npos) << err;
  err = Reject("TABLE U { email string = 1; name string = 2; n int = 3 REQUIRED; }");
  EXPECT_NE(err.find("without a DEFAULT"), std::string::npos) << err;
  // With a DEFAULT the new required field is filled in.
  SchemaReport r =
      Apply("TABLE U { email string = 1; name string = 2; n int = 3 REQUIRED DEFAULT 4; }");
  EXPECT_TRUE(Mentions(r, "U.n: fill DEFAULT into 2 entities"));
}

TEST_F(MigrationTest, StrictAndLaxWrites) {
  Apply("TABLE Lax { n int = 1; }\nTABLE Tight STRICT { n int = 1; }");
  uint64_t l = Insert("Lax", {{"n", Value::String("seven")}, {"extra", Value::Bool(true)}});
  EXPECT_EQ(GetField("Lax", l, "n"), Value::String("seven"));
  EXPECT_EQ(GetField("Lax", l, "extra"), Value::Bool(true));
  auto before = Dump();
  Status s = db_->Run([&](Transaction& txn) {
    return txn.Insert("Tight", {{"n", Value::String("seven")}}).status();
  });
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  s = db_->Run([&](Transaction& txn) {
    return txn.Insert("Tight", {{"n", Value::Int(1)}, {"extra", Value::Bool(true)}}).status();
  });
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_TRUE(before == Dump());
  // A lax type becomes strict only if its stored values fit the declared types.
  std::string err = Reject("TABLE Lax STRICT { n int = 1; }\n");
  EXPECT_NE(err.find("cannot make Lax STRICT: Lax[" + std::to_string(l) +
                     "].n = \"seven\" is not of type int"),
            std::string::npos)
      << err;
  SchemaReport r = Apply("TABLE Lax STRICT { n string = 1; }");
  EXPECT_TRUE(Mentions(r, "Lax: make STRICT"));
}

TEST_F(MigrationTest, AdoptingAnUndeclaredAttribute) {
  Apply("TABLE U { name string = 1; }");
  uint64_t id = Insert("U", {{"nickname", Value::String("al")}});
  TypeInfo u = *db_->FindType("U");
  const FieldInfo* f = u.FindField("nickname");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->state, FieldInfo::State::kDynamic);
  uint64_t number = f->number;
  std::string err = Reject("TABLE U { name string = 1; nickname string = 2; }");
  EXPECT_NE(err.find("declare it with that number to adopt it"), std::string::npos) << err;
  SchemaReport r =
      Apply("TABLE U { name string = 1; nickname string = " + std::to_string(number) + " INDEX; }");
  EXPECT_TRUE(Mentions(r, "adopt undeclared field"));
  EXPECT_EQ(Range("U", "nickname", {}), (std::vector<uint64_t>{id}));
}

TEST_F(MigrationTest, SchemaErrorsPointAtTheSource) {
  std::string err = Reject("TABLE Post {\n  author REF Usr = 1;\n}\n");
  EXPECT_EQ(err,
            "schema.trine:2:14: error: Post.author: unknown type 'Usr' in REF\n"
            "  author REF Usr = 1;\n"
            "             ^\n");
  err = Reject("TABLE A { x int = 1 }");
  EXPECT_NE(err.find("schema.trine:1:"), std::string::npos) << err;
  EXPECT_NE(err.find("^"), std::string::npos) << err;
  // The number is a type's identity: the same number under a new name is a rename.
  Apply("TABLE A = 3 { x int = 1; }");
  EXPECT_TRUE(Mentions(Apply("TABLE B = 3 { x int = 1; }"), "rename type A -> B"));
  // An unnumbered type cannot take a number later (its id was allocated).
  Apply("TABLE C { x int = 1; }");
  err = Reject("TABLE C = 77 { x int = 1; }");
  EXPECT_NE(err.find("its number cannot change"), std::string::npos) << err;
}

// The example schema of README.md.
TEST_F(MigrationTest, ReadmeExampleApplies) {
  SchemaReport r = Apply(R"(-- the number after '=' is the field's identity, as in protobuf
TABLE User {
  name    string        = 1 INDEX;
  email   string        = 2 UNIQUE;              -- UNIQUE implies an index
  age     int           = 3 INDEX DEFAULT 0;
  manager REF User      = 4;                     -- references are always indexed
  joined  time          = 7 NOT NULL DEFAULT '2024-01-01T00:00:00Z';
  RESERVED 5, 6, 20 TO MAX;  RESERVED 'nick';
}
TABLE Order = 12 STRICT { buyer REF User = 1 REQUIRED; total decimal(18,2) = 2 INDEX; placed time = 3; }
)");
  EXPECT_TRUE(Mentions(r, "add type User"));
  EXPECT_TRUE(Mentions(r, "add type Order (id 12)"));
  uint64_t u = Insert("User", {{"name", Value::String("ann")}});
  EXPECT_EQ(GetField("User", u, "age"), Value::Int(0));
  EXPECT_EQ(GetField("User", u, "joined"), Value::Time(1704067200000000));
  uint64_t o = Insert("Order", {{"buyer", Value::Ref(u)}, {"total", Value::Int(5)}});
  EXPECT_EQ(GetField("Order", o, "total"), Value::Dec(Decimal{500, 2}));
  auto txn = db_->Begin();
  auto t = txn->GetField("Order", o, "total").value();
  EXPECT_EQ(t.as_decimal().ToString(), "5.00");
}

// The stored schema printed as a file applies as "no change", after renames,
// retirements, adoptions and lax writes.
TEST_F(MigrationTest, FormattedSchemaRoundTrips) {
  Apply(R"(TABLE User { name string = 1 INDEX; email string = 2 UNIQUE; age int = 3 INDEX DEFAULT 0;
                       manager REF User = 4; joined time = 7 NOT NULL DEFAULT '2024-01-01T00:00:00.5Z';
                       RESERVED 5, 6, 20 TO MAX; RESERVED 'nick'; }
           TABLE Order = 12 STRICT { buyer REF User = 1 REQUIRED; total decimal(18,2) = 2 INDEX;
                                     note string = 3 DEFAULT 'it''s'; ok bool = 4 DEFAULT TRUE; })");
  Apply(R"(TABLE User { full_name string = 1 INDEX; email string = 2 UNIQUE;
                       manager REF User = 4; joined time = 7 NOT NULL DEFAULT '2024-01-01T00:00:00.5Z';
                       RESERVED 5, 6, 20 TO MAX; RESERVED 'nick'; })");
  Insert("User", {{"nickname", Value::String("x")}});
  // Undeclared fields count down from the highest number not reserved.
  EXPECT_EQ(db_->FindType("User")->FindField("nickname")->number, 19u);
  std::vector<TypeInfo> before = db_->Schema();
  std::string text = FormatSchema(before);
  EXPECT_NE(text.find("-- retired: age int = 3"), std::string::npos) << text;
  EXPECT_NE(text.find("DEFAULT '2024-01-01T00:00:00.500000Z'"), std::string::npos) << text;
  EXPECT_NE(text.find("TABLE Order = 12 STRICT {"), std::string::npos) << text;
  auto r = ApplySchema(*db_, text, "formatted");
  ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << text;
  EXPECT_FALSE(r.value().changed()) << r.value().changes[0] << "\n" << text;
  EXPECT_EQ(FormatSchema(db_->Schema()), text);
}

TEST_F(MigrationTest, DryRunChangesNothing) {
  Apply("TABLE U { a int = 1; }");
  Insert("U", {{"a", Value::Int(1)}});
  auto before = Dump();
  SchemaUpdateOptions o;
  o.dry_run = true;
  auto r = ApplySchema(*db_, "TABLE U { a decimal(5,1) = 1 INDEX; b string = 2; }", "s", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(Mentions(r.value(), "U.a: change type int -> decimal(5,1) (1 values converted)"));
  EXPECT_TRUE(Mentions(r.value(), "U: add field b string = 2"));
  EXPECT_TRUE(before == Dump());
}

TEST(TimestampTest, Parse) {
  EXPECT_EQ(ParseTimestamp("1970-01-01").value(), 0);
  EXPECT_EQ(ParseTimestamp("2024-01-01T00:00:00Z").value(), 1704067200000000);
  EXPECT_EQ(ParseTimestamp("2024-01-01 01:00:00+01:00").value(), 1704067200000000);
  EXPECT_EQ(ParseTimestamp("2024-02-29T12:30:00.25").value(), 1709209800250000);
  EXPECT_EQ(ParseTimestamp("1969-12-31T23:59:59.999999Z").value(), -1);
  for (int64_t t : {int64_t{0}, int64_t{-1}, int64_t{1704067200000000}, int64_t{-86400000001},
                    int64_t{951782400123456}})
    EXPECT_EQ(ParseTimestamp(FormatTimestamp(t)).value(), t) << FormatTimestamp(t);
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  for (const char* bad : {"", "2023-02-29", "2024-13-01", "2024-01-01T25:00:00", "2024-1-1",
                          "2024-01-01T00:00:00.", "2024-01-01x"})
    EXPECT_TRUE(ParseTimestamp(bad).status().IsInvalidArgument()) << bad;
}

}  // namespace
}  // namespace trine
