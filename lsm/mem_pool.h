// MemPool: the memory of a database's memtables (huge-page arena blocks and
// large hash-index tables), faulted in ahead of the writer and recycled from
// one memtable to the next.
//
// Why: the kernel zeroes every page of a fresh anonymous mapping when it is
// first touched, and a memtable touches all of its memory exactly once, in
// the commit path. A profile of the live-query bench found page faults
// (clear_page_erms) in about 15% of its samples, under MemTable::Add,
// MemTree::NewLeaf and KeyIndex::Insert; and a 2 MiB huge page is zeroed in
// one fault, a stall for whichever commit touches it first. The pool hands
// the writer regions that are already resident: ones a flushed memtable gave
// back, or fresh ones its background thread mapped and touched.
//
// Regions are multiples of kBlockSize, 2 MiB-aligned and advised for
// transparent huge pages; a recycled region keeps its old contents (arena
// users construct what they place, and the index initializes its slots).
// The pool keeps at most `keep_bytes` of returned memory beyond its ready
// blocks and unmaps the rest. A database keeps none (DBImpl): faulting ahead
// is what keeps page faults out of commits, and holding a flushed
// memtable's memory for the next one raised trine_bench's peak RSS. The
// background thread starts only when the first region is taken: a database
// whose memtables stay small never pays for it.
//
// Thread-safe. Memtables hold the pool through a shared_ptr, so it outlives
// every region it handed out.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace trine {

class MemPool {
 public:
  static constexpr size_t kBlockSize = size_t{2} << 20;

  // `ready_blocks`: fresh kBlockSize regions kept faulted in beyond the
  // recycled ones.
  explicit MemPool(size_t keep_bytes, int ready_blocks = 2);
  ~MemPool();
  MemPool(const MemPool&) = delete;
  MemPool& operator=(const MemPool&) = delete;

  // A region of `bytes` (a multiple of kBlockSize): resident if the pool had
  // one ready, otherwise freshly mapped. nullptr if mmap fails.
  char* Take(size_t bytes);
  // Returns a region from Take.
  void Give(char* p, size_t bytes);
  // A region of `bytes` will be taken soon (a hash index about to grow):
  // the background thread readies one unless the pool has it.
  void Expect(size_t bytes);

  // A fresh region of `bytes` (a multiple of kBlockSize), 2 MiB-aligned and
  // advised for huge pages, or nullptr; for callers without a pool too.
  static char* Map(size_t bytes);
  static void Unmap(char* p, size_t bytes);

  // Bytes held by the pool, not handed out.
  size_t bytes_kept() const;
  // Regions Take found ready, and regions it had to map itself.
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  void Run();
  // What the thread should ready next (0: nothing). REQUIRES: mu_ held.
  size_t NextToReady() const;
  // Takes out of the pool the kept regions beyond its bound that nothing
  // wants (neither a ready block nor the announced region: one announced
  // for a memtable flushed before it needed it); the caller unmaps them
  // after releasing mu_. REQUIRES: mu_ held.
  void TrimLocked(std::vector<std::pair<char*, size_t>>* drop);
  // Bytes the pool may keep. REQUIRES: mu_ held.
  size_t Bound() const { return keep_bytes_ + ready_blocks_ * kBlockSize + announced_; }

  const size_t keep_bytes_;
  const size_t ready_blocks_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<size_t, std::vector<char*>> free_;  // by size
  size_t kept_ = 0;                            // bytes in free_
  size_t expected_ = 0;                        // a size Expect asked for, not yet readied
  // The size Expect asked for, until a region of it is taken: an announced
  // region is kept beyond the bound (else, with the ready blocks held, a
  // database's pool could never ready one).
  size_t announced_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
  bool stop_ = false;
  std::thread thread_;  // started by the first Take
};

}  // namespace trine
