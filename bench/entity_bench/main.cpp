// trine_entity_bench: Trine's entity API against SQLite on the same data.
//
//   trine_entity_bench                          # 1M Person entities, durable commits
//   trine_entity_bench --n 100k --durability relaxed --csv out.csv
//
// Type Person (name string INDEX, age int INDEX, email string, score float,
// city string) on Trine; the equivalent rowid table with two indexes on
// SQLite (WAL). Workloads: bulk_insert (transactions of --batch entities),
// get_by_id (whole entity, one read transaction each), range_scan (first 100
// index entries with age >= a) and range_scan_fetch (the same plus each row's
// name). Durability is matched: durable = fsync per commit on both.
//
// Each engine runs in its own child process, one after the other, so peak
// RSS is per engine and one engine's cache cannot help the next; the children
// stream their figures back over a pipe (bench/common/child_process.h).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../common/child_process.h"
#include "../common/figures.h"
#include "../common/flags.h"
#include "../common/format.h"
#include "../common/work_dir.h"
#include "entity_engine.h"
#include "workloads.h"

namespace trine_entity_bench {
namespace {

using trine_bench::Flags;
using trine_bench::Fmt;
using trine_bench::FormatFigure;
using trine_bench::JsonString;
using trine_bench::SplitList;
using trine_bench::WorkDir;

constexpr const char* kUsage = R"(usage: trine_entity_bench [flags]
  --n N               Person entities loaded (default 1000000; suffixes k, m)
  --batch N           entities per bulk_insert transaction (default 1000)
  --reads N           get_by_id operations (default 200000)
  --scans N           range scans per scan workload (default 20000)
  --scan_rows N       rows per range scan (default 100)
  --durability D      durable (default): fsync per commit on both engines;
                      relaxed: Trine kRelaxed, SQLite synchronous=NORMAL
  --engines LIST      comma list of trine,sqlite (default: both, if built)
  --dir DIR           working directory (default /tmp/trine-entity-bench-<pid>)
  --keep              keep the stores (DIR/trine, DIR/sqlite) at the end
  --cache_mb MB       Trine block cache and SQLite page cache (default 64)
  --seed S            data and workload seed (default 1)
  --csv FILE          every figure as CSV (engine, phase, metric, value)
  --json FILE         every figure as JSON
  --timeout_s S       kill an engine process silent for S seconds (default 3600)
)";

// ------------------------------------------------------------------ results

// What one engine reported (through the pipe from its child process).
struct EngineRun final : public ResultSink {
  explicit EngineRun(std::string engine) : name(std::move(engine)) {}

  std::string name;
  std::string describe;
  std::string phase;                 // the last phase reported, for errors
  std::string error;                 // empty: ran to the end
  trine_bench::PhaseFigures phases;  // in the order measured

