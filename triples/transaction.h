// One optimistic transaction over the triple store (see database_impl.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include "trine/database.h"
#include "triples/catalog.h"
#include "triples/write_set.h"

namespace trine::triples {

class DatabaseImpl;

class TxnImpl final : public Transaction {
 public:
  TxnImpl(DatabaseImpl* db, const TransactionOptions& options);
  ~TxnImpl() override;

  Result<uint64_t> Insert(std::string_view type, const Fields& fields) override;
  Status Update(std::string_view type, uint64_t id, const Fields& fields) override;
  Status Delete(std::string_view type, uint64_t id) override;
  Status Put(std::string_view type, uint64_t id, const Fields& fields) override;
  Result<std::optional<Entity>> Get(std::string_view type, uint64_t id) override;
  Result<Value> GetField(std::string_view type, uint64_t id, std::string_view field) override;
  Status Scan(std::string_view type, const std::function<bool(uint64_t)>& fn) override;
  Status IndexScan(std::string_view type, std::string_view field, const IndexRange& range,
                   const std::function<bool(const Value&, uint64_t)>& fn) override;
  Status Referrers(std::string_view type, std::string_view field, uint64_t target,
                   const std::function<bool(uint64_t)>& fn) override;
  Status MultiGetField(std::string_view type, std::string_view field,
                       const std::vector<uint64_t>& ids, std::vector<Value>* out) override;
  Status MultiReferrers(std::string_view type, std::string_view field,
                        const std::vector<uint64_t>& targets,
                        const std::function<bool(uint64_t, uint64_t)>& fn) override;
  Status MultiExists(std::string_view type, const std::vector<uint64_t>& ids,
                     std::vector<uint8_t>* out) override;
  uint64_t snapshot_sequence() const override { return snapshot_seq_; }
  ReadStats read_stats() const override { return stats_; }
  Status Commit() override;
  void Rollback() override;

 private:
  friend class DatabaseImpl;

  using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;

  // Raw keys through the write buffer; reads are recorded for validation.
  Status GetRaw(const std::string& key, std::string* value, bool* found);
  // Keys in [begin, end) (end empty: unbounded), merged with buffered writes.
  Status ScanRaw(const std::string& begin, const std::string& end, bool reverse, const ScanFn& fn);
  void PutRaw(std::string key, std::string value);
  void DeleteRaw(std::string key);

  // Positions `it` at the first key >= `key`, stepping forward a few entries
  // before falling back to a seek (ascending lookups of nearby ids).
  void SeekForward(Iterator* it, const std::string& key, uint64_t max_steps);
  // Ascending point lookups of `keys` (the keys of subjects `ids`) through
  // one iterator bounded by [lower, upper); fn(i, value or nullptr).
  Status MultiGetRaw(const std::vector<std::string>& keys, const std::vector<uint64_t>& ids,
                     std::string_view lower, std::string_view upper,
                     const std::function<Status(size_t, const std::string_view*)>& fn);

  Status CheckOpen() const;
  Status CheckWritable() const;
  Result<const TypeInfo*> ResolveType(std::string_view name) const;
  // A type this transaction may write: views only for the view maintainer.
  Result<const TypeInfo*> ResolveWritableType(std::string_view name) const;
  // Reads continue at the latest state (the view maintainer, under the
  // commit lock, after validation).
  void Rebase();
  // `create`: an unknown name in a lax type becomes a dynamic field.
  Result<const FieldInfo*> ResolveField(const TypeInfo*& type, std::string_view name, bool create);
  // A reference field (Referrers, MultiReferrers).
  Result<const FieldInfo*> ResolveRefField(const TypeInfo*& type, std::string_view name);
  Result<bool> Exists(uint64_t type, uint64_t id);
  Result<Value> ReadValue(uint64_t type, uint64_t field, uint64_t id);
  // The value as it will be stored in `field`: converted losslessly to the
  // declared type, or (lax types only) kept as given.
  Result<Value> Coerce(const TypeInfo& type, const FieldInfo& field, const Value& v) const;
  // Writes one attribute (null retracts) with its index entry and change
  // record. `old` is the current value if the caller knows it.
  Status WriteValue(const TypeInfo& type, const FieldInfo& field, uint64_t id, const Value& v,
                    const Value* old);
  void RecordChange(uint64_t type, uint64_t field, uint64_t id, const Value& old_v,
                    const Value& new_v);

  // The snapshot of a read-only transaction begun inside a commit
  // listener's OnCommit (the live-query registry's, once per commit): the
  // commit lock is held there, so the newest commit stays the newest while
  // it lives, and versions at the newest sequence are never compacted away.
  // It is not registered with the store, which saves two locked set updates
  // per commit. It must end before OnCommit returns.
  struct PinnedSnapshot final : Snapshot {
    uint64_t seq = 0;
    uint64_t sequence() const override { return seq; }
  };

  DatabaseImpl* db_;
  TransactionOptions options_;
  PinnedSnapshot pinned_;
  const Snapshot* snapshot_ = nullptr;  // &pinned_ or registered with the store
  uint64_t snapshot_seq_ = 0;
  std::shared_ptr<const Catalog> catalog_;
  uint64_t schema_version_ = 0;
  // Older catalogs whose TypeInfo pointers may still be in use.
  std::vector<std::shared_ptr<const Catalog>> retained_;
  bool finished_ = false;
  bool allocated_ids_ = false;

  WriteSet writes_;
  std::vector<std::string> read_keys_;  // point reads (sorted at validation)
  std::vector<std::pair<std::string, std::string>> read_ranges_;  // [begin, end)
  // Every write in order; coalesced per triple at commit (first old value,
  // last new value).
  std::vector<Change> changes_;
  ReadStats stats_;
};

}  // namespace trine::triples
