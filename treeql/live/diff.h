// Diffs between two versions of a result list (live.cpp), by subject id.
#pragma once

#include <cstdint>
#include <vector>

#include "trine/live.h"
#include "trine/treeql.h"

namespace trine::treeql::live {

// Appends to `out` the changes that turn `before` into `after` (rows with
// subjects; the semantics of LiveChange). Rows kept in place whose content
// differs only inside nested lists of rows give path-addressed changes of
// those lists instead of a kChanged of the whole row. Moves are minimal:
// the rows kept in relative order are a longest increasing subsequence.
void DiffLists(const std::vector<LivePathStep>& path, const std::vector<const Tree*>& before,
               const std::vector<const Tree*>& after, std::vector<LiveChange>* out);

// Appends one change; `row` is the row now (null for kRemoved).
void AddChange(const std::vector<LivePathStep>& path, LiveChange::Kind kind, uint64_t id,
               int64_t old_pos, int64_t new_pos, const Tree* row, std::vector<LiveChange>* out);

// Rows present before and after, in their old order, with their new
// positions: which of them stay in place (1) — a longest increasing run of
// new positions, so moves are minimal — and which moved (0).
std::vector<uint8_t> KeptInOrder(const std::vector<uint64_t>& new_pos);

// A row that kept its place, `a` before and `b` now: nothing if equal;
// path-addressed changes of its nested lists if only those differ (as
// above); else one kChanged.
void DiffRow(const std::vector<LivePathStep>& path, const Tree& a, const Tree& b, int64_t old_pos,
             int64_t new_pos, std::vector<LiveChange>* out);

// True if every row of `list` (an array) has a subject, so DiffLists applies.
bool Addressable(const Tree& list);

// The diff between two whole results: DiffLists of their rows when both are
// addressable lists, else the new value (value_changed). Returns the rows
// compared.
size_t DiffResults(const Tree& before, const Tree& after, LiveDiff* out);

}  // namespace trine::treeql::live
