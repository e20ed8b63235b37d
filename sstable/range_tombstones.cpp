#include "sstable/range_tombstones.h"

#include <algorithm>

namespace trine {

FragmentedTombstones::FragmentedTombstones(const std::vector<RangeTombstone>& tombstones) {
  std::vector<std::string_view> bounds;
  bounds.reserve(tombstones.size() * 2);
  for (const auto& t : tombstones) {
    if (t.begin >= t.end)
      continue;  // empty range
    bounds.push_back(t.begin);
    bounds.push_back(t.end);
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  if (bounds.size() < 2)
    return;

  // Sweep over the elementary intervals [bounds[i], bounds[i+1]) with the
  // tombstones sorted by begin; `active` holds those that may cover the interval.
  std::vector<const RangeTombstone*> order;
  for (const auto& t : tombstones) {
    if (t.begin < t.end)
      order.push_back(&t);
  }
  std::sort(order.begin(), order.end(),
            [](const RangeTombstone* a, const RangeTombstone* b) { return a->begin < b->begin; });
  std::vector<const RangeTombstone*> active;
  size_t next = 0;
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    std::string_view lo = bounds[i], hi = bounds[i + 1];
    while (next < order.size() && order[next]->begin <= lo)
      active.push_back(order[next++]);
    std::erase_if(active, [&](const RangeTombstone* t) { return t->end <= lo; });
    if (active.empty())
      continue;
    Fragment f;
    for (const RangeTombstone* t : active)
      f.seqs.push_back(t->seq);
    std::sort(f.seqs.begin(), f.seqs.end(), std::greater<>());
    f.seqs.erase(std::unique(f.seqs.begin(), f.seqs.end()), f.seqs.end());
    // Merge with the previous fragment when it is adjacent with the same sequences.
    if (!fragments_.empty() && fragments_.back().end == lo && fragments_.back().seqs == f.seqs) {
      fragments_.back().end.assign(hi);
      continue;
    }
    f.begin.assign(lo);
    f.end.assign(hi);
    fragments_.push_back(std::move(f));
  }
}

size_t FragmentedTombstones::LowerBound(std::string_view key) const {
  auto it = std::upper_bound(fragments_.begin(), fragments_.end(), key,
                             [](std::string_view k, const Fragment& f) { return k < f.end; });
  return static_cast<size_t>(it - fragments_.begin());
}

int FragmentedTombstones::Find(std::string_view key) const {
  size_t i = LowerBound(key);
  if (i < fragments_.size() && fragments_[i].begin <= key)
    return static_cast<int>(i);
  return -1;
}

}  // namespace trine
