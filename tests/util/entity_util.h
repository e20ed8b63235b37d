// Helpers shared by the tests of the triple layer and schema files.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "trine/database.h"

namespace trine::test {

// Entities of one type as tests model them: id -> field name -> value.
using Rows = std::map<uint64_t, std::map<std::string, Value>>;

// Inserts one entity in its own transaction; a failure fails the test (and
// returns 0).
uint64_t InsertEntity(Database& db, const std::string& type, const Fields& fields);
// One field read in its own transaction (null on failure, which fails the test).
Value ReadField(Database& db, const std::string& type, uint64_t id, const std::string& field);

// Every key in the store that starts with `prefix`.
std::set<std::string> KeysWithPrefix(Database& db, std::string_view prefix);
// Every index key in the store.
std::set<std::string> IndexKeysInStore(Database& db);
// The index entries `rows` of `type` imply (one per indexed field with a value).
std::set<std::string> ImpliedIndexKeys(const TypeInfo& type, const Rows& rows);

}  // namespace trine::test
