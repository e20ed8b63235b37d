// Iterator: an ordered cursor over key/value pairs.
//
// Positioned iterators return views of the current entry; the viewed bytes
// stay valid until the iterator moves or is destroyed. An error (a corrupt
// block, an I/O failure) makes the iterator invalid and is kept in status():
// check it after a loop ends, or a scan cut short by corruption looks like
// the end of the data.
//
// Not thread-safe: use one iterator from one thread at a time.
#pragma once

#include <string_view>

#include "trine/status.h"

namespace trine {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator() = default;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // Positions at the last key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  // REQUIRES: Valid()
  virtual void Next() = 0;
  // REQUIRES: Valid()
  virtual void Prev() = 0;
  // REQUIRES: Valid()
  virtual std::string_view key() const = 0;
  // REQUIRES: Valid()
  virtual std::string_view value() const = 0;
  // The first error met, or OK. Sticky.
  virtual Status status() const = 0;
};

}  // namespace trine
