// TreeQL's scalar semantics, in one place (README.md, "NULLs and types"):
//
// - Three-valued logic as in SQL: a comparison with NULL is NULL (unknown);
//   AND / OR / NOT follow the truth tables of SQL; WHERE keeps a row only when
//   its condition is TRUE.
// - Numbers compare and compute across int, float and decimal by value.
//   int op int stays int (overflow is an error, `/` truncates toward zero),
//   decimal op int/decimal stays an exact decimal (`/` gives a float), any
//   float makes a float. Division or `%` by zero is an error.
// - A time compares with a string that parses as an RFC 3339 timestamp; a
//   reference compares with a reference or an int (its subject id).
// - Values of incomparable types (a string and an int) compare as NULL at
//   run time; when the binder knows both types it reports a type mismatch.
// - LIKE is case-sensitive: `%` matches any run of characters, `_` exactly
//   one character (a UTF-8 code point).
// - Sorting uses a total order: numbers by value, then the order of
//   Value::Compare; NULLs last unless NULLS FIRST.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "treeql/ast.h"
#include "trine/database.h"
#include "trine/status.h"
#include "trine/value.h"

namespace trine::treeql {

bool IsNumeric(ValueType t);

// How an operator is written: "AND", "<=", "||", ...
const char* OpText(ast::Op op);

// -1, 0, 1, or nullopt when either side is NULL or the types are
// incomparable.
std::optional<int> CompareValues(const Value& a, const Value& b);
// Whether values of these types can be compared (kNull: unknown, allowed).
bool Comparable(ValueType a, ValueType b);

// A total order in which numbers of different types compare by value, as
// WHERE compares them (1 = 1.0), and other values as Value::Compare does:
// for bounds, ranges, MIN/MAX and groups. Not ORDER BY's: that is the
// index's order, Value::Compare (type first), so that a sort and an index
// scan agree on a lax field holding ints and floats.
int CompareByValue(const Value& a, const Value& b);

// Arithmetic and concatenation (op is kAdd, kSub, kMul, kDiv, kMod, kConcat
// or kNeg with b ignored). NULL in, NULL out. Errors: InvalidArgument with
// the message only (the caller adds the position).
Result<Value> Arith(ast::Op op, const Value& a, const Value& b);

// SQL LIKE on strings (case-sensitive).
bool Like(std::string_view text, std::string_view pattern);
// The literal prefix of a LIKE pattern (up to the first `%` or `_`).
std::string LikePrefix(std::string_view pattern);

// Text of a value for `||` (strings as is, numbers as in JSON).
std::string ConcatText(const Value& v);

// `v` as a bound on an index of `field`'s type. Values that convert exactly
// are converted; a number that does not fit an int or decimal field exactly
// is rounded toward the inside of the range (`round_up` for a lower bound),
// with *exact set to false. nullopt: no value of the field's type can
// compare with `v` (the range is empty).
std::optional<Value> IndexBoundValue(const Value& v, const FieldInfo& field, bool round_up,
                                     bool* exact);

// Narrows *cur, a lower (`is_lower`) or upper bound of an index range on
// `field`, by `v` (inclusive or not); sets *empty when no value of the
// field can meet it.
void TightenBound(std::optional<IndexBound>* cur, const Value& v, bool inclusive, bool is_lower,
                  const FieldInfo& field, bool* empty);
// Narrows [*lower, *upper] by the comparison `field op v` (op one of =, <,
// <=, >, >=), as TightenBound.
void TightenByComparison(ast::Op op, const Value& v, const FieldInfo& field,
                         std::optional<IndexBound>* lower, std::optional<IndexBound>* upper,
                         bool* empty);

// Whether an index entry of value `v` lies between the bounds (the index's
// order; a prefix upper bound, from LIKE, is not handled here).
bool WithinBounds(const Value& v, const std::optional<IndexBound>& lower,
                  const std::optional<IndexBound>& upper);

// The index ranges a comparison of a lax field with numbers must read. The
// index orders values by type first (ints, then floats, then decimals), while
// WHERE compares numbers of any of these types by value, so a lax field's
// floats (say) can match a range whose bounds are ints. One range per
// numeric type, in the index's order (reversed when `descending`): the
// bounds' own type (`lower`/`upper`, already converted to it) exactly, the
// others from the comparisons as written (`raw`), rounded outward, so they
// hold every match and some entries the WHERE then rejects. Types no value
// of which can match get no range.
std::vector<IndexRange> NumericTypeRanges(const std::vector<std::pair<ast::Op, Value>>& raw,
                                          const std::optional<IndexBound>& lower,
                                          const std::optional<IndexBound>& upper, bool descending);

// Inclusive ranges (as from NumericTypeRanges, one call per point of an IN
// list) sorted in the index's order and merged where they overlap, so each
// entry is read once and in order; reversed and marked `descending` when
// the scan goes down.
std::vector<IndexRange> MergePointRanges(std::vector<IndexRange> ranges, bool descending);

// The running sum behind sum() and avg(), over inputs of mixed types (a lax
// field's): ints and decimals exactly, floats as floats, each type apart and
// combined only in Total, so inputs can also be taken out (live aggregates)
// and the result does not depend on the inputs' order beyond the floats'
// own rounding. Its type is a float if any input is one, else a decimal if
// any is one, else an int.
class NumericSum {
 public:
  // Adds (sign 1) or takes out (sign -1, an input added before) a non-null v.
  void Add(const Value& v, int sign);
  // Inputs in the sum.
  int64_t count() const { return ints_ + decimals_ + floats_ + non_numbers_; }
  // The sum (NULL with no inputs), or an error message without position:
  // "needs numbers" while a non-number is in, "integer overflow", or a
  // decimal's overflow.
  Result<Value> Total() const;
  // Total() / count() as a float (NULL with no inputs), or Total's error.
  Result<Value> Average() const;

 private:
  __extension__ typedef __int128 Int128;  // exact sums of int64s (GCC and Clang)
  Int128 int_sum_ = 0;
  int64_t ints_ = 0;
  Value dec_sum_;
  int64_t decimals_ = 0;
  double float_sum_ = 0;
  int64_t floats_ = 0;
  int64_t non_numbers_ = 0;
  std::string error_;  // a decimal overflow, until the decimals are all out
};

}  // namespace trine::treeql
