// Micro-benchmarks of the storage engine's inner loops (Google Benchmark):
//   build/release/bench/trine_micro_bench [--benchmark_filter=Bloom]
// Setup happens outside the timed loops; results carry counters such as the
// measured false-positive rate.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bloom/bloom.h"
#include "common/coding.h"
#include "lsm/memtable.h"
#include "sstable/block.h"
#include "sstable/block_builder.h"

namespace trine {
namespace {

// A triple-shaped key [type, attr, subject] as order-preserving varints.
std::string TripleKey(uint64_t type, uint64_t attr, uint64_t subject) {
  std::string k;
  PutOrderedVarint(&k, type);
  PutOrderedVarint(&k, attr);
  PutOrderedVarint(&k, subject);
  return k;
}

void BM_BloomProbe(benchmark::State& state) {
  const int bits = static_cast<int>(state.range(0));
  const uint64_t n = 1000000;
  bloom::FilterBuilder b(bits);
  for (uint64_t i = 0; i < n; ++i)
    b.AddKey(TripleKey(i % 100, i % 10, 2 * i));
  std::string data = b.Finish();
  bloom::FilterReader r;
  r.Init(data);
  std::vector<std::string> probes;
  for (uint64_t i = 0; i < 4096; ++i)
    probes.push_back(TripleKey(i % 100, i % 10, 2 * (i * 7919 % n) + 1));
  uint64_t hits = 0, i = 0;
  for (auto _ : state) {
    hits += r.KeyMayMatch(probes[i++ & 4095]);
  }
  state.counters["fp_rate"] = static_cast<double>(hits) / static_cast<double>(i);
  state.counters["bytes"] = static_cast<double>(data.size());
}
BENCHMARK(BM_BloomProbe)->ArgName("bits_per_key")->Arg(10)->Arg(16);

void BM_BlockSeek(benchmark::State& state) {
  const int restart = static_cast<int>(state.range(0));
  BlockBuilder b(restart);
  std::vector<std::string> keys;
  std::string value(64, 'v');
  for (uint64_t s = 0; b.EstimatedSize() < 4096; ++s) {
    keys.push_back(TripleKey(3, 4, 1000 + 2 * s));
    b.Add(keys.back(), PackTag(s + 1, ValueKind::kPut), value);
  }
  Block block{std::string(b.Finish())};
  BlockIter it(&block, "bench");
  std::mt19937_64 rng(1);
  uint64_t found = 0;
  for (auto _ : state) {
    const std::string& k = keys[rng() % keys.size()];
    it.Seek(k, kMaxTag);
    found += it.Valid();
  }
  state.counters["entries"] = static_cast<double>(keys.size());
  benchmark::DoNotOptimize(found);
}
BENCHMARK(BM_BlockSeek)->ArgName("restart_interval")->Arg(4)->Arg(16);

void BM_MemTableInsert(benchmark::State& state) {
  const bool sorted = state.range(0) != 0;
  std::string value(64, 'v');
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    state.PauseTiming();
    auto mem = std::make_unique<MemTable>();
    std::vector<std::string> keys;
    for (uint64_t i = 0; i < 100000; ++i) {
      uint64_t s = sorted ? i : rng() % 10000000;
      keys.push_back(TripleKey(s % 100, s % 10, s));
    }
    state.ResumeTiming();
    uint64_t seq = 1;
    for (const auto& k : keys)
      mem->Add(seq++, ValueKind::kPut, k, value);
    benchmark::DoNotOptimize(mem.get());
  }
  state.SetItemsProcessed(state.iterations() * 100000);
}
BENCHMARK(BM_MemTableInsert)->ArgName("sorted")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Random inserts and point gets in a memtable that already holds 1M entries
// (a 64 MiB memtable's worth of triples): the tree's and the hash index's cache misses.
MemTable* LargeMemTable(std::vector<std::string>* keys) {
  static auto* mem = new MemTable();
  static std::vector<std::string> held;
  if (held.empty()) {
    std::mt19937_64 rng(11);
    for (uint64_t i = 0; i < 1000000; ++i) {
      uint64_t s = rng() % 100000000;
      held.push_back(TripleKey(s % 100, s % 10, s));
      mem->Add(i + 1, ValueKind::kPut, held.back(), "0123456789abcdef");
    }
  }
  *keys = held;
  return mem;
}

void BM_MemTableInsertLarge(benchmark::State& state) {
  std::vector<std::string> keys;
  MemTable* mem = LargeMemTable(&keys);
  std::mt19937_64 rng(13);
  static uint64_t seq = 2000000;
  for (auto _ : state) {
    uint64_t s = rng() % 100000000;
    mem->Add(++seq, ValueKind::kPut, TripleKey(s % 100, s % 10, s), "0123456789abcdef");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemTableInsertLarge)->Iterations(200000);

void BM_MemTableGetLarge(benchmark::State& state) {
  std::vector<std::string> keys;
  MemTable* mem = LargeMemTable(&keys);
  std::mt19937_64 rng(17);
  uint64_t found = 0, tag = 0;
  std::string value;
  for (auto _ : state)
    found += mem->Get(keys[rng() % keys.size()], kMaxSequenceNumber, &tag, &value);
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations());
  // What an entry costs the memtable (key and value here: ~7 and 16 bytes).
  state.counters["data_bytes_per_entry"] =
      static_cast<double>(mem->DataSize()) / static_cast<double>(mem->num_entries());
  state.counters["memory_bytes_per_entry"] =
      static_cast<double>(mem->ApproximateMemoryUsage()) / static_cast<double>(mem->num_entries());
}
BENCHMARK(BM_MemTableGetLarge)->Iterations(200000);

void BM_KeyEncode(benchmark::State& state) {
  std::mt19937_64 rng(3);
  std::vector<uint64_t> subjects(4096);
  for (auto& s : subjects)
    s = rng() % 100000000;
  std::string k;
  uint64_t i = 0;
  for (auto _ : state) {
    k.clear();
    PutOrderedVarint(&k, i % 200);
    PutOrderedVarint(&k, i % 30);
    PutOrderedVarint(&k, subjects[i++ & 4095]);
    benchmark::DoNotOptimize(k.data());
  }
}
BENCHMARK(BM_KeyEncode);

void BM_KeyDecode(benchmark::State& state) {
  std::mt19937_64 rng(3);
  std::vector<std::string> keys;
  for (int i = 0; i < 4096; ++i)
    keys.push_back(TripleKey(rng() % 200, rng() % 30, rng() % 100000000));
  uint64_t sum = 0, i = 0;
  for (auto _ : state) {
    std::string_view in(keys[i++ & 4095]);
    uint64_t t, a, s;
    GetOrderedVarint(&in, &t);
    GetOrderedVarint(&in, &a);
    GetOrderedVarint(&in, &s);
    sum += t + a + s;
  }
  benchmark::DoNotOptimize(sum);
}
BENCHMARK(BM_KeyDecode);

}  // namespace
}  // namespace trine

BENCHMARK_MAIN();
