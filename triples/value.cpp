#include "trine/value.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace trine {

namespace {

// __extension__: -Wpedantic rejects the GCC/Clang 128-bit type otherwise.
__extension__ typedef __int128 int128;

// 10^0 .. 10^18: every power a scale difference can need fits an int64.
constexpr int64_t kPow10[] = {1LL,
                              10LL,
                              100LL,
                              1000LL,
                              10000LL,
                              100000LL,
                              1000000LL,
                              10000000LL,
                              100000000LL,
                              1000000000LL,
                              10000000000LL,
                              100000000000LL,
                              1000000000000LL,
                              10000000000000LL,
                              100000000000000LL,
                              1000000000000000LL,
                              10000000000000000LL,
                              100000000000000000LL,
                              1000000000000000000LL};
static_assert(sizeof(kPow10) / sizeof(kPow10[0]) == Decimal::kMaxScale + 1);

bool FitsInt64(int128 v) {
  return v >= std::numeric_limits<int64_t>::min() && v <= std::numeric_limits<int64_t>::max();
}

bool ValidScale(int scale) {
  return scale >= 0 && scale <= Decimal::kMaxScale;
}

// Both operands at scale max(sa, sb). An int64 times 10^18 stays far inside
// int128, so neither this nor a following add/sub can overflow; only the
// final narrowing to int64 can fail.
int128 ScaledTo(Decimal d, int scale) {
  assert(ValidScale(d.scale) && d.scale <= scale && scale <= Decimal::kMaxScale);
  return static_cast<int128>(d.units) * kPow10[scale - d.scale];
}

Status InvalidScale(int scale) {
  return Status::InvalidArgument("decimal scale " + std::to_string(scale) + " is outside [0, " +
                                 std::to_string(Decimal::kMaxScale) + "]");
}

Result<Decimal> Narrow(int128 units, int scale, const char* op, Decimal a, Decimal b) {
  if (!FitsInt64(units)) {
    return Status::InvalidArgument(std::string("decimal overflow: ") + a.ToString() + " " + op +
                                   " " + b.ToString() + " does not fit 64 bits at scale " +
                                   std::to_string(scale));
  }
  return Decimal{static_cast<int64_t>(units), scale};
}

int Sign(int128 v) {
  return v < 0 ? -1 : (v > 0 ? 1 : 0);
}

void AppendHex(std::string* out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 0xf]);
}

void AppendQuoted(std::string* out, const std::string& s) {
  // Strings are supposed to be valid UTF-8; if one is not, its high bytes are
  // shown as \xNN so the message still says what is really there.
  const bool utf8 = IsValidUtf8(s);
  out->push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out->append("\\u00");
          AppendHex(out, c);
        } else if (c >= 0x80 && !utf8) {
          out->append("\\x");
          AppendHex(out, c);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendFloat(std::string* out, double d) {
  if (std::isnan(d)) {
    out->append("nan");
    return;
  }
  if (std::isinf(d)) {
    out->append(d < 0 ? "-inf" : "inf");
    return;
  }
  // Shortest text that parses back to the same double.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string_view text(buf, static_cast<size_t>(end - buf));
  out->append(text);
  // "1.0", not "1": a float should not read like an int.
  if (text.find_first_of(".e") == std::string_view::npos)
    out->append(".0");
}

}  // namespace

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNull:
      return "null";
    case ValueType::kBool:
      return "bool";
    case ValueType::kInt:
      return "int";
    case ValueType::kFloat:
      return "float";
    case ValueType::kDecimal:
      return "decimal";
    case ValueType::kString:
      return "string";
    case ValueType::kBytes:
      return "bytes";
    case ValueType::kTimestamp:
      return "timestamp";
    case ValueType::kRef:
      return "ref";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// Decimal

