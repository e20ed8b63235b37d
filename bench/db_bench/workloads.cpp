// The workloads, in run order (see AllPhases):
//
//   fillseq_b1, fillseq_b1000  N puts in key order, 1 per write / 1000 per batch (throwaway stores)
//   fillrandom_b1              N puts in random order, 1 per write (throwaway)
//   fillrandom_b1000           the same in batches of 1000: the store every later phase uses
//   compact                    flush + full compaction; bytes of table files per entry
//   readrandom, readmissing    gets of random present / absent keys
//   seekrandom                 seek to a random key, read 10 entries
//   prefixscan_ta, _t          every entry of a random [type, attr] / [type]
//   overwrite                  N random puts of new values, batches of 1000
//   deleterandom               N/5 distinct random deletes, batches of 1000
//   readrandom_after_del, seekrandom_after_del   the same reads on the churned, uncompacted store
//   deleteprefix               delete 20 whole [type, attr] groups
//   seek_tombstones            seek to the start of a deleted group, read 10
//   final_compact              full compaction; bytes/entry, lifetime write amplification
//
// Every answer is checked against a model of the store (one byte per key:
// which value version is live, or deleted), so a phase that measures errors
// fails instead of reporting a fast wrong number. The model and the probe
// keys are prepared outside the timed loops, in chunks, so checking costs the
// engines nothing measurable.
#include "workloads.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "../common/work_dir.h"
#include "keys.h"
#include "metrics.h"

namespace trine_bench {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kPhases = {"fillseq_b1",
                                          "fillseq_b1000",
                                          "fillrandom_b1",
                                          "fillrandom_b1000",
                                          "compact",
                                          "readrandom",
                                          "readmissing",
                                          "seekrandom",
                                          "prefixscan_ta",
                                          "prefixscan_t",
                                          "overwrite",
                                          "deleterandom",
                                          "readrandom_after_del",
                                          "seekrandom_after_del",
                                          "deleteprefix",
                                          "seek_tombstones",
                                          "final_compact"};

// The model's state of one key.
enum KeyState : uint8_t { kLiveV0 = 0, kLiveV1 = 1, kDeleted = 2 };

constexpr uint64_t kBatch = 1000;
constexpr uint64_t kSeekEntries = 10;
constexpr size_t kMaxKey = KeySpace::kMaxKeyLength;
// Probes prepared per chunk: bounded memory, and the untimed preparation gap
// between chunks is ~1 % of a chunk's time.
constexpr uint64_t kChunk = 1 << 14;
// The stall threshold: no single write should wait longer.
constexpr uint64_t kStallNanos = 10'000'000;

double Div(double a, double b) {
  return b != 0 ? a / b : 0;
}

// Visits entries, remembering the first and last key and the count, and
// touching each value so the scan cannot be optimised into nothing.
class CheckingVisitor final : public EntryVisitor {
 public:
  bool Visit(std::string_view key, std::string_view value) override {
    const size_t len = std::min(key.size(), sizeof(last_));
    if (count_ == 0) {
      std::memcpy(first_, key.data(), len);
      first_len_ = key.size();
    }
    std::memcpy(last_, key.data(), len);
    last_len_ = key.size();
    checksum_ += key.size() + (value.empty() ? 0 : static_cast<unsigned char>(value[0]));
    ++count_;
    return true;
  }
  void Reset() { count_ = 0; }
  uint64_t count() const { return count_; }
  bool FirstIs(std::string_view key) const { return Same(first_, first_len_, key); }
  bool LastIs(std::string_view key) const { return Same(last_, last_len_, key); }

 private:
  static bool Same(const char* buf, size_t len, std::string_view key) {
    return len == key.size() && std::memcmp(buf, key.data(), len) == 0;
  }

  char first_[kMaxKey * 2] = {};
  char last_[kMaxKey * 2] = {};
  size_t first_len_ = 0, last_len_ = 0;
  uint64_t count_ = 0;
  uint64_t checksum_ = 0;
};

struct WriteOutcome {
  uint64_t ops = 0;
  uint64_t nanos = 0;
  double user_bytes = 0;     // keys + values the workload asked to write
  LatencyHistogram latency;  // per write call (one put, or one batch)
};

// What a correct scan from some position returns.
struct ScanExpectation {
  uint64_t count = 0;
  uint64_t first = 0;  // key indexes of the first and last entry, if count > 0
  uint64_t last = 0;
};

class Runner {
 public:
  Runner(const EngineInfo& info, const Settings& settings, ResultSink& sink)
      : info_(info),
        s_(settings),
        sink_(sink),
        ks_(settings.n, settings.types, settings.attrs),
        root_((fs::path(settings.dir) / info.name).string()) {}

  void Run(bool keep);

