// Options and metadata shared by the table builder and reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sstable/internal_key.h"
#include "trine/status.h"

namespace trine {

class BlockCache;

struct TableOptions {
  size_t block_size = 4096;
  int restart_interval = 16;
  int bloom_bits_per_key = 10;  // 0: no filter
  bool compress = true;         // zstd per block
  int zstd_level = 3;
  double min_compression_savings = 0.125;
};

// A range tombstone: deletes every version with sequence < seq of every key
// in [begin, end).
struct RangeTombstone {
  std::string begin;
  std::string end;
  SequenceNumber seq = 0;
};

// What a table says about itself (its properties block).
struct TableProperties {
  uint64_t num_entries = 0;  // point entries, tombstones included
  uint64_t num_deletions = 0;
  uint64_t num_range_deletions = 0;
  uint64_t num_data_blocks = 0;
  uint64_t raw_key_bytes = 0;
  uint64_t raw_value_bytes = 0;
  uint64_t data_bytes = 0;  // stored size of the data blocks
  SequenceNumber min_seq = kMaxSequenceNumber;
  SequenceNumber max_seq = 0;
  std::string smallest_key;  // smallest/largest point user key (empty if none)
  std::string largest_key;

  void EncodeTo(std::string* dst) const;
  bool DecodeFrom(std::string_view input);
};

}  // namespace trine