Result<Decimal> Decimal::Parse(std::string_view text) {
  auto error = [&](std::string_view why) {
    return Status::InvalidArgument("invalid decimal \"" + std::string(text) +
                                   "\": " + std::string(why));
  };
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  // Accumulate the magnitude negatively so that INT64_MIN is reachable.
  int128 acc = 0;
  int digits = 0;
  int scale = 0;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (seen_point)
        return error("more than one decimal point");
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9')
      return error(std::string("unexpected character '") + c + "'");
    ++digits;
    if (seen_point && ++scale > kMaxScale)
      return error("more than " + std::to_string(kMaxScale) + " digits after the point");
    acc = acc * 10 - (c - '0');
    if (acc < std::numeric_limits<int64_t>::min())
      return error("does not fit 64 bits");
  }
  if (digits == 0)
    return error("no digits");
  if (!negative)
    acc = -acc;
  if (!FitsInt64(acc))
    return error("does not fit 64 bits");
  return Decimal{static_cast<int64_t>(acc), scale};
}

std::string Decimal::ToString() const {
  // Magnitude as unsigned: -INT64_MIN does not fit an int64.
  uint64_t mag = units < 0 ? 0 - static_cast<uint64_t>(units) : static_cast<uint64_t>(units);
  std::string digits = std::to_string(mag);
  const size_t s = scale > 0 ? static_cast<size_t>(scale) : 0;
  if (digits.size() < s + 1)
    digits.insert(0, s + 1 - digits.size(), '0');
  std::string out;
  if (units < 0)
    out.push_back('-');
  out.append(digits, 0, digits.size() - s);
  if (s > 0) {
    out.push_back('.');
    out.append(digits, digits.size() - s, s);
  }
  return out;
}

Result<Decimal> Decimal::Rescale(int new_scale) const {
  if (!ValidScale(scale))
    return InvalidScale(scale);
  if (!ValidScale(new_scale))
    return InvalidScale(new_scale);
  if (new_scale >= scale) {
    int128 v = ScaledTo(*this, new_scale);
    if (!FitsInt64(v)) {
      return Status::InvalidArgument("decimal overflow: " + ToString() +
                                     " does not fit 64 bits at scale " + std::to_string(new_scale));
    }
    return Decimal{static_cast<int64_t>(v), new_scale};
  }
  int64_t div = kPow10[scale - new_scale];
  if (units % div != 0) {
    return Status::InvalidArgument("decimal " + ToString() + " cannot be rescaled to scale " +
                                   std::to_string(new_scale) + " without losing digits");
  }
  return Decimal{units / div, new_scale};
}

int Decimal::Precision() const {
  uint64_t mag = units < 0 ? 0 - static_cast<uint64_t>(units) : static_cast<uint64_t>(units);
  int n = 1;
  while (mag >= 10) {
    mag /= 10;
    ++n;
  }
  // 0.05 needs two digits (both after the point), not one.
  return n > scale ? n : scale;
}

Result<Decimal> Decimal::Add(Decimal a, Decimal b) {
  if (!ValidScale(a.scale))
    return InvalidScale(a.scale);
  if (!ValidScale(b.scale))
    return InvalidScale(b.scale);
  int s = a.scale > b.scale ? a.scale : b.scale;
  return Narrow(ScaledTo(a, s) + ScaledTo(b, s), s, "+", a, b);
}

Result<Decimal> Decimal::Sub(Decimal a, Decimal b) {
  if (!ValidScale(a.scale))
    return InvalidScale(a.scale);
  if (!ValidScale(b.scale))
    return InvalidScale(b.scale);
  int s = a.scale > b.scale ? a.scale : b.scale;
  return Narrow(ScaledTo(a, s) - ScaledTo(b, s), s, "-", a, b);
}

Result<Decimal> Decimal::Mul(Decimal a, Decimal b) {
  if (!ValidScale(a.scale))
    return InvalidScale(a.scale);
  if (!ValidScale(b.scale))
    return InvalidScale(b.scale);
  // |int64|^2 < 2^126: the exact product always fits an int128.
  int128 p = static_cast<int128>(a.units) * b.units;
  int s = a.scale + b.scale;
  while (s > kMaxScale && p % 10 == 0) {
    p /= 10;
    --s;
  }
  if (s > kMaxScale) {
    return Status::InvalidArgument("decimal product " + a.ToString() + " * " + b.ToString() +
                                   " needs more than " + std::to_string(kMaxScale) +
                                   " fraction digits");
  }
  return Narrow(p, s, "*", a, b);
}

