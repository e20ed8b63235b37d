// MemTable against a sorted model: random writes (keys that share long
// prefixes, empty keys, versions arriving out of order, deletes), then every
// read the store makes of a memtable (Get at a snapshot, Seek, Next, Prev,
// SeekToFirst, SeekToLast) must agree with std::set over (key, tag desc).
// Enough keys that the B+-tree splits leaves and inner nodes several levels
// deep. TRINE_SEED=... repeats a run.
#include "lsm/memtable.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "sstable/internal_key.h"
#include "tests/util/test_util.h"

namespace trine {
namespace {

struct Entry {
  std::string key;
  uint64_t tag;
  std::string value;
  bool operator<(const Entry& o) const { return CompareInternal(key, tag, o.key, o.tag) < 0; }
};

// Keys drawn so that many share their first 16 bytes (the prefix the tree
// stores) and differ only after, some are prefixes of others, one is empty.
std::string RandomKey(std::mt19937_64& rng, int domain) {
  const uint64_t k = rng() % static_cast<uint64_t>(domain);
  switch (k % 5) {
    case 0:
      return k == 0 ? std::string() : std::string(1, static_cast<char>(k % 251));
    case 1:
      return std::string(16, 'p') + std::to_string(k);
    case 2:
      return std::string(20, '\xff') + std::to_string(k % 97);
    default: {
      std::string s = "key" + std::to_string(k * 2654435761u % 100003);
      s.append(k % 7, static_cast<char>('a' + k % 3));
      return s;
    }
  }
}

std::string Describe(const Entry& e) {
  return "'" + e.key + "'@" + std::to_string(TagSequence(e.tag)) + "/" +
         std::to_string(static_cast<int>(TagKind(e.tag)));
}

// The parameter: whether the memtable's tree is filled by its ordering
// thread (records pending in its ring until an iterator or the thread
// inserts them) or in Add.
class MemTableModel : public ::testing::TestWithParam<bool> {
 protected:
  void Fill(uint64_t seed, int writes, int domain) {
    std::mt19937_64 rng(seed);
    // Sequences mostly grow, as from the write path; one write in ten takes
    // an older unused sequence, as recovery replaying logs out of order
    // would, so versions also arrive out of order.
    std::vector<uint64_t> seqs;
    for (int i = 0; i < writes; ++i)
      seqs.push_back(static_cast<uint64_t>(i) + 1);
    for (int i = 0; i + 1 < writes; ++i)
      if (rng() % 10 == 0)
        std::swap(
            seqs[static_cast<size_t>(i)],
            seqs[static_cast<size_t>(i) + 1 + rng() % std::min<uint64_t>(50, writes - i - 1)]);
    for (int i = 0; i < writes; ++i) {
      Entry e;
      e.key = RandomKey(rng, domain);
      const bool del = rng() % 6 == 0;
      e.tag = PackTag(seqs[static_cast<size_t>(i)], del ? ValueKind::kDelete : ValueKind::kPut);
      if (!del)
        e.value = "v" + std::to_string(i) + std::string(rng() % 20, 'x');
      mem_->Add(TagSequence(e.tag), TagKind(e.tag), e.key, e.value);
      model_.insert(e);
    }
    max_seq_ = static_cast<uint64_t>(writes);
  }

