// Value encodings.
//
// Both forms start with one tag byte, the ValueType number (null 0, bool 1,
// int 2, float 3, decimal 4, string 5, bytes 6, timestamp 7, ref 8). Tags in
// type order make the ordered form sort by type first, as Value::Compare does;
// the stored form shares them so one table of type numbers serves both.
//
// Stored form (values of data triples): compact, and self-delimiting only as
// a whole because the record around it already carries its length.
//   null       tag only
//   bool       1 byte, 0 or 1
//   int        zigzag LEB128 varint (small negatives stay short)
//   timestamp  zigzag LEB128 varint of the microseconds
//   float      8 bytes, IEEE-754 bits little-endian (NaN payloads and -0.0
//              survive: the stored value is what was written)
//   decimal    1 byte scale (0..18), then zigzag varint of the units (the
//              scale is kept: 1.50 reads back as 1.50)
//   string     the UTF-8 bytes, to the end of the input
//   bytes      the bytes, to the end of the input
//   ref        LEB128 varint of the id
// The decoder accepts exactly what the encoder writes: no trailing bytes, no
// overlong varints, bool 0/1 only, valid UTF-8. So a decode that succeeds
// re-encodes to the same bytes, and corruption shows up as an error rather
// than as a different value.
//
// Ordered form (index keys): memcmp order of the encodings equals
// Value::Compare, and each encoding is prefix-free so (value, subject) keys
// sort as tuples. Values that compare equal encode identically.
//   null       tag only
//   bool       1 byte, 0 or 1
//   int        8 bytes big-endian, sign bit flipped (two's complement then
//   timestamp  sorts as unsigned)
//   float      -0.0 is written as +0.0 and every NaN as 0x7ff8000000000000,
//              which the mapping below puts above +inf. Then the IEEE bits:
//              negative numbers have every bit inverted (larger magnitude
//              must sort lower), others have the sign bit set; 8 bytes
//              big-endian.
//   decimal    units * 10^(18 - scale) as a 128-bit integer (exact: |units|
//              * 10^18 < 2^127), sign bit flipped, 16 bytes big-endian. One
//              common scale is what makes 1.5 and 1.50 encode identically.
//              Decoding gives the smallest scale that holds the value exactly
//              (1.50 reads back as 1.5, scale 1).
//   string     each 0x00 byte as 0x00 0xFF, then the terminator 0x00 0x01.
//   bytes      The terminator sorts below every escaped or plain byte that
//              could follow at the same position, so "a" < "a\0" < "ab" and
//              no encoding is a prefix of another.
//   ref        order-preserving varint (common/coding.h)
// The decoder rejects anything the encoder would not write (non-canonical
// NaN or -0.0, a decimal not representable at any scale, bad escapes), for
// the same reason as above.
#include "triples/value_codec.h"

#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "common/coding.h"

namespace trine::triples {

namespace {

// __extension__: -Wpedantic rejects the GCC/Clang 128-bit type otherwise.
__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

constexpr uint64_t kSignBit64 = uint64_t{1} << 63;
constexpr uint64_t kCanonicalNaN = 0x7ff8000000000000ull;

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t u) {
  return static_cast<int64_t>((u >> 1) ^ (0 - (u & 1)));
}

uint64_t DoubleBits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}
double BitsDouble(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

int128 Pow10(int n) {
  int128 r = 1;
  while (n-- > 0)
    r *= 10;
  return r;
}

Status Corrupt(std::string_view form, ValueType type, std::string_view what) {
  return Status::Corruption(std::string(form) + " " + std::string(ValueTypeName(type)) +
                            " value: " + std::string(what));
}

// LEB128 that must be the shortest form: GetVarint64 alone also accepts
// padded encodings (0x80 0x00) and a tenth byte with bits beyond 64.
bool GetCanonicalVarint64(std::string_view* input, uint64_t* v) {
  std::string_view in = *input;
  if (!GetVarint64(&in, v))
    return false;
  size_t used = input->size() - in.size();
  if (static_cast<int>(used) != VarintLength(*v))
    return false;
  if (used == 10 && static_cast<unsigned char>((*input)[9]) != 0x01)
    return false;
  *input = in;
  return true;
}

void PutBigEndian64(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i)
    buf[i] = static_cast<char>(v >> (8 * (7 - i)));
  dst->append(buf, 8);
}

bool GetBigEndian64(std::string_view* input, uint64_t* v) {
  if (input->size() < 8)
    return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i)
    r = (r << 8) | static_cast<unsigned char>((*input)[static_cast<size_t>(i)]);
  input->remove_prefix(8);
  *v = r;
  return true;
}

bool IsKnownTag(unsigned char tag) {
  return tag <= static_cast<unsigned char>(ValueType::kRef);
}

}  // namespace

// ---------------------------------------------------------------------------
// Stored form

