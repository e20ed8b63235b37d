// BlockBuilder: builds one block (data or index) of a table. See
// block_builder.cpp for the format. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trine {

class BlockBuilder {
 public:
  // A full key is stored every `restart_interval` entries (1 for index blocks:
  // every entry is then a binary-search point).
  explicit BlockBuilder(int restart_interval);

  // REQUIRES: (user_key, tag) sorts after the previously added entry.
  void Add(std::string_view user_key, uint64_t tag, std::string_view value);
  // Appends the restart trailer; the returned view lives until Reset().
  std::string_view Finish();
  void Reset();

  // Size of the block if finished now.
  size_t EstimatedSize() const {
    return buffer_.size() + (restarts_.size() + 1) * sizeof(uint32_t);
  }
  bool empty() const { return counter_ == 0 && restarts_.size() == 1 && buffer_.empty(); }
  uint32_t num_entries() const { return num_entries_; }
  std::string_view last_key() const { return last_key_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;
  uint32_t num_entries_ = 0;
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace trine