 private:
  bool Wants(std::string_view phase) const {
    return std::find(s_.phases.begin(), s_.phases.end(), phase) != s_.phases.end();
  }
  void Metric(std::string_view phase, std::string_view name, double value) {
    sink_.Metric(phase, name, value);
  }
  uint64_t PhaseSeed(uint64_t tag) const { return Mix64(s_.seed * 1000 + tag); }
  std::string KeyString(uint64_t index, bool missing = false) const {
    char buf[kMaxKey];
    return std::string(buf, ks_.Key(index, missing, buf));
  }
  // "key #1234 [type 1, attr 2, subject 2468]" for error messages.
  std::string KeyName(uint64_t index, bool missing = false) const;

  std::unique_ptr<Engine> OpenFresh(const std::string& name);
  // `single_writes`: each latency sample is one write call (not a group
  // delete made of a scan and several batches), so it counts towards the
  // run's max-write and stall totals.
  void RecordWrites(std::string_view phase, const WriteOutcome& w, const ProcessSnapshot& before,
                    Engine& e, bool single_writes = true);
  void RecordEngineStats(std::string_view phase, Engine& e);

  template <typename IndexOf>
  WriteOutcome RunWrites(Engine& e, uint64_t count, uint64_t batch, bool del, uint64_t version,
                         IndexOf index_of);

  ScanExpectation Expect(uint64_t from, uint64_t end, uint64_t max_entries) const;
  uint64_t LiveCount() const;
  // 0: absent, else 1 + the live version.
  uint8_t Expected(uint64_t index) const {
    return state_[index] == kDeleted ? 0 : static_cast<uint8_t>(state_[index] + 1);
  }
  // Throws after a full scan if the store does not hold exactly the model's keys.
  void VerifyFullScan(Engine& e, std::string_view phase, uint64_t expected);

  void FillThrowaway(const std::string& phase, bool random, uint64_t batch);
  void LoadMain();
  void CompactMain(const std::string& phase, bool final);
  void Reads(const std::string& phase, bool missing, uint64_t tag);
  void Seeks(const std::string& phase, uint64_t tag);
  void PrefixScans(const std::string& phase, bool whole_type, uint64_t count, uint64_t tag);
  void Overwrite();
  void DeleteRandom();
  void DeleteGroups();
  void TombstoneSeeks();

  const EngineInfo& info_;
  const Settings& s_;
  ResultSink& sink_;
  const KeySpace ks_;
  const std::string root_;
  bool described_ = false;

