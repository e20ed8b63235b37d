// DBImpl: the LSM tree behind trine::DB.
//
// Write path: writers queue up; the writer at the head (the leader) takes a
// group of queued commits, numbers them, appends their log records to the
// WAL buffer, fsyncs if any commit of the group is durable, inserts them into
// the memtable and publishes the new last sequence. Relaxed commits return
// there; a background thread writes the buffer to the log file within
// wal_flush_interval_ms, in commit order.
//
// A full memtable is frozen (the log is fsynced first, so every later log
// holds only newer commits) and flushed to a level-0 table by the flush
// thread; the compaction thread keeps levels within their size limits.
//
// Threads: callers, one flush thread, one compaction thread, one log thread.
// mu_ guards the state marked below; the memtable is written only by the
// current leader, without mu_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/sequence_set.h"
#include "lsm/compaction.h"
#include "lsm/memtable.h"
#include "lsm/table_cache.h"
#include "lsm/version.h"
#include "sstable/block_cache.h"
#include "trine/db.h"

namespace trine {

// The write-ahead log being appended to. Records are buffered in memory and
// written to the file by Persist(), which also fsyncs on request. After a
// failed write or sync every later Persist fails: a log with a hole must
// never receive newer commits.
//
// When a memtable fills, the next log starts without waiting for any I/O on
// the previous one (that would stall the writer): the new log holds on to the
// old one, and every Persist writes the old log's records first and, when
// syncing, fsyncs it first. So a commit is never on disk while an older
// commit is not. Thread-safe.
class WalWriter {
 public:
  // `fs` and `dir` are set for a log whose directory entry is not yet
  // durable: its first fsync syncs the directory too.
  WalWriter(std::unique_ptr<WritableFile> file, std::string name,
            std::shared_ptr<WalWriter> previous, FileSystem* fs = nullptr, std::string dir = {})
      : file_(std::move(file)),
        fs_(fs),
        dir_(std::move(dir)),
        previous_(std::move(previous)),
        has_previous_(previous_ != nullptr),
        name_(std::move(name)) {}
  ~WalWriter();

  // Appends encoded records; returns the log offset just past them.
  uint64_t Append(std::string_view records);
  // Writes everything appended so far (and fsyncs if `sync`).
  Status Persist(bool sync);
  bool HasUnwritten() const;
  bool HasUnsynced() const;
  Status Close();

