#include "engine.h"

#include <array>
#include <string>
#include <vector>

namespace trine_bench {

// Each adapter defines its factory only when its library was found at
// configure time (see bench/CMakeLists.txt), so the registry is built here
// from the same compile definitions instead of static registrars.
#ifdef TRINE_BENCH_HAVE_TRINE
std::unique_ptr<Engine> MakeTrineEngine();
#endif
#ifdef TRINE_BENCH_HAVE_ROCKSDB
std::unique_ptr<Engine> MakeRocksDbEngine();
#endif
#ifdef TRINE_BENCH_HAVE_LEVELDB
std::unique_ptr<Engine> MakeLevelDbEngine();
#endif
#ifdef TRINE_BENCH_HAVE_SQLITE
std::unique_ptr<Engine> MakeSqliteEngine();
#endif

namespace {

class KeyCollector final : public EntryVisitor {
 public:
  bool Visit(std::string_view key, std::string_view /*value*/) override {
    keys.emplace_back(key);
    return true;
  }
  std::vector<std::string> keys;
};

}  // namespace

uint64_t Engine::DeleteGroup(std::string_view prefix, std::string_view end) {
  KeyCollector group;
  Scan(prefix, end, ~size_t{0}, group);
  constexpr size_t kBatch = 1000;
  std::vector<WriteOp> ops;
  ops.reserve(kBatch);
  for (size_t i = 0; i < group.keys.size(); i += kBatch) {
    ops.clear();
    for (size_t j = i; j < group.keys.size() && j < i + kBatch; ++j) {
      ops.push_back(WriteOp{WriteOp::Kind::kDelete, group.keys[j], {}});
    }
    Write(ops);
  }
  return group.keys.size();
}

std::span<const EngineInfo> AllEngines() {
  static const std::array<EngineInfo, 4> kEngines = {{
#ifdef TRINE_BENCH_HAVE_TRINE
      {"trine", &MakeTrineEngine, ""},
#else
      {"trine", nullptr, "configure inside the Trine repository"},
#endif
#ifdef TRINE_BENCH_HAVE_ROCKSDB
      {"rocksdb", &MakeRocksDbEngine, ""},
#else
      {"rocksdb", nullptr, "install librocksdb-dev"},
#endif
#ifdef TRINE_BENCH_HAVE_LEVELDB
      {"leveldb", &MakeLevelDbEngine, ""},
#else
      {"leveldb", nullptr, "install libleveldb-dev"},
#endif
#ifdef TRINE_BENCH_HAVE_SQLITE
      {"sqlite", &MakeSqliteEngine, ""},
#else
      {"sqlite", nullptr, "install libsqlite3-dev"},
#endif
  }};
  return kEngines;
}

const EngineInfo* FindEngine(std::string_view name) {
  return FindByName(AllEngines(), name);
}

}  // namespace trine_bench
