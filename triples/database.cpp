#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <tuple>

#include "common/coding.h"
#include "trine/write_batch.h"
#include "triples/database_impl.h"
#include "triples/keys.h"
#include "triples/transaction.h"
#include "triples/value_codec.h"

namespace trine {

// ------------------------------------------------------ public value types --

std::string FieldInfo::TypeName() const {
  switch (type) {
    case FieldType::kAny:
      return "any";
    case FieldType::kBool:
      return "bool";
    case FieldType::kInt:
      return "int";
    case FieldType::kFloat:
      return "float";
    case FieldType::kDecimal:
      return "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
    case FieldType::kString:
      return "string";
    case FieldType::kBytes:
      return "bytes";
    case FieldType::kTime:
      return "time";
    case FieldType::kRef:
      return "REF " + ref_type;
  }
  return "?";
}

const FieldInfo* TypeInfo::FindField(std::string_view field_name) const {
  const FieldInfo* retired = nullptr;
  for (const FieldInfo& f : fields) {
    if (f.name != field_name)
      continue;
    if (f.state != FieldInfo::State::kRetired)
      return &f;
    retired = &f;
  }
  return retired;
}

const FieldInfo* TypeInfo::FindNumber(uint64_t number) const {
  for (const FieldInfo& f : fields)
    if (f.number == number)
      return &f;
  return nullptr;
}

const Value& Entity::Get(std::string_view name) const {
  static const Value kNull;
  for (const auto& [n, v] : fields)
    if (n == name)
      return v;
  return kNull;
}

Result<std::unique_ptr<Database>> triples::OpenStore(const std::string& path,
                                                     const DatabaseOptions& options) {
  TRINE_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(options.storage, path));
  auto impl = std::make_unique<triples::DatabaseImpl>(std::move(db));
  TRINE_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Database>(std::move(impl));
}

