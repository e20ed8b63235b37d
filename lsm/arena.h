// Arena: bump allocation for a memtable's nodes and entries, freed all at
// once with the memtable. Not thread-safe (the single memtable writer
// allocates); memory_usage() may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace trine {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Memory aligned for pointers and 8-byte atomics.
  char* AllocateAligned(size_t bytes) {
    constexpr size_t kAlign = alignof(std::max_align_t) > 8 ? alignof(std::max_align_t) : 8;
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

  char* AllocateFallback(size_t bytes) {
    if (bytes > kBlockSize / 4)
      return NewBlock(bytes);  // big entries get their own block
    ptr_ = NewBlock(kBlockSize);
    left_ = kBlockSize;
    char* r = ptr_;
    ptr_ += bytes;
    left_ -= bytes;
    return r;
  }
  char* NewBlock(size_t bytes) {
    blocks_.push_back(std::make_unique<char[]>(bytes));
    usage_.fetch_add(bytes + sizeof(char*), std::memory_order_relaxed);
    return blocks_.back().get();
  }

  char* ptr_ = nullptr;
  size_t left_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> usage_{0};
  std::atomic<size_t> used_{0};
};

}  // namespace trine
