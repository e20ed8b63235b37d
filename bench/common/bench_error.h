// BenchError: how every part of the benchmark programs (flags, runners,
// engine adapters) reports a failure. Shared by trine_bench and
// trine_entity_bench so that the code in bench/common can throw it too.
#pragma once

#include <stdexcept>

namespace trine_bench {

class BenchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace trine_bench