namespace triples {

namespace {
// Meta keys. "format" marks a triple store (and its layout version);
// "next_subject" is at least one more than every subject id ever handed out
// by a committed transaction.
constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kNextSubjectKey = "next_subject";
constexpr uint64_t kFormatVersion = 1;
}  // namespace

DatabaseImpl::DatabaseImpl(std::unique_ptr<DB> db) : db_(std::move(db)) {}

DatabaseImpl::~DatabaseImpl() {
  // Extensions may be commit listeners: they go first, while the store is whole.
  std::map<std::string, std::shared_ptr<void>, std::less<>> extensions;
  {
    std::lock_guard l(extensions_mu_);
    extensions.swap(extensions_);
  }
  extensions.clear();
}

std::shared_ptr<void> DatabaseImpl::Extension(std::string_view key,
                                              const std::function<std::shared_ptr<void>()>& make) {
  std::lock_guard l(extensions_mu_);
  auto it = extensions_.find(key);
  if (it == extensions_.end())
    it = extensions_.emplace(std::string(key), make()).first;
  return it->second;
}

Status DatabaseImpl::Init() {
  std::string value;
  Status s = db_->Get(ReadOptions(), MetaKey(kFormatKey), &value);
  if (s.IsNotFound()) {
    // A new store, or a raw key-value store: only an empty one may become a
    // triple store.
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    it->SeekToFirst();
    TRINE_RETURN_IF_ERROR(it->status());
    if (it->Valid())
      return Status::InvalidArgument("the store holds data but is not a triple store");
    std::string v;
    PutVarint64(&v, kFormatVersion);
    TRINE_RETURN_IF_ERROR(db_->Put(WriteOptions(), MetaKey(kFormatKey), v));
  } else {
    TRINE_RETURN_IF_ERROR(s);
    std::string_view in = value;
    uint64_t version = 0;
    if (!GetVarint64(&in, &version) || !in.empty())
      return Status::Corruption("malformed triple store format key");
    if (version > kFormatVersion)
      return Status::NotSupported("triple store format " + std::to_string(version) +
                                  " is newer than this library's " +
                                  std::to_string(kFormatVersion));
  }
  s = db_->Get(ReadOptions(), MetaKey(kNextSubjectKey), &value);
  if (s.ok()) {
    std::string_view in = value;
    uint64_t next = 0;
    if (!GetVarint64(&in, &next) || !in.empty() || next == 0)
      return Status::Corruption("malformed next subject id");
    next_id_ = next;
  } else if (!s.IsNotFound()) {
    return s;
  }
  auto c = std::make_shared<Catalog>();
  TRINE_RETURN_IF_ERROR(LoadCatalog(db_.get(), c.get()));
  c->schema_version = 1;
  catalog_ = std::move(c);
  schema_version_.store(catalog_->schema_version, std::memory_order_release);
  return Status::OK();
}

std::shared_ptr<const Catalog> DatabaseImpl::catalog() const {
  std::lock_guard l(catalog_mu_);
  return catalog_;
}

std::vector<TypeInfo> DatabaseImpl::Schema() const {
  std::shared_ptr<const Catalog> c = catalog();
  std::vector<TypeInfo> out;
  for (const auto& [id, t] : c->types)
    out.push_back(t);
  return out;
}

std::optional<TypeInfo> DatabaseImpl::FindType(std::string_view name) const {
  std::shared_ptr<const Catalog> c = catalog();
  const TypeInfo* t = c->Find(name);
  if (t == nullptr)
    return std::nullopt;
  return *t;
}

const Snapshot* DatabaseImpl::AcquireSnapshot() {
  // Under active_mu_, so a concurrent trim either sees this snapshot or ran
  // before it was taken (and then every trimmed commit is visible to it).
  std::lock_guard l(active_mu_);
  const Snapshot* s = db_->GetSnapshot();
  active_.Insert(s->sequence());
  return s;
}

void DatabaseImpl::ReleaseTxnSnapshot(const Snapshot* snapshot) {
  {
    std::lock_guard l(active_mu_);
    active_.Erase(snapshot->sequence());
  }
  db_->ReleaseSnapshot(snapshot);
}

uint64_t DatabaseImpl::LastSequence() {
  return db_->LatestSequence();
}

void DatabaseImpl::TrimRecentLocked() {
  uint64_t horizon;
  {
    std::lock_guard l(active_mu_);
    horizon = active_.empty() ? UINT64_MAX : active_.Min();
  }
  while (!recent_.empty() && recent_.front().sequence <= horizon)
    recent_.pop_front();
}

std::unique_ptr<Transaction> DatabaseImpl::Begin(const TransactionOptions& options) {
  return std::make_unique<TxnImpl>(this, options);
}

Status DatabaseImpl::Run(const std::function<Status(Transaction&)>& fn,
                         const TransactionOptions& options, int max_attempts) {
  Status last;
  std::minstd_rand rng(std::random_device{}());
  for (int attempt = 1; attempt <= std::max(1, max_attempts); ++attempt) {
    std::unique_ptr<Transaction> txn = Begin(options);
    last = fn(*txn);
    if (last.ok())
      last = txn->Commit();
    if (!last.IsConflict())
      return last;
    txn.reset();
    // Back off with jitter so that retries of colliding transactions spread out.
    if (attempt > 2) {
      int cap = 1 << std::min(attempt, 10);
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % static_cast<unsigned>(cap)));
    } else {
      std::this_thread::yield();
    }
  }
  return Status::Conflict("gave up after " + std::to_string(max_attempts) +
                          " attempts: " + std::string(last.message()));
}

void DatabaseImpl::AddCommitListener(CommitListener* listener) {
  std::lock_guard l(commit_mu_);
  auto next = std::make_shared<std::vector<CommitListener*>>();
  if (listeners_ != nullptr)
    *next = *listeners_;
  next->push_back(listener);
  listeners_ = std::move(next);
}

void DatabaseImpl::RemoveCommitListener(CommitListener* listener) {
  std::lock_guard l(commit_mu_);
  if (listeners_ == nullptr)
    return;
  auto next = std::make_shared<std::vector<CommitListener*>>(*listeners_);
  std::erase(*next, listener);
  listeners_ = next->empty() ? nullptr : std::move(next);
}

void DatabaseImpl::Notify(const ChangeSet& changes) {
  notifying_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  if (listeners_ != nullptr)
    for (CommitListener* l : *listeners_)
      l->OnCommit(changes);
  notifying_.store(std::thread::id(), std::memory_order_relaxed);
}

void DatabaseImpl::NotifySchemaChange(uint64_t sequence) {
  notifying_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  if (listeners_ != nullptr)
    for (CommitListener* l : *listeners_)
      l->OnSchemaChange(sequence);
  notifying_.store(std::thread::id(), std::memory_order_relaxed);
}

