#include "treeql/ops.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "trine/schema.h"
#include "triples/convert.h"

namespace trine::treeql {
namespace {

// Exact for every int64 and every double (x86-64 long double has a 64-bit
// mantissa); decimals are approximated only when compared with floats.
long double AsLongDouble(const Value& v) {
  switch (v.type()) {
    case ValueType::kInt:
      return static_cast<long double>(v.as_int());
    case ValueType::kFloat:
      return static_cast<long double>(v.as_float());
    case ValueType::kDecimal: {
      long double x = static_cast<long double>(v.as_decimal().units);
      for (int i = 0; i < v.as_decimal().scale; ++i)
        x /= 10;
      return x;
    }
    default:
      return 0;
  }
}

Decimal AsDecimal(const Value& v) {
  return v.type() == ValueType::kInt ? Decimal{v.as_int(), 0} : v.as_decimal();
}

int Sign(long double x, long double y) {
  return x < y ? -1 : (y < x ? 1 : 0);
}

int CompareNumbers(const Value& a, const Value& b) {
  ValueType ta = a.type(), tb = b.type();
  if (ta == ValueType::kInt && tb == ValueType::kInt)
    return a.as_int() < b.as_int() ? -1 : (b.as_int() < a.as_int() ? 1 : 0);
  if (ta != ValueType::kFloat && tb != ValueType::kFloat)
    return Decimal::Compare(AsDecimal(a), AsDecimal(b));
  // NaN sorts above every number, as in Value::Compare.
  bool an = ta == ValueType::kFloat && std::isnan(a.as_float());
  bool bn = tb == ValueType::kFloat && std::isnan(b.as_float());
  if (an || bn)
    return an && bn ? 0 : (an ? 1 : -1);
  return Sign(AsLongDouble(a), AsLongDouble(b));
}

Result<Value> DecimalArith(ast::Op op, Decimal a, Decimal b) {
  switch (op) {
    case ast::Op::kAdd: {
      TRINE_ASSIGN_OR_RETURN(Decimal d, Decimal::Add(a, b));
      return Value::Dec(d);
    }
    case ast::Op::kSub: {
      TRINE_ASSIGN_OR_RETURN(Decimal d, Decimal::Sub(a, b));
      return Value::Dec(d);
    }
    case ast::Op::kMul: {
      TRINE_ASSIGN_OR_RETURN(Decimal d, Decimal::Mul(a, b));
      return Value::Dec(d);
    }
    default:
      break;
  }
  return Status::InvalidArgument("unsupported decimal operation");
}

}  // namespace

const char* OpText(ast::Op op) {
  // In the order of ast::Op.
  static const char* const kText[] = {
      "OR", "AND", "NOT", "-", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "||"};
  return kText[static_cast<int>(op)];
}

bool IsNumeric(ValueType t) {
  return t == ValueType::kInt || t == ValueType::kFloat || t == ValueType::kDecimal;
}

bool Comparable(ValueType a, ValueType b) {
  if (a == ValueType::kNull || b == ValueType::kNull || a == b)
    return true;
  if (IsNumeric(a) && IsNumeric(b))
    return true;
  auto pair = [&](ValueType x, ValueType y) { return (a == x && b == y) || (a == y && b == x); };
  return pair(ValueType::kTimestamp, ValueType::kString) || pair(ValueType::kRef, ValueType::kInt);
}

std::optional<int> CompareValues(const Value& a, const Value& b) {
  ValueType ta = a.type(), tb = b.type();
  if (ta == ValueType::kNull || tb == ValueType::kNull)
    return std::nullopt;
  if (ta == tb)
    return Value::Compare(a, b);
  if (IsNumeric(ta) && IsNumeric(tb))
    return CompareNumbers(a, b);
  if (ta == ValueType::kTimestamp && tb == ValueType::kString) {
    Result<int64_t> t = ParseTimestamp(b.as_string());
    if (!t.ok())
      return std::nullopt;
    return Value::Compare(a, Value::Time(*t));
  }
  if (ta == ValueType::kString && tb == ValueType::kTimestamp) {
    std::optional<int> c = CompareValues(b, a);
    if (c)
      return -*c;
    return std::nullopt;
  }
  if (ta == ValueType::kRef && tb == ValueType::kInt)
    return b.as_int() < 0 ? 1 : Value::Compare(a, Value::Ref(static_cast<uint64_t>(b.as_int())));
  if (ta == ValueType::kInt && tb == ValueType::kRef)
    return a.as_int() < 0 ? -1 : Value::Compare(Value::Ref(static_cast<uint64_t>(a.as_int())), b);
  return std::nullopt;
}

int CompareByValue(const Value& a, const Value& b) {
  if (IsNumeric(a.type()) && IsNumeric(b.type()) && a.type() != b.type())
    return CompareNumbers(a, b);
  return Value::Compare(a, b);
}

Result<Value> Arith(ast::Op op, const Value& a, const Value& b) {
  if (op == ast::Op::kNeg) {
    switch (a.type()) {
      case ValueType::kNull:
        return Value();
      case ValueType::kInt:
        if (a.as_int() == std::numeric_limits<int64_t>::min())
          return Status::InvalidArgument("integer overflow");
        return Value::Int(-a.as_int());
      case ValueType::kFloat:
        return Value::Float(-a.as_float());
      case ValueType::kDecimal:
        return Value::Dec(Decimal{-a.as_decimal().units, a.as_decimal().scale});
      default:
        return Status::InvalidArgument("cannot negate " + std::string(ValueTypeName(a.type())));
    }
  }
  if (a.is_null() || b.is_null())
    return Value();
  if (op == ast::Op::kConcat)
    return Value::String(ConcatText(a) + ConcatText(b));
  ValueType ta = a.type(), tb = b.type();
  if (!IsNumeric(ta) || !IsNumeric(tb))
    return Status::InvalidArgument("cannot apply arithmetic to " + std::string(ValueTypeName(ta)) +
                                   " and " + std::string(ValueTypeName(tb)));
  bool zero = (tb == ValueType::kInt && b.as_int() == 0) ||
              (tb == ValueType::kFloat && b.as_float() == 0) ||
              (tb == ValueType::kDecimal && b.as_decimal().units == 0);
  if ((op == ast::Op::kDiv || op == ast::Op::kMod) && zero)
    return Status::InvalidArgument("division by zero");
  if (ta == ValueType::kInt && tb == ValueType::kInt) {
    int64_t x = a.as_int(), y = b.as_int(), r = 0;
    bool overflow = false;
    switch (op) {
      case ast::Op::kAdd:
        overflow = __builtin_add_overflow(x, y, &r);
        break;
      case ast::Op::kSub:
        overflow = __builtin_sub_overflow(x, y, &r);
        break;
      case ast::Op::kMul:
        overflow = __builtin_mul_overflow(x, y, &r);
        break;
      case ast::Op::kDiv:
        overflow = x == std::numeric_limits<int64_t>::min() && y == -1;
        r = overflow ? 0 : x / y;
        break;
      case ast::Op::kMod:
        r = (y == -1) ? 0 : x % y;
        break;
      default:
        return Status::InvalidArgument("bad arithmetic operator");
    }
    if (overflow)
      return Status::InvalidArgument("integer overflow");
    return Value::Int(r);
  }
  if (ta != ValueType::kFloat && tb != ValueType::kFloat && op != ast::Op::kDiv &&
      op != ast::Op::kMod)
    return DecimalArith(op, AsDecimal(a), AsDecimal(b));
  double x = static_cast<double>(AsLongDouble(a)), y = static_cast<double>(AsLongDouble(b));
  switch (op) {
    case ast::Op::kAdd:
      return Value::Float(x + y);
    case ast::Op::kSub:
      return Value::Float(x - y);
    case ast::Op::kMul:
      return Value::Float(x * y);
    case ast::Op::kDiv:
      return Value::Float(x / y);
    case ast::Op::kMod:
      return Value::Float(std::fmod(x, y));
    default:
      return Status::InvalidArgument("bad arithmetic operator");
  }
}

namespace {

// Length of the UTF-8 sequence starting with byte `c` (1 for stray bytes).
size_t CharLen(unsigned char c) {
  if (c < 0xC0)
    return 1;
  if (c < 0xE0)
    return 2;
  if (c < 0xF0)
    return 3;
  return 4;
}

}  // namespace

bool Like(std::string_view text, std::string_view pattern) {
  // Iterative matching with one backtrack point (the last `%`): linear in
  // practice, and never exponential.
  size_t t = 0, p = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      star_p = ++p;
      star_t = t;
    } else if (p < pattern.size() && pattern[p] == '_') {
      t += CharLen(static_cast<unsigned char>(text[t]));
      ++p;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++t;
      ++p;
    } else if (star_p != std::string_view::npos) {
      star_t += CharLen(static_cast<unsigned char>(text[star_t]));
      t = star_t;
      p = star_p;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%')
    ++p;
  return p == pattern.size();
}

std::string LikePrefix(std::string_view pattern) {
  size_t n = pattern.find_first_of("%_");
  return std::string(pattern.substr(0, n));
}

std::string ConcatText(const Value& v) {
  switch (v.type()) {
    case ValueType::kNull:
      return "";
    case ValueType::kBool:
      return v.as_bool() ? "true" : "false";
    case ValueType::kInt:
      return std::to_string(v.as_int());
    case ValueType::kFloat: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_float());
      return std::string(buf, r.ptr);
    }
    case ValueType::kDecimal:
      return v.as_decimal().ToString();
    case ValueType::kString:
      return v.as_string();
    case ValueType::kBytes:
      return v.as_bytes();
    case ValueType::kTimestamp:
      return FormatTimestamp(v.as_time());
    case ValueType::kRef:
      return std::to_string(v.as_ref());
  }
  return "";
}