  // Every read the store makes of a memtable, against the model.
  void CheckReads(uint64_t seed) {
    std::mt19937_64 rng(seed ^ 0x5eed);
    ASSERT_EQ(mem_->num_entries(), model_.size());

    auto it = mem_->NewIterator();
    // Whole scans, both ways.
    it->SeekToFirst();
    for (auto m = model_.begin(); m != model_.end(); ++m) {
      ExpectAt(*it, m, "forward scan");
      if (::testing::Test::HasFailure())
        FAIL() << "TRINE_SEED=" << seed;
      it->Next();
    }
    EXPECT_FALSE(it->Valid());
    it->SeekToLast();
    for (auto m = model_.rbegin(); m != model_.rend(); ++m) {
      ExpectAt(*it, std::prev(m.base()), "backward scan");
      if (::testing::Test::HasFailure())
        FAIL() << "TRINE_SEED=" << seed;
      it->Prev();
    }
    EXPECT_FALSE(it->Valid());

    // Seeks to (key, tag) pairs present and absent, then a few steps each way.
    for (int i = 0; i < 20000; ++i) {
      Entry target;
      target.key = RandomKey(rng, 25000);
      if (rng() % 4 == 0)
        target.key += '\0';
      target.tag = rng() % 3 == 0 ? kMaxTag : SeekTag(rng() % (max_seq_ + 2));
      it->Seek(target.key, target.tag);
      auto m = model_.lower_bound(target);
      const std::string what = "Seek('" + target.key + "', " + std::to_string(target.tag) + ")";
      ExpectAt(*it, m, what);
      const int steps = static_cast<int>(rng() % 6);
      for (int s = 0; s < steps && it->Valid(); ++s) {
        if (rng() % 2 == 0) {
          it->Next();
          ++m;
          ExpectAt(*it, m, what + " then Next");
        } else {
          it->Prev();
          m = m == model_.begin() ? model_.end() : std::prev(m);
          ExpectAt(*it, m, what + " then Prev");
        }
      }
      if (::testing::Test::HasFailure())
        FAIL() << "TRINE_SEED=" << seed;
    }

    // Point reads at snapshots: the newest version at or below the snapshot.
    for (int i = 0; i < 20000; ++i) {
      const std::string key = RandomKey(rng, 25000);
      const SequenceNumber snap = rng() % (max_seq_ + 2);
      auto m = model_.lower_bound(Entry{key, SeekTag(snap), ""});
      uint64_t tag = 0;
      std::string value = "unchanged";
      const bool found = mem_->Get(key, snap, &tag, &value);
      if (m == model_.end() || m->key != key) {
        EXPECT_FALSE(found) << "Get('" << key << "', " << snap << ") TRINE_SEED=" << seed;
      } else {
        ASSERT_TRUE(found) << "Get('" << key << "', " << snap << ") TRINE_SEED=" << seed;
        EXPECT_EQ(tag, m->tag) << "TRINE_SEED=" << seed;
        if (TagKind(tag) == ValueKind::kPut) {
          EXPECT_EQ(value, m->value) << "TRINE_SEED=" << seed;
        }
      }
    }
  }

  static Entry At(const InternalIterator& it) {
    return Entry{std::string(it.user_key()), it.tag(), std::string(it.value())};
  }

  void ExpectAt(const InternalIterator& it, std::set<Entry>::const_iterator m,
                const std::string& what) {
    if (m == model_.end()) {
      EXPECT_FALSE(it.Valid()) << what << ": expected the end, got " << Describe(At(it));
      return;
    }
    ASSERT_TRUE(it.Valid()) << what << ": expected " << Describe(*m) << ", got the end";
    EXPECT_EQ(it.user_key(), m->key) << what;
    EXPECT_EQ(it.tag(), m->tag) << what << " at " << Describe(*m);
    if (TagKind(m->tag) == ValueKind::kPut) {
      EXPECT_EQ(it.value(), m->value) << what;
    }
  }