  std::unique_ptr<Engine> db_;  // the store every phase after fillrandom_b1000 uses
  std::vector<uint8_t> state_;  // KeyState of every key index in db_
  std::vector<uint64_t> deleted_groups_;
  ProcessSnapshot life_start_;
  double life_user_bytes_ = 0;
  uint64_t max_write_nanos_ = 0;
  uint64_t writes_over_stall_ = 0;
};

std::string Runner::KeyName(uint64_t index, bool missing) const {
  const uint64_t group = index / ks_.subjects();
  const uint64_t t = group / ks_.attrs();
  const uint64_t sid = 2 * (t * ks_.subjects() + index % ks_.subjects()) + (missing ? 1 : 0);
  return "key #" + std::to_string(index) + " [type " + std::to_string(t) + ", attr " +
         std::to_string(group % ks_.attrs()) + ", subject " + std::to_string(sid) + "]";
}

std::unique_ptr<Engine> Runner::OpenFresh(const std::string& name) {
  const std::string dir = (fs::path(root_) / name).string();
  MakeEmptyDir(dir);
  std::unique_ptr<Engine> e = info_.make();
  e->Open(dir, s_.engine_options);
  if (!described_) {
    sink_.Describe(e->Describe());
    described_ = true;
  }
  return e;
}

void Runner::RecordEngineStats(std::string_view phase, Engine& e) {
  for (const auto& [name, value] : e.Stats())
    Metric(phase, name, value);
}

void Runner::RecordWrites(std::string_view phase, const WriteOutcome& w,
                          const ProcessSnapshot& before, Engine& e, bool single_writes) {
  const ProcessSnapshot after = TakeProcessSnapshot();
  const double secs = static_cast<double>(w.nanos) / 1e9;
  const uint64_t stalls = w.latency.CountAbove(kStallNanos);
  Metric(phase, "ops", static_cast<double>(w.ops));
  Metric(phase, "seconds", secs);
  Metric(phase, "us_per_op", Div(secs * 1e6, static_cast<double>(w.ops)));
  Metric(phase, "ops_per_sec", Div(static_cast<double>(w.ops), secs));
  Metric(phase, "write_calls", static_cast<double>(w.latency.count()));
  Metric(phase, "p50_us", w.latency.Percentile(0.50) / 1e3);
  Metric(phase, "p99_us", w.latency.Percentile(0.99) / 1e3);
  Metric(phase, "max_ms", static_cast<double>(w.latency.max_nanos()) / 1e6);
  Metric(phase, "writes_over_10ms", static_cast<double>(stalls));
  Metric(phase, "user_bytes", w.user_bytes);
  Metric(phase, "wchar_bytes", after.wchar - before.wchar);
  Metric(phase, "device_write_bytes", after.write_bytes - before.write_bytes);
  Metric(phase, "cpu_seconds", after.cpu_seconds - before.cpu_seconds);
  if (single_writes) {
    max_write_nanos_ = std::max(max_write_nanos_, w.latency.max_nanos());
    writes_over_stall_ += stalls;
  }
  RecordEngineStats(phase, e);
}

// Keys and values are generated inside the timed loop, as in db_bench: the
// cost (~30 ns per op) is the same for every engine, and writes must not
// pause, or background compaction would get free time the phase never pays for.
template <typename IndexOf>
WriteOutcome Runner::RunWrites(Engine& e, uint64_t count, uint64_t batch, bool del,
                               uint64_t version, IndexOf index_of) {
  const size_t vsize = s_.value_size;
  std::vector<char> keys(batch * kMaxKey);
  std::vector<char> values(del ? 0 : batch * vsize);
  std::vector<WriteOp> ops(batch);
  WriteOutcome out;
  out.ops = count;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < count; i += batch) {
    const uint64_t m = std::min(batch, count - i);
    for (uint64_t b = 0; b < m; ++b) {
      const uint64_t index = index_of(i + b);
      char* key = keys.data() + b * kMaxKey;
      WriteOp& op = ops[b];
      op.key = std::string_view(key, ks_.Key(index, false, key));
      if (del) {
        op.kind = WriteOp::Kind::kDelete;
        op.value = {};
      } else {
        char* value = values.data() + b * vsize;
        FillValue(index, version, vsize, value);
        op.kind = WriteOp::Kind::kPut;
        op.value = std::string_view(value, vsize);
      }
      out.user_bytes += static_cast<double>(op.key.size() + op.value.size());
    }
    const auto t0 = Clock::now();
    if (batch == 1) {
      if (del) {
        e.Delete(ops[0].key);
      } else {
        e.Put(ops[0].key, ops[0].value);
      }
    } else {
      e.Write(std::span<const WriteOp>(ops.data(), m));
    }
    out.latency.Record(ElapsedNanos(t0, Clock::now()));
  }
  out.nanos = ElapsedNanos(start, Clock::now());
  return out;
}

ScanExpectation Runner::Expect(uint64_t from, uint64_t end, uint64_t max_entries) const {
  ScanExpectation x;
  for (uint64_t i = from; i < end && x.count < max_entries; ++i) {
    if (state_[i] == kDeleted)
      continue;
    if (x.count == 0)
      x.first = i;
    x.last = i;
    ++x.count;
  }
  return x;
}

uint64_t Runner::LiveCount() const {
  return static_cast<uint64_t>(
      std::count_if(state_.begin(), state_.end(), [](uint8_t st) { return st != kDeleted; }));
}

void Runner::VerifyFullScan(Engine& e, std::string_view phase, uint64_t expected) {
  CheckingVisitor all;
  const size_t returned = e.Scan("", "", ~size_t{0}, all);
  if (returned != all.count() || all.count() != expected) {
    throw BenchError("a full scan after " + std::string(phase) + " returned " +
                     std::to_string(all.count()) + " entries (Scan said " +
                     std::to_string(returned) + "), expected " + std::to_string(expected));
  }
}

void Runner::FillThrowaway(const std::string& phase, bool random, uint64_t batch) {
  sink_.PhaseStarted(phase);
  std::unique_ptr<Engine> e = OpenFresh(phase);
  const Permutation perm(s_.n, PhaseSeed(1));
  const ProcessSnapshot before = TakeProcessSnapshot();
  const WriteOutcome w =
      RunWrites(*e, s_.n, batch, false, 0, [&](uint64_t i) { return random ? perm(i) : i; });
  e->CheckHealth();
  RecordWrites(phase, w, before, *e);
  // Untimed: the store must hold every key, in order.
  CheckingVisitor all;
  e->Scan("", "", ~size_t{0}, all);
  if (all.count() != s_.n || !all.FirstIs(KeyString(0)) || !all.LastIs(KeyString(s_.n - 1))) {
    throw BenchError("after " + phase + " a full scan returned " + std::to_string(all.count()) +
                     " entries (expected " + std::to_string(s_.n) +
                     ") or the wrong first/last key");
  }
  // Close waits for background work; reported, but not part of the write rate.
  const auto t0 = Clock::now();
  e->Close();
  Metric(phase, "close_seconds", static_cast<double>(ElapsedNanos(t0, Clock::now())) / 1e9);
  const DirBytes d = MeasureDir((fs::path(root_) / phase).string(),
                                [&](const std::string& f) { return e->IsDataFile(f); });
  Metric(phase, "dir_bytes", static_cast<double>(d.total));
  e.reset();
  std::error_code ec;
  fs::remove_all(fs::path(root_) / phase, ec);
}

