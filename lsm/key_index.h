// The memtable's records, and KeyIndex: a hash index from a user key to its
// record.
//
// A memtable holds one record (MemKey) per user key, in its B+-tree
// (memtree.h), and the key's versions as a list hanging off the record,
// newest first. A write to a key already in the memtable, or a point read of
// any key, then finds the record through KeyIndex in one or two cache misses
// instead of a tree search; only the first write of a key searches the tree.
//
// KeyIndex is open addressing with linear probing over slots that pair a
// record pointer with a 32-bit hash of the record's key: a probe skips a
// slot by its hash without touching the record, a hit costs the slot's line
// and the record's, and growth rehashes from the hashes alone. Tables of
// 2 MiB and more ask for transparent huge pages: a probe lands on a random
// page of a table that, at a million keys, spans 32 MiB, and with 4 KiB
// pages nearly every probe would also miss the TLB.
//
// Growth is spread over the writes around it, so no single write pays for
// building and filling a table of millions of slots (tens of milliseconds):
// - from 5/8 full, each insert initializes a few slots of the next table,
//   twice the size;
// - at 3/4 full the next table is published with a link to the current one,
//   and each insert then copies a few slots of the old table into it;
// - when all are copied the link is cleared.
// A record is always in the published table, in the table it links to, or
// both; Find reads the link before probing, so a cleared link means every
// record has been copied.
//
// One writer (the memtable's), any number of lock-free readers: a slot's
// hash is stored before its record is published, and a table is fully
// initialized before it is published. Replaced tables are kept until the
// index dies, for readers still probing them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "lsm/mem_pool.h"

namespace trine {

// One version of a key: the bytes of its value follow the struct.
struct MemVersion {
  std::atomic<const MemVersion*> older;
  uint64_t tag;  // sequence << 8 | kind (internal_key.h)
  uint32_t size;
  std::string_view value() const {
    return std::string_view(reinterpret_cast<const char*>(this + 1), size);
  }
};

// One user key: the bytes of the key follow the struct. `newest` heads the
// versions in descending tag order and is never null once the record is
// reachable.
struct MemKey {
  std::atomic<const MemVersion*> newest;
  uint32_t size;
  std::string_view key() const {
    return std::string_view(reinterpret_cast<const char*>(this + 1), size);
  }
};

class KeyIndex {
 public:
  // With a pool, tables of MemPool::kBlockSize bytes and more come from it
  // and go back to it. REQUIRES: the pool outlives the index.
  explicit KeyIndex(MemPool* pool = nullptr);
  ~KeyIndex();
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  static uint32_t Hash(std::string_view key);

  // The record of `key` (whose Hash is h), or nullptr. Any thread.
  MemKey* Find(std::string_view key, uint32_t h) const {
    const Table* t = table_.load(std::memory_order_acquire);
    const Table* old = t->old.load(std::memory_order_acquire);  // before probing t: see above
    MemKey* r = Probe(t, key, h);
    return r != nullptr || old == nullptr ? r : Probe(old, key, h);
  }

  // Starts loading the slot a probe for hash h begins at (a hint).
  void Prefetch(uint32_t h) const {
    const Table* t = table_.load(std::memory_order_relaxed);
    __builtin_prefetch(&t->slots[h & t->mask]);
  }
  // Starts loading the records a probe for hash h will compare keys with,
  // without reading them (a hint, after Prefetch(h) had time to land).
  void PrefetchRecords(uint32_t h) const {
    const Table* t = table_.load(std::memory_order_relaxed);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
      const MemKey* r = t->slots[i].record.load(std::memory_order_relaxed);
      if (r == nullptr)
        return;
      if (t->slots[i].hash.load(std::memory_order_relaxed) == h)
        __builtin_prefetch(r);
    }
  }

  // Adds a record whose key is not in the index yet. The writer only.
  void Insert(MemKey* record, uint32_t h);

  // Bytes held by the tables, replaced ones included. Any thread.
  size_t memory_usage() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::atomic<MemKey*> record;
    std::atomic<uint32_t> hash;
  };
  // `capacity` slots (a power of two) in an anonymous mapping or a pool's
  // region, initialized by Prepare (a recycled region holds old slots).
  struct Table {
    Table(size_t capacity, MemPool* pool);
    ~Table();
    Table(const Table&) = delete;
    Table& operator=(const Table&) = delete;
    size_t capacity() const { return mask + 1; }
    size_t mask;
    Slot* slots;
    MemPool* pool;                           // where the slots came from, or null
    size_t initialized = 0;                  // the writer's, until published
    std::atomic<const Table*> old{nullptr};  // still being copied from
  };

  static MemKey* Probe(const Table* t, std::string_view key, uint32_t h) {
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
      const Slot& slot = t->slots[i];
      MemKey* r = slot.record.load(std::memory_order_acquire);
      if (r == nullptr)
        return nullptr;
      if (slot.hash.load(std::memory_order_relaxed) == h && r->key() == key)
        return r;
    }
  }
  static void Place(Table* t, MemKey* record, uint32_t h);
  // Initializes up to n more slots of t.
  static void Prepare(Table* t, size_t n);
  // Copies up to n more slots of the table the current one links to.
  void Copy(size_t n);

  MemPool* const pool_;
  std::atomic<const Table*> table_;
  std::vector<std::unique_ptr<Table>> tables_;  // every table published; the writer's
  std::unique_ptr<Table> next_;                 // being initialized; the writer's
  size_t copied_ = 0;                           // slots of the old table copied; the writer's
  size_t size_ = 0;                             // records in the index; the writer's
  std::atomic<size_t> bytes_{0};
};

}  // namespace trine
