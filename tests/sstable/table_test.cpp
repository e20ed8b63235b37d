#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/coding.h"
#include "sstable/block.h"
#include "sstable/block_builder.h"
#include "sstable/block_cache.h"
#include "sstable/range_tombstones.h"
#include "sstable/table_builder.h"
#include "sstable/table_reader.h"
#include "tests/util/test_util.h"
#include "trine/file_system.h"

namespace trine {
namespace {

using ::testing::HasSubstr;

struct Entry {
  std::string key;
  uint64_t tag;
  std::string value;
};

// Entries in internal order: random keys, some with several versions.
std::vector<Entry> RandomEntries(std::mt19937_64& rng, int n, size_t max_value) {
  std::map<std::pair<std::string, uint64_t>, std::string,
           bool (*)(const std::pair<std::string, uint64_t>&,
                    const std::pair<std::string, uint64_t>&)>
      m([](const auto& a, const auto& b) {
        return CompareInternal(a.first, a.second, b.first, b.second) < 0;
      });
  uint64_t seq = 1;
  while (static_cast<int>(m.size()) < n) {
    std::string k;
    PutOrderedVarint(&k, rng() % 7);
    PutOrderedVarint(&k, rng() % 5);
    PutOrderedVarint(&k, rng() % 100000);
    int versions = rng() % 8 == 0 ? 3 : 1;
    for (int v = 0; v < versions; ++v) {
      ValueKind kind = rng() % 10 == 0 ? ValueKind::kDelete : ValueKind::kPut;
      std::string value(kind == ValueKind::kPut ? rng() % (max_value + 1) : 0, 'v');
      for (auto& c : value)
        c = static_cast<char>('a' + rng() % 3);  // compressible
      m[{k, PackTag(seq++, kind)}] = value;
    }
  }
  std::vector<Entry> out;
  for (auto& [k, v] : m)
    out.push_back({k.first, k.second, v});
  return out;
}

TEST(BlockTest, SeekNextPrevAgainstSortedVector) {
  std::mt19937_64 rng(test::TestSeed());
  for (int restart : {1, 2, 16}) {
    auto entries = RandomEntries(rng, 500, 40);
    BlockBuilder b(restart);
    for (const auto& e : entries)
      b.Add(e.key, e.tag, e.value);
    Block block(std::string(b.Finish()));
    ASSERT_TRUE(block.ok());
    BlockIter it(&block, "test");
    // Forward and backward full scans.
    size_t i = 0;
    for (it.SeekToFirst(); it.Valid(); it.Next(), ++i) {
      ASSERT_EQ(it.user_key(), entries[i].key);
      ASSERT_EQ(it.tag(), entries[i].tag);
      ASSERT_EQ(it.value(), entries[i].value);
    }
    EXPECT_EQ(i, entries.size());
    i = entries.size();
    for (it.SeekToLast(); it.Valid(); it.Prev()) {
      --i;
      ASSERT_EQ(it.user_key(), entries[i].key);
      ASSERT_EQ(it.tag(), entries[i].tag);
    }
    EXPECT_EQ(i, 0u);
    // Seeks land on the first entry >= target.
    for (int s = 0; s < 300; ++s) {
      const Entry& e = entries[rng() % entries.size()];
      uint64_t tag = rng() % 2 ? e.tag : kMaxTag;
      it.Seek(e.key, tag);
      auto want = std::find_if(entries.begin(), entries.end(), [&](const Entry& x) {
        return CompareInternal(x.key, x.tag, e.key, tag) >= 0;
      });
      ASSERT_TRUE(it.Valid());
      EXPECT_EQ(it.user_key(), want->key);
      EXPECT_EQ(it.tag(), want->tag);
    }
    EXPECT_TRUE(it.status().ok());
  }
}

// Keys from a few bytes to a few hundred, sharing long prefixes: the
// iterator's key buffer starts inline and grows, keeping the shared prefix.
TEST(BlockTest, LongKeysRoundTrip) {
  std::mt19937_64 rng(test::TestSeed());
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    std::string k(1 + rng() % 300, 'p');
    for (size_t j = k.size() / 2; j < k.size(); ++j)
      k[j] = static_cast<char>('a' + rng() % 26);
    keys.push_back(std::move(k));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (int restart : {1, 16}) {
    BlockBuilder b(restart);
    for (size_t i = 0; i < keys.size(); ++i)
      b.Add(keys[i], PackTag(i + 1, ValueKind::kPut), std::to_string(i));
    Block block(std::string(b.Finish()));
    ASSERT_TRUE(block.ok());
    BlockIter it(&block, "test");
    size_t i = 0;
    for (it.SeekToFirst(); it.Valid(); it.Next(), ++i)
      ASSERT_EQ(it.user_key(), keys[i]);
    EXPECT_EQ(i, keys.size());
    for (it.SeekToLast(); it.Valid(); it.Prev())
      ASSERT_EQ(it.user_key(), keys[--i]);
    for (int s = 0; s < 200; ++s) {
      size_t want = rng() % keys.size();
      it.Seek(keys[want], kMaxTag);
      ASSERT_TRUE(it.Valid());
      EXPECT_EQ(it.user_key(), keys[want]);
      EXPECT_EQ(it.value(), std::to_string(want));
    }
  }
}

TEST(BlockTest, MalformedTrailerIsReported) {
  Block block(std::string("\x05\x00\x00", 3));
  EXPECT_FALSE(block.ok());
  auto it = block.NewIterator("t.sst");
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
}

class TableTest : public ::testing::Test {
 protected:
  std::string Build(const std::vector<Entry>& entries, const TableOptions& opts,
                    const std::vector<RangeTombstone>& tombstones = {}) {
    std::string path = dir_.Sub("000001.sst");
    auto file = PosixFileSystem()->NewWritableFile(path);
    EXPECT_TRUE(file.ok());
    TableBuilder b(opts, std::move(*file), "000001.sst");
    for (const auto& e : entries)
      b.Add(e.key, e.tag, e.value);
    for (const auto& t : tombstones)
      b.AddRangeTombstone(t.begin, t.end, t.seq);
    EXPECT_TRUE(b.Finish().ok());
    return path;
  }
  std::unique_ptr<TableReader> OpenTable(const std::string& path,
                                         std::shared_ptr<BlockCache> cache) {
    auto f = PosixFileSystem()->NewRandomAccessFile(path);
    EXPECT_TRUE(f.ok());
    auto t = TableReader::Open(std::move(*f), "000001.sst", cache);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(*t) : nullptr;
  }
  test::TempDir dir_;
};

TEST_F(TableTest, RoundTripWithCompressionAndCache) {
  std::mt19937_64 rng(test::TestSeed());
  auto entries = RandomEntries(rng, 20000, 64);
  for (bool compress : {false, true}) {
    TableOptions opts;
    opts.compress = compress;
    std::string path = Build(entries, opts);
    auto cache = std::make_shared<BlockCache>(1 << 20);
    auto t = OpenTable(path, cache);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->properties().num_entries, entries.size());
    EXPECT_EQ(t->properties().smallest_key, entries.front().key);
    EXPECT_EQ(t->properties().largest_key, entries.back().key);
    EXPECT_GT(t->properties().num_data_blocks, 10u);
    auto it = t->NewIterator(true);
    size_t i = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++i) {
      ASSERT_EQ(it->user_key(), entries[i].key);
      ASSERT_EQ(it->tag(), entries[i].tag);
      ASSERT_EQ(it->value(), entries[i].value);
    }
    ASSERT_TRUE(it->status().ok());
    EXPECT_EQ(i, entries.size());
    i = entries.size();
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      --i;
      ASSERT_EQ(it->user_key(), entries[i].key);
    }
    EXPECT_EQ(i, 0u);
    // Point lookups: the newest version at or below the snapshot.
    for (int s = 0; s < 2000; ++s) {
      const Entry& e = entries[rng() % entries.size()];
      uint64_t snap = TagSequence(e.tag);
      TableReader::GetResult r;
      std::string value;
      ASSERT_TRUE(t->Get(e.key, SeekTag(snap), true, &r, &value).ok());
      ASSERT_TRUE(r.found);
      EXPECT_EQ(r.tag, e.tag);
      if (TagKind(e.tag) == ValueKind::kPut) {
        EXPECT_EQ(value, e.value);
      }
    }
    EXPECT_GT(cache->hits(), 0u);
    if (compress) {
      // The compressible values must have been compressed.
      EXPECT_LT(t->properties().data_bytes,
                t->properties().raw_key_bytes + t->properties().raw_value_bytes);
    }
  }
}

