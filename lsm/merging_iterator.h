// MergingIterator: one ordered view over several sources (memtables, level-0
// tables, levels), in internal order. Each source comes with the newest
// sequence it can hold, so a range tombstone with sequence s can make every
// source whose entries are all older than s jump over the tombstone's range
// at once (SkipOlder), instead of stepping through the deleted entries.
//
// Not thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "lsm/version.h"
#include "sstable/internal_iterator.h"

namespace trine {

class MergingIterator final : public InternalIterator {
 public:
  explicit MergingIterator(std::vector<Version::SourceIterator> sources);

  bool Valid() const override { return current_ != nullptr; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view user_key, uint64_t tag) override;
  void Next() override;
  void Prev() override;
  // The current entry is copied out of the winning source once per move, so
  // these do not dispatch to the source again.
  std::string_view user_key() const override { return key_; }
  uint64_t tag() const override { return tag_; }
  std::string_view value() const override { return value_; }
  Status status() const override;

  // Moves every source whose entries are all older than `seq` (and that is
  // positioned before `end`) to the first entry >= end, then re-selects the
  // current entry. Forward direction only.
  void SkipOlder(std::string_view end, SequenceNumber seq);

 private:
  void FindExtreme(int direction);
  void FindSmallest() { FindExtreme(1); }
  void FindLargest() { FindExtreme(-1); }
  void SetCurrent(InternalIterator* it) {
    current_ = it;
    if (it != nullptr) {
      key_ = it->user_key();
      tag_ = it->tag();
      value_ = it->value();
    }
  }

  std::vector<Version::SourceIterator> sources_;
  InternalIterator* current_ = nullptr;
  std::string_view key_;
  uint64_t tag_ = 0;
  std::string_view value_;
  bool forward_ = true;
};

}  // namespace trine
