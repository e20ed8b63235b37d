// Values, decimals and their two byte encodings (triples/value_codec.h).
//
// The ordered form carries the index invariant: memcmp order of encodings ==
// Value::Compare, prefix-free, so (value, subject) and (value, value) keys
// sort as tuples. The property tests check exactly that on random values with
// the edge cases weighted in; the unit tests pin the documented corner cases.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#if TRINE_HAVE_RAPIDCHECK
#include <rapidcheck.h>

#include <rapidcheck/gtest.h>
#endif

#include "common/coding.h"
#include "tests/util/test_util.h"
#include "trine/status.h"
#include "trine/value.h"
#include "triples/value_codec.h"

namespace trine::triples {
namespace {

// __extension__: -Wpedantic rejects the GCC/Clang 128-bit type otherwise.
__extension__ typedef __int128 int128;

constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();

double BitsDouble(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}
uint64_t DoubleBits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

std::string Stored(const Value& v) {
  std::string s;
  EncodeStoredValue(v, &s);
  return s;
}
std::string Ordered(const Value& v) {
  std::string s;
  EncodeOrderedValue(v, &s);
  return s;
}

// Sign of the unsigned bytewise comparison, as an index's key comparator sees it.
int ByteOrder(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0)
    return c < 0 ? -1 : 1;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

template <typename T>
int ThreeWay(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

Value Dec(int64_t units, int scale) {
  return Value::Dec(Decimal{units, scale});
}

// Checks both round trips and returns what went wrong, or "" if nothing did.
std::string RoundTripProblem(const Value& v) {
  std::string stored = Stored(v);
  Value back;
  Status st = DecodeStoredValue(stored, &back);
  if (!st.ok())
    return "stored decode of " + v.ToString() + ": " + st.ToString();
  if (Value::Compare(back, v) != 0)
    return "stored round trip " + v.ToString() + " -> " + back.ToString();
  // The stored form keeps representation too: NaN payloads, -0.0, decimal scale.
  if (Stored(back) != stored)
    return "stored re-encoding differs for " + v.ToString();

  std::string ordered = Ordered(v);
  std::string keyed = ordered + "tail";
  std::string_view in(keyed);
  st = DecodeOrderedValue(&in, &back);
  if (!st.ok())
    return "ordered decode of " + v.ToString() + ": " + st.ToString();
  if (in != "tail")
    return "ordered decode of " + v.ToString() + " consumed the wrong length";
  if (Value::Compare(back, v) != 0)
    return "ordered round trip " + v.ToString() + " -> " + back.ToString();
  if (Ordered(back) != ordered)
    return "ordered re-encoding differs for " + v.ToString();
  return "";
}

// A spread of edge values, used by the deterministic tests and as seeds for
// the corruption fuzz.
std::vector<Value> EdgeValues() {
  std::vector<Value> vs = {Value::Null(), Value::Bool(false), Value::Bool(true)};
  for (int64_t i : {kI64Min, kI64Min + 1, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{63},
                    int64_t{64}, kI64Max - 1, kI64Max}) {
    vs.push_back(Value::Int(i));
    vs.push_back(Value::Time(i));
  }
  for (double d : {-kInf,
                   -std::numeric_limits<double>::max(),
                   -1.0,
                   -0.1,
                   -std::numeric_limits<double>::min(),
                   -std::numeric_limits<double>::denorm_min(),
                   -0.0,
                   0.0,
                   std::numeric_limits<double>::denorm_min(),
                   BitsDouble(0x000fffffffffffffull),
                   std::numeric_limits<double>::min(),
                   0.1,
                   1.0,
                   1.5,
                   std::numeric_limits<double>::max(),
                   kInf,
                   std::numeric_limits<double>::quiet_NaN(),
                   -std::numeric_limits<double>::quiet_NaN(),
                   BitsDouble(0x7ff0000000000001ull),
                   BitsDouble(0xfff8dead00000000ull)}) {
    vs.push_back(Value::Float(d));
  }
  for (int scale : {0, 1, 2, 9, 17, 18}) {
    for (int64_t u : {kI64Min, int64_t{-150}, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{15},
                      int64_t{150}, kI64Max}) {
      vs.push_back(Dec(u, scale));
    }
  }
  using namespace std::string_literals;
  for (std::string s :
       {""s, "\0"s, "\0\0"s, "a"s, "a\0"s, "a\0b"s, "ab"s, "\x7f"s, "\xc3\xa9"s, "\xe2\x82\xac"s,
        "\xf0\x90\x8d\x88"s, "\xf4\x8f\xbf\xbf"s, "quote\"\\\n"s}) {
    vs.push_back(Value::String(s));
  }
  for (std::string s :
       {""s, "\0"s, "\0\xff"s, "\xff"s, "\xff\0"s, "\x01"s, "a"s, "a\0"s, "\xfe\xff\x00\x01"s}) {
    vs.push_back(Value::Bytes(s));
  }
  for (uint64_t r : {uint64_t{0}, uint64_t{240}, uint64_t{241}, uint64_t{2287}, uint64_t{2288},
                     uint64_t{67823}, uint64_t{67824}, uint64_t{1} << 32, kU64Max - 1, kU64Max}) {
    vs.push_back(Value::Ref(r));
  }
  return vs;
}

// ---------------------------------------------------------------------------
// Value basics

TEST(ValueTest, TypeNames) {
  EXPECT_EQ(ValueTypeName(ValueType::kNull), "null");
  EXPECT_EQ(ValueTypeName(ValueType::kBool), "bool");
  EXPECT_EQ(ValueTypeName(ValueType::kInt), "int");
  EXPECT_EQ(ValueTypeName(ValueType::kFloat), "float");
  EXPECT_EQ(ValueTypeName(ValueType::kDecimal), "decimal");
  EXPECT_EQ(ValueTypeName(ValueType::kString), "string");
  EXPECT_EQ(ValueTypeName(ValueType::kBytes), "bytes");
  EXPECT_EQ(ValueTypeName(ValueType::kTimestamp), "timestamp");
  EXPECT_EQ(ValueTypeName(ValueType::kRef), "ref");
}

TEST(ValueTest, ToString) {
  using namespace std::string_literals;
  EXPECT_EQ(Value::Null().ToString(), "null");
  EXPECT_EQ(Value::Bool(true).ToString(), "true");
  EXPECT_EQ(Value::Bool(false).ToString(), "false");
  EXPECT_EQ(Value::Int(42).ToString(), "42");
  EXPECT_EQ(Value::Int(kI64Min).ToString(), "-9223372036854775808");
  EXPECT_EQ(Value::Float(1.5).ToString(), "1.5");
  EXPECT_EQ(Value::Float(1.0).ToString(), "1.0");
  EXPECT_EQ(Value::Float(0.1).ToString(), "0.1");
  EXPECT_EQ(Value::Float(-0.0).ToString(), "-0.0");
  EXPECT_EQ(Value::Float(kInf).ToString(), "inf");
  EXPECT_EQ(Value::Float(-kInf).ToString(), "-inf");
  EXPECT_EQ(Value::Float(std::nan("")).ToString(), "nan");
  EXPECT_EQ(Dec(1230, 2).ToString(), "12.30");
  EXPECT_EQ(Value::String("text").ToString(), "\"text\"");
  EXPECT_EQ(Value::String("a\"b\\c\n\x01"s).ToString(), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(Value::String("\0"s).ToString(), "\"\\u0000\"");
  EXPECT_EQ(Value::String("\xc3\xa9").ToString(), "\"\xc3\xa9\"");
  EXPECT_EQ(Value::Bytes("\x00\xff"s).ToString(), "x'00ff'");
  EXPECT_EQ(Value::Bytes("").ToString(), "x''");
  EXPECT_EQ(Value::Time(1700000000000000).ToString(), "time(1700000000000000)");
  EXPECT_EQ(Value::Ref(17).ToString(), "ref(17)");
}

TEST(ValueTest, FloatToStringRoundTrips) {
  for (double d : {0.1, 1.0 / 3, 1e300, -2.5e-308, std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::max(), 123456789.0, 1e21}) {
    std::string s = Value::Float(d).ToString();
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), d) << s;
  }
}

TEST(ValueTest, TypesOrderFirstAndNeverEqual) {
  std::vector<Value> by_type = {
      Value::Null(),        Value::Bool(true),    Value::Int(kI64Max),
      Value::Float(kInf),   Dec(kI64Max, 0),      Value::String("\xf4\x8f\xbf\xbf"),
      Value::Bytes("\xff"), Value::Time(kI64Max), Value::Ref(kU64Max)};
  // Each type's largest value still sorts below the next type's smallest.
  std::vector<Value> smallest = {Value::Null(),       Value::Bool(false),   Value::Int(kI64Min),
                                 Value::Float(-kInf), Dec(kI64Min, 0),      Value::String(""),
                                 Value::Bytes(""),    Value::Time(kI64Min), Value::Ref(0)};
  for (size_t i = 0; i + 1 < by_type.size(); ++i) {
    EXPECT_LT(Value::Compare(by_type[i], smallest[i + 1]), 0) << i;
    EXPECT_LT(ByteOrder(Ordered(by_type[i]), Ordered(smallest[i + 1])), 0) << i;
  }
  EXPECT_NE(Value::Int(1), Value::Float(1.0));
  EXPECT_NE(Value::Int(1), Dec(1, 0));
  EXPECT_NE(Value::String("a"), Value::Bytes("a"));
  EXPECT_NE(Value::Int(5), Value::Time(5));
  EXPECT_NE(Value::Ref(5), Value::Time(5));
}

TEST(ValueTest, FloatZeroAndNaN) {
  EXPECT_EQ(Value::Compare(Value::Float(-0.0), Value::Float(0.0)), 0);
  EXPECT_EQ(Ordered(Value::Float(-0.0)), Ordered(Value::Float(0.0)));
  // The stored form keeps what was written.
  EXPECT_NE(Stored(Value::Float(-0.0)), Stored(Value::Float(0.0)));

  Value nan = Value::Float(std::numeric_limits<double>::quiet_NaN());
  Value neg_nan = Value::Float(-std::numeric_limits<double>::quiet_NaN());
  Value snan = Value::Float(BitsDouble(0x7ff0000000000001ull));
  Value inf = Value::Float(kInf);
  EXPECT_GT(Value::Compare(nan, inf), 0);
  EXPECT_LT(Value::Compare(inf, nan), 0);
  EXPECT_GT(Value::Compare(neg_nan, inf), 0);
  EXPECT_EQ(Value::Compare(nan, neg_nan), 0);
  EXPECT_EQ(Value::Compare(nan, snan), 0);
  EXPECT_GT(Ordered(nan), Ordered(inf));
  EXPECT_EQ(Ordered(nan), Ordered(neg_nan));
  EXPECT_EQ(Ordered(nan), Ordered(snan));
  EXPECT_LT(Ordered(Value::Float(-kInf)), Ordered(Value::Float(-1e308)));

  Value back;
  ASSERT_TRUE(DecodeStoredValue(Stored(snan), &back).ok());
  EXPECT_EQ(DoubleBits(back.as_float()), 0x7ff0000000000001ull);
}

TEST(ValueTest, StringsWithZerosSortAsPrefixes) {
  using namespace std::string_literals;
  std::vector<std::string> sorted = {""s,  "\0"s,  "\0\0"s,  "\0\x01"s, "\x01"s,
                                     "a"s, "a\0"s, "a\0\0"s, "a\0b"s,   "ab"s};
  for (auto make : {&Value::String, &Value::Bytes}) {
    for (size_t i = 0; i + 1 < sorted.size(); ++i) {
      Value a = make(sorted[i]), b = make(sorted[i + 1]);
      EXPECT_LT(Value::Compare(a, b), 0) << a.ToString() << " " << b.ToString();
      EXPECT_LT(ByteOrder(Ordered(a), Ordered(b)), 0) << a.ToString() << " " << b.ToString();
    }
  }
  // Bytes compare unsigned: 0xff sorts last.
  EXPECT_LT(Value::Bytes("a"), Value::Bytes("\xff"));
  EXPECT_LT(ByteOrder(Ordered(Value::Bytes("\xfe\xff")), Ordered(Value::Bytes("\xff"))), 0);
  EXPECT_LT(ByteOrder(Ordered(Value::Bytes("\xff")), Ordered(Value::Bytes("\xff\0"s))), 0);
  // Code-point order for strings: U+00E9 < U+20AC < U+10348.
  EXPECT_LT(Value::String("\xc3\xa9"), Value::String("\xe2\x82\xac"));
  EXPECT_LT(Value::String("\xe2\x82\xac"), Value::String("\xf0\x90\x8d\x88"));
}

TEST(ValueTest, EdgeValuesRoundTripAndOrder) {
  std::vector<Value> vs = EdgeValues();
  std::vector<std::string> keys;
  for (const Value& v : vs) {
    EXPECT_EQ(RoundTripProblem(v), "");
    keys.push_back(Ordered(v));
  }
  for (size_t i = 0; i < vs.size(); ++i) {
    for (size_t j = 0; j < vs.size(); ++j) {
      ASSERT_EQ(ByteOrder(keys[i], keys[j]), Value::Compare(vs[i], vs[j]))
          << vs[i].ToString() << " vs " << vs[j].ToString();
      ASSERT_EQ(Value::Compare(vs[i], vs[j]), -Value::Compare(vs[j], vs[i]));
    }
  }
}

// ---------------------------------------------------------------------------
// Decimal

Decimal ParseOk(std::string_view text) {
  Result<Decimal> r = Decimal::Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : Decimal{};
}

void ExpectDecimal(Decimal d, int64_t units, int scale) {
  EXPECT_EQ(d.units, units) << d.ToString();
  EXPECT_EQ(d.scale, scale) << d.ToString();
}

TEST(DecimalTest, Parse) {
  ExpectDecimal(ParseOk("12"), 12, 0);
  ExpectDecimal(ParseOk("-0.50"), -50, 2);
  ExpectDecimal(ParseOk("+3."), 3, 0);
  ExpectDecimal(ParseOk(".5"), 5, 1);
  ExpectDecimal(ParseOk("-.5"), -5, 1);
  ExpectDecimal(ParseOk("0"), 0, 0);
  ExpectDecimal(ParseOk("-0"), 0, 0);
  ExpectDecimal(ParseOk("007.10"), 710, 2);
  ExpectDecimal(ParseOk("9223372036854775807"), kI64Max, 0);
  ExpectDecimal(ParseOk("-9223372036854775808"), kI64Min, 0);
  ExpectDecimal(ParseOk("-9.223372036854775808"), kI64Min, 18);
  ExpectDecimal(ParseOk("0.000000000000000001"), 1, 18);
}

TEST(DecimalTest, ParseRejects) {
  for (std::string_view bad :
       {"", "1.2.3", "abc", "-", "+", ".", "-.", "+-1", "1e5", " 1", "1 ", "1,5", "0x10", "1-",
        "0.1234567890123456789",  // 19 fraction digits
        "9223372036854775808", "-9223372036854775809", "99999999999999999999999999999"}) {
    Result<Decimal> r = Decimal::Parse(bad);
    EXPECT_FALSE(r.ok()) << "\"" << bad << "\" parsed as " << (r.ok() ? r->ToString() : "");
    if (!r.ok()) {
      EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
      EXPECT_FALSE(r.status().message().empty());
    }
  }
}

TEST(DecimalTest, ToString) {
  EXPECT_EQ((Decimal{-50, 2}).ToString(), "-0.50");
  EXPECT_EQ((Decimal{5, 0}).ToString(), "5");
  EXPECT_EQ((Decimal{0, 0}).ToString(), "0");
  EXPECT_EQ((Decimal{0, 3}).ToString(), "0.000");
  EXPECT_EQ((Decimal{-5, 3}).ToString(), "-0.005");
  EXPECT_EQ((Decimal{123, 1}).ToString(), "12.3");
  EXPECT_EQ((Decimal{1, 18}).ToString(), "0.000000000000000001");
  EXPECT_EQ((Decimal{kI64Min, 18}).ToString(), "-9.223372036854775808");
  EXPECT_EQ((Decimal{kI64Min, 0}).ToString(), "-9223372036854775808");
  EXPECT_EQ((Decimal{kI64Max, 5}).ToString(), "92233720368547.75807");
}

TEST(DecimalTest, PointOnePlusPointTwoIsPointThree) {
  Result<Decimal> sum = Decimal::Add(ParseOk("0.1"), ParseOk("0.2"));
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  ExpectDecimal(*sum, 3, 1);
  EXPECT_EQ(sum->ToString(), "0.3");
  EXPECT_EQ(Decimal::Compare(*sum, ParseOk("0.3")), 0);
  EXPECT_EQ(Ordered(Value::Dec(*sum)), Ordered(Value::Dec(ParseOk("0.300"))));
}

TEST(DecimalTest, EqualAcrossScales) {
  Value a = Dec(15, 1), b = Dec(150, 2);
  EXPECT_EQ(Value::Compare(a, b), 0);
  EXPECT_EQ(a, b);
  EXPECT_EQ(Ordered(a), Ordered(b));
  EXPECT_EQ(Decimal::Compare(Decimal{1, 0}, Decimal{1000000000000000000, 18}), 0);
  // The stored form keeps the scale the value was written with.
  Value back;
  ASSERT_TRUE(DecodeStoredValue(Stored(b), &back).ok());
  ExpectDecimal(back.as_decimal(), 150, 2);
  // The ordered form cannot: it gives the smallest exact scale.
  std::string key = Ordered(b);
  std::string_view in(key);
  ASSERT_TRUE(DecodeOrderedValue(&in, &back).ok());
  ExpectDecimal(back.as_decimal(), 15, 1);
  key = Ordered(Dec(0, 7));
  in = key;
  ASSERT_TRUE(DecodeOrderedValue(&in, &back).ok());
  ExpectDecimal(back.as_decimal(), 0, 0);
  key = Ordered(Dec(1200, 0));
  in = key;
  ASSERT_TRUE(DecodeOrderedValue(&in, &back).ok());
  ExpectDecimal(back.as_decimal(), 1200, 0);
}

TEST(DecimalTest, Compare) {
  EXPECT_LT(Decimal::Compare(ParseOk("-1.5"), ParseOk("-1.49")), 0);
  EXPECT_GT(Decimal::Compare(ParseOk("0.001"), ParseOk("-1000")), 0);
  EXPECT_LT(Decimal::Compare(Decimal{kI64Min, 0}, Decimal{kI64Min, 18}), 0);
  EXPECT_GT(Decimal::Compare(Decimal{kI64Max, 0}, Decimal{kI64Max, 18}), 0);
  EXPECT_EQ(Decimal::Compare(Decimal{0, 0}, Decimal{0, 18}), 0);
}

TEST(DecimalTest, Rescale) {
  Result<Decimal> r = Decimal{15, 1}.Rescale(3);
  ASSERT_TRUE(r.ok());
  ExpectDecimal(*r, 1500, 3);
  r = Decimal{1500, 3}.Rescale(1);
  ASSERT_TRUE(r.ok());
  ExpectDecimal(*r, 15, 1);
  r = Decimal{1500, 3}.Rescale(0);
  EXPECT_TRUE(r.status().IsInvalidArgument());  // 1.5 has a fraction digit
  r = Decimal{155, 2}.Rescale(1);
  EXPECT_TRUE(r.status().IsInvalidArgument());
  r = Decimal{kI64Max, 0}.Rescale(1);
  EXPECT_TRUE(r.status().IsInvalidArgument());
  r = Decimal{1, 0}.Rescale(18);
  ASSERT_TRUE(r.ok());
  ExpectDecimal(*r, 1000000000000000000, 18);
  r = Decimal{10, 0}.Rescale(18);
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_TRUE((Decimal{1, 0}).Rescale(19).status().IsInvalidArgument());
  EXPECT_TRUE((Decimal{1, 0}).Rescale(-1).status().IsInvalidArgument());
}

TEST(DecimalTest, Precision) {
  EXPECT_EQ((Decimal{12345, 2}).Precision(), 5);
  EXPECT_EQ((Decimal{5, 2}).Precision(), 2);
  EXPECT_EQ((Decimal{0, 0}).Precision(), 1);
  EXPECT_EQ((Decimal{-1000, 0}).Precision(), 4);
  EXPECT_EQ((Decimal{kI64Min, 0}).Precision(), 19);
}

TEST(DecimalTest, Arithmetic) {
  auto ok = [](Result<Decimal> r) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Decimal{};
  };
  ExpectDecimal(ok(Decimal::Add(Decimal{1, 0}, Decimal{25, 2})), 125, 2);
  ExpectDecimal(ok(Decimal::Sub(Decimal{1, 0}, Decimal{25, 2})), 75, 2);
  ExpectDecimal(ok(Decimal::Sub(ParseOk("0.3"), ParseOk("0.1"))), 2, 1);
  ExpectDecimal(ok(Decimal::Mul(ParseOk("1.5"), ParseOk("2.25"))), 3375, 3);
  ExpectDecimal(ok(Decimal::Mul(ParseOk("-2"), ParseOk("0.5"))), -10, 1);
  // Scale 10 + 10 > 18: trailing zeros absorb the excess...
  ExpectDecimal(ok(Decimal::Mul(Decimal{100, 10}, Decimal{1, 10})), 1, 18);
  // ...and without them the product cannot be represented.
  EXPECT_TRUE(Decimal::Mul(Decimal{1, 10}, Decimal{1, 10}).status().IsInvalidArgument());
  // Large intermediates are fine when the result fits.
  ExpectDecimal(ok(Decimal::Add(Decimal{kI64Max, 0}, Decimal{-kI64Max, 0})), 0, 0);
  ExpectDecimal(ok(Decimal::Sub(Decimal{kI64Min, 0}, Decimal{kI64Min, 0})), 0, 0);
}

TEST(DecimalTest, OverflowIsAnError) {
  std::vector<Result<Decimal>> results;
  results.push_back(Decimal::Add(Decimal{kI64Max, 0}, Decimal{1, 0}));
  results.push_back(Decimal::Add(Decimal{kI64Min, 2}, Decimal{-1, 2}));
  results.push_back(Decimal::Sub(Decimal{kI64Min, 0}, Decimal{1, 0}));
  results.push_back(Decimal::Sub(Decimal{0, 0}, Decimal{kI64Min, 0}));
  results.push_back(Decimal::Add(Decimal{kI64Max / 10 + 1, 0}, Decimal{0, 1}));  // rescale
  results.push_back(Decimal::Mul(Decimal{kI64Max, 0}, Decimal{2, 0}));
  results.push_back(Decimal::Mul(Decimal{kI64Min, 0}, Decimal{-1, 0}));
  results.push_back(Decimal::Mul(Decimal{4294967296, 0}, Decimal{4294967296, 0}));
  for (const auto& r : results) {
    EXPECT_FALSE(r.ok()) << r->ToString();
    if (!r.ok()) {
      EXPECT_TRUE(r.status().IsInvalidArgument());
      EXPECT_NE(r.status().message().find("overflow"), std::string::npos) << r.status().ToString();
    }
  }
}

// ---------------------------------------------------------------------------
// UTF-8

TEST(Utf8Test, AcceptsWellFormed) {
  using namespace std::string_literals;
  for (std::string s :
       {""s, "a"s, "\0"s, "\x7f"s, "\xc2\x80"s, "\xc3\xa9"s, "\xdf\xbf"s, "\xe0\xa0\x80"s,
        "\xe2\x82\xac"s, "\xed\x9f\xbf"s, "\xee\x80\x80"s, "\xef\xbf\xbf"s, "\xf0\x90\x80\x80"s,
        "\xf0\x90\x8d\x88"s, "\xf4\x8f\xbf\xbf"s, "a\xc3\xa9\xe2\x82\xac\xf0\x90\x8d\x88z"s}) {
    EXPECT_TRUE(IsValidUtf8(s)) << Value::Bytes(s).ToString();
  }
}

TEST(Utf8Test, RejectsMalformed) {
  for (std::string_view s : {
           "\x80",
           "\xbf",
           "a\x80z",  // lone continuation
           "\xc0\x80",
           "\xc1\xbf",  // overlong 2-byte
           "\xe0\x80\x80",
           "\xe0\x9f\xbf",  // overlong 3-byte
           "\xf0\x80\x80\x80",
           "\xf0\x8f\xbf\xbf",  // overlong 4-byte
           "\xed\xa0\x80",
           "\xed\xbf\xbf",  // surrogates D800, DFFF
           "\xf4\x90\x80\x80",
           "\xf5\x80\x80\x80",  // above U+10FFFF
           "\xf8\x88\x80\x80\x80",
           "\xfe",
           "\xff",  // never valid
           "\xc3",
           "\xe2\x82",
           "\xf0\x90\x8d",  // truncated
           "\xc3\x28",
           "\xe2\x28\xac",
           "\xf0\x90\x28\x88",  // bad continuation
       }) {
    EXPECT_FALSE(IsValidUtf8(s)) << Value::Bytes(std::string(s)).ToString();
    // Neither decoder lets such a string in.
    Value v;
    std::string stored = "\x05" + std::string(s);
    Status st = DecodeStoredValue(stored, &v);
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
    std::string ordered = Ordered(Value::Bytes(std::string(s)));
    ordered[0] = static_cast<char>(ValueType::kString);
    std::string_view in(ordered);
    st = DecodeOrderedValue(&in, &v);
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  }
}

// ---------------------------------------------------------------------------
// Decoding malformed input

void ExpectStoredCorrupt(const std::string& input, std::string_view what) {
  Value v = Value::Int(7);
  Status st = DecodeStoredValue(input, &v);
  EXPECT_TRUE(st.IsCorruption()) << Value::Bytes(input).ToString() << ": " << st.ToString();
  EXPECT_NE(st.message().find(what), std::string::npos) << st.ToString();
}

void ExpectOrderedCorrupt(const std::string& input, std::string_view what) {
  Value v;
  std::string_view in(input);
  Status st = DecodeOrderedValue(&in, &v);
  EXPECT_TRUE(st.IsCorruption()) << Value::Bytes(input).ToString() << ": " << st.ToString();
  EXPECT_NE(st.message().find(what), std::string::npos) << st.ToString();
  EXPECT_EQ(in.size(), input.size()) << "input consumed on error";
}

TEST(CodecTest, StoredRejectsMalformed) {
  using namespace std::string_literals;
  ExpectStoredCorrupt(""s, "empty");
  ExpectStoredCorrupt("\x09"s, "unknown type tag 9");
  ExpectStoredCorrupt("\xff"s, "unknown type tag 255");
  ExpectStoredCorrupt("\x00\x00"s, "trailing");
  ExpectStoredCorrupt("\x01"s, "truncated");
  ExpectStoredCorrupt("\x01\x02"s, "neither 0 nor 1");
  ExpectStoredCorrupt("\x01\x01\x00"s, "trailing");
  ExpectStoredCorrupt("\x02"s, "varint");
  ExpectStoredCorrupt("\x02\x80"s, "varint");
  ExpectStoredCorrupt("\x02\x80\x00"s, "varint");  // overlong form of 0
  ExpectStoredCorrupt("\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"s, "varint");  // > 64 bits
  ExpectStoredCorrupt("\x02\x02\x00"s, "trailing");
  ExpectStoredCorrupt("\x07\x80\x80"s, "varint");
  ExpectStoredCorrupt("\x08\x01\x01"s, "trailing");
  ExpectStoredCorrupt("\x03\x00\x00\x00\x00\x00\x00\x00"s, "truncated");
  ExpectStoredCorrupt("\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"s, "trailing");
  ExpectStoredCorrupt("\x04"s, "truncated");
  ExpectStoredCorrupt("\x04\x13\x02"s, "scale 19");
  ExpectStoredCorrupt("\x04\x02"s, "varint");
  ExpectStoredCorrupt("\x04\x02\x02\x02"s, "trailing");
  ExpectStoredCorrupt("\x05\xc0\x80"s, "UTF-8");
  // Every message names the type.
  ExpectStoredCorrupt("\x04\x13\x02"s, "decimal");
}

TEST(CodecTest, OrderedRejectsMalformed) {
  using namespace std::string_literals;
  ExpectOrderedCorrupt(""s, "empty");
  ExpectOrderedCorrupt("\x09"s, "unknown type tag 9");
  ExpectOrderedCorrupt("\x01"s, "truncated");
  ExpectOrderedCorrupt("\x01\x02"s, "neither 0 nor 1");
  ExpectOrderedCorrupt("\x02\x80\x00\x00\x00\x00\x00\x00"s, "truncated");
  ExpectOrderedCorrupt("\x07"s, "truncated");
  ExpectOrderedCorrupt("\x03\x80"s, "truncated");
  ExpectOrderedCorrupt("\x04"s + std::string(15, '\x80'), "truncated");
  ExpectOrderedCorrupt("\x05"s, "terminator");
  ExpectOrderedCorrupt(
      "\x05"
      "ab"s,
      "terminator");
  ExpectOrderedCorrupt(
      "\x05"
      "a\0"s,
      "terminator");
  ExpectOrderedCorrupt(
      "\x06"
      "a\0\x02"s,
      "bad escape");
  ExpectOrderedCorrupt(
      "\x06"
      "a\0\0\0\x01"s,
      "bad escape");
  ExpectOrderedCorrupt("\x05\xc0\x80\0\x01"s, "UTF-8");
  ExpectOrderedCorrupt("\x08"s, "varint");
  ExpectOrderedCorrupt("\x08\xf1"s, "varint");
  ExpectOrderedCorrupt("\x08\xfa\x00\x00\x01"s, "varint");  // 1 in 4 bytes: non-canonical
  ExpectOrderedCorrupt("\x08\xf1\x00"s, "varint");          // 240 in 2 bytes: non-canonical

  // Floats: only the canonical NaN and +0.0 exist in keys.
  auto float_key = [](uint64_t bits) {
    uint64_t u = (bits >> 63) ? ~bits : (bits ^ (uint64_t{1} << 63));
    std::string s = "\x03";
    for (int i = 7; i >= 0; --i)
      s.push_back(static_cast<char>(u >> (8 * i)));
    return s;
  };
  EXPECT_EQ(float_key(DoubleBits(1.5)), Ordered(Value::Float(1.5)));
  EXPECT_EQ(float_key(DoubleBits(-1.5)), Ordered(Value::Float(-1.5)));
  ExpectOrderedCorrupt(float_key(0x7ff0000000000001ull), "NaN");
  ExpectOrderedCorrupt(float_key(0xfff8000000000000ull), "NaN");
  ExpectOrderedCorrupt(float_key(0x8000000000000000ull), "-0.0");

  // Decimals: a 128-bit value no Decimal can represent.
  std::string big = "\x04"s + "\xff"s + std::string(15, '\xff');  // 2^127 - 1
  ExpectOrderedCorrupt(big, "64 bits");
  std::string low = "\x04"s + std::string(16, '\0');  // -2^127
  ExpectOrderedCorrupt(low, "64 bits");
}

TEST(CodecTest, OrderedDecodeConsumesOneValue) {
  std::vector<Value> vs = EdgeValues();
  std::string key;
  for (const Value& v : vs)
    EncodeOrderedValue(v, &key);
  std::string_view in(key);
  for (const Value& v : vs) {
    Value got;
    ASSERT_TRUE(DecodeOrderedValue(&in, &got).ok()) << v.ToString();
    EXPECT_EQ(Value::Compare(got, v), 0) << got.ToString() << " vs " << v.ToString();
  }
  EXPECT_TRUE(in.empty());
}

// ---------------------------------------------------------------------------
// Corruption fuzz: random bytes and damaged encodings must give OK or
// Corruption, never a crash or an out-of-bounds read (ASan/UBSan builds), and
// whatever decodes must re-encode to exactly the bytes it came from.

Value RandomValue(std::mt19937_64& rng, const std::vector<Value>& edges) {
  auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  if (pick(3) == 0)
    return edges[pick(edges.size())];
  auto random_string = [&](bool utf8) {
    std::string s;
    size_t n = pick(12);
    static constexpr const char* kPieces[] = {
        "a", "b", "", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x90\x8d\x88", "\xff", "\x01"};
    for (size_t i = 0; i < n; ++i) {
      if (utf8) {
        const char* p = kPieces[pick(6)];
        s.append(*p ? p : std::string(1, '\0'));
      } else {
        s.push_back(static_cast<char>(pick(4) == 0 ? 0 : rng()));
      }
    }
    return s;
  };
  switch (pick(9)) {
    case 0:
      return Value::Null();
    case 1:
      return Value::Bool(rng() & 1);
    case 2:
      return Value::Int(static_cast<int64_t>(rng() >> pick(64)));
    case 3:
      return Value::Float(BitsDouble(rng()));
    case 4:
      return Dec(static_cast<int64_t>(rng()) >> pick(64), static_cast<int>(pick(19)));
    case 5:
      return Value::String(random_string(true));
    case 6:
      return Value::Bytes(random_string(false));
    case 7:
      return Value::Time(static_cast<int64_t>(rng()));
    default:
      return Value::Ref(rng() >> pick(64));
  }
}

// Feeds `input` to both decoders; a fatal failure if either breaks its contract.
void CheckDecoders(const std::string& input) {
  Value v;
  Status st = DecodeStoredValue(input, &v);
  if (st.ok()) {
    ASSERT_EQ(Stored(v), input) << "stored input " << Value::Bytes(input).ToString()
                                << " decoded as " << v.ToString();
  } else {
    ASSERT_TRUE(st.IsCorruption()) << st.ToString();
    ASSERT_FALSE(st.message().empty());
  }
  std::string_view in(input);
  st = DecodeOrderedValue(&in, &v);
  if (st.ok()) {
    size_t used = input.size() - in.size();
    ASSERT_EQ(Ordered(v), input.substr(0, used))
        << "ordered input " << Value::Bytes(input).ToString() << " decoded as " << v.ToString();
  } else {
    ASSERT_TRUE(st.IsCorruption()) << st.ToString();
    ASSERT_FALSE(st.message().empty());
    ASSERT_EQ(in.size(), input.size());
  }
}

TEST(CodecTest, CorruptionFuzz) {
  std::mt19937_64 rng(test::TestSeed());
  const int iterations = static_cast<int>(test::EnvInt("TRINE_CODEC_FUZZ_ITERATIONS", 100000));
  const std::vector<Value> edges = EdgeValues();
  auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  for (int i = 0; i < iterations; ++i) {
    std::string input;
    if (i % 3 == 0) {
      // Random bytes, usually behind a valid tag so the payload parsers get exercised.
      size_t n = pick(24);
      for (size_t j = 0; j < n; ++j)
        input.push_back(static_cast<char>(rng()));
      if (!input.empty() && pick(8) != 0)
        input[0] = static_cast<char>(pick(9));
    } else {
      Value v = RandomValue(rng, edges);
      input = (rng() & 1) ? Stored(v) : Ordered(v);
      switch (pick(5)) {
        case 0:  // truncation
          input.resize(pick(input.size() + 1));
          break;
        case 1:  // bit flips
          for (size_t k = 0, n = 1 + pick(3); k < n && !input.empty(); ++k)
            input[pick(input.size())] ^= static_cast<char>(1u << pick(8));
          break;
        case 2:  // byte replaced with an interesting value
          if (!input.empty()) {
            static constexpr unsigned char kBytes[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
            input[pick(input.size())] = static_cast<char>(kBytes[pick(6)]);
          }
          break;
        case 3:  // byte inserted or removed
          if (!input.empty() && (rng() & 1))
            input.erase(pick(input.size()), 1);
          else
            input.insert(pick(input.size() + 1), 1, static_cast<char>(rng()));
          break;
        default:  // intact, possibly with a tail
          if (rng() & 1)
            input.push_back(static_cast<char>(rng()));
          break;
      }
    }
    CheckDecoders(input);
    if (::testing::Test::HasFatalFailure())
      return;
  }
}

// ---------------------------------------------------------------------------
// Properties

#if TRINE_HAVE_RAPIDCHECK

rc::Gen<int64_t> GenInt64() {
  return rc::gen::weightedOneOf<int64_t>({
      {1, rc::gen::elementOf(
              std::vector<int64_t>{kI64Min, kI64Min + 1, -1, 0, 1, kI64Max - 1, kI64Max})},
      {1, rc::gen::inRange<int64_t>(-3, 4)},
      {2, rc::gen::arbitrary<int64_t>()},
      {1, rc::gen::map(rc::gen::arbitrary<uint64_t>(),
                       [](uint64_t u) { return static_cast<int64_t>(u); })},
  });
}

rc::Gen<uint64_t> GenRefId() {
  return rc::gen::weightedOneOf<uint64_t>({
      {1, rc::gen::elementOf(std::vector<uint64_t>{0, 1, 240, 241, 2287, 2288, 67823, 67824,
                                                   0xffffff, 0x1000000, kU64Max - 1, kU64Max})},
      {1, rc::gen::inRange<uint64_t>(0, 4)},
      {2, rc::gen::arbitrary<uint64_t>()},
  });
}

rc::Gen<double> GenDouble() {
  return rc::gen::weightedOneOf<double>({
      {2, rc::gen::elementOf(std::vector<double>{
              0.0, -0.0, kInf, -kInf, std::numeric_limits<double>::quiet_NaN(),
              -std::numeric_limits<double>::quiet_NaN(), BitsDouble(0x7ff0000000000001ull),
              BitsDouble(0xfff0000000000001ull), std::numeric_limits<double>::denorm_min(),
              -std::numeric_limits<double>::denorm_min(), BitsDouble(0x000fffffffffffffull),
              std::numeric_limits<double>::min(), std::numeric_limits<double>::max(),
              std::numeric_limits<double>::lowest(), 1.0, -1.0, 0.1})},
      {2, rc::gen::arbitrary<double>()},
      {1, rc::gen::map(rc::gen::inRange(-3, 4), [](int i) { return static_cast<double>(i); })},
      {2, rc::gen::map(rc::gen::arbitrary<uint64_t>(), BitsDouble)},
  });
}

rc::Gen<Decimal> GenDecimal() {
  return rc::gen::apply(
      [](int64_t units, int scale) {
        return Decimal{units, scale};
      },
      GenInt64(), rc::gen::inRange(0, Decimal::kMaxScale + 1));
}

void AppendUtf8(std::string* s, uint32_t cp) {
  if (cp < 0x80) {
    s->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    s->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    s->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    s->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    s->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    s->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

rc::Gen<std::string> GenUtf8() {
  // A tiny alphabet most of the time, so that random pairs share prefixes.
  rc::Gen<uint32_t> cp = rc::gen::weightedOneOf<uint32_t>({
      {4, rc::gen::elementOf(std::vector<uint32_t>{0, 'a', 'b', 0xe9})},
      {1, rc::gen::elementOf(std::vector<uint32_t>{0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xffff,
                                                   0x10000, 0x10ffff})},
      {1, rc::gen::inRange<uint32_t>(0, 0x80)},
      {1, rc::gen::inRange<uint32_t>(0x80, 0x800)},
      {1, rc::gen::inRange<uint32_t>(0x800, 0xd800)},
      {1, rc::gen::inRange<uint32_t>(0xe000, 0x10000)},
      {1, rc::gen::inRange<uint32_t>(0x10000, 0x110000)},
  });
  return rc::gen::map(rc::gen::container<std::vector<uint32_t>>(cp),
                      [](const std::vector<uint32_t>& cps) {
                        std::string s;
                        for (uint32_t c : cps)
                          AppendUtf8(&s, c);
                        return s;
                      });
}

rc::Gen<std::string> GenBytes() {
  return rc::gen::container<std::string>(rc::gen::weightedOneOf<char>({
      {3, rc::gen::elementOf(std::vector<char>{'\0', '\x01', 'a', '\xfe', '\xff'})},
      {1, rc::gen::arbitrary<char>()},
  }));
}

rc::Gen<Value> GenValueOfType(int type) {
  switch (static_cast<ValueType>(type)) {
    case ValueType::kNull:
      return rc::gen::just(Value::Null());
    case ValueType::kBool:
      return rc::gen::map(rc::gen::arbitrary<bool>(), Value::Bool);
    case ValueType::kInt:
      return rc::gen::map(GenInt64(), Value::Int);
    case ValueType::kFloat:
      return rc::gen::map(GenDouble(), Value::Float);
    case ValueType::kDecimal:
      return rc::gen::map(GenDecimal(), Value::Dec);
    case ValueType::kString:
      return rc::gen::map(GenUtf8(), [](std::string s) { return Value::String(std::move(s)); });
    case ValueType::kBytes:
      return rc::gen::map(GenBytes(), [](std::string s) { return Value::Bytes(std::move(s)); });
    case ValueType::kTimestamp:
      return rc::gen::map(GenInt64(), Value::Time);
    case ValueType::kRef:
      return rc::gen::map(GenRefId(), Value::Ref);
  }
  return rc::gen::just(Value::Null());
}

rc::Gen<Value> GenValue() {
  return rc::gen::mapcat(rc::gen::inRange(0, 9), GenValueOfType);
}

// A value of a's type close to it: equal, equal in another representation
// (-0.0, another NaN, another decimal scale), or a neighbour. Ordering bugs
// live at these boundaries, which independent random pairs rarely hit.
Value Near(const Value& a) {
  int how = *rc::gen::inRange(0, 3);
  switch (a.type()) {
    case ValueType::kNull:
      return a;
    case ValueType::kBool:
      return how == 0 ? a : Value::Bool(!a.as_bool());
    case ValueType::kInt:
    case ValueType::kTimestamp: {
      int64_t i = a.type() == ValueType::kInt ? a.as_int() : a.as_time();
      if (how == 1 && i < kI64Max)
        ++i;
      if (how == 2 && i > kI64Min)
        --i;
      return a.type() == ValueType::kInt ? Value::Int(i) : Value::Time(i);
    }
    case ValueType::kRef: {
      uint64_t r = a.as_ref();
      if (how == 1 && r < kU64Max)
        ++r;
      if (how == 2 && r > 0)
        --r;
      return Value::Ref(r);
    }
    case ValueType::kFloat: {
      double d = a.as_float();
      if (how == 0) {
        if (d == 0)
          return Value::Float(-d);
        if (std::isnan(d))
          return Value::Float(BitsDouble(DoubleBits(d) ^ 0x8000000000000001ull));
        return a;
      }
      return Value::Float(std::nextafter(d, how == 1 ? kInf : -kInf));
    }
    case ValueType::kDecimal: {
      Decimal d = a.as_decimal();
      if (how == 0) {
        Result<Decimal> r = d.Rescale(*rc::gen::inRange(0, Decimal::kMaxScale + 1));
        return r.ok() ? Value::Dec(*r) : a;
      }
      if (how == 1 && d.units < kI64Max)
        ++d.units;
      if (how == 2 && d.units > kI64Min)
        --d.units;
      return Value::Dec(d);
    }
    case ValueType::kString:
    case ValueType::kBytes: {
      bool is_string = a.type() == ValueType::kString;
      std::string s = is_string ? a.as_string() : a.as_bytes();
      if (how == 1) {
        s += *rc::gen::elementOf(std::vector<std::string>{std::string(1, '\0'), "a", "\xc3\xa9"});
      } else if (how == 2 && !s.empty()) {
        // A proper prefix; strings are cut at a code-point boundary.
        size_t n = *rc::gen::inRange<size_t>(0, s.size());
        while (is_string && n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80)
          --n;
        s.resize(n);
      }
      return is_string ? Value::String(std::move(s)) : Value::Bytes(std::move(s));
    }
  }
  return a;
}

Value GenPartner(const Value& a, bool same_type) {
  if (*rc::gen::inRange(0, 2) == 0)
    return Near(a);
  if (same_type)
    return *GenValueOfType(static_cast<int>(a.type()));
  return *GenValue();
}

RC_GTEST_PROP(ValueCodecProp, RoundTrip, ()) {
  Value v = *GenValue();
  RC_LOG() << v.ToString() << "\n";
  std::string problem = RoundTripProblem(v);
  RC_ASSERT(problem == "");
}

RC_GTEST_PROP(ValueCodecProp, OrderPreservedSameType, ()) {
  Value a = *GenValue();
  Value b = GenPartner(a, /*same_type=*/true);
  RC_LOG() << a.ToString() << " vs " << b.ToString() << "\n";
  int c = Value::Compare(a, b);
  RC_ASSERT(c == -Value::Compare(b, a));
  RC_ASSERT(ByteOrder(Ordered(a), Ordered(b)) == c);
}

RC_GTEST_PROP(ValueCodecProp, OrderPreservedMixedTypes, ()) {
  Value a = *GenValue();
  Value b = GenPartner(a, /*same_type=*/false);
  RC_LOG() << a.ToString() << " vs " << b.ToString() << "\n";
  int c = Value::Compare(a, b);
  RC_ASSERT(c == -Value::Compare(b, a));
  RC_ASSERT(ByteOrder(Ordered(a), Ordered(b)) == c);
}

// Sorting many values by their keys gives Compare's order; all pairs of a
// list also exercise transitivity.
RC_GTEST_PROP(ValueCodecProp, AllPairsInAListAgree, ()) {
  int type = *rc::gen::inRange(-1, 9);  // -1: mixed types
  auto gen = type < 0 ? GenValue() : GenValueOfType(type);
  std::vector<Value> vs = *rc::gen::resize(100, rc::gen::container<std::vector<Value>>(gen));
  std::vector<std::string> keys;
  for (const Value& v : vs)
    keys.push_back(Ordered(v));
  for (size_t i = 0; i < vs.size(); ++i) {
    for (size_t j = 0; j < vs.size(); ++j) {
      if (ByteOrder(keys[i], keys[j]) != Value::Compare(vs[i], vs[j])) {
        RC_FAIL(vs[i].ToString() + " vs " + vs[j].ToString());
      }
    }
  }
}

RC_GTEST_PROP(ValueCodecProp, ValueSubjectTupleOrder, ()) {
  Value a = *GenValue();
  Value b = GenPartner(a, *rc::gen::arbitrary<bool>());
  uint64_t sa = *GenRefId();
  uint64_t sb = *rc::gen::oneOf(rc::gen::just(sa), GenRefId());
  RC_LOG() << "(" << a.ToString() << ", " << sa << ") vs (" << b.ToString() << ", " << sb << ")\n";
  std::string ka = Ordered(a), kb = Ordered(b);
  PutOrderedVarint(&ka, sa);
  PutOrderedVarint(&kb, sb);
  int expect = Value::Compare(a, b);
  if (expect == 0)
    expect = ThreeWay(sa, sb);
  RC_ASSERT(ByteOrder(ka, kb) == expect);

  // And the key splits back into its parts.
  std::string_view in(ka);
  Value got;
  uint64_t subject;
  RC_ASSERT(DecodeOrderedValue(&in, &got).ok());
  RC_ASSERT(GetOrderedVarint(&in, &subject));
  RC_ASSERT(in.empty());
  RC_ASSERT(Value::Compare(got, a) == 0);
  RC_ASSERT(subject == sa);
}

RC_GTEST_PROP(ValueCodecProp, TwoValueTupleOrder, ()) {
  Value a1 = *GenValue();
  Value a2 = *GenValue();
  Value b1 = GenPartner(a1, *rc::gen::arbitrary<bool>());
  Value b2 = GenPartner(a2, *rc::gen::arbitrary<bool>());
  RC_LOG() << "(" << a1.ToString() << ", " << a2.ToString() << ") vs (" << b1.ToString() << ", "
           << b2.ToString() << ")\n";
  std::string ka = Ordered(a1) + Ordered(a2);
  std::string kb = Ordered(b1) + Ordered(b2);
  int expect = Value::Compare(a1, b1);
  if (expect == 0)
    expect = Value::Compare(a2, b2);
  RC_ASSERT(ByteOrder(ka, kb) == expect);
}

RC_GTEST_PROP(DecimalProp, ParseToStringRoundTrip, ()) {
  Decimal d = *GenDecimal();
  std::string text = d.ToString();
  RC_LOG() << text << "\n";
  Result<Decimal> back = Decimal::Parse(text);
  RC_ASSERT(back.ok());
  RC_ASSERT(back->units == d.units);
  RC_ASSERT(back->scale == d.scale);
}

RC_GTEST_PROP(DecimalProp, ArithmeticMatchesWideIntegers, ()) {
  Decimal a = *GenDecimal();
  Decimal b = *rc::gen::oneOf(GenDecimal(), rc::gen::map(rc::gen::inRange(-1000, 1000), [](int u) {
                                return Decimal{u, 2};
                              }));
  RC_LOG() << a.ToString() << " " << b.ToString() << "\n";
  // Reference arithmetic at the common scale in 128 bits.
  int s = std::max(a.scale, b.scale);
  auto pow10 = [](int n) {
    int128 r = 1;
    while (n-- > 0)
      r *= 10;
    return r;
  };
  int128 wa = static_cast<int128>(a.units) * pow10(s - a.scale);
  int128 wb = static_cast<int128>(b.units) * pow10(s - b.scale);
  auto fits = [](int128 v) { return v >= kI64Min && v <= kI64Max; };
  auto check = [&](Result<Decimal> r, int128 want) {
    if (fits(want)) {
      RC_ASSERT(r.ok());
      RC_ASSERT(r->scale == s);
      RC_ASSERT(static_cast<int128>(r->units) == want);
    } else {
      RC_ASSERT(r.status().IsInvalidArgument());
    }
  };
  check(Decimal::Add(a, b), wa + wb);
  check(Decimal::Sub(a, b), wa - wb);
  RC_ASSERT(Decimal::Compare(a, b) == (wa < wb ? -1 : (wa > wb ? 1 : 0)));

  Result<Decimal> m = Decimal::Mul(a, b);
  int128 p = static_cast<int128>(a.units) * b.units;
  int ps = a.scale + b.scale;
  while (ps > Decimal::kMaxScale && p % 10 == 0) {
    p /= 10;
    --ps;
  }
  if (ps <= Decimal::kMaxScale && fits(p)) {
    RC_ASSERT(m.ok());
    RC_ASSERT(m->scale == ps);
    RC_ASSERT(static_cast<int128>(m->units) == p);
  } else {
    RC_ASSERT(m.status().IsInvalidArgument());
  }
}

RC_GTEST_PROP(ValueProp, FloatToStringRoundTrips, ()) {
  double d = *GenDouble();
  RC_PRE(std::isfinite(d));
  std::string s = Value::Float(d).ToString();
  RC_LOG() << s << "\n";
  RC_ASSERT(DoubleBits(std::strtod(s.c_str(), nullptr)) == DoubleBits(d));
}

RC_GTEST_PROP(ValueProp, Utf8GeneratorAgreesWithValidator, ()) {
  RC_ASSERT(IsValidUtf8(*GenUtf8()));
}

#endif  // TRINE_HAVE_RAPIDCHECK

}  // namespace
}  // namespace trine::triples
