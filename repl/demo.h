// The demo store of `trine --demo` (and `make run`): the schema in
// repl/demo/schema.tql and a few thousand generated rows, the same on every
// run, to try nested queries on.
#pragma once

#include <string>

#include "trine/database.h"
#include "trine/status.h"

namespace trine::repl {

struct DemoSize {
  int users = 2000;
  int posts = 6000;
  int comments = 4000;
};

// Creates the demo schema and rows if `db` has no types yet, in one durable
// commit (all or nothing). Returns true if it created them, false if the
// store already had types (it is then left as it is).
Result<bool> EnsureDemo(Database& db, const DemoSize& size = {});

// What the prompt shows first in demo mode: the store, and example queries.
std::string DemoBanner(const std::string& path, bool created, const DemoSize& size = {});

}  // namespace trine::repl
