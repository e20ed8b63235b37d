// Log files: the write-ahead log (NNNNNN.log, one record per commit) and the
// manifest (MANIFEST-NNNNNN, one record per version edit) share this format.
//
//   record := length: fixed32          payload bytes
//             payload_check: fixed32   checksum32 of the payload
//             header_check: fixed32    checksum32 of the 8 bytes before it
//             payload: char[length]
//
// The header has its own checksum so a damaged length is told apart from a
// torn tail: after a crash the file ends in a prefix of the last write (a
// partial header, or a valid header whose payload runs past the end, or
// zeros on file systems that extend files before writing them). Those are
// torn tails and end the log cleanly. Anything else that fails a checksum is
// corruption, reported with file and offset: a commit in the middle of the
// log is never silently dropped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "trine/file_system.h"
#include "trine/status.h"

namespace trine {

constexpr size_t kLogHeaderSize = 12;

// Appends one encoded record to *dst.
void EncodeLogRecord(std::string_view payload, std::string* dst);

// Reads the records of one log file held in memory.
class LogReader {
 public:
  LogReader(std::string contents, std::string file_name);

  // The next record, or false at the end (see status() and torn_tail()).
  // The view lives until the reader is destroyed.
  bool ReadRecord(std::string_view* record);
  // Corruption (naming file and offset) if reading stopped at a damaged record.
  Status status() const { return status_; }
  // True if the log ended in a torn (incomplete) last write.
  bool torn_tail() const { return torn_tail_; }
  // Offset of the record last returned.
  uint64_t record_offset() const { return record_offset_; }
  // Offset just past the last good record.
  uint64_t valid_end() const { return pos_; }

 private:
  bool RestIsZero(size_t from) const;

  std::string data_;
  std::string file_name_;
  size_t pos_ = 0;
  uint64_t record_offset_ = 0;
  bool torn_tail_ = false;
  bool done_ = false;
  Status status_;
};

// Reads a whole file into memory.
Result<std::string> ReadFileToString(FileSystem* fs, const std::string& path);

}  // namespace trine
