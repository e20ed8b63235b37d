// Applies live-query diffs to a result, following LiveChange's rules: tests
// check that a subscriber who applies every diff to the first result ends
// with the current one.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "trine/live.h"
#include "trine/treeql.h"

namespace trine::test {

// Applies `d` to `list` following LiveChange's rules (recursing into paths).
inline void ApplyList(Tree* list, const std::vector<const LiveChange*>& changes) {
  std::vector<Tree> rows = std::move(list->items());
  std::vector<const LiveChange*> inserts;
  for (const LiveChange* c : changes) {
    if (c->kind == LiveChange::Kind::kRemoved || c->kind == LiveChange::Kind::kMoved)
      rows.erase(std::remove_if(rows.begin(), rows.end(),
                                [&](const Tree& t) { return t.subject() == c->id; }),
                 rows.end());
    if (c->kind == LiveChange::Kind::kAdded || c->kind == LiveChange::Kind::kMoved)
      inserts.push_back(c);
  }
  std::sort(inserts.begin(), inserts.end(),
            [](const LiveChange* a, const LiveChange* b) { return a->new_pos < b->new_pos; });
  for (const LiveChange* c : inserts) {
    Tree t = c->row;
    t.set_subject(c->id);
    size_t at = std::min<size_t>(static_cast<size_t>(c->new_pos), rows.size());
    rows.insert(rows.begin() + static_cast<ptrdiff_t>(at), std::move(t));
  }
  for (const LiveChange* c : changes)
    if (c->kind == LiveChange::Kind::kChanged)
      for (Tree& t : rows)
        if (t.subject() == c->id) {
          t = c->row;
          t.set_subject(c->id);
        }
  list->items() = std::move(rows);
}

inline void ApplyDiff(Tree* result, const LiveDiff& d, size_t depth = 0) {
  if (d.value_changed) {
    *result = d.value;
    return;
  }
  std::vector<const LiveChange*> here;
  std::map<std::pair<uint64_t, std::string>, LiveDiff> below;
  for (const LiveChange& c : d.changes) {
    if (c.path.size() == depth) {
      here.push_back(&c);
    } else {
      const LivePathStep& s = c.path[depth];
      below[{s.row, s.key}].changes.push_back(c);
    }
  }
  for (auto& [where, sub] : below)
    for (Tree& row : result->items())
      if (row.subject() == where.first)
        for (size_t m = 0; m < row.keys().size(); ++m)
          if (row.keys()[m] == where.second)
            ApplyDiff(&row.members()[m], sub, depth + 1);
  ApplyList(result, here);
}

}  // namespace trine::test