void EncodeStoredValue(const Value& v, std::string* dst) {
  dst->push_back(static_cast<char>(v.type()));
  switch (v.type()) {
    case ValueType::kNull:
      break;
    case ValueType::kBool:
      dst->push_back(v.as_bool() ? 1 : 0);
      break;
    case ValueType::kInt:
      PutVarint64(dst, ZigZag(v.as_int()));
      break;
    case ValueType::kFloat:
      PutFixed64(dst, DoubleBits(v.as_float()));
      break;
    case ValueType::kDecimal: {
      Decimal d = v.as_decimal();
      assert(d.scale >= 0 && d.scale <= Decimal::kMaxScale);
      dst->push_back(static_cast<char>(d.scale));
      PutVarint64(dst, ZigZag(d.units));
      break;
    }
    case ValueType::kString:
      // Written as is; the decoder would reject it, so catch it at the writer.
      assert(IsValidUtf8(v.as_string()));
      dst->append(v.as_string());
      break;
    case ValueType::kBytes:
      dst->append(v.as_bytes());
      break;
    case ValueType::kTimestamp:
      PutVarint64(dst, ZigZag(v.as_time()));
      break;
    case ValueType::kRef:
      PutVarint64(dst, v.as_ref());
      break;
  }
}

Status DecodeStoredValue(std::string_view input, Value* v) {
  static constexpr std::string_view kForm = "stored";
  if (input.empty())
    return Status::Corruption("stored value: empty");
  auto tag = static_cast<unsigned char>(input[0]);
  if (!IsKnownTag(tag))
    return Status::Corruption("stored value: unknown type tag " + std::to_string(tag));
  auto type = static_cast<ValueType>(tag);
  input.remove_prefix(1);
  auto trailing = [&]() {
    return Corrupt(kForm, type, std::to_string(input.size()) + " trailing bytes");
  };
  switch (type) {
    case ValueType::kNull:
      if (!input.empty())
        return trailing();
      *v = Value::Null();
      return Status::OK();
    case ValueType::kBool: {
      if (input.empty())
        return Corrupt(kForm, type, "truncated");
      auto b = static_cast<unsigned char>(input[0]);
      if (b > 1)
        return Corrupt(kForm, type, "byte " + std::to_string(b) + " is neither 0 nor 1");
      input.remove_prefix(1);
      if (!input.empty())
        return trailing();
      *v = Value::Bool(b == 1);
      return Status::OK();
    }
    case ValueType::kInt:
    case ValueType::kTimestamp:
    case ValueType::kRef: {
      uint64_t u;
      if (!GetCanonicalVarint64(&input, &u))
        return Corrupt(kForm, type, "truncated or malformed varint");
      if (!input.empty())
        return trailing();
      if (type == ValueType::kInt)
        *v = Value::Int(UnZigZag(u));
      else if (type == ValueType::kTimestamp)
        *v = Value::Time(UnZigZag(u));
      else
        *v = Value::Ref(u);
      return Status::OK();
    }
    case ValueType::kFloat: {
      uint64_t bits;
      if (!GetFixed64(&input, &bits))
        return Corrupt(kForm, type, "truncated");
      if (!input.empty())
        return trailing();
      *v = Value::Float(BitsDouble(bits));
      return Status::OK();
    }
    case ValueType::kDecimal: {
      if (input.empty())
        return Corrupt(kForm, type, "truncated");
      auto scale = static_cast<unsigned char>(input[0]);
      if (scale > Decimal::kMaxScale)
        return Corrupt(kForm, type, "scale " + std::to_string(scale) + " exceeds 18");
      input.remove_prefix(1);
      uint64_t u;
      if (!GetCanonicalVarint64(&input, &u))
        return Corrupt(kForm, type, "truncated or malformed varint");
      if (!input.empty())
        return trailing();
      *v = Value::Dec(Decimal{UnZigZag(u), scale});
      return Status::OK();
    }
    case ValueType::kString:
      if (!IsValidUtf8(input))
        return Corrupt(kForm, type, "invalid UTF-8");
      *v = Value::String(std::string(input));
      return Status::OK();
    case ValueType::kBytes:
      *v = Value::Bytes(std::string(input));
      return Status::OK();
  }
  return Status::Corruption("stored value: unknown type tag " + std::to_string(tag));
}

// ---------------------------------------------------------------------------
// Ordered form

void EncodeOrderedValue(const Value& v, std::string* dst) {
  dst->push_back(static_cast<char>(v.type()));
  switch (v.type()) {
    case ValueType::kNull:
      break;
    case ValueType::kBool:
      dst->push_back(v.as_bool() ? 1 : 0);
      break;
    case ValueType::kInt:
      PutBigEndian64(dst, static_cast<uint64_t>(v.as_int()) ^ kSignBit64);
      break;
    case ValueType::kTimestamp:
      PutBigEndian64(dst, static_cast<uint64_t>(v.as_time()) ^ kSignBit64);
      break;
    case ValueType::kFloat: {
      double d = v.as_float();
      uint64_t bits;
      if (std::isnan(d))
        bits = kCanonicalNaN;
      else if (d == 0)
        bits = 0;  // -0.0 and +0.0 compare equal, so they must encode equal
      else
        bits = DoubleBits(d);
      bits = (bits & kSignBit64) ? ~bits : (bits ^ kSignBit64);
      PutBigEndian64(dst, bits);
      break;
    }
    case ValueType::kDecimal: {
      Decimal d = v.as_decimal();
      assert(d.scale >= 0 && d.scale <= Decimal::kMaxScale);
      int128 scaled = static_cast<int128>(d.units) * Pow10(Decimal::kMaxScale - d.scale);
      uint128 u = static_cast<uint128>(scaled) ^ (uint128{1} << 127);
      PutBigEndian64(dst, static_cast<uint64_t>(u >> 64));
      PutBigEndian64(dst, static_cast<uint64_t>(u));
      break;
    }
    case ValueType::kString:
    case ValueType::kBytes: {
      const std::string& s = v.type() == ValueType::kString ? v.as_string() : v.as_bytes();
      assert(v.type() != ValueType::kString || IsValidUtf8(s));
      for (char c : s) {
        dst->push_back(c);
        if (c == '\0')
          dst->push_back('\xff');
      }
      dst->push_back('\0');
      dst->push_back('\x01');
      break;
    }
    case ValueType::kRef:
      PutOrderedVarint(dst, v.as_ref());
      break;
  }
}

