// Lossless conversion of values between field types: used when a write
// stores a value into a declared field and when a schema change retypes a
// field with data.
#pragma once

#include <optional>

#include "trine/database.h"
#include "trine/value.h"

namespace trine::triples {

// `v` as a value of `field`'s declared type, or nullopt if that would lose
// information. Allowed: the same type (decimals rescaled exactly to the
// field's scale and within its precision), int <-> float (exact), int <->
// decimal, float <-> decimal (when the float round-trips), bool -> int, int ->
// bool (0 or 1), int <-> time, int -> ref (>= 0), string <-> bytes (bytes must
// be valid UTF-8), anything -> an undeclared (kAny) field. Null stays null.
std::optional<Value> ConvertLossless(const Value& v, const FieldInfo& field);

}  // namespace trine::triples
