// The command line of the benchmark programs: --name VALUE, --name=VALUE, a
// boolean --name (true) or --no-name (false), numbers with k/m suffixes.
// Shared by trine_bench and trine_entity_bench so that both parse and reject
// flags the same way; each program lists its own flags.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace trine_bench {

class Flags {
 public:
  // Throws BenchError on an unknown flag, a stray argument or a missing value.
  Flags(int argc, char** argv, const std::set<std::string>& bools,
        const std::set<std::string>& valued);

  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  std::string Get(const std::string& name, const std::string& fallback) const;
  // true/1/yes or false/0/no; throws BenchError otherwise.
  bool GetBool(const std::string& name, bool fallback = false) const;
  // A decimal number, optionally with a k (1000) or m (1000000) suffix;
  // throws BenchError otherwise.
  uint64_t GetNumber(const std::string& name, uint64_t fallback) const;

 private:
  std::map<std::string, std::string> values_;
};

// "a,,b" -> {"a", "b"}.
std::vector<std::string> SplitList(const std::string& s);

}  // namespace trine_bench