void Runner::LoadMain() {
  const std::string phase = "fillrandom_b1000";
  sink_.PhaseStarted(phase);
  db_ = OpenFresh("main");
  state_.assign(s_.n, kLiveV0);
  const Permutation perm(s_.n, PhaseSeed(1));
  life_start_ = TakeProcessSnapshot();
  const WriteOutcome w = RunWrites(*db_, s_.n, kBatch, false, 0, perm);
  db_->CheckHealth();
  life_user_bytes_ += w.user_bytes;
  RecordWrites(phase, w, life_start_, *db_);
}

void Runner::CompactMain(const std::string& phase, bool final) {
  sink_.PhaseStarted(phase);
  Engine& e = *db_;
  const ProcessSnapshot before = TakeProcessSnapshot();
  const auto t0 = Clock::now();
  e.Flush();
  e.Compact();
  const double secs = static_cast<double>(ElapsedNanos(t0, Clock::now())) / 1e9;
  e.CheckHealth();
  const ProcessSnapshot after = TakeProcessSnapshot();
  const DirBytes d = MeasureDir((fs::path(root_) / "main").string(),
                                [&](const std::string& f) { return e.IsDataFile(f); });
  const uint64_t live = LiveCount();
  const double raw_per_entry = ks_.AverageKeyLength() + static_cast<double>(s_.value_size);
  Metric(phase, "seconds", secs);
  Metric(phase, "seconds_per_million", Div(secs * 1e6, static_cast<double>(live)));
  Metric(phase, "data_bytes", static_cast<double>(d.data));
  Metric(phase, "dir_bytes", static_cast<double>(d.total));
  Metric(phase, "files", static_cast<double>(d.files));
  Metric(phase, "live_entries", static_cast<double>(live));
  Metric(phase, "bytes_per_entry", Div(static_cast<double>(d.data), static_cast<double>(live)));
  Metric(phase, "raw_bytes_per_entry", raw_per_entry);
  Metric(phase, "space_amp",
         Div(static_cast<double>(d.data), static_cast<double>(live) * raw_per_entry));
  Metric(phase, "wchar_bytes", after.wchar - before.wchar);
  Metric(phase, "cpu_seconds", after.cpu_seconds - before.cpu_seconds);
  if (final) {
    // Lifetime write amplification of the main store: everything the process
    // wrote (WAL, flushes, compactions) per byte the workload asked to write.
    Metric(phase, "life_user_bytes", life_user_bytes_);
    Metric(phase, "life_wchar_bytes", after.wchar - life_start_.wchar);
    Metric(phase, "wa_wchar", Div(after.wchar - life_start_.wchar, life_user_bytes_));
    Metric(phase, "wa_device", Div(after.write_bytes - life_start_.write_bytes, life_user_bytes_));
    VerifyFullScan(e, phase, live);
  }
  RecordEngineStats(phase, e);
}

