// TableCache: opens table files on first use and keeps their readers (with
// index, filter and range tombstones in memory) for as long as the file is
// part of some version. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "sstable/block_cache.h"
#include "sstable/table_reader.h"
#include "trine/file_system.h"

namespace trine {

// One table file of the store, shared by every version that contains it.
struct FileMetaData {
  uint64_t number = 0;
  uint64_t file_size = 0;
  // Bounds of the user keys the file speaks about: its point keys and the
  // ranges of its range tombstones. When a tombstone's (exclusive) end is the
  // upper bound, largest_exclusive is set.
  std::string smallest;
  std::string largest;
  bool largest_exclusive = false;
  SequenceNumber smallest_seq = 0;
  SequenceNumber largest_seq = 0;
  uint64_t num_entries = 0;
  uint64_t num_range_dels = 0;

  // Opened lazily by TableCache.
  mutable std::mutex open_mu;
  mutable std::atomic<const TableReader*> reader{nullptr};
  mutable std::unique_ptr<TableReader> reader_owner;

  // Whether `key` is within [smallest, largest] (or [smallest, largest)).
  bool Contains(std::string_view key) const {
    if (key < smallest)
      return false;
    return largest_exclusive ? key < largest : key <= largest;
  }
  // Whether the file's range ends before `key`.
  bool EndsBefore(std::string_view key) const {
    return largest_exclusive ? largest <= key : largest < key;
  }
};

class TableCache {
 public:
  TableCache(std::shared_ptr<FileSystem> fs, std::string dir,
             std::shared_ptr<BlockCache> block_cache)
      : fs_(std::move(fs)), dir_(std::move(dir)), block_cache_(std::move(block_cache)) {}

  // The reader of `file`, opening it if needed. Errors are not cached: a
  // later call retries (a transient I/O error does not poison the file).
  Result<const TableReader*> Get(const FileMetaData& file);

 private:
  std::shared_ptr<FileSystem> fs_;
  std::string dir_;
  std::shared_ptr<BlockCache> block_cache_;
};

}  // namespace trine
