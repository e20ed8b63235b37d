#include "workloads.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <set>
#include <system_error>
#include <vector>

#include <sys/stat.h>

#include "../common/work_dir.h"
#include "../db_bench/metrics.h"

namespace trine_entity_bench {

#ifdef TRINE_ENTITY_BENCH_HAVE_SQLITE
std::unique_ptr<EntityEngine> MakeSqliteEngine();
#endif
std::unique_ptr<EntityEngine> MakeTrineEngine();

std::span<const EngineInfo> AllEngines() {
  static const EngineInfo kEngines[] = {
      {"trine", &MakeTrineEngine, ""},
#ifdef TRINE_ENTITY_BENCH_HAVE_SQLITE
      {"sqlite", &MakeSqliteEngine, ""},
#else
      {"sqlite", nullptr, "install libsqlite3-dev and reconfigure"},
#endif
  };
  return kEngines;
}

const EngineInfo* FindEngine(std::string_view name) {
  return trine_bench::FindByName(AllEngines(), name);
}

// ------------------------------------------------------------------ data

namespace {

// The generator state of row `row`: mixed, so that the streams of
// neighbouring rows are unrelated.
Rng RowRng(uint64_t seed, uint64_t row) {
  return Rng(Rng(seed ^ (row * 0xd1b54a32d192ed03ULL)).Next());
}

void RandomLetters(Rng& rng, size_t count, std::string* out) {
  for (size_t i = 0; i < count; ++i)
    out->push_back(static_cast<char>('a' + rng.Uniform(26)));
}

}  // namespace

DataSet::DataSet(uint64_t seed) : seed_(seed) {
  static const char* const kSyllables[] = {"ka",  "lo",  "mi",   "ra",  "to",  "ve",
                                           "san", "ber", "lin",  "dor", "ham", "port",
                                           "vil", "ton", "burg", "ford"};
  constexpr uint64_t kCount = std::size(kSyllables);
  Rng rng(seed ^ 0x5eed0c17e5ULL);
  std::set<std::string> seen;
  while (cities_.size() < kCities) {
    std::string city;
    const uint64_t parts = 2 + rng.Uniform(2);
    for (uint64_t i = 0; i < parts; ++i)
      city += kSyllables[rng.Uniform(kCount)];
    city[0] = static_cast<char>(city[0] - 'a' + 'A');
    if (seen.insert(city).second)
      cities_.push_back(city);
  }
}

// Age is drawn first and name second, so that Age() and Name() below (the
// checks of the scans) need not generate the rest of the row.
void DataSet::Fill(uint64_t row, Person* p) const {
  Rng rng = RowRng(seed_, row);
  p->age = static_cast<int64_t>(rng.Uniform(kAges));
  p->name.clear();
  RandomLetters(rng, 8 + rng.Uniform(9), &p->name);  // 8..16 characters
  p->email.clear();
  RandomLetters(rng, 8 + rng.Uniform(9), &p->email);  // 20..28 bytes, 24 on average
  p->email += "@example.org";
  p->score = rng.UnitDouble() * 1000;
  p->city = cities_[rng.Uniform(kCities)];
}

namespace {

int64_t AgeOf(uint64_t seed, uint64_t row) {
  Rng rng = RowRng(seed, row);
  return static_cast<int64_t>(rng.Uniform(DataSet::kAges));
}

std::string NameOf(uint64_t seed, uint64_t row) {
  Rng rng = RowRng(seed, row);
  rng.Next();  // the age
  std::string name;
  RandomLetters(rng, 8 + rng.Uniform(9), &name);
  return name;
}

// ------------------------------------------------------------------ helpers

using trine_bench::Clock;
using trine_bench::ElapsedNanos;
using trine_bench::LatencyHistogram;

// An order-sensitive hash of what the scans returned, in row numbers (not
// engine ids), so the parent can check that both engines saw the same rows.
// Folded to 52 bits: it travels as a double.
class Checksum {
 public:
  void Add(uint64_t x) { h_ = Rng(h_ ^ x).Next(); }
  double value() const { return static_cast<double>(h_ >> 12); }

 private:
  uint64_t h_ = 0;
};

// du: the bytes allocated to the files under `dir` (not their apparent size).
uint64_t DiskUsage(const std::string& dir) {
  namespace fs = std::filesystem;
  uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
      bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return bytes;
}

class Runner {
 public:
  Runner(const EngineInfo& info, const BenchSettings& settings, ResultSink& sink,
         EntityEngine& engine)
      : info_(info), s_(settings), sink_(sink), engine_(engine), data_(settings.seed) {}

