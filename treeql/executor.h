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

  // Where the last error points in the statement text (0: nowhere).
  uint32_t error_pos() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trine::treeql
