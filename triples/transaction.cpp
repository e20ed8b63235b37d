#include "triples/transaction.h"

#include <algorithm>
#include <set>

#include "common/coding.h"
#include "trine/iterator.h"
#include "triples/convert.h"
#include "triples/database_impl.h"
#include "triples/keys.h"
#include "triples/value_codec.h"
#include "triples/view_support.h"

namespace trine::triples {

namespace {

std::string FieldLabel(const TypeInfo& type, const FieldInfo& field) {
  return type.name + "." + FieldName(field);
}

}  // namespace

TxnImpl::TxnImpl(DatabaseImpl* db, const TransactionOptions& options) : db_(db), options_(options) {
  if (options_.read_only && db_->Notifying()) {
    pinned_.seq = db_->LastSequence();
    snapshot_ = &pinned_;
  } else {
    snapshot_ = db_->AcquireSnapshot();
  }
  snapshot_seq_ = snapshot_->sequence();
  catalog_ = db_->catalog();
  schema_version_ = catalog_->schema_version;
}

TxnImpl::~TxnImpl() {
  Rollback();
}

void TxnImpl::Rollback() {
  if (snapshot_ != nullptr) {
    if (snapshot_ != &pinned_)
      db_->ReleaseTxnSnapshot(snapshot_);
    snapshot_ = nullptr;
  }
  finished_ = true;
  writes_.clear();
  changes_.clear();
}

Status TxnImpl::CheckWritable() const {
  TRINE_RETURN_IF_ERROR(CheckOpen());
  if (options_.read_only)
    return Status::InvalidArgument("the transaction is read-only");
  return Status::OK();
}

Status TxnImpl::CheckOpen() const {
  if (finished_)
    return Status::InvalidArgument("transaction already committed or rolled back");
  return Status::OK();
}

// ------------------------------------------------------------- raw layer --

Status TxnImpl::GetRaw(const std::string& key, std::string* value, bool* found) {
  if (const WriteSet::Value* w = writes_.Find(key)) {
    *found = w->has_value();
    if (*found)
      *value = **w;
    return Status::OK();
  }
  if (!options_.read_only)
    read_keys_.push_back(key);
  ReadOptions ro;
  ro.snapshot = snapshot_;
  ++stats_.seeks;
  ++stats_.entries_read;
  Status s = db_->db_->Get(ro, key, value);
  if (s.IsNotFound()) {
    *found = false;
    return Status::OK();
  }
  TRINE_RETURN_IF_ERROR(s);
  *found = true;
  return Status::OK();
}

Status TxnImpl::ScanRaw(const std::string& begin, const std::string& end, bool reverse,
                        const ScanFn& fn) {
  ReadOptions ro;
  ro.snapshot = snapshot_;
  ro.lower_bound = begin;
  ro.upper_bound = end;
  std::unique_ptr<Iterator> it = db_->db_->NewIterator(ro);
  // The transaction's own writes in the range, in scan order (usually none).
  std::vector<std::pair<const std::string*, const WriteSet::Value*>> own;
  writes_.ForRange(begin, end, [&](const std::string& k, const WriteSet::Value& v) {
    own.emplace_back(&k, &v);
  });
  if (reverse) {
    std::reverse(own.begin(), own.end());
    it->SeekToLast();
  } else {
    it->Seek(begin);
  }
  ++stats_.seeks;
  size_t next_own = 0;
  while (true) {
    bool db_ok = it->Valid();
    bool own_ok = next_own < own.size();
    if (!db_ok && !own_ok)
      break;
    // c < 0: the store's key comes first in scan order; c == 0: the
    // transaction's write replaces the stored entry.
    int c = !db_ok ? 1 : !own_ok ? -1 : it->key().compare(*own[next_own].first);
    c = (c > 0) - (c < 0);
    if (reverse && db_ok && own_ok)
      c = -c;
    std::string_view key, value;
    bool deleted = false;
    if (c < 0) {
      key = it->key();
      value = it->value();
      ++stats_.entries_read;
    } else {
      key = *own[next_own].first;
      deleted = !own[next_own].second->has_value();
      if (!deleted)
        value = **own[next_own].second;
    }
    if (!deleted && !fn(key, value)) {
      // Only what was read up to here counts as read: a later insert
      // beyond it cannot change this transaction's result.
      if (options_.read_only) {
      } else if (reverse) {
        read_ranges_.emplace_back(std::string(key), end);
      } else {
        std::string stop(key);
        stop.push_back('\0');
        read_ranges_.emplace_back(begin, std::move(stop));
      }
      return it->status();
    }
    if (c <= 0) {
      if (reverse)
        it->Prev();
      else
        it->Next();
    }
    if (c >= 0)
      ++next_own;
  }
  if (!options_.read_only)
    read_ranges_.emplace_back(begin, end);
  return it->status();
}

void TxnImpl::SeekForward(Iterator* it, const std::string& key, uint64_t max_steps) {
  // Ids fetched for a batch of rows are often dense (ascending runs of
  // subjects), so the next key is usually a step or two away: stepping stays
  // inside the current blocks, a seek goes through every level's index. The
  // caller bounds the steps by the gap between the ids.
  // Entries are counted as the iterator lands on them.
  for (uint64_t i = 0; i < max_steps && it->Valid() && it->key() < key; ++i) {
    it->Next();
    stats_.entries_read += it->Valid();
  }
  if (!it->Valid() || it->key() < key) {
    it->Seek(key);
    ++stats_.seeks;
    stats_.entries_read += it->Valid();
  }
}

// Ids at most this far apart are read by stepping an iterator.
constexpr uint64_t kStepGap = 4;

Status TxnImpl::MultiGetRaw(const std::vector<std::string>& keys, const std::vector<uint64_t>& ids,
                            std::string_view lower, std::string_view upper,
                            const std::function<Status(size_t, const std::string_view*)>& fn) {
  // Dense runs of ids (neighbours within a few subjects) share one iterator
  // that steps from key to key; an isolated id is a point lookup, which the
  // bloom filters make cheaper than positioning an iterator on every level.
  auto near = [&](size_t i, size_t j) { return ids[j] - ids[i] <= kStepGap; };
  std::unique_ptr<Iterator> it;
  ReadOptions ro;
  ro.snapshot = snapshot_;
  ro.lower_bound = lower;
  ro.upper_bound = upper;
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    bool dense = (i > 0 && near(i - 1, i)) || (i + 1 < keys.size() && near(i, i + 1));
    if (!dense) {
      std::string value;
      bool found = false;
      TRINE_RETURN_IF_ERROR(GetRaw(key, &value, &found));
      std::string_view v = value;
      TRINE_RETURN_IF_ERROR(fn(i, found ? &v : nullptr));
      continue;
    }
    if (const WriteSet::Value* w = writes_.Find(key)) {
      std::string_view v;
      if (w->has_value())
        v = **w;
      TRINE_RETURN_IF_ERROR(fn(i, w->has_value() ? &v : nullptr));
      continue;
    }
    if (!options_.read_only)
      read_keys_.push_back(key);
    if (it == nullptr)
      it = db_->db_->NewIterator(ro);
    // The iterator rests at or before ids[i-1]'s key; ids[i]'s is at most
    // ids[i] - ids[i-1] steps further.
    uint64_t gap = i == 0 ? 0 : ids[i] - ids[i - 1];
    SeekForward(it.get(), key, gap <= kStepGap ? gap : 0);
    if (it->Valid() && it->key() == key) {
      std::string_view v = it->value();
      TRINE_RETURN_IF_ERROR(fn(i, &v));
    } else {
      TRINE_RETURN_IF_ERROR(it->status());
      TRINE_RETURN_IF_ERROR(fn(i, nullptr));
    }
  }
  return it != nullptr ? it->status() : Status::OK();
}

