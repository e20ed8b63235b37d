#include "bloom/bloom.h"

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "common/coding.h"

namespace trine::bloom {
namespace {

std::string Key(uint64_t i) {
  // Triple-shaped keys: [type, attr, subject] as ordered varints.
  std::string k;
  PutOrderedVarint(&k, i % 100);
  PutOrderedVarint(&k, (i / 100) % 10);
  PutOrderedVarint(&k, i);
  return k;
}

TEST(BloomTest, NoFalseNegatives) {
  FilterBuilder b(10);
  for (uint64_t i = 0; i < 10000; ++i)
    b.AddKey(Key(2 * i));
  std::string data = b.Finish();
  FilterReader r;
  ASSERT_TRUE(r.Init(data));
  for (uint64_t i = 0; i < 10000; ++i)
    ASSERT_TRUE(r.KeyMayMatch(Key(2 * i))) << i;
}

TEST(BloomTest, EmptyFilterRejectsEverything) {
  FilterBuilder b(10);
  std::string data = b.Finish();
  FilterReader r;
  ASSERT_TRUE(r.Init(data));
  int hits = 0;
  for (uint64_t i = 0; i < 1000; ++i)
    hits += r.KeyMayMatch(Key(i));
  EXPECT_EQ(hits, 0);
}

TEST(BloomTest, MalformedFilterIsRejected) {
  FilterReader r;
  EXPECT_FALSE(r.Init(""));
  EXPECT_FALSE(r.Init("abcd"));
  FilterBuilder b(10);
  b.AddKey("x");
  std::string data = b.Finish();
  data.pop_back();  // length no longer matches the line count
  EXPECT_FALSE(r.Init(data));
}

// Measures the false-positive rate on 1M absent keys and compares it with the
// theoretical rate for the configured bits per key: closely with the rate of
// this blocked layout, and within a small factor with a classic filter (the
// one-cache-line layout gives up some accuracy, more at high bits per key).
class BloomFpRateTest : public ::testing::TestWithParam<int> {};

TEST_P(BloomFpRateTest, WithinSmallFactorOfTheory) {
  const int bits = GetParam();
  const uint64_t n = 1000000;
  FilterBuilder b(bits);
  for (uint64_t i = 0; i < n; ++i)
    b.AddKey(Key(2 * i));
  std::string data = b.Finish();
  FilterReader r;
  ASSERT_TRUE(r.Init(data));
  uint64_t fp = 0;
  for (uint64_t i = 0; i < n; ++i)
    fp += r.KeyMayMatch(Key(2 * i + 1));
  double rate = static_cast<double>(fp) / static_cast<double>(n);
  double classic = TheoreticalFpRate(bits);
  double blocked = TheoreticalBlockedFpRate(bits);
  std::fprintf(stderr,
               "bits/key %d: measured fp rate %.4f%%; theory blocked %.4f%% (x%.2f), classic "
               "%.4f%% (x%.2f); %zu bytes\n",
               bits, 100 * rate, 100 * blocked, rate / blocked, 100 * classic, rate / classic,
               data.size());
  RecordProperty("fp_rate", std::to_string(rate));
  EXPECT_LT(rate, 1.2 * blocked);
  EXPECT_GT(rate, 0.8 * blocked);  // far below theory would mean the test measures nothing
  EXPECT_LT(rate, 2.5 * classic);
}

INSTANTIATE_TEST_SUITE_P(Bits, BloomFpRateTest, ::testing::Values(6, 10, 16));

}  // namespace
}  // namespace trine::bloom
