// Randomized model-based test of the public DB API.
//
// A long random sequence of writes (Put, Delete, DeleteRange, atomic batches,
// durable and relaxed), reads (Get, bounded and unbounded scans in both
// directions, snapshot reads, iterators held open across later writes) and
// maintenance (Flush, CompactRange, CompactAll, Sync, close + reopen) runs
// against a DB and, for the writes, against a std::map. Every read is
// compared with the map, or with the copy of the map taken when the snapshot
// or iterator was created. Small options make flushes and multi-level
// compactions happen all the time, and a small key alphabet makes the
// operations collide.
//
// Reproduce a failure with the seed it prints:
//   TRINE_SEED=1234 build/debug/tests/lsm_test --gtest_filter='ModelTest.*'
// TRINE_MODEL_OPS sets the total number of operations over the four tests
// (default 200000); TRINE_MODEL_TRACE=1 prints every operation to stderr.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/util/test_util.h"
#include "trine/db.h"
#include "trine/iterator.h"
#include "trine/options.h"
#include "trine/status.h"
#include "trine/write_batch.h"

namespace trine {
namespace {

// std::less<> allows lookups by string_view without building a std::string.
// std::string orders like memcmp (char_traits<char>::lt compares unsigned
// char), which is the DB's key order.
using Model = std::map<std::string, std::string, std::less<>>;
using ModelPtr = std::shared_ptr<const Model>;

// Key bytes: the extremes 0x00/0xff and both sides of 0x7f/0x80 catch signed
// char comparisons and "0xff means infinity" shortcuts in the engine.
constexpr unsigned char kAlphabet[] = {0x00, 0x01, '0',  '1',  'a',  'b',
                                       'c',  'z',  0x7f, 0x80, 0xfe, 0xff};
constexpr size_t kAlphabetSize = sizeof(kAlphabet);
constexpr size_t kMaxKeyLen = 12;

constexpr int64_t kDefaultTotalOps = 200000;
constexpr int kNumModelTests = 4;  // TRINE_MODEL_OPS is split over the TESTs below
constexpr size_t kMaxSnapshots = 8;
constexpr size_t kMaxHeldIterators = 4;
constexpr size_t kRecentOps = 40;
constexpr int64_t kStatsSampleInterval = 500;

std::string Escape(std::string_view s, size_t max = 48) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < max; i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  out += "\"";
  if (s.size() > max)
    out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

struct ModelConfig {
  const char* name;
  size_t write_buffer_size;
  size_t block_size;
  int block_restart_interval;
  int bloom_bits_per_key;
  size_t block_cache_bytes;
  Compression compression;
  int level0_compaction_trigger;
  uint64_t max_bytes_for_level_base;
  double level_size_multiplier;
  uint64_t target_file_size;
  int num_levels;
  // Percentage of the usual rate of CompactRange/CompactAll. Manual
  // compactions move everything to the last level; fewer of them let the
  // size-triggered compactions fill the middle levels.
  int manual_compaction_percent;
  // Whether the run must have put files on a level strictly between L1 and
  // the last one (only size-triggered compactions do that).
  bool expect_middle_levels;
  int num_keys;          // distinct keys that writes use
  size_t max_value_len;  // values are 0..max_value_len bytes
  int durable_percent;   // the other commits are kRelaxed
};

// Moves through a model the way a DB iterator with the same bounds moves
// through the DB: only keys in [lower, upper) are visible (empty = unbounded).
class ModelCursor {
 public:
  ModelCursor(const Model* m, std::string lower, std::string upper)
      : m_(m), lower_(std::move(lower)), upper_(std::move(upper)), it_(m->end()) {}

  bool Valid() const { return it_ != m_->end(); }
  const std::string& key() const { return it_->first; }
  const std::string& value() const { return it_->second; }

  void SeekToFirst() {
    it_ = lower_.empty() ? m_->begin() : m_->lower_bound(lower_);
    ClampHigh();
  }
  void SeekToLast() {
    auto e = upper_.empty() ? m_->end() : m_->lower_bound(upper_);
    if (e == m_->begin()) {
      it_ = m_->end();
      return;
    }
    it_ = std::prev(e);
    ClampLow();
  }
  // A target below the lower bound lands on the first visible key.
  void Seek(std::string_view target) {
    if (!lower_.empty() && target < lower_)
      target = lower_;
    it_ = m_->lower_bound(target);
    ClampHigh();
  }
  // A target at or above the upper bound lands on the last visible key.
  void SeekForPrev(std::string_view target) {
    if (!upper_.empty() && target >= upper_) {
      SeekToLast();
      return;
    }
    auto e = m_->upper_bound(target);
    if (e == m_->begin()) {
      it_ = m_->end();
      return;
    }
    it_ = std::prev(e);
    ClampLow();
  }
  void Next() {
    ++it_;
    ClampHigh();
  }
  void Prev() {
    if (it_ == m_->begin()) {
      it_ = m_->end();
      return;
    }
    --it_;
    ClampLow();
  }

 private:
  void ClampHigh() {
    if (it_ != m_->end() && !upper_.empty() && it_->first >= upper_)
      it_ = m_->end();
  }
  void ClampLow() {
    if (it_ != m_->end() && !lower_.empty() && it_->first < lower_)
      it_ = m_->end();
  }

