// Options for opening a store, reading and writing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "trine/file_system.h"

namespace trine {

class Snapshot;

enum class Compression : unsigned char {
  kNone = 0,
  kZstd = 1,  // per block, kept only when it saves at least min_compression_savings
};

// What DB::Open does with a write-ahead log record whose checksum fails.
enum class WalRecovery : unsigned char {
  // Fail the open with a Corruption error naming file and offset (default):
  // never silently drop a commit that may have been acknowledged.
  kStrict = 0,
  // Keep the commits before the first bad record and drop the rest. The
  // store still holds a prefix of the commit order, but durable commits after
  // the damage are lost. For salvaging a damaged store by hand.
  kKeepPrefix = 1,
};

struct Options {
  // Where files live and how they are written. Tests inject faults here.
  std::shared_ptr<FileSystem> file_system = PosixFileSystem();

  bool create_if_missing = true;
  bool error_if_exists = false;
  WalRecovery wal_recovery = WalRecovery::kStrict;

  // --- Write path ---
  // Size of a memtable before it is frozen and flushed to a level-0 table.
  size_t write_buffer_size = 64u << 20;
  // Frozen memtables allowed to wait for flush before writers stall.
  int max_immutable_memtables = 2;
  // A memtable's ordered index (a B+-tree) is filled by a thread of the
  // memtable's own instead of by the committing thread: a commit returns
  // sooner (the first write of a key costs a tree search, a chain of cache
  // misses), at the price of that thread's CPU time and a short wait in an
  // iterator created right after a write. Ignored on a single core.
  bool order_memtable_in_background = true;
  // A relaxed commit reaches the log file within this time even without a
  // durable commit or Sync() (it is then safe from a process crash, not from
  // power loss until the next fsync).
  int wal_flush_interval_ms = 5;
  // Unsynced log data is fsynced at least this often (0: only on request).
  int wal_sync_interval_ms = 1000;

  // --- Tables ---
  size_t block_size = 4096;         // target uncompressed size of a data block
  int block_restart_interval = 16;  // keys between full (uncompressed) keys in a block
  int bloom_bits_per_key = 10;      // 0 disables filters
  Compression compression = Compression::kZstd;
  int zstd_level = 3;
  // Levels above this one (level 0 and 1 by default) are written without
  // compression: their data is rewritten soon, and reads of recent data then
  // skip the decode. The bulk of the data, in the deeper levels, is compressed.
  int min_compressed_level = 2;
  double min_compression_savings = 0.125;  // keep a compressed block only if this much smaller
  size_t block_cache_bytes = 64u << 20;    // cache of uncompressed blocks (0 disables)

  // --- Levels and compaction ---
  int num_levels = 7;
  int level0_compaction_trigger = 4;  // L0 files that start a compaction into L1
  int level0_slowdown_trigger = 12;   // L0 files at which each write is delayed by 1 ms
  int level0_stop_trigger = 20;       // L0 files at which writes wait for compaction
  uint64_t max_bytes_for_level_base = 256ull << 20;  // size limit of L1
  double level_size_multiplier = 10;
  uint64_t target_file_size = 32ull << 20;  // size of a compaction output table
};

// How a commit is made durable.
enum class Durability : unsigned char {
  // Returns after the commit is in the log and the log is fsynced.
  kDurable = 0,
  // Returns once the commit is applied in memory (and visible to reads). A
  // background writer appends it to the log in commit order; Sync() or any
  // later durable commit makes it durable.
  kRelaxed = 1,
};

struct WriteOptions {
  Durability durability = Durability::kDurable;
};

struct ReadOptions {
  // Read as of this snapshot (from DB::GetSnapshot); nullptr reads the latest
  // committed state.
  const Snapshot* snapshot = nullptr;
  // Iterator bounds: keys in [lower_bound, upper_bound). Empty means unbounded.
  // The viewed bytes must outlive the iterator.
  std::string_view lower_bound;
  std::string_view upper_bound;
  // Keep blocks read by this operation in the block cache (scans of cold data
  // may prefer false).
  bool fill_cache = true;
};

}  // namespace trine