void TxnImpl::PutRaw(std::string key, std::string value) {
  writes_.Put(std::move(key), std::move(value));
}

void TxnImpl::DeleteRaw(std::string key) {
  writes_.Put(std::move(key), std::nullopt);
}

// ---------------------------------------------------------------- schema --

Result<const TypeInfo*> TxnImpl::ResolveType(std::string_view name) const {
  const TypeInfo* t = catalog_->Find(name);
  if (t == nullptr)
    return Status::NotFound("unknown type '" + std::string(name) + "'");
  return t;
}

Result<const TypeInfo*> TxnImpl::ResolveWritableType(std::string_view name) const {
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* t, ResolveType(name));
  if ((t->is_view() || t->name == kViewStateType) && !options_.maintain_views)
    return Status::InvalidArgument(
        t->name + (t->is_view() ? " is a view: its rows come from its query (change the data it "
                                  "reads, or REFRESH VIEW " +
                                      t->name + ")"
                                : " holds the state of the views and is written by the store"));
  return t;
}

void TxnImpl::Rebase() {
  const Snapshot* old = snapshot_;
  snapshot_ = db_->AcquireSnapshot();
  snapshot_seq_ = snapshot_->sequence();
  if (old != nullptr)
    db_->ReleaseTxnSnapshot(old);
}

