// The triple store behind trine/database.h: catalog, entity writes with index
// maintenance, and optimistic transactions.
//
// Concurrency. Transactions read at a storage snapshot and buffer raw key
// writes. Every commit (and every schema change) runs under commit_mu_: it
// validates the transaction's read set (point keys and key ranges) against
// the write sets of the commits recorded since the transaction's snapshot,
// writes one atomic batch, records its write set, and calls the commit
// listeners in commit order. Index entries are computed inside the
// transaction from the old values it read, so a concurrent change of such a
// value is a conflict, never a stale index entry.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/sequence_set.h"
#include "trine/database.h"
#include "trine/db.h"
#include "triples/catalog.h"
#include "triples/view_support.h"

namespace trine::triples {

class TxnImpl;

// A transaction's writes coalesced per triple, sorted by (type, subject,
// field); writes that end where they began are dropped.
std::vector<Change> CoalesceChanges(std::vector<Change> writes);

class DatabaseImpl final : public Database {
 public:
  explicit DatabaseImpl(std::unique_ptr<DB> db);
  ~DatabaseImpl() override;

  Status Init();  // reads or creates the meta keys and the catalog

  std::unique_ptr<Transaction> Begin(const TransactionOptions& options) override;
  Status Run(const std::function<Status(Transaction&)>& fn, const TransactionOptions& options,
             int max_attempts) override;
  std::vector<TypeInfo> Schema() const override;
  std::optional<TypeInfo> FindType(std::string_view name) const override;
  uint64_t schema_version() const override {
    return schema_version_.load(std::memory_order_acquire);
  }
  Result<SchemaReport> UpdateSchema(const std::vector<TypeInfo>& types,
                                    const SchemaUpdateOptions& options) override;
  void AddCommitListener(CommitListener* listener) override;
  void RemoveCommitListener(CommitListener* listener) override;
  std::shared_ptr<void> Extension(std::string_view key,
                                  const std::function<std::shared_ptr<void>()>& make) override;
  DB* storage() override { return db_.get(); }

  void set_view_support(std::shared_ptr<ViewSupport> v) {
    std::lock_guard l(commit_mu_);
    view_support_ = std::move(v);
  }
  ViewSupport* view_support() { return view_support_.get(); }

 private:
  friend class TxnImpl;

  struct CommitRecord {
    uint64_t sequence;
    std::vector<std::string> keys;  // sorted
  };

  std::shared_ptr<const Catalog> catalog() const;
  // Takes a snapshot and registers it as active (for trimming recent_).
  const Snapshot* AcquireSnapshot();
  void ReleaseTxnSnapshot(const Snapshot* snapshot);
  uint64_t AllocateId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  // Adds an undeclared field to a lax type (its own small commit).
  Status CreateDynamicField(uint64_t type, const std::string& name);
  Status CommitTxn(TxnImpl* txn);
  Status CommitTxnLocked(TxnImpl* txn);
  uint64_t LastSequence();
  void TrimRecentLocked();
  void Notify(const ChangeSet& changes);
  // The listeners' OnSchemaChange (under commit_mu_, like Notify).
  void NotifySchemaChange(uint64_t sequence);
  // Whether the calling thread is inside Notify (it holds commit_mu_).
  bool Notifying() const {
    return notifying_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }
  Result<SchemaReport> UpdateSchemaLocked(const std::vector<TypeInfo>& types,
                                          const SchemaUpdateOptions& options);
  std::string DescribeKey(std::string_view key) const;

  std::unique_ptr<DB> db_;
  std::atomic<uint64_t> next_id_{1};

  mutable std::mutex catalog_mu_;  // guards catalog_ (the pointer)
  std::shared_ptr<const Catalog> catalog_;
  // catalog_->schema_version, readable without the lock (live queries check
  // it on every commit). Set with each new catalog.
  std::atomic<uint64_t> schema_version_{0};

  std::mutex commit_mu_;                      // serializes commits and schema changes
  std::atomic<std::thread::id> notifying_{};  // the thread in Notify, if any
  std::deque<CommitRecord> recent_;
  // Null when there are none. Replaced, never changed in place, when a
  // listener comes or goes: a commit shares it (no copy) with AfterCommit,
  // which runs outside commit_mu_.
  std::shared_ptr<const std::vector<CommitListener*>> listeners_;
  std::shared_ptr<ViewSupport> view_support_;  // set once at open

  std::mutex extensions_mu_;
  std::map<std::string, std::shared_ptr<void>, std::less<>> extensions_;

  std::mutex active_mu_;  // guards active_
  SequenceSet active_;    // snapshot sequences of open transactions
};

}  // namespace trine::triples