int Decimal::Compare(Decimal a, Decimal b) {
  int s = a.scale > b.scale ? a.scale : b.scale;
  return Sign(ScaledTo(a, s) - ScaledTo(b, s));
}

// ---------------------------------------------------------------------------
// Value

std::string Value::ToString() const {
  std::string out;
  switch (type()) {
    case ValueType::kNull:
      out = "null";
      break;
    case ValueType::kBool:
      out = as_bool() ? "true" : "false";
      break;
    case ValueType::kInt:
      out = std::to_string(as_int());
      break;
    case ValueType::kFloat:
      AppendFloat(&out, as_float());
      break;
    case ValueType::kDecimal:
      out = as_decimal().ToString();
      break;
    case ValueType::kString:
      AppendQuoted(&out, as_string());
      break;
    case ValueType::kBytes:
      out = "x'";
      for (char c : as_bytes())
        AppendHex(&out, static_cast<unsigned char>(c));
      out.push_back('\'');
      break;
    case ValueType::kTimestamp:
      out = "time(" + std::to_string(as_time()) + ")";
      break;
    case ValueType::kRef:
      out = "ref(" + std::to_string(as_ref()) + ")";
      break;
  }
  return out;
}

int Value::Compare(const Value& a, const Value& b) {
  if (a.rep_.index() != b.rep_.index())
    return a.rep_.index() < b.rep_.index() ? -1 : 1;
  auto three_way = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (a.type()) {
    case ValueType::kNull:
      return 0;
    case ValueType::kBool:
      return three_way(a.as_bool(), b.as_bool());
    case ValueType::kInt:
      return three_way(a.as_int(), b.as_int());
    case ValueType::kFloat: {
      double x = a.as_float(), y = b.as_float();
      bool xn = std::isnan(x), yn = std::isnan(y);
      if (xn || yn)
        return xn && yn ? 0 : (xn ? 1 : -1);
      return three_way(x, y);  // -0.0 == +0.0 under <
    }
    case ValueType::kDecimal:
      return Decimal::Compare(a.as_decimal(), b.as_decimal());
    case ValueType::kString:
    case ValueType::kBytes: {
      const std::string& x = a.type() == ValueType::kString ? a.as_string() : a.as_bytes();
      const std::string& y = b.type() == ValueType::kString ? b.as_string() : b.as_bytes();
      size_t n = x.size() < y.size() ? x.size() : y.size();
      int c = n == 0 ? 0 : std::memcmp(x.data(), y.data(), n);
      if (c != 0)
        return c < 0 ? -1 : 1;
      return three_way(x.size(), y.size());
    }
    case ValueType::kTimestamp:
      return three_way(a.as_time(), b.as_time());
    case ValueType::kRef:
      return three_way(a.as_ref(), b.as_ref());
  }
  return 0;
}

// Unicode 15, table 3-7 (well-formed byte sequences). The second byte's range
// depends on the first so that overlong forms, surrogates (U+D800..DFFF) and
// code points above U+10FFFF are all rejected.
bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0)
        lo = 0xA0;  // overlong below U+0800
      else if (c == 0xED)
        hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0)
        lo = 0x90;  // overlong below U+10000
      else if (c == 0xF4)
        hi = 0x8F;  // above U+10FFFF
    } else {
      return false;  // continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (end - p < len)
      return false;
    if (p[1] < lo || p[1] > hi)
      return false;
    for (int i = 2; i < len; ++i) {
      if (p[i] < 0x80 || p[i] > 0xBF)
        return false;
    }
    p += len;
  }
  return true;
}

}  // namespace trine
