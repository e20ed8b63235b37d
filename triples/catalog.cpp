#include "triples/catalog.h"

#include <algorithm>

#include "common/coding.h"
#include "trine/iterator.h"
#include "triples/keys.h"
#include "triples/value_codec.h"

namespace trine::triples {

namespace {

enum : uint64_t {
  kTypeName = 1,
  kTypeNumbered = 2,
  kTypeStrict = 3,
  kTypeReservedRanges = 4,
  kTypeReservedNames = 5,
  kTypeViewQuery = 6,
  kTypeViewManual = 7,
};
enum : uint64_t {
  kFieldName = 1,
  kFieldType = 2,
  kFieldPrecision = 3,
  kFieldScale = 4,
  kFieldRef = 5,
  kFieldFlags = 6,
  kFieldState = 7,
  kFieldDefault = 8,
};
constexpr int64_t kFlagIndexed = 1, kFlagUnique = 2, kFlagRequired = 4;

uint64_t FieldSubject(uint64_t type, uint64_t number) {
  return (type << 32) | number;
}

void Add(std::map<std::string, std::string>* out, uint64_t systype, uint64_t field,
         uint64_t subject, const Value& v) {
  std::string value;
  EncodeStoredValue(v, &value);
  (*out)[TripleKey(Keyspace::kCatalog, systype, field, subject)] = std::move(value);
}

Status Bad(std::string_view what) {
  return Status::Corruption(std::string("catalog: ") + std::string(what));
}

}  // namespace

const TypeInfo* Catalog::Find(std::string_view name) const {
  auto it = ids.find(name);
  return it == ids.end() ? nullptr : FindId(it->second);
}

bool Catalog::has_views() const {
  for (const auto& [id, t] : types)
    if (t.is_view())
      return true;
  return false;
}

const TypeInfo* Catalog::FindId(uint64_t id) const {
  auto it = types.find(id);
  return it == types.end() ? nullptr : &it->second;
}

Status TypeTriples(const TypeInfo& type, const std::map<std::string, uint64_t, std::less<>>& ids,
                   std::map<std::string, std::string>* out) {
  Add(out, kSysType, kTypeName, type.id, Value::String(type.name));
  Add(out, kSysType, kTypeNumbered, type.id, Value::Bool(type.numbered));
  Add(out, kSysType, kTypeStrict, type.id, Value::Bool(type.strict));
  if (!type.reserved_ranges.empty()) {
    std::string ranges;
    for (auto [first, last] : type.reserved_ranges) {
      PutVarint64(&ranges, first);
      PutVarint64(&ranges, last);
    }
    Add(out, kSysType, kTypeReservedRanges, type.id, Value::Bytes(ranges));
  }
  if (type.is_view()) {
    Add(out, kSysType, kTypeViewQuery, type.id, Value::String(type.view_query));
    Add(out, kSysType, kTypeViewManual, type.id, Value::Bool(type.view_manual));
  }
  if (!type.reserved_names.empty()) {
    std::string names;
    for (const auto& n : type.reserved_names)
      PutLengthPrefixed(&names, n);
    Add(out, kSysType, kTypeReservedNames, type.id, Value::Bytes(names));
  }
  for (const FieldInfo& f : type.fields) {
    uint64_t s = FieldSubject(type.id, f.number);
    Add(out, kSysField, kFieldName, s, Value::String(f.name));
    Add(out, kSysField, kFieldType, s, Value::Int(static_cast<int64_t>(f.type)));
    if (f.type == FieldType::kDecimal) {
      Add(out, kSysField, kFieldPrecision, s, Value::Int(f.precision));
      Add(out, kSysField, kFieldScale, s, Value::Int(f.scale));
    }
    if (f.type == FieldType::kRef) {
      auto it = ids.find(f.ref_type);
      if (it == ids.end())
        return Status::InvalidArgument("unknown type '" + f.ref_type + "' in REF");
      Add(out, kSysField, kFieldRef, s, Value::Ref(it->second));
    }
    int64_t flags = (f.indexed ? kFlagIndexed : 0) | (f.unique ? kFlagUnique : 0) |
                    (f.required ? kFlagRequired : 0);
    Add(out, kSysField, kFieldFlags, s, Value::Int(flags));
    Add(out, kSysField, kFieldState, s, Value::Int(static_cast<int64_t>(f.state)));
    if (f.default_value && !f.default_value->is_null())
      Add(out, kSysField, kFieldDefault, s, *f.default_value);
  }
  return Status::OK();
}

namespace {

// What the catalog triples say, gathered before it becomes TypeInfo.
struct CatalogParts {
  std::map<uint64_t, TypeInfo> types;
  std::map<uint64_t, std::map<uint64_t, FieldInfo>> fields;   // type -> number -> field
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> ref_ids;  // (type, number) -> target
};

Status AddCatalogTriple(std::string_view key, std::string_view value, CatalogParts* parts) {
  auto& types = parts->types;
  auto& fields = parts->fields;
  auto& ref_ids = parts->ref_ids;
  uint64_t sys, attr, subj;
  if (!ParseTripleKey(key, &sys, &attr, &subj))
    return Bad("malformed key");
  Value v;
  Status s = DecodeStoredValue(value, &v);
  if (!s.ok())
    return Bad(s.message());
  if (sys == kSysType) {
    TypeInfo& t = types[subj];
    t.id = subj;
    if (attr == kTypeName && v.type() == ValueType::kString) {
      t.name = v.as_string();
    } else if (attr == kTypeNumbered && v.type() == ValueType::kBool) {
      t.numbered = v.as_bool();
    } else if (attr == kTypeStrict && v.type() == ValueType::kBool) {
      t.strict = v.as_bool();
    } else if (attr == kTypeReservedRanges && v.type() == ValueType::kBytes) {
      std::string_view in = v.as_bytes();
      uint64_t first, last;
      while (!in.empty()) {
        if (!GetVarint64(&in, &first) || !GetVarint64(&in, &last))
          return Bad("malformed reserved ranges");
        t.reserved_ranges.emplace_back(first, last);
      }
    } else if (attr == kTypeViewQuery && v.type() == ValueType::kString) {
      t.view_query = v.as_string();
    } else if (attr == kTypeViewManual && v.type() == ValueType::kBool) {
      t.view_manual = v.as_bool();
    } else if (attr == kTypeReservedNames && v.type() == ValueType::kBytes) {
      std::string_view in = v.as_bytes();
      std::string_view name;
      while (!in.empty()) {
        if (!GetLengthPrefixed(&in, &name))
          return Bad("malformed reserved names");
        t.reserved_names.emplace_back(name);
      }
    } else {
      return Bad("unexpected type attribute " + std::to_string(attr));
    }
  } else if (sys == kSysField) {
    uint64_t type = subj >> 32, number = subj & 0xffffffffu;
    FieldInfo& f = fields[type][number];
    f.number = number;
    bool int_ok = v.type() == ValueType::kInt;
    if (attr == kFieldName && v.type() == ValueType::kString) {
      f.name = v.as_string();
    } else if (attr == kFieldType && int_ok && v.as_int() >= 0 &&
               v.as_int() <= static_cast<int64_t>(FieldType::kRef)) {
      f.type = static_cast<FieldType>(v.as_int());
    } else if (attr == kFieldPrecision && int_ok) {
      f.precision = static_cast<int>(v.as_int());
    } else if (attr == kFieldScale && int_ok) {
      f.scale = static_cast<int>(v.as_int());
    } else if (attr == kFieldRef && v.type() == ValueType::kRef) {
      ref_ids[{type, number}] = v.as_ref();
    } else if (attr == kFieldFlags && int_ok) {
      f.indexed = (v.as_int() & kFlagIndexed) != 0;
      f.unique = (v.as_int() & kFlagUnique) != 0;
      f.required = (v.as_int() & kFlagRequired) != 0;
    } else if (attr == kFieldState && int_ok && v.as_int() >= 0 && v.as_int() <= 2) {
      f.state = static_cast<FieldInfo::State>(v.as_int());
    } else if (attr == kFieldDefault) {
      f.default_value = v;
    } else {
      return Bad("unexpected field attribute " + std::to_string(attr));
    }
  } else {
    return Bad("unknown system type " + std::to_string(sys));
  }
  return Status::OK();
}

}  // namespace

Status LoadCatalog(DB* db, Catalog* out) {
  CatalogParts parts;
  TRINE_RETURN_IF_ERROR(
      ScanPrefix(db, std::string(1, static_cast<char>(Keyspace::kCatalog)),
                 [&](std::string_view key, std::string_view value, Status* error) {
                   *error = AddCatalogTriple(key, value, &parts);
                   return true;
                 }));
  auto& types = parts.types;
  auto& fields = parts.fields;
  auto& ref_ids = parts.ref_ids;
  Catalog c;
  c.schema_version = out->schema_version;
  for (auto& [id, t] : types) {
    if (t.name.empty())
      return Bad("type " + std::to_string(id) + " has no name");
    for (auto& [number, f] : fields[id])
      t.fields.push_back(std::move(f));
    c.ids[t.name] = id;
  }
  for (auto& [key, target] : ref_ids) {
    auto tt = types.find(key.first);
    auto target_type = types.find(target);
    if (tt == types.end() || target_type == types.end())
      return Bad("reference to unknown type " + std::to_string(target));
    for (auto& f : tt->second.fields)
      if (f.number == key.second)
        f.ref_type = target_type->second.name;
  }
  if (fields.size() > types.size())
    for (auto& [id, unused] : fields)
      if (!types.count(id))
        return Bad("fields of unknown type " + std::to_string(id));
  c.types = std::move(types);
  *out = std::move(c);
  return Status::OK();
}

bool IsReserved(const TypeInfo& type, uint64_t number) {
  return std::any_of(type.reserved_ranges.begin(), type.reserved_ranges.end(),
                     [&](auto r) { return number >= r.first && number <= r.second; });
}

std::string FieldNumberName(uint64_t number) {
  std::string s(1, '#');
  s.append(std::to_string(number));
  return s;
}

std::string FieldName(const FieldInfo& field) {
  return field.name.empty() ? FieldNumberName(field.number) : field.name;
}

uint64_t NextDynamicNumber(const TypeInfo& type) {
  uint64_t n = kMaxFieldNumber;
  while (n > 0) {
    bool moved = false;
    for (auto [first, last] : type.reserved_ranges) {
      if (n >= first && n <= last) {  // jump below a reserved range at once
        n = first - 1;
        moved = true;
      }
    }
    if (!moved && type.FindNumber(n) == nullptr)
      return n;
    if (!moved)
      --n;
  }
  return 0;
}

}  // namespace trine::triples