 private:
  mutable std::mutex buf_mu_;
  std::string buf_;        // guarded by buf_mu_
  uint64_t appended_ = 0;  // guarded by buf_mu_
  std::mutex io_mu_;       // serializes file writes
  std::unique_ptr<WritableFile> file_;
  FileSystem* fs_;  // non-null until the directory entry is synced; guarded by io_mu_
  std::string dir_;
  std::shared_ptr<WalWriter> previous_;  // not yet synced; guarded by io_mu_
  std::atomic<bool> has_previous_{false};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> synced_{0};
  Status error_;  // guarded by io_mu_
  const std::string name_;
};

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dir);
  ~DBImpl() override;

  // Opens or creates the store (recovery happens here).
  Status Open();

  Status Put(const WriteOptions& o, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& o, std::string_view key) override;
  Status DeleteRange(const WriteOptions& o, std::string_view begin, std::string_view end) override;
  Status Write(const WriteOptions& o, const WriteBatch& batch) override;
  Status Get(const ReadOptions& o, std::string_view key, std::string* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& o) override;
  const Snapshot* GetSnapshot() override;
  uint64_t LatestSequence() const override { return visible_seq_.load(std::memory_order_acquire); }
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  Status Sync() override;
  Status Flush() override;
  Status CompactRange(std::string_view begin, std::string_view end) override;
  Stats GetStats() override;
  Status BackgroundError() override;

 private:
  struct Writer;
  struct Frozen {
    std::shared_ptr<MemTable> mem;
    uint64_t log_number;
  };
  // What a read needs, swapped as a whole when any part changes.
  struct ReadView {
    std::shared_ptr<MemTable> mem;
    std::vector<std::shared_ptr<MemTable>> imm;  // newest first
    std::shared_ptr<const Version> version;
  };

  Status OpenOrCreate();
  Status CheckMarker(bool* exists);
  Status WriteMarker();
  Status RecoverLogs(std::vector<uint64_t> logs, MemTable* mem, SequenceNumber* last_seq);
  Status FlushMemTableAtOpen(const std::shared_ptr<MemTable>& mem, VersionEdit* edit);

  // Write path (REQUIRES: mu_ held via `lock`).
  Status WriteImpl(const WriteOptions& o, const WriteBatch* batch, bool force_switch);
  Status MakeRoomForWrite(std::unique_lock<std::mutex>& lock, bool force);
  Status SwitchMemTable();
  void InstallView();
  std::shared_ptr<const ReadView> GetView(SequenceNumber* seq);
  void SetBackgroundError(const Status& s);
  Status ReadOnlyError() const;

  // Background work.
  void FlushThread();
  void CompactionThread();
  void WalThread();
  Status FlushOne(std::unique_lock<std::mutex>& lock);
  bool PickCompaction(CompactionPlan* plan);
  Status RunPlan(std::unique_lock<std::mutex>& lock, const CompactionPlan& plan);
  CompactionSpec MakeSpec(const std::shared_ptr<const Version>& v, int output_level);
  void DeleteObsoleteFiles(std::unique_lock<std::mutex>* lock);
  std::vector<SequenceNumber> SnapshotList() const;

  const Options options_;
  const std::string dir_;
  FileSystem* const fs_;
  TableOptions table_options_;
  std::shared_ptr<BlockCache> block_cache_;
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<FileLock> lock_file_;

  mutable std::mutex mu_;
  std::condition_variable bg_cv_;         // work for background threads
  std::condition_variable done_cv_;       // a flush or compaction finished
  std::unique_ptr<VersionSet> versions_;  // guarded by mu_
  // Memtable memory, faulted in ahead and recycled (lsm/mem_pool.h).
  std::shared_ptr<MemPool> mem_pool_;
  bool order_in_background_ = false;  // memtables fill their trees on a thread of their own
  std::shared_ptr<MemTable> mem_;     // guarded by mu_
  uint64_t mem_log_number_ = 0;       // guarded by mu_
  std::deque<Frozen> imm_;            // oldest first; guarded by mu_
  std::shared_ptr<WalWriter> wal_;    // guarded by mu_
  // The next log, created ahead by the log thread so a memtable switch does
  // no file system call while writers wait.
  std::unique_ptr<WritableFile> spare_log_;                    // guarded by mu_
  uint64_t spare_log_number_ = 0;                              // guarded by mu_
  std::shared_ptr<const ReadView> view_;                       // guarded by mu_
  std::deque<Writer*> writers_;                                // guarded by mu_
  SequenceSet snapshots_;                                      // guarded by mu_
  std::set<uint64_t> pending_outputs_;                         // guarded by mu_
  std::vector<std::weak_ptr<const Version>> versions_in_use_;  // guarded by mu_
  Status bg_error_;                                            // guarded by mu_
  bool shutting_down_ = false;                                 // guarded by mu_
  bool opened_ = false;                                        // Open() finished; guarded by mu_
  bool compaction_running_ = false;                            // guarded by mu_
  bool manual_waiting_ = false;                                // guarded by mu_
  SequenceNumber last_sequence_ = 0;                           // last assigned; guarded by mu_
  std::atomic<SequenceNumber> visible_seq_{0};
  // WriteImpl's buffers, used by the leading writer only (reused, so a
  // commit allocates nothing for them).
  std::vector<Writer*> group_scratch_;
  std::string records_scratch_;
  std::string rep_scratch_;
  std::atomic<bool> read_only_{false};

  // Statistics.
  std::atomic<uint64_t> user_bytes_{0};
  std::atomic<uint64_t> wal_bytes_{0};
  std::atomic<uint64_t> flush_bytes_{0};
  std::atomic<uint64_t> compaction_bytes_written_{0};
  std::atomic<uint64_t> compaction_bytes_read_{0};
  std::atomic<uint64_t> stall_micros_{0};
  std::atomic<uint64_t> slowdown_writes_{0};
  std::atomic<uint64_t> max_write_micros_{0};
  std::atomic<uint64_t> bloom_useful_{0};
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> compactions_{0};
  std::vector<LevelStats> level_stats_;  // guarded by mu_

  std::thread flush_thread_;
  std::thread compaction_thread_;
  std::thread wal_thread_;
};

}  // namespace trine