void TightenBound(std::optional<IndexBound>* cur, const Value& v, bool inclusive, bool is_lower,
                  const FieldInfo& field, bool* empty) {
  bool exact = true;
  std::optional<Value> bv = IndexBoundValue(v, field, is_lower, &exact);
  if (!bv) {
    *empty = true;
    return;
  }
  if (!exact)
    inclusive = true;  // rounded inward: the rounded value itself may match
  if (!*cur) {
    *cur = IndexBound{*bv, inclusive};
    return;
  }
  int c = CompareByValue(*bv, (*cur)->value);
  if ((is_lower && c > 0) || (!is_lower && c < 0) || (c == 0 && !inclusive))
    *cur = IndexBound{*bv, inclusive};
}

void TightenByComparison(ast::Op op, const Value& v, const FieldInfo& field,
                         std::optional<IndexBound>* lower, std::optional<IndexBound>* upper,
                         bool* empty) {
  if (op == ast::Op::kEq || op == ast::Op::kGt || op == ast::Op::kGe)
    TightenBound(lower, v, op != ast::Op::kGt, true, field, empty);
  if (op == ast::Op::kEq || op == ast::Op::kLt || op == ast::Op::kLe)
    TightenBound(upper, v, op != ast::Op::kLt, false, field, empty);
}

