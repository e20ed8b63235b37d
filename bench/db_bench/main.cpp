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
// parent over a pipe.
#include <malloc.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "engine.h"
#include "keys.h"
#include "report.h"
#include "workloads.h"

namespace trine_bench {
namespace {

namespace fs = std::filesystem;

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

// ---------------------------------------------------------------- flags

class Flags {
 public:
  Flags(int argc, char** argv) {
    static const std::set<std::string> kBool = {"keep", "fork", "help"};
    static const std::set<std::string> kValued = {
        "n",           "value",      "engines", "benchmarks",     "dir",   "cache_mb",
        "memtable_mb", "bloom_bits", "seed",    "reads",          "seeks", "types",
        "attrs",       "csv",        "json",    "phase_timeout_s"};
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.rfind("--", 0) != 0)
        throw BenchError("unexpected argument '" + arg + "'");
      arg.erase(0, 2);
      std::string name = arg, value;
      const size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
      } else if (name == "no-fork") {
        name = "fork";
        value = "false";
      } else if (kBool.count(name) != 0) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        throw BenchError("--" + name + " needs a value");
      }
      if (kBool.count(name) == 0 && kValued.count(name) == 0) {
        throw BenchError("unknown flag --" + name);
      }
      values_[name] = value;
    }
  }

  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  std::string Get(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  bool GetBool(const std::string& name, bool fallback) const {
    const std::string v = Get(name, fallback ? "true" : "false");
    if (v == "true" || v == "1" || v == "yes")
      return true;
    if (v == "false" || v == "0" || v == "no")
      return false;
    throw BenchError("--" + name + " takes true or false, not '" + v + "'");
  }
  uint64_t GetNumber(const std::string& name, uint64_t fallback) const {
    if (!Has(name))
      return fallback;
    std::string v = Get(name, "");
    uint64_t scale = 1;
    if (!v.empty() && (v.back() == 'k' || v.back() == 'K'))
      scale = 1000;
    if (!v.empty() && (v.back() == 'm' || v.back() == 'M'))
      scale = 1000000;
    if (scale != 1)
      v.pop_back();
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
      throw BenchError("--" + name + " takes a number, not '" + Get(name, "") + "'");
    }
    return std::stoull(v) * scale;
  }

 private:
  std::map<std::string, std::string> values_;
};

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty())
      out.push_back(item);
  }
  return out;
}

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

// Child side of --fork: one line per event on the pipe, flushed at once so
// that the parent knows the running phase even if the child crashes.
//   D <describe> | P <phase> | M <phase> <metric> <value> | E <message>   (tab-separated)
class PipeSink final : public ResultSink {
 public:
  explicit PipeSink(std::FILE* f) : f_(f) {}
  void Describe(std::string_view text) override { Line("D\t" + Clean(text)); }
  void PhaseStarted(std::string_view phase) override { Line("P\t" + Clean(phase)); }
  void Metric(std::string_view phase, std::string_view metric, double value) override {
    char num[40];
    std::snprintf(num, sizeof(num), "%.17g", value);
    Line("M\t" + Clean(phase) + "\t" + Clean(metric) + "\t" + num);
  }
  void Error(std::string_view message) { Line("E\t" + Clean(message)); }

 private:
  static std::string Clean(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
      if (c == '\t' || c == '\n' || c == '\r')
        c = ' ';
    }
    return out;
  }
  void Line(const std::string& line) {
    std::fputs(line.c_str(), f_);
    std::fputc('\n', f_);
    std::fflush(f_);
  }
  std::FILE* f_;
};

void ApplyLine(const std::string& line, EngineRun& run) {
  std::vector<std::string> f;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    f.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos)
      break;
    start = tab + 1;
  }
  if (f[0] == "D" && f.size() == 2) {
    run.Describe(f[1]);
  } else if (f[0] == "P" && f.size() == 2) {
    run.PhaseStarted(f[1]);
  } else if (f[0] == "M" && f.size() == 4) {
    run.Metric(f[1], f[2], std::strtod(f[3].c_str(), nullptr));
  } else if (f[0] == "E" && f.size() == 2) {
    run.Fail(f[1]);
  }
}

// ---------------------------------------------------------------- running

void RunInChild(const EngineInfo& info, const Settings& settings, bool keep, int phase_timeout_s,
                EngineRun& run) {
  int fds[2];
  if (pipe(fds) != 0)
    throw BenchError(std::string("pipe: ") + std::strerror(errno));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0)
    throw BenchError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    std::FILE* f = fdopen(fds[1], "w");
    int code = 0;
    {
      PipeSink pipe_sink(f);
      try {
        ProgressSink progress(info.name, pipe_sink);
        RunEngine(info, settings, keep, progress);
      } catch (const std::exception& e) {
        pipe_sink.Error(e.what());
        code = 1;
      }
    }
    std::fclose(f);
    std::fflush(stderr);
    _exit(code);  // no static destructors: they belong to the parent
  }
  close(fds[1]);
  // Read the child's lines; a child silent for longer than `phase_timeout_s`
  // is hung (an engine deadlock): kill it rather than hang the whole run.
  std::string pending;
  char buf[4096];
  bool timed_out = false;
  while (true) {
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, phase_timeout_s * 1000);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready == 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    const ssize_t got = read(fds[0], buf, sizeof(buf));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    pending.append(buf, static_cast<size_t>(got));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      ApplyLine(pending.substr(0, nl), run);
      pending.erase(0, nl + 1);
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    run.Fail("no progress for " + std::to_string(phase_timeout_s) +
             " s: the engine process was killed (hung?)");
  } else if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    run.Fail("the engine process crashed with signal " + std::to_string(sig) + " (" +
             strsignal(sig) + ")");
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && run.error.empty()) {
    run.Fail("the engine process exited with status " + std::to_string(WEXITSTATUS(status)));
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
  const Flags flags(argc, argv);
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

  const bool default_dir = !flags.Has("dir");
  s.dir = flags.Get("dir", "/tmp/trine-bench-" + std::to_string(getpid()));
  std::error_code ec;
  fs::create_directories(s.dir, ec);
  if (ec)
    throw BenchError("cannot create --dir " + s.dir + ": " + ec.message());

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
      RunInChild(e, s, info.keep, phase_timeout_s, run);
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
  // The engines removed their own stores; remove the directory too if it is
  // ours (or empty), never a user's directory with other things in it.
  if (!info.keep) {
    if (default_dir) {
      fs::remove_all(s.dir, ec);
    } else {
      fs::remove(s.dir, ec);
    }
  }

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
