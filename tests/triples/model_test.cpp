// Randomized model test of the entity API against an in-memory reference.
//
// Random inserts, updates (set and retract), deletes, multi-operation
// transactions (committed or rolled back), unique violations, lax writes of
// undeclared attributes, gets, type scans, index ranges in both directions
// with limits, reverse references, flushes, compactions and reopens. After
// every operation the store must agree with the model; every few hundred
// operations the whole index keyspace is compared with the index the model
// implies (no stale, missing or extra entries).
//
// TRINE_SEED replays a sequence; TRINE_TRIPLES_MODEL_OPS scales it.
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include <gtest/gtest.h>

#include "common/coding.h"
#include "tests/util/entity_util.h"
#include "tests/util/test_util.h"
#include "trine/database.h"
#include "trine/iterator.h"
#include "triples/keys.h"
#include "triples/value_codec.h"

namespace trine {
namespace {

// The reference: type -> id -> field name -> value (no nulls).
using Row = std::map<std::string, Value>;
using Table = test::Rows;

struct FieldSpec {
  std::string name;
  FieldType type;
  bool indexed;
  bool unique;
};

const std::vector<FieldSpec> kItemFields = {
    {"title", FieldType::kString, true, false},  {"rank", FieldType::kInt, true, false},
    {"price", FieldType::kDecimal, true, false}, {"owner", FieldType::kRef, true, false},
    {"code", FieldType::kInt, true, true},       {"note", FieldType::kString, false, false},
    {"weight", FieldType::kFloat, true, false},
};
const std::vector<FieldSpec> kOwnerFields = {
    {"name", FieldType::kString, true, false},
    {"level", FieldType::kInt, false, false},
};

TypeInfo MakeType(const std::string& name, const std::vector<FieldSpec>& specs) {
  TypeInfo t;
  t.name = name;
  uint64_t n = 1;
  for (const FieldSpec& s : specs) {
    FieldInfo f;
    f.name = s.name;
    f.number = n++;
    f.type = s.type;
    f.indexed = s.indexed;
    f.unique = s.unique;
    if (s.type == FieldType::kDecimal) {
      f.precision = 12;
      f.scale = 2;
    }
    if (s.type == FieldType::kRef)
      f.ref_type = "Owner";
    t.fields.push_back(f);
  }
  return t;
}

class Model {
 public:
  explicit Model(uint64_t seed) : rng_(seed) {}

  std::mt19937_64& rng() { return rng_; }
  int Rand(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }

  Value RandomValue(FieldType type) {
    switch (type) {
      case FieldType::kString: {
        static const char* kStrings[] = {"", "a", "ab", "b", "zz", "\xc3\xa9t\xc3\xa9"};
        if (Rand(8) == 0)
          return Value::String(std::string("a\0b", 3));
        return Value::String(kStrings[Rand(6)]);
      }
      case FieldType::kInt:
        return Value::Int(Rand(40) - 20);
      case FieldType::kDecimal:
        return Value::Dec(Decimal{static_cast<int64_t>(Rand(2001)) - 1000, 2});
      case FieldType::kFloat: {
        static const double kFloats[] = {-1.5, -0.0, 0.0, 0.25, 3.0, 1e300};
        return Value::Float(kFloats[Rand(6)]);
      }
      case FieldType::kRef:
        return Value::Ref(owners_.empty() ? 12345 : RandomId(owners_));
      default:
        return Value::Int(Rand(5));
    }
  }

  // Values for `s`: unique fields draw from a wider domain, so that most
  // inserts succeed and some still collide.
  Value RandomValueFor(const FieldSpec& s) {
    return s.unique ? Value::Int(Rand(600)) : RandomValue(s.type);
  }

  uint64_t RandomId(const Table& t) {
    auto it = t.begin();
    std::advance(it, Rand(static_cast<int>(t.size())));
    return it->first;
  }

  Table items_, owners_;

