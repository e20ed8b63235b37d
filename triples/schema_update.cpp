// Database::UpdateSchema: diff the desired types against the stored catalog
// and apply the difference, with the data migrations it needs, in one atomic
// batch. Everything is checked before anything is written, so a rejected
// update leaves catalog and data exactly as they were.
#include <algorithm>
#include <set>

#include "common/coding.h"
#include "trine/write_batch.h"
#include "triples/convert.h"
#include "triples/database_impl.h"
#include "triples/keys.h"
#include "triples/value_codec.h"
#include "triples/view_support.h"

namespace trine::triples {

namespace {

constexpr uint64_t kProgressEvery = 10000;

// Fields that differ in the way stored values are interpreted.
bool SameValueType(const FieldInfo& a, const FieldInfo& b) {
  if (a.type != b.type)
    return false;
  if (a.type == FieldType::kDecimal)
    return a.precision == b.precision && a.scale == b.scale;
  if (a.type == FieldType::kRef)
    return a.ref_type == b.ref_type;
  return true;
}

std::string Label(const std::string& type, const FieldInfo& f) {
  return type + "." + FieldName(f);
}

class Planner {
 public:
  Planner(DB* db, const Catalog& cur, const SchemaUpdateOptions& options)
      : db_(db), cur_(cur), options_(options) {}

  Status Plan(const std::vector<TypeInfo>& desired);

  WriteBatch batch;
  SchemaReport report;
  ChangeSet changes;

 private:
  Status Fail(const std::string& type, uint64_t field, SchemaErrorSite::Part part,
              const std::string& message) {
    if (options_.error_site != nullptr)
      *options_.error_site = SchemaErrorSite{type, field, part};
    return Status::InvalidArgument(message);
  }
  // Every (subject, value) stored for one field, in subject order.
  Status ReadColumn(uint64_t type, uint64_t field,
                    std::vector<std::pair<uint64_t, Value>>* out) const;
  Status Subjects(uint64_t type, std::vector<uint64_t>* out) const;
  void Progress(const std::string& what, uint64_t done, uint64_t total) const {
    if (options_.progress)
      options_.progress(what, done, total);
  }
  Status PlanType(const TypeInfo& d, const TypeInfo* e, TypeInfo* result);
  Status PlanField(const TypeInfo& d, const TypeInfo* e, const FieldInfo& df, FieldInfo* rf);
  void BuildIndex(uint64_t type, const FieldInfo& f,
                  const std::vector<std::pair<uint64_t, Value>>& column, const std::string& label);