  void Describe(std::string_view text) override { describe = text; }
  void Metric(std::string_view p, std::string_view metric, double value) override {
    phase = p;
    trine_bench::AddFigure(phases, p, metric, value);
  }
  const double* Find(std::string_view p, std::string_view metric) const {
    return trine_bench::FindFigure(phases, p, metric);
  }
};

// The error texts are this program's own (terser than trine_bench's); the
// table prints them after the engine and its last phase.
void RunEngineInChild(const EngineInfo& info, const BenchSettings& settings, int timeout_s,
                      EngineRun& run) {
  const trine_bench::ChildEnd end =
      trine_bench::RunInChild([&](ResultSink& pipe) { RunEngine(info, settings, pipe); }, run,
                              [&](const std::string& message) { run.error = message; }, timeout_s);
  if (end.timed_out) {
    run.error = "no progress for " + std::to_string(timeout_s) + " s: killed";
  } else if (end.signal != 0) {
    run.error = std::string("crashed with signal ") + strsignal(end.signal);
  } else if (end.exit_status != 0 && run.error.empty()) {
    run.error = "exited with status " + std::to_string(end.exit_status);
  }
}

// ------------------------------------------------------------------ report

struct TableRow {
  const char* label;
  const char* phase;
  const char* metric;
  const char* unit;
};

// Table cells: down to 3 decimals.
constexpr int kMaxDecimals = 3;

constexpr TableRow kRows[] = {
    {"bulk_insert", "bulk_insert", "entities_per_s", "entities/s"},
    {"", "bulk_insert", "seconds", "total s"},
    {"", "bulk_insert", "batch_p99_ms", "commit p99 ms"},
    {"get_by_id", "get_by_id", "ops_per_s", "gets/s"},
    {"", "get_by_id", "p50_us", "p50 us"},
    {"", "get_by_id", "p99_us", "p99 us"},
    {"range_scan", "range_scan", "scans_per_s", "scans/s"},
    {"", "range_scan", "rows_per_s", "rows/s"},
    {"", "range_scan", "p99_us", "p99 us"},
    {"range_scan_fetch", "range_scan_fetch", "scans_per_s", "scans/s"},
    {"", "range_scan_fetch", "rows_per_s", "rows/s"},
    {"", "range_scan_fetch", "p99_us", "p99 us"},
    {"store", "store", "disk_mb", "disk MiB (du)"},
    {"process", "process", "peak_rss_mb", "peak RSS MiB"},
};

std::string DurabilityText(Durability d) {
  return d == Durability::kDurable
             ? "durable: Trine Durability::kDurable (WAL fsync per commit) vs SQLite "
               "journal_mode=WAL, synchronous=FULL (WAL fsync per commit)"
             : "relaxed: Trine Durability::kRelaxed (commit returns once applied in memory; "
               "the WAL is written in the background within 5 ms, fsynced every 1 s) vs "
               "SQLite journal_mode=WAL, synchronous=NORMAL (WAL written per commit, fsync "
               "only at checkpoints)";
}

void PrintTable(std::FILE* out, const BenchSettings& s, const std::vector<EngineRun>& runs) {
  std::fprintf(out,
               "trine_entity_bench: %llu Person entities (name string INDEX, age int INDEX, "
               "email string, score float, city string), seed %llu\n",
               static_cast<unsigned long long>(s.n), static_cast<unsigned long long>(s.seed));
  std::fprintf(out,
               "bulk_insert in transactions of %llu; get_by_id x %llu; range_scan and "
               "range_scan_fetch x %llu, %llu rows each\n",
               static_cast<unsigned long long>(s.batch), static_cast<unsigned long long>(s.reads),
               static_cast<unsigned long long>(s.scans),
               static_cast<unsigned long long>(s.scan_rows));
  std::fprintf(out, "durability %s\n", DurabilityText(s.engine.durability).c_str());
  std::fprintf(out,
               "reads run on the store as loaded (no flush, compaction or warm-up after "
               "bulk_insert); one process per engine, one after the other\n");
  for (const EngineRun& r : runs)
    std::fprintf(out, "  %-7s %s\n", (r.name + ":").c_str(), r.describe.c_str());
  std::fprintf(out, "\n");

  const EngineRun* trine = nullptr;
  const EngineRun* sqlite = nullptr;
  for (const EngineRun& r : runs) {
    if (r.name == "trine")
      trine = &r;
    if (r.name == "sqlite")
      sqlite = &r;
  }
  const bool ratio = trine != nullptr && sqlite != nullptr;
  std::fprintf(out, "%-17s %-14s", "workload", "metric");
  for (const EngineRun& r : runs)
    std::fprintf(out, " %12s", r.name.c_str());
  if (ratio)
    std::fprintf(out, " %13s", "trine/sqlite");
  std::fprintf(out, "\n");
  for (const TableRow& row : kRows) {
    std::fprintf(out, "%-17s %-14s", row.label, row.unit);
    for (const EngineRun& r : runs) {
      const double* v = r.Find(row.phase, row.metric);
      std::fprintf(out, " %12s", v != nullptr ? FormatFigure(*v, kMaxDecimals).c_str() : "-");
    }
    if (ratio) {
      const double* t = trine->Find(row.phase, row.metric);
      const double* q = sqlite->Find(row.phase, row.metric);
      std::fprintf(out, " %13s",
                   t != nullptr && q != nullptr && *q != 0 ? Fmt("%.2f", *t / *q).c_str() : "-");
    }
    std::fprintf(out, "\n");
  }
  if (ratio) {
    std::fprintf(out,
                 "trine/sqlite: on the per-second rows > 1 means Trine is faster; on the time, "
                 "latency, size and RSS rows < 1 means Trine is better\n");
  }
}

// The result checks, printed under the table. Returns false if any failed.
bool PrintChecks(std::FILE* out, const std::vector<EngineRun>& runs) {
  bool ok = true;
  static const std::pair<const char*, const char*> kCounters[] = {
      {"get_by_id", "misses"},           {"get_by_id", "bad_rows"},
      {"range_scan", "bad_scans"},       {"range_scan", "bad_rows"},
      {"range_scan_fetch", "bad_scans"}, {"range_scan_fetch", "bad_rows"},
  };
  for (const EngineRun& r : runs) {
    if (!r.error.empty()) {
      std::fprintf(out, "error: %s (after phase %s): %s\n", r.name.c_str(),
                   r.phase.empty() ? "-" : r.phase.c_str(), r.error.c_str());
      ok = false;
    }
    for (const auto& [phase, metric] : kCounters) {
      const double* v = r.Find(phase, metric);
      if (v != nullptr && *v != 0) {
        std::fprintf(out, "check failed: %s %s %s = %.0f\n", r.name.c_str(), phase, metric, *v);
        ok = false;
      }
    }
  }
  // Both engines order the index by (age, id) and assign ids in insertion
  // order, so they must return the same rows in the same order.
  for (const char* phase : {"range_scan", "range_scan_fetch"}) {
    std::set<double> sums, rows;
    for (const EngineRun& r : runs) {
      if (const double* v = r.Find(phase, "checksum"))
        sums.insert(*v);
      if (const double* v = r.Find(phase, "rows"))
        rows.insert(*v);
    }
    if (sums.size() > 1 || rows.size() > 1) {
      std::fprintf(out, "check failed: %s: the engines returned different rows\n", phase);
      ok = false;
    }
  }
  if (ok) {
    std::fprintf(out,
                 "checks: every get found its entity with the generated values; every scan "
                 "returned the expected number of rows in (age, id) order with the right "
                 "data%s\n",
                 runs.size() > 1 ? "; the engines returned the same rows (checksums equal)" : "");
  }
  return ok;
}

void WriteCsv(const std::string& path, const std::vector<EngineRun>& runs) {
  std::ofstream f(path);
  f << "engine,phase,metric,value\n";
  for (const EngineRun& r : runs) {
    for (const auto& [phase, figures] : r.phases) {
      for (const auto& [metric, value] : figures)
        f << r.name << ',' << phase << ',' << metric << ',' << Fmt("%.17g", value) << '\n';
    }
  }
  if (!f)
    throw BenchError("cannot write " + path);
}

void WriteJson(const std::string& path, const BenchSettings& s,
               const std::vector<EngineRun>& runs) {
  std::ofstream f(path);
  f << "{\n  \"settings\": {\"n\": " << s.n << ", \"batch\": " << s.batch
    << ", \"reads\": " << s.reads << ", \"scans\": " << s.scans
    << ", \"scan_rows\": " << s.scan_rows << ", \"seed\": " << s.seed << ", \"durability\": "
    << (s.engine.durability == Durability::kDurable ? "\"durable\"" : "\"relaxed\"")
    << ", \"cache_mb\": " << (s.engine.cache_bytes >> 20) << "},\n  \"engines\": [";
  for (size_t i = 0; i < runs.size(); ++i) {
    const EngineRun& r = runs[i];
    f << (i ? "," : "") << "\n    {\"name\": " << JsonString(r.name)
      << ", \"describe\": " << JsonString(r.describe) << ", \"error\": " << JsonString(r.error)
      << ", \"phases\": {";
    for (size_t p = 0; p < r.phases.size(); ++p) {
      f << (p ? ", " : "") << JsonString(r.phases[p].first) << ": {";
      const auto& figures = r.phases[p].second;
      for (size_t m = 0; m < figures.size(); ++m) {
        f << (m ? ", " : "") << JsonString(figures[m].first) << ": "
          << (std::isfinite(figures[m].second) ? Fmt("%.17g", figures[m].second) : "null");
      }
      f << "}";
    }
    f << "}}";
  }
  f << "\n  ]\n}\n";
  if (!f)
    throw BenchError("cannot write " + path);
}

// ------------------------------------------------------------------ main

int Main(int argc, char** argv) {
  const Flags flags(argc, argv, {"keep", "help"},
                    {"n", "batch", "reads", "scans", "scan_rows", "durability", "engines", "dir",
                     "cache_mb", "seed", "csv", "json", "timeout_s"});
  if (flags.GetBool("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  BenchSettings s;
  s.n = flags.GetNumber("n", 1000000);
  s.batch = flags.GetNumber("batch", 1000);
  s.reads = flags.GetNumber("reads", 200000);
  s.scans = flags.GetNumber("scans", 20000);
  s.scan_rows = flags.GetNumber("scan_rows", 100);
  s.seed = flags.GetNumber("seed", 1);
  s.engine.cache_bytes = flags.GetNumber("cache_mb", 64) << 20;
  s.keep = flags.GetBool("keep");
  const std::string durability = flags.Get("durability", "durable");
  if (durability == "durable") {
    s.engine.durability = Durability::kDurable;
  } else if (durability == "relaxed") {
    s.engine.durability = Durability::kRelaxed;
  } else {
    throw BenchError("--durability takes durable or relaxed, not '" + durability + "'");
  }
  if (s.n == 0 || s.batch == 0 || s.scan_rows == 0)
    throw BenchError("--n, --batch and --scan_rows must be > 0");
  const int timeout_s = static_cast<int>(flags.GetNumber("timeout_s", 3600));

  std::vector<EngineRun> runs;
  if (flags.Has("engines")) {
    for (const std::string& name : SplitList(flags.Get("engines", ""))) {
      const EngineInfo* e = FindEngine(name);
      if (e == nullptr)
        throw BenchError("unknown engine '" + name + "' (known: trine, sqlite)");
      if (e->make == nullptr)
        throw BenchError(name + ": not built (" + e->missing_hint + ")");
      runs.emplace_back(name);
    }
  } else {
    for (const EngineInfo& e : AllEngines()) {
      if (e.make != nullptr) {
        runs.emplace_back(e.name);
      } else {
        std::fprintf(stderr, "%s: not built (%s)\n", e.name, e.missing_hint);
      }
    }
  }
  if (runs.empty())
    throw BenchError("no engines selected");

  const WorkDir work_dir(flags, "trine-entity-bench");
  s.dir = work_dir.path();

  std::fprintf(stderr,
               "trine_entity_bench: N=%llu, durability %s, in %s (one process per engine)\n",
               static_cast<unsigned long long>(s.n), durability.c_str(), s.dir.c_str());
  for (EngineRun& run : runs)
    RunEngineInChild(*FindEngine(run.name), s, timeout_s, run);

  std::fprintf(stdout, "\n");
  PrintTable(stdout, s, runs);
  const bool ok = PrintChecks(stdout, runs);
  if (flags.Has("csv"))
    WriteCsv(flags.Get("csv", ""), runs);
  if (flags.Has("json"))
    WriteJson(flags.Get("json", ""), s, runs);
  // The children removed their stores.
  if (!s.keep)
    work_dir.Remove();
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace trine_entity_bench

int main(int argc, char** argv) {
  try {
    return trine_entity_bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trine_entity_bench: %s\n", e.what());
    return 2;
  }
}
