// TableBuilder: writes one immutable table file (format in table_builder.cpp).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bloom/bloom.h"
#include "sstable/block_builder.h"
#include "sstable/format.h"
#include "sstable/table_options.h"
#include "trine/file_system.h"

namespace trine {

class TableBuilder {
 public:
  // `file_name` is used in error messages.
  TableBuilder(const TableOptions& options, std::unique_ptr<WritableFile> file,
               std::string file_name);
  ~TableBuilder();

  // REQUIRES: entries arrive in internal order (internal_key.h).
  void Add(std::string_view user_key, uint64_t tag, std::string_view value);
  // Range tombstones may arrive in any order.
  void AddRangeTombstone(std::string_view begin, std::string_view end, SequenceNumber seq);

  // Writes the remaining blocks and the footer, fsyncs and closes the file.
  Status Finish();
  // Closes the file without finishing it (the caller deletes it).
  void Abandon();

  Status status() const { return status_; }
  uint64_t num_entries() const { return props_.num_entries; }
  bool empty() const { return props_.num_entries == 0 && tombstones_.empty(); }
  // Bytes written so far plus the pending block.
  uint64_t FileSize() const { return finished_ ? offset_ : offset_ + data_block_.EstimatedSize(); }
  const TableProperties& properties() const { return props_; }

 private:
  void FlushDataBlock();
  // Compresses if it pays, appends block + trailer, returns its handle.
  BlockHandle WriteBlock(std::string_view raw, bool try_compress);
  void WriteRaw(std::string_view data);
  void FlushBuffer();

  TableOptions options_;
  std::unique_ptr<WritableFile> file_;
  std::string file_name_;
  Status status_;
  uint64_t offset_ = 0;
  std::string out_;  // written in large appends, not one syscall per block
  BlockBuilder data_block_;
  BlockBuilder index_block_;
  bloom::FilterBuilder filter_;
  std::vector<RangeTombstone> tombstones_;
  TableProperties props_;
  // The index entry for the last flushed block waits for the next key so
  // the separator can be shortened.
  bool pending_index_ = false;
  BlockHandle pending_handle_;
  std::string last_key_;
  uint64_t last_tag_ = 0;
  std::string compressed_;
  bool finished_ = false;
};

}  // namespace trine