Status DecodeOrderedValue(std::string_view* input, Value* v) {
  static constexpr std::string_view kForm = "ordered";
  std::string_view in = *input;
  if (in.empty())
    return Status::Corruption("ordered value: empty");
  auto tag = static_cast<unsigned char>(in[0]);
  if (!IsKnownTag(tag))
    return Status::Corruption("ordered value: unknown type tag " + std::to_string(tag));
  auto type = static_cast<ValueType>(tag);
  in.remove_prefix(1);
  Value out;
  switch (type) {
    case ValueType::kNull:
      break;
    case ValueType::kBool: {
      if (in.empty())
        return Corrupt(kForm, type, "truncated");
      auto b = static_cast<unsigned char>(in[0]);
      if (b > 1)
        return Corrupt(kForm, type, "byte " + std::to_string(b) + " is neither 0 nor 1");
      in.remove_prefix(1);
      out = Value::Bool(b == 1);
      break;
    }
    case ValueType::kInt:
    case ValueType::kTimestamp: {
      uint64_t u;
      if (!GetBigEndian64(&in, &u))
        return Corrupt(kForm, type, "truncated");
      auto i = static_cast<int64_t>(u ^ kSignBit64);
      out = type == ValueType::kInt ? Value::Int(i) : Value::Time(i);
      break;
    }
    case ValueType::kFloat: {
      uint64_t u;
      if (!GetBigEndian64(&in, &u))
        return Corrupt(kForm, type, "truncated");
      uint64_t bits = (u & kSignBit64) ? (u ^ kSignBit64) : ~u;
      double d = BitsDouble(bits);
      if (std::isnan(d) && bits != kCanonicalNaN)
        return Corrupt(kForm, type, "non-canonical NaN");
      if (bits == kSignBit64)
        return Corrupt(kForm, type, "non-canonical -0.0");
      out = Value::Float(d);
      break;
    }
    case ValueType::kDecimal: {
      uint64_t hi, lo;
      if (!GetBigEndian64(&in, &hi) || !GetBigEndian64(&in, &lo))
        return Corrupt(kForm, type, "truncated");
      uint128 u = ((static_cast<uint128>(hi) << 64) | lo) ^ (uint128{1} << 127);
      auto scaled = static_cast<int128>(u);
      int scale = Decimal::kMaxScale;
      while (scale > 0 && scaled % 10 == 0) {
        scaled /= 10;
        --scale;
      }
      if (scaled < std::numeric_limits<int64_t>::min() ||
          scaled > std::numeric_limits<int64_t>::max()) {
        return Corrupt(kForm, type, "does not fit 64 bits at any scale");
      }
      out = Value::Dec(Decimal{static_cast<int64_t>(scaled), scale});
      break;
    }
    case ValueType::kString:
    case ValueType::kBytes: {
      std::string s;
      for (;;) {
        size_t zero = in.find('\0');
        if (zero == std::string_view::npos || zero + 1 >= in.size())
          return Corrupt(kForm, type, "missing terminator");
        s.append(in.data(), zero);
        auto next = static_cast<unsigned char>(in[zero + 1]);
        in.remove_prefix(zero + 2);
        if (next == 0x01)
          break;
        if (next != 0xff)
          return Corrupt(kForm, type, "bad escape 0x00 " + std::to_string(next));
        s.push_back('\0');
      }
      if (type == ValueType::kString) {
        if (!IsValidUtf8(s))
          return Corrupt(kForm, type, "invalid UTF-8");
        out = Value::String(std::move(s));
      } else {
        out = Value::Bytes(std::move(s));
      }
      break;
    }
    case ValueType::kRef: {
      uint64_t id;
      size_t before = in.size();
      // The length check catches 0xF1 0x00, a two-byte 240 that GetOrderedVarint lets through.
      if (!GetOrderedVarint(&in, &id) ||
          before - in.size() != static_cast<size_t>(OrderedVarintLength(id)))
        return Corrupt(kForm, type, "truncated or malformed varint");
      out = Value::Ref(id);
      break;
    }
  }
  *v = std::move(out);
  *input = in;
  return Status::OK();
}

}  // namespace trine::triples
