#include "report.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../common/format.h"
#include "engine.h"

namespace trine_bench {

namespace {

struct Row {
  std::string label;
  std::string phase;
  std::string metric;
  std::string unit;
};

// Table cells: down to 4 decimals, so that sub-0.1 figures keep 3 digits.
constexpr int kMaxDecimals = 4;

std::vector<std::pair<std::string, std::vector<Row>>> TableRows(const RunInfo& info) {
  const Settings& s = info.settings;
  const std::string sub = std::to_string(info.subjects);
  const std::string raw = Fmt("%.1f", info.avg_key_length + static_cast<double>(s.value_size));
  const std::string groups = std::to_string(s.delete_groups);
  std::vector<std::pair<std::string, std::vector<Row>>> sections;
  sections.push_back(
      {"",
       {
           {"fillseq, 1 put per write", "fillseq_b1", "us_per_op", "us/op"},
           {"fillseq, batches of 1000", "fillseq_b1000", "us_per_op", "us/op"},
           {"fillrandom, 1 put per write", "fillrandom_b1", "us_per_op", "us/op"},
           {"fillrandom, batches of 1000 (kept)", "fillrandom_b1000", "us_per_op", "us/op"},
           {"compact: flush + full compaction", "compact", "seconds", "s"},
           {"  bytes/entry on disk (raw " + raw + ")", "compact", "bytes_per_entry", "B/entry"},
           {"readrandom", "readrandom", "us_per_op", "us/op"},
           {"readmissing", "readmissing", "us_per_op", "us/op"},
           {"seekrandom: seek + read 10", "seekrandom", "us_per_op", "us/op"},
           {"prefix scan [type,attr] (" + sub + " entries)", "prefixscan_ta", "ns_per_entry",
            "ns/entry"},
           {"prefix scan [type] (" + std::to_string(info.subjects * s.attrs) + " entries)",
            "prefixscan_t", "ns_per_entry", "ns/entry"},
           {"overwrite N, batches of 1000", "overwrite", "us_per_op", "us/op"},
           {"deleterandom N/5, batches of 1000", "deleterandom", "us_per_op", "us/op"},
           {"readrandom after deletes", "readrandom_after_del", "us_per_op", "us/op"},
           {"seekrandom after deletes", "seekrandom_after_del", "us_per_op", "us/op"},
           {"delete " + groups + " [type,attr] groups", "deleteprefix", "total_ms", "ms"},
           {"seek into a deleted group + read 10", "seek_tombstones", "us_per_op", "us/op"},
           {"final compaction", "final_compact", "seconds", "s"},
           {"  bytes/entry on disk (live entries)", "final_compact", "bytes_per_entry", "B/entry"},
           {"  write amp: wchar / user bytes", "final_compact", "wa_wchar", "x"},
           {info.fork ? "peak RSS" : "peak RSS (approx.: no --fork)", "summary", "peak_rss_mb",
            "MiB"},
       }});
  std::vector<Row> writes;
  for (const auto& [phase, label] :
       std::vector<std::pair<std::string, std::string>>{{"fillseq_b1", "fillseq b1"},
                                                        {"fillseq_b1000", "fillseq b1000"},
                                                        {"fillrandom_b1", "fillrandom b1"},
                                                        {"fillrandom_b1000", "fillrandom b1000"},
                                                        {"overwrite", "overwrite b1000"},
                                                        {"deleterandom", "deleterandom b1000"}}) {
    writes.push_back({label + ": p99", phase, "p99_us", "us"});
    writes.push_back({label + ": max", phase, "max_ms", "ms"});
  }
  writes.push_back({"delete a group: max", "deleteprefix", "max_ms", "ms"});
  writes.push_back({"max single write, any phase", "summary", "max_write_ms", "ms"});
  writes.push_back({"writes that took > 10 ms", "summary", "writes_over_10ms", "count"});
  sections.push_back({"write latency (per call: a put, or a batch of 1000)", writes});
  sections.push_back({"read latency (gets and seeks sampled 1 in 8)",
                      {
                          {"readrandom: p50", "readrandom", "p50_us", "us"},
                          {"readrandom: p99", "readrandom", "p99_us", "us"},
                          {"readmissing: p99", "readmissing", "p99_us", "us"},
                          {"seekrandom: p99", "seekrandom", "p99_us", "us"},
                          {"prefix scan [type,attr]: p99", "prefixscan_ta", "p99_us", "us"},
                          {"readrandom after deletes: p99", "readrandom_after_del", "p99_us", "us"},
                          {"seekrandom after deletes: p99", "seekrandom_after_del", "p99_us", "us"},
                          {"seek into a deleted group: p99", "seek_tombstones", "p99_us", "us"},
                      }});
  return sections;
}

const EngineRun* FindRun(const std::vector<EngineRun>& runs, std::string_view name) {
  for (const EngineRun& r : runs) {
    if (r.name == name && r.selected)
      return &r;
  }
  return nullptr;
}

// A failed phase may have recorded timings before its check failed: they
// measure wrong answers, so they count as missing.
std::optional<double> Value(const EngineRun* run, const Row& row) {
  if (run == nullptr || run->failed_phase == row.phase)
    return std::nullopt;
  const double* v = run->Find(row.phase, row.metric);
  if (v == nullptr)
    return std::nullopt;
  return *v;
}

// Trine divided by the better (smaller) of RocksDB and LevelDB: every figure
// in the table is a cost, so < 1 means Trine is better.
std::optional<double> Ratio(const std::vector<EngineRun>& runs, const Row& row) {
  const std::optional<double> trine = Value(FindRun(runs, "trine"), row);
  if (!trine)
    return std::nullopt;
  std::optional<double> best;
  for (const char* peer : {"rocksdb", "leveldb"}) {
    const std::optional<double> v = Value(FindRun(runs, peer), row);
    if (v && (!best || *v < *best))
      best = v;
  }
  if (!best || *best <= 0)
    return std::nullopt;
  return *trine / *best;
}

std::string JsonNumber(double v) {
  return std::isfinite(v) ? Fmt("%.10g", v) : "null";
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n") == std::string_view::npos)
    return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  f.flush();
  if (!f)
    throw BenchError("cannot write " + path);
}

}  // namespace

void PrintTable(std::FILE* out, const RunInfo& info, const std::vector<EngineRun>& runs) {
  const Settings& s = info.settings;
  std::vector<const EngineRun*> cols;
  for (const EngineRun& r : runs) {
    if (r.selected)
      cols.push_back(&r);
  }
  const bool ratio_col =
      FindRun(runs, "trine") != nullptr &&
      (FindRun(runs, "rocksdb") != nullptr || FindRun(runs, "leveldb") != nullptr);
  constexpr int kLabel = 42, kUnit = 8, kCol = 10;

  std::fprintf(out,
               "\ntrine_bench: N=%llu, %zu B values, avg key %.1f B, %llu types x %llu attrs x "
               "%llu subjects, cache %zu MiB, memtable %zu MiB, bloom %d bits/key, seed %llu\n\n",
               static_cast<unsigned long long>(s.n), s.value_size, info.avg_key_length,
               static_cast<unsigned long long>(s.types), static_cast<unsigned long long>(s.attrs),
               static_cast<unsigned long long>(info.subjects), s.engine_options.cache_bytes >> 20,
               s.engine_options.memtable_bytes >> 20, s.engine_options.bloom_bits_per_key,
               static_cast<unsigned long long>(s.seed));
  std::fprintf(out, "%-*s %-*s", kLabel, "workload", kUnit, "unit");
  for (const EngineRun* r : cols)
    std::fprintf(out, " %*s", kCol, r->name.c_str());
  if (ratio_col)
    std::fprintf(out, " %*s", kCol + 2, "trine/best");
  std::fprintf(out, "\n");
  const int width =
      kLabel + 1 + kUnit + static_cast<int>(cols.size()) * (kCol + 1) + (ratio_col ? kCol + 3 : 0);
  std::fprintf(out, "%s\n", std::string(static_cast<size_t>(width), '-').c_str());

  for (const auto& [title, rows] : TableRows(info)) {
    bool title_printed = title.empty();
    for (const Row& row : rows) {
      // Skip rows nobody measured (phases left out with --benchmarks).
      bool any = false;
      for (const EngineRun* r : cols)
        any |= Value(r, row).has_value() || r->failed_phase == row.phase;
      if (!any)
        continue;
      if (!title_printed) {
        std::fprintf(out, "-- %s\n", title.c_str());
        title_printed = true;
      }
      std::fprintf(out, "%-*s %-*s", kLabel, row.label.c_str(), kUnit, row.unit.c_str());
      for (const EngineRun* r : cols) {
        const std::optional<double> v = Value(r, row);
        const std::string cell =
            r->failed_phase == row.phase ? "FAIL" : (v ? FormatFigure(*v, kMaxDecimals) : "-");
        std::fprintf(out, " %*s", kCol, cell.c_str());
      }
      if (ratio_col) {
        const std::optional<double> ratio = Ratio(runs, row);
        std::fprintf(out, " %*s", kCol + 2,
                     ratio ? Fmt(*ratio < 0.1 ? "%.3f" : "%.2f", *ratio).c_str() : "-");
      }
      std::fprintf(out, "\n");
    }
  }
  std::fprintf(out, "\n");

  for (const EngineRun* r : cols) {
    std::fprintf(out, "%-8s %s\n", r->name.c_str(),
                 r->describe.empty() ? "(did not open)" : r->describe.c_str());
  }
  for (const EngineRun& r : runs) {
    if (!r.built) {
      std::fprintf(out, "%-8s not built (%s)\n", r.name.c_str(), r.missing_hint.c_str());
    }
  }
  std::fprintf(out, "\nNotes:\n");
  if (ratio_col) {
    std::fprintf(out,
                 "- trine/best = Trine / the better of RocksDB and LevelDB; every figure is a "
                 "cost, so < 1 means Trine\n  wins. SQLite is shown, not ranked.\n");
  }
  if (FindRun(runs, "rocksdb") != nullptr) {
    std::fprintf(out,
                 "- RocksDB here is Debian's librocksdb build, compiled with assert()s on (no "
                 "NDEBUG): 1.5-2.7x slower\n  than a release build on writes and scans. Compare "
                 "reads and scans against LevelDB first.\n");
  }
  std::fprintf(out,
               "- No fsync per write: Trine Durability::kRelaxed, RocksDB/LevelDB WAL with "
               "sync=false, SQLite WAL with\n  synchronous=NORMAL.\n");
  std::fprintf(out,
               "- Deleting a group: Trine writes one DeleteRange; the others scan the group and "
               "point-delete every key\n  (batches of 1000), as their users must.\n");
  std::fprintf(out,
               "- bytes/entry: apparent size of table files (SQLite: the database file) per live "
               "entry; raw = key + value.\n  Write amp: bytes the process wrote (wchar: WAL, "
               "tables, compactions) per key+value byte the\n  workload wrote, from the load "
               "through the final compaction.\n");
  std::fprintf(out,
               "- Every answer was checked (presence, values, scan counts and boundaries); a "
               "wrong answer fails the\n  engine. One run on a shared machine: treat differences "
               "under ~15%% as noise.\n");
  if (!info.fork) {
    std::fprintf(out,
                 "- Without --fork all engines share one process: peak RSS is reset per engine "
                 "but includes heap\n  the previous engines left behind.\n");
  }
  bool failures = false;
  for (const EngineRun* r : cols) {
    if (r->error.empty())
      continue;
    if (!failures)
      std::fprintf(out, "\nFAILURES:\n");
    failures = true;
    std::fprintf(out, "- %s, phase %s: %s\n", r->name.c_str(),
                 r->failed_phase.empty() ? "?" : r->failed_phase.c_str(), r->error.c_str());
  }
  std::fflush(out);
}

void WriteCsv(const std::string& path, const RunInfo& info, const std::vector<EngineRun>& runs) {
  const Settings& s = info.settings;
  std::ostringstream csv;
  csv << "started,n,value_size,seed,engine,phase,metric,value\n";
  for (const EngineRun& r : runs) {
    if (!r.selected)
      continue;
    const std::string head = CsvField(info.started) + "," + std::to_string(s.n) + "," +
                             std::to_string(s.value_size) + "," + std::to_string(s.seed) + "," +
                             r.name + ",";
    for (const auto& [phase, figures] : r.phases) {
      for (const auto& [metric, value] : figures) {
        csv << head << phase << "," << metric << "," << JsonNumber(value) << "\n";
      }
    }
    if (!r.error.empty()) {
      csv << head << CsvField(r.failed_phase) << ",error," << CsvField(r.error) << "\n";
    }
  }
  WriteFile(path, csv.str());
}

void WriteJson(const std::string& path, const RunInfo& info, const std::vector<EngineRun>& runs) {
  const Settings& s = info.settings;
  std::ostringstream j;
  j << "{\n  \"tool\": \"trine_bench\",\n  \"started\": " << JsonString(info.started)
    << ",\n  \"n\": " << s.n << ",\n  \"value_size\": " << s.value_size
    << ",\n  \"seed\": " << s.seed << ",\n  \"types\": " << s.types << ",\n  \"attrs\": " << s.attrs
    << ",\n  \"subjects\": " << info.subjects
    << ",\n  \"avg_key_length\": " << JsonNumber(info.avg_key_length)
    << ",\n  \"cache_bytes\": " << s.engine_options.cache_bytes
    << ",\n  \"memtable_bytes\": " << s.engine_options.memtable_bytes
    << ",\n  \"bloom_bits_per_key\": " << s.engine_options.bloom_bits_per_key
    << ",\n  \"fork\": " << (info.fork ? "true" : "false") << ",\n  \"engines\": [";
  bool first_engine = true;
  for (const EngineRun& r : runs) {
    if (!r.selected)
      continue;
    j << (first_engine ? "\n" : ",\n") << "    {\"name\": " << JsonString(r.name)
      << ", \"describe\": " << JsonString(r.describe)
      << ", \"ok\": " << (r.error.empty() ? "true" : "false")
      << ", \"error\": " << (r.error.empty() ? "null" : JsonString(r.error))
      << ", \"failed_phase\": " << (r.error.empty() ? "null" : JsonString(r.failed_phase))
      << ",\n     \"phases\": {";
    first_engine = false;
    bool first_phase = true;
    for (const auto& [phase, figures] : r.phases) {
      j << (first_phase ? "\n" : ",\n") << "       " << JsonString(phase) << ": {";
      first_phase = false;
      bool first_metric = true;
      for (const auto& [metric, value] : figures) {
        j << (first_metric ? "" : ", ") << JsonString(metric) << ": " << JsonNumber(value);
        first_metric = false;
      }
      j << "}";
    }
    j << "}}";
  }
  j << "\n  ]\n}\n";
  WriteFile(path, j.str());
}

}  // namespace trine_bench
