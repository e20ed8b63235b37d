// The executor: runs bound levels (plan.h) inside one transaction and builds
// result trees. See plan.h for how a level runs for a batch of parents.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "treeql/plan.h"
#include "trine/database.h"
#include "trine/treeql.h"

namespace trine::treeql {

// Two rows' ORDER BY key values (`order.size()` each) in ORDER BY order:
// -1, 0 or 1. NULLs sort last (first with NULLS FIRST) whatever the
// direction; ties are for the caller to break.
int CompareOrderKeys(const std::vector<OrderKey>& order, const Value* a, const Value* b);

// GROUP BY keys in result order: value by value (numbers equal across int,
// float and decimal are one key), NULLs last.
struct GroupKeyLess {
  bool operator()(const std::vector<Value>& a, const std::vector<Value>& b) const;
};

class Executor {
 public:
  // `params`: the positional parameters, then (from index `named_base`) the
  // named ones in the order of Plan::param_names.
  Executor(Transaction& txn, std::vector<Value> params, size_t named_base);
  ~Executor();

  // The result of a query: an array of row trees, or (scalar) one value.
  Status Query(const Level& level, bool scalar, Tree* out);
  // The rows a query selects (UPDATE, DELETE): their ids and projections.
  Status Rows(const Level& level, std::vector<uint64_t>* ids, std::vector<Tree>* values);

  // ---- for live queries (treeql/live/) ----

  // Changes how one level runs: with `only_ids`, its candidates are exactly
  // those subjects (OFFSET / LIMIT ignored); otherwise it returns its first
  // `budget` rows in order (replacing OFFSET / LIMIT).
  struct Override {
    const Level* level = nullptr;
    const std::vector<uint64_t>* only_ids = nullptr;
    uint64_t budget = 0;
  };
  void SetOverride(const Override& o);
  // A top-level query's rows in order with their ORDER BY keys.
  struct KeyedRow {
    uint64_t id = 0;
    std::vector<Value> key;
    Tree row;
  };
  Status KeyedRows(const Level& level, std::vector<KeyedRow>* out);
  // One row of a level without sub-queries, from its column values (own
  // columns, in column order): WHERE, then (if it matches) the ORDER BY key
  // and, if asked, the row tree. No reads.
  struct RowEval {
    bool want_row = true;
    bool assume_match = false;  // WHERE is known to hold: not evaluated
    bool match = false;
    std::vector<Value> key;
    Tree row;
  };
  Status EvalRow(const Level& level, uint64_t id, const std::vector<Value>& cols, RowEval* out);
  // The ORDER BY key alone.
  Status EvalKey(const Level& level, uint64_t id, const std::vector<Value>& cols,
                 std::vector<Value>* key);
  // Whether every ORDER BY key is one of the level's own columns or its id.
  static bool SimpleOrder(const Level& level, const std::vector<Value>& cols);
  // Aggregate queries: the kAgg nodes of the projection in pre-order; each
  // matching row's input to each (its argument; true for count(*)), followed
  // by its GROUP BY key values; and the result row from given aggregate
  // values (and the group's key).
  static void AggNodes(const BExpr& e, std::vector<const BExpr*>* out);
  Status AggInputs(const Level& level, std::vector<uint64_t>* ids,
                   std::vector<std::vector<Value>>* inputs);
  Status EvalAggInputs(const Level& level, uint64_t id, std::vector<Value> cols, bool* match,
                       std::vector<Value>* inputs);
  Result<Tree> AggregateFrom(const Level& level, const std::vector<Value>& agg_values,
                             const std::vector<Value>& group_key = {});
  Result<Value> Reduce(Agg agg, bool distinct, const std::vector<Value>& values, uint32_t pos);
  // The subject id a grouped query gives the row of a GROUP BY key (rows of
  // one key get the same id in every run; bit 62 keeps it apart from the ids
  // of entities).
  static uint64_t GroupId(const std::vector<Value>& key);

  // Where the last error points in the statement text (0: nowhere).
  uint32_t error_pos() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trine::treeql
