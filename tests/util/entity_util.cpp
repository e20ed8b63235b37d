#include "tests/util/entity_util.h"

#include <gtest/gtest.h>

#include "trine/iterator.h"
#include "triples/keys.h"

namespace trine::test {

uint64_t InsertEntity(Database& db, const std::string& type, const Fields& fields) {
  uint64_t id = 0;
  Status s = db.Run([&](Transaction& txn) -> Status {
    TRINE_ASSIGN_OR_RETURN(id, txn.Insert(type, fields));
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return id;
}

Value ReadField(Database& db, const std::string& type, uint64_t id, const std::string& field) {
  auto txn = db.Begin();
  auto r = txn->GetField(type, id, field);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : Value();
}

std::set<std::string> KeysWithPrefix(Database& db, std::string_view prefix) {
  std::set<std::string> keys;
  Status s = triples::ScanPrefix(db.storage(), prefix,
                                 [&](std::string_view key, std::string_view, Status*) {
                                   keys.emplace(key);
                                   return true;
                                 });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return keys;
}

std::set<std::string> IndexKeysInStore(Database& db) {
  return KeysWithPrefix(db, std::string(1, static_cast<char>(triples::Keyspace::kIndex)));
}

std::set<std::string> ImpliedIndexKeys(const TypeInfo& type, const Rows& rows) {
  std::set<std::string> keys;
  for (const FieldInfo& f : type.fields) {
    if (!f.indexed)
      continue;
    for (const auto& [id, row] : rows) {
      auto it = row.find(f.name);
      if (it != row.end())
        keys.insert(triples::IndexKey(type.id, f.number, it->second, id));
    }
  }
  return keys;
}

}  // namespace trine::test
