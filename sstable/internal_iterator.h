// InternalIterator: the cursor every storage layer exposes (blocks, tables,
// memtables, levels, merges), over (user_key, tag, value) entries in internal
// order (see internal_key.h). Unlike the public Iterator it shows every
// version and tombstone; lsm/db_iter.h turns it into the user's view.
//
// Views returned by user_key() and value() stay valid until the iterator
// moves. status() is sticky: after an error the iterator is invalid.
#pragma once

#include <cstdint>
#include <string_view>

#include "sstable/internal_key.h"
#include "trine/status.h"

namespace trine {

class InternalIterator {
 public:
  InternalIterator() = default;
  InternalIterator(const InternalIterator&) = delete;
  InternalIterator& operator=(const InternalIterator&) = delete;
  virtual ~InternalIterator() = default;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first entry >= (user_key, tag) in internal order.
  // Seek(k, kMaxTag) finds the first entry whose user key is >= k.
  virtual void Seek(std::string_view user_key, uint64_t tag) = 0;
  virtual void Next() = 0;                        // REQUIRES: Valid()
  virtual void Prev() = 0;                        // REQUIRES: Valid()
  virtual std::string_view user_key() const = 0;  // REQUIRES: Valid()
  virtual uint64_t tag() const = 0;               // REQUIRES: Valid()
  virtual std::string_view value() const = 0;     // REQUIRES: Valid()
  virtual Status status() const = 0;
};

// An iterator over nothing, or one that only reports `status`.
class EmptyIterator final : public InternalIterator {
 public:
  explicit EmptyIterator(Status status = Status::OK()) : status_(std::move(status)) {}
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view, uint64_t) override {}
  void Next() override {}
  void Prev() override {}
  std::string_view user_key() const override { return {}; }
  uint64_t tag() const override { return 0; }
  std::string_view value() const override { return {}; }
  Status status() const override { return status_; }

 private:
  Status status_;
};

}  // namespace trine
