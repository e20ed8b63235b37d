// Key layout of the triple store. Every key starts with a keyspace byte;
// ids are order-preserving varints (common/coding.h: one byte below 241),
// values in keys use the order-preserving encoding of value_codec.h, so a
// bytewise scan visits tuples in tuple order.
//
//   meta      0x00 name                          -> varint (next subject id, ...)
//   catalog   0x01 systype field subject         -> stored value
//   data      0x02 type field subject            -> stored value
//   index     0x03 type field ordered(value) subject -> ""
//   presence  0x04 type subject                  -> ""
//
// data: a type's attribute is one contiguous run, so a column scan is one
// range read and a point get is one key. index: kept for INDEX/UNIQUE fields
// and every reference; answers ranges, ORDER BY and reverse references.
// presence: one key per live entity, for type scans and existence checks.
// catalog: types and fields are subjects of two system types (catalog.h), in
// their own keyspace so user type ids may start at 1.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "trine/db.h"
#include "trine/value.h"

namespace trine::triples {

enum class Keyspace : unsigned char {
  kMeta = 0x00,
  kCatalog = 0x01,
  kData = 0x02,
  kIndex = 0x03,
  kPresence = 0x04,
};

std::string MetaKey(std::string_view name);

// [space type field subject]
std::string TripleKey(Keyspace space, uint64_t type, uint64_t field, uint64_t subject);
// [space type field]: the prefix of one attribute's run (or of a type in presence).
std::string AttrPrefix(Keyspace space, uint64_t type, uint64_t field);
std::string PresenceKey(uint64_t type, uint64_t subject);
std::string PresencePrefix(uint64_t type);
// [index type field ordered(value)] and the full entry with the subject.
std::string IndexValuePrefix(uint64_t type, uint64_t field, const Value& v);
std::string IndexKey(uint64_t type, uint64_t field, const Value& v, uint64_t subject);

// The smallest key greater than every key starting with `prefix` (empty if
// none exists: all 0xff).
std::string PrefixSuccessor(std::string_view prefix);

// Decoding. Each returns false on a malformed key.
bool ParseTripleKey(std::string_view key, uint64_t* type, uint64_t* field, uint64_t* subject);
bool ParsePresenceKey(std::string_view key, uint64_t* type, uint64_t* subject);
// The value and subject of an index entry whose [index type field] prefix has
// `prefix_len` bytes.
bool ParseIndexKey(std::string_view key, size_t prefix_len, Value* v, uint64_t* subject);

// Calls fn(key, value) for each key starting with `prefix` in the latest
// state, in key order, until fn returns false or sets *error. For one-off
// bulk reads (loading the catalog, schema migrations): the blocks read are not
// kept in the block cache.
using PrefixFn = std::function<bool(std::string_view key, std::string_view value, Status* error)>;
Status ScanPrefix(DB* db, std::string_view prefix, const PrefixFn& fn);

}  // namespace trine::triples
