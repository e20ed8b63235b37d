// BlockCache: a bounded, sharded LRU cache of UNCOMPRESSED, verified blocks,
// shared by every table of a store. Caching decoded blocks matters: one zstd
// decode of a 4 KiB block costs about as much as a whole point lookup.
//
// Entries are keyed by (table cache id, block offset) and handed out as
// shared_ptr so a block stays alive while an iterator uses it, even after
// eviction. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "sstable/block.h"

namespace trine {

class BlockCache {
 public:
  explicit BlockCache(size_t capacity_bytes);
  ~BlockCache();

  std::shared_ptr<const Block> Lookup(uint64_t table_id, uint64_t offset);
  void Insert(uint64_t table_id, uint64_t offset, std::shared_ptr<const Block> block);
  // Drops every block of a table (when its file is deleted).
  void EraseTable(uint64_t table_id);

  size_t capacity() const { return capacity_; }
  size_t charge() const;
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

  // A process-wide unique id for a newly opened table.
  static uint64_t NewTableId();

 private:
  struct Key {
    uint64_t table_id;
    uint64_t offset;
    bool operator==(const Key& o) const { return table_id == o.table_id && offset == o.offset; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t h = k.table_id * 0x9e3779b97f4a7c15ull ^ (k.offset + 0x7f4a7c159e3779b9ull);
      return static_cast<size_t>(h ^ (h >> 29));
    }
  };
  struct Entry {
    Key key;
    std::shared_ptr<const Block> block;
    size_t charge;
  };
  struct Shard {
    mutable std::mutex mu;
    std::list<Entry> lru;  // front = most recent
    std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> map;
    size_t charge = 0;
    size_t capacity = 0;
  };
  static constexpr size_t kMaxShards = 16;

  Shard& ShardFor(const Key& k) { return shards_[KeyHash()(k) % num_shards_]; }

  size_t capacity_;
  // Fewer shards for small caches, so a shard still holds a useful number of blocks.
  size_t num_shards_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace trine