  DB* db_;
  const Catalog& cur_;
  const SchemaUpdateOptions& options_;
  std::map<std::string, uint64_t, std::less<>> final_ids_;
};

Status Planner::ReadColumn(uint64_t type, uint64_t field,
                           std::vector<std::pair<uint64_t, Value>>* out) const {
  return ScanPrefix(db_, AttrPrefix(Keyspace::kData, type, field),
                    [&](std::string_view key, std::string_view value, Status* error) {
                      uint64_t t, f, s;
                      Value v;
                      if (!ParseTripleKey(key, &t, &f, &s)) {
                        *error = Status::Corruption("malformed data key");
                        return false;
                      }
                      *error = DecodeStoredValue(value, &v);
                      out->emplace_back(s, std::move(v));
                      return true;
                    });
}

Status Planner::Subjects(uint64_t type, std::vector<uint64_t>* out) const {
  return ScanPrefix(db_, PresencePrefix(type),
                    [&](std::string_view key, std::string_view, Status* error) {
                      uint64_t t, s;
                      if (!ParsePresenceKey(key, &t, &s)) {
                        *error = Status::Corruption("malformed presence key");
                        return false;
                      }
                      out->push_back(s);
                      return true;
                    });
}

void Planner::BuildIndex(uint64_t type, const FieldInfo& f,
                         const std::vector<std::pair<uint64_t, Value>>& column,
                         const std::string& label) {
  uint64_t done = 0;
  for (const auto& [subject, v] : column) {
    batch.Put(IndexKey(type, f.number, v, subject), "");
    if (++done % kProgressEvery == 0)
      Progress("index " + label, done, column.size());
  }
  Progress("index " + label, done, column.size());
}

Status Planner::PlanField(const TypeInfo& d, const TypeInfo* e, const FieldInfo& df,
                          FieldInfo* rf) {
  using Part = SchemaErrorSite::Part;
  const std::string& tn = d.name;
  if (df.number == 0 || df.number > kMaxFieldNumber)
    return Fail(tn, df.number, Part::kNumber,
                tn + "." + df.name + ": field number must be in [1, " +
                    std::to_string(kMaxFieldNumber) + "]");
  if (df.name.empty() || df.name[0] == '#')
    return Fail(
        tn, df.number, Part::kName,
        tn + ": field " + std::to_string(df.number) + " needs a name (not starting with '#')");
  // A view's fields are untyped: its rows keep the value types its query gives.
  if (df.type == FieldType::kAny && !d.is_view())
    return Fail(tn, df.number, Part::kType, Label(tn, df) + ": a declared field needs a type");
  if (df.type == FieldType::kDecimal &&
      (df.precision < 1 || df.precision > Decimal::kMaxPrecision || df.scale < 0 ||
       df.scale > df.precision))
    return Fail(tn, df.number, Part::kType,
                Label(tn, df) + ": decimal(p,s) needs 1 <= p <= 18 and 0 <= s <= p");
  if (df.type == FieldType::kRef && !final_ids_.count(df.ref_type))
    return Fail(tn, df.number, Part::kType,
                Label(tn, df) + ": unknown type '" + df.ref_type + "' in REF");
  if (IsReserved(d, df.number))
    return Fail(tn, df.number, Part::kNumber,
                Label(tn, df) + ": field number " + std::to_string(df.number) + " is reserved");
  if (std::find(d.reserved_names.begin(), d.reserved_names.end(), df.name) !=
      d.reserved_names.end())
    return Fail(tn, df.number, Part::kName, Label(tn, df) + ": the name is reserved");

  *rf = df;
  rf->state = FieldInfo::State::kActive;
  rf->indexed = df.indexed || df.unique || df.type == FieldType::kRef;
  if (df.default_value) {
    std::optional<Value> c = ConvertLossless(*df.default_value, *rf);
    if (!c || (df.type == FieldType::kString && c->type() == ValueType::kString &&
               !IsValidUtf8(c->as_string())))
      return Fail(tn, df.number, Part::kDefault,
                  Label(tn, df) + ": DEFAULT " + df.default_value->ToString() + " is not a " +
                      df.TypeName());
    rf->default_value = c->is_null() ? std::nullopt : std::optional<Value>(*c);
  }

  const FieldInfo* ef = e ? e->FindNumber(df.number) : nullptr;
  if (e != nullptr && ef == nullptr) {
    if (IsReserved(*e, df.number))
      return Fail(tn, df.number, Part::kNumber,
                  Label(tn, df) + ": field number " + std::to_string(df.number) +
                      " is reserved; numbers are never reused");
    if (std::find(e->reserved_names.begin(), e->reserved_names.end(), df.name) !=
        e->reserved_names.end())
      return Fail(tn, df.number, Part::kName, Label(tn, df) + ": the name is reserved");
  }
  if (e != nullptr) {
    for (const FieldInfo& other : e->fields)
      if (other.state == FieldInfo::State::kDynamic && other.name == df.name &&
          other.number != df.number)
        return Fail(tn, df.number, Part::kNumber,
                    Label(tn, df) + ": an undeclared attribute '" + df.name +
                        "' already holds data as field number " + std::to_string(other.number) +
                        "; declare it with that number to adopt it, or choose another name");
  }
  if (ef != nullptr && ef->state == FieldInfo::State::kRetired)
    return Fail(tn, df.number, Part::kNumber,
                Label(tn, df) + ": field number " + std::to_string(df.number) +
                    " was retired (it was '" + ef->name + "'); field numbers are never reused");

  uint64_t type_id = final_ids_.at(d.name);
  std::string label = Label(tn, *rf);
  if (ef == nullptr) {
    report.changes.push_back(tn + ": add field " + rf->name + " " + rf->TypeName() + " = " +
                             std::to_string(rf->number));
    if (rf->required && e != nullptr) {
      std::vector<uint64_t> subjects;
      TRINE_RETURN_IF_ERROR(Subjects(type_id, &subjects));
      if (!subjects.empty()) {
        if (!rf->default_value)
          return Fail(tn, df.number, Part::kOption,
                      label + ": cannot add a REQUIRED field without a DEFAULT to a type with " +
                          std::to_string(subjects.size()) + " entities");
        std::string encoded;
        EncodeStoredValue(*rf->default_value, &encoded);
        std::vector<std::pair<uint64_t, Value>> column;
        for (uint64_t s : subjects) {
          batch.Put(TripleKey(Keyspace::kData, type_id, rf->number, s), encoded);
          column.emplace_back(s, *rf->default_value);
          changes.changes.push_back(Change{type_id, rf->number, s, Value(), *rf->default_value});
        }
        report.changes.push_back(label + ": fill DEFAULT into " + std::to_string(subjects.size()) +
                                 " entities");
        if (rf->indexed) {
          if (rf->unique && column.size() > 1)
            return Fail(tn, df.number, Part::kOption,
                        label + ": a UNIQUE field cannot be filled with one DEFAULT");
          BuildIndex(type_id, *rf, column, label);
        }
      }
    }
    return Status::OK();
  }

  // An existing field (active, or undeclared and now adopted).
  if (ef->state == FieldInfo::State::kDynamic)
    report.changes.push_back(label + ": adopt undeclared field " + std::to_string(ef->number));
  else if (ef->name != rf->name)
    report.changes.push_back(tn + ": rename field " + ef->name + " -> " + rf->name +
                             " (= " + std::to_string(rf->number) + ")");
  bool retype = !SameValueType(*ef, *rf);
  bool had_index = ef->indexed && ef->state == FieldInfo::State::kActive;
  bool becomes_strict = d.strict && !e->strict;
  bool need_scan = retype || becomes_strict || (rf->indexed && !had_index) ||
                   (rf->unique && !ef->unique) || (rf->required && !ef->required);
  std::vector<std::pair<uint64_t, Value>> column;
  if (need_scan)
    TRINE_RETURN_IF_ERROR(ReadColumn(type_id, rf->number, &column));
  if (retype) {
    if (ef->type == FieldType::kRef && rf->type == FieldType::kRef && !column.empty())
      return Fail(tn, df.number, Part::kType,
                  label + ": cannot change the target of a reference that holds data (" +
                      std::to_string(column.size()) + " values)");
    uint64_t converted = 0;
    for (auto& [subject, v] : column) {
      std::optional<Value> c = ConvertLossless(v, *rf);
      if (!c)
        return Fail(tn, df.number, Part::kType,
                    label + ": cannot change type from " + ef->TypeName() + " to " +
                        rf->TypeName() + ": " + tn + "[" + std::to_string(subject) + "]." +
                        rf->name + " = " + v.ToString() + " does not convert losslessly");
      std::string before, after;
      EncodeStoredValue(v, &before);
      EncodeStoredValue(*c, &after);
      if (before != after) {
        batch.Put(TripleKey(Keyspace::kData, type_id, rf->number, subject), after);
        changes.changes.push_back(Change{type_id, rf->number, subject, v, *c});
        ++converted;
      }
      v = std::move(*c);
    }
    report.changes.push_back(label + ": change type " + ef->TypeName() + " -> " + rf->TypeName() +
                             " (" + std::to_string(converted) + " values converted)");
  }
  if (becomes_strict && !retype) {
    // Lax writes may have stored values of other types; a strict type
    // promises none are left.
    for (const auto& [subject, v] : column)
      if (!ConvertLossless(v, *rf))
        return Fail(tn, df.number, Part::kType,
                    "cannot make " + tn + " STRICT: " + tn + "[" + std::to_string(subject) + "]." +
                        rf->name + " = " + v.ToString() + " is not of type " + rf->TypeName());
  }
  if (rf->unique && (!ef->unique || retype)) {
    std::map<std::string, uint64_t> seen;
    for (const auto& [subject, v] : column) {
      std::string k;
      EncodeOrderedValue(v, &k);
      auto [it, fresh] = seen.emplace(k, subject);
      if (!fresh)
        return Fail(tn, df.number, Part::kOption,
                    label + ": cannot make the field UNIQUE: " + tn + "[" +
                        std::to_string(it->second) + "] and " + tn + "[" + std::to_string(subject) +
                        "] both hold " + v.ToString());
    }
  }
  if (rf->required && !ef->required) {
    std::vector<uint64_t> subjects;
    TRINE_RETURN_IF_ERROR(Subjects(type_id, &subjects));
    size_t j = 0;
    for (uint64_t s : subjects) {
      while (j < column.size() && column[j].first < s)
        ++j;
      if (j == column.size() || column[j].first != s)
        return Fail(tn, df.number, Part::kOption,
                    label + ": cannot make the field REQUIRED: " + tn + "[" + std::to_string(s) +
                        "] has no value");
    }
  }
  std::string index_prefix = AttrPrefix(Keyspace::kIndex, type_id, rf->number);
  if (had_index && (!rf->indexed || retype)) {
    batch.DeleteRange(index_prefix, PrefixSuccessor(index_prefix));
    if (!rf->indexed)
      report.changes.push_back(label + ": drop index");
  }
  if (rf->indexed && (!had_index || retype)) {
    BuildIndex(type_id, *rf, column, label);
    report.changes.push_back(label + ": build index (" + std::to_string(column.size()) +
                             " entries)");
  }
  if (rf->unique != ef->unique && !retype)
    report.changes.push_back(label + (rf->unique ? ": add UNIQUE" : ": drop UNIQUE"));
  if (rf->required != ef->required)
    report.changes.push_back(label + (rf->required ? ": add REQUIRED" : ": drop REQUIRED"));
  bool default_same = rf->default_value.has_value() == ef->default_value.has_value() &&
                      (!rf->default_value || *rf->default_value == *ef->default_value);
  if (!default_same)
    report.changes.push_back(label + ": set DEFAULT " +
                             (rf->default_value ? rf->default_value->ToString() : "none"));
  return Status::OK();
}

Status Planner::PlanType(const TypeInfo& d, const TypeInfo* e, TypeInfo* r) {
  using Part = SchemaErrorSite::Part;
  r->name = d.name;
  r->id = final_ids_.at(d.name);
  r->numbered = d.numbered || (e != nullptr && e->numbered);
  r->strict = d.strict;
  r->view_query = d.view_query;
  r->view_manual = d.view_manual;
  if (e == nullptr) {
    report.changes.push_back(std::string(d.is_view() ? "add view " : "add type ") + d.name +
                             " (id " + std::to_string(r->id) + ")");
  } else {
    if (e->name != d.name)
      report.changes.push_back("rename type " + e->name + " -> " + d.name);
    if (e->strict != d.strict)
      report.changes.push_back(d.name + (d.strict ? ": make STRICT" : ": make lax"));
    if (e->is_view() != d.is_view())
      return Fail(d.name, 0, Part::kName,
                  d.name + (d.is_view() ? " is a TABLE; it cannot become a VIEW"
                                        : " is a VIEW; it cannot become a TABLE"));
    if (e->view_query != d.view_query)
      report.changes.push_back(d.name + ": new view definition (rebuilt)");
    if (e->view_manual != d.view_manual)
      report.changes.push_back(d.name +
                               (d.view_manual ? ": refresh MANUAL" : ": refresh ON COMMIT"));
  }
  // Reserved numbers and names only grow: a number once reserved stays so.
  r->reserved_ranges = d.reserved_ranges;
  r->reserved_names = d.reserved_names;
  for (auto [first, last] : r->reserved_ranges)
    if (first == 0 || first > last || last > kMaxFieldNumber)
      return Fail(
          d.name, 0, Part::kName,
          d.name + ": bad RESERVED range " + std::to_string(first) + " TO " + std::to_string(last));
  if (e != nullptr) {
    for (auto range : e->reserved_ranges)
      if (std::find(r->reserved_ranges.begin(), r->reserved_ranges.end(), range) ==
          r->reserved_ranges.end())
        r->reserved_ranges.push_back(range);
    for (const auto& n : e->reserved_names)
      if (std::find(r->reserved_names.begin(), r->reserved_names.end(), n) ==
          r->reserved_names.end())
        r->reserved_names.push_back(n);
  }
  std::sort(r->reserved_ranges.begin(), r->reserved_ranges.end());
  std::sort(r->reserved_names.begin(), r->reserved_names.end());
  // r holds e's reservations and maybe more: any difference is a new one.
  if (e != nullptr &&
      (r->reserved_ranges != e->reserved_ranges || r->reserved_names != e->reserved_names))
    report.changes.push_back(d.name + ": reserve numbers/names");

  std::set<uint64_t> numbers;
  std::set<std::string> names;
  for (const FieldInfo& df : d.fields) {
    if (!numbers.insert(df.number).second)
      return Fail(d.name, df.number, Part::kNumber,
                  d.name + ": field number " + std::to_string(df.number) + " is used twice");
    if (!names.insert(df.name).second)
      return Fail(d.name, df.number, Part::kName,
                  d.name + ": field name '" + df.name + "' is used twice");
    FieldInfo rf;
    TRINE_RETURN_IF_ERROR(PlanField(d, e, df, &rf));
    r->fields.push_back(std::move(rf));
  }
  if (e != nullptr) {
    for (const FieldInfo& ef : e->fields) {
      if (numbers.count(ef.number))
        continue;
      FieldInfo kept = ef;
      if (ef.state == FieldInfo::State::kActive) {
        // Removing a field retires it: the number stays taken, the data stays
        // (readable as a retired field in lax mode), the index goes.
        kept.state = FieldInfo::State::kRetired;
        kept.indexed = kept.unique = kept.required = false;
        kept.default_value.reset();
        std::string label = Label(d.name, ef);
        report.changes.push_back(label + ": retire field (number " + std::to_string(ef.number) +
                                 " reserved)");
        if (ef.indexed) {
          std::string prefix = AttrPrefix(Keyspace::kIndex, r->id, ef.number);
          batch.DeleteRange(prefix, PrefixSuccessor(prefix));
        }
      }
      r->fields.push_back(std::move(kept));
    }
  }
  std::sort(r->fields.begin(), r->fields.end(),
            [](const FieldInfo& a, const FieldInfo& b) { return a.number < b.number; });
  return Status::OK();
}

Status Planner::Plan(const std::vector<TypeInfo>& desired) {
  using Part = SchemaErrorSite::Part;
  // Match each desired type with a stored one: by number when it has one,
  // else by name.
  std::vector<const TypeInfo*> matched(desired.size(), nullptr);
  std::set<uint64_t> claimed;
  std::set<std::string> desired_names;
  for (size_t i = 0; i < desired.size(); ++i) {
    const TypeInfo& d = desired[i];
    if (d.name.empty())
      return Fail(d.name, 0, Part::kName, "a type needs a name");
    if (!desired_names.insert(d.name).second)
      return Fail(d.name, 0, Part::kName, "type " + d.name + " is declared twice");
    if (d.numbered) {
      if (d.id == 0 || d.id > kMaxFieldNumber)
        return Fail(
            d.name, 0, Part::kNumber,
            d.name + ": type number must be in [1, " + std::to_string(kMaxFieldNumber) + "]");
      const TypeInfo* byid = cur_.FindId(d.id);
      const TypeInfo* byname = cur_.Find(d.name);
      if (byid != nullptr && !byid->numbered && byid->name != d.name)
        return Fail(
            d.name, 0, Part::kNumber,
            d.name + ": type number " + std::to_string(d.id) + " is taken by type " + byid->name);
      if (byid == nullptr && byname != nullptr)
        return Fail(d.name, 0, Part::kNumber,
                    d.name + ": the type exists with id " + std::to_string(byname->id) +
                        "; its number cannot change");
      matched[i] = byid;
    } else {
      matched[i] = cur_.Find(d.name);
    }
    if (matched[i] != nullptr && !claimed.insert(matched[i]->id).second)
      return Fail(d.name, 0, Part::kName, d.name + ": matches a type already matched");
  }
  // Final ids and names: every stored type not being replaced keeps its name.
  uint64_t max_id = 0;
  for (const auto& [id, t] : cur_.types)
    max_id = std::max(max_id, id);
  for (const TypeInfo& d : desired)
    if (d.numbered)
      max_id = std::max(max_id, d.id);
  for (const auto& [id, t] : cur_.types)
    if (!claimed.count(id))
      final_ids_[t.name] = id;
  std::set<uint64_t> used_ids(claimed.begin(), claimed.end());
  for (const auto& [name, id] : final_ids_)
    used_ids.insert(id);
  for (size_t i = 0; i < desired.size(); ++i) {
    const TypeInfo& d = desired[i];
    uint64_t id = matched[i] ? matched[i]->id : d.numbered ? d.id : ++max_id;
    if (!matched[i] && !used_ids.insert(id).second)
      return Fail(d.name, 0, Part::kNumber,
                  d.name + ": type number " + std::to_string(id) + " is already in use");
    if (final_ids_.count(d.name))
      return Fail(d.name, 0, Part::kName, "type name " + d.name + " is already in use");
    final_ids_[d.name] = id;
  }

  for (size_t i = 0; i < desired.size(); ++i) {
    TypeInfo r;
    TRINE_RETURN_IF_ERROR(PlanType(desired[i], matched[i], &r));
    std::map<std::string, std::string> before, after;
    if (matched[i] != nullptr)
      TRINE_RETURN_IF_ERROR(TypeTriples(*matched[i], cur_.ids, &before));
    Status s = TypeTriples(r, final_ids_, &after);
    if (!s.ok())
      return Fail(r.name, 0, Part::kName, r.name + ": " + std::string(s.message()));
    for (const auto& [k, v] : before)
      if (!after.count(k))
        batch.Delete(k);
    for (const auto& [k, v] : after) {
      auto it = before.find(k);
      if (it == before.end() || it->second != v)
        batch.Put(k, v);
    }
  }
  return Status::OK();
}

}  // namespace

Result<SchemaReport> DatabaseImpl::UpdateSchema(const std::vector<TypeInfo>& types,
                                                const SchemaUpdateOptions& options) {
  // Views reading a table this changes are rebuilt after it (a retyped field
  // rewrites the table's data outside the views' maintenance). Here, so that
  // every caller gets it; the view maintainer's own updates (view types and
  // their state table) need none.
  ViewSupport* views = options.dry_run ? nullptr : view_support_.get();
  const bool tables =
      views != nullptr && std::any_of(types.begin(), types.end(), [](const TypeInfo& t) {
        return !t.is_view() && t.name != kViewStateType;
      });
  if (tables)
    TRINE_RETURN_IF_ERROR(views->BeforeTableChange());
  std::shared_ptr<const std::vector<CommitListener*>> listeners;
  std::optional<Result<SchemaReport>> r;
  {
    std::lock_guard l(commit_mu_);
    r.emplace(UpdateSchemaLocked(types, options));
    listeners = listeners_;
  }
  if (listeners != nullptr)
    for (CommitListener* listener : *listeners)
      listener->AfterCommit();
  if (tables && r->ok() && (*r)->changed()) {
    TRINE_ASSIGN_OR_RETURN(std::vector<std::string> rebuilt, views->AfterTableChange(options));
    for (std::string& line : rebuilt)
      (*r)->changes.push_back(std::move(line));
  }
  return std::move(*r);
}

Result<SchemaReport> DatabaseImpl::UpdateSchemaLocked(const std::vector<TypeInfo>& types,
                                                      const SchemaUpdateOptions& options) {
  std::shared_ptr<const Catalog> cur = catalog();
  Planner planner(db_.get(), *cur, options);
  TRINE_RETURN_IF_ERROR(planner.Plan(types));
  if (options.dry_run || planner.batch.empty())
    return std::move(planner.report);
  WriteOptions wo;
  wo.durability = Durability::kDurable;
  TRINE_RETURN_IF_ERROR(db_->Write(wo, planner.batch));
  auto next = std::make_shared<Catalog>();
  next->schema_version = cur->schema_version + 1;
  TRINE_RETURN_IF_ERROR(LoadCatalog(db_.get(), next.get()));
  {
    std::lock_guard cl(catalog_mu_);
    catalog_ = std::move(next);
    schema_version_.store(catalog_->schema_version, std::memory_order_release);
  }
  planner.changes.sequence = LastSequence();
  // Transactions that started before this change conflict at commit (the
  // schema version moved), so no write set needs recording here.
  if (!planner.changes.changes.empty())
    Notify(planner.changes);
  NotifySchemaChange(planner.changes.sequence);
  return std::move(planner.report);
}

}  // namespace trine::triples
