// The workloads of trine_bench and the runner that plays them, in order, on
// one engine. Every figure goes to a ResultSink as (phase, metric, value);
// failures throw BenchError and the sink knows the phase that was running.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../common/result_sink.h"
#include "engine.h"

namespace trine_bench {

// Phase names in run order. "summary" (totals over the run) is recorded last.
const std::vector<std::string>& AllPhases();
bool IsPhase(std::string_view name);

struct Settings {
  uint64_t n = 200000;
  size_t value_size = 64;
  uint64_t seed = 1;
  uint64_t types = 100;
  uint64_t attrs = 10;
  EngineOptions engine_options;
  std::string dir;                  // each engine works in dir/<engine name>
  std::vector<std::string> phases;  // selected phases, in run order

  // Operation counts (0: the defaults of the peer harness, derived from n).
  uint64_t reads = 0;           // min(n, 1M)
  uint64_t seeks = 0;           // min(n, 200k)
  uint64_t group_scans = 0;     // max(20, 1M / S)
  uint64_t type_scans = 0;      // max(5, 1M / (A * S))
  uint64_t overwrites = 0;      // n
  uint64_t deletes = 0;         // n / 5
  uint64_t delete_groups = 20;  // [type, attr] groups deleted whole
  uint64_t tombstone_seeks = 2000;

  // Fills the zero counts above from n and the key space.
  void ResolveDefaults();
};

// Plays the selected phases on a fresh store of `engine` in
// settings.dir/<engine name> and removes that directory afterwards unless
// `keep`. Throws BenchError (or std::exception) on any failure, including a
// wrong answer from the engine.
void RunEngine(const EngineInfo& engine, const Settings& settings, bool keep, ResultSink& sink);

}  // namespace trine_bench
