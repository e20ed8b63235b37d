// Byte encodings of Values: a compact one for stored triple values and an
// order-preserving one for index keys. The formats are described at the top
// of value_codec.cpp.
#pragma once

#include <string>
#include <string_view>

#include "trine/status.h"
#include "trine/value.h"

namespace trine::triples {

// Stored form (the value of a data triple). Compact, self-delimiting only as
// a whole: it takes the rest of its input.
void EncodeStoredValue(const Value& v, std::string* dst);
// Corruption (naming what is wrong) on malformed input; never crashes.
Status DecodeStoredValue(std::string_view input, Value* v);

// Order-preserving form, for keys: for any values a, b,
//   Value::Compare(a, b) == sign(compare bytes(Encode(a)), bytes(Encode(b)))
// and the encoding is prefix-free, so a longer key may follow it and tuples
// (value, subject) compare as tuples. Floats -0.0 and NaN are canonicalized
// (-0.0 encodes as +0.0; every NaN as one NaN above +infinity).
void EncodeOrderedValue(const Value& v, std::string* dst);
// Consumes one ordered value from the front of *input.
Status DecodeOrderedValue(std::string_view* input, Value* v);

}  // namespace trine::triples
