#include "triples/write_set.h"

#include <cstdio>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/util/test_util.h"

namespace trine::triples {
namespace {

using Model = std::map<std::string, WriteSet::Value>;

std::vector<std::pair<std::string, WriteSet::Value>> Contents(const WriteSet& w) {
  std::vector<std::pair<std::string, WriteSet::Value>> out;
  w.ForEach([&](const std::string& k, const WriteSet::Value& v) { out.emplace_back(k, v); });
  return out;
}

// Random puts and deletes, in ascending, descending and random key order,
// past the size where the set changes representation; after every step the
// set answers like a std::map: lookups, ordered iteration, ranges.
TEST(WriteSetTest, BehavesLikeAMap) {
  const uint64_t seed = test::TestSeed();
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 60; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    WriteSet w;
    Model m;
    const int n = static_cast<int>(rng() % 200) + 1;
    const int order = round % 3;  // 0 ascending, 1 descending, 2 random
    auto key_of = [&](int i) {
      int k = order == 0 ? i : order == 1 ? n - i : static_cast<int>(rng() % (2 * n));
      char buf[16];
      std::snprintf(buf, sizeof(buf), "k%05d", k);
      return std::string(buf);
    };
    for (int i = 0; i < n; ++i) {
      std::string k = key_of(i);
      if (rng() % 4 == 0 && !m.empty())  // rewrite an existing key
        k = std::next(m.begin(), static_cast<long>(rng() % m.size()))->first;
      WriteSet::Value v;
      if (rng() % 3 != 0)
        v = "v" + std::to_string(rng() % 1000);
      w.Put(k, v);
      m[k] = v;
      ASSERT_EQ(w.size(), m.size());
      const WriteSet::Value* found = w.Find(k);
      ASSERT_NE(found, nullptr);
      EXPECT_EQ(*found, v);
      EXPECT_EQ(w.Find("absent"), nullptr);
    }
    ASSERT_EQ(Contents(w),
              (std::vector<std::pair<std::string, WriteSet::Value>>(m.begin(), m.end())));
    for (int probe = 0; probe < 20; ++probe) {
      std::string a = key_of(static_cast<int>(rng() % n)), b = key_of(static_cast<int>(rng() % n));
      if (b < a)
        std::swap(a, b);
      if (probe % 5 == 0)
        b.clear();  // unbounded
      std::vector<std::string> got;
      w.ForRange(a, b, [&](const std::string& k, const WriteSet::Value&) { got.push_back(k); });
      std::vector<std::string> want;
      for (auto it = m.lower_bound(a); it != m.end() && (b.empty() || it->first < b); ++it)
        want.push_back(it->first);
      EXPECT_EQ(got, want) << "[" << a << ", " << b << ")";
      EXPECT_EQ(w.AnyInRange(a, b), !want.empty());
    }
    std::vector<std::string> keys = w.TakeKeys();
    std::vector<std::string> want;
    for (const auto& [k, v] : m)
      want.push_back(k);
    EXPECT_EQ(keys, want);
    EXPECT_TRUE(w.empty());
  }
}

}  // namespace
}  // namespace trine::triples
