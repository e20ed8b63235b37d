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
//
// Ordering thread (`order_in_background`): the first write of a key costs a
// B+-tree search and insert, a chain of cache misses that in the live-query
// bench's profile took ~16% of a commit, though only iterators need the
// tree; point reads and later writes of the key go through the hash index.
// With the option, Add makes the record and indexes it by hash, then leaves
// it in a ring of records not yet in the tree. They are inserted, in
// batches whose tree paths are loaded together, by whoever needs them first:
// a thread of the memtable's own, woken once a batch has gathered (one wake
// per many commits, not a system call per commit); an iterator, which
// before it reads inserts whatever is still pending (so it sees all that its
// snapshot holds, at the cost a synchronous insert would have had); or the
// writer itself when the ring is full. A mutex makes whichever of them
// inserts the tree's one writer. The work moves to another core rather than
// away: worth it where commit latency matters and a core is free.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
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
  // `order_in_background`: the tree is filled by the ordering thread (above).
  explicit MemTable(std::shared_ptr<MemPool> pool = nullptr, bool order_in_background = false);
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

  // Over the point entries. Must not outlive the memtable. With the ordering
  // thread, first waits until the tree holds every record added before.
  std::unique_ptr<InternalIterator> NewIterator() const;
  std::vector<RangeTombstone> RangeTombstones() const;
  // The range tombstones, fragmented; rebuilt only after new ones arrive, so
  // creating many iterators over a memtable with tombstones stays cheap.
  std::shared_ptr<const FragmentedTombstones> FragmentedRangeTombstones() const;
  bool has_range_tombstones() const { return num_range_dels_.load(std::memory_order_acquire) > 0; }

  // Memory reserved (for statistics).
  size_t ApproximateMemoryUsage() const {
    return arena_.memory_usage() + tree_arena_.memory_usage() + index_.memory_usage() +
           range_del_bytes_.load(std::memory_order_relaxed);
  }
  // Size of the contents (decides when the memtable is full).
  size_t DataSize() const {
    return arena_.bytes_used() + tree_arena_.bytes_used() +
           range_del_bytes_.load(std::memory_order_relaxed);
  }
  uint64_t num_entries() const { return num_entries_.load(std::memory_order_relaxed); }
  // The newest sequence of a point entry (0 if none).
  SequenceNumber max_seq() const { return max_seq_.load(std::memory_order_acquire); }
  // The newest sequence of any update, range tombstones included (0 if none).
  SequenceNumber last_seq() const { return last_seq_.load(std::memory_order_acquire); }
  bool empty() const { return num_entries() == 0 && !has_range_tombstones(); }

 private:
  // Leaves a new record for the tree, waking the ordering thread (started at
  // the first) when a batch has gathered.
  void Order(MemKey* record);
  // Inserts the first `count` records left for the tree, if some thread has
  // not already. Any thread; the ordering thread (`by_thread`) stops early
  // when another is waiting to insert.
  void OrderUpTo(uint64_t count, bool by_thread = false) const;
  void OrderLoop();

  std::shared_ptr<MemPool> pool_;  // first: outlives the arenas and index
  const bool background_;
  Arena arena_;  // records and versions: the writer's
  // With the ordering thread: the tree's nodes, allocated under order_mu_.
  mutable Arena tree_arena_;
  mutable MemTree table_;
  KeyIndex index_;
  // Records left for the tree: a ring, counted from the memtable's start.
  static constexpr uint64_t kRing = 4096;
  static constexpr uint64_t kWakeAt = 64;  // pending records that wake the thread
  std::unique_ptr<MemKey*[]> ring_;
  std::atomic<uint64_t> handed_{0};             // records put in the ring (by the writer)
  mutable std::atomic<uint64_t> ordered_{0};    // of those, in the tree (under order_mu_)
  mutable std::mutex order_mu_;                 // held while inserting into the tree
  mutable std::atomic<int> others_waiting_{0};  // callers of OrderUpTo besides the thread
  std::atomic<uint32_t> wake_{0};               // bumped to wake the thread
  std::atomic<bool> idle_{false};               // the thread is (about to be) asleep
  std::atomic<bool> stop_{false};
  std::thread thread_;
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
