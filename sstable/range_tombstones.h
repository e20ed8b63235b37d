// FragmentedTombstones: range tombstones cut into disjoint fragments, so
// "which tombstones cover key k" is one binary search, and an iterator can
// jump from a covered key straight to the end of its fragment.
//
// Tombstones [a, e)@5 and [c, g)@9 become [a, c){5} [c, e){9, 5} [e, g){9}.
// Immutable after construction; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sstable/table_options.h"

namespace trine {

class FragmentedTombstones {
 public:
  struct Fragment {
    std::string begin;
    std::string end;
    std::vector<SequenceNumber> seqs;  // descending
    // The newest covering sequence visible at `snapshot` (0 if none).
    SequenceNumber MaxAt(SequenceNumber snapshot) const {
      for (SequenceNumber s : seqs) {
        if (s <= snapshot)
          return s;
      }
      return 0;
    }
  };

  FragmentedTombstones() = default;
  explicit FragmentedTombstones(const std::vector<RangeTombstone>& tombstones);

  bool empty() const { return fragments_.empty(); }
  const std::vector<Fragment>& fragments() const { return fragments_; }

  // Index of the fragment containing `key`, or -1.
  int Find(std::string_view key) const;
  // Index of the first fragment whose end is > key (fragments_.size() if none).
  size_t LowerBound(std::string_view key) const;
  // The newest sequence <= snapshot of a tombstone covering `key` (0 if none).
  SequenceNumber MaxCovering(std::string_view key, SequenceNumber snapshot) const {
    int i = Find(key);
    return i < 0 ? 0 : fragments_[static_cast<size_t>(i)].MaxAt(snapshot);
  }

 private:
  std::vector<Fragment> fragments_;
};

}  // namespace trine