  void BulkInsert() {
    const char* phase = "bulk_insert";
    std::vector<Person> rows(std::min(s_.batch, s_.n));
    ids_.reserve(s_.n);
    LatencyHistogram commits;
    uint64_t engine_ns = 0;
    for (uint64_t start = 0; start < s_.n; start += s_.batch) {
      const size_t count = std::min(s_.batch, s_.n - start);
      for (size_t i = 0; i < count; ++i) {
        data_.Fill(start + i, &rows[i]);
        ++age_counts_[static_cast<size_t>(rows[i].age)];
      }
      // Only the engine's work is timed, not the generation of the rows.
      const Clock::time_point t0 = Clock::now();
      engine_.InsertBatch(std::span<const Person>(rows.data(), count), &ids_);
      const uint64_t ns = ElapsedNanos(t0, Clock::now());
      engine_ns += ns;
      commits.Record(ns);
    }
    // Row numbers are recovered from ids by binary search (RowOf).
    if (ids_.size() != s_.n)
      throw BenchError("bulk_insert: " + std::to_string(ids_.size()) + " ids for " +
                       std::to_string(s_.n) + " rows");
    for (size_t i = 1; i < ids_.size(); ++i) {
      if (ids_[i] <= ids_[i - 1])
        throw BenchError("bulk_insert: ids are not ascending in insertion order");
    }
    const double seconds = static_cast<double>(engine_ns) / 1e9;
    Metric(phase, "entities_per_s", static_cast<double>(s_.n) / seconds);
    Metric(phase, "seconds", seconds);
    Metric(phase, "batch_p50_ms", commits.Percentile(0.5) / 1e6);
    Metric(phase, "batch_p99_ms", commits.Percentile(0.99) / 1e6);
    Metric(phase, "batch_max_ms", static_cast<double>(commits.max_nanos()) / 1e6);
    Progress(phase, "%10.0f entities/s  %8.2f s", static_cast<double>(s_.n) / seconds, seconds);
  }

  void GetById() {
    const char* phase = "get_by_id";
    Rng rng(s_.seed * 1000003 + 1);
    Person got, want;
    uint64_t misses = 0, wrong = 0, engine_ns = 0;
    LatencyHistogram latency;
    for (uint64_t i = 0; i < s_.reads; ++i) {
      const uint64_t row = rng.Uniform(s_.n);
      const Clock::time_point t0 = Clock::now();
      const bool found = engine_.Get(ids_[row], &got);
      const uint64_t ns = ElapsedNanos(t0, Clock::now());
      engine_ns += ns;
      latency.Record(ns);
      if (!found) {
        ++misses;
        continue;
      }
      data_.Fill(row, &want);
      wrong += got == want ? 0 : 1;
    }
    const double seconds = static_cast<double>(engine_ns) / 1e9;
    Metric(phase, "ops_per_s", static_cast<double>(s_.reads) / seconds);
    Metric(phase, "seconds", seconds);
    Metric(phase, "p50_us", latency.Percentile(0.5) / 1e3);
    Metric(phase, "p99_us", latency.Percentile(0.99) / 1e3);
    Metric(phase, "misses", static_cast<double>(misses));
    Metric(phase, "bad_rows", static_cast<double>(wrong));
    Progress(phase, "%10.0f gets/s  p50 %.1f us  p99 %.1f us  misses %llu  wrong %llu",
             static_cast<double>(s_.reads) / seconds, latency.Percentile(0.5) / 1e3,
             latency.Percentile(0.99) / 1e3, static_cast<unsigned long long>(misses),
             static_cast<unsigned long long>(wrong));
  }

