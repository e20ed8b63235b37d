// The catalog: the types and fields of the schema, stored in the store
// itself as triples of two system types in the catalog keyspace (keys.h):
//
//   $Type  (systype 1), subject = type id
//     1 name string | 2 numbered bool | 3 strict bool
//     4 reserved ranges bytes (LEB128 pairs first,last)
//     5 reserved names bytes (length-prefixed strings)
//     6 view query string | 7 view refreshed manually bool (views only)
//   $Field (systype 2), subject = type id << 32 | field number
//     1 name string | 2 field type int (FieldType) | 3 precision int | 4 scale int
//     5 ref target ref(type id) | 6 flags int (1 indexed, 2 unique, 4 required)
//     7 state int (FieldInfo::State) | 8 default value (any type)
//
// Refs store the target's id, not its name, so renaming a type keeps them.
// The in-memory Catalog is immutable once built; a schema change builds a new
// one and swaps it in.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "trine/database.h"
#include "trine/db.h"

namespace trine::triples {

constexpr uint64_t kSysType = 1;
constexpr uint64_t kSysField = 2;
// Declared field and type numbers are in [1, kMaxFieldNumber]. Undeclared
// (dynamic) fields take numbers from kMaxFieldNumber downwards, so a schema
// can adopt one by declaring its number.
constexpr uint64_t kMaxFieldNumber = (1ull << 28) - 1;

struct Catalog {
  uint64_t schema_version = 0;                       // changes on every schema update
  std::map<uint64_t, TypeInfo> types;                // by id
  std::map<std::string, uint64_t, std::less<>> ids;  // name -> id

  const TypeInfo* Find(std::string_view name) const;
  const TypeInfo* FindId(uint64_t id) const;
  // Whether any type is a view (commits then run the view maintainer).
  bool has_views() const;
};

// The catalog triples (key -> stored value) that describe `type`. Ref
// targets are resolved to ids through `catalog_ids`.
Status TypeTriples(const TypeInfo& type, const std::map<std::string, uint64_t, std::less<>>& ids,
                   std::map<std::string, std::string>* out);

// Reads the catalog (latest state) into *out, keeping out->schema_version.
Status LoadCatalog(DB* db, Catalog* out);

// A field number not used by any field of `type` for a new dynamic field
// (counting down from kMaxFieldNumber, skipping reserved numbers).
uint64_t NextDynamicNumber(const TypeInfo& type);

bool IsReserved(const TypeInfo& type, uint64_t number);

// The field's name, or "#7" for a field known only by its number.
std::string FieldName(const FieldInfo& field);
std::string FieldNumberName(uint64_t number);

}  // namespace trine::triples
