// MemPool: regions are aligned and usable, come back through Give, are
// counted as hits when reused, stay within what the pool may keep, and are
// readied ahead by its thread (fresh blocks, and a size announced with
// Expect).
#include "lsm/mem_pool.h"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace trine {
namespace {

constexpr size_t kBlock = MemPool::kBlockSize;

bool Aligned(const char* p) {
  return reinterpret_cast<uintptr_t>(p) % kBlock == 0;
}

// Waits (up to a generous deadline: the thread runs when the machine lets
// it) until `done` holds; returns whether it did.
template <typename F>
bool Eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST(MemPool, GivenRegionsAreReused) {
  MemPool pool(8 * kBlock, /*ready_blocks=*/0);
  char* a = pool.Take(kBlock);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(Aligned(a));
  std::memset(a, 1, kBlock);  // the whole region is writable
  EXPECT_EQ(pool.misses(), 1u);
  EXPECT_EQ(pool.hits(), 0u);
  pool.Give(a, kBlock);
  EXPECT_EQ(pool.bytes_kept(), kBlock);
  char* b = pool.Take(kBlock);
  EXPECT_EQ(b, a);
  EXPECT_EQ(pool.hits(), 1u);
  EXPECT_EQ(pool.bytes_kept(), 0u);
  EXPECT_EQ(b[kBlock - 1], 1);  // recycled as it was left
  // Sizes are kept apart: a larger region is not served from a smaller one.
  char* c = pool.Take(2 * kBlock);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(Aligned(c));
  EXPECT_NE(c, b);
  EXPECT_EQ(pool.misses(), 2u);
  pool.Give(b, kBlock);
  pool.Give(c, 2 * kBlock);
  EXPECT_EQ(pool.bytes_kept(), 3 * kBlock);
}

TEST(MemPool, KeepsNoMoreThanItMay) {
  MemPool pool(2 * kBlock, /*ready_blocks=*/0);
  std::vector<char*> taken;
  for (int i = 0; i < 5; ++i)
    taken.push_back(pool.Take(kBlock));
  for (char* p : taken)
    pool.Give(p, kBlock);
  EXPECT_EQ(pool.bytes_kept(), 2 * kBlock);  // the other three were unmapped
}

TEST(MemPool, ReadiesBlocksAheadOnceUsed) {
  MemPool pool(8 * kBlock, /*ready_blocks=*/2);
  EXPECT_EQ(pool.bytes_kept(), 0u);  // no thread before the first Take
  char* a = pool.Take(kBlock);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(Eventually([&] { return pool.bytes_kept() == 2 * kBlock; }));
  char* b = pool.Take(kBlock);
  EXPECT_EQ(pool.hits(), 1u);
  // An announced size is readied too.
  pool.Expect(4 * kBlock);
  ASSERT_TRUE(Eventually([&] { return pool.bytes_kept() == 2 * kBlock + 4 * kBlock; }));
  char* c = pool.Take(4 * kBlock);
  EXPECT_EQ(pool.hits(), 2u);
  EXPECT_TRUE(Aligned(c));
  std::memset(c, 2, 4 * kBlock);
  pool.Give(a, kBlock);
  pool.Give(b, kBlock);
  pool.Give(c, 4 * kBlock);
}

// As a database configures its pool: nothing kept beyond two ready blocks.
// An announced size must still be readied (it once counted against that
// bound, which the ready blocks already filled, so it never was).
TEST(MemPool, ReadiesAnAnnouncedSizeBeyondItsReadyBlocks) {
  MemPool pool(/*keep_bytes=*/0, /*ready_blocks=*/2);
  char* a = pool.Take(kBlock);
  ASSERT_TRUE(Eventually([&] { return pool.bytes_kept() == 2 * kBlock; }));
  pool.Expect(4 * kBlock);
  ASSERT_TRUE(Eventually([&] { return pool.bytes_kept() == 6 * kBlock; }));
  const uint64_t hits = pool.hits();
  char* c = pool.Take(4 * kBlock);
  EXPECT_EQ(pool.hits(), hits + 1);
  std::memset(c, 3, 4 * kBlock);
  pool.Give(c, 4 * kBlock);  // beyond the bound once taken: unmapped
  EXPECT_EQ(pool.bytes_kept(), 2 * kBlock);
  pool.Give(a, kBlock);
}

// A region announced for a memtable flushed before it needed it must not
// stay in the pool: it held the pool over its bound, so the ready blocks
// were never replenished and every arena block was mapped on demand.
TEST(MemPool, DropsAnAnnouncedRegionNobodyTook) {
  MemPool pool(/*keep_bytes=*/0, /*ready_blocks=*/2);
  char* a = pool.Take(kBlock);
  ASSERT_TRUE(Eventually([&] { return pool.bytes_kept() == 2 * kBlock; }));
  pool.Expect(8 * kBlock);
  ASSERT_TRUE(Eventually([&] { return pool.bytes_kept() == 10 * kBlock; }));
  pool.Expect(4 * kBlock);  // the next memtable's index, smaller
  ASSERT_TRUE(Eventually([&] { return pool.bytes_kept() == 6 * kBlock; }));
  // The ready blocks are still replenished after use.
  char* b = pool.Take(kBlock);
  char* c = pool.Take(kBlock);
  ASSERT_TRUE(Eventually([&] { return pool.bytes_kept() == 6 * kBlock; }));
  const uint64_t hits = pool.hits();
  char* d = pool.Take(kBlock);
  EXPECT_EQ(pool.hits(), hits + 1);
  for (char* p : {a, b, c, d})
    pool.Give(p, kBlock);
}

}  // namespace
}  // namespace trine