void Runner::Reads(const std::string& phase, bool missing, uint64_t tag) {
  sink_.PhaseStarted(phase);
  Engine& e = *db_;
  struct Probe {
    uint64_t index;
    uint8_t expect;  // 0: absent, else 1 + version
    uint8_t key_len;
    char key[kMaxKey];
  };
  const size_t vsize = s_.value_size;
  std::vector<Probe> probes(std::min(s_.reads, kChunk));
  std::vector<char> want(vsize);
  std::string value;
  Random rng(PhaseSeed(tag));
  LatencyHistogram latency;
  uint64_t nanos = 0, found = 0, expected_found = 0, wrong = 0, wrong_values = 0;
  std::string first_problem;
  for (uint64_t done = 0; done < s_.reads;) {
    const uint64_t m = std::min<uint64_t>(probes.size(), s_.reads - done);
    for (uint64_t p = 0; p < m; ++p) {
      Probe& pr = probes[p];
      pr.index = rng.Uniform(s_.n);
      pr.key_len = static_cast<uint8_t>(ks_.Key(pr.index, missing, pr.key));
      pr.expect = missing ? 0 : Expected(pr.index);
      expected_found += pr.expect != 0;
    }
    const auto start = Clock::now();
    for (uint64_t p = 0; p < m; ++p) {
      const Probe& pr = probes[p];
      // Latency is sampled (1 in 8): two clock reads per get would add ~5 %.
      const bool sample = ((done + p) & 7) == 0;
      Clock::time_point t0;
      if (sample)
        t0 = Clock::now();
      const bool got = e.Get(std::string_view(pr.key, pr.key_len), &value);
      if (sample)
        latency.Record(ElapsedNanos(t0, Clock::now()));
      if (got != (pr.expect != 0)) {
        if (wrong++ == 0) {
          first_problem = KeyName(pr.index, missing) + (got ? " was found but should be absent"
                                                            : " was not found but should exist");
        }
        continue;
      }
      if (!got)
        continue;
      ++found;
      // Full value check on the sampled gets, size check on all.
      bool bad = value.size() != vsize;
      if (!bad && sample) {
        FillValue(pr.index, pr.expect - 1u, vsize, want.data());
        bad = std::memcmp(value.data(), want.data(), vsize) != 0;
      }
      if (bad && wrong_values++ == 0) {
        first_problem = KeyName(pr.index) + " returned a wrong value (" +
                        std::to_string(value.size()) + " bytes)";
      }
    }
    nanos += ElapsedNanos(start, Clock::now());
    done += m;
  }
  const double secs = static_cast<double>(nanos) / 1e9;
  Metric(phase, "ops", static_cast<double>(s_.reads));
  Metric(phase, "seconds", secs);
  Metric(phase, "us_per_op", Div(secs * 1e6, static_cast<double>(s_.reads)));
  Metric(phase, "ops_per_sec", Div(static_cast<double>(s_.reads), secs));
  Metric(phase, "p50_us", latency.Percentile(0.50) / 1e3);
  Metric(phase, "p99_us", latency.Percentile(0.99) / 1e3);
  Metric(phase, "max_us", static_cast<double>(latency.max_nanos()) / 1e3);
  Metric(phase, "found", static_cast<double>(found));
  Metric(phase, "expected_found", static_cast<double>(expected_found));
  e.CheckHealth();
  if (wrong != 0 || wrong_values != 0) {
    throw BenchError(std::to_string(wrong) + " of " + std::to_string(s_.reads) +
                     " gets disagreed about presence and " + std::to_string(wrong_values) +
                     " returned wrong values (found " + std::to_string(found) + ", expected " +
                     std::to_string(expected_found) + "); first: " + first_problem);
  }
}

// Seeks from random present keys (Seeks) or from the start of deleted groups
// (TombstoneSeeks), reading kSeekEntries entries with no upper bound.
void Runner::Seeks(const std::string& phase, uint64_t tag) {
  sink_.PhaseStarted(phase);
  Engine& e = *db_;
  const bool into_deleted = phase == "seek_tombstones";
  const uint64_t total = into_deleted ? s_.tombstone_seeks : s_.seeks;
  struct Probe {
    uint64_t start_index;
    ScanExpectation expect;
    uint8_t start_len, first_len;
    char start[kMaxKey];
    char first[kMaxKey];
  };
  std::vector<Probe> probes(std::min(total, kChunk));
  Random rng(PhaseSeed(tag));
  CheckingVisitor visitor;
  LatencyHistogram latency;
  uint64_t nanos = 0, entries = 0, wrong = 0;
  std::string first_problem;
  for (uint64_t done = 0; done < total;) {
    const uint64_t m = std::min<uint64_t>(probes.size(), total - done);
    for (uint64_t p = 0; p < m; ++p) {
      Probe& pr = probes[p];
      if (into_deleted) {
        const uint64_t g = deleted_groups_[rng.Uniform(deleted_groups_.size())];
        pr.start_index = ks_.GroupFirst(g);
        pr.start_len = static_cast<uint8_t>(ks_.GroupPrefix(g, pr.start));
      } else {
        pr.start_index = rng.Uniform(s_.n);
        pr.start_len = static_cast<uint8_t>(ks_.Key(pr.start_index, false, pr.start));
      }
      pr.expect = Expect(pr.start_index, s_.n, kSeekEntries);
      pr.first_len =
          pr.expect.count ? static_cast<uint8_t>(ks_.Key(pr.expect.first, false, pr.first)) : 0;
    }
    const auto start = Clock::now();
    for (uint64_t p = 0; p < m; ++p) {
      const Probe& pr = probes[p];
      const bool sample = into_deleted || ((done + p) & 7) == 0;
      Clock::time_point t0;
      if (sample)
        t0 = Clock::now();
      visitor.Reset();
      e.Scan(std::string_view(pr.start, pr.start_len), "", kSeekEntries, visitor);
      if (sample)
        latency.Record(ElapsedNanos(t0, Clock::now()));
      entries += visitor.count();
      if (visitor.count() != pr.expect.count ||
          (pr.expect.count != 0 && !visitor.FirstIs(std::string_view(pr.first, pr.first_len)))) {
        if (wrong++ == 0) {
          first_problem = "seek from " + KeyName(pr.start_index) + " returned " +
                          std::to_string(visitor.count()) + " entries, expected " +
                          std::to_string(pr.expect.count) + " starting at " +
                          KeyName(pr.expect.first);
        }
      }
    }
    nanos += ElapsedNanos(start, Clock::now());
    done += m;
  }
  const double secs = static_cast<double>(nanos) / 1e9;
  Metric(phase, "ops", static_cast<double>(total));
  Metric(phase, "seconds", secs);
  Metric(phase, "us_per_op", Div(secs * 1e6, static_cast<double>(total)));
  Metric(phase, "p50_us", latency.Percentile(0.50) / 1e3);
  Metric(phase, "p99_us", latency.Percentile(0.99) / 1e3);
  Metric(phase, "max_us", static_cast<double>(latency.max_nanos()) / 1e3);
  Metric(phase, "entries", static_cast<double>(entries));
  e.CheckHealth();
  if (wrong != 0) {
    throw BenchError(std::to_string(wrong) + " of " + std::to_string(total) +
                     " seeks returned the wrong entries; first: " + first_problem);
  }
}