TEST_F(TableTest, FilterSkipsAbsentKeys) {
  std::vector<Entry> entries;
  for (int i = 0; i < 5000; ++i) {
    std::string k;
    PutOrderedVarint(&k, 2 * static_cast<uint64_t>(i));
    entries.push_back({k, PackTag(1, ValueKind::kPut), "v"});
  }
  auto t = OpenTable(Build(entries, TableOptions()), nullptr);
  int filtered = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string k;
    PutOrderedVarint(&k, 2 * static_cast<uint64_t>(i) + 1);
    TableReader::GetResult r;
    std::string v;
    ASSERT_TRUE(t->Get(k, kMaxTag, true, &r, &v).ok());
    EXPECT_FALSE(r.found);
    filtered += r.filtered;
  }
  EXPECT_GT(filtered, 4800);  // ~1% false positives at 10 bits/key
}

TEST_F(TableTest, RangeTombstonesRoundTrip) {
  std::vector<Entry> entries = {{"b", PackTag(1, ValueKind::kPut), "x"}};
  std::vector<RangeTombstone> ts = {{"c", "f", 9}, {"a", "d", 5}};
  auto t = OpenTable(Build(entries, TableOptions(), ts), nullptr);
  ASSERT_EQ(t->range_tombstones().size(), 2u);
  const auto& f = t->fragmented_tombstones();
  EXPECT_EQ(f.MaxCovering("b", 100), 5u);
  EXPECT_EQ(f.MaxCovering("c", 100), 9u);
  EXPECT_EQ(f.MaxCovering("c", 6), 5u);  // the newer tombstone is invisible at 6
  EXPECT_EQ(f.MaxCovering("f", 100), 0u);
  EXPECT_EQ(t->properties().num_range_deletions, 2u);
}