Result<const FieldInfo*> TxnImpl::ResolveField(const TypeInfo*& type, std::string_view name,
                                               bool create) {
  const FieldInfo* f = nullptr;
  if (!name.empty() && name[0] == '#') {
    uint64_t number = 0;
    bool ok = name.size() > 1 && name.size() < 12;
    for (char ch : name.substr(1)) {
      ok = ok && ch >= '0' && ch <= '9';
      number = number * 10 + static_cast<uint64_t>(ch - '0');
    }
    if (!ok)
      return Status::InvalidArgument("bad field number '" + std::string(name) + "'");
    f = type->FindNumber(number);
    if (f == nullptr)
      return Status::NotFound("type " + type->name + " has no field " + std::string(name));
  } else {
    f = type->FindField(name);
  }
  if (f != nullptr) {
    if (create && type->strict && f->state != FieldInfo::State::kActive)
      return Status::InvalidArgument(
          "cannot write " + FieldLabel(*type, *f) + ": the field is " +
          (f->state == FieldInfo::State::kRetired ? "retired" : "undeclared") + " and " +
          type->name + " is STRICT");
    return f;
  }
  if (type->strict)
    return Status::InvalidArgument("unknown attribute '" + std::string(name) + "' of STRICT type " +
                                   type->name);
  if (!create)
    return static_cast<const FieldInfo*>(nullptr);
  if (name.empty())
    return Status::InvalidArgument("empty attribute name");
  uint64_t type_id = type->id;
  TRINE_RETURN_IF_ERROR(db_->CreateDynamicField(type_id, std::string(name)));
  // The new catalog differs only by the added field, so this transaction's
  // reads stay valid; keep the old one alive for pointers already handed out.
  retained_.push_back(catalog_);
  catalog_ = db_->catalog();
  if (catalog_->schema_version != schema_version_)
    return Status::Conflict("the schema changed while the transaction ran");
  type = catalog_->FindId(type_id);
  if (type == nullptr)
    return Status::Conflict("type dropped while the transaction ran");
  f = type->FindField(name);
  if (f == nullptr)
    return Status::Corruption("dynamic field was not created");
  return f;
}

// ----------------------------------------------------------------- values --

Result<bool> TxnImpl::Exists(uint64_t type, uint64_t id) {
  std::string value;
  bool found = false;
  TRINE_RETURN_IF_ERROR(GetRaw(PresenceKey(type, id), &value, &found));
  return found;
}

Result<Value> TxnImpl::ReadValue(uint64_t type, uint64_t field, uint64_t id) {
  std::string raw;
  bool found = false;
  TRINE_RETURN_IF_ERROR(GetRaw(TripleKey(Keyspace::kData, type, field, id), &raw, &found));
  Value v;
  if (found) {
    Status s = DecodeStoredValue(raw, &v);
    if (!s.ok())
      return Status::Corruption("value of type " + std::to_string(type) + " field " +
                                std::to_string(field) + " subject " + std::to_string(id) + ": " +
                                s.message());
  }
  return v;
}

