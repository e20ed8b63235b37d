#include "lsm/mem_pool.h"

#include <sys/mman.h>

namespace trine {

MemPool::MemPool(size_t keep_bytes, int ready_blocks)
    : keep_bytes_(keep_bytes), ready_blocks_(ready_blocks > 0 ? size_t(ready_blocks) : 0) {}

MemPool::~MemPool() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  for (auto& [bytes, regions] : free_)
    for (char* p : regions)
      Unmap(p, bytes);
}

char* MemPool::Map(size_t bytes) {
  // Over-map by one block and trim, so the region is 2 MiB-aligned and can
  // be backed by huge pages.
  void* m =
      mmap(nullptr, bytes + kBlockSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return nullptr;
  auto base = reinterpret_cast<uintptr_t>(m);
  uintptr_t aligned = (base + kBlockSize - 1) & ~(uintptr_t{kBlockSize} - 1);
  if (aligned > base)
    munmap(m, aligned - base);
  if (uintptr_t end = base + bytes + kBlockSize; end > aligned + bytes)
    munmap(reinterpret_cast<void*>(aligned + bytes), end - aligned - bytes);
  auto* p = reinterpret_cast<char*>(aligned);
  madvise(p, bytes, MADV_HUGEPAGE);  // advice only
  return p;
}

void MemPool::Unmap(char* p, size_t bytes) {
  munmap(p, bytes);
}

char* MemPool::Take(size_t bytes) {
  {
    std::lock_guard l(mu_);
    if (!thread_.joinable() && !stop_)
      thread_ = std::thread([this] { Run(); });
    auto it = free_.find(bytes);
    if (it != free_.end() && !it->second.empty()) {
      char* p = it->second.back();
      it->second.pop_back();
      kept_ -= bytes;
      ++hits_;
      if (bytes == announced_)
        announced_ = 0;
      cv_.notify_one();  // ready the next one
      return p;
    }
    ++misses_;
    if (bytes == announced_)
      announced_ = 0;
  }
  cv_.notify_one();
  return Map(bytes);  // faults in on the caller's first touches
}

void MemPool::Give(char* p, size_t bytes) {
  if (p == nullptr)
    return;
  {
    std::lock_guard l(mu_);
    if (kept_ + bytes <= Bound() && !stop_) {
      free_[bytes].push_back(p);
      kept_ += bytes;
      return;
    }
  }
  Unmap(p, bytes);
}

void MemPool::Expect(size_t bytes) {
  std::vector<std::pair<char*, size_t>> drop;
  {
    std::lock_guard l(mu_);
    expected_ = bytes;
    announced_ = bytes;
    TrimLocked(&drop);
  }
  cv_.notify_one();
  for (auto [p, n] : drop)
    Unmap(p, n);
}

void MemPool::TrimLocked(std::vector<std::pair<char*, size_t>>* drop) {
  for (auto& [bytes, regions] : free_) {
    size_t wanted = (bytes == kBlockSize ? ready_blocks_ : 0) + (bytes == announced_ ? 1 : 0);
    while (regions.size() > wanted && kept_ > Bound()) {
      drop->emplace_back(regions.back(), bytes);
      regions.pop_back();
      kept_ -= bytes;
    }
  }
}

size_t MemPool::bytes_kept() const {
  std::lock_guard l(mu_);
  return kept_;
}

uint64_t MemPool::hits() const {
  std::lock_guard l(mu_);
  return hits_;
}

uint64_t MemPool::misses() const {
  std::lock_guard l(mu_);
  return misses_;
}

size_t MemPool::NextToReady() const {
  auto missing = [&](size_t bytes, size_t want) {
    auto it = free_.find(bytes);
    size_t have = it == free_.end() ? 0 : it->second.size();
    // Readied regions count against the bound like recycled ones.
    return have < want && kept_ + bytes <= Bound();
  };
  if (expected_ != 0 && missing(expected_, 1))
    return expected_;
  return missing(kBlockSize, ready_blocks_) ? kBlockSize : 0;
}

void MemPool::Run() {
  std::unique_lock l(mu_);
  while (!stop_) {
    size_t bytes = NextToReady();
    if (bytes == 0) {
      cv_.wait(l);
      continue;
    }
    if (bytes == expected_)
      expected_ = 0;  // one region of it
    l.unlock();
    char* p = Map(bytes);
    if (p != nullptr) {
      // One write per 4 KiB page faults it in (a whole huge page at once
      // where the kernel grants one): the zeroing happens here, on this
      // thread, instead of in a commit.
      for (size_t off = 0; off < bytes; off += 4096)
        reinterpret_cast<volatile char*>(p)[off] = 0;
    }
    l.lock();
    if (p == nullptr) {
      cv_.wait(l);  // out of address space: wait for a Give or a stop
      continue;
    }
    if (kept_ + bytes > Bound()) {
      // Regions given back meanwhile filled the pool: this one is not needed.
      l.unlock();
      Unmap(p, bytes);
      l.lock();
      continue;
    }
    free_[bytes].push_back(p);
    kept_ += bytes;
  }
}

}  // namespace trine
