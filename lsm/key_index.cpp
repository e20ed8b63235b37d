#include "lsm/key_index.h"

#include <new>

#include <sys/mman.h>

#include "common/hash.h"

namespace trine {

namespace {
constexpr size_t kInitialCapacity = 1024;
}  // namespace

KeyIndex::Table::Table(size_t capacity) : mask(capacity - 1) {
  const size_t bytes = capacity * sizeof(Slot);
  void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    throw std::bad_alloc();
  if (bytes >= (2u << 20))
    madvise(m, bytes, MADV_HUGEPAGE);  // advice only: without it the table still works
  slots = static_cast<Slot*>(m);
  for (size_t i = 0; i < capacity; ++i)
    new (&slots[i]) Slot{{nullptr}, {0}};
}

KeyIndex::Table::~Table() {
  munmap(slots, (mask + 1) * sizeof(Slot));
}

KeyIndex::KeyIndex() {
  tables_.push_back(std::make_unique<Table>(kInitialCapacity));
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

void KeyIndex::Insert(MemKey* record, uint32_t h) {
  Table* t = tables_.back().get();
  size_t capacity = t->mask + 1;
  // Kept at most 3/4 full, so an unsuccessful probe (every first write of a
  // key) stays a few slots long.
  if ((size_ + 1) * 4 > capacity * 3) {
    auto grown = std::make_unique<Table>(capacity * 2);
    for (size_t i = 0; i < capacity; ++i) {
      MemKey* r = t->slots[i].record.load(std::memory_order_relaxed);
      if (r != nullptr)
        Place(grown.get(), r, t->slots[i].hash.load(std::memory_order_relaxed));
    }
    t = grown.get();
    tables_.push_back(std::move(grown));
    table_.store(t, std::memory_order_release);
    bytes_.fetch_add(capacity * 2 * sizeof(Slot), std::memory_order_relaxed);
  }
  Place(t, record, h);
  ++size_;
}

}  // namespace trine