void Runner::PrefixScans(const std::string& phase, bool whole_type, uint64_t count, uint64_t tag) {
  sink_.PhaseStarted(phase);
  Engine& e = *db_;
  struct Probe {
    uint64_t id;  // group or type
    ScanExpectation expect;
    uint8_t prefix_len, end_len, first_len, last_len;
    char prefix[kMaxKey], end[kMaxKey], first[kMaxKey], last[kMaxKey];
  };
  std::vector<Probe> probes(std::min(count, kChunk));
  Random rng(PhaseSeed(tag));
  CheckingVisitor visitor;
  LatencyHistogram latency;
  uint64_t nanos = 0, entries = 0, expected_entries = 0, wrong = 0;
  std::string first_problem;
  for (uint64_t done = 0; done < count;) {
    const uint64_t m = std::min<uint64_t>(probes.size(), count - done);
    for (uint64_t p = 0; p < m; ++p) {
      Probe& pr = probes[p];
      pr.id = rng.Uniform(whole_type ? ks_.types_used() : ks_.groups());
      pr.prefix_len = static_cast<uint8_t>(whole_type ? ks_.TypePrefix(pr.id, pr.prefix)
                                                      : ks_.GroupPrefix(pr.id, pr.prefix));
      const std::string end = PrefixSuccessor(std::string_view(pr.prefix, pr.prefix_len));
      pr.end_len = static_cast<uint8_t>(end.size());
      std::memcpy(pr.end, end.data(), end.size());
      pr.expect = whole_type ? Expect(ks_.TypeFirst(pr.id), ks_.TypeLimit(pr.id), ~uint64_t{0})
                             : Expect(ks_.GroupFirst(pr.id), ks_.GroupLimit(pr.id), ~uint64_t{0});
      pr.first_len = static_cast<uint8_t>(ks_.Key(pr.expect.first, false, pr.first));
      pr.last_len = static_cast<uint8_t>(ks_.Key(pr.expect.last, false, pr.last));
      expected_entries += pr.expect.count;
    }
    const auto start = Clock::now();
    for (uint64_t p = 0; p < m; ++p) {
      const Probe& pr = probes[p];
      const auto t0 = Clock::now();
      visitor.Reset();
      e.Scan(std::string_view(pr.prefix, pr.prefix_len), std::string_view(pr.end, pr.end_len),
             ~size_t{0}, visitor);
      latency.Record(ElapsedNanos(t0, Clock::now()));
      entries += visitor.count();
      if (visitor.count() != pr.expect.count ||
          (pr.expect.count != 0 && (!visitor.FirstIs(std::string_view(pr.first, pr.first_len)) ||
                                    !visitor.LastIs(std::string_view(pr.last, pr.last_len))))) {
        if (wrong++ == 0) {
          first_problem = std::string(whole_type ? "type " : "group ") + std::to_string(pr.id) +
                          ": " + std::to_string(visitor.count()) + " entries, expected " +
                          std::to_string(pr.expect.count) + " (or wrong first/last key)";
        }
      }
    }
    nanos += ElapsedNanos(start, Clock::now());
    done += m;
  }
  const double secs = static_cast<double>(nanos) / 1e9;
  Metric(phase, "scans", static_cast<double>(count));
  Metric(phase, "entries", static_cast<double>(entries));
  Metric(phase, "expected_entries", static_cast<double>(expected_entries));
  Metric(phase, "seconds", secs);
  Metric(phase, "ns_per_entry", Div(secs * 1e9, static_cast<double>(entries)));
  Metric(phase, "us_per_scan", Div(secs * 1e6, static_cast<double>(count)));
  Metric(phase, "p50_us", latency.Percentile(0.50) / 1e3);
  Metric(phase, "p99_us", latency.Percentile(0.99) / 1e3);
  e.CheckHealth();
  if (wrong != 0) {
    throw BenchError(std::to_string(wrong) + " of " + std::to_string(count) +
                     " prefix scans returned the wrong entries; first: " + first_problem);
  }
}

