// SequenceSet against std::multiset: random inserts (mostly of the newest
// sequence, as snapshots are taken) and erases of present and absent values.
#include "common/sequence_set.h"

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "tests/util/test_util.h"

namespace trine {
namespace {

TEST(SequenceSet, AgreesWithAMultiset) {
  const uint64_t seed = test::TestSeed();
  std::mt19937_64 rng(seed);
  SequenceSet set;
  std::multiset<uint64_t> model;
  uint64_t newest = 0;
  for (int i = 0; i < 20000; ++i) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      // Mostly the newest sequence (a snapshot now), sometimes an older one.
      uint64_t seq = op < 4 ? (newest += rng() % 3) : rng() % (newest + 1);
      set.Insert(seq);
      model.insert(seq);
    } else {
      uint64_t seq = model.empty() || op == 9
                         ? rng() % (newest + 2)
                         : *std::next(model.begin(), static_cast<long>(rng() % model.size()));
      auto it = model.find(seq);
      const bool present = it != model.end();
      if (present)
        model.erase(it);
      ASSERT_EQ(set.Erase(seq), present) << "TRINE_SEED=" << seed;
    }
    ASSERT_EQ(set.size(), model.size()) << "TRINE_SEED=" << seed;
    ASSERT_EQ(set.empty(), model.empty());
    if (!model.empty()) {
      ASSERT_EQ(set.Min(), *model.begin()) << "TRINE_SEED=" << seed;
    }
  }
  EXPECT_EQ(set.sorted(), std::vector<uint64_t>(model.begin(), model.end()));
}

}  // namespace
}  // namespace trine
