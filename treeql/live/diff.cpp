#include "treeql/live/diff.h"

#include <algorithm>
#include <unordered_map>

namespace trine::treeql::live {
namespace {

// Rows `a` and `b` (same subject) differ only in members that are lists of
// rows: those members' keys, or false if anything else differs.
bool NestedOnly(const Tree& a, const Tree& b, std::vector<size_t>* members) {
  if (!a.is_object() || !b.is_object() || a.keys() != b.keys())
    return false;
  for (size_t i = 0; i < a.members().size(); ++i) {
    const Tree& x = a.members()[i];
    const Tree& y = b.members()[i];
    if (x == y)
      continue;
    if (!x.is_array() || !y.is_array() || !Addressable(x) || !Addressable(y))
      return false;
    members->push_back(i);
  }
  return true;
}

}  // namespace

bool Addressable(const Tree& list) {
  if (!list.is_array())
    return false;
  for (const Tree& t : list.items())
    if (t.subject() == 0)
      return false;
  return true;
}

void DiffRow(const std::vector<LivePathStep>& path, const Tree& a, const Tree& b, int64_t old_pos,
             int64_t new_pos, std::vector<LiveChange>* out) {
  if (a == b)
    return;
  std::vector<size_t> members;
  if (NestedOnly(a, b, &members)) {
    for (size_t m : members) {
      std::vector<LivePathStep> sub = path;
      sub.push_back(LivePathStep{b.subject(), b.keys()[m]});
      std::vector<const Tree*> x, y;
      for (const Tree& t : a.members()[m].items())
        x.push_back(&t);
      for (const Tree& t : b.members()[m].items())
        y.push_back(&t);
      DiffLists(sub, x, y, out);
    }
    return;
  }
  AddChange(path, LiveChange::Kind::kChanged, b.subject(), old_pos, new_pos, &b, out);
}

void AddChange(const std::vector<LivePathStep>& path, LiveChange::Kind kind, uint64_t id,
               int64_t old_pos, int64_t new_pos, const Tree* row, std::vector<LiveChange>* out) {
  LiveChange c;
  c.kind = kind;
  c.path = path;
  c.id = id;
  c.old_pos = old_pos;
  c.new_pos = new_pos;
  if (row != nullptr)
    c.row = *row;
  out->push_back(std::move(c));
}

std::vector<uint8_t> KeptInOrder(const std::vector<uint64_t>& new_pos) {
  // Patience sorting: tails[p] is the smallest last value of an increasing
  // run of length p + 1; prev links each element to its run's predecessor.
  std::vector<uint64_t> tails;
  std::vector<size_t> tails_idx, prev(new_pos.size(), SIZE_MAX);
  for (size_t k = 0; k < new_pos.size(); ++k) {
    auto p = static_cast<size_t>(std::lower_bound(tails.begin(), tails.end(), new_pos[k]) -
                                 tails.begin());
    if (p == tails.size()) {
      tails.push_back(new_pos[k]);
      tails_idx.push_back(k);
    } else {
      tails[p] = new_pos[k];
      tails_idx[p] = k;
    }
    prev[k] = p > 0 ? tails_idx[p - 1] : SIZE_MAX;
  }
  std::vector<uint8_t> stays(new_pos.size(), 0);
  for (size_t k = tails_idx.empty() ? SIZE_MAX : tails_idx.back(); k != SIZE_MAX; k = prev[k])
    stays[k] = 1;
  return stays;
}

void DiffLists(const std::vector<LivePathStep>& path, const std::vector<const Tree*>& before,
               const std::vector<const Tree*>& after, std::vector<LiveChange>* out) {
  std::unordered_map<uint64_t, size_t> new_pos;
  new_pos.reserve(after.size() * 2);
  for (size_t i = 0; i < after.size(); ++i)
    new_pos.emplace(after[i]->subject(), i);
  std::unordered_map<uint64_t, size_t> old_pos;
  old_pos.reserve(before.size() * 2);
  for (size_t i = 0; i < before.size(); ++i)
    old_pos.emplace(before[i]->subject(), i);

  auto emit = [&](LiveChange::Kind kind, uint64_t id, int64_t o, int64_t n, const Tree* row) {
    AddChange(path, kind, id, o, n, row, out);
  };

  // Rows in both lists, in old order, with their new positions; those on a
  // longest increasing run of new positions stay, the others moved.
  std::vector<size_t> common_old;
  std::vector<uint64_t> common_new;
  for (size_t i = 0; i < before.size(); ++i) {
    auto it = new_pos.find(before[i]->subject());
    if (it == new_pos.end()) {
      emit(LiveChange::Kind::kRemoved, before[i]->subject(), static_cast<int64_t>(i), -1, nullptr);
    } else {
      common_old.push_back(i);
      common_new.push_back(it->second);
    }
  }
  std::vector<uint8_t> stays = KeptInOrder(common_new);
  for (size_t k = 0; k < common_new.size(); ++k) {
    const Tree* a = before[common_old[k]];
    const Tree* b = after[common_new[k]];
    auto o = static_cast<int64_t>(common_old[k]);
    auto n = static_cast<int64_t>(common_new[k]);
    if (!stays[k]) {
      emit(LiveChange::Kind::kMoved, b->subject(), o, n, b);
      continue;
    }
    DiffRow(path, *a, *b, o, n, out);
  }
  for (size_t i = 0; i < after.size(); ++i)
    if (!old_pos.contains(after[i]->subject()))
      emit(LiveChange::Kind::kAdded, after[i]->subject(), -1, static_cast<int64_t>(i), after[i]);
}

size_t DiffResults(const Tree& before, const Tree& after, LiveDiff* out) {
  if (!before.is_array() || !after.is_array() || !Addressable(before) || !Addressable(after)) {
    out->value_changed = true;
    out->value = after;
    return 0;
  }
  std::vector<const Tree*> a, b;
  for (const Tree& t : before.items())
    a.push_back(&t);
  for (const Tree& t : after.items())
    b.push_back(&t);
  DiffLists({}, a, b, &out->changes);
  return a.size() + b.size();
}

}  // namespace trine::treeql::live
