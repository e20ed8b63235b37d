// trine_bench: the same triple-shaped workloads on Trine, RocksDB, LevelDB and
// SQLite in one invocation, printed side by side (see workloads.cpp for the
// workloads and report.cpp for the table).
//
//   trine_bench --n 200000 --value 64                  # every built engine, every workload
//   trine_bench --engines trine,leveldb --benchmarks fillrandom_b1000,readrandom
//   trine_bench --n 1000000 --csv out.csv --json out.json
//
// Engines run one after the other, each in a child process by default
// (--fork): peak RSS is then per engine, and one engine's heap, threads or
// crash cannot touch the next. The children stream their figures back to the
// parent over a pipe (bench/common/child_process.h).
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "../common/child_process.h"
#include "../common/flags.h"
#include "../common/work_dir.h"
#include "engine.h"
#include "keys.h"
#include "report.h"
#include "workloads.h"

namespace trine_bench {
namespace {

constexpr const char* kUsage = R"(usage: trine_bench [flags]
  --n N              keys loaded (default 200000; suffixes k, m: 1m = 1000000)
  --value BYTES      value size (default 64)
  --engines LIST     comma list of trine,rocksdb,leveldb,sqlite (default: every built one)
  --benchmarks LIST  comma list of workloads, or all (default all):
                     %s
  --dir DIR          working directory (default /tmp/trine-bench-<pid>)
  --keep             keep the stores and DIR at the end
  --cache_mb MB      block cache / page cache per engine (default 64)
  --memtable_mb MB   write buffer per engine (default 64)
  --trine_memtable_thread 0|1
                     Trine's memtable trees filled by their own thread (1, the
                     default) or in the commit (0)
  --bloom_bits B     Bloom filter bits per key, 0 = none (default 10)
  --seed S           workload seed (default 1)
  --reads N, --seeks N   operation counts (default min(n, 1M), min(n, 200k))
  --csv FILE         every figure as CSV (engine, phase, metric, value)
  --json FILE        every figure as JSON
  --fork=false       run the engines in this process instead of one child each
  --phase_timeout_s S  with --fork: kill an engine silent for S seconds (default
                     120 + n/5000, e.g. 320 s at n=1M; SQLite's slowest phase
                     takes ~70 us per key)
)";

// ---------------------------------------------------------------- sinks

// Prints one progress line per finished phase to stderr, so a long run shows
// where it is; forwards everything to `inner`.
class ProgressSink final : public ResultSink {
 public:
  ProgressSink(std::string engine, ResultSink& inner) : engine_(std::move(engine)), inner_(inner) {}
  ~ProgressSink() override { Print(); }

  void Describe(std::string_view text) override { inner_.Describe(text); }
  void PhaseStarted(std::string_view phase) override {
    Print();
    phase_ = phase;
    figures_.clear();
    inner_.PhaseStarted(phase);
  }
  void Metric(std::string_view phase, std::string_view metric, double value) override {
    if (phase == phase_)
      figures_[std::string(metric)] = value;
    inner_.Metric(phase, metric, value);
  }

 private:
  void Print() {
    if (phase_.empty() || figures_.empty())
      return;
    std::string line;
    auto add = [&](const char* metric, const char* format) {
      auto it = figures_.find(metric);
      if (it == figures_.end())
        return;
      char buf[64];
      std::snprintf(buf, sizeof(buf), format, it->second);
      line += buf;
    };
    add("us_per_op", "  %9.3f us/op");
    add("ns_per_entry", "  %9.1f ns/entry");
    if (figures_.count("us_per_op") == 0 && figures_.count("ns_per_entry") == 0) {
      add("seconds", "  %9.2f s");
    }
    add("bytes_per_entry", "  %.1f B/entry");
    add("wa_wchar", "  write amp %.2f");
    add("p99_us", "  p99 %.1f us");
    add("max_ms", "  max %.2f ms");
    add("found", "  found %.0f");
    add("entries", "  entries %.0f");
    std::fprintf(stderr, "  %-8s %-21s%s\n", engine_.c_str(), phase_.c_str(), line.c_str());
    figures_.clear();
  }

  std::string engine_;
  ResultSink& inner_;
  std::string phase_;
  std::map<std::string, double> figures_;
};

// ---------------------------------------------------------------- running

void RunEngineInChild(const EngineInfo& info, const Settings& settings, bool keep,
                      int phase_timeout_s, EngineRun& run) {
  // A child silent for longer than `phase_timeout_s` is hung (an engine
  // deadlock): it is killed rather than hang the whole run.
  const ChildEnd end = RunInChild(
      [&](ResultSink& pipe) {
        ProgressSink progress(info.name, pipe);
        RunEngine(info, settings, keep, progress);
      },
      run, [&](const std::string& message) { run.Fail(message); }, phase_timeout_s);
  if (end.timed_out) {
    run.Fail("no progress for " + std::to_string(phase_timeout_s) +
             " s: the engine process was killed (hung?)");
  } else if (end.signal != 0) {
    run.Fail("the engine process crashed with signal " + std::to_string(end.signal) + " (" +
             strsignal(end.signal) + ")");
  } else if (end.exit_status != 0 && run.error.empty()) {
    run.Fail("the engine process exited with status " + std::to_string(end.exit_status));
  }
}

void RunInProcess(const EngineInfo& info, const Settings& settings, bool keep, EngineRun& run) {
  // Give back the previous engine's free heap and restart the peak-RSS
  // counter (writing 5 to clear_refs resets VmHWM), so the figure is about
  // this engine as far as one process allows.
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
  try {
    ProgressSink progress(info.name, run);
    RunEngine(info, settings, keep, progress);
  } catch (const std::exception& e) {
    run.Fail(e.what());
  }
}

