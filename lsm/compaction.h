// Compaction: merges sorted inputs (a memtable for a flush; table files for
// a compaction) into new table files, dropping what no reader can see.
//
// What is dropped, with "stripes" = the intervals between live snapshots:
// - an older version of a key hidden by a newer one in the same stripe;
// - a point entry covered by a range tombstone of the same stripe;
// - a point tombstone, and a range tombstone, visible to every snapshot at
//   the bottommost level for its keys (nothing older can be below it).
// At the bottommost level, entries visible to every snapshot have their
// sequence zeroed: a one-byte tag that compresses to nothing.
//
// Output files are cut near target_file_size, never between two versions of
// one key. Range tombstones are clipped to each output file's slice of the
// key space, so files of one level stay disjoint.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lsm/version.h"
#include "sstable/table_options.h"

namespace trine {

struct CompactionSpec {
  std::string dir;
  FileSystem* fs = nullptr;
  TableOptions table_options;
  uint64_t target_file_size = 0;  // 0: one output file
  // Live snapshot sequences, ascending.
  std::vector<SequenceNumber> snapshots;
  // Whether no file below the output level can hold `key` / keys in [begin, end).
  std::function<bool(std::string_view key)> key_is_bottommost;
  std::function<bool(std::string_view begin, std::string_view end)> range_is_bottommost;
  // Allocates a file number for an output (and protects it from deletion).
  std::function<uint64_t()> new_file_number;
};

struct CompactionOutput {
  std::vector<std::shared_ptr<FileMetaData>> files;
  uint64_t bytes_written = 0;
  uint64_t entries_in = 0;
  uint64_t entries_out = 0;
};

// Writes the merge of `input` and `tombstones` into new tables. On failure
// every output file is removed.
Status RunCompaction(const CompactionSpec& spec, InternalIterator* input,
                     const std::vector<RangeTombstone>& tombstones, CompactionOutput* out);

// A compaction chosen by the picker: files from `inputs` levels merged into
// `output_level`.
struct CompactionPlan {
  int output_level = 0;
  std::vector<std::pair<int, FileList>> inputs;  // (level, files)
  bool trivial_move = false;                     // one file, nothing to merge with: just relink it
  uint64_t input_bytes() const {
    uint64_t n = 0;
    for (const auto& [level, files] : inputs) {
      for (const auto& f : files)
        n += f->file_size;
    }
    return n;
  }
};

}  // namespace trine
