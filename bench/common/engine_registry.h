// The engine list of a benchmark program: every engine it knows, built or
// not, so that it can name a missing one and say how to get it. Shared by
// trine_bench (Engine) and trine_entity_bench (EntityEngine).
#pragma once

#include <memory>
#include <span>
#include <string_view>

namespace trine_bench {

template <typename EngineT>
struct EngineEntry {
  const char* name;
  // nullptr when the adapter was not built (its library was missing at configure time).
  std::unique_ptr<EngineT> (*make)();
  const char* missing_hint;  // "install librocksdb-dev"
};

// The entry called `name`, or nullptr.
template <typename Entry>
const Entry* FindByName(std::span<const Entry> entries, std::string_view name) {
  for (const Entry& e : entries) {
    if (name == e.name)
      return &e;
  }
  return nullptr;
}

}  // namespace trine_bench
