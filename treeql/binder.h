// The binder: resolves a parsed statement against the schema (types,
// attributes, aliases, reference paths), checks types where they are known,
// and chooses each level's access path (planner.cpp's rules, documented in
// README.md "How queries run").
#pragma once

#include <cstdint>

#include "treeql/ast.h"
#include "treeql/plan.h"
#include "trine/database.h"
#include "trine/status.h"

namespace trine::treeql {

// Base of the parameter numbers of `:name` parameters (after the `?` ones).
constexpr int kNamedParamBase = 1 << 20;

// Binds `statement` (not kSchema, kBegin, kCommit or kRollback). On error,
// *error_pos is the offset the message is about.
Result<Plan> Bind(const ast::Statement& statement, Database& db, uint32_t* error_pos);

// Chooses the access path of `level` from its WHERE and ORDER BY (called by
// Bind for every level).
void ChooseAccessPath(Level* level);

}  // namespace trine::treeql