bool WithinBounds(const Value& v, const std::optional<IndexBound>& lower,
                  const std::optional<IndexBound>& upper) {
  if (lower && CompareByValue(v, lower->value) < (lower->inclusive ? 0 : 1))
    return false;
  if (upper && CompareByValue(v, upper->value) > (upper->inclusive ? 0 : -1))
    return false;
  return true;
}

namespace {

// The first (or last) value of a numeric type in the index's order (NaN is
// above every float, as in CompareValues).
Value TypeEdge(ValueType t, bool last) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  switch (t) {
    case ValueType::kInt:
      return Value::Int(last ? kMax : kMin);
    case ValueType::kFloat:
      return Value::Float(last ? std::numeric_limits<double>::quiet_NaN()
                               : -std::numeric_limits<double>::infinity());
    default:
      return Value::Dec(Decimal{last ? kMax : kMin, 0});
  }
}

// A bound of type t at or outside the number x (below it for a lower
// bound); nullopt if no value of t lies on the inside.
std::optional<Value> OutwardBound(long double x, ValueType t, bool is_lower) {
  if (t == ValueType::kFloat) {
    double d = static_cast<double>(x);
    return Value::Float(std::nextafter(d, is_lower ? -std::numeric_limits<double>::infinity()
                                                   : std::numeric_limits<double>::infinity()));
  }
  // Ints and decimals of scale 0: whole numbers in int64's range.
  long double r = is_lower ? std::floor(x) : std::ceil(x);
  constexpr long double kLo = -9223372036854775808.0L, kHi = 9223372036854775807.0L;
  if ((is_lower && r > kHi) || (!is_lower && r < kLo))
    return std::nullopt;
  int64_t n = r <= kLo   ? std::numeric_limits<int64_t>::min()
              : r >= kHi ? std::numeric_limits<int64_t>::max()
                         : static_cast<int64_t>(r);
  return t == ValueType::kInt ? Value::Int(n) : Value::Dec(Decimal{n, 0});
}

}  // namespace