Result<Value> TxnImpl::Coerce(const TypeInfo& type, const FieldInfo& field, const Value& v) const {
  if (v.type() == ValueType::kString && !IsValidUtf8(v.as_string()))
    return Status::InvalidArgument(FieldLabel(type, field) + ": string is not valid UTF-8");
  if (v.type() == ValueType::kDecimal &&
      (v.as_decimal().scale < 0 || v.as_decimal().scale > Decimal::kMaxScale))
    return Status::InvalidArgument(FieldLabel(type, field) + ": decimal scale out of range");
  if (std::optional<Value> c = ConvertLossless(v, field))
    return *c;
  if (type.strict)
    return Status::InvalidArgument(FieldLabel(type, field) + ": expected " + field.TypeName() +
                                   ", got " + std::string(ValueTypeName(v.type())) + " " +
                                   v.ToString());
  // Lax: like SQLite's flexible typing, a value that does not convert is kept
  // as given (values carry their type; indexes order it by type first).
  return v;
}

void TxnImpl::RecordChange(uint64_t type, uint64_t field, uint64_t id, const Value& old_v,
                           const Value& new_v) {
  if (changes_.empty())
    changes_.reserve(4);  // an entity's few fields: one allocation, not three
  changes_.push_back(Change{type, field, id, old_v, new_v});
}

Status TxnImpl::WriteValue(const TypeInfo& type, const FieldInfo& field, uint64_t id,
                           const Value& v, const Value* old) {
  Value old_v;
  if (old != nullptr) {
    old_v = *old;
  } else {
    TRINE_ASSIGN_OR_RETURN(old_v, ReadValue(type.id, field.number, id));
  }
  // Same value, same type: nothing to write (1.5 and 1.50 differ in scale
  // only, and are rewritten so the stored scale is the field's).
  if (Value::Identical(old_v, v))
    return Status::OK();
  // The new index entry's [index type field value] prefix: the range a
  // unique check reads, and the key of the entry once the subject is added.
  std::string index_key;
  if (field.indexed && !v.is_null()) {
    index_key = IndexValuePrefix(type.id, field.number, v);
    if (field.unique) {
      const std::string& prefix = index_key;
      uint64_t holder = 0;
      TRINE_RETURN_IF_ERROR(ScanRaw(prefix, PrefixSuccessor(prefix), false,
                                    [&](std::string_view key, std::string_view) {
                                      std::string_view rest = key.substr(prefix.size());
                                      uint64_t s = 0;
                                      if (GetOrderedVarint(&rest, &s) && s != id) {
                                        holder = s;
                                        return false;
                                      }
                                      return true;
                                    }));
      if (holder != 0)
        return Status::InvalidArgument("unique constraint: " + FieldLabel(type, field) + " = " +
                                       v.ToString() + " is already used by " + type.name + "[" +
                                       std::to_string(holder) + "]");
    }
    PutOrderedVarint(&index_key, id);
  }
  std::string key = TripleKey(Keyspace::kData, type.id, field.number, id);
  if (v.is_null()) {
    DeleteRaw(std::move(key));
  } else {
    std::string encoded;
    EncodeStoredValue(v, &encoded);
    PutRaw(std::move(key), std::move(encoded));
  }
  if (field.indexed) {
    if (!old_v.is_null())
      DeleteRaw(IndexKey(type.id, field.number, old_v, id));
    if (!v.is_null())
      PutRaw(std::move(index_key), "");
  }
  RecordChange(type.id, field.number, id, old_v, v);
  return Status::OK();
}

// ---------------------------------------------------------------- entities --

