#include "lsm/merging_iterator.h"

namespace trine {

MergingIterator::MergingIterator(std::vector<Version::SourceIterator> sources)
    : sources_(std::move(sources)) {}

Status MergingIterator::status() const {
  for (const auto& s : sources_) {
    Status st = s.iter->status();
    if (!st.ok())
      return st;
  }
  return Status::OK();
}

// Makes the smallest (direction > 0) or largest (direction < 0) entry among
// the sources current. A source that stopped on an error ends the merge:
// without it the order and content of what follows cannot be trusted.
// status() then reports it.
void MergingIterator::FindExtreme(int direction) {
  if (sources_.size() == 1) {
    SetCurrent(sources_[0].iter->Valid() ? sources_[0].iter.get() : nullptr);
    return;
  }
  InternalIterator* best = nullptr;
  for (auto& s : sources_) {
    InternalIterator* it = s.iter.get();
    if (!it->Valid()) {
      if (!it->status().ok()) {
        SetCurrent(nullptr);
        return;
      }
      continue;
    }
    if (best == nullptr ||
        direction * CompareInternal(it->user_key(), it->tag(), best->user_key(), best->tag()) < 0) {
      best = it;
    }
  }
  SetCurrent(best);
}

void MergingIterator::SeekToFirst() {
  for (auto& s : sources_)
    s.iter->SeekToFirst();
  forward_ = true;
  FindSmallest();
}

void MergingIterator::SeekToLast() {
  for (auto& s : sources_)
    s.iter->SeekToLast();
  forward_ = false;
  FindLargest();
}

void MergingIterator::Seek(std::string_view user_key, uint64_t tag) {
  for (auto& s : sources_)
    s.iter->Seek(user_key, tag);
  forward_ = true;
  FindSmallest();
}

void MergingIterator::Next() {
  if (!forward_) {
    // Every other source is positioned at or before the current entry: move
    // each to the first entry after it.
    std::string key(current_->user_key());
    uint64_t tag = current_->tag();
    for (auto& s : sources_) {
      InternalIterator* it = s.iter.get();
      if (it == current_)
        continue;
      it->Seek(key, tag);
      if (it->Valid() && CompareInternal(it->user_key(), it->tag(), key, tag) == 0)
        it->Next();
    }
    forward_ = true;
  }
  current_->Next();
  FindSmallest();
}

void MergingIterator::Prev() {
  if (forward_) {
    // Move every other source to the last entry before the current one.
    std::string key(current_->user_key());
    uint64_t tag = current_->tag();
    for (auto& s : sources_) {
      InternalIterator* it = s.iter.get();
      if (it == current_)
        continue;
      it->Seek(key, tag);
      if (it->Valid()) {
        it->Prev();
      } else if (it->status().ok()) {
        it->SeekToLast();
      }
    }
    forward_ = false;
  }
  current_->Prev();
  FindLargest();
}

void MergingIterator::SkipOlder(std::string_view end, SequenceNumber seq) {
  if (!forward_)
    return;
  std::string target(end);  // `end` may point into a source we are about to move
  bool moved = false;
  for (auto& s : sources_) {
    InternalIterator* it = s.iter.get();
    if (s.max_seq >= seq || !it->Valid() || it->user_key() >= target)
      continue;
    it->Seek(target, kMaxTag);
    moved = true;
  }
  if (moved)
    FindSmallest();
}

}  // namespace trine
