#include "common/coding.h"

#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "common/hash.h"
#include "tests/util/test_util.h"
#include "trine/status.h"

namespace trine {
namespace {

TEST(CodingTest, FixedRoundTrip) {
  std::string s;
  PutFixed32(&s, 0xdeadbeef);
  PutFixed64(&s, 0x0123456789abcdefull);
  std::string_view in(s);
  uint32_t a;
  uint64_t b;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_EQ(a, 0xdeadbeefu);
  EXPECT_EQ(b, 0x0123456789abcdefull);
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(GetFixed32(&in, &a));
}

TEST(CodingTest, VarintRoundTripAndTruncation) {
  std::vector<uint64_t> values = {0,          1,    127, 128, 300, 16383, 16384, (1ull << 32) - 1,
                                  1ull << 32, ~0ull};
  std::string s;
  for (uint64_t v : values)
    PutVarint64(&s, v);
  std::string_view in(s);
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(VarintLength(v), [&] {
      std::string t;
      PutVarint64(&t, v);
      return static_cast<int>(t.size());
    }());
  }
  // A varint cut in the middle is rejected, not misread.
  std::string cut;
  PutVarint64(&cut, 1ull << 40);
  cut.pop_back();
  std::string_view c(cut);
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&c, &v));
  // varint32 rejects values that do not fit.
  std::string big;
  PutVarint64(&big, 1ull << 33);
  std::string_view b(big);
  uint32_t v32;
  EXPECT_FALSE(GetVarint32(&b, &v32));
}

TEST(CodingTest, OrderedVarintBoundaries) {
  struct Case {
    uint64_t v;
    int len;
  };
  for (Case c :
       {Case{0, 1}, Case{240, 1}, Case{241, 2}, Case{2287, 2}, Case{2288, 3}, Case{67823, 3},
        Case{67824, 4}, Case{(1ull << 24) - 1, 4}, Case{1ull << 24, 5}, Case{~0ull, 9}}) {
    std::string s;
    PutOrderedVarint(&s, c.v);
    EXPECT_EQ(static_cast<int>(s.size()), c.len) << c.v;
    EXPECT_EQ(OrderedVarintLength(c.v), c.len) << c.v;
    std::string_view in(s);
    uint64_t got;
    ASSERT_TRUE(GetOrderedVarint(&in, &got));
    EXPECT_EQ(got, c.v);
    EXPECT_TRUE(in.empty());
  }
}

// Each value has one encoding: longer forms of small values are rejected.
TEST(CodingTest, OrderedVarintRejectsNonCanonicalForms) {
  for (std::string bad : {std::string("\xf1\x00", 2), std::string("\xfa\x00\x00\x01", 4),
                          std::string("\xfb\x00\x00\x00\x01", 5)}) {
    std::string_view in(bad);
    uint64_t v;
    EXPECT_FALSE(GetOrderedVarint(&in, &v)) << v;
  }
}

// Bytewise order of encodings equals numeric order, and concatenations sort
// like tuples: the property the key layout of the triple store relies on.
TEST(CodingTest, OrderedVarintPreservesOrder) {
  std::mt19937_64 rng(test::TestSeed());
  auto random_value = [&] {
    int bits = static_cast<int>(rng() % 65);
    return bits == 64 ? rng() : (rng() & ((1ull << bits) - 1));
  };
  for (int i = 0; i < 200000; ++i) {
    uint64_t a1 = random_value(), a2 = random_value(), b1 = random_value(), b2 = random_value();
    if (i % 3 == 0)
      b1 = a1;  // force ties in the first field
    std::string a, b;
    PutOrderedVarint(&a, a1);
    PutOrderedVarint(&a, a2);
    PutOrderedVarint(&b, b1);
    PutOrderedVarint(&b, b2);
    auto tuple_cmp = std::make_pair(a1, a2) <=> std::make_pair(b1, b2);
    int bytes_cmp = a.compare(b);
    ASSERT_EQ(tuple_cmp < 0, bytes_cmp < 0) << a1 << "," << a2 << " vs " << b1 << "," << b2;
    ASSERT_EQ(tuple_cmp == 0, bytes_cmp == 0) << a1 << "," << a2 << " vs " << b1 << "," << b2;
  }
}

TEST(CodingTest, OrderedVarintRejectsTruncatedAndNonCanonical) {
  std::string s;
  PutOrderedVarint(&s, 1ull << 40);
  for (size_t n = 0; n < s.size(); ++n) {
    std::string_view in(s.data(), n);
    uint64_t v;
    EXPECT_FALSE(GetOrderedVarint(&in, &v)) << n;
  }
  // 100 written in the 4-byte form is not the canonical encoding.
  std::string bad = {static_cast<char>(250), 0, 0, 100};
  std::string_view in(bad);
  uint64_t v;
  EXPECT_FALSE(GetOrderedVarint(&in, &v));
}

TEST(CodingTest, ChecksumDependsOnSalt) {
  std::string data(4096, 'x');
  EXPECT_EQ(Checksum32(data, 1), Checksum32(data, 1));
  EXPECT_NE(Checksum32(data, 1), Checksum32(data, 2));
  std::string flipped = data;
  flipped[100] ^= 1;
  EXPECT_NE(Checksum32(data), Checksum32(flipped));
}

TEST(StatusTest, MessagesAndContext) {
  Status s = Status::Corruption("000012.sst: block checksum mismatch at offset 8192");
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.ToString(), "Corruption: 000012.sst: block checksum mismatch at offset 8192");
  EXPECT_EQ(s.WithContext("open /data").ToString(),
            "Corruption: open /data: 000012.sst: block checksum mismatch at offset 8192");
  EXPECT_EQ(Status::OK().ToString(), "OK");
  Result<int> r = Status::NotFound("x");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  Result<int> ok = 7;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
}

}  // namespace
}  // namespace trine