void Runner::Overwrite() {
  const std::string phase = "overwrite";
  sink_.PhaseStarted(phase);
  Random rng(PhaseSeed(10));
  const ProcessSnapshot before = TakeProcessSnapshot();
  const WriteOutcome w =
      RunWrites(*db_, s_.overwrites, kBatch, false, 1, [&](uint64_t) { return rng.Uniform(s_.n); });
  db_->CheckHealth();
  life_user_bytes_ += w.user_bytes;
  RecordWrites(phase, w, before, *db_);
  // Replay the same sequence into the model (kept out of the timed loop).
  Random replay(PhaseSeed(10));
  for (uint64_t i = 0; i < s_.overwrites; ++i)
    state_[replay.Uniform(s_.n)] = kLiveV1;
}

void Runner::DeleteRandom() {
  const std::string phase = "deleterandom";
  sink_.PhaseStarted(phase);
  const Permutation perm(s_.n, PhaseSeed(11));
  const ProcessSnapshot before = TakeProcessSnapshot();
  const WriteOutcome w = RunWrites(*db_, s_.deletes, kBatch, true, 0, perm);
  db_->CheckHealth();
  life_user_bytes_ += w.user_bytes;
  RecordWrites(phase, w, before, *db_);
  for (uint64_t i = 0; i < s_.deletes; ++i)
    state_[perm(i)] = kDeleted;
}

void Runner::DeleteGroups() {
  const std::string phase = "deleteprefix";
  sink_.PhaseStarted(phase);
  Engine& e = *db_;
  const Permutation pick(ks_.groups(), PhaseSeed(12));
  deleted_groups_.clear();
  for (uint64_t i = 0; i < std::min(s_.delete_groups, ks_.groups()); ++i) {
    deleted_groups_.push_back(pick(i));
  }
  struct Group {
    std::string prefix, end;
    uint64_t live = 0;
    double live_key_bytes = 0;
  };
  std::vector<Group> groups;
  for (uint64_t g : deleted_groups_) {
    char buf[kMaxKey];
    Group gr;
    gr.prefix.assign(buf, ks_.GroupPrefix(g, buf));
    gr.end = PrefixSuccessor(gr.prefix);
    for (uint64_t i = ks_.GroupFirst(g); i < ks_.GroupLimit(g); ++i) {
      if (state_[i] == kDeleted)
        continue;
      ++gr.live;
      gr.live_key_bytes += static_cast<double>(ks_.Key(i, false, buf));
    }
    groups.push_back(std::move(gr));
  }
  const ProcessSnapshot before = TakeProcessSnapshot();
  WriteOutcome w;
  std::vector<uint64_t> reported(groups.size());
  const auto start = Clock::now();
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto t0 = Clock::now();
    reported[i] = e.DeleteGroup(groups[i].prefix, groups[i].end);
    w.latency.Record(ElapsedNanos(t0, Clock::now()));
  }
  w.nanos = ElapsedNanos(start, Clock::now());
  e.CheckHealth();
  uint64_t live_keys = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    live_keys += groups[i].live;
    // The same logical bytes for every engine, whether it range-deletes or not.
    w.user_bytes += groups[i].live_key_bytes;
    if (reported[i] != Engine::kUnknownCount && reported[i] != groups[i].live) {
      throw BenchError("deleting group " + std::to_string(deleted_groups_[i]) + " removed " +
                       std::to_string(reported[i]) + " keys, but it held " +
                       std::to_string(groups[i].live));
    }
  }
  w.ops = live_keys;
  life_user_bytes_ += w.user_bytes;
  RecordWrites(phase, w, before, e, /*single_writes=*/false);
  const double ms = static_cast<double>(w.nanos) / 1e6;
  Metric(phase, "groups", static_cast<double>(groups.size()));
  Metric(phase, "total_ms", ms);
  Metric(phase, "ms_per_group", Div(ms, static_cast<double>(groups.size())));
  for (uint64_t g : deleted_groups_) {
    for (uint64_t i = ks_.GroupFirst(g); i < ks_.GroupLimit(g); ++i)
      state_[i] = kDeleted;
  }
  // Untimed: every deleted group must now read as empty.
  CheckingVisitor visitor;
  for (size_t i = 0; i < groups.size(); ++i) {
    visitor.Reset();
    e.Scan(groups[i].prefix, groups[i].end, 1, visitor);
    if (visitor.count() != 0) {
      throw BenchError("group " + std::to_string(deleted_groups_[i]) +
                       " still has entries after it was deleted");
    }
  }
}

