#include "sstable/block.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/coding.h"

namespace trine {

Block::Block(std::string contents) : data_(std::move(contents)) {
  if (data_.size() < sizeof(uint32_t))
    return;
  uint32_t n = DecodeFixed32(data_.data() + data_.size() - 4);
  uint64_t max_restarts = (data_.size() - 4) / 4;
  if (n == 0 || n > max_restarts)
    return;
  restarts_offset_ = static_cast<uint32_t>(data_.size() - (1 + static_cast<size_t>(n)) * 4);
  num_restarts_ = n;
}

std::unique_ptr<InternalIterator> Block::NewIterator(std::string_view file) const {
  if (!ok()) {
    return std::make_unique<EmptyIterator>(
        Status::Corruption(std::string(file) + ": malformed block trailer"));
  }
  return std::make_unique<BlockIter>(this, file);
}

void BlockIter::Init(const Block* block, std::string_view file) {
  data_ = block->data_.data();
  restarts_ = block->restarts_offset_;
  num_restarts_ = block->num_restarts_;
  current_ = restarts_;
  next_ = restarts_;
  key_len_ = 0;
  status_ =
      block->ok() ? Status::OK() : Status::Corruption(std::string(file) + ": malformed block");
  if (!block->ok())
    num_restarts_ = 0;
  file_ = file;
}

uint32_t BlockIter::RestartPoint(uint32_t index) const {
  return DecodeFixed32(data_ + restarts_ + index * 4);
}

void BlockIter::MarkCorrupt() {
  current_ = restarts_;
  next_ = restarts_;
  status_ = Status::Corruption(std::string(file_) + ": bad entry in block");
}

void BlockIter::SeekToRestart(uint32_t index) {
  key_len_ = 0;
  next_ = RestartPoint(index);
  if (next_ > restarts_)
    next_ = restarts_;
}

bool BlockIter::ParseNextEntry() {
  current_ = next_;
  if (current_ >= restarts_) {
    current_ = restarts_;
    return false;
  }
  const char* p = data_ + current_;
  const char* limit = data_ + restarts_;
  uint32_t shared, unshared, vlen;
  // Fast path: the three lengths are single bytes in almost every entry.
  if (limit - p >= 3 && ((static_cast<uint8_t>(p[0]) | static_cast<uint8_t>(p[1]) |
                          static_cast<uint8_t>(p[2])) < 128)) {
    shared = static_cast<uint8_t>(p[0]);
    unshared = static_cast<uint8_t>(p[1]);
    vlen = static_cast<uint8_t>(p[2]);
    p += 3;
  } else {
    if ((p = GetVarint32Ptr(p, limit, &shared)) == nullptr ||
        (p = GetVarint32Ptr(p, limit, &unshared)) == nullptr ||
        (p = GetVarint32Ptr(p, limit, &vlen)) == nullptr) {
      MarkCorrupt();
      return false;
    }
  }
  uint64_t tag;
  if (p < limit && static_cast<uint8_t>(*p) < 128) {
    tag = static_cast<uint8_t>(*p++);
  } else if ((p = GetVarint64Ptr(p, limit, &tag)) == nullptr) {
    MarkCorrupt();
    return false;
  }
  if (shared > key_len_ || static_cast<size_t>(limit - p) < static_cast<size_t>(unshared) + vlen) {
    MarkCorrupt();
    return false;
  }
  size_t len = shared + unshared;
  if (key_cap_ < len)
    GrowKey(len);
  if (unshared > 0)
    std::memcpy(key_ + shared, p, unshared);
  key_len_ = len;
  tag_ = tag;
  value_ = std::string_view(p + unshared, vlen);
  next_ = static_cast<uint32_t>(p + unshared + vlen - data_);
  return true;
}

void BlockIter::GrowKey(size_t len) {
  const size_t cap = std::max(len, 2 * key_cap_);
  auto grown = std::make_unique<char[]>(cap);
  std::memcpy(grown.get(), key_, key_len_);  // the prefix the next key shares
  heap_key_ = std::move(grown);
  key_ = heap_key_.get();
  key_cap_ = cap;
}

void BlockIter::SeekToFirst() {
  if (num_restarts_ == 0)
    return;
  SeekToRestart(0);
  ParseNextEntry();
}

void BlockIter::SeekToLast() {
  if (num_restarts_ == 0)
    return;
  SeekToRestart(num_restarts_ - 1);
  while (ParseNextEntry() && next_ < restarts_) {
  }
}

void BlockIter::Next() {
  ParseNextEntry();
}

void BlockIter::Prev() {
  const uint32_t original = current_;
  if (original == RestartPoint(0)) {
    current_ = restarts_;
    next_ = restarts_;
    return;
  }
  // The last restart point before the current entry, then scan forward.
  uint32_t lo = 0, hi = num_restarts_ - 1;
  while (lo < hi) {
    uint32_t mid = (lo + hi + 1) / 2;
    if (RestartPoint(mid) < original) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  SeekToRestart(lo);
  while (ParseNextEntry() && next_ < original) {
  }
}

void BlockIter::Seek(std::string_view target, uint64_t target_tag) {
  if (num_restarts_ == 0)
    return;
  // Binary search for the last restart point whose key is < target. A
  // block found through the index is usually not in the CPU cache: each
  // step starts loading the entries the next step may read, so the misses
  // of two steps overlap.
  auto prefetch_restart = [&](uint32_t index) {
    if (uint32_t off = RestartPoint(index); off < restarts_)  // a corrupt offset is caught below
      __builtin_prefetch(data_ + off);
  };
  uint32_t left = 0, right = num_restarts_ - 1;
  while (left < right) {
    uint32_t mid = (left + right + 1) / 2;
    if (left < mid - 1)
      prefetch_restart((left + mid) / 2);
    if (mid < right)
      prefetch_restart((mid + right + 1) / 2);
    uint32_t off = RestartPoint(mid);
    const char* p = data_ + off;
    const char* limit = data_ + restarts_;
    uint32_t shared, unshared, vlen;
    uint64_t tag;
    if (off >= restarts_ || (p = GetVarint32Ptr(p, limit, &shared)) == nullptr ||
        (p = GetVarint32Ptr(p, limit, &unshared)) == nullptr ||
        (p = GetVarint32Ptr(p, limit, &vlen)) == nullptr ||
        (p = GetVarint64Ptr(p, limit, &tag)) == nullptr || shared != 0 ||
        static_cast<size_t>(limit - p) < unshared) {
      MarkCorrupt();
      return;
    }
    if (CompareInternal(std::string_view(p, unshared), tag, target, target_tag) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  SeekToRestart(left);
  // The scan reads the restart interval's entries in order: load its lines
  // together rather than one miss after another.
  const uint32_t end = left + 1 < num_restarts_ ? RestartPoint(left + 1) : restarts_;
  for (uint32_t off = next_ + 64; off < end && off < restarts_; off += 64)
    __builtin_prefetch(data_ + off);
  while (ParseNextEntry()) {
    if (CompareInternal(user_key(), tag_, target, target_tag) >= 0)
      return;
  }
}

}  // namespace trine