std::string LocalTime() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

int Main(int argc, char** argv) {
  std::string phase_list;
  for (const std::string& p : AllPhases())
    phase_list += (phase_list.empty() ? "" : ",") + p;
  const Flags flags(argc, argv, {"keep", "fork", "help"},
                    {"n", "value", "engines", "benchmarks", "dir", "cache_mb", "memtable_mb",
                     "bloom_bits", "trine_memtable_thread", "seed", "reads", "seeks", "types",
                     "attrs", "csv", "json", "phase_timeout_s"});
  if (flags.GetBool("help", false)) {
    std::printf(kUsage, phase_list.c_str());
    return 0;
  }
  CheckOrderedVarintEncoder();

  RunInfo info;
  Settings& s = info.settings;
  s.n = flags.GetNumber("n", 200000);
  s.value_size = flags.GetNumber("value", 64);
  s.seed = flags.GetNumber("seed", 1);
  s.types = flags.GetNumber("types", 100);
  s.attrs = flags.GetNumber("attrs", 10);
  s.reads = flags.GetNumber("reads", 0);
  s.seeks = flags.GetNumber("seeks", 0);
  s.engine_options.cache_bytes = flags.GetNumber("cache_mb", 64) << 20;
  s.engine_options.memtable_bytes = flags.GetNumber("memtable_mb", 64) << 20;
  s.engine_options.bloom_bits_per_key = static_cast<int>(flags.GetNumber("bloom_bits", 10));
  s.engine_options.trine_memtable_thread = flags.GetNumber("trine_memtable_thread", 1) != 0;
  if (s.n == 0 || s.types == 0 || s.attrs == 0)
    throw BenchError("--n, --types, --attrs must be > 0");
  if (s.value_size == 0 || s.value_size > (64u << 20))
    throw BenchError("--value must be 1..64M");
  info.fork = flags.GetBool("fork", true);
  info.keep = flags.GetBool("keep", false);
  info.started = LocalTime();
  // A phase reports at its end; the slowest (SQLite loading keys one per
  // transaction) needs ~70 us per key on the development VM, so allow 200.
  const int phase_timeout_s =
      static_cast<int>(flags.GetNumber("phase_timeout_s", 120 + s.n / 5000));

  const std::string benchmarks = flags.Get("benchmarks", "all");
  if (benchmarks == "all") {
    s.phases = AllPhases();
  } else {
    for (const std::string& p : SplitList(benchmarks)) {
      if (!IsPhase(p))
        throw BenchError("unknown benchmark '" + p + "'; known: " + phase_list);
      s.phases.push_back(p);
    }
  }
  s.ResolveDefaults();
  const KeySpace ks(s.n, s.types, s.attrs);
  info.subjects = ks.subjects();
  info.avg_key_length = ks.AverageKeyLength();

  // Engines: every built one by default; asking for one that is not built is an error.
  std::vector<EngineRun> runs;
  for (const EngineInfo& e : AllEngines()) {
    runs.emplace_back(e.name);
    runs.back().built = e.make != nullptr;
    runs.back().missing_hint = e.missing_hint;
  }
  if (flags.Has("engines")) {
    for (const std::string& name : SplitList(flags.Get("engines", ""))) {
      const EngineInfo* e = FindEngine(name);
      if (e == nullptr)
        throw BenchError("unknown engine '" + name + "'");
      if (e->make == nullptr) {
        throw BenchError(name + ": not built (" + e->missing_hint + ")");
      }
      for (EngineRun& r : runs)
        r.selected |= r.name == name;
    }
  } else {
    for (EngineRun& r : runs) {
      r.selected = r.built;
      if (!r.built)
        std::fprintf(stderr, "%s: not built (%s)\n", r.name.c_str(), r.missing_hint.c_str());
    }
  }

  const WorkDir work_dir(flags, "trine-bench");
  s.dir = work_dir.path();

  std::string names;
  for (const EngineRun& r : runs) {
    if (r.selected)
      names += (names.empty() ? "" : ", ") + r.name;
  }
  std::fprintf(stderr, "trine_bench: %s; N=%llu, %zu B values, %zu workloads, in %s%s\n",
               names.c_str(), static_cast<unsigned long long>(s.n), s.value_size, s.phases.size(),
               s.dir.c_str(), info.fork ? " (one process per engine)" : "");

  for (EngineRun& run : runs) {
    if (!run.selected)
      continue;
    const EngineInfo& e = *FindEngine(run.name);
    if (info.fork) {
      RunEngineInChild(e, s, info.keep, phase_timeout_s, run);
    } else {
      RunInProcess(e, s, info.keep, run);
    }
    if (!run.error.empty()) {
      std::fprintf(stderr, "error: %s, phase %s: %s\n", run.name.c_str(),
                   run.failed_phase.empty() ? "?" : run.failed_phase.c_str(), run.error.c_str());
    }
  }

  PrintTable(stdout, info, runs);
  if (flags.Has("csv"))
    WriteCsv(flags.Get("csv", ""), info, runs);
  if (flags.Has("json"))
    WriteJson(flags.Get("json", ""), info, runs);
  // The engines removed their own stores.
  if (!info.keep)
    work_dir.Remove();

  bool failed = false;
  for (const EngineRun& r : runs)
    failed |= r.selected && !r.error.empty();
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace trine_bench

int main(int argc, char** argv) {
  try {
    return trine_bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trine_bench: %s\n", e.what());
    return 2;
  }
}