  std::unique_ptr<MemTable> mem_ = std::make_unique<MemTable>(nullptr, GetParam());
  std::set<Entry> model_;
  uint64_t max_seq_ = 0;
};

TEST_P(MemTableModel, ReadsAgreeWithASortedModel) {
  const uint64_t seed = test::TestSeed();
  Fill(seed, 60000, 20000);
  CheckReads(seed);
}

// The same in memory a pool recycled: regions a dead memtable gave back,
// here filled with garbage first. Nothing may rely on fresh memory being
// zero (the tree's nodes, the records and the index's slots are all
// initialized where they are placed).
TEST_P(MemTableModel, ReadsAgreeInRecycledMemory) {
  const uint64_t seed = test::TestSeed();
  auto pool = std::make_shared<MemPool>(size_t{64} << 20, /*ready_blocks=*/0);
  std::vector<char*> regions;
  for (int i = 0; i < 16; ++i) {
    char* p = pool->Take(MemPool::kBlockSize);
    ASSERT_NE(p, nullptr);
    std::memset(p, 0xa5, MemPool::kBlockSize);
    regions.push_back(p);
  }
  for (char* p : regions)
    pool->Give(p, MemPool::kBlockSize);
  ASSERT_EQ(pool->bytes_kept(), 16 * MemPool::kBlockSize);
  const uint64_t taken_before = pool->hits();
  mem_ = std::make_unique<MemTable>(pool, GetParam());
  // 40,000 to 80,000 keys: the index's table of 128K slots, one 2 MiB region.
  Fill(seed, 150000, 120000);
  std::set<std::string> keys;
  for (const Entry& e : model_)
    keys.insert(e.key);
  ASSERT_GT(keys.size(), 40000u);
  ASSERT_LT(keys.size(), 80000u);
  // The arena went past its small blocks and the index past 2 MiB: both
  // took recycled regions.
  EXPECT_GE(pool->hits() - taken_before, 2u);
  CheckReads(seed);
  mem_.reset();  // gives its regions back (all fit in what the pool keeps)
  EXPECT_GE(pool->bytes_kept(), 16 * MemPool::kBlockSize);
}

TEST_P(MemTableModel, EmptyAndSingle) {
  auto it = mem_->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek("a", kMaxTag);
  EXPECT_FALSE(it->Valid());
  uint64_t tag;
  std::string v;
  EXPECT_FALSE(mem_->Get("a", kMaxSequenceNumber, &tag, &v));

  mem_->Add(5, ValueKind::kPut, "b", "x");
  it = mem_->NewIterator();  // one made before the write may not see it
  it->Seek("a", kMaxTag);
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->user_key(), "b");
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->Seek("b", SeekTag(4));  // only a newer version: past it
  EXPECT_FALSE(it->Valid());
  EXPECT_FALSE(mem_->Get("b", 4, &tag, &v));
  ASSERT_TRUE(mem_->Get("b", 5, &tag, &v));
  EXPECT_EQ(v, "x");
}

// Ascending runs inside several ranges at once, as new ids arrive in each
// attribute's range ([keyspace type field id]), mixed with random keys: the
// leaf splits that follow a run (MemTree::Insert) and the leaves they fill.
TEST_P(MemTableModel, AscendingRunsInRanges) {
  const uint64_t seed = test::TestSeed();
  std::mt19937_64 rng(seed);
  uint64_t seq = 0;
  uint64_t next_id[4] = {0, 0, 0, 0};
  for (int i = 0; i < 40000; ++i) {
    Entry e;
    if (rng() % 4 == 0) {
      e.key = RandomKey(rng, 20000);
    } else {
      const int field = static_cast<int>(rng() % 4);
      char buf[32];
      std::snprintf(buf, sizeof(buf), "d%c%010llu", 'a' + field,
                    static_cast<unsigned long long>(next_id[field]++));
      e.key = buf;
    }
    e.tag = PackTag(++seq, ValueKind::kPut);
    e.value = "v" + std::to_string(i);
    mem_->Add(TagSequence(e.tag), TagKind(e.tag), e.key, e.value);
    model_.insert(e);
  }
  max_seq_ = seq;
  CheckReads(seed);
}

// Keys written in ascending and in descending order: the splits at either
// edge of the tree.
TEST_P(MemTableModel, SortedAndReverseInserts) {
  for (int i = 0; i < 5000; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "a%08d", i);
    mem_->Add(static_cast<uint64_t>(i) + 1, ValueKind::kPut, buf, "v");
    std::snprintf(buf, sizeof(buf), "b%08d", 5000 - i);
    mem_->Add(static_cast<uint64_t>(i) + 10001, ValueKind::kPut, buf, "w");
  }
  auto it = mem_->NewIterator();
  int n = 0;
  std::string last;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    EXPECT_LT(last, std::string(it->user_key()));
    last = std::string(it->user_key());
  }
  EXPECT_EQ(n, 10000);
  n = 0;
  for (it->SeekToLast(); it->Valid(); it->Prev())
    ++n;
  EXPECT_EQ(n, 10000);
}

INSTANTIATE_TEST_SUITE_P(Tree, MemTableModel, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "OrderingThread" : "InAdd";
                         });

}  // namespace
}  // namespace trine
