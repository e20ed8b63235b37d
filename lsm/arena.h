// Arena: bump allocation for a memtable's nodes and entries, freed all at
// once with the memtable. Not thread-safe (the single memtable writer
// allocates); memory_usage() may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "lsm/mem_pool.h"

namespace trine {

class Arena {
 public:
  // With a pool, huge blocks come from it (resident ahead of use) and go
  // back to it when the arena dies. REQUIRES: the pool outlives the arena.
  explicit Arena(MemPool* pool = nullptr) : pool_(pool) {}
  ~Arena() {
    for (char* p : huge_) {
      if (pool_ != nullptr)
        pool_->Give(p, kHugeBlockSize);
      else
        MemPool::Unmap(p, kHugeBlockSize);
    }
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Memory aligned for pointers and 8-byte atomics. Not for max_align_t:
  // nothing in a memtable needs 16, and the padding would cost each of its
  // two allocations per key 8 bytes on average.
  char* AllocateAligned(size_t bytes) {
    constexpr size_t kAlign = 8;
    size_t pad = (kAlign - (reinterpret_cast<uintptr_t>(ptr_) & (kAlign - 1))) & (kAlign - 1);
    used_.fetch_add(bytes, std::memory_order_relaxed);
    if (bytes + pad <= left_) {
      char* r = ptr_ + pad;
      ptr_ += bytes + pad;
      left_ -= bytes + pad;
      return r;
    }
    return AllocateFallback(bytes);  // new blocks are aligned by operator new
  }

  // Bytes reserved from the heap.
  size_t memory_usage() const { return usage_.load(std::memory_order_relaxed); }
  // Bytes handed out (what the memtable's contents take, without slack).
  size_t bytes_used() const { return used_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBlockSize = 256 << 10;
  static constexpr size_t kHugeBlockSize = MemPool::kBlockSize;
  static constexpr size_t kHugeAfter = 4 << 20;

  char* AllocateFallback(size_t bytes) {
    if (bytes > kBlockSize / 4)
      return NewBlock(bytes);  // big entries get their own block
    // A memtable that has grown past a few blocks continues in huge-page
    // blocks: a tree search touches a node on a random page per level,
    // and with 4 KiB pages most of those steps also miss the TLB.
    size_t size =
        usage_.load(std::memory_order_relaxed) >= kHugeAfter ? kHugeBlockSize : kBlockSize;
    ptr_ = size == kHugeBlockSize ? NewHugeBlock() : nullptr;
    if (ptr_ == nullptr) {
      size = kBlockSize;
      ptr_ = NewBlock(kBlockSize);
    }
    left_ = size;
    char* r = ptr_;
    ptr_ += bytes;
    left_ -= bytes;
    return r;
  }
  char* NewBlock(size_t bytes) {
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(bytes));
    usage_.fetch_add(bytes + sizeof(char*), std::memory_order_relaxed);
    return blocks_.back().get();
  }
  // A 2 MiB-aligned block advised for transparent huge pages; nullptr if
  // the mapping fails (the caller falls back to a small block).
  char* NewHugeBlock() {
    char* p = pool_ != nullptr ? pool_->Take(kHugeBlockSize) : MemPool::Map(kHugeBlockSize);
    if (p == nullptr)
      return nullptr;
    huge_.push_back(p);
    usage_.fetch_add(kHugeBlockSize, std::memory_order_relaxed);
    return p;
  }

  MemPool* const pool_;
  char* ptr_ = nullptr;
  size_t left_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<char*> huge_;  // kHugeBlockSize each
  std::atomic<size_t> usage_{0};
  std::atomic<size_t> used_{0};
};

}  // namespace trine
