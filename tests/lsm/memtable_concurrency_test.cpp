// The memtable's lock-free readers against its writer, built and run under
// ThreadSanitizer (the tsan preset) as well as in the debug build.
//
// The writer adds a precomputed sequence of writes (so readers know what
// each snapshot must hold) and publishes each sequence after its Add, as the
// store's write path does. Readers meanwhile take the published sequence as
// their snapshot and check point reads (the newest version at or below it)
// and whole scans forward and backward (keys in order, every key written at
// or below the snapshot present), while the B+-tree splits under them and
// the hash index grows. With the ordering thread, the tree is filled by that
// thread and by the scans themselves (each inserts what is pending before it
// reads), racing one another. TRINE_SEED=... repeats the writes.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lsm/mem_pool.h"
#include "lsm/memtable.h"
#include "sstable/internal_key.h"
#include "tests/util/test_util.h"

namespace trine {
namespace {

std::string ValueFor(const std::string& key, uint64_t seq) {
  return key + "@" + std::to_string(seq);
}

class MemTableConcurrency : public ::testing::TestWithParam<bool> {};

TEST_P(MemTableConcurrency, ReadersSeeEveryPublishedWrite) {
  const uint64_t seed = test::TestSeed();
  std::mt19937_64 rng(seed);
  constexpr int kWrites = 60000;
  std::vector<std::string> keys;  // keys[seq - 1]
  std::map<std::string, std::vector<uint64_t>> seqs_of;
  uint64_t next[3] = {0, 0, 0};  // the ascending runs' next ids
  for (int i = 0; i < kWrites; ++i) {
    std::string k;
    if (rng() % 2 == 0) {
      k = "k" + std::to_string(rng() % 20000);
      k.append(rng() % 24, 'z');  // some keys share more than the tree's 16-byte prefix
    } else {
      // Ascending runs in three ranges: the splits that follow a run.
      const size_t r = rng() % 3;
      char buf[32];
      std::snprintf(buf, sizeof(buf), "r%zu%010llu", r, static_cast<unsigned long long>(next[r]++));
      k = buf;
    }
    keys.push_back(k);
    seqs_of[k].push_back(static_cast<uint64_t>(i) + 1);
  }
  // Keys in order with the sequence of their first write.
  std::vector<std::pair<std::string, uint64_t>> first;
  for (const auto& [k, s] : seqs_of)
    first.emplace_back(k, s.front());

  MemTable mem(nullptr, /*order_in_background=*/GetParam());
  std::atomic<uint64_t> visible{0};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      const uint64_t seq = static_cast<uint64_t>(i) + 1;
      const std::string& k = keys[static_cast<size_t>(i)];
      mem.Add(seq, ValueKind::kPut, k, ValueFor(k, seq));
      visible.store(seq, std::memory_order_release);
    }
  });

  auto reader = [&](uint64_t rseed) {
    std::mt19937_64 r(rseed);
    int rounds = 0;
    while (!failed.load()) {
      const uint64_t snap = visible.load(std::memory_order_acquire);
      // Point reads.
      for (int j = 0; j < 200; ++j) {
        const std::string& k = keys[r() % keys.size()];
        const std::vector<uint64_t>& s = seqs_of.at(k);
        auto at = std::upper_bound(s.begin(), s.end(), snap);
        uint64_t tag = 0;
        std::string v;
        const bool found = mem.Get(k, snap, &tag, &v);
        if (at == s.begin()) {
          if (found) {
            ADD_FAILURE() << "Get(" << k << ", " << snap << ") found a write not yet made";
            failed = true;
          }
        } else if (!found || TagSequence(tag) != *(at - 1) || v != ValueFor(k, *(at - 1))) {
          ADD_FAILURE() << "Get(" << k << ", " << snap << "): expected seq " << *(at - 1)
                        << ", found " << found << " seq " << TagSequence(tag);
          failed = true;
        }
      }
      // A whole scan every few rounds, forward and backward in turn: keys in
      // order, and none written at or below the snapshot missing.
      if (rounds % 4 == 0) {
        const bool backward = rounds / 4 % 2 == 1;
        auto it = mem.NewIterator();
        std::vector<std::string> seen;
        if (backward) {
          for (it->SeekToLast(); it->Valid(); it->Prev())
            seen.emplace_back(it->user_key());
          std::reverse(seen.begin(), seen.end());
        } else {
          for (it->SeekToFirst(); it->Valid(); it->Next())
            seen.emplace_back(it->user_key());
        }
        // The versions of a key are adjacent; the keys must then ascend.
        seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
        auto bad =
            std::adjacent_find(seen.begin(), seen.end(),
                               [](const std::string& a, const std::string& b) { return a >= b; });
        if (bad != seen.end()) {
          ADD_FAILURE() << (backward ? "backward" : "forward") << " scan out of order at " << *bad;
          failed = true;
        }
        for (const auto& [k, s] : first)
          if (s <= snap && !std::binary_search(seen.begin(), seen.end(), k)) {
            ADD_FAILURE() << (backward ? "backward" : "forward") << " scan at " << snap
                          << " missed " << k;
            failed = true;
          }
      }
      ++rounds;
      if (snap == static_cast<uint64_t>(kWrites))
        break;
    }
  };
  std::thread r1(reader, seed + 1), r2(reader, seed + 2);
  writer.join();
  r1.join();
  r2.join();
  EXPECT_FALSE(failed.load()) << "TRINE_SEED=" << seed;
}

INSTANTIATE_TEST_SUITE_P(Tree, MemTableConcurrency, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "OrderingThread" : "InAdd";
                         });

// MemPool from several threads at once, as the writer takes regions while a
// flush thread destroys an old memtable and the pool's own thread readies
// blocks: no region may be handed to two holders. Each holder stamps its
// region and checks the stamp before giving it back.
TEST(MemPoolConcurrency, NoRegionHasTwoHolders) {
  MemPool pool(8 * MemPool::kBlockSize, /*ready_blocks=*/2);
  std::atomic<bool> failed{false};
  auto worker = [&](uint64_t id) {
    std::mt19937_64 rng(id);
    std::vector<std::pair<char*, size_t>> held;
    for (int i = 0; i < 400; ++i) {
      if (held.size() < 3 && rng() % 2 == 0) {
        const size_t bytes = MemPool::kBlockSize * (rng() % 3 == 0 ? 2 : 1);
        if (rng() % 4 == 0)
          pool.Expect(bytes);
        char* p = pool.Take(bytes);
        if (p == nullptr)
          continue;
        const uint64_t stamp = (id << 32) | static_cast<uint64_t>(i);
        std::memcpy(p, &stamp, sizeof stamp);
        std::memcpy(p + bytes - sizeof stamp, &stamp, sizeof stamp);
        held.emplace_back(p, bytes);
      } else if (!held.empty()) {
        auto [p, bytes] = held.back();
        held.pop_back();
        uint64_t head, tail;
        std::memcpy(&head, p, sizeof head);
        std::memcpy(&tail, p + bytes - sizeof tail, sizeof tail);
        if (head != tail || head >> 32 != id) {
          ADD_FAILURE() << "region " << static_cast<void*>(p) << " was overwritten";
          failed = true;
        }
        pool.Give(p, bytes);
      }
    }
    for (auto [p, bytes] : held)
      pool.Give(p, bytes);
  };
  std::thread a(worker, 1), b(worker, 2), c(worker, 3);
  a.join();
  b.join();
  c.join();
  EXPECT_FALSE(failed.load());
  EXPECT_LE(pool.bytes_kept(), 10 * MemPool::kBlockSize);
}

}  // namespace
}  // namespace trine