  const Model* m_;
  std::string lower_;
  std::string upper_;
  Model::const_iterator it_;
};

struct SnapshotState {
  const Snapshot* snapshot;
  ModelPtr model;  // the model as of GetSnapshot
  int64_t taken_at;
};

// An iterator kept open (and positioned) across later operations. It sees
// the store as of its creation, so it is checked against the model copy of
// that moment. Always heap-allocated: the iterator holds views of lower/upper.
struct HeldIterator {
  std::string lower;
  std::string upper;
  ModelPtr model;
  const Snapshot* snapshot = nullptr;  // borrowed from snaps_; reset when released
  std::unique_ptr<Iterator> it;
  std::optional<ModelCursor> cursor;
  int64_t created_at = 0;
};

class ModelHarness {
 public:
  ModelHarness(const ModelConfig& cfg, uint64_t seed, int64_t num_ops)
      : cfg_(cfg), seed_(seed), num_ops_(num_ops), rng_(seed) {
    trace_ = test::EnvInt("TRINE_MODEL_TRACE", 0) != 0;
    options_.write_buffer_size = cfg.write_buffer_size;
    options_.block_size = cfg.block_size;
    options_.block_restart_interval = cfg.block_restart_interval;
    options_.bloom_bits_per_key = cfg.bloom_bits_per_key;
    options_.block_cache_bytes = cfg.block_cache_bytes;
    options_.compression = cfg.compression;
    options_.level0_compaction_trigger = cfg.level0_compaction_trigger;
    options_.max_bytes_for_level_base = cfg.max_bytes_for_level_base;
    options_.level_size_multiplier = cfg.level_size_multiplier;
    options_.target_file_size = cfg.target_file_size;
    options_.num_levels = cfg.num_levels;
    // Short intervals so the background log writer runs while relaxed commits are in flight.
    options_.wal_flush_interval_ms = 1;
    options_.wal_sync_interval_ms = 20;
    MakeKeyPool();
  }

  // Runs the operations; failures are reported through gtest.
  void Run();

 private:
  using OpFn = void (ModelHarness::*)();
  struct OpKind {
    const char* name;
    int weight;
    OpFn fn;
  };
  static const std::vector<OpKind>& OpKinds();

  // --- randomness ---
  uint64_t Rand(uint64_t n) { return rng_() % n; }
  bool OneIn(uint64_t n) { return Rand(n) == 0; }
  bool Percent(int p) { return static_cast<int>(Rand(100)) < p; }
  void MakeKeyPool();
  std::string RandomKey(size_t min_len);
  const std::string& WriteKey();
  std::string ReadKey();
  std::pair<std::string, std::string> RandomRange(bool allow_wide);
  std::pair<std::string, std::string> RandomBounds();
  std::string MakeValue();
  WriteOptions RandomWriteOptions();

  // --- model ---
  static void ApplyDeleteRange(Model* m, std::string_view begin, std::string_view end) {
    if (begin >= end)
      return;
    m->erase(m->lower_bound(begin), m->lower_bound(end));
  }
  ModelPtr ModelCopy();
  void ModelChanged() {
    copy_.reset();
    commits_since_snapshot_++;
  }

  // --- checking ---
  void Fail(const std::string& what, std::string_view key);
  void Note(std::string op);
  bool CheckOk(const Status& s, const std::string& what, std::string_view key);
  void CheckGet(const Model& m, const std::string& key, const Snapshot* snap, const char* what);
  bool CheckCursor(const Iterator& it, const ModelCursor& mc, const std::string& what);
  void RandomPosition(Iterator* it, ModelCursor* mc, std::string* desc);
  void Walk(Iterator* it, ModelCursor* mc, int steps, const std::string& ctx);
  void FullScan(Iterator* it, ModelCursor* mc, bool forward, const std::string& ctx);
  void ScanOnce(const Model& m, const Snapshot* snap, const char* what);
  void VerifyAll(const char* when, size_t get_stride);
  void SampleStats();

  // --- lifecycle ---
  void Open();
  void Close();

  // --- operations ---
  void OpPut();
  void OpDelete();
  void OpDeleteRange();
  void OpInvalidDeleteRange();
  void OpBatch();
  void OpGet();
  void OpScan();
  void OpTakeSnapshot();
  void OpReleaseSnapshot();
  void OpSnapshotRead();
  void OpHeldIterator();
  void OpFlush();
  void OpCompactRange();
  void OpCompactAll();
  void OpSync();
  void OpReopen();

  const ModelConfig cfg_;
  const uint64_t seed_;
  const int64_t num_ops_;
  std::mt19937_64 rng_;
  bool trace_ = false;

  test::TempDir dir_;
  Options options_;
  std::unique_ptr<DB> db_;

  Model model_;
  ModelPtr copy_;  // a copy of model_ shared by snapshots taken with no write in between
  std::vector<std::string> pool_;  // the keys writes use, sorted
  std::vector<std::string> hot_;   // a few keys overwritten much more often
  std::vector<SnapshotState> snaps_;
  std::vector<std::unique_ptr<HeldIterator>> held_;
  uint64_t last_snapshot_seq_ = 0;
  int64_t commits_since_snapshot_ = 0;

  int64_t op_ = 0;
  bool failed_ = false;
  std::deque<std::string> recent_;