Result<uint64_t> TxnImpl::Insert(std::string_view type_name, const Fields& fields) {
  TRINE_RETURN_IF_ERROR(CheckWritable());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveWritableType(type_name));
  // Resolve every name first: a dynamic field may replace the catalog.
  std::vector<std::pair<uint64_t, Value>> given;
  for (const auto& [name, value] : fields) {
    TRINE_ASSIGN_OR_RETURN(const FieldInfo* f, ResolveField(type, name, !value.is_null()));
    if (f == nullptr)
      continue;
    for (const auto& g : given)
      if (g.first == f->number)
        return Status::InvalidArgument(FieldLabel(*type, *f) + " is given twice");
    given.emplace_back(f->number, value);
  }
  std::map<uint64_t, Value> values;
  for (auto& [number, value] : given) {
    const FieldInfo* f = type->FindNumber(number);
    TRINE_ASSIGN_OR_RETURN(Value v, Coerce(*type, *f, value));
    values[number] = std::move(v);
  }
  for (const FieldInfo& f : type->fields) {
    if (f.state != FieldInfo::State::kActive)
      continue;
    auto it = values.find(f.number);
    if ((it == values.end() || it->second.is_null()) && f.default_value) {
      TRINE_ASSIGN_OR_RETURN(values[f.number], Coerce(*type, f, *f.default_value));
      it = values.find(f.number);
    }
    if (f.required && (it == values.end() || it->second.is_null()))
      return Status::InvalidArgument(FieldLabel(*type, f) + " is REQUIRED");
  }
  uint64_t id = db_->AllocateId();
  allocated_ids_ = true;
  PutRaw(PresenceKey(type->id, id), "");
  RecordChange(type->id, 0, id, Value(), Value::Bool(true));
  Value none;
  for (auto& [number, value] : values) {
    if (value.is_null())
      continue;
    TRINE_RETURN_IF_ERROR(WriteValue(*type, *type->FindNumber(number), id, value, &none));
  }
  return id;
}

Status TxnImpl::Update(std::string_view type_name, uint64_t id, const Fields& fields) {
  TRINE_RETURN_IF_ERROR(CheckWritable());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveWritableType(type_name));
  std::vector<std::pair<uint64_t, Value>> given;
  for (const auto& [name, value] : fields) {
    TRINE_ASSIGN_OR_RETURN(const FieldInfo* f, ResolveField(type, name, !value.is_null()));
    if (f == nullptr)
      continue;  // retracting an attribute that never existed
    for (const auto& g : given)
      if (g.first == f->number)
        return Status::InvalidArgument(FieldLabel(*type, *f) + " is given twice");
    given.emplace_back(f->number, value);
  }
  // The old values are read first: a stored value implies the entity exists
  // (see Get below), so the presence key is read only when none is found.
  std::vector<Value> old(given.size());
  bool exists = false;
  for (size_t i = 0; i < given.size(); ++i) {
    TRINE_ASSIGN_OR_RETURN(old[i], ReadValue(type->id, given[i].first, id));
    exists = exists || !old[i].is_null();
  }
  if (!exists) {
    TRINE_ASSIGN_OR_RETURN(exists, Exists(type->id, id));
  }
  if (!exists)
    return Status::NotFound(type->name + "[" + std::to_string(id) + "] does not exist");
  for (size_t i = 0; i < given.size(); ++i) {
    const FieldInfo& f = *type->FindNumber(given[i].first);
    const Value& value = given[i].second;
    if (value.is_null() && f.required && f.state == FieldInfo::State::kActive)
      return Status::InvalidArgument(FieldLabel(*type, f) + " is REQUIRED");
    TRINE_ASSIGN_OR_RETURN(Value v, Coerce(*type, f, value));
    TRINE_RETURN_IF_ERROR(WriteValue(*type, f, id, v, &old[i]));
  }
  return Status::OK();
}

Status TxnImpl::Put(std::string_view type_name, uint64_t id, const Fields& fields) {
  TRINE_RETURN_IF_ERROR(CheckWritable());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveWritableType(type_name));
  if (!options_.maintain_views)
    return Status::InvalidArgument("Put is for the rows of views");
  std::map<uint64_t, Value> values;
  for (const auto& [name, value] : fields) {
    TRINE_ASSIGN_OR_RETURN(const FieldInfo* f, ResolveField(type, name, false));
    if (f == nullptr)
      return Status::InvalidArgument(type->name + " has no attribute '" + name + "'");
    TRINE_ASSIGN_OR_RETURN(values[f->number], Coerce(*type, *f, value));
  }
  TRINE_ASSIGN_OR_RETURN(bool exists, Exists(type->id, id));
  if (!exists) {
    PutRaw(PresenceKey(type->id, id), "");
    RecordChange(type->id, 0, id, Value(), Value::Bool(true));
  }
  for (const FieldInfo& f : type->fields) {
    auto it = values.find(f.number);
    Value v = it == values.end() ? Value() : it->second;
    Value old_v;
    if (exists) {
      TRINE_ASSIGN_OR_RETURN(old_v, ReadValue(type->id, f.number, id));
    }
    if (v == old_v && v.type() == old_v.type())
      continue;
    TRINE_RETURN_IF_ERROR(WriteValue(*type, f, id, v, &old_v));
  }
  return Status::OK();
}

