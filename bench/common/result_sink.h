// ResultSink: where a benchmark run's figures go, as (phase, metric, value).
// Both programs' workloads write to one; so does the child process of
// child_process.h, which forwards everything to its parent through a pipe.
#pragma once

#include <string_view>

namespace trine_bench {

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // The engine's settings in force, for the report header.
  virtual void Describe(std::string_view text) = 0;
  // Marks the start of a phase; errors until the next call belong to it.
  // Sinks that do not attribute errors to phases ignore it.
  virtual void PhaseStarted(std::string_view /*phase*/) {}
  virtual void Metric(std::string_view phase, std::string_view metric, double value) = 0;
};

}  // namespace trine_bench
