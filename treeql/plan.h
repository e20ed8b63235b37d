// Bound TreeQL: what the binder (binder.cpp) makes of the syntax tree, and
// what the executor (executor.cpp) runs.
//
// A query is a tree of Levels: the top-level SELECT, and one Level per nested
// sub-query (`[SELECT ...]`, `(SELECT ...)`, `count(SELECT ...)`, ...). A
// Level runs for a batch of parent rows at once (the top level for a single
// empty parent): it finds candidate subjects through its access path, fetches
// the columns its expressions need for the whole batch, filters, orders and
// limits per parent, then evaluates its nested Levels for the surviving rows,
// again as one batch. That is what keeps a nested query from probing the
// store once per parent row per attribute.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "treeql/ast.h"
#include "trine/database.h"
#include "trine/value.h"

namespace trine::treeql {

using ast::Op;

struct Level;

// When a column or sub-query result is first needed: columns of the WHERE
// clause are fetched for every candidate, those of ORDER BY for the rows that
// passed the filter, the rest only for the rows returned.
enum class Phase : unsigned char { kFilter = 0, kSort = 1, kOutput = 2 };

enum class Agg : unsigned char { kCount, kCountStar, kSum, kAvg, kMin, kMax, kExists };

// A bound expression. Like ast::Expr, one node type whose kind says which
// members are used.
struct BExpr {
  enum class Kind : unsigned char {
    kConst,     // value
    kParam,     // param (index into the statement's parameter list)
    kColumn,    // a fetched attribute: up levels out, column index `slot` of that level
    kSubject,   // the subject id of a scope (Ref): up, scope (-1: the row, k: ref scope k)
    kUnary,     // op, args[0]
    kBinary,    // op, args[0], args[1]
    kIsNull,    // args[0]; negated
    kIn,        // args[0], list args[1..] or sub-query `slot`; negated
    kLike,      // args[0], args[1]; negated
    kBetween,   // args[0..2]; negated
    kCase,      // args: when/then pairs, then the else (has_else)
    kSubquery,  // nested level `slot` of this level; form: array or one value
    kAggSub,    // agg over nested level `slot` (count(SELECT ...), sum(SELECT x ...), ...)
    kAgg,       // agg over this level's rows (count(*), sum(x), ...) in an aggregate query
    kShape,     // keys + args: an object
    kList,      // args: an array
    kGroupKey,  // GROUP BY key `slot` of the group being built (a grouped query's projection)
  };
  Kind kind = Kind::kConst;
  uint32_t pos = 0;
  Value value;
  int param = -1;
  int up = 0;
  int slot = -1;
  int scope = -1;
  Op op = Op::kEq;
  bool negated = false;
  bool has_else = false;
  bool distinct = false;
  ast::Expr::Form form = ast::Expr::Form::kScalar;
  Agg agg = Agg::kCount;
  std::vector<BExpr> args;
  std::vector<std::string> keys;  // kShape
  // The value's type when the binder knows it (declared fields, literals);
  // kNull when unknown (parameters, lax attributes, mixed expressions).
  ValueType static_type = ValueType::kNull;
  std::string ref_type;  // static_type kRef: the target type, if known
  // Depends on the rows of an enclosing level (correlated), or on this
  // level's row. Used by the planner to tell seek keys from filters.
  bool uses_outer = false;
  bool uses_row = false;
  bool uses_agg = false;  // contains a kAgg (aggregate query projection)
};

// An attribute a level reads: of its own row (scope -1) or of the subject a
// reference column points at (ref scope k), for paths like `o.buyer.name`.
struct Column {
  int scope = -1;
  const FieldInfo* field = nullptr;  // owned by the Level's type copies
  std::string type;                  // the type the field belongs to
  std::string label;                 // for EXPLAIN: "age", "buyer.name"
  Phase phase = Phase::kOutput;
};

// `o.buyer` followed further: the subjects a reference column points at.
struct RefScope {
  int source_column = -1;  // a column (of this level) holding the reference
  std::string type;        // the target type
};

struct AccessPath {
  enum class Kind : unsigned char {
    kNone,        // no FROM: one row
    kTypeScan,    // every subject of the type, by id
    kPoint,       // `id = e` / `id IN (...)`: ids from `keys`
    kIndexRange,  // value index of `field`: the union of `ranges`, in index order
    kRefSeek,     // reference index of `field` = key (correlated): one seek per distinct parent key
  };
  Kind kind = Kind::kTypeScan;
  const FieldInfo* field = nullptr;
  int field_column = -1;    // the column the index entries' values fill in
  std::vector<BExpr> keys;  // kPoint: the ids; kRefSeek: the referenced subject
  // kIndexRange: conditions on the field, intersected at run time:
  // (op, value) with op kEq, kLt, kLe, kGt or kGe; LIKE patterns (their
  // literal prefix bounds the range); IN lists (the first one gives points).
  std::vector<std::pair<Op, BExpr>> bounds;
  std::vector<BExpr> like_patterns;
  std::vector<std::vector<BExpr>> in_lists;
  bool descending = false;
  bool provides_order = false;  // candidates arrive in ORDER BY order
  // After an ordered index scan, rows whose ordered field is NULL still
  // follow (NULLs sort last): false when the filter rejects NULLs there.
  bool append_nulls = false;
  bool correlated = false;  // keys/bounds depend on the parent row
  // The access path alone yields exactly the rows WHERE accepts (every
  // conjunct became an index bound), so a count need not look at the rows.
  bool covers_filter = false;
  std::string describe;  // for EXPLAIN
};

struct OrderKey {
  BExpr expr;
  bool descending = false;
  bool nulls_first = false;
};

struct ShapeOut {
  // The projection: an object with these keys (shape), or one value per row.
  bool is_shape = false;
  std::vector<std::string> keys;
  std::vector<BExpr> values;  // one per key, or a single value
};

struct Level {
  uint32_t pos = 0;
  std::string type;  // empty: no FROM
  TypeInfo type_info;
  std::string alias;

