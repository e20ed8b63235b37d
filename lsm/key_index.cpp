#include "lsm/key_index.h"

#include <algorithm>
#include <new>

#include <sys/mman.h>

#include "common/hash.h"

namespace trine {

namespace {
constexpr size_t kInitialCapacity = 1024;
// Per insert while a table grows: slots of the next table initialized (it
// has twice the slots, and 1/8 of the current capacity's inserts to do it
// in: 16 is enough, 32 leaves room), and slots of the old table copied (3/4
// of its capacity in 3/8 of the new table's: 2 is enough).
constexpr size_t kPrepareStep = 32;
constexpr size_t kCopyStep = 8;
}  // namespace

KeyIndex::Table::Table(size_t capacity, MemPool* p) : mask(capacity - 1), pool(nullptr) {
  const size_t bytes = capacity * sizeof(Slot);
  void* m;
  if (bytes >= MemPool::kBlockSize) {
    // 2 MiB-aligned and advised for huge pages: a probe is a random access.
    m = p != nullptr ? p->Take(bytes) : MemPool::Map(bytes);
    pool = p;
  } else {
    m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
      m = nullptr;
  }
  if (m == nullptr)
    throw std::bad_alloc();
  slots = static_cast<Slot*>(m);
}

KeyIndex::Table::~Table() {
  const size_t bytes = capacity() * sizeof(Slot);
  if (pool != nullptr)
    pool->Give(reinterpret_cast<char*>(slots), bytes);
  else
    munmap(slots, bytes);
}

void KeyIndex::Prepare(Table* t, size_t n) {
  const size_t end = std::min(t->capacity(), t->initialized + n);
  for (size_t i = t->initialized; i < end; ++i)
    new (&t->slots[i]) Slot{{nullptr}, {0}};
  t->initialized = end;
}

KeyIndex::KeyIndex(MemPool* pool) : pool_(pool) {
  tables_.push_back(std::make_unique<Table>(kInitialCapacity, pool_));
  Prepare(tables_.back().get(), kInitialCapacity);
  table_.store(tables_.back().get(), std::memory_order_release);
  bytes_.store(kInitialCapacity * sizeof(Slot), std::memory_order_relaxed);
}

KeyIndex::~KeyIndex() = default;

uint32_t KeyIndex::Hash(std::string_view key) {
  uint64_t h = Hash64(key);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

void KeyIndex::Place(Table* t, MemKey* record, uint32_t h) {
  size_t i = h & t->mask;
  while (t->slots[i].record.load(std::memory_order_relaxed) != nullptr)
    i = (i + 1) & t->mask;
  t->slots[i].hash.store(h, std::memory_order_relaxed);
  t->slots[i].record.store(record, std::memory_order_release);  // publishes the hash too
}

void KeyIndex::Copy(size_t n) {
  Table* t = tables_.back().get();
  const Table* old = t->old.load(std::memory_order_relaxed);
  if (old == nullptr)
    return;
  const size_t end = std::min(old->capacity(), copied_ + n);
  for (size_t i = copied_; i < end; ++i)
    if (MemKey* r = old->slots[i].record.load(std::memory_order_relaxed))
      Place(t, r, old->slots[i].hash.load(std::memory_order_relaxed));
  copied_ = end;
  if (copied_ == old->capacity())
    t->old.store(nullptr, std::memory_order_release);  // every record is in t now
}

void KeyIndex::Insert(MemKey* record, uint32_t h) {
  Copy(kCopyStep);
  Table* t = tables_.back().get();
  const size_t capacity = t->capacity();
  if (pool_ != nullptr && (size_ + 1) * 2 == capacity &&
      capacity * 2 * sizeof(Slot) >= MemPool::kBlockSize)
    pool_->Expect(capacity * 2 * sizeof(Slot));  // half full: ready the next table ahead
  if ((size_ + 1) * 8 > capacity * 5) {
    if (next_ == nullptr) {
      next_ = std::make_unique<Table>(capacity * 2, pool_);
      bytes_.fetch_add(capacity * 2 * sizeof(Slot), std::memory_order_relaxed);
    }
    Prepare(next_.get(), kPrepareStep);
    // At most 3/4 full, so an unsuccessful probe (every first write of a
    // key) stays a few slots long.
    if ((size_ + 1) * 4 > capacity * 3) {
      // The steps above finish in time; these two calls only guard it.
      Copy(capacity);
      Prepare(next_.get(), next_->capacity());
      next_->old.store(t, std::memory_order_relaxed);
      copied_ = 0;
      t = next_.get();
      tables_.push_back(std::move(next_));
      table_.store(t, std::memory_order_release);
    }
  }
  Place(t, record, h);
  ++size_;
}

}  // namespace trine