 private:
  std::mt19937_64 rng_;
};

class LastChangeSet : public CommitListener {
 public:
  void OnCommit(const ChangeSet& cs) override {
    last = cs;
    ++count;
  }
  ChangeSet last;
  int count = 0;
};

class TriplesModelTest : public ::testing::Test {
 protected:
  // The change set of the last commit must be exactly the difference between
  // the model before and after it.
  void ExpectChanges(const Table& before_items, const Table& before_owners, Model& m) {
    std::vector<Change> want;
    for (const TypeInfo& t : db_->Schema()) {
      const Table& before = t.name == "Item" ? before_items : before_owners;
      const Table& after = TableOf(m, t.name);
      std::set<uint64_t> ids;
      for (auto& [id, row] : before)
        ids.insert(id);
      for (auto& [id, row] : after)
        ids.insert(id);
      for (uint64_t id : ids) {
        auto b = before.find(id);
        auto a = after.find(id);
        if ((b == before.end()) != (a == after.end()))
          want.push_back(Change{t.id, 0, id, b == before.end() ? Value() : Value::Bool(true),
                                a == after.end() ? Value() : Value::Bool(true)});
        for (const FieldInfo& f : t.fields) {
          Value bv, av;
          if (b != before.end() && b->second.count(f.name))
            bv = b->second.at(f.name);
          if (a != after.end() && a->second.count(f.name))
            av = a->second.at(f.name);
          if (!(bv == av && bv.type() == av.type()))
            want.push_back(Change{t.id, f.number, id, bv, av});
        }
      }
    }
    std::sort(want.begin(), want.end(), [](const Change& x, const Change& y) {
      return std::tie(x.type, x.subject, x.field) < std::tie(y.type, y.subject, y.field);
    });
    const auto& got = listener_.last.changes;
    ASSERT_EQ(got.size(), want.size()) << "change set size";
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].type, want[i].type) << i;
      EXPECT_EQ(got[i].subject, want[i].subject) << i;
      EXPECT_EQ(got[i].field, want[i].field) << i;
      EXPECT_EQ(got[i].old_value, want[i].old_value) << i;
      EXPECT_EQ(got[i].new_value, want[i].new_value) << i;
    }
  }

  void Open() {
    DatabaseOptions o;
    o.storage.write_buffer_size = 64 << 10;  // small: many flushes and levels
    o.storage.max_bytes_for_level_base = 256 << 10;
    o.storage.target_file_size = 64 << 10;
    auto r = Database::Open(dir_.path(), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db_ = std::move(r).value();
    db_->AddCommitListener(&listener_);
  }

  Table& TableOf(Model& m, const std::string& type) {
    return type == "Item" ? m.items_ : m.owners_;
  }
  const std::vector<FieldSpec>& SpecsOf(const std::string& type) {
    return type == "Item" ? kItemFields : kOwnerFields;
  }

  // Does `row` collide with another entity on a unique field?
  bool UniqueClash(const Table& t, uint64_t id, const Row& row) {
    for (const FieldSpec& s : kItemFields) {
      if (!s.unique || !row.count(s.name))
        continue;
      for (const auto& [other, r] : t)
        if (other != id && r.count(s.name) && r.at(s.name) == row.at(s.name))
          return true;
    }
    return false;
  }

  void CheckEntity(Model& m, const std::string& type, uint64_t id) {
    auto txn = db_->Begin();
    auto r = txn->Get(type, id);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const Table& t = TableOf(m, type);
    auto it = t.find(id);
    ASSERT_EQ(r.value().has_value(), it != t.end()) << type << "[" << id << "]";
    if (it == t.end())
      return;
    Row got;
    for (auto& [name, v] : r.value()->fields)
      got[name] = v;
    ASSERT_EQ(got.size(), it->second.size()) << type << "[" << id << "]";
    for (auto& [name, v] : it->second) {
      ASSERT_TRUE(got.count(name)) << name;
      EXPECT_EQ(got[name], v) << type << "[" << id << "]." << name << " got "
                              << got[name].ToString() << " want " << v.ToString();
      EXPECT_EQ(got[name].type(), v.type());
    }
  }

  void CheckScan(Model& m, const std::string& type) {
    auto txn = db_->Begin();
    std::vector<uint64_t> ids;
    ASSERT_TRUE(txn->Scan(type,
                          [&](uint64_t id) {
                            ids.push_back(id);
                            return true;
                          })
                    .ok());
    std::vector<uint64_t> want;
    for (auto& [id, row] : TableOf(m, type))
      want.push_back(id);
    ASSERT_EQ(ids, want) << "scan of " << type;
  }

  void CheckRange(Model& m) {
    const FieldSpec& s = kItemFields[m.Rand(static_cast<int>(kItemFields.size()))];
    if (!s.indexed)
      return;
    IndexRange range;
    if (m.Rand(3) > 0)
      range.lower = IndexBound{m.RandomValue(s.type), m.Rand(2) == 0};
    if (m.Rand(3) > 0)
      range.upper = IndexBound{m.RandomValue(s.type), m.Rand(2) == 0};
    range.descending = m.Rand(2) == 0;
    range.limit = m.Rand(3) == 0 ? 1 + m.Rand(4) : UINT64_MAX;
    std::vector<std::pair<Value, uint64_t>> want;
    for (auto& [id, row] : m.items_) {
      auto it = row.find(s.name);
      if (it == row.end())
        continue;
      const Value& v = it->second;
      if (range.lower) {
        int c = Value::Compare(v, range.lower->value);
        if (c < 0 || (c == 0 && !range.lower->inclusive))
          continue;
      }
      if (range.upper) {
        int c = Value::Compare(v, range.upper->value);
        if (c > 0 || (c == 0 && !range.upper->inclusive))
          continue;
      }
      want.emplace_back(v, id);
    }
    std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
      int c = Value::Compare(a.first, b.first);
      return c != 0 ? c < 0 : a.second < b.second;
    });
    if (range.descending)
      std::reverse(want.begin(), want.end());
    if (want.size() > range.limit)
      want.resize(range.limit);
    std::vector<std::pair<Value, uint64_t>> got;
    auto txn = db_->Begin();
    Status st = txn->IndexScan("Item", s.name, range, [&](const Value& v, uint64_t id) {
      got.emplace_back(v, id);
      return true;
    });
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(got.size(), want.size()) << "range on " << s.name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].second, want[i].second) << "range on " << s.name << " entry " << i;
      EXPECT_EQ(got[i].first, want[i].first) << "range on " << s.name << " entry " << i;
    }
  }

  void CheckReferrers(Model& m) {
    if (m.owners_.empty())
      return;
    uint64_t target = m.RandomId(m.owners_);
    std::vector<uint64_t> want, got;
    for (auto& [id, row] : m.items_)
      if (row.count("owner") && row.at("owner") == Value::Ref(target))
        want.push_back(id);
    auto txn = db_->Begin();
    ASSERT_TRUE(txn->Referrers("Item", "owner", target,
                               [&](uint64_t id) {
                                 got.push_back(id);
                                 return true;
                               })
                    .ok());
    ASSERT_EQ(got, want) << "referrers of " << target;
  }

  // The index keyspace must be exactly what the model's data implies.
  void CheckIndexKeyspace(Model& m) {
    std::set<std::string> want;
    for (const TypeInfo& t : db_->Schema())
      want.merge(test::ImpliedIndexKeys(t, TableOf(m, t.name)));
    std::set<std::string> got = test::IndexKeysInStore(*db_);
    std::vector<std::string> missing, extra;
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                        std::back_inserter(missing));
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(),
                        std::back_inserter(extra));
    ASSERT_TRUE(missing.empty() && extra.empty())
        << missing.size() << " index entries missing, " << extra.size() << " stale";
  }

  // One random write operation inside `txn`, mirrored into `shadow` (the
  // model as it will be if the transaction commits).
  void RandomWrite(Model& m, Transaction& txn, Table& items, Table& owners, int* expected_errors) {
    int op = m.Rand(10);
    std::string type = m.Rand(4) == 0 ? "Owner" : "Item";
    Table& t = type == "Item" ? items : owners;
    const auto& specs = SpecsOf(type);
    // Deletes outnumber inserts once a type is large, so the model (copied per
    // transaction) stays small and operations stay fast.
    int inserts = t.size() > 150 ? 2 : 4;
    if (op < inserts || t.empty()) {  // insert
      Fields fields;
      Row row;
      for (const FieldSpec& s : specs) {
        if (m.Rand(3) == 0)
          continue;
        Value v = m.RandomValueFor(s);
        fields.emplace_back(s.name, v);
        row[s.name] = v;
      }
      if (type == "Item" && m.Rand(20) == 0) {  // a lax write of an undeclared attribute
        Value v = Value::Int(m.Rand(100));
        fields.emplace_back("extra", v);
        row["extra"] = v;
      }
      auto r = txn.Insert(type, fields);
      if (type == "Item" && UniqueClash(t, 0, row)) {
        ASSERT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
        ++*expected_errors;
        return;
      }
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      t[r.value()] = row;
    } else if (op < inserts + 4) {  // update
      uint64_t id = m.RandomId(t);
      Fields fields;
      Row row = t[id];
      for (int k = 1 + m.Rand(3); k > 0; --k) {
        const FieldSpec& s = specs[m.Rand(static_cast<int>(specs.size()))];
        bool dup = false;
        for (auto& [n, v] : fields)
          dup = dup || n == s.name;
        if (dup)
          continue;
        Value v = m.Rand(4) == 0 ? Value() : m.RandomValueFor(s);
        fields.emplace_back(s.name, v);
        if (v.is_null())
          row.erase(s.name);
        else
          row[s.name] = v;
      }
      Status st = txn.Update(type, id, fields);
      if (type == "Item" && UniqueClash(t, id, row)) {
        ASSERT_TRUE(st.IsInvalidArgument()) << st.ToString();
        ++*expected_errors;
        return;
      }
      ASSERT_TRUE(st.ok()) << st.ToString();
      t[id] = row;
    } else {  // delete
      uint64_t id = m.RandomId(t);
      ASSERT_TRUE(txn.Delete(type, id).ok());
      t.erase(id);
    }
  }

  // Replays with TRINE_SEED=base (each run adds its own offset).
  void Run(uint64_t base, uint64_t offset, int ops) {
    uint64_t seed = base + offset;
    Model m(seed);
    Open();
    ASSERT_TRUE(db_->UpdateSchema({MakeType("Owner", kOwnerFields)}).ok());
    ASSERT_TRUE(db_->UpdateSchema({MakeType("Item", kItemFields)}).ok());
    int flushes = 0, reopens = 0, multi = 0, rollbacks = 0, errors = 0;
    for (int i = 0; i < ops; ++i) {
      int op = m.Rand(100);
      if (op < 55) {
        Table items = m.items_, owners = m.owners_;
        auto txn = db_->Begin(relaxed_);
        int expected = 0;
        RandomWrite(m, *txn, items, owners, &expected);
        if (HasFatalFailure())
          return;
        if (expected > 0) {
          errors += expected;
          txn->Rollback();
          continue;
        }
        int commits = listener_.count;
        Status st = txn->Commit();
        ASSERT_TRUE(st.ok()) << st.ToString() << " at op " << i;
        std::swap(m.items_, items);
        std::swap(m.owners_, owners);
        if (listener_.count > commits)
          ExpectChanges(items, owners, m);
      } else if (op < 62) {  // several writes in one transaction
        Table items = m.items_, owners = m.owners_;
        auto txn = db_->Begin(relaxed_);
        int expected = 0;
        for (int k = 2 + m.Rand(5); k > 0 && expected == 0; --k)
          RandomWrite(m, *txn, items, owners, &expected);
        if (HasFatalFailure())
          return;
        if (expected > 0 || m.Rand(4) == 0) {
          // An error inside a transaction: the application gives up on it.
          txn->Rollback();
          ++rollbacks;
          errors += expected;
        } else {
          int commits = listener_.count;
          ASSERT_TRUE(txn->Commit().ok()) << "at op " << i;
          std::swap(m.items_, items);
          std::swap(m.owners_, owners);
          if (listener_.count > commits)
            ExpectChanges(items, owners, m);
          ++multi;
        }
      } else if (op < 75) {
        std::string type = m.Rand(3) == 0 ? "Owner" : "Item";
        Table& t = TableOf(m, type);
        uint64_t id = t.empty() || m.Rand(5) == 0 ? 1 + m.Rand(1000) : m.RandomId(t);
        CheckEntity(m, type, id);
      } else if (op < 88) {
        CheckRange(m);
      } else if (op < 92) {
        CheckReferrers(m);
      } else if (op < 94) {
        CheckScan(m, m.Rand(2) ? "Item" : "Owner");
      } else if (op < 96) {
        ASSERT_TRUE(db_->storage()->Flush().ok());
        ++flushes;
      } else if (op < 97) {
        if (m.Rand(4) == 0) {
          ASSERT_TRUE(db_->storage()->CompactAll().ok());
        }
      } else if (op < 98) {
        if (m.Rand(4) == 0) {
          db_.reset();
          Open();
          ++reopens;
        }
      } else {
        CheckIndexKeyspace(m);
      }
      if (HasFatalFailure()) {
        ADD_FAILURE() << "at op " << i << " (TRINE_SEED=" << base << ")";
        return;
      }
      if (i % 2000 == 1999)
        CheckIndexKeyspace(m);
    }
    CheckIndexKeyspace(m);
    CheckScan(m, "Item");
    CheckScan(m, "Owner");
    std::printf(
        "model: %d ops, %zu items, %zu owners left; %d multi-op commits, %d rollbacks, "
        "%d expected unique errors, %d flushes, %d reopens\n",
        ops, m.items_.size(), m.owners_.size(), multi, rollbacks, errors, flushes, reopens);
    EXPECT_GT(reopens, 0);
    EXPECT_GT(errors, 0);
    db_.reset();
  }

  test::TempDir dir_;
  std::unique_ptr<Database> db_;
  // Durability is the storage layer's business (its crash tests); relaxed
  // commits keep this test about the data model.
  TransactionOptions relaxed_{Durability::kRelaxed};
  LastChangeSet listener_;
};

// Four runs of 25,000 operations (100,000 in all) from consecutive seeds, as
// separate tests so that ctest runs them in parallel.
int OpsPerRun() {
  return static_cast<int>(test::EnvInt("TRINE_TRIPLES_MODEL_OPS", 100000) / 4);
}

TEST_F(TriplesModelTest, Run1) {
  Run(test::TestSeed(), 0, OpsPerRun());
}
TEST_F(TriplesModelTest, Run2) {
  Run(test::TestSeed(), 1, OpsPerRun());
}
TEST_F(TriplesModelTest, Run3) {
  Run(test::TestSeed(), 2, OpsPerRun());
}
TEST_F(TriplesModelTest, Run4) {
  Run(test::TestSeed(), 3, OpsPerRun());
}

}  // namespace
}  // namespace trine