std::vector<IndexRange> NumericTypeRanges(const std::vector<std::pair<ast::Op, Value>>& raw,
                                          const std::optional<IndexBound>& lower,
                                          const std::optional<IndexBound>& upper, bool descending) {
  const ValueType own = lower   ? lower->value.type()
                        : upper ? upper->value.type()
                                : ValueType::kNull;
  std::vector<IndexRange> out;
  for (ValueType t : {ValueType::kInt, ValueType::kFloat, ValueType::kDecimal}) {
    IndexRange r;
    r.descending = descending;
    r.as_given = true;
    if (t == own) {
      r.lower = lower ? *lower : IndexBound{TypeEdge(t, false), true};
      r.upper = upper ? *upper : IndexBound{TypeEdge(t, true), true};
      out.push_back(std::move(r));
      continue;
    }
    bool reachable = true;
    for (const auto& [op, v] : raw) {
      const long double x = AsLongDouble(v);
      if (v.type() == ValueType::kFloat && std::isnan(v.as_float())) {
        // Only NaN is at or above NaN; nothing is below it but numbers.
        if (op == ast::Op::kEq || op == ast::Op::kGt || op == ast::Op::kGe)
          reachable = reachable && t == ValueType::kFloat && op != ast::Op::kGt;
        continue;
      }
      if (op == ast::Op::kEq || op == ast::Op::kGt || op == ast::Op::kGe) {
        std::optional<Value> b = OutwardBound(x, t, true);
        if (!b)
          reachable = false;
        else if (!r.lower || CompareByValue(*b, r.lower->value) > 0)
          r.lower = IndexBound{*b, true};
      }
      if (op == ast::Op::kEq || op == ast::Op::kLt || op == ast::Op::kLe) {
        std::optional<Value> b = OutwardBound(x, t, false);
        if (!b)
          reachable = false;
        else if (!r.upper || CompareByValue(*b, r.upper->value) < 0)
          r.upper = IndexBound{*b, true};
      }
    }
    if (!reachable)
      continue;
    if (!r.lower)
      r.lower = IndexBound{TypeEdge(t, false), true};
    if (!r.upper)
      r.upper = IndexBound{TypeEdge(t, true), true};
    if (CompareByValue(r.lower->value, r.upper->value) > 0)
      continue;
    out.push_back(std::move(r));
  }
  if (descending)
    std::reverse(out.begin(), out.end());
  return out;
}

void NumericSum::Add(const Value& v, int sign) {
  switch (v.type()) {
    case ValueType::kInt:
      int_sum_ += sign * static_cast<Int128>(v.as_int());
      ints_ += sign;
      return;
    case ValueType::kFloat:
      floats_ += sign;
      float_sum_ = floats_ == 0 ? 0 : float_sum_ + sign * v.as_float();
      return;
    case ValueType::kDecimal:
      if (decimals_ == 0) {
        // The first (a take-out here cannot happen: inputs come out only
        // after they went in).
        dec_sum_ = v;
        decimals_ = 1;
        return;
      }
      decimals_ += sign;
      if (decimals_ == 0) {
        error_.clear();  // the next decimal starts afresh
        return;
      }
      if (Result<Value> s = Arith(sign > 0 ? ast::Op::kAdd : ast::Op::kSub, dec_sum_, v); s.ok())
        dec_sum_ = std::move(*s);
      else
        error_ = s.status().message();
      return;
    default:
      non_numbers_ += sign;
  }
}

