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
// stream their figures back over a pipe (the protocol of db_bench/main.cpp).
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "entity_engine.h"
#include "workloads.h"

namespace trine_entity_bench {
namespace {

namespace fs = std::filesystem;

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

// ------------------------------------------------------------------ flags

class Flags {
 public:
  Flags(int argc, char** argv) {
    static const std::set<std::string> kBool = {"keep", "help"};
    static const std::set<std::string> kValued = {
        "n",   "batch",    "reads", "scans", "scan_rows", "durability", "engines",
        "dir", "cache_mb", "seed",  "csv",   "json",      "timeout_s"};
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
      } else if (kBool.count(name) != 0) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        throw BenchError("--" + name + " needs a value");
      }
      if (kBool.count(name) == 0 && kValued.count(name) == 0)
        throw BenchError("unknown flag --" + name);
      values_[name] = value;
    }
  }

  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  std::string Get(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  bool GetBool(const std::string& name) const {
    const std::string v = Get(name, "false");
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
    if (v.empty() || v.size() > 15 || v.find_first_not_of("0123456789") != std::string::npos)
      throw BenchError("--" + name + " takes a number, not '" + Get(name, "") + "'");
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

// ------------------------------------------------------------------ results

// What one engine reported.
struct EngineRun {
  std::string name;
  std::string describe;
  std::string phase;  // the last phase reported, for errors
  std::string error;  // empty: ran to the end
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, double>>>> phases;

  void Metric(const std::string& p, const std::string& metric, double value) {
    phase = p;
    for (auto& [phase_name, figures] : phases) {
      if (phase_name == p) {
        figures.emplace_back(metric, value);
        return;
      }
    }
    phases.push_back({p, {{metric, value}}});
  }
  const double* Find(std::string_view p, std::string_view metric) const {
    for (const auto& [phase_name, figures] : phases) {
      if (phase_name != p)
        continue;
      for (const auto& [m, v] : figures) {
        if (m == metric)
          return &v;
      }
    }
    return nullptr;
  }
};

// Child side: one line per event, flushed at once.
//   D <describe> | M <phase> <metric> <value> | E <message>   (tab-separated)
class PipeSink final : public ResultSink {
 public:
  explicit PipeSink(std::FILE* f) : f_(f) {}
  void Describe(std::string_view text) override { Line("D\t" + Clean(text)); }
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
    run.describe = f[1];
  } else if (f[0] == "M" && f.size() == 4) {
    run.Metric(f[1], f[2], std::strtod(f[3].c_str(), nullptr));
  } else if (f[0] == "E" && f.size() == 2) {
    run.error = f[1];
  }
}

void RunInChild(const EngineInfo& info, const BenchSettings& settings, int timeout_s,
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
      PipeSink sink(f);
      try {
        RunEngine(info, settings, sink);
      } catch (const std::exception& e) {
        sink.Error(e.what());
        code = 1;
      }
    }
    std::fclose(f);
    std::fflush(stderr);
    _exit(code);  // no static destructors: they belong to the parent
  }
  close(fds[1]);
  std::string pending;
  char buf[4096];
  bool timed_out = false;
  while (true) {
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, timeout_s * 1000);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready == 0) {
      // Silent for too long: an engine hang must not hang the whole run.
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
    run.error = "no progress for " + std::to_string(timeout_s) + " s: killed";
  } else if (WIFSIGNALED(status)) {
    run.error = std::string("crashed with signal ") + strsignal(WTERMSIG(status));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && run.error.empty()) {
    run.error = "exited with status " + std::to_string(WEXITSTATUS(status));
  }
}

// ------------------------------------------------------------------ report

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

// Three significant digits or so: enough to compare, few enough to read.
std::string FormatFigure(double v) {
  if (!std::isfinite(v))
    return "?";
  const double a = std::fabs(v);
  if (a == 0)
    return "0";
  if (a < 1)
    return Fmt("%.3f", v);
  if (a < 10)
    return Fmt("%.2f", v);
  if (a < 100)
    return Fmt("%.1f", v);
  return Fmt("%.0f", v);
}

struct TableRow {
  const char* label;
  const char* phase;
  const char* metric;
  const char* unit;
};

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
      std::fprintf(out, " %12s", v != nullptr ? FormatFigure(*v).c_str() : "-");
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

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += Fmt("\\u%04x", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
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
  const Flags flags(argc, argv);
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
      runs.push_back(EngineRun{name, {}, {}, {}, {}});
    }
  } else {
    for (const EngineInfo& e : AllEngines()) {
      if (e.make != nullptr) {
        runs.push_back(EngineRun{e.name, {}, {}, {}, {}});
      } else {
        std::fprintf(stderr, "%s: not built (%s)\n", e.name, e.missing_hint);
      }
    }
  }
  if (runs.empty())
    throw BenchError("no engines selected");

  const bool default_dir = !flags.Has("dir");
  s.dir = flags.Get("dir", "/tmp/trine-entity-bench-" + std::to_string(getpid()));
  std::error_code ec;
  fs::create_directories(s.dir, ec);
  if (ec)
    throw BenchError("cannot create --dir " + s.dir + ": " + ec.message());

  std::fprintf(stderr,
               "trine_entity_bench: N=%llu, durability %s, in %s (one process per engine)\n",
               static_cast<unsigned long long>(s.n), durability.c_str(), s.dir.c_str());
  for (EngineRun& run : runs)
    RunInChild(*FindEngine(run.name), s, timeout_s, run);

  std::fprintf(stdout, "\n");
  PrintTable(stdout, s, runs);
  const bool ok = PrintChecks(stdout, runs);
  if (flags.Has("csv"))
    WriteCsv(flags.Get("csv", ""), runs);
  if (flags.Has("json"))
    WriteJson(flags.Get("json", ""), s, runs);
  // The children removed their stores; remove the directory too if it is
  // ours (or empty), never a user's directory with other things in it.
  if (!s.keep) {
    if (default_dir) {
      fs::remove_all(s.dir, ec);
    } else {
      fs::remove(s.dir, ec);
    }
  }
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
