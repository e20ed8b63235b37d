// TableReader serves point lookups and scans from one immutable table file.
//
// Open() reads and verifies the footer, index, filter, range-deletion and
// properties blocks and keeps them in memory (the index decoded into flat
// arrays, so finding a block is a binary search without parsing); data blocks
// are read on demand through the shared block cache. Every block is
// checksum-verified when read from the file, and errors name the file and the
// block's offset.
//
// Thread-safe: const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bloom/bloom.h"
#include "sstable/block.h"
#include "sstable/block_cache.h"
#include "sstable/format.h"
#include "sstable/internal_iterator.h"
#include "sstable/range_tombstones.h"
#include "sstable/table_options.h"
#include "trine/file_system.h"

namespace trine {

class TableIterator;

class TableReader {
 public:
  // `cache` may be null; the reader keeps it alive (an iterator that outlives
  // its DB by mistake must not touch freed memory). `file_name` is used in
  // error messages.
  static Result<std::unique_ptr<TableReader>> Open(std::unique_ptr<RandomAccessFile> file,
                                                   std::string file_name,
                                                   std::shared_ptr<BlockCache> cache);
  ~TableReader();

  // The newest entry for `user_key` whose tag is <= seek_tag (see SeekTag).
  // found is false if the table has none; filtered tells whether the bloom
  // filter alone answered.
  struct GetResult {
    bool found = false;
    bool filtered = false;
    uint64_t tag = 0;
  };
  Status Get(std::string_view user_key, uint64_t seek_tag, bool fill_cache, GetResult* result,
             std::string* value) const;

  // Whether the filter allows `user_key` (true without a filter).
  bool KeyMayMatch(std::string_view user_key) const { return filter_.KeyMayMatch(user_key); }

  // The iterator must not outlive this reader.
  std::unique_ptr<TableIterator> NewIterator(bool fill_cache) const;

  const std::vector<RangeTombstone>& range_tombstones() const { return tombstones_; }
  const FragmentedTombstones& fragmented_tombstones() const { return fragments_; }
  const TableProperties& properties() const { return props_; }
  const std::string& file_name() const { return file_name_; }

  // Data blocks, numbered in key order.
  size_t num_blocks() const { return index_.size(); }
  // The first block whose last entry is >= (user_key, tag); num_blocks() if none.
  size_t FindBlock(std::string_view user_key, uint64_t tag) const;
  // Reads (or finds in the cache) data block `i`.
  Status GetBlock(size_t i, bool fill_cache, std::shared_ptr<const Block>* block) const;

 private:
  TableReader(std::unique_ptr<RandomAccessFile> file, std::string file_name,
              std::shared_ptr<BlockCache> cache);
  Status DecodeIndex(const Block& index_block);

  // One data block: the key it ends at (the index separator) and where it is.
  struct IndexEntry {
    uint32_t key_offset;
    uint32_t key_size;
    uint64_t tag;
    BlockHandle handle;
  };
  std::string_view IndexKey(const IndexEntry& e) const {
    return std::string_view(index_keys_.data() + e.key_offset, e.key_size);
  }

  std::unique_ptr<RandomAccessFile> file_;
  std::string file_name_;
  std::shared_ptr<BlockCache> cache_;
  std::string index_keys_;
  std::vector<IndexEntry> index_;
  std::unique_ptr<BlockCache::Slot[]> slots_;  // one per data block
  std::string filter_data_;
  bloom::FilterReader filter_;
  std::vector<RangeTombstone> tombstones_;
  FragmentedTombstones fragments_;
  TableProperties props_;
};

// Iterates over a table: the decoded index picks the data block, a BlockIter
// walks it. Declared here so callers can hold it by its concrete (final)
// type and the compiler can inline the per-entry calls of a scan.
class TableIterator final : public InternalIterator {
 public:
  TableIterator(const TableReader* table, bool fill_cache)
      : table_(table), fill_cache_(fill_cache) {}

  bool Valid() const override { return valid_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view user_key, uint64_t tag) override;
  void Next() override {
    data_iter_.Next();
    if (!data_iter_.Valid())
      SkipEmptyForward();
  }
  void Prev() override {
    data_iter_.Prev();
    if (!data_iter_.Valid())
      SkipEmptyBackward();
  }
  std::string_view user_key() const override { return data_iter_.user_key(); }
  uint64_t tag() const override { return data_iter_.tag(); }
  std::string_view value() const override { return data_iter_.value(); }
  Status status() const override {
    if (!status_.ok())
      return status_;
    return data_iter_.status();
  }

 private:
  // Points data_iter_ at block i; false (and no block) past the end or on error.
  bool LoadBlock(size_t i);
  void SkipEmptyForward();
  void SkipEmptyBackward();

  const TableReader* table_;
  bool fill_cache_;
  std::shared_ptr<const Block> block_;
  size_t block_index_ = 0;
  BlockIter data_iter_;
  bool valid_ = false;
  Status status_;
};

}  // namespace trine