void Runner::Run(bool keep) {
  MakeEmptyDir(root_);
  const auto run_start = Clock::now();

  if (Wants("fillseq_b1"))
    FillThrowaway("fillseq_b1", false, 1);
  if (Wants("fillseq_b1000"))
    FillThrowaway("fillseq_b1000", false, kBatch);
  if (Wants("fillrandom_b1"))
    FillThrowaway("fillrandom_b1", true, 1);
  if (Wants("fillrandom_b1000")) {
    LoadMain();
    if (Wants("compact"))
      CompactMain("compact", false);
    if (Wants("readrandom"))
      Reads("readrandom", false, 2);
    if (Wants("readmissing"))
      Reads("readmissing", true, 3);
    if (Wants("seekrandom"))
      Seeks("seekrandom", 4);
    if (Wants("prefixscan_ta"))
      PrefixScans("prefixscan_ta", false, s_.group_scans, 5);
    if (Wants("prefixscan_t"))
      PrefixScans("prefixscan_t", true, s_.type_scans, 6);
    if (Wants("overwrite"))
      Overwrite();
    if (Wants("deleterandom"))
      DeleteRandom();
    if (Wants("readrandom_after_del"))
      Reads("readrandom_after_del", false, 7);
    if (Wants("seekrandom_after_del"))
      Seeks("seekrandom_after_del", 8);
    if (Wants("deleteprefix"))
      DeleteGroups();
    if (Wants("seek_tombstones"))
      Seeks("seek_tombstones", 9);
    if (Wants("final_compact"))
      CompactMain("final_compact", true);
    sink_.PhaseStarted("close");
    db_->Close();
    db_.reset();
  }

  const ProcessSnapshot end = TakeProcessSnapshot();
  Metric("summary", "max_write_ms", static_cast<double>(max_write_nanos_) / 1e6);
  Metric("summary", "writes_over_10ms", static_cast<double>(writes_over_stall_));
  Metric("summary", "peak_rss_mb", end.peak_rss_mb);
  Metric("summary", "cpu_seconds", end.cpu_seconds);
  Metric("summary", "wall_seconds",
         static_cast<double>(ElapsedNanos(run_start, Clock::now())) / 1e9);
  if (!keep) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

}  // namespace

const std::vector<std::string>& AllPhases() {
  return kPhases;
}

bool IsPhase(std::string_view name) {
  return std::find(kPhases.begin(), kPhases.end(), name) != kPhases.end();
}

void RunEngine(const EngineInfo& engine, const Settings& settings, bool keep, ResultSink& sink) {
  if (engine.make == nullptr)
    throw BenchError(std::string(engine.name) + ": not built");
  Runner(engine, settings, sink).Run(keep);
}

void Settings::ResolveDefaults() {
  const KeySpace ks(n, types, attrs);
  const uint64_t s = ks.subjects();
  if (reads == 0)
    reads = std::min<uint64_t>(n, 1'000'000);
  if (seeks == 0)
    seeks = std::min<uint64_t>(n, 200'000);
  if (group_scans == 0)
    group_scans = std::max<uint64_t>(20, 1'000'000 / s);
  if (type_scans == 0)
    type_scans = std::max<uint64_t>(5, 1'000'000 / (s * attrs));
  if (overwrites == 0)
    overwrites = n;
  if (deletes == 0)
    deletes = n / 5;
  deletes = std::min(deletes, n);
  // Every phase after the load needs the loaded store, and seeking into
  // deleted groups needs groups to be deleted.
  auto has = [&](std::string_view p) {
    return std::find(phases.begin(), phases.end(), p) != phases.end();
  };
  std::vector<std::string> wanted = phases;
  if (has("seek_tombstones") && !has("deleteprefix"))
    wanted.push_back("deleteprefix");
  const auto load = std::find(kPhases.begin(), kPhases.end(), "fillrandom_b1000");
  for (auto p = load + 1; p != kPhases.end(); ++p) {
    if (has(*p) && !has(*load)) {
      wanted.push_back(*load);
      break;
    }
  }
  phases.clear();
  for (const std::string& p : kPhases) {
    if (std::find(wanted.begin(), wanted.end(), p) != wanted.end())
      phases.push_back(p);
  }
}

}  // namespace trine_bench