// Every flipped byte is caught by a checksum (or a structural check): the
// reader reports an error naming the file, never returns altered data.
TEST_F(TableTest, CorruptionIsDetectedWithFileAndOffset) {
  std::mt19937_64 rng(test::TestSeed());
  auto entries = RandomEntries(rng, 3000, 32);
  std::string path = Build(entries, TableOptions());
  std::string original;
  {
    auto f = PosixFileSystem()->NewRandomAccessFile(path);
    ASSERT_TRUE(f.ok());
    original.resize((*f)->Size());
    std::string_view got;
    ASSERT_TRUE((*f)->Read(0, original.size(), original.data(), &got).ok());
    if (got.data() != original.data())
      original.assign(got);
  }
  int errors = 0, trials = 300;
  for (int trial = 0; trial < trials; ++trial) {
    std::string bad = original;
    size_t pos = rng() % bad.size();
    bad[pos] = static_cast<char>(bad[pos] ^ (1 + rng() % 255));
    {
      auto w = PosixFileSystem()->NewWritableFile(path);
      ASSERT_TRUE(w.ok());
      ASSERT_TRUE((*w)->Append(bad).ok());
      ASSERT_TRUE((*w)->Close().ok());
    }
    auto f = PosixFileSystem()->NewRandomAccessFile(path);
    auto t = TableReader::Open(std::move(*f), "000001.sst", nullptr);
    if (!t.ok()) {
      EXPECT_THAT(t.status().ToString(), HasSubstr("000001.sst")) << pos;
      ++errors;
      continue;
    }
    auto it = (*t)->NewIterator(false);
    size_t i = 0;
    bool wrong = false;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++i) {
      if (i >= entries.size() || it->user_key() != entries[i].key || it->tag() != entries[i].tag ||
          it->value() != entries[i].value) {
        wrong = true;
        break;
      }
    }
    ASSERT_FALSE(wrong) << "flipped byte at " << pos << " returned wrong data at entry " << i;
    if (!it->status().ok()) {
      EXPECT_THAT(it->status().ToString(), HasSubstr("000001.sst"));
      EXPECT_THAT(it->status().ToString(), HasSubstr("offset"));
      ++errors;
    } else {
      ASSERT_EQ(i, entries.size()) << "flip at " << pos << " silently shortened the scan";
    }
  }
  // Every byte of the file is covered by some checksum, so every flip must show.
  EXPECT_EQ(errors, trials);
}

TEST(FragmentedTombstonesTest, SplitsOverlaps) {
  FragmentedTombstones f({{"a", "e", 5}, {"c", "g", 9}, {"x", "z", 1}, {"q", "q", 3}});
  ASSERT_EQ(f.fragments().size(), 4u);
  EXPECT_EQ(f.fragments()[0].begin, "a");
  EXPECT_EQ(f.fragments()[0].end, "c");
  EXPECT_EQ(f.fragments()[1].seqs, (std::vector<SequenceNumber>{9, 5}));
  EXPECT_EQ(f.MaxCovering("d", 100), 9u);
  EXPECT_EQ(f.MaxCovering("d", 8), 5u);
  EXPECT_EQ(f.MaxCovering("g", 100), 0u);
  EXPECT_EQ(f.MaxCovering("q", 100), 0u);  // empty range covers nothing
  EXPECT_EQ(f.MaxCovering("y", 100), 1u);
}

TEST(BlockCacheTest, EvictsBeyondCapacityAndKeepsReferencedBlocks) {
  BlockCache cache(64 << 10);
  auto slots = std::make_unique<BlockCache::Slot[]>(100);
  for (size_t i = 0; i < 100; ++i) {
    cache.Insert(&slots[i], std::make_shared<const Block>(std::string(4096, 'x')));
    // Keep touching block 0: CLOCK must keep it while the others cycle out.
    EXPECT_NE(cache.Lookup(&slots[0]), nullptr) << i;
  }
  EXPECT_LE(cache.charge(), 64u << 10);
  EXPECT_NE(cache.Lookup(&slots[99]), nullptr);
  EXPECT_EQ(cache.Lookup(&slots[1]), nullptr);
  EXPECT_GT(cache.hits(), 100u);
  cache.EraseSlots(slots.get(), 100);
  EXPECT_EQ(cache.charge(), 0u);
  EXPECT_EQ(cache.Lookup(&slots[0]), nullptr);
}

}  // namespace
}  // namespace trine