Status TxnImpl::Delete(std::string_view type_name, uint64_t id) {
  TRINE_RETURN_IF_ERROR(CheckWritable());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveWritableType(type_name));
  // As in Update: a stored value proves the entity exists.
  std::vector<Value> old(type->fields.size());
  bool exists = false;
  for (size_t i = 0; i < old.size(); ++i) {
    TRINE_ASSIGN_OR_RETURN(old[i], ReadValue(type->id, type->fields[i].number, id));
    exists = exists || !old[i].is_null();
  }
  if (!exists) {
    TRINE_ASSIGN_OR_RETURN(exists, Exists(type->id, id));
  }
  if (!exists)
    return Status::NotFound(type->name + "[" + std::to_string(id) + "] does not exist");
  for (size_t i = 0; i < old.size(); ++i)
    if (!old[i].is_null())
      TRINE_RETURN_IF_ERROR(WriteValue(*type, type->fields[i], id, Value(), &old[i]));
  DeleteRaw(PresenceKey(type->id, id));
  RecordChange(type->id, 0, id, Value::Bool(true), Value());
  return Status::OK();
}

// A stored value implies the entity exists (Insert writes the presence key,
// Delete removes every value with it), so reads look at the values first and
// consult the presence key only when they find none: one lookup fewer.
Result<std::optional<Entity>> TxnImpl::Get(std::string_view type_name, uint64_t id) {
  TRINE_RETURN_IF_ERROR(CheckOpen());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveType(type_name));
  Entity e;
  e.id = id;
  e.type = type->name;
  for (const FieldInfo& f : type->fields) {
    TRINE_ASSIGN_OR_RETURN(Value v, ReadValue(type->id, f.number, id));
    if (!v.is_null())
      e.fields.emplace_back(FieldName(f), std::move(v));
  }
  if (e.fields.empty()) {
    TRINE_ASSIGN_OR_RETURN(bool exists, Exists(type->id, id));
    if (!exists)
      return std::optional<Entity>();
  }
  return std::optional<Entity>(std::move(e));
}

Result<Value> TxnImpl::GetField(std::string_view type_name, uint64_t id, std::string_view name) {
  TRINE_RETURN_IF_ERROR(CheckOpen());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveType(type_name));
  TRINE_ASSIGN_OR_RETURN(const FieldInfo* f, ResolveField(type, name, false));
  Value v;
  if (f != nullptr) {
    TRINE_ASSIGN_OR_RETURN(v, ReadValue(type->id, f->number, id));
  }
  if (v.is_null()) {
    TRINE_ASSIGN_OR_RETURN(bool exists, Exists(type->id, id));
    if (!exists)
      return Status::NotFound(type->name + "[" + std::to_string(id) + "] does not exist");
  }
  return v;
}

Status TxnImpl::Scan(std::string_view type_name, const std::function<bool(uint64_t)>& fn) {
  TRINE_RETURN_IF_ERROR(CheckOpen());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveType(type_name));
  std::string prefix = PresencePrefix(type->id);
  Status bad;
  TRINE_RETURN_IF_ERROR(
      ScanRaw(prefix, PrefixSuccessor(prefix), false, [&](std::string_view key, std::string_view) {
        uint64_t t, s;
        if (!ParsePresenceKey(key, &t, &s)) {
          bad = Status::Corruption("malformed presence key");
          return false;
        }
        return fn(s);
      }));
  return bad;
}

