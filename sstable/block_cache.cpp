#include "sstable/block_cache.h"

#include <algorithm>

namespace trine {

BlockCache::BlockCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

BlockCache::~BlockCache() = default;

std::shared_ptr<const Block> BlockCache::Lookup(Slot* slot) {
  std::shared_ptr<const Block> b;
  {
    std::lock_guard<std::mutex> lock(StripeFor(slot));
    b = slot->block;
  }
  if (b) {
    // Avoid dirtying the cache line when the bit is already set.
    if (!slot->referenced.load(std::memory_order_relaxed)) {
      slot->referenced.store(true, std::memory_order_relaxed);
    }
    hits_.fetch_add(1, std::memory_order_relaxed);
  } else {
    misses_.fetch_add(1, std::memory_order_relaxed);
  }
  return b;
}

void BlockCache::Insert(Slot* slot, std::shared_ptr<const Block> block) {
  size_t charge = block->charge();
  if (charge > capacity_)
    return;
  std::lock_guard<std::mutex> ring(ring_mu_);
  {
    std::lock_guard<std::mutex> lock(StripeFor(slot));
    if (slot->block)
      return;  // another reader cached it first
    slot->block = std::move(block);
  }
  slot->referenced.store(false, std::memory_order_relaxed);
  ring_.push_back(slot);
  charge_.fetch_add(charge, std::memory_order_relaxed);
  EvictLocked();
}

void BlockCache::EvictLocked() {
  while (charge_.load(std::memory_order_relaxed) > capacity_ && !ring_.empty()) {
    if (hand_ >= ring_.size())
      hand_ = 0;
    Slot* s = ring_[hand_];
    if (s->referenced.load(std::memory_order_relaxed)) {
      s->referenced.store(false, std::memory_order_relaxed);
      ++hand_;
      continue;
    }
    std::shared_ptr<const Block> victim;
    {
      std::lock_guard<std::mutex> lock(StripeFor(s));
      victim = std::move(s->block);
      s->block.reset();
    }
    charge_.fetch_sub(victim->charge(), std::memory_order_relaxed);
    ring_[hand_] = ring_.back();
    ring_.pop_back();
  }
}

void BlockCache::EraseSlots(Slot* slots, size_t n) {
  std::lock_guard<std::mutex> ring(ring_mu_);
  auto lo = reinterpret_cast<uintptr_t>(slots);
  auto hi = reinterpret_cast<uintptr_t>(slots + n);
  for (size_t i = 0; i < ring_.size();) {
    Slot* s = ring_[i];
    auto a = reinterpret_cast<uintptr_t>(s);
    if (a >= lo && a < hi) {
      std::shared_ptr<const Block> victim;
      {
        std::lock_guard<std::mutex> lock(StripeFor(s));
        victim = std::move(s->block);
        s->block.reset();
      }
      if (victim)
        charge_.fetch_sub(victim->charge(), std::memory_order_relaxed);
      ring_[i] = ring_.back();
      ring_.pop_back();
    } else {
      ++i;
    }
  }
  if (hand_ >= ring_.size())
    hand_ = 0;
}

}  // namespace trine
