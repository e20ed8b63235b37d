// BlockCache: a bounded cache of UNCOMPRESSED, verified data blocks, shared by
// every table of a store. Caching decoded blocks matters: one zstd decode of
// a 4 KiB block costs about as much as a whole point lookup.
//
// Each table owns one Slot per data block, so a lookup is an array index and
// a striped lock, not a hash probe. Eviction is CLOCK: a hit only sets the
// slot's reference bit; the hand clears bits and evicts unreferenced blocks
// when an insert exceeds the capacity. Blocks are handed out as shared_ptr, so
// an evicted block lives on while an iterator still reads it.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "sstable/block.h"

namespace trine {

class BlockCache {
 public:
  struct Slot {
    std::shared_ptr<const Block> block;  // guarded by the slot's stripe lock
    std::atomic<bool> referenced{false};
  };

  explicit BlockCache(size_t capacity_bytes);
  ~BlockCache();

  // The cached block of `slot`, or null.
  std::shared_ptr<const Block> Lookup(Slot* slot);
  // Caches `block` in `slot` (keeps an already cached one) and evicts as needed.
  void Insert(Slot* slot, std::shared_ptr<const Block> block);
  // Drops the blocks of slots [slots, slots + n) before a table frees them.
  void EraseSlots(Slot* slots, size_t n);

  size_t capacity() const { return capacity_; }
  size_t charge() const { return charge_.load(std::memory_order_relaxed); }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kStripes = 64;
  std::mutex& StripeFor(const Slot* s) {
    return stripes_[(reinterpret_cast<uintptr_t>(s) / sizeof(Slot)) % kStripes];
  }
  // REQUIRES: ring_mu_ held.
  void EvictLocked();

  const size_t capacity_;
  std::mutex stripes_[kStripes];
  std::mutex ring_mu_;
  std::vector<Slot*> ring_;  // slots holding a block; guarded by ring_mu_
  size_t hand_ = 0;          // guarded by ring_mu_
  std::atomic<size_t> charge_{0};
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace trine