  // Both scan workloads: `fetch` reads each row's name too.
  void RangeScan(bool fetch) {
    const char* phase = fetch ? "range_scan_fetch" : "range_scan";
    // The same start ages for both variants, so their figures compare.
    Rng rng(s_.seed * 1000003 + 2);
    std::array<uint64_t, DataSet::kAges + 1> at_least{};  // rows with age >= a
    for (size_t a = DataSet::kAges; a-- > 0;)
      at_least[a] = at_least[a + 1] + age_counts_[a];
    std::vector<AgeEntry> ages;
    std::vector<NameEntry> names;
    ages.reserve(s_.scan_rows);
    names.reserve(s_.scan_rows);
    uint64_t rows = 0, bad_scans = 0, bad_rows = 0, engine_ns = 0;
    LatencyHistogram latency;
    Checksum checksum;
    for (uint64_t i = 0; i < s_.scans; ++i) {
      const auto from = static_cast<int64_t>(rng.Uniform(DataSet::kAges));
      ages.clear();
      names.clear();
      const Clock::time_point t0 = Clock::now();
      if (fetch) {
        engine_.ScanAgeFetchName(from, s_.scan_rows, &names);
      } else {
        engine_.ScanAge(from, s_.scan_rows, &ages);
      }
      const uint64_t ns = ElapsedNanos(t0, Clock::now());
      engine_ns += ns;
      latency.Record(ns);

      const size_t got = fetch ? names.size() : ages.size();
      rows += got;
      if (got != std::min<uint64_t>(s_.scan_rows, at_least[static_cast<size_t>(from)]))
        ++bad_scans;
      // Each row must exist, have age >= from, come in (age, id) order, and
      // carry its row's data.
      int64_t last_age = -1;
      uint64_t last_row = 0;
      for (size_t k = 0; k < got; ++k) {
        const uint64_t id = fetch ? names[k].id : ages[k].id;
        const uint64_t row = RowOf(id);
        if (row == kNoRow) {
          ++bad_rows;
          continue;
        }
        const int64_t age = AgeOf(s_.seed, row);
        const bool ordered = age > last_age || (age == last_age && row > last_row);
        const bool right = fetch ? names[k].name == NameOf(s_.seed, row) : ages[k].age == age;
        if (age < from || !ordered || !right)
          ++bad_rows;
        last_age = age;
        last_row = row;
        checksum.Add(row);
      }
      checksum.Add(~uint64_t{0});  // scan boundary
    }
    const double seconds = static_cast<double>(engine_ns) / 1e9;
    Metric(phase, "scans_per_s", static_cast<double>(s_.scans) / seconds);
    Metric(phase, "rows_per_s", static_cast<double>(rows) / seconds);
    Metric(phase, "seconds", seconds);
    Metric(phase, "p50_us", latency.Percentile(0.5) / 1e3);
    Metric(phase, "p99_us", latency.Percentile(0.99) / 1e3);
    Metric(phase, "rows", static_cast<double>(rows));
    Metric(phase, "bad_scans", static_cast<double>(bad_scans));
    Metric(phase, "bad_rows", static_cast<double>(bad_rows));
    Metric(phase, "checksum", checksum.value());
    Progress(phase, "%10.0f scans/s  %10.0f rows/s  p99 %.1f us  bad %llu/%llu",
             static_cast<double>(s_.scans) / seconds, static_cast<double>(rows) / seconds,
             latency.Percentile(0.99) / 1e3, static_cast<unsigned long long>(bad_scans),
             static_cast<unsigned long long>(bad_rows));
  }

  void Metric(std::string_view phase, std::string_view metric, double value) {
    sink_.Metric(phase, metric, value);
  }

  // One line per finished phase on stderr, so a long run shows where it is.
  template <typename... Args>
  void Progress(const char* phase, const char* format, Args... args) {
    char text[256];
    std::snprintf(text, sizeof(text), format, args...);
    std::fprintf(stderr, "  %-7s %-17s %s\n", info_.name, phase, text);
  }

 private:
  static constexpr uint64_t kNoRow = ~uint64_t{0};

  uint64_t RowOf(uint64_t id) const {
    auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it == ids_.end() || *it != id)
      return kNoRow;
    return static_cast<uint64_t>(it - ids_.begin());
  }

  const EngineInfo& info_;
  const BenchSettings& s_;
  ResultSink& sink_;
  EntityEngine& engine_;
  DataSet data_;
  std::vector<uint64_t> ids_;  // ids_[row]: the engine's id of that row
  std::array<uint64_t, DataSet::kAges> age_counts_{};
};

}  // namespace

void RunEngine(const EngineInfo& info, const BenchSettings& settings, ResultSink& sink) {
  namespace fs = std::filesystem;
  const std::string dir = settings.dir + "/" + info.name;
  trine_bench::MakeEmptyDir(dir);
  // The RSS before the engine exists: what the harness itself holds.
  sink.Metric("process", "base_rss_mb", trine_bench::TakeProcessSnapshot().rss_mb);

  std::unique_ptr<EntityEngine> engine = info.make();
  engine->Open(dir, settings.engine);
  sink.Describe(engine->Describe());
  {
    Runner runner(info, settings, sink, *engine);
    runner.BulkInsert();
    // Measured as loaded: no flush, compaction or warm-up before the reads.
    for (const auto& [name, value] : engine->Stats())
      sink.Metric("engine_after_load", name, value);
    runner.GetById();
    runner.RangeScan(false);
    runner.RangeScan(true);
  }
  // Again after the reads: shows background work that ran during them.
  for (const auto& [name, value] : engine->Stats())
    sink.Metric("engine_after_reads", name, value);
  engine->Close();
  const uint64_t du = DiskUsage(dir);
  sink.Metric("store", "disk_mb", static_cast<double>(du) / (1 << 20));
  const trine_bench::ProcessSnapshot end = trine_bench::TakeProcessSnapshot();
  sink.Metric("process", "peak_rss_mb", end.peak_rss_mb);
  sink.Metric("process", "cpu_seconds", end.cpu_seconds);
  std::fprintf(stderr, "  %-7s %-17s %10.1f MiB on disk (du), peak RSS %.1f MiB\n", info.name,
               "store", static_cast<double>(du) / (1 << 20), end.peak_rss_mb);
  engine.reset();
  if (!settings.keep) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

}  // namespace trine_entity_bench
