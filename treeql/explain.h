// EXPLAIN output (explain.cpp).
#pragma once

#include <string>

#include "treeql/plan.h"

namespace trine::treeql {

// The plan tree as text: every (sub-)query with its access path.
std::string Explain(const Plan& plan);

}  // namespace trine::treeql