Status TxnImpl::IndexScan(std::string_view type_name, std::string_view field_name,
                          const IndexRange& range,
                          const std::function<bool(const Value&, uint64_t)>& fn) {
  TRINE_RETURN_IF_ERROR(CheckOpen());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveType(type_name));
  TRINE_ASSIGN_OR_RETURN(const FieldInfo* f, ResolveField(type, field_name, false));
  if (f == nullptr)
    return Status::NotFound("type " + type->name + " has no field '" + std::string(field_name) +
                            "'");
  if (!f->indexed)
    return Status::InvalidArgument(FieldLabel(*type, *f) + " has no index");
  std::string prefix = AttrPrefix(Keyspace::kIndex, type->id, f->number);
  auto bound_key = [&](const IndexBound& b) {
    std::optional<Value> c = range.as_given ? std::nullopt : ConvertLossless(b.value, *f);
    return IndexValuePrefix(type->id, f->number, c ? *c : b.value);
  };
  std::string begin = prefix, end = PrefixSuccessor(prefix);
  if (range.lower) {
    std::string k = bound_key(*range.lower);
    begin = range.lower->inclusive ? k : PrefixSuccessor(k);
  }
  if (range.upper) {
    std::string k = bound_key(*range.upper);
    ValueType t = range.upper->value.type();
    if (range.upper->prefix && (t == ValueType::kString || t == ValueType::kBytes)) {
      // Drop the string terminator (00 01): what remains prefixes the
      // encoding of every string that starts with the value.
      k.resize(k.size() - 2);
      end = PrefixSuccessor(k);
    } else {
      end = range.upper->inclusive ? PrefixSuccessor(k) : k;
    }
  }
  if (begin >= end)
    return Status::OK();
  uint64_t left = range.limit;
  if (left == 0)
    return Status::OK();
  Status bad;
  TRINE_RETURN_IF_ERROR(
      ScanRaw(begin, end, range.descending, [&](std::string_view key, std::string_view) {
        Value v;
        uint64_t s;
        if (!ParseIndexKey(key, prefix.size(), &v, &s)) {
          bad = Status::Corruption("malformed index key");
          return false;
        }
        if (f->type == FieldType::kDecimal) {
          if (std::optional<Value> c = ConvertLossless(v, *f))
            v = *c;
        } else if (v.type() == ValueType::kDecimal) {
          // A decimal in a lax field of another type: the index keeps it by
          // value, without its scale (1.20 as 1.2); the triple has it.
          Result<Value> stored = ReadValue(type->id, f->number, s);
          if (!stored.ok()) {
            bad = stored.status();
            return false;
          }
          if (stored->type() == ValueType::kDecimal)
            v = std::move(*stored);
        }
        return fn(v, s) && --left > 0;
      }));
  return bad;
}

Result<const FieldInfo*> TxnImpl::ResolveRefField(const TypeInfo*& type,
                                                  std::string_view field_name) {
  TRINE_ASSIGN_OR_RETURN(const FieldInfo* f, ResolveField(type, field_name, false));
  if (f == nullptr)
    return Status::NotFound("type " + type->name + " has no field '" + std::string(field_name) +
                            "'");
  if (f->type != FieldType::kRef || !f->indexed)
    return Status::InvalidArgument(FieldLabel(*type, *f) + " is not a reference");
  return f;
}

Status TxnImpl::Referrers(std::string_view type_name, std::string_view field_name, uint64_t target,
                          const std::function<bool(uint64_t)>& fn) {
  TRINE_RETURN_IF_ERROR(CheckOpen());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveType(type_name));
  TRINE_ASSIGN_OR_RETURN(const FieldInfo* f, ResolveRefField(type, field_name));
  std::string prefix = IndexValuePrefix(type->id, f->number, Value::Ref(target));
  size_t n = prefix.size();
  Status bad;
  TRINE_RETURN_IF_ERROR(
      ScanRaw(prefix, PrefixSuccessor(prefix), false, [&](std::string_view key, std::string_view) {
        std::string_view rest = key.substr(n);
        uint64_t s;
        if (!GetOrderedVarint(&rest, &s) || !rest.empty()) {
          bad = Status::Corruption("malformed index key");
          return false;
        }
        return fn(s);
      }));
  return bad;
}

Status TxnImpl::MultiGetField(std::string_view type_name, std::string_view field_name,
                              const std::vector<uint64_t>& ids, std::vector<Value>* out) {
  TRINE_RETURN_IF_ERROR(CheckOpen());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveType(type_name));
  TRINE_ASSIGN_OR_RETURN(const FieldInfo* f, ResolveField(type, field_name, false));
  out->assign(ids.size(), Value());
  if (f == nullptr || ids.empty())
    return Status::OK();
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (uint64_t id : ids)
    keys.push_back(TripleKey(Keyspace::kData, type->id, f->number, id));
  std::string lower = keys.front(), upper = PrefixSuccessor(keys.back());
  return MultiGetRaw(keys, ids, lower, upper, [&](size_t i, const std::string_view* raw) {
    if (raw == nullptr)
      return Status::OK();
    Status s = DecodeStoredValue(*raw, &(*out)[i]);
    if (!s.ok())
      return Status::Corruption(FieldLabel(*type, *f) + " of subject " + std::to_string(ids[i]) +
                                ": " + s.message());
    return Status::OK();
  });
}

