// trine_entity_bench: the engine interface, the settings and the data.
//
// An EntityEngine stores `Person` rows (name, age, email, score, city) with
// secondary indexes on name and age; one adapter maps it onto Trine's entity
// API (engine_trine.cpp), one onto an SQLite table (engine_sqlite.cpp). The
// workloads (workloads.cpp) drive both through this interface with the same
// rows in the same order, so the figures differ only by engine.
//
// Adapters report failures by throwing BenchError: after an engine error the
// benchmark cannot go on meaningfully.
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

namespace trine_entity_bench {

using trine_bench::BenchError;

struct Person {
  std::string name;
  int64_t age = 0;
  std::string email;
  double score = 0;
  std::string city;

  friend bool operator==(const Person&, const Person&) = default;
};

// One index entry read by a range scan: (age, id).
struct AgeEntry {
  int64_t age = 0;
  uint64_t id = 0;
};

// One row of the fetching scan: (id, name).
struct NameEntry {
  uint64_t id = 0;
  std::string name;
};

enum class Durability : unsigned char { kDurable, kRelaxed };

struct EngineSettings {
  Durability durability = Durability::kDurable;
  size_t cache_bytes = 64u << 20;  // Trine's block cache, SQLite's page cache
};

class EntityEngine {
 public:
  EntityEngine() = default;
  EntityEngine(const EntityEngine&) = delete;
  EntityEngine& operator=(const EntityEngine&) = delete;
  virtual ~EntityEngine() = default;

  // Creates the store (schema included) in `dir`, an existing empty directory.
  virtual void Open(const std::string& dir, const EngineSettings& settings) = 0;
  // Releases the store; its files are then complete (for the size on disk).
  virtual void Close() = 0;

  // Inserts `rows` in one transaction, appending their new ids to *ids in order.
  virtual void InsertBatch(std::span<const Person> rows, std::vector<uint64_t>* ids) = 0;
  // Reads the whole entity `id` into *out; false if it does not exist.
  virtual bool Get(uint64_t id, Person* out) = 0;
  // The first `limit` index entries with age >= `from`, in (age, id) order.
  virtual void ScanAge(int64_t from, size_t limit, std::vector<AgeEntry>* out) = 0;
  // The same entries with each entity's name (one more lookup per row).
  virtual void ScanAgeFetchName(int64_t from, size_t limit, std::vector<NameEntry>* out) = 0;

  // Named figures the engine reports about itself ("stall_ms" -> 0), after the load.
  virtual std::vector<std::pair<std::string, double>> Stats() { return {}; }
  // The settings in force, for the header of the report.
  virtual std::string Describe() const = 0;
};

using EngineInfo = trine_bench::EngineEntry<EntityEngine>;
std::span<const EngineInfo> AllEngines();
const EngineInfo* FindEngine(std::string_view name);

// The rows, generated from a seed: row i is a pure function of (seed, i), so
// each engine's process regenerates exactly the same data without holding N
// rows in memory (which would inflate the peak RSS measured for the engine).
class DataSet {
 public:
  static constexpr int kCities = 1000;
  static constexpr int64_t kAges = 100;  // ages are 0..99

  explicit DataSet(uint64_t seed);
  void Fill(uint64_t row, Person* p) const;

 private:
  uint64_t seed_;
  std::vector<std::string> cities_;
};

// splitmix64: a tiny, well-mixed generator; all randomness of the bench.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (the modulo bias is negligible for the small n used here).
  uint64_t Uniform(uint64_t n) { return Next() % n; }
  double UnitDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace trine_entity_bench
