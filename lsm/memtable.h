// MemTable: the in-memory, sorted buffer of recent commits, with sequence
// numbers so reads at a snapshot ignore newer entries. A B+-tree orders one
// record per user key (memtree.h); each record holds the key's versions, newest first;
// a hash index finds the record of a key without searching the tree
// (key_index.h). Range tombstones are kept beside them in a small list.
//
// Thread-safety: one writer at a time (DBImpl's write path); readers and
// iterators run concurrently with it without locks on the point entries.
// Shared through shared_ptr because iterators and in-flight reads pin a
// memtable after it has been flushed and dropped from the DB.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/arena.h"
#include "lsm/key_index.h"
#include "lsm/memtree.h"
#include "sstable/internal_iterator.h"
#include "sstable/range_tombstones.h"
#include "sstable/table_options.h"

namespace trine {

class MemTable {
 public:
  // `pool` (optional) supplies the arena's huge blocks and the index's large
  // tables, resident ahead of use, and takes them back when the memtable dies.
  explicit MemTable(std::shared_ptr<MemPool> pool = nullptr);
  ~MemTable();
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // kRangeDelete: key = begin, value = end.
  void Add(SequenceNumber seq, ValueKind kind, std::string_view key, std::string_view value);
  // The same for a point entry whose key's hash Prefetch already computed.
  void Add(SequenceNumber seq, ValueKind kind, std::string_view key, std::string_view value,
           uint32_t hash);

  // About to Add these keys (n <= MemTree::kMaxWarm): starts loading their
  // hash slots, then the records they lead to, then the tree paths of the
  // keys the memtable lacks, each step for all keys together, so the cache misses of a commit's
  // writes overlap instead of following one another. A hint; the writer only.
  // Each key's hash goes to hashes[i], for Add.
  void Prefetch(const std::string_view* keys, int n, uint32_t* hashes) const;

  // The newest point entry for `key` with sequence <= snapshot, if any.
  bool Get(std::string_view key, SequenceNumber snapshot, uint64_t* tag, std::string* value) const;
  // The largest sequence <= snapshot of a range tombstone covering `key` (0 if none).
  SequenceNumber MaxCoveringTombstone(std::string_view key, SequenceNumber snapshot) const;

  // Over the point entries. Must not outlive the memtable.
  std::unique_ptr<InternalIterator> NewIterator() const;
  std::vector<RangeTombstone> RangeTombstones() const;
  // The range tombstones, fragmented; rebuilt only after new ones arrive, so
  // creating many iterators over a memtable with tombstones stays cheap.
  std::shared_ptr<const FragmentedTombstones> FragmentedRangeTombstones() const;
  bool has_range_tombstones() const { return num_range_dels_.load(std::memory_order_acquire) > 0; }

  // Memory reserved (for statistics).
  size_t ApproximateMemoryUsage() const {
    return arena_.memory_usage() + index_.memory_usage() +
           range_del_bytes_.load(std::memory_order_relaxed);
  }
  // Size of the contents (decides when the memtable is full).
  size_t DataSize() const {
    return arena_.bytes_used() + range_del_bytes_.load(std::memory_order_relaxed);
  }
  uint64_t num_entries() const { return num_entries_.load(std::memory_order_relaxed); }
  // The newest sequence of a point entry (0 if none).
  SequenceNumber max_seq() const { return max_seq_.load(std::memory_order_acquire); }
  // The newest sequence of any update, range tombstones included (0 if none).
  SequenceNumber last_seq() const { return last_seq_.load(std::memory_order_acquire); }
  bool empty() const { return num_entries() == 0 && !has_range_tombstones(); }

 private:
  std::shared_ptr<MemPool> pool_;  // first: outlives the arena and index
  Arena arena_;
  MemTree table_;
  KeyIndex index_;
  std::atomic<uint64_t> num_entries_{0};
  std::atomic<SequenceNumber> max_seq_{0};
  std::atomic<SequenceNumber> last_seq_{0};
  mutable std::mutex range_mu_;
  std::vector<RangeTombstone> range_dels_;  // guarded by range_mu_
  std::atomic<size_t> num_range_dels_{0};
  mutable std::shared_ptr<const FragmentedTombstones> fragments_;  // guarded by range_mu_
  std::atomic<size_t> range_del_bytes_{0};
};

}  // namespace trine