  std::vector<Column> columns;
  std::vector<RefScope> ref_scopes;
  std::vector<std::unique_ptr<Level>> nested;  // sub-queries, by slot
  std::vector<Phase> nested_phase;             // when each nested level is first needed
  // Which nested levels need only their row counts / existence (no columns).

  AccessPath access;
  std::optional<BExpr> where;
  std::vector<OrderKey> order;
  std::optional<BExpr> limit, offset;  // evaluated once per parent
  ShapeOut out;
  bool aggregate = false;  // the projection aggregates the rows into one result
  // GROUP BY keys (aggregate is then true): one result row per distinct key,
  // in key order unless ORDER BY (over keys and aggregates) says otherwise.
  std::vector<BExpr> group_by;
  // Only the number of rows is needed (count/exists of this level).
  bool count_only = false;
  // Refers to rows of enclosing levels (itself or through its sub-queries).
  // An uncorrelated sub-query runs once for all parent rows.
  bool correlated = false;

  // How the enclosing expression uses a nested level's rows, per parent row:
  // as an array, as one value (an error if more than one row), or reduced by
  // an aggregate (count(SELECT ...), sum(SELECT x ...), ...).
  enum class Use : unsigned char { kArray, kScalar, kAgg };
  Use use = Use::kArray;
  Agg use_agg = Agg::kCount;
  bool use_distinct = false;
  uint32_t use_pos = 0;
};

// A bound statement.
struct Plan {
  ast::Statement::Kind kind = ast::Statement::Kind::kSelect;
  uint32_t pos = 0;
  std::unique_ptr<Level> query;  // SELECT, EXPLAIN, and the rows of UPDATE / DELETE
  bool scalar = false;           // SELECT without FROM, or an aggregate query: one value
  // INSERT / UPDATE / SET: the attributes written and their values (for
  // UPDATE evaluated per row of `query`, as its projection).
  std::string type;
  std::vector<std::string> fields;
  std::vector<uint32_t> field_pos;
  std::unique_ptr<Level> values;  // INSERT / SET / RETRACT: a no-FROM level computing the values
  int param_count = 0;
  std::vector<std::string> param_names;  // named parameters, by index after the positional ones
  uint64_t schema_version = 0;
  // Types other than the levels' own, which columns of reference paths
  // point into.
  std::vector<std::unique_ptr<TypeInfo>> types;
};

// Attribute lookup by name or by "#7".
const FieldInfo* FindAttribute(const TypeInfo& type, std::string_view name);

}  // namespace trine::treeql