Status TxnImpl::MultiExists(std::string_view type_name, const std::vector<uint64_t>& ids,
                            std::vector<uint8_t>* out) {
  TRINE_RETURN_IF_ERROR(CheckOpen());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveType(type_name));
  out->assign(ids.size(), 0);
  if (ids.empty())
    return Status::OK();
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (uint64_t id : ids)
    keys.push_back(PresenceKey(type->id, id));
  std::string lower = keys.front(), upper = PrefixSuccessor(keys.back());
  return MultiGetRaw(keys, ids, lower, upper, [&](size_t i, const std::string_view* raw) {
    (*out)[i] = raw != nullptr;
    return Status::OK();
  });
}

Status TxnImpl::MultiReferrers(std::string_view type_name, std::string_view field_name,
                               const std::vector<uint64_t>& targets,
                               const std::function<bool(uint64_t, uint64_t)>& fn) {
  TRINE_RETURN_IF_ERROR(CheckOpen());
  TRINE_ASSIGN_OR_RETURN(const TypeInfo* type, ResolveType(type_name));
  TRINE_ASSIGN_OR_RETURN(const FieldInfo* f, ResolveRefField(type, field_name));
  if (targets.empty())
    return Status::OK();
  std::string lower = IndexValuePrefix(type->id, f->number, Value::Ref(targets.front()));
  std::string upper =
      PrefixSuccessor(IndexValuePrefix(type->id, f->number, Value::Ref(targets.back())));
  // The transaction's own index writes in the range must be merged in: rare
  // (a query after a write in the same transaction), so take the general
  // path, one merged scan per target.
  if (writes_.AnyInRange(lower, upper)) {
    for (uint64_t target : targets) {
      bool stop = false;
      TRINE_RETURN_IF_ERROR(Referrers(type_name, field_name, target, [&](uint64_t id) {
        stop = !fn(target, id);
        return !stop;
      }));
      if (stop)
        break;
    }
    return Status::OK();
  }
  Status bad;
  auto parse = [&](std::string_view key, size_t n, uint64_t* s) {
    std::string_view rest = key.substr(n);
    if (!GetOrderedVarint(&rest, s) || !rest.empty()) {
      bad = Status::Corruption("malformed index key of " + FieldLabel(*type, *f));
      return false;
    }
    return true;
  };
  ReadOptions ro;
  ro.snapshot = snapshot_;
  ro.lower_bound = lower;
  ro.upper_bound = upper;
  std::unique_ptr<Iterator> it = db_->db_->NewIterator(ro);
  for (uint64_t target : targets) {
    std::string prefix = IndexValuePrefix(type->id, f->number, Value::Ref(target));
    if (!options_.read_only)
      read_ranges_.emplace_back(prefix, PrefixSuccessor(prefix));
    // After the previous target's entries the iterator already rests on the
    // next referenced target when it is the next one in the index; otherwise
    // entries of targets not asked for lie between: seek over them.
    SeekForward(it.get(), prefix, 0);
    for (; it->Valid() && it->key().starts_with(prefix);
         it->Next(), stats_.entries_read += it->Valid()) {
      uint64_t s;
      if (!parse(it->key(), prefix.size(), &s))
        return bad;
      if (!fn(target, s))
        return Status::OK();
    }
    TRINE_RETURN_IF_ERROR(it->status());
  }
  return it->status();
}

Status TxnImpl::Commit() {
  TRINE_RETURN_IF_ERROR(CheckOpen());
  Status s = writes_.empty() ? Status::OK() : db_->CommitTxn(this);
  Rollback();  // releases the snapshot and buffers
  return s;
}

}  // namespace trine::triples
