// The results of one trine_bench run and their three renderings: the table
// for humans (one row per workload, one column per engine, plus Trine's ratio
// to the better of RocksDB and LevelDB), CSV and JSON with every figure.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../common/figures.h"
#include "workloads.h"

namespace trine_bench {

// Everything one engine reported. Also the sink the runner writes to (directly,
// or through the pipe from a child process with --fork).
class EngineRun final : public ResultSink {
 public:
  explicit EngineRun(std::string engine) : name(std::move(engine)) {}

  void Describe(std::string_view text) override { describe = text; }
  void PhaseStarted(std::string_view phase) override { current_phase = phase; }
  void Metric(std::string_view phase, std::string_view metric, double value) override {
    AddFigure(phases, phase, metric, value);
  }

  // nullptr if the figure was not measured.
  const double* Find(std::string_view phase, std::string_view metric) const {
    return FindFigure(phases, phase, metric);
  }
  void Fail(const std::string& message) {
    error = message;
    failed_phase = current_phase;
  }

  std::string name;
  bool selected = false;  // asked for on this run
  bool built = false;
  std::string missing_hint;
  std::string describe;
  std::string current_phase;
  std::string error;  // empty: every selected phase completed and checked out
  std::string failed_phase;
  PhaseFigures phases;  // in the order measured
};

struct RunInfo {
  Settings settings;
  bool fork = true;
  bool keep = false;
  double avg_key_length = 0;
  uint64_t subjects = 0;  // S: keys per [type, attr] group
  std::string started;    // local time, for the files
};

void PrintTable(std::FILE* out, const RunInfo& info, const std::vector<EngineRun>& runs);
// Both throw BenchError if the file cannot be written.
void WriteCsv(const std::string& path, const RunInfo& info, const std::vector<EngineRun>& runs);
void WriteJson(const std::string& path, const RunInfo& info, const std::vector<EngineRun>& runs);

}  // namespace trine_bench
