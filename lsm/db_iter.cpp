#include "lsm/db_iter.h"

namespace trine {

RangeDelView::Cover RangeDelView::Covering(std::string_view key, SequenceNumber snapshot) {
  Cover best;
  for (auto& l : lists_) {
    const auto& frags = l.list->fragments();
    // Reuse the last position while `key` stays between the previous
    // fragment's end and this fragment's end (the common case in a scan).
    bool hit = l.cached && (l.index == frags.size() || key < frags[l.index].end) &&
               (l.index == 0 || key >= frags[l.index - 1].end);
    if (!hit) {
      l.index = l.list->LowerBound(key);
      l.cached = true;
    }
    if (l.index == frags.size() || key < frags[l.index].begin)
      continue;
    SequenceNumber s = frags[l.index].MaxAt(snapshot);
    if (s > best.seq) {
      best.seq = s;
      best.end = frags[l.index].end;
    }
  }
  return best;
}

DBIter::DBIter(std::unique_ptr<MergingIterator> iter, RangeDelView tombstones,
               SequenceNumber snapshot, std::string lower_bound, std::string upper_bound,
               std::shared_ptr<const void> pin)
    : pin_(std::move(pin)),
      iter_(std::move(iter)),
      tombstones_(std::move(tombstones)),
      snapshot_(snapshot),
      lower_(std::move(lower_bound)),
      upper_(std::move(upper_bound)) {}

std::string_view DBIter::key() const {
  return direction_ == Direction::kForward ? iter_->user_key() : std::string_view(saved_key_);
}

std::string_view DBIter::value() const {
  return direction_ == Direction::kForward ? iter_->value() : std::string_view(saved_value_);
}

Status DBIter::status() const {
  if (!status_.ok())
    return status_;
  return iter_->status();
}

void DBIter::FindNextUserEntry(bool skipping) {
  // saved_key_ holds the key to skip when `skipping`.
  while (iter_->Valid()) {
    std::string_view k = iter_->user_key();
    if (!upper_.empty() && CompareBytes(k, upper_) >= 0)
      break;
    uint64_t tag = iter_->tag();
    SequenceNumber seq = TagSequence(tag);
    if (seq > snapshot_ ||
        (skipping && k.size() == saved_key_.size() && CompareBytes(k, saved_key_) == 0)) {
      iter_->Next();
      continue;
    }
    // The newest visible version of k.
    if (!tombstones_.empty()) {
      RangeDelView::Cover cover = tombstones_.Covering(k, snapshot_);
      if (cover.seq > seq) {
        saved_key_.assign(k);
        skipping = true;
        iter_->SkipOlder(cover.end, cover.seq);
        continue;
      }
    }
    if (TagKind(tag) != ValueKind::kPut) {
      saved_key_.assign(k);
      skipping = true;
      iter_->Next();
      continue;
    }
    valid_ = true;
    return;
  }
  valid_ = false;
}

void DBIter::FindPrevUserEntry() {
  // Walking backward, the versions of a key arrive oldest first: remember the
  // newest visible one until the walk reaches a smaller key.
  bool have = false;
  while (iter_->Valid()) {
    std::string_view k = iter_->user_key();
    if (have && k < saved_key_)
      break;
    if (!lower_.empty() && k < lower_)
      break;
    uint64_t tag = iter_->tag();
    SequenceNumber seq = TagSequence(tag);
    if (seq <= snapshot_) {
      bool deleted = TagKind(tag) != ValueKind::kPut ||
                     (!tombstones_.empty() && tombstones_.Covering(k, snapshot_).seq > seq);
      if (deleted) {
        have = false;
        saved_key_.clear();
        saved_value_.clear();
      } else {
        have = true;
        saved_key_.assign(k);
        saved_value_.assign(iter_->value());
      }
    }
    iter_->Prev();
  }
  // Stopped by an error: what was collected may not be the newest version.
  if (!iter_->Valid() && !iter_->status().ok())
    have = false;
  valid_ = have;
  if (!have) {
    saved_key_.clear();
    saved_value_.clear();
  }
}

void DBIter::SeekBefore(std::string_view target) {
  if (target.empty()) {
    iter_->SeekToLast();
    return;
  }
  iter_->Seek(target, kMaxTag);
  if (iter_->Valid()) {
    iter_->Prev();
  } else if (iter_->status().ok()) {
    iter_->SeekToLast();
  }
}

void DBIter::SeekToFirst() {
  direction_ = Direction::kForward;
  if (!lower_.empty()) {
    iter_->Seek(lower_, SeekTag(snapshot_));
  } else {
    iter_->SeekToFirst();
  }
  FindNextUserEntry(false);
}

void DBIter::Seek(std::string_view target) {
  direction_ = Direction::kForward;
  if (!lower_.empty() && target < lower_)
    target = lower_;
  iter_->Seek(target, SeekTag(snapshot_));
  FindNextUserEntry(false);
}

void DBIter::SeekToLast() {
  direction_ = Direction::kReverse;
  SeekBefore(upper_);
  FindPrevUserEntry();
}

void DBIter::SeekForPrev(std::string_view target) {
  direction_ = Direction::kReverse;
  if (!upper_.empty() && target >= upper_) {
    SeekBefore(upper_);
  } else {
    // The first key after `target` is target + "\0".
    std::string after(target);
    after.push_back('\0');
    SeekBefore(after);
  }
  FindPrevUserEntry();
}

void DBIter::Next() {
  if (direction_ == Direction::kReverse) {
    // iter_ sits before every entry of saved_key_ (or is exhausted at the front).
    direction_ = Direction::kForward;
    if (!iter_->Valid()) {
      if (!iter_->status().ok()) {
        valid_ = false;
        return;
      }
      iter_->SeekToFirst();
    } else {
      iter_->Next();
    }
  } else {
    saved_key_.assign(iter_->user_key());
    iter_->Next();
  }
  FindNextUserEntry(true);
}

void DBIter::Prev() {
  if (direction_ == Direction::kForward) {
    // Step back past every entry of the current key.
    saved_key_.assign(iter_->user_key());
    while (true) {
      iter_->Prev();
      if (!iter_->Valid() || iter_->user_key() < saved_key_)
        break;
    }
    direction_ = Direction::kReverse;
  }
  FindPrevUserEntry();
}

}  // namespace trine
