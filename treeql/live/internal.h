// What the view maintainer (views.cpp) uses of the live-query operators
// (live.cpp): a view is maintained by the same incremental operator as a
// live query, fed the commit's changes before the commit is written.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "treeql/plan.h"
#include "trine/database.h"
#include "trine/live.h"

namespace trine::treeql::live {

class QueryImpl;

// Compiles a parameterless SELECT (errors formatted with line, column and caret).
Result<std::shared_ptr<QueryImpl>> CompileLive(Database& db, const std::string& text);
const Plan& LivePlan(const QueryImpl& q);
// The (type, attribute) pairs the query reads; attribute 0: subjects created or deleted.
std::vector<std::pair<uint64_t, uint64_t>> LiveWatches(const QueryImpl& q);
Status HydrateLive(QueryImpl& q, Transaction& txn);
// Whether every type `plan` reads is in `db`'s schema now as it was when
// bound: a schema change elsewhere leaves the plan (and what it computed)
// valid.
bool StillBinds(const Plan& plan, Database& db);
Status ApplyLive(QueryImpl& q, const ChangeSet& cs, Transaction& txn, LiveDiff* diff,
                 bool* changed);

}  // namespace trine::treeql::live
