// Block format (data blocks and index blocks; all blocks are uncompressed
// here, compression happens per block in the table builder):
//
//   entry*  restart_offset: fixed32 * num_restarts  num_restarts: fixed32
//
// entry := shared: varint32      bytes of the key shared with the previous entry's key
//          unshared: varint32    bytes of the key that follow
//          value_len: varint32
//          tag: varint64         sequence << 8 | kind (see internal_key.h)
//          key_delta: char[unshared]
//          value: char[value_len]
//
// Every restart_interval-th entry is a restart point: shared = 0, the whole
// key is stored, and its offset is listed in the trailer. The trailer has
// fixed-width offsets so a reader binary-searches the restart points without
// decoding the block, then decodes at most restart_interval entries.
#include "sstable/block_builder.h"

#include <algorithm>
#include <cassert>

#include "common/coding.h"

namespace trine {

BlockBuilder::BlockBuilder(int restart_interval)
    : restart_interval_(std::max(1, restart_interval)) {
  restarts_.push_back(0);
}

void BlockBuilder::Reset() {
  buffer_.clear();
  restarts_.clear();
  restarts_.push_back(0);
  counter_ = 0;
  num_entries_ = 0;
  finished_ = false;
  last_key_.clear();
}

void BlockBuilder::Add(std::string_view user_key, uint64_t tag, std::string_view value) {
  assert(!finished_);
  size_t shared = 0;
  if (counter_ < restart_interval_) {
    size_t min_len = std::min(last_key_.size(), user_key.size());
    while (shared < min_len && last_key_[shared] == user_key[shared])
      ++shared;
  } else {
    restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
    counter_ = 0;
  }
  size_t unshared = user_key.size() - shared;
  char header[5 + 5 + 5 + 10];
  char* p = EncodeVarint32(header, static_cast<uint32_t>(shared));
  p = EncodeVarint32(p, static_cast<uint32_t>(unshared));
  p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
  p = EncodeVarint64(p, tag);
  buffer_.append(header, static_cast<size_t>(p - header));
  buffer_.append(user_key.data() + shared, unshared);
  buffer_.append(value.data(), value.size());
  last_key_.resize(shared);
  last_key_.append(user_key.data() + shared, unshared);
  ++counter_;
  ++num_entries_;
}

std::string_view BlockBuilder::Finish() {
  for (uint32_t r : restarts_)
    PutFixed32(&buffer_, r);
  PutFixed32(&buffer_, static_cast<uint32_t>(restarts_.size()));
  finished_ = true;
  return buffer_;
}

}  // namespace trine
