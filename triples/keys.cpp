#include "triples/keys.h"

#include "common/coding.h"
#include "trine/iterator.h"
#include "triples/value_codec.h"

namespace trine::triples {

namespace {
void PutSpace(std::string* dst, Keyspace space) {
  dst->push_back(static_cast<char>(space));
}
}  // namespace

std::string MetaKey(std::string_view name) {
  std::string k;
  PutSpace(&k, Keyspace::kMeta);
  k.append(name);
  return k;
}

std::string TripleKey(Keyspace space, uint64_t type, uint64_t field, uint64_t subject) {
  std::string k;  // no reserve: most triple keys fit the string's inline buffer
  PutSpace(&k, space);
  PutOrderedVarint(&k, type);
  PutOrderedVarint(&k, field);
  PutOrderedVarint(&k, subject);
  return k;
}

std::string AttrPrefix(Keyspace space, uint64_t type, uint64_t field) {
  std::string k;
  PutSpace(&k, space);
  PutOrderedVarint(&k, type);
  PutOrderedVarint(&k, field);
  return k;
}

std::string PresenceKey(uint64_t type, uint64_t subject) {
  std::string k = PresencePrefix(type);
  PutOrderedVarint(&k, subject);
  return k;
}

std::string PresencePrefix(uint64_t type) {
  std::string k;
  PutSpace(&k, Keyspace::kPresence);
  PutOrderedVarint(&k, type);
  return k;
}

std::string IndexValuePrefix(uint64_t type, uint64_t field, const Value& v) {
  std::string k = AttrPrefix(Keyspace::kIndex, type, field);
  EncodeOrderedValue(v, &k);
  return k;
}

std::string IndexKey(uint64_t type, uint64_t field, const Value& v, uint64_t subject) {
  std::string k = IndexValuePrefix(type, field, v);
  PutOrderedVarint(&k, subject);
  return k;
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto last = static_cast<unsigned char>(s.back());
    if (last != 0xff) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

bool ParseTripleKey(std::string_view key, uint64_t* type, uint64_t* field, uint64_t* subject) {
  if (key.empty())
    return false;
  key.remove_prefix(1);
  return GetOrderedVarint(&key, type) && GetOrderedVarint(&key, field) &&
         GetOrderedVarint(&key, subject) && key.empty();
}

bool ParsePresenceKey(std::string_view key, uint64_t* type, uint64_t* subject) {
  if (key.empty() || key[0] != static_cast<char>(Keyspace::kPresence))
    return false;
  key.remove_prefix(1);
  return GetOrderedVarint(&key, type) && GetOrderedVarint(&key, subject) && key.empty();
}

bool ParseIndexKey(std::string_view key, size_t prefix_len, Value* v, uint64_t* subject) {
  if (key.size() < prefix_len)
    return false;
  key.remove_prefix(prefix_len);
  if (!DecodeOrderedValue(&key, v).ok())
    return false;
  return GetOrderedVarint(&key, subject) && key.empty();
}

Status ScanPrefix(DB* db, std::string_view prefix, const PrefixFn& fn) {
  std::string upper = PrefixSuccessor(prefix);
  ReadOptions ro;
  ro.lower_bound = prefix;
  ro.upper_bound = upper;
  ro.fill_cache = false;
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  Status error;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    if (!fn(it->key(), it->value(), &error) || !error.ok())
      break;
  }
  TRINE_RETURN_IF_ERROR(error);
  return it->status();
}

}  // namespace trine::triples