Result<Value> NumericSum::Total() const {
  if (non_numbers_ > 0)
    return Status::InvalidArgument("needs numbers");
  if (!error_.empty())
    return Status::InvalidArgument(error_);
  if (count() == 0)
    return Value();
  if (int_sum_ > std::numeric_limits<int64_t>::max() ||
      int_sum_ < std::numeric_limits<int64_t>::min())
    return Status::InvalidArgument("integer overflow");
  Value total = Value::Int(static_cast<int64_t>(int_sum_));
  if (decimals_ > 0) {
    if (ints_ > 0) {
      TRINE_ASSIGN_OR_RETURN(total, Arith(ast::Op::kAdd, dec_sum_, total));
    } else {
      total = dec_sum_;
    }
  }
  if (floats_ > 0) {
    if (ints_ > 0 || decimals_ > 0) {
      TRINE_ASSIGN_OR_RETURN(total, Arith(ast::Op::kAdd, total, Value::Float(float_sum_)));
    } else {
      total = Value::Float(float_sum_);
    }
  }
  return total;
}

Result<Value> NumericSum::Average() const {
  TRINE_ASSIGN_OR_RETURN(Value total, Total());
  if (total.is_null())
    return total;
  double t = total.type() == ValueType::kInt     ? static_cast<double>(total.as_int())
             : total.type() == ValueType::kFloat ? total.as_float()
                                                 : std::stod(total.as_decimal().ToString());
  return Value::Float(t / static_cast<double>(count()));
}

std::vector<IndexRange> MergePointRanges(std::vector<IndexRange> ranges, bool descending) {
  // Value::Compare is the index's order (type first), not CompareByValue's.
  std::sort(ranges.begin(), ranges.end(), [](const IndexRange& x, const IndexRange& y) {
    return Value::Compare(x.lower->value, y.lower->value) < 0;
  });
  std::vector<IndexRange> out;
  for (IndexRange& r : ranges) {
    if (!out.empty() && Value::Compare(r.lower->value, out.back().upper->value) <= 0) {
      if (Value::Compare(r.upper->value, out.back().upper->value) > 0)
        out.back().upper = r.upper;
      continue;
    }
    out.push_back(std::move(r));
  }
  for (IndexRange& r : out)
    r.descending = descending;
  if (descending)
    std::reverse(out.begin(), out.end());
  return out;
}

std::optional<Value> IndexBoundValue(const Value& v, const FieldInfo& field, bool round_up,
                                     bool* exact) {
  *exact = true;
  if (std::optional<Value> c = triples::ConvertLossless(v, field))
    return c;
  *exact = false;
  ValueType vt = v.type();
  if (field.type == FieldType::kTime && vt == ValueType::kString) {
    Result<int64_t> t = ParseTimestamp(v.as_string());
    if (t.ok()) {
      *exact = true;
      return Value::Time(*t);
    }
    return std::nullopt;
  }
  if (field.type == FieldType::kRef && vt == ValueType::kInt)
    return v.as_int() < 0 ? Value::Ref(0) : Value::Ref(static_cast<uint64_t>(v.as_int()));
  if (!IsNumeric(vt))
    return std::nullopt;
  long double x = AsLongDouble(v);
  if (std::isnan(x))
    return std::nullopt;
  switch (field.type) {
    case FieldType::kInt: {
      long double r = round_up ? std::ceil(x) : std::floor(x);
      if (r >= 9.2233720368547758e18L)
        return Value::Int(std::numeric_limits<int64_t>::max());
      if (r <= -9.2233720368547758e18L)
        return Value::Int(std::numeric_limits<int64_t>::min());
      return Value::Int(static_cast<int64_t>(r));
    }
    case FieldType::kFloat:
      return Value::Float(static_cast<double>(x));
    case FieldType::kDecimal: {
      long double scaled = x;
      for (int i = 0; i < field.scale; ++i)
        scaled *= 10;
      long double r = round_up ? std::ceil(scaled) : std::floor(scaled);
      if (std::fabs(r) >= 9.2e18L)
        return std::nullopt;
      return Value::Dec(Decimal{static_cast<int64_t>(r), field.scale});
    }
    default:
      return std::nullopt;
  }
}

}  // namespace trine::treeql
