#include "sstable/block_cache.h"

#include <algorithm>

namespace trine {

BlockCache::BlockCache(size_t capacity_bytes)
    : capacity_(capacity_bytes),
      num_shards_(std::clamp<size_t>(capacity_bytes >> 20, 1, kMaxShards)),
      shards_(std::make_unique<Shard[]>(num_shards_)) {
  for (size_t i = 0; i < num_shards_; ++i) shards_[i].capacity = capacity_bytes / num_shards_;
}

BlockCache::~BlockCache() = default;

uint64_t BlockCache::NewTableId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<const Block> BlockCache::Lookup(uint64_t table_id, uint64_t offset) {
  Key k{table_id, offset};
  Shard& s = ShardFor(k);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(k);
  if (it == s.map.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  return it->second->block;
}

void BlockCache::Insert(uint64_t table_id, uint64_t offset, std::shared_ptr<const Block> block) {
  Key k{table_id, offset};
  Shard& s = ShardFor(k);
  size_t charge = block->charge();
  if (charge > s.capacity) return;
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(k);
  if (it != s.map.end()) {
    s.charge -= it->second->charge;
    s.lru.erase(it->second);
    s.map.erase(it);
  }
  s.lru.push_front(Entry{k, std::move(block), charge});
  s.map.emplace(k, s.lru.begin());
  s.charge += charge;
  while (s.charge > s.capacity && !s.lru.empty()) {
    Entry& victim = s.lru.back();
    s.charge -= victim.charge;
    s.map.erase(victim.key);
    s.lru.pop_back();
  }
}

void BlockCache::EraseTable(uint64_t table_id) {
  for (size_t i = 0; i < num_shards_; ++i) {
    Shard& s = shards_[i];
    std::lock_guard<std::mutex> lock(s.mu);
    for (auto it = s.lru.begin(); it != s.lru.end();) {
      if (it->key.table_id == table_id) {
        s.charge -= it->charge;
        s.map.erase(it->key);
        it = s.lru.erase(it);
      } else {
        ++it;
      }
    }
  }
}

size_t BlockCache::charge() const {
  size_t total = 0;
  for (size_t i = 0; i < num_shards_; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    total += shards_[i].charge;
  }
  return total;
}

}  // namespace trine
