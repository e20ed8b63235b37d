// DBIter: the user's iterator. Turns the merged internal stream (every
// version and tombstone of every key) into the latest value of each live key
// as of one snapshot, within [lower_bound, upper_bound).
//
// Range tombstones: when the newest visible entry of a key is covered by a
// tombstone, every source older than the tombstone jumps to the end of the
// covered fragment at once, so a seek into a deleted range costs one seek per
// source instead of a step per deleted entry.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lsm/merging_iterator.h"
#include "sstable/range_tombstones.h"
#include "trine/iterator.h"

namespace trine {

// The tombstones a DBIter consults: one fragmented list per source group.
class RangeDelView {
 public:
  void Add(std::shared_ptr<const FragmentedTombstones> list) {
    if (list && !list->empty())
      lists_.push_back({std::move(list), 0, false});
  }
  bool empty() const { return lists_.empty(); }

  struct Cover {
    SequenceNumber seq = 0;  // 0: not covered
    std::string_view end;    // end of the covering fragment
  };
  // The newest tombstone <= snapshot covering `key`.
  Cover Covering(std::string_view key, SequenceNumber snapshot);

 private:
  struct List {
    std::shared_ptr<const FragmentedTombstones> list;
    size_t index;  // cached LowerBound of the last key asked
    bool cached;
  };
  std::vector<List> lists_;
};

class DBIter final : public Iterator {
 public:
  // `pin` keeps the memtables and version the sources read from alive.
  DBIter(std::unique_ptr<MergingIterator> iter, RangeDelView tombstones, SequenceNumber snapshot,
         std::string lower_bound, std::string upper_bound, std::shared_ptr<const void> pin);

  bool Valid() const override { return valid_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override;
  std::string_view value() const override;
  Status status() const override;

 private:
  enum class Direction { kForward, kReverse };

  void FindNextUserEntry(bool skipping);
  void FindPrevUserEntry();
  // Positions the internal iterator at the last entry with user key < target
  // (target empty: the very last entry).
  void SeekBefore(std::string_view target);

  std::shared_ptr<const void> pin_;
  std::unique_ptr<MergingIterator> iter_;
  RangeDelView tombstones_;
  const SequenceNumber snapshot_;
  const std::string lower_;
  const std::string upper_;
  Direction direction_ = Direction::kForward;
  bool valid_ = false;
  std::string saved_key_;    // forward: key being skipped; reverse: current key
  std::string saved_value_;  // reverse: current value
  Status status_;
};

}  // namespace trine