std::string DatabaseImpl::DescribeKey(std::string_view key) const {
  std::shared_ptr<const Catalog> c = catalog();
  uint64_t type = 0, field = 0, subject = 0;
  auto type_name = [&](uint64_t id) {
    const TypeInfo* t = c->FindId(id);
    return t ? t->name : "type#" + std::to_string(id);
  };
  if (key.empty())
    return "?";
  switch (static_cast<Keyspace>(key[0])) {
    case Keyspace::kData:
      if (ParseTripleKey(key, &type, &field, &subject)) {
        const TypeInfo* t = c->FindId(type);
        const FieldInfo* f = t ? t->FindNumber(field) : nullptr;
        return type_name(type) + "[" + std::to_string(subject) + "]." +
               (f != nullptr ? FieldName(*f) : FieldNumberName(field));
      }
      break;
    case Keyspace::kPresence:
      if (ParsePresenceKey(key, &type, &subject))
        return type_name(type) + "[" + std::to_string(subject) + "]";
      break;
    case Keyspace::kIndex: {
      std::string_view rest = key.substr(1);
      if (GetOrderedVarint(&rest, &type) && GetOrderedVarint(&rest, &field)) {
        const TypeInfo* t = c->FindId(type);
        const FieldInfo* f = t ? t->FindNumber(field) : nullptr;
        return "the index of " + type_name(type) + "." +
               (f != nullptr ? FieldName(*f) : FieldNumberName(field));
      }
      break;
    }
    default:
      break;
  }
  return "a key";
}

Status DatabaseImpl::CreateDynamicField(uint64_t type_id, const std::string& name) {
  std::lock_guard l(commit_mu_);
  std::shared_ptr<const Catalog> c = catalog();
  const TypeInfo* t = c->FindId(type_id);
  if (t == nullptr)
    return Status::NotFound("type dropped");
  if (t->FindField(name) != nullptr)
    return Status::OK();  // another transaction created it meanwhile
  if (std::find(t->reserved_names.begin(), t->reserved_names.end(), name) !=
      t->reserved_names.end())
    return Status::InvalidArgument("attribute name '" + name + "' is reserved in type " + t->name);
  TypeInfo updated = *t;
  FieldInfo f;
  f.name = name;
  f.number = NextDynamicNumber(updated);
  if (f.number == 0)
    return Status::InvalidArgument("type " + t->name + " has no free field numbers");
  f.type = FieldType::kAny;
  f.state = FieldInfo::State::kDynamic;
  updated.fields.push_back(f);
  std::map<std::string, std::string> before, after;
  TRINE_RETURN_IF_ERROR(TypeTriples(*t, c->ids, &before));
  TRINE_RETURN_IF_ERROR(TypeTriples(updated, c->ids, &after));
  WriteBatch batch;
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    if (it == before.end() || it->second != v)
      batch.Put(k, v);
  }
  WriteOptions wo;
  wo.durability = Durability::kRelaxed;  // made durable by the commit that uses the field
  TRINE_RETURN_IF_ERROR(db_->Write(wo, batch));
  auto next = std::make_shared<Catalog>(*c);
  next->types[type_id] = std::move(updated);
  std::lock_guard cl(catalog_mu_);
  catalog_ = std::move(next);
  schema_version_.store(catalog_->schema_version, std::memory_order_release);
  return Status::OK();
}

std::vector<Change> CoalesceChanges(std::vector<Change> all) {
  // Per triple: the value before the transaction and the value after it; a
  // value written and reset is no change. In place: a commit's changes are
  // few, and usually one per triple already.
  auto less = [](const Change& a, const Change& b) {
    return std::tie(a.type, a.subject, a.field) < std::tie(b.type, b.subject, b.field);
  };
  if (!std::is_sorted(all.begin(), all.end(), less))
    std::stable_sort(all.begin(), all.end(), less);
  size_t kept = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j + 1 < all.size() && all[j + 1].type == all[i].type &&
           all[j + 1].subject == all[i].subject && all[j + 1].field == all[i].field)
      ++j;
    if (j != i)
      all[i].new_value = std::move(all[j].new_value);
    Change& c = all[i];
    if (!Value::Identical(c.old_value, c.new_value)) {
      if (kept != i)
        all[kept] = std::move(c);
      ++kept;
    }
    i = j + 1;
  }
  all.erase(all.begin() + static_cast<ptrdiff_t>(kept), all.end());
  return all;
}

void AttachViewSupport(Database& db, std::shared_ptr<ViewSupport> support) {
  static_cast<DatabaseImpl&>(db).set_view_support(std::move(support));
}

ViewSupport* GetViewSupport(Database& db) {
  return static_cast<DatabaseImpl&>(db).view_support();
}

