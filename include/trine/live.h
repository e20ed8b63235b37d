// Live queries: a TreeQL query whose result is maintained as commits happen
// (README.md, "Live queries").
//
//   auto q = trine::Subscribe(*db, "SELECT { id, score } FROM Item WHERE owner = 7 "
//                                  "ORDER BY score DESC LIMIT 50", {},
//                             [](const trine::LiveDiff& d, const trine::LiveQuery&) {
//                               std::cout << d.ToJson() << "\n";
//                             }).value();
//   std::cout << trine::ToJson(q->Result()) << "\n";   // the current result
//   ...                                                // commits call the callback
//   q.reset();                                         // unsubscribes
//
// Subscribe returns once the query is hydrated (its first result computed
// from the indexes, reading only what the result needs): a LiveQuery is
// always ready. After every commit that changes its result, the query yields
// a LiveDiff, in commit order, each consistent with its commit's snapshot.
// With a callback, diffs are delivered on the committing thread right after
// the commit (never while commits are held up); without one they queue up
// for Poll().
//
// A query without ORDER BY is kept in subject-id order. Destroy live queries
// before their Database; do not destroy a query from inside its own callback.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trine/database.h"
#include "trine/status.h"
#include "trine/treeql.h"

namespace trine {

// Where a change happened: under row `row` (a subject id) of the enclosing
// list, in its member `key`. An empty path is the top-level list.
struct LivePathStep {
  uint64_t row = 0;
  std::string key;
};

// One change of one result list, addressed by the row's subject id.
//
// To apply a diff to a list: remove the rows of kRemoved and kMoved changes;
// insert the rows of kAdded and kMoved changes at their new_pos, in
// ascending new_pos order; replace the rows of kChanged changes (new_pos is
// their place). A moved row also carries its new content.
struct LiveChange {
  enum class Kind : unsigned char { kAdded, kRemoved, kChanged, kMoved };
  Kind kind = Kind::kAdded;
  std::vector<LivePathStep> path;
  uint64_t id = 0;
  int64_t old_pos = -1;  // kRemoved, kChanged, kMoved
  int64_t new_pos = -1;  // kAdded, kChanged, kMoved
  Tree row;              // kAdded, kChanged, kMoved: the row now
};

struct LiveDiff {
  uint64_t sequence = 0;  // the commit's storage sequence
  std::vector<LiveChange> changes;
  // A query with a single value (an aggregate, SELECT without FROM): its new value.
  bool value_changed = false;
  Tree value;
  // The query can no longer be maintained (for example its attributes were
  // dropped by a schema change): no diffs follow.
  std::string error;

  // {"seq":n,"changes":[{"op":"add","path":[[row,"key"]...],"id":..,"pos":..,"row":...}...]}
  std::string ToJson() const;
};

// Counters, for tests and EXPLAIN LIVE: nothing here is timed.
struct LiveStats {
  uint64_t wakeups = 0;    // commits whose changes touched a watched range
  uint64_t diffs = 0;      // commits that changed the result
  uint64_t evaluated = 0;  // subjects re-evaluated
  uint64_t refills = 0;    // window refills from the index
  uint64_t reruns = 0;     // whole-query re-runs (the fallback)
  // Schema changes to a type the query reads, after which it was compiled
  // and hydrated anew (their reads count as maintenance).
  uint64_t rebinds = 0;
  // Result rows looked at to build diffs: the rows a commit touched (and
  // those it pushed across a LIMIT or OFFSET), not the result's size,
  // except for re-runs, which compare whole results.
  uint64_t diff_rows = 0;
  ReadStats hydration;    // what the first result read
  ReadStats maintenance;  // what maintenance has read since
};

// Counters of a database's live-query registry, for tests: nothing timed.
struct LiveRegistryStats {
  uint64_t queries = 0;  // live queries registered now
  uint64_t commits = 0;  // commits matched against the watches
  // Watch entries looked at to find the queries commits wake: stays
  // proportional to the queries woken, not to the queries registered.
  uint64_t watches_examined = 0;
  // Time commits spent on the committing thread matching their changes
  // against the watches and maintaining the queries they woke (diffs
  // delivered to callbacks afterwards not included).
  uint64_t maintenance_nanos = 0;
};

class LiveQuery {
 public:
  virtual ~LiveQuery() = default;  // unsubscribes

  // The current result, as after the newest commit processed (diffs being
  // delivered may lag it by the commits still in flight).
  virtual Tree Result() const = 0;
  // Hydrated: true once Subscribe has returned.
  virtual bool ready() const = 0;
  // Without a callback: the oldest diff not yet polled.
  virtual std::optional<LiveDiff> Poll() = 0;
  virtual LiveStats stats() const = 0;
  // The operators and watched ranges (EXPLAIN LIVE).
  virtual std::string Explain() const = 0;
};

using LiveCallback = std::function<void(const LiveDiff& diff, const LiveQuery& query)>;

// Makes `query` (a TreeQL SELECT, with or without the LIVE keyword) live.
// Errors are positioned like Session's.
Result<std::unique_ptr<LiveQuery>> Subscribe(Database& db, std::string_view query,
                                             const QueryParams& params = {},
                                             LiveCallback callback = {});

// Views (schema files' VIEW statements, see treeql/live/views.cpp): rebuilds
// the view `name` from its query in one transaction. Its state becomes fresh.
Status RefreshView(Database& db, std::string_view name);

// The live operator graph of `query` without subscribing.
Result<std::string> ExplainLive(Database& db, std::string_view query,
                                const QueryParams& params = {});

// The counters of `db`'s live-query registry.
LiveRegistryStats GetLiveRegistryStats(Database& db);

}  // namespace trine
