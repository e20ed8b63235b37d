#include "triples/convert.h"

#include <cmath>

namespace trine::triples {

namespace {

constexpr double kTwo53 = 9007199254740992.0;  // integers up to 2^53 are exact doubles

std::optional<Value> FitDecimal(Decimal d, const FieldInfo& f) {
  Result<Decimal> r = d.Rescale(f.scale);
  if (!r.ok() || r.value().Precision() > f.precision)
    return std::nullopt;
  return Value::Dec(r.value());
}

std::optional<Value> DecimalFromDouble(double x, const FieldInfo& f) {
  if (!std::isfinite(x))
    return std::nullopt;
  double scaled = x;
  for (int i = 0; i < f.scale; ++i)
    scaled *= 10;
  if (std::fabs(scaled) >= kTwo53)
    return std::nullopt;
  Decimal d{static_cast<int64_t>(std::llround(scaled)), f.scale};
  // Lossless means the decimal converts back to the same double.
  double back = static_cast<double>(d.units);
  for (int i = 0; i < f.scale; ++i)
    back /= 10;
  if (back != x)
    return std::nullopt;
  return FitDecimal(d, f);
}

std::optional<Value> DoubleFromDecimal(Decimal d) {
  if (d.units > static_cast<int64_t>(kTwo53) || d.units < -static_cast<int64_t>(kTwo53))
    return std::nullopt;
  double x = static_cast<double>(d.units);
  for (int i = 0; i < d.scale; ++i)
    x /= 10;
  // Must convert back to the same decimal.
  double scaled = x;
  for (int i = 0; i < d.scale; ++i)
    scaled *= 10;
  if (std::llround(scaled) != d.units)
    return std::nullopt;
  return Value::Float(x);
}

std::optional<int64_t> IntFromDouble(double x) {
  if (!std::isfinite(x) || std::trunc(x) != x || std::fabs(x) > kTwo53)
    return std::nullopt;
  return static_cast<int64_t>(x);
}

}  // namespace

std::optional<Value> ConvertLossless(const Value& v, const FieldInfo& f) {
  if (v.is_null() || f.type == FieldType::kAny)
    return v;
  switch (f.type) {
    case FieldType::kAny:
      return v;
    case FieldType::kBool:
      if (v.type() == ValueType::kBool)
        return v;
      if (v.type() == ValueType::kInt && (v.as_int() == 0 || v.as_int() == 1))
        return Value::Bool(v.as_int() == 1);
      return std::nullopt;
    case FieldType::kInt:
      switch (v.type()) {
        case ValueType::kInt:
          return v;
        case ValueType::kBool:
          return Value::Int(v.as_bool() ? 1 : 0);
        case ValueType::kFloat:
          if (auto i = IntFromDouble(v.as_float()))
            return Value::Int(*i);
          return std::nullopt;
        case ValueType::kDecimal: {
          Result<Decimal> r = v.as_decimal().Rescale(0);
          if (!r.ok())
            return std::nullopt;
          return Value::Int(r.value().units);
        }
        case ValueType::kTimestamp:
          return Value::Int(v.as_time());
        default:
          return std::nullopt;
      }
    case FieldType::kFloat:
      switch (v.type()) {
        case ValueType::kFloat:
          return v;
        case ValueType::kInt:
          if (v.as_int() > static_cast<int64_t>(kTwo53) ||
              v.as_int() < -static_cast<int64_t>(kTwo53))
            return std::nullopt;
          return Value::Float(static_cast<double>(v.as_int()));
        case ValueType::kDecimal:
          return DoubleFromDecimal(v.as_decimal());
        default:
          return std::nullopt;
      }
    case FieldType::kDecimal:
      switch (v.type()) {
        case ValueType::kDecimal:
          return FitDecimal(v.as_decimal(), f);
        case ValueType::kInt:
          return FitDecimal(Decimal{v.as_int(), 0}, f);
        case ValueType::kFloat:
          return DecimalFromDouble(v.as_float(), f);
        default:
          return std::nullopt;
      }
    case FieldType::kString:
      if (v.type() == ValueType::kString)
        return v;
      if (v.type() == ValueType::kBytes && IsValidUtf8(v.as_bytes()))
        return Value::String(v.as_bytes());
      return std::nullopt;
    case FieldType::kBytes:
      if (v.type() == ValueType::kBytes)
        return v;
      if (v.type() == ValueType::kString)
        return Value::Bytes(v.as_string());
      return std::nullopt;
    case FieldType::kTime:
      if (v.type() == ValueType::kTimestamp)
        return v;
      if (v.type() == ValueType::kInt)
        return Value::Time(v.as_int());
      return std::nullopt;
    case FieldType::kRef:
      if (v.type() == ValueType::kRef)
        return v;
      if (v.type() == ValueType::kInt && v.as_int() >= 0)
        return Value::Ref(static_cast<uint64_t>(v.as_int()));
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace trine::triples