Status DatabaseImpl::CommitTxn(TxnImpl* txn) {
  std::shared_ptr<const std::vector<CommitListener*>> listeners;
  Status s;
  {
    std::lock_guard l(commit_mu_);
    s = CommitTxnLocked(txn);
    listeners = listeners_;
  }
  if (listeners != nullptr)
    for (CommitListener* listener : *listeners)
      listener->AfterCommit();
  return s;
}

Status DatabaseImpl::CommitTxnLocked(TxnImpl* txn) {
  if (catalog()->schema_version != txn->schema_version_)
    return Status::Conflict("the schema changed while the transaction ran; retry it");
  // Validation: did a commit after our snapshot write a key we read?
  if (!recent_.empty() && recent_.back().sequence > txn->snapshot_seq_) {
    auto& points = txn->read_keys_;
    std::sort(points.begin(), points.end());
    auto& ranges = txn->read_ranges_;
    std::sort(ranges.begin(), ranges.end());
    // Merge into disjoint ranges (an empty end is unbounded).
    std::vector<std::pair<std::string, std::string>> merged;
    for (auto& r : ranges) {
      if (!merged.empty() && (merged.back().second.empty() || r.first <= merged.back().second)) {
        if (!merged.back().second.empty() && (r.second.empty() || r.second > merged.back().second))
          merged.back().second = r.second;
      } else {
        merged.push_back(r);
      }
    }
    for (auto rec = recent_.rbegin(); rec != recent_.rend(); ++rec) {
      if (rec->sequence <= txn->snapshot_seq_)
        break;
      for (const std::string& key : rec->keys) {
        bool hit = std::binary_search(points.begin(), points.end(), key);
        if (!hit && !merged.empty()) {
          auto it =
              std::upper_bound(merged.begin(), merged.end(), key,
                               [](const std::string& k, const auto& r) { return k < r.first; });
          if (it != merged.begin()) {
            --it;
            hit = it->second.empty() || key < it->second;
          }
        }
        if (hit)
          return Status::Conflict("transaction conflict: " + DescribeKey(key) +
                                  " was changed by a concurrent commit; retry the transaction");
      }
    }
  }
  if (view_support_ != nullptr && txn->catalog_->has_views()) {
    // Views refreshed on commit join this batch: the maintainer reads the
    // state this commit will make (no commit can come in between: we hold
    // the lock) and writes view rows through the transaction.
    txn->Rebase();
    bool saved = txn->options_.maintain_views;
    txn->options_.maintain_views = true;
    Status s = view_support_->BeforeCommit(*txn, [txn] {
      ChangeSet pending;
      pending.changes = CoalesceChanges(txn->changes_);
      return pending;
    });
    txn->options_.maintain_views = saved;
    if (!s.ok()) {
      view_support_->CommitFailed();
      return s;
    }
  }
  WriteBatch batch;
  size_t bytes = 16;  // the next-subject meta entry
  txn->writes_.ForEach([&](const std::string& key, const WriteSet::Value& value) {
    bytes += key.size() + (value ? value->size() : 0) + 6;  // kind and two lengths
  });
  batch.Reserve(bytes);
  txn->writes_.ForEach([&](const std::string& key, const WriteSet::Value& value) {
    if (value)
      batch.Put(key, *value);
    else
      batch.Delete(key);
  });
  if (txn->allocated_ids_) {
    std::string v;
    PutVarint64(&v, next_id_.load(std::memory_order_relaxed));
    batch.Put(MetaKey(kNextSubjectKey), v);
  }
  WriteOptions wo;
  wo.durability = txn->options_.durability;
  if (Status s = db_->Write(wo, batch); !s.ok()) {
    if (view_support_ != nullptr)
      view_support_->CommitFailed();
    return s;
  }
  // Only transactions open now (besides this one) can need this write set
  // for their validation; later ones see the commit in their snapshot.
  bool others_active;
  {
    std::lock_guard al(active_mu_);
    others_active = active_.size() > 1;
  }
  if (!others_active && listeners_ == nullptr) {
    TrimRecentLocked();
    return Status::OK();  // nobody needs the commit's sequence or write set
  }
  uint64_t sequence = LastSequence();
  if (others_active) {
    CommitRecord record;
    record.sequence = sequence;
    record.keys = txn->writes_.TakeKeys();
    recent_.push_back(std::move(record));
  }
  ChangeSet cs;
  cs.sequence = sequence;
  if (listeners_ != nullptr)
    cs.changes = CoalesceChanges(std::move(txn->changes_));
  TrimRecentLocked();
  Notify(cs);
  return Status::OK();
}

}  // namespace triples
}  // namespace trine
