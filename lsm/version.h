// Versions: which table files make up each level, and the manifest that
// records every change to that set.
//
// A Version is an immutable snapshot of the file set. The VersionSet holds the
// current one and applies VersionEdits (added/removed files, log number, last
// sequence): each edit is appended to the manifest and fsynced before the new
// version is installed, so after a crash the store reopens with a version
// that was once current. Level 0 files may overlap and are ordered newest
// first; in levels >= 1 files are disjoint and sorted by key, and their
// smallest/largest keys let a read go straight to the one file that can hold
// a key.
//
// Thread-safety: Versions are immutable and shared through shared_ptr.
// VersionSet methods require the DB mutex unless noted.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lsm/table_cache.h"
#include "sstable/internal_iterator.h"
#include "sstable/range_tombstones.h"
#include "trine/file_system.h"
#include "trine/options.h"

namespace trine {

using FileList = std::vector<std::shared_ptr<FileMetaData>>;

struct VersionEdit {
  bool has_log_number = false;
  uint64_t log_number = 0;
  bool has_next_file = false;
  uint64_t next_file = 0;
  bool has_last_sequence = false;
  SequenceNumber last_sequence = 0;
  std::vector<std::pair<int, uint64_t>> deleted;                     // (level, file number)
  std::vector<std::pair<int, std::shared_ptr<FileMetaData>>> added;  // (level, file)

  void SetLogNumber(uint64_t n) {
    has_log_number = true;
    log_number = n;
  }
  void SetNextFile(uint64_t n) {
    has_next_file = true;
    next_file = n;
  }
  void SetLastSequence(SequenceNumber s) {
    has_last_sequence = true;
    last_sequence = s;
  }
  void DeleteFile(int level, uint64_t number) { deleted.emplace_back(level, number); }
  void AddFile(int level, std::shared_ptr<FileMetaData> f) {
    added.emplace_back(level, std::move(f));
  }

  void EncodeTo(std::string* dst) const;
  Status DecodeFrom(std::string_view input);
};

class Version {
 public:
  explicit Version(int num_levels) : files_(static_cast<size_t>(num_levels)) {}

  int num_levels() const { return static_cast<int>(files_.size()); }
  const FileList& files(int level) const { return files_[static_cast<size_t>(level)]; }
  uint64_t LevelBytes(int level) const;
  int NumFiles() const;

  // Point lookup through the levels, newest first. Sets *found and, if the
  // newest visible entry is a value, *value; a tombstone (point or range) ends
  // the search with *found = true and *deleted = true.
  // `max_tombstone` carries the newest covering range tombstone from newer
  // sources (memtables) in and out.
  struct GetState {
    bool found = false;
    bool deleted = false;
    SequenceNumber max_tombstone = 0;
  };
  Status Get(TableCache* tables, std::string_view key, SequenceNumber snapshot, bool fill_cache,
             GetState* state, std::string* value, uint64_t* bloom_useful) const;

  // One iterator per level-0 file and one per non-empty deeper level, each
  // with the newest sequence it can hold (for range-tombstone skipping).
  struct SourceIterator {
    std::unique_ptr<InternalIterator> iter;
    SequenceNumber max_seq;
  };
  // REQUIRES: this version outlives the iterators.
  void AddIterators(TableCache* tables, bool fill_cache, std::vector<SourceIterator>* out) const;

  // Whether any file holds range tombstones (set when the version is built).
  bool has_range_tombstones() const { return has_range_tombstones_; }
  // Every range tombstone of every file, fragmented; built once per version.
  Result<std::shared_ptr<const FragmentedTombstones>> RangeTombstones(TableCache* tables) const;

  // Files of `level` whose range intersects [begin, end] (empty = unbounded).
  FileList Overlapping(int level, std::string_view begin, std::string_view end) const;

  // For VersionSet.
  std::vector<FileList> files_;
  bool has_range_tombstones_ = false;

 private:
  mutable std::mutex tombstones_mu_;
  mutable std::shared_ptr<const FragmentedTombstones> tombstones_;  // guarded by tombstones_mu_
};

class VersionSet {
 public:
  VersionSet(const Options& options, std::string dir, TableCache* tables);
  ~VersionSet();

  // Creates a new store's first manifest.
  Status Create();
  // Reads CURRENT and the manifest it names.
  Status Recover();
  // Appends `edit` to the manifest (fsynced), then installs the new version.
  // On failure the current version is unchanged. `lock` holds the DB mutex;
  // it is released while the manifest is written.
  Status LogAndApply(VersionEdit* edit, std::unique_lock<std::mutex>* lock);

  std::shared_ptr<const Version> current() const { return current_; }
  uint64_t NewFileNumber() { return next_file_++; }
  uint64_t next_file() const { return next_file_; }
  void MarkFileNumberUsed(uint64_t n) {
    if (next_file_ <= n)
      next_file_ = n + 1;
  }
  uint64_t log_number() const { return log_number_; }
  // Every commit up to this sequence is in the tables; the logs from
  // log_number() on hold the commits after it, starting with the next one.
  SequenceNumber last_sequence() const { return last_sequence_; }
  uint64_t manifest_number() const { return manifest_number_; }

  // Which files are live (in the current version).
  void AddLiveFiles(std::vector<uint64_t>* numbers) const;

  // The size limit of `level` (level >= 1).
  uint64_t MaxBytesForLevel(int level) const;
  // The level most in need of compaction and its score (>= 1 means needed).
  double CompactionScore(int* level) const;

  // Round-robin position of the next compaction in each level.
  std::vector<std::string> compact_pointer_;

 private:
  Status WriteSnapshot(WritableFile* file, const Version& v, uint64_t log_number,
                       uint64_t next_file, SequenceNumber last_sequence, uint64_t* size);
  Status SetCurrentFile(uint64_t manifest_number);
  // Writes a new manifest holding the current version and points CURRENT at it.
  Status StartManifest();
  std::shared_ptr<Version> Apply(const Version& base, const VersionEdit& edit) const;

  Options options_;
  std::string dir_;
  TableCache* tables_;
  std::shared_ptr<const Version> current_;
  uint64_t next_file_ = 2;
  uint64_t log_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  uint64_t manifest_number_ = 0;
  std::unique_ptr<WritableFile> manifest_;
  uint64_t manifest_size_ = 0;
  bool manifest_busy_ = false;  // an edit is being written
  std::condition_variable manifest_cv_;
  Status manifest_error_;
};

}  // namespace trine
