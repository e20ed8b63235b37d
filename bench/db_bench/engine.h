// Engine: the small interface trine_bench drives. One adapter per engine
// (adapter_<name>.cpp) maps it onto Trine, RocksDB, LevelDB or SQLite, so the
// workloads in workloads.cpp run unchanged on every engine in the same run.
//
// Adapters report failures by throwing BenchError: the benchmark cannot go on
// meaningfully after an engine error, and the runner adds the engine and phase
// names before it reaches the user.
//
// An Engine is used from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../common/bench_error.h"
#include "../common/engine_registry.h"

namespace trine_bench {

// The harness settings every adapter honours, each through its own knobs
// (Describe() says which).
struct EngineOptions {
  size_t cache_bytes = 64u << 20;     // block cache / page cache
  size_t memtable_bytes = 64u << 20;  // write buffer of the LSMs
  int bloom_bits_per_key = 10;        // 0: no filters
  bool trine_memtable_thread = true;  // Trine only: memtable trees filled by their own thread
};

struct WriteOp {
  enum class Kind : unsigned char { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string_view key;
  std::string_view value;  // empty for kDelete
};

// Receives scanned entries in key order. The views are valid only during the call.
class EntryVisitor {
 public:
  virtual ~EntryVisitor() = default;
  // Returns false to stop the scan.
  virtual bool Visit(std::string_view key, std::string_view value) = 0;
};

// Named figures an engine reports about itself ("trine.stall_ms" -> 0).
using EngineStats = std::vector<std::pair<std::string, double>>;

class Engine {
 public:
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  virtual ~Engine() = default;

  // Creates the store in `dir` (an existing, empty directory owned by the engine).
  virtual void Open(const std::string& dir, const EngineOptions& options) = 0;
  // Waits for background work and releases the store; its files are then complete.
  virtual void Close() = 0;

  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
  // Applies every op atomically, in order.
  virtual void Write(std::span<const WriteOp> ops) = 0;
  // Copies the value of `key` into *value; false if absent.
  virtual bool Get(std::string_view key, std::string* value) = 0;
  // Visits the entries with start <= key (and key < end unless end is empty),
  // at most `limit` of them, in key order, with a fresh iterator. Returns the
  // number visited.
  virtual size_t Scan(std::string_view start, std::string_view end, size_t limit,
                      EntryVisitor& visitor) = 0;

  // Persists the write buffer (memtable -> table file; WAL checkpoint). Synchronous.
  virtual void Flush() = 0;
  // Full manual compaction down to the most compact form. Synchronous.
  virtual void Compact() = 0;

  // Deletes every key in [prefix, end), where end is the smallest key above
  // every key with that prefix. Returns the number of keys deleted, or
  // kUnknownCount when the engine does not enumerate them (a range delete).
  // The default is what users of an engine without range deletes do: scan the
  // group, then point-delete every key found in batches of 1000.
  static constexpr uint64_t kUnknownCount = ~uint64_t{0};
  virtual uint64_t DeleteGroup(std::string_view prefix, std::string_view end);

  // Throws if the engine recorded a background error (a failed flush or
  // compaction) that the foreground calls did not report.
  virtual void CheckHealth() {}
  // Figures for the report; cheap enough to call after every phase.
  virtual EngineStats Stats() { return {}; }
  // The settings actually in force, for humans ("zstd, 4 KiB blocks, ...").
  virtual std::string Describe() const = 0;
  // Whether `filename` (no directory) holds table data, for bytes/entry.
  virtual bool IsDataFile(const std::string& filename) const = 0;
};

// The engines trine_bench knows, built or not, in table column order.
using EngineInfo = EngineEntry<Engine>;
std::span<const EngineInfo> AllEngines();
const EngineInfo* FindEngine(std::string_view name);

}  // namespace trine_bench
