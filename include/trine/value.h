// Typed values: what a triple [type, attr, subject] holds.
//
// A Value is one of null, bool, int (int64), float (float64), decimal (an
// exact scaled int64), string (valid UTF-8), bytes, timestamp (microseconds
// since the Unix epoch, UTC) or ref (the id of another subject).
//
// Values have one total order, used by value indexes and ORDER BY:
//   - first by type, in the order of ValueType below (null < bool < int <
//     float < decimal < string < bytes < timestamp < ref): values of
//     different types never compare equal, even 1 and 1.0;
//   - then by value: false < true; ints, timestamps and refs numerically;
//     decimals numerically whatever their scale (1.5 = 1.50); strings and
//     bytes bytewise (UTF-8 bytewise order is code-point order);
//   - floats numerically, with -0.0 equal to +0.0 and every NaN equal to
//     every other NaN and greater than +infinity.
// operator== is "Compare == 0".
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "trine/status.h"

namespace trine {

enum class ValueType : unsigned char {
  kNull = 0,
  kBool = 1,
  kInt = 2,
  kFloat = 3,
  kDecimal = 4,
  kString = 5,
  kBytes = 6,
  kTimestamp = 7,
  kRef = 8,
};
std::string_view ValueTypeName(ValueType type);  // "null", "bool", "int", ...

// An exact decimal: units / 10^scale, scale in [0, 18]. Arithmetic is exact or
// fails with InvalidArgument on overflow; nothing goes through binary floating
// point, so 0.1 + 0.2 == 0.3.
struct Decimal {
  static constexpr int kMaxScale = 18;
  static constexpr int kMaxPrecision = 18;

  int64_t units = 0;
  int scale = 0;

  // "12", "-0.50", "+3.", ".5" (no exponent). The scale is the number of
  // digits after the point; too many digits is an error.
  static Result<Decimal> Parse(std::string_view text);
  // Plain notation with exactly `scale` fraction digits: "-0.50".
  std::string ToString() const;

  // Same value at another scale; an error if it would lose digits or overflow.
  Result<Decimal> Rescale(int new_scale) const;
  // Digits needed for the integer and fraction parts together.
  int Precision() const;

  // Results take the larger scale (Mul: the sum of scales, reduced when exact
  // digits allow and the sum exceeds kMaxScale).
  static Result<Decimal> Add(Decimal a, Decimal b);
  static Result<Decimal> Sub(Decimal a, Decimal b);
  static Result<Decimal> Mul(Decimal a, Decimal b);

  // Numeric comparison across scales: -1, 0 or 1.
  static int Compare(Decimal a, Decimal b);
};

struct Timestamp {
  int64_t micros = 0;  // since 1970-01-01T00:00:00Z
};

class Value {
 public:
  Value() = default;  // null

  static Value Null() { return Value(); }
  static Value Bool(bool b) { return Value(Rep(std::in_place_index<1>, b)); }
  static Value Int(int64_t i) { return Value(Rep(std::in_place_index<2>, i)); }
  static Value Float(double d) { return Value(Rep(std::in_place_index<3>, d)); }
  static Value Dec(Decimal d) { return Value(Rep(std::in_place_index<4>, d)); }
  static Value String(std::string s) { return Value(Rep(std::in_place_index<5>, std::move(s))); }
  static Value Bytes(std::string s) { return Value(Rep(std::in_place_index<6>, std::move(s))); }
  static Value Time(int64_t micros) {
    return Value(Rep(std::in_place_index<7>, Timestamp{micros}));
  }
  static Value Ref(uint64_t id) { return Value(Rep(std::in_place_index<8>, id)); }

  ValueType type() const { return static_cast<ValueType>(rep_.index()); }
  bool is_null() const { return rep_.index() == 0; }

  // Accessors; calling the wrong one is a programming error (asserts).
  bool as_bool() const { return std::get<1>(rep_); }
  int64_t as_int() const { return std::get<2>(rep_); }
  double as_float() const { return std::get<3>(rep_); }
  Decimal as_decimal() const { return std::get<4>(rep_); }
  const std::string& as_string() const { return std::get<5>(rep_); }
  const std::string& as_bytes() const { return std::get<6>(rep_); }
  int64_t as_time() const { return std::get<7>(rep_).micros; }
  uint64_t as_ref() const { return std::get<8>(rep_); }

  // A readable form for messages and tests: null, true, 42, 1.5, 12.30,
  // "text" (escaped), x'00ff', time(1700000000000000), ref(17).
  std::string ToString() const;

  // The total order described at the top of this file: -1, 0 or 1.
  static int Compare(const Value& a, const Value& b);
  friend bool operator==(const Value& a, const Value& b) { return Compare(a, b) == 0; }
  // Same type and same content, a decimal's scale included: what == does
  // not tell apart (it calls 1 and 1.0 equal, and 1.5 and 1.50) but a
  // stored value or a running sum does.
  static bool Identical(const Value& a, const Value& b) {
    return a.type() == b.type() && a == b &&
           (a.type() != ValueType::kDecimal || a.as_decimal().scale == b.as_decimal().scale);
  }
  friend std::strong_ordering operator<=>(const Value& a, const Value& b) {
    return Compare(a, b) <=> 0;
  }

 private:
  using Rep = std::variant<std::monostate, bool, int64_t, double, Decimal, std::string, std::string,
                           Timestamp, uint64_t>;
  explicit Value(Rep rep) : rep_(std::move(rep)) {}
  Rep rep_;
};

// True if `s` is well-formed UTF-8 (no overlong forms, no surrogates, at most
// U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace trine
