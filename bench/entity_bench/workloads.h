// The workloads of trine_entity_bench, run on one engine (in its own process).
#pragma once

#include <cstdint>
#include <string>

#include "../common/result_sink.h"
#include "entity_engine.h"

namespace trine_entity_bench {

struct BenchSettings {
  uint64_t n = 1000000;   // entities loaded
  uint64_t batch = 1000;  // entities per load transaction
  uint64_t reads = 200000;
  uint64_t scans = 20000;
  uint64_t scan_rows = 100;  // rows per range scan
  uint64_t seed = 1;
  EngineSettings engine;
  std::string dir;  // the engine's store goes in dir/<engine name>
  bool keep = false;
};

// Where an engine's figures go: the parent's tables, through a pipe.
using trine_bench::ResultSink;

// Opens the engine in a fresh store, runs bulk_insert, get_by_id, range_scan
// and range_scan_fetch, closes it and reports its size and the process's
// peak RSS. Result checks are reported as figures (misses, bad_rows, ...),
// which the parent turns into a failure; engine errors throw BenchError.
void RunEngine(const EngineInfo& info, const BenchSettings& settings, ResultSink& sink);

}  // namespace trine_entity_bench
