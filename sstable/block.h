// Block: one uncompressed, checksum-verified block of a table, and the
// iterator over its entries (format in block_builder.cpp).
//
// Thread-safe: a Block is immutable; each iterator is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sstable/internal_iterator.h"

namespace trine {

class Block {
 public:
  // Takes the block's bytes. Check ok() before use: a malformed trailer
  // (possible only with a bug or undetected corruption) makes it unusable.
  explicit Block(std::string contents);

  bool ok() const { return num_restarts_ > 0; }
  size_t size() const { return data_.size(); }
  // Memory charged to the block cache.
  size_t charge() const { return data_.capacity() + sizeof(Block); }

  // `file` names the table in error messages.
  std::unique_ptr<InternalIterator> NewIterator(std::string_view file = {}) const;

 private:
  friend class BlockIter;
  std::string data_;
  uint32_t restarts_offset_ = 0;  // where the restart array starts
  uint32_t num_restarts_ = 0;
};

// Exposed so the table iterator can hold one by value (no allocation per block).
class BlockIter final : public InternalIterator {
 public:
  BlockIter() = default;
  BlockIter(const Block* block, std::string_view file) { Init(block, file); }
  BlockIter(const BlockIter&) = delete;  // key_ may point into the object itself
  BlockIter& operator=(const BlockIter&) = delete;
  void Init(const Block* block, std::string_view file);

  bool Valid() const override { return current_ < restarts_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view user_key, uint64_t tag) override;
  void Next() override;
  void Prev() override;
  std::string_view user_key() const override { return std::string_view(key_, key_len_); }
  uint64_t tag() const override { return tag_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  uint32_t RestartPoint(uint32_t index) const;
  // Makes room for a key of len bytes, keeping the current one's bytes.
  void GrowKey(size_t len);
  void SeekToRestart(uint32_t index);
  // Decodes the entry at next_; false at the end or on corruption.
  bool ParseNextEntry();
  void MarkCorrupt();

  const char* data_ = nullptr;
  uint32_t restarts_ = 0;  // offset of the restart array == end of entries
  uint32_t num_restarts_ = 0;
  uint32_t current_ = 0;  // offset of the current entry; restarts_ when invalid
  uint32_t next_ = 0;     // offset of the entry after current_
  // The current key is key_[0, key_len_): in inline_key_ unless longer, so
  // a point read (a BlockIter on the stack) allocates nothing for the usual
  // keys.
  char inline_key_[48];
  std::unique_ptr<char[]> heap_key_;
  char* key_ = inline_key_;
  size_t key_cap_ = sizeof(inline_key_);
  size_t key_len_ = 0;
  uint64_t tag_ = 0;
  std::string_view value_;
  Status status_;
  std::string_view file_;
};

}  // namespace trine