  // Totals over every DB instance of the run (stats restart at reopen).
  uint64_t flushes_ = 0;
  uint64_t compactions_ = 0;
  std::set<int> levels_seen_;
  int max_levels_at_once_ = 0;
  int reopens_ = 0;
  uint64_t model_size_sum_ = 0;
  uint64_t model_size_samples_ = 0;
  std::map<std::string, int64_t> op_counts_;
};

const std::vector<ModelHarness::OpKind>& ModelHarness::OpKinds() {
  // Weights per 10000 operations. Reads outnumber writes enough that most
  // writes are observed soon after; maintenance is rare but, over 50000
  // operations, still happens dozens to hundreds of times.
  static const std::vector<OpKind> kinds = {
      {"Put", 3700, &ModelHarness::OpPut},
      {"Delete", 400, &ModelHarness::OpDelete},
      {"DeleteRange", 120, &ModelHarness::OpDeleteRange},
      {"InvalidDeleteRange", 10, &ModelHarness::OpInvalidDeleteRange},
      {"Batch", 800, &ModelHarness::OpBatch},
      {"Get", 2200, &ModelHarness::OpGet},
      {"Scan", 1000, &ModelHarness::OpScan},
      {"TakeSnapshot", 60, &ModelHarness::OpTakeSnapshot},
      {"ReleaseSnapshot", 50, &ModelHarness::OpReleaseSnapshot},
      {"SnapshotRead", 700, &ModelHarness::OpSnapshotRead},
      {"HeldIterator", 400, &ModelHarness::OpHeldIterator},
      {"Flush", 60, &ModelHarness::OpFlush},
      {"CompactRange", 30, &ModelHarness::OpCompactRange},
      {"CompactAll", 5, &ModelHarness::OpCompactAll},
      {"Sync", 40, &ModelHarness::OpSync},
      {"Reopen", 5, &ModelHarness::OpReopen},
  };
  return kinds;
}

void ModelHarness::MakeKeyPool() {
  // Keys are built on a few shared prefixes so that they share blocks, restart
  // points and range-deletion spans; lengths are 1..kMaxKeyLen.
  std::vector<std::string> prefixes;
  for (int i = 0; i < 12; i++)
    prefixes.push_back(RandomKey(0).substr(0, Rand(4)));
  std::set<std::string> keys;
  while (keys.size() < static_cast<size_t>(cfg_.num_keys)) {
    std::string k = prefixes[Rand(prefixes.size())];
    size_t len = 1 + Rand(kMaxKeyLen);
    while (k.size() < len)
      k.push_back(static_cast<char>(kAlphabet[Rand(kAlphabetSize)]));
    keys.insert(std::move(k));
  }
  pool_.assign(keys.begin(), keys.end());
  for (int i = 0; i < 16; i++)
    hot_.push_back(pool_[Rand(pool_.size())]);
}

std::string ModelHarness::RandomKey(size_t min_len) {
  size_t len = min_len + Rand(kMaxKeyLen + 2 - min_len);
  std::string k;
  for (size_t i = 0; i < len; i++)
    k.push_back(static_cast<char>(kAlphabet[Rand(kAlphabetSize)]));
  return k;
}

const std::string& ModelHarness::WriteKey() {
  if (OneIn(4))
    return hot_[Rand(hot_.size())];
  return pool_[Rand(pool_.size())];
}

// Targets for Get and Seek: mostly keys that may exist, sometimes keys that
// never do (between pool keys, past the ends, the empty key).
std::string ModelHarness::ReadKey() {
  switch (Rand(12)) {
    case 0:
      return RandomKey(0);
    case 1: {
      std::string k = pool_[Rand(pool_.size())];
      k.push_back(static_cast<char>(kAlphabet[Rand(kAlphabetSize)]));
      return k;
    }
    case 2: {
      // A key that is live right now, so Gets hit more often than the pool's density says.
      auto it = model_.lower_bound(pool_[Rand(pool_.size())]);
      if (it == model_.end())
        it = model_.begin();
      if (it != model_.end())
        return it->first;
      return WriteKey();
    }
    default:
      return WriteKey();
  }
}

// Mostly short ranges, so that deletions and puts balance with a good part
// of the pool live; rarely (only outside batches) a wide one.
std::pair<std::string, std::string> ModelHarness::RandomRange(bool allow_wide) {
  std::string b, e;
  uint64_t r = Rand(100);
  if (r < 15) {
    // Exactly one key: [k, k\0).
    b = WriteKey();
    e = b + std::string(1, '\0');
  } else if (r < 25) {
    // Every key with a 2..4 byte prefix. The successor of p is p with its
    // last non-0xff byte incremented; an all-0xff prefix has none, so extend it.
    b = pool_[Rand(pool_.size())].substr(0, 2 + Rand(3));
    e = b;
    while (!e.empty() && static_cast<unsigned char>(e.back()) == 0xff)
      e.pop_back();
    if (e.empty()) {
      e = b + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
    } else {
      e.back() = static_cast<char>(static_cast<unsigned char>(e.back()) + 1);
    }
  } else if (r < 35) {
    // Endpoints that are not pool keys: a random key and a close successor.
    b = RandomKey(1);
    e = b;
    if (OneIn(2)) {
      e.push_back(static_cast<char>(kAlphabet[Rand(kAlphabetSize)]));
    } else {
      e.back() = static_cast<char>(kAlphabet[Rand(kAlphabetSize)]);
    }
    if (e < b)
      std::swap(b, e);
  } else if (r < 37 && allow_wide) {
    // Wide: anywhere in the key space, possibly most of it, from the start
    // of the key space (the empty key is a valid begin) now and then.
    b = OneIn(4) ? std::string() : pool_[Rand(pool_.size())];
    e = pool_[Rand(pool_.size())];
    if (e < b)
      std::swap(b, e);
  } else {
    // Narrow: a few neighbouring pool keys (empty when i == j).
    size_t i = Rand(pool_.size());
    size_t j = std::min(pool_.size() - 1, i + Rand(6));
    b = pool_[i];
    e = pool_[j];
  }
  return {b, e};
}

// Iterator bounds: each side present a third of the time; lower <= upper
// except rarely, when the visible range is empty.
std::pair<std::string, std::string> ModelHarness::RandomBounds() {
  std::string lo, hi;
  if (OneIn(3))
    lo = ReadKey();
  if (OneIn(3))
    hi = ReadKey();
  if (!lo.empty() && !hi.empty() && hi < lo && !OneIn(20))
    std::swap(lo, hi);
  return {lo, hi};
}

// Values start with the op number (so a stale version is recognisable in a
// failure message) and continue with random bytes, including 0x00.
std::string ModelHarness::MakeValue() {
  size_t len = OneIn(5) ? Rand(9) : Rand(cfg_.max_value_len + 1);
  std::string v = "#" + std::to_string(op_) + ":";
  while (v.size() < len)
    v.push_back(static_cast<char>(rng_()));
  v.resize(len);
  return v;
}

WriteOptions ModelHarness::RandomWriteOptions() {
  WriteOptions wo;
  wo.durability = Percent(cfg_.durable_percent) ? Durability::kDurable : Durability::kRelaxed;
  return wo;
}

ModelPtr ModelHarness::ModelCopy() {
  if (!copy_)
    copy_ = std::make_shared<const Model>(model_);
  return copy_;
}

void ModelHarness::Fail(const std::string& what, std::string_view key) {
  if (failed_)
    return;
  failed_ = true;
  std::ostringstream msg;
  msg << "model mismatch: TRINE_SEED=" << seed_ << " test=" << cfg_.name << " op#" << op_
      << " key=" << Escape(key) << "\n  " << what << "\n  last operations, oldest first:\n";
  for (const auto& r : recent_)
    msg << "    " << r << "\n";
  ADD_FAILURE() << msg.str();
}

void ModelHarness::Note(std::string op) {
  std::string line = "#" + std::to_string(op_) + " " + op;
  if (trace_)
    std::fprintf(stderr, "%s\n", line.c_str());
  recent_.push_back(std::move(line));
  if (recent_.size() > kRecentOps)
    recent_.pop_front();
}

bool ModelHarness::CheckOk(const Status& s, const std::string& what, std::string_view key) {
  if (!s.ok())
    Fail(what + " returned " + s.ToString(), key);
  return s.ok();
}

void ModelHarness::CheckGet(const Model& m, const std::string& key, const Snapshot* snap,
                            const char* what) {
  ReadOptions ro;
  ro.snapshot = snap;
  ro.fill_cache = !OneIn(8);
  // Pre-filled so a Get that reports OK without writing the value is caught.
  std::string got = "stale-buffer";
  Status s = db_->Get(ro, key, &got);
  auto it = m.find(key);
  if (it == m.end()) {
    if (!s.IsNotFound()) {
      Fail(std::string(what) + ": expected NotFound, got " + s.ToString() +
               (s.ok() ? " with value " + Escape(got) : ""),
           key);
    }
    return;
  }
  if (!s.ok()) {
    Fail(std::string(what) + ": expected value " + Escape(it->second) + ", got " + s.ToString(),
         key);
  } else if (got != it->second) {
    Fail(std::string(what) + ": expected value " + Escape(it->second) + ", got " + Escape(got),
         key);
  }
}

bool ModelHarness::CheckCursor(const Iterator& it, const ModelCursor& mc, const std::string& what) {
  if (it.Valid() != mc.Valid()) {
    if (it.Valid()) {
      Fail(what + ": iterator at " + Escape(it.key()) + " but the model is past the end (status " +
               it.status().ToString() + ")",
           it.key());
    } else {
      Fail(what + ": iterator invalid (status " + it.status().ToString() +
               ") but the model has key " + Escape(mc.key()),
           mc.key());
    }
    return false;
  }
  if (!mc.Valid()) {
    if (!it.status().ok()) {
      Fail(what + ": iterator status " + it.status().ToString(), "");
      return false;
    }
    return true;
  }
  // An error must make the iterator invalid (iterator.h), not leave it on a key.
  if (Status st = it.status(); !st.ok()) {
    Fail(what + ": iterator valid at " + Escape(it.key()) + " with status " + st.ToString(),
         it.key());
    return false;
  }
  if (it.key() != mc.key()) {
    Fail(what + ": iterator key " + Escape(it.key()) + ", expected " + Escape(mc.key()) +
             " (iterator status " + it.status().ToString() + ")",
         mc.key());
    return false;
  }
  if (it.value() != mc.value()) {
    Fail(what + ": value " + Escape(it.value()) + ", expected " + Escape(mc.value()) +
             " (iterator status " + it.status().ToString() + ")",
         mc.key());
    return false;
  }
  return true;
}

void ModelHarness::RandomPosition(Iterator* it, ModelCursor* mc, std::string* desc) {
  switch (Rand(4)) {
    case 0:
      it->SeekToFirst();
      mc->SeekToFirst();
      *desc = "SeekToFirst";
      break;
    case 1:
      it->SeekToLast();
      mc->SeekToLast();
      *desc = "SeekToLast";
      break;
    case 2: {
      std::string t = ReadKey();
      it->Seek(t);
      mc->Seek(t);
      *desc = "Seek(" + Escape(t) + ")";
      break;
    }
    default: {
      std::string t = ReadKey();
      it->SeekForPrev(t);
      mc->SeekForPrev(t);
      *desc = "SeekForPrev(" + Escape(t) + ")";
      break;
    }
  }
}

// Random Next/Prev steps, biased to one direction so both long forward and
// long backward runs happen, with direction switches in between.
void ModelHarness::Walk(Iterator* it, ModelCursor* mc, int steps, const std::string& ctx) {
  bool forward = OneIn(2);
  for (int i = 0; i < steps && mc->Valid() && !failed_; i++) {
    bool next = forward ? !OneIn(4) : OneIn(4);
    if (next) {
      it->Next();
      mc->Next();
    } else {
      it->Prev();
      mc->Prev();
    }
    if (!CheckCursor(*it, *mc, ctx + (next ? " Next" : " Prev") + " step " + std::to_string(i))) {
      return;
    }
  }
}

void ModelHarness::FullScan(Iterator* it, ModelCursor* mc, bool forward, const std::string& ctx) {
  std::string what = ctx + (forward ? " full forward scan" : " full backward scan");
  if (forward) {
    it->SeekToFirst();
    mc->SeekToFirst();
  } else {
    it->SeekToLast();
    mc->SeekToLast();
  }
  int64_t n = 0;
  while (CheckCursor(*it, *mc, what + " entry " + std::to_string(n)) && mc->Valid()) {
    if (forward) {
      it->Next();
      mc->Next();
    } else {
      it->Prev();
      mc->Prev();
    }
    n++;
  }
}

// One iterator, one to three random positionings each followed by a short
// walk (and rarely a full scan), then the status check every scan ends with.
void ModelHarness::ScanOnce(const Model& m, const Snapshot* snap, const char* what) {
  auto [lo, hi] = RandomBounds();
  ReadOptions ro;
  ro.snapshot = snap;
  ro.lower_bound = lo;
  ro.upper_bound = hi;
  ro.fill_cache = !OneIn(8);
  std::string ctx = std::string(what) + " [" + Escape(lo) + "," + Escape(hi) + ")";
  Note(ctx);
  std::unique_ptr<Iterator> it = db_->NewIterator(ro);
  ModelCursor mc(&m, lo, hi);
  if (OneIn(40)) {
    FullScan(it.get(), &mc, OneIn(2), ctx);
  } else {
    int segments = 1 + static_cast<int>(Rand(3));
    for (int s = 0; s < segments && !failed_; s++) {
      std::string desc;
      RandomPosition(it.get(), &mc, &desc);
      if (!CheckCursor(*it, mc, ctx + " " + desc))
        return;
      Walk(it.get(), &mc, static_cast<int>(Rand(25)), ctx + " " + desc);
    }
  }
  if (!failed_ && !it->status().ok())
    Fail(ctx + ": status at end " + it->status().ToString(), "");
}

// Every get_stride-th pool key (from a random offset) by Get, then the whole
// store in both directions.
void ModelHarness::VerifyAll(const char* when, size_t get_stride) {
  Note(std::string("VerifyAll ") + when);
  for (size_t i = Rand(get_stride); i < pool_.size(); i += get_stride) {
    CheckGet(model_, pool_[i], nullptr, when);
    if (failed_)
      return;
  }
  for (bool forward : {true, false}) {
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions{});
    ModelCursor mc(&model_, "", "");
    FullScan(it.get(), &mc, forward, when);
    if (failed_)
      return;
    if (!it->status().ok()) {
      Fail(std::string(when) + ": status at end " + it->status().ToString(), "");
      return;
    }
  }
}

void ModelHarness::SampleStats() {
  Stats st = db_->GetStats();
  int used = 0;
  for (size_t l = 0; l < st.levels.size(); l++) {
    if (st.levels[l].files > 0) {
      used++;
      levels_seen_.insert(static_cast<int>(l));
    }
  }
  max_levels_at_once_ = std::max(max_levels_at_once_, used);
  model_size_sum_ += model_.size();
  model_size_samples_++;
}

void ModelHarness::Open() {
  auto db = DB::Open(options_, dir_.path());
  ASSERT_TRUE(db.ok()) << "TRINE_SEED=" << seed_ << " op#" << op_
                       << " open: " << db.status().ToString();
  db_ = std::move(db).value();
}

// Snapshots and iterators must go before the DB does.
void ModelHarness::Close() {
  SampleStats();
  Stats st = db_->GetStats();
  flushes_ += st.flushes;
  compactions_ += st.compactions;
  held_.clear();
  for (const auto& s : snaps_)
    db_->ReleaseSnapshot(s.snapshot);
  snaps_.clear();
  db_.reset();
}

void ModelHarness::OpPut() {
  const std::string& k = WriteKey();
  std::string v = MakeValue();
  WriteOptions wo = RandomWriteOptions();
  Note("Put " + Escape(k) + " len " + std::to_string(v.size()) +
       (wo.durability == Durability::kDurable ? " durable" : " relaxed"));
  if (!CheckOk(db_->Put(wo, k, v), "Put", k))
    return;
  model_[k] = std::move(v);
  ModelChanged();
}

void ModelHarness::OpDelete() {
  // Mostly live keys, so the tombstone shadows something.
  std::string k = OneIn(3) ? WriteKey() : ReadKey();
  WriteOptions wo = RandomWriteOptions();
  Note("Delete " + Escape(k));
  if (!CheckOk(db_->Delete(wo, k), "Delete", k))
    return;
  model_.erase(k);
  ModelChanged();
}

void ModelHarness::OpDeleteRange() {
  auto [b, e] = RandomRange(true);
  WriteOptions wo = RandomWriteOptions();
  Note("DeleteRange [" + Escape(b) + "," + Escape(e) + ")");
  if (!CheckOk(db_->DeleteRange(wo, b, e), "DeleteRange [" + Escape(b) + "," + Escape(e) + ")",
               b)) {
    return;
  }
  ApplyDeleteRange(&model_, b, e);
  ModelChanged();
}

// begin > end must be refused without changing anything; later reads check
// that nothing was deleted.
void ModelHarness::OpInvalidDeleteRange() {
  std::string b = pool_[Rand(pool_.size())];
  std::string e = pool_[Rand(pool_.size())];
  if (b == e)
    return;
  if (b < e)
    std::swap(b, e);
  Note("DeleteRange (invalid) [" + Escape(b) + "," + Escape(e) + ")");
  Status s = db_->DeleteRange(WriteOptions{}, b, e);
  if (!s.IsInvalidArgument()) {
    Fail("DeleteRange with begin > end: expected InvalidArgument, got " + s.ToString(), b);
  }
}

void ModelHarness::OpBatch() {
  struct Update {
    int kind;  // 0 put, 1 delete, 2 delete range
    std::string a, b;
  };
  WriteBatch batch;
  std::vector<Update> updates;
  std::string desc = "Batch{";
  int n = OneIn(20) ? 0 : 1 + static_cast<int>(Rand(16));
  for (int i = 0; i < n; i++) {
    uint64_t r = Rand(20);
    if (r < 14) {
      updates.push_back({0, WriteKey(), MakeValue()});
      batch.Put(updates.back().a, updates.back().b);
      desc += " put " + Escape(updates.back().a, 16);
    } else if (r < 18) {
      updates.push_back({1, WriteKey(), ""});
      batch.Delete(updates.back().a);
      desc += " del " + Escape(updates.back().a, 16);
    } else {
      auto [b, e] = RandomRange(false);
      updates.push_back({2, b, e});
      batch.DeleteRange(b, e);
      desc += " delrange [" + Escape(b, 16) + "," + Escape(e, 16) + ")";
    }
  }
  desc += " }";
  Note(desc);
  if (batch.Count() != static_cast<uint32_t>(n)) {
    Fail("WriteBatch::Count() " + std::to_string(batch.Count()) + ", expected " + std::to_string(n),
         "");
    return;
  }
  if (!CheckOk(db_->Write(RandomWriteOptions(), batch), "Write(batch)", ""))
    return;
  if (n == 0)
    return;  // an empty batch is a no-op (and may take no sequence number)
  // In batch order: a later update in the batch overrides an earlier one.
  for (auto& u : updates) {
    if (u.kind == 0) {
      model_[u.a] = std::move(u.b);
    } else if (u.kind == 1) {
      model_.erase(u.a);
    } else {
      ApplyDeleteRange(&model_, u.a, u.b);
    }
  }
  ModelChanged();
}

void ModelHarness::OpGet() {
  std::string k = ReadKey();
  Note("Get " + Escape(k));
  CheckGet(model_, k, nullptr, "Get");
}

void ModelHarness::OpScan() {
  ScanOnce(model_, nullptr, "Scan");
}

void ModelHarness::OpTakeSnapshot() {
  if (snaps_.size() >= kMaxSnapshots)
    OpReleaseSnapshot();
  const Snapshot* s = db_->GetSnapshot();
  Note("GetSnapshot seq " + std::to_string(s->sequence()));
  // Sequences only grow (also across reopen), and every commit takes a new one.
  if (s->sequence() < last_snapshot_seq_ ||
      (commits_since_snapshot_ > 0 && s->sequence() == last_snapshot_seq_)) {
    Fail("snapshot sequence " + std::to_string(s->sequence()) + " after " +
             std::to_string(last_snapshot_seq_) + " with " +
             std::to_string(commits_since_snapshot_) + " commits in between",
         "");
  }
  last_snapshot_seq_ = s->sequence();
  commits_since_snapshot_ = 0;
  snaps_.push_back({s, ModelCopy(), op_});
}

void ModelHarness::OpReleaseSnapshot() {
  if (snaps_.empty())
    return;
  size_t i = Rand(snaps_.size());
  Note("ReleaseSnapshot taken at #" + std::to_string(snaps_[i].taken_at));
  // Held iterators reading through it stop being checked against it: drop them too.
  std::erase_if(held_, [&](const auto& h) { return h->snapshot == snaps_[i].snapshot; });
  db_->ReleaseSnapshot(snaps_[i].snapshot);
  snaps_.erase(snaps_.begin() + static_cast<std::ptrdiff_t>(i));
}

void ModelHarness::OpSnapshotRead() {
  if (snaps_.empty()) {
    OpTakeSnapshot();
    return;
  }
  const SnapshotState& s = snaps_[Rand(snaps_.size())];
  std::string what = "snapshot from #" + std::to_string(s.taken_at);
  if (OneIn(3)) {
    ScanOnce(*s.model, s.snapshot, ("Scan " + what).c_str());
    return;
  }
  int n = 1 + static_cast<int>(Rand(4));
  for (int i = 0; i < n && !failed_; i++) {
    // Keys from the snapshot's own contents half the time, since the current
    // model may have deleted them long ago.
    std::string k = ReadKey();
    if (OneIn(2) && !s.model->empty()) {
      auto it = s.model->lower_bound(k);
      if (it == s.model->end())
        it = s.model->begin();
      k = it->first;
    }
    Note("Get " + Escape(k) + " at " + what);
    CheckGet(*s.model, k, s.snapshot, ("Get at " + what).c_str());
  }
}

// Creates, advances or destroys an iterator that stays open across other
// operations, so flushes and compactions run while it pins old tables.
void ModelHarness::OpHeldIterator() {
  if (held_.empty() || (held_.size() < kMaxHeldIterators && OneIn(3))) {
    auto h = std::make_unique<HeldIterator>();
    std::tie(h->lower, h->upper) = RandomBounds();
    ReadOptions ro;
    ro.lower_bound = h->lower;
    ro.upper_bound = h->upper;
    if (!snaps_.empty() && OneIn(3)) {
      const SnapshotState& s = snaps_[Rand(snaps_.size())];
      h->snapshot = s.snapshot;
      h->model = s.model;
    } else {
      h->model = ModelCopy();
    }
    ro.snapshot = h->snapshot;
    h->created_at = op_;
    h->it = db_->NewIterator(ro);
    h->cursor.emplace(h->model.get(), h->lower, h->upper);
    Note("NewIterator (held) [" + Escape(h->lower) + "," + Escape(h->upper) + ")" +
         (h->snapshot ? " on a snapshot" : ""));
    std::string desc;
    RandomPosition(h->it.get(), &*h->cursor, &desc);
    CheckCursor(*h->it, *h->cursor, "held iterator " + desc);
    held_.push_back(std::move(h));
    return;
  }
  size_t i = Rand(held_.size());
  HeldIterator& h = *held_[i];
  std::string ctx = "held iterator from #" + std::to_string(h.created_at);
  if (OneIn(8)) {
    Note("destroy " + ctx);
    if (!h.it->status().ok())
      Fail(ctx + ": status " + h.it->status().ToString(), "");
    held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
    return;
  }
  Note("advance " + ctx);
  // Continue from where it was left (that position survived the operations
  // since), or re-seek when it ran off the end.
  if (!h.cursor->Valid() || OneIn(4)) {
    std::string desc;
    RandomPosition(h.it.get(), &*h.cursor, &desc);
    ctx += " " + desc;
    if (!CheckCursor(*h.it, *h.cursor, ctx))
      return;
  } else if (!CheckCursor(*h.it, *h.cursor, ctx + " (unmoved)")) {
    return;
  }
  Walk(h.it.get(), &*h.cursor, static_cast<int>(Rand(12)), ctx);
}

void ModelHarness::OpFlush() {
  Note("Flush");
  CheckOk(db_->Flush(), "Flush", "");
}

void ModelHarness::OpCompactRange() {
  if (!Percent(cfg_.manual_compaction_percent)) {
    // Counted as skipped, not as run.
    op_counts_["CompactRange"]--;
    op_counts_["CompactRange(skipped)"]++;
    return;
  }
  std::string b, e;
  if (!OneIn(4))
    b = ReadKey();
  if (!OneIn(4))
    e = ReadKey();
  if (!b.empty() && !e.empty() && e < b)
    std::swap(b, e);
  Note("CompactRange [" + Escape(b) + "," + Escape(e) + "]");
  CheckOk(db_->CompactRange(b, e), "CompactRange", b);
}

void ModelHarness::OpCompactAll() {
  if (!Percent(cfg_.manual_compaction_percent)) {
    // Counted as skipped, not as run.
    op_counts_["CompactAll"]--;
    op_counts_["CompactAll(skipped)"]++;
    return;
  }
  Note("CompactAll");
  CheckOk(db_->CompactAll(), "CompactAll", "");
}

void ModelHarness::OpSync() {
  Note("Sync");
  CheckOk(db_->Sync(), "Sync", "");
}

void ModelHarness::OpReopen() {
  // Sometimes with other read-side options: tables written with and without
  // filters, and with and without a cache, must read the same.
  bool sync_first = OneIn(2);
  Note(std::string("Reopen") + (sync_first ? " after Sync" : " (relaxed commits unsynced)"));
  if (sync_first && !CheckOk(db_->Sync(), "Sync before reopen", ""))
    return;
  Close();
  if (OneIn(3))
    options_.block_cache_bytes = OneIn(2) ? 0 : cfg_.block_cache_bytes;
  if (OneIn(3))
    options_.bloom_bits_per_key = OneIn(2) ? 0 : 10;
  Open();
  if (!db_) {
    failed_ = true;
    return;
  }
  reopens_++;
  VerifyAll("after reopen", 4);  // the full scans see every key anyway
}

void ModelHarness::Run() {
  auto start = std::chrono::steady_clock::now();
  Open();
  if (!db_)
    return;
  const auto& kinds = OpKinds();
  int total_weight = 0;
  for (const auto& k : kinds)
    total_weight += k.weight;
  for (op_ = 0; op_ < num_ops_ && !failed_; op_++) {
    int r = static_cast<int>(Rand(static_cast<uint64_t>(total_weight)));
    const OpKind* kind = &kinds.back();
    for (const auto& k : kinds) {
      if (r < k.weight) {
        kind = &k;
        break;
      }
      r -= k.weight;
    }
    op_counts_[kind->name]++;
    (this->*(kind->fn))();
    if (!db_)
      return;  // a reopen failed (already reported)
    if (op_ % kStatsSampleInterval == 0)
      SampleStats();
  }
  if (failed_) {
    Close();
    return;
  }
  VerifyAll("final check", 1);
  Close();
  // A clean close persists relaxed commits: the last reopen must still see them all.
  Open();
  if (!db_)
    return;
  VerifyAll("final check after reopen", 1);
  Close();

  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ostringstream summary;
  summary << cfg_.name << ": " << num_ops_ << " ops in " << secs << " s, " << flushes_
          << " flushes, " << compactions_ << " compactions, " << reopens_
          << " reopens, levels used:";
  for (int l : levels_seen_)
    summary << " L" << l;
  summary << " (at most " << max_levels_at_once_ << " at once), live keys: "
          << model_size_sum_ / std::max<uint64_t>(model_size_samples_, 1) << " on average, "
          << model_.size() << " at the end; ops:";
  for (const auto& [name, n] : op_counts_)
    summary << " " << name << "=" << n;
  std::fprintf(stderr, "%s\n", summary.str().c_str());

  if (failed_)
    return;
  // Prove the run exercised the tree, not only the memtable.
  EXPECT_GT(flushes_, 0u) << summary.str();
  EXPECT_GT(compactions_, 0u) << summary.str();
  EXPECT_GE(levels_seen_.size(), 2u) << summary.str();
  EXPECT_GE(max_levels_at_once_, 2) << summary.str();
  if (cfg_.expect_middle_levels) {
    bool middle = std::any_of(levels_seen_.begin(), levels_seen_.end(),
                              [&](int l) { return l >= 2 && l < cfg_.num_levels - 1; });
    EXPECT_TRUE(middle) << "no size-triggered compaction below L1: " << summary.str();
  }
}

int64_t OpsPerTest() {
  int64_t total = test::EnvInt("TRINE_MODEL_OPS", kDefaultTotalOps);
  return (std::max<int64_t>(total, 1) + kNumModelTests - 1) / kNumModelTests;
}

void RunModel(const ModelConfig& cfg) {
  uint64_t seed = test::TestSeed();
  ModelHarness h(cfg, seed, OpsPerTest());
  h.Run();
}

// Tiny blocks and restart intervals (many blocks per table, many index
// entries), filters on, no cache, an L0 trigger of 2, only four levels.
TEST(ModelTest, TinyBlocksBloomNoCache) {
  RunModel({.name = "TinyBlocksBloomNoCache",
            .write_buffer_size = 32 << 10,
            .block_size = 256,
            .block_restart_interval = 2,
            .bloom_bits_per_key = 10,
            .block_cache_bytes = 0,
            .compression = Compression::kNone,
            .level0_compaction_trigger = 2,
            .max_bytes_for_level_base = 128 << 10,
            .level_size_multiplier = 4,
            .target_file_size = 32 << 10,
            .num_levels = 4,
            .manual_compaction_percent = 100,
            .expect_middle_levels = false,
            .num_keys = 1500,
            .max_value_len = 300,
            .durable_percent = 30});
}

// Larger blocks, compression, no filters, a small cache that keeps evicting.
TEST(ModelTest, CompressedNoBloomSmallCache) {
  RunModel({.name = "CompressedNoBloomSmallCache",
            .write_buffer_size = 64 << 10,
            .block_size = 4096,
            .block_restart_interval = 16,
            .bloom_bits_per_key = 0,
            .block_cache_bytes = 16 << 10,
            .compression = Compression::kZstd,
            .level0_compaction_trigger = 4,
            .max_bytes_for_level_base = 128 << 10,
            .level_size_multiplier = 4,
            .target_file_size = 32 << 10,
            .num_levels = 7,
            .manual_compaction_percent = 100,
            .expect_middle_levels = false,
            .num_keys = 2000,
            .max_value_len = 300,
            .durable_percent = 10});
}

// Few keys: heavy overwriting, many versions of each key across levels and
// snapshots, and range deletions that cover most of the store.
TEST(ModelTest, FewKeysManyVersions) {
  RunModel({.name = "FewKeysManyVersions",
            .write_buffer_size = 32 << 10,
            .block_size = 1024,
            .block_restart_interval = 4,
            .bloom_bits_per_key = 10,
            .block_cache_bytes = 64 << 10,
            .compression = Compression::kZstd,
            .level0_compaction_trigger = 3,
            .max_bytes_for_level_base = 128 << 10,
            .level_size_multiplier = 10,
            .target_file_size = 32 << 10,
            .num_levels = 7,
            .manual_compaction_percent = 100,
            .expect_middle_levels = false,
            .num_keys = 60,
            .max_value_len = 300,
            .durable_percent = 25});
}

// Mid-size blocks, a deeper tree (multiplier 2) that size-triggered
// compactions fill (few manual compactions), almost every commit relaxed.
TEST(ModelTest, DeepTreeMostlyRelaxed) {
  RunModel({.name = "DeepTreeMostlyRelaxed",
            .write_buffer_size = 48 << 10,
            .block_size = 512,
            .block_restart_interval = 8,
            .bloom_bits_per_key = 10,
            .block_cache_bytes = 256 << 10,
            .compression = Compression::kNone,
            .level0_compaction_trigger = 2,
            .max_bytes_for_level_base = 128 << 10,
            .level_size_multiplier = 2,
            .target_file_size = 32 << 10,
            .num_levels = 7,
            .manual_compaction_percent = 10,
            .expect_middle_levels = true,
            .num_keys = 2000,
            .max_value_len = 300,
            .durable_percent = 5});
}

}  // namespace
}  // namespace trine
