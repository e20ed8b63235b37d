// DB: Trine's ordered key-value store (an LSM tree).
//
//   trine::Options options;
//   auto db = trine::DB::Open(options, "/data/store");
//   if (!db.ok()) { ... db.status().ToString() ... }
//   Status s = (*db)->Put(trine::WriteOptions{}, "key", "value");
//   std::string value;
//   s = (*db)->Get(trine::ReadOptions{}, "key", &value);   // NotFound if absent
//
// Keys are byte strings ordered by memcmp. Every commit (a Put, Delete,
// DeleteRange or Write of a batch) gets the next sequence number; a read sees
// a prefix of the commit order. Durability is chosen per commit (see
// Durability in options.h). After any crash the store holds a prefix of the
// commit order that contains every durable commit.
//
// An I/O error on the write path fails that write and turns the store
// read-only: later writes return the error, reads keep working, and every
// commit acknowledged before stays readable.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trine/iterator.h"
#include "trine/options.h"
#include "trine/status.h"
#include "trine/write_batch.h"

namespace trine {

// A consistent read-only view of the store as of one commit. Obtained from
// DB::GetSnapshot and released with DB::ReleaseSnapshot (before the DB is
// destroyed). While held, compaction keeps the versions the snapshot sees.
class Snapshot {
 public:
  virtual uint64_t sequence() const = 0;

 protected:
  virtual ~Snapshot() = default;
};

struct LevelStats {
  int files = 0;
  uint64_t bytes = 0;
  uint64_t bytes_read = 0;     // by compactions into this level
  uint64_t bytes_written = 0;  // by flushes/compactions into this level
  uint64_t compactions = 0;
};

struct Stats {
  std::vector<LevelStats> levels;
  uint64_t user_bytes_written = 0;  // keys + values committed
  uint64_t wal_bytes_written = 0;
  uint64_t flush_bytes_written = 0;  // tables written by flushes
  uint64_t compaction_bytes_written = 0;
  uint64_t compaction_bytes_read = 0;
  // (WAL + flush + compaction bytes) / user bytes.
  double write_amplification = 0;
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
  uint64_t block_cache_bytes = 0;  // currently charged
  uint64_t bloom_useful = 0;       // table lookups a filter answered "absent"
  uint64_t stall_micros = 0;       // total time writers waited for flush/compaction
  uint64_t slowdown_writes = 0;    // writes delayed by the L0 slowdown
  uint64_t max_write_micros = 0;   // the longest single commit
  uint64_t flushes = 0;
  uint64_t compactions = 0;
  uint64_t memtable_bytes = 0;  // active + frozen memtables
  // Memtable regions (huge arena blocks, large hash tables) the memory pool
  // had resident when asked, and those it had to map on the spot (faulted
  // in by whoever touched them first, often a commit).
  uint64_t memtable_regions_ready = 0;
  uint64_t memtable_regions_mapped = 0;
  uint64_t last_sequence = 0;

  double block_cache_hit_rate() const {
    uint64_t t = block_cache_hits + block_cache_misses;
    return t ? static_cast<double>(block_cache_hits) / static_cast<double>(t) : 0;
  }
  // A multi-line table, for humans.
  std::string ToString() const;
};

class DB {
 public:
  // Opens the store in directory `path`, creating it if allowed. Fails with
  // InvalidArgument if `path` holds something that is not a Trine store,
  // NotSupported for a store of a newer format version, and Busy if another
  // process (or another DB object in this one) has it open.
  static Result<std::unique_ptr<DB>> Open(const Options& options, const std::string& path);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Waits for background work, persists relaxed commits (without fsync; call
  // Sync() first to make them durable) and releases the store.
  virtual ~DB() = default;

  virtual Status Put(const WriteOptions& options, std::string_view key, std::string_view value) = 0;
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Deletes every key in [begin, end). InvalidArgument if begin > end.
  virtual Status DeleteRange(const WriteOptions& options, std::string_view begin,
                             std::string_view end) = 0;
  // Applies the batch atomically. An empty batch is a no-op.
  virtual Status Write(const WriteOptions& options, const WriteBatch& batch) = 0;

  // Copies the value of `key` into *value. NotFound if absent.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;

  // The iterator sees the store as of its creation (or options.snapshot) and
  // must be destroyed before the DB.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;
  // The sequence of the newest commit reads can see: what a snapshot taken
  // now would read at, without taking one.
  virtual uint64_t LatestSequence() const = 0;

  // Makes every commit acknowledged so far durable.
  virtual Status Sync() = 0;
  // Writes the memtable to a table file and waits for it.
  virtual Status Flush() = 0;
  // Compacts every key in [begin, end] (empty: unbounded) down to the last
  // level, dropping deleted and overwritten data no snapshot needs. Waits.
  virtual Status CompactRange(std::string_view begin, std::string_view end) = 0;
  Status CompactAll() { return CompactRange({}, {}); }

  virtual Stats GetStats() = 0;
  // OK, or the error that turned the store read-only.
  virtual Status BackgroundError() = 0;
};

}  // namespace trine
