// Corruption tests: damaged files must never produce a wrong answer.
//
// RandomByteFlipsGiveNoWrongAnswers builds a small store (tables in two
// levels, a manifest, and a write-ahead log holding the latest commits),
// then for each trial copies it, flips 1-4 bytes of one file, opens the copy
// and reads everything. Each read must give the right answer or an error;
// a wrong value, a NotFound for a live key, a value for a deleted key or a
// scan that silently skips entries fails the test.
//
//   TRINE_CORRUPTION_TRIALS=10000 TRINE_SEED=42 ./lsm_test --gtest_filter='CorruptionTest.*'
//
// The other tests pin exact expectations for specific damage: a torn log
// tail, a bad record in the middle of the log, a bad table block, a foreign
// directory, a newer format version, a locked store.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "common/coding.h"
#include "common/hash.h"
#include "sstable/format.h"
#include "tests/util/test_util.h"
#include "trine/db.h"

namespace trine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Model = std::map<std::string, std::string>;

// Runs `body` in a forked child and returns its exit code (or 128 + signal).
// The child ends with _exit, so a DB it leaves open is never closed: this is
// how the tests get a store whose newest commits live only in the log, as
// after a crash. No DB may be open in the caller.
int RunInChild(const std::function<int()>& body) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0)
    _exit(body());
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid)
    return -1;
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

void CopyDir(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from)) {
    fs::copy_file(e.path(), to + "/" + e.path().filename().string());
  }
}

enum Kind { kSst, kWal, kManifest, kCurrent, kOther, kNumKinds };
const char* const kKindNames[kNumKinds] = {"sst", "wal", "manifest", "current", "other"};

Kind KindOf(const std::string& name) {
  if (name.ends_with(".sst"))
    return kSst;
  if (name.ends_with(".log"))
    return kWal;
  if (name.starts_with("MANIFEST"))
    return kManifest;
  if (name == "CURRENT")
    return kCurrent;
  return kOther;
}

// The files of each kind in `dir` (LOCK excluded: its contents mean nothing).
std::vector<std::vector<std::string>> FilesByKind(const std::string& dir) {
  std::vector<std::vector<std::string>> files(kNumKinds);
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name == "LOCK" || fs::file_size(e.path()) == 0)
      continue;
    files[KindOf(name)].push_back(name);
  }
  for (auto& v : files)
    std::sort(v.begin(), v.end());
  return files;
}

// ---------------------------------------------------------------------------
// The store under test and its model.

constexpr int kNumKeys = 2000;

std::string Key(int k) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%06d", k);
  return buf;
}

std::string RandomValue(std::mt19937_64& rng, const char* tag) {
  size_t len = 10 + rng() % 90;
  std::string v = tag;
  while (v.size() < len)
    v.push_back(static_cast<char>('a' + rng() % 26));
  return v;
}

Options StoreOptions() {
  Options o;
  o.write_buffer_size = 32 << 10;     // several flushes from a few thousand keys
  o.target_file_size = 16 << 10;      // several tables per level
  o.block_size = 1024;                // several blocks per table
  o.level0_compaction_trigger = 100;  // keep the layout as built: L0 over the last level
  o.level0_slowdown_trigger = 200;
  o.level0_stop_trigger = 300;
  o.num_levels = 4;
  return o;
}

struct Update {
  enum { kPut, kDelete, kDeleteRange } type;
  std::string a, b;
};

void Apply(const std::vector<Update>& batch, Model* model) {
  for (const Update& u : batch) {
    if (u.type == Update::kPut) {
      (*model)[u.a] = u.b;
    } else if (u.type == Update::kDelete) {
      model->erase(u.a);
    } else {
      model->erase(model->lower_bound(u.a), model->lower_bound(u.b));
    }
  }
}

WriteBatch ToBatch(const std::vector<Update>& batch) {
  WriteBatch wb;
  for (const Update& u : batch) {
    if (u.type == Update::kPut) {
      wb.Put(u.a, u.b);
    } else if (u.type == Update::kDelete) {
      wb.Delete(u.a);
    } else {
      wb.DeleteRange(u.a, u.b);
    }
  }
  return wb;
}

// Builds the store in `dir` and returns its model. Layout: tables in the
// last level (after CompactAll), newer tables in L0 holding overwrites,
// deletes and a range tombstone, and a log holding the last ~300 commits
// (written by a child that exits without closing the DB).
Model BuildStore(const std::string& dir, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Model model;
  {
    auto db = DB::Open(StoreOptions(), dir);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok())
      return model;
    WriteOptions relaxed{Durability::kRelaxed};
    for (int k = 0; k < kNumKeys; k += 1 + static_cast<int>(rng() % 2)) {
      std::string v = RandomValue(rng, "base:");
      EXPECT_TRUE((*db)->Put(relaxed, Key(k), v).ok());
      model[Key(k)] = v;
    }
    EXPECT_TRUE((*db)->CompactAll().ok());
    for (int round = 0; round < 2; ++round) {
      for (int j = 0; j < 500; ++j) {
        int k = static_cast<int>(rng() % kNumKeys);
        if (rng() % 5 == 0) {
          EXPECT_TRUE((*db)->Delete(relaxed, Key(k)).ok());
          model.erase(Key(k));
        } else {
          std::string v = RandomValue(rng, round == 0 ? "l0a:" : "l0b:");
          EXPECT_TRUE((*db)->Put(relaxed, Key(k), v).ok());
          model[Key(k)] = v;
        }
      }
      int b = static_cast<int>(rng() % (kNumKeys - 60));
      EXPECT_TRUE((*db)->DeleteRange(relaxed, Key(b), Key(b + 40)).ok());
      model.erase(model.lower_bound(Key(b)), model.lower_bound(Key(b + 40)));
      EXPECT_TRUE((*db)->Flush().ok());
    }
  }
  // The log part: generated here, applied by the child.
  std::vector<std::vector<Update>> batches;
  for (int i = 0; i < 300; ++i) {
    std::vector<Update> batch;
    if (i == 150) {
      int b = static_cast<int>(rng() % (kNumKeys - 30));
      batch.push_back({Update::kDeleteRange, Key(b), Key(b + 20)});
    }
    int n = 1 + static_cast<int>(rng() % 3);
    for (int j = 0; j < n; ++j) {
      int k = static_cast<int>(rng() % kNumKeys);
      if (rng() % 6 == 0) {
        batch.push_back({Update::kDelete, Key(k), {}});
      } else {
        batch.push_back({Update::kPut, Key(k), RandomValue(rng, "wal:")});
      }
    }
    batches.push_back(std::move(batch));
  }
  int rc = RunInChild([&] {
    auto db = DB::Open(StoreOptions(), dir);
    if (!db.ok())
      return 1;
    for (size_t i = 0; i < batches.size(); ++i) {
      WriteOptions wo{i % 10 == 0 ? Durability::kDurable : Durability::kRelaxed};
      if (!(*db)->Write(wo, ToBatch(batches[i])).ok())
        return 2;
    }
    if (!(*db)->Sync().ok())
      return 3;
    return 0;  // the DB is never closed
  });
  EXPECT_EQ(rc, 0) << "the child writing the log part failed";
  for (const auto& batch : batches)
    Apply(batch, &model);
  return model;
}

// ---------------------------------------------------------------------------
// Checking a possibly damaged store against the model.

struct ReadReport {
  int errors = 0;                  // reads that returned an error (allowed)
  std::vector<std::string> wrong;  // wrong answers (never allowed)
};

void CheckGet(DB* db, const std::string& key, const Model& model, ReadReport* r) {
  std::string value;
  Status s = db->Get(ReadOptions{}, key, &value);
  auto m = model.find(key);
  if (s.ok()) {
    if (m == model.end()) {
      r->wrong.push_back("Get('" + key + "') returned a value for a deleted/absent key");
    } else if (value != m->second) {
      r->wrong.push_back("Get('" + key + "') returned '" + value + "', expected '" + m->second +
                         "'");
    }
  } else if (s.IsNotFound()) {
    if (m != model.end())
      r->wrong.push_back("Get('" + key + "') returned NotFound, but it is live");
  } else {
    ++r->errors;
  }
}

// A scan must produce exactly the model's entries in order up to the point
// where it fails; if it ends OK it must have produced all of them.
void CheckScan(DB* db, bool forward, const Model& model, ReadReport* r) {
  const char* dir = forward ? "forward" : "backward";
  auto it = db->NewIterator(ReadOptions{});
  std::vector<std::pair<std::string, std::string>> expected(model.begin(), model.end());
  if (!forward)
    std::reverse(expected.begin(), expected.end());
  size_t i = 0;
  if (forward) {
    it->SeekToFirst();
  } else {
    it->SeekToLast();
  }
  for (; it->Valid(); ++i) {
    // iterator.h: an error makes the iterator invalid. An iterator that
    // stays valid after an error keeps producing entries a caller takes as
    // data (merging the remaining sources: older versions, missing keys).
    if (!it->status().ok()) {
      r->wrong.push_back(std::string(dir) + " scan entry " + std::to_string(i) + " ('" +
                         std::string(it->key()) + "'): Valid() is true although status() is " +
                         it->status().ToString());
      return;
    }
    if (i >= expected.size()) {
      r->wrong.push_back(std::string(dir) + " scan: extra key '" + std::string(it->key()) + "'");
      return;
    }
    if (it->key() != expected[i].first || it->value() != expected[i].second) {
      r->wrong.push_back(std::string(dir) + " scan entry " + std::to_string(i) + ": got '" +
                         std::string(it->key()) + "', expected key '" + expected[i].first + "'" +
                         (it->key() == expected[i].first ? " (value differs)" : ""));
      return;
    }
    if (forward) {
      it->Next();
    } else {
      it->Prev();
    }
  }
  if (!it->status().ok()) {
    ++r->errors;
  } else if (i != expected.size()) {
    r->wrong.push_back(std::string(dir) + " scan ended OK after " + std::to_string(i) + " of " +
                       std::to_string(expected.size()) + " entries; missing key '" +
                       expected[i].first + "'");
  }
}

std::string WrongCategory(const std::string& msg) {
  if (msg.find("Valid() is true although") != std::string::npos)
    return "scan valid after error";
  if (msg.find("scan ended OK") != std::string::npos)
    return "scan ended OK with entries missing";
  if (msg.find("scan") != std::string::npos)
    return "scan returned a wrong entry";
  if (msg.find("returned NotFound") != std::string::npos)
    return "Get: NotFound for a live key";
  if (msg.find("deleted/absent") != std::string::npos)
    return "Get: value for an absent key";
  return "Get: wrong value";
}

ReadReport CheckStore(DB* db, const Model& model) {
  ReadReport r;
  for (int k = 0; k < kNumKeys + 20; ++k)
    CheckGet(db, Key(k), model, &r);
  for (const char* absent : {"a", "key", "key000100x", "key0005", "zzz", "\xff"}) {
    CheckGet(db, absent, model, &r);
  }
  CheckScan(db, true, model, &r);
  CheckScan(db, false, model, &r);
  return r;
}

TEST(CorruptionTest, RandomByteFlipsGiveNoWrongAnswers) {
  const uint64_t seed = test::TestSeed();
  const int64_t trials = test::EnvInt("TRINE_CORRUPTION_TRIALS", 1000);
  test::TempDir tmp;
  const std::string base = tmp.Sub("base");
  const std::string work = tmp.Sub("work");
  Model model = BuildStore(base, seed);
  ASSERT_FALSE(HasFailure());

  auto files = FilesByKind(base);
  std::fprintf(stderr,
               "[ corruption ] store: %zu tables, %zu logs, %zu manifests, %zu other; %zu keys\n",
               files[kSst].size(), files[kWal].size(), files[kManifest].size(),
               files[kOther].size(), model.size());
  ASSERT_GE(files[kSst].size(), 3u) << "the store should have tables in several levels";
  ASSERT_GE(files[kWal].size(), 1u) << "the newest commits should be in a non-empty log";
  ASSERT_EQ(files[kManifest].size(), 1u);
  ASSERT_EQ(files[kCurrent].size(), 1u);

  // The undamaged copy reads back exactly: the baseline for every trial.
  {
    CopyDir(base, work);
    auto db = DB::Open(StoreOptions(), work);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ReadReport r = CheckStore(db->get(), model);
    ASSERT_EQ(r.errors, 0);
    ASSERT_TRUE(r.wrong.empty()) << r.wrong.front();
  }

  // Weights per kind (kinds with no file are skipped): tables and the log
  // carry the data, the manifest the layout; CURRENT is 16 bytes.
  const int weight[kNumKinds] = {4, 3, 3, 1, 1};
  struct PerKind {
    int trials = 0, open_failed = 0, opened = 0, read_errors = 0, clean = 0, wrong = 0;
  };
  PerKind per[kNumKinds];
  std::map<std::string, int> open_errors;  // status code name -> count
  int total_wrong = 0;
  std::map<std::string, int> wrong_by_category;  // trials, by their first wrong answer
  std::mt19937_64 rng(seed ^ 0xC0FFEE);
  auto t0 = std::chrono::steady_clock::now();

  for (int64_t t = 0; t < trials; ++t) {
    int total_weight = 0;
    for (int k = 0; k < kNumKinds; ++k)
      total_weight += files[k].empty() ? 0 : weight[k];
    int pick = static_cast<int>(rng() % static_cast<uint64_t>(total_weight));
    int kind = 0;
    for (; kind < kNumKinds; ++kind) {
      if (files[kind].empty())
        continue;
      if (pick < weight[kind])
        break;
      pick -= weight[kind];
    }
    const std::string name = files[kind][rng() % files[kind].size()];

    CopyDir(base, work);
    std::string data = ReadFile(work + "/" + name);
    int flips = 1 + static_cast<int>(rng() % 4);
    std::string where;
    for (int f = 0; f < flips; ++f) {
      size_t off = rng() % data.size();
      auto mask = static_cast<unsigned char>(1 + rng() % 255);
      data[off] = static_cast<char>(static_cast<unsigned char>(data[off]) ^ mask);
      char buf[48];
      std::snprintf(buf, sizeof(buf), "%s%zu^0x%02x", f ? ", " : "", off, mask);
      where += buf;
    }
    WriteFile(work + "/" + name, data);

    PerKind& pk = per[kind];
    ++pk.trials;
    auto db = DB::Open(StoreOptions(), work);
    if (!db.ok()) {
      ++pk.open_failed;
      std::string code = db.status().ToString();
      ++open_errors[code.substr(0, code.find(':'))];
      continue;
    }
    ++pk.opened;
    ReadReport r = CheckStore(db->get(), model);
    if (!r.wrong.empty()) {
      ++pk.wrong;
      ++total_wrong;
      // Report the first few trials of each kind of wrong answer.
      std::string category = WrongCategory(r.wrong.front());
      if (++wrong_by_category[category] <= 3) {
        ADD_FAILURE() << "WRONG ANSWER (" << category << ") in trial " << t
                      << " (TRINE_SEED=" << seed << "): flipped " << name << " at offset^mask "
                      << where << ": " << r.wrong.front() << " (" << r.wrong.size()
                      << " wrong answers in all)";
      }
    } else if (r.errors > 0) {
      ++pk.read_errors;
    } else {
      ++pk.clean;
    }
  }

  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "[ corruption ] %" PRId64 " trials in %.1f s (TRINE_SEED=%" PRIu64 ")\n",
               trials, secs, seed);
  std::fprintf(stderr, "[ corruption ] %-9s %7s %12s %7s %12s %13s %6s\n", "file", "trials",
               "open-failed", "opened", "read-errors", "all-correct", "WRONG");
  for (int k = 0; k < kNumKinds; ++k) {
    std::fprintf(stderr, "[ corruption ] %-9s %7d %12d %7d %12d %13d %6d\n", kKindNames[k],
                 per[k].trials, per[k].open_failed, per[k].opened, per[k].read_errors, per[k].clean,
                 per[k].wrong);
  }
  for (const auto& [code, n] : open_errors) {
    std::fprintf(stderr, "[ corruption ] open failed with %s: %d\n", code.c_str(), n);
  }
  for (const auto& [category, n] : wrong_by_category) {
    std::fprintf(stderr, "[ corruption ] WRONG: %s: %d trials\n", category.c_str(), n);
  }
  EXPECT_EQ(total_wrong, 0);
}

// ---------------------------------------------------------------------------
// Targeted damage with exact expectations.

// A store whose log holds commits 1..n, each a durable batch writing
// "k<i % 20>" and "!seq" = i; written by a child that exits without closing.
Model LogOnlyStore(const std::string& dir, int n, std::vector<Model>* prefixes) {
  Model model;
  prefixes->assign(1, model);
  std::vector<std::vector<Update>> batches;
  for (int i = 1; i <= n; ++i) {
    std::vector<Update> b = {{Update::kPut, "k" + std::to_string(i % 20), "v" + std::to_string(i)},
                             {Update::kPut, "!seq", std::to_string(i)}};
    Apply(b, &model);
    prefixes->push_back(model);
    batches.push_back(std::move(b));
  }
  int rc = RunInChild([&] {
    auto db = DB::Open(Options{}, dir);
    if (!db.ok())
      return 1;
    for (const auto& b : batches) {
      if (!(*db)->Write(WriteOptions{}, ToBatch(b)).ok())
        return 2;
    }
    return 0;
  });
  EXPECT_EQ(rc, 0);
  return model;
}

// The newest non-empty log file of `dir`.
std::string NewestLog(const std::string& dir) {
  auto files = FilesByKind(dir);
  return files[kWal].empty() ? "" : files[kWal].back();
}

// Reads "!seq" (0 if absent) and checks the store equals prefixes[seq].
void ExpectPrefix(DB* db, const std::vector<Model>& prefixes, int* seq) {
  std::string v;
  Status s = db->Get(ReadOptions{}, "!seq", &v);
  *seq = s.ok() ? std::stoi(v) : 0;
  ASSERT_TRUE(s.ok() || s.IsNotFound()) << s.ToString();
  ASSERT_LT(static_cast<size_t>(*seq), prefixes.size());
  ReadReport r;
  CheckScan(db, true, prefixes[static_cast<size_t>(*seq)], &r);
  for (int k = 0; k < 20; ++k)
    CheckGet(db, "k" + std::to_string(k), prefixes[*seq], &r);
  EXPECT_EQ(r.errors, 0);
  EXPECT_TRUE(r.wrong.empty()) << r.wrong.front();
}

TEST(CorruptionTest, TornLogTailReopensWithAPrefix) {
  test::TempDir tmp;
  const int n = 50;
  std::vector<Model> prefixes;
  LogOnlyStore(tmp.Sub("base"), n, &prefixes);
  const std::string log = NewestLog(tmp.Sub("base"));
  ASSERT_FALSE(log.empty());
  const uint64_t size = fs::file_size(tmp.Sub("base") + "/" + log);
  const uint64_t record = size / n;  // commits are all about the same size
  ASSERT_GT(record, 4u);
  // Cuts inside the last record lose exactly it; a longer cut loses a few.
  for (uint64_t cut : {uint64_t{1}, uint64_t{2}, record / 2, record - 1, record * 5 / 2}) {
    SCOPED_TRACE("cut " + std::to_string(cut) + " of " + std::to_string(size) + " bytes of " + log);
    std::string dir = tmp.Sub("cut");
    CopyDir(tmp.Sub("base"), dir);
    fs::resize_file(dir + "/" + log, size - cut);
    int seq = 0;
    {
      auto db = DB::Open(Options{}, dir);
      ASSERT_TRUE(db.ok()) << "a torn tail is what a crash leaves; it must not fail the open: "
                           << db.status().ToString();
      ExpectPrefix(db->get(), prefixes, &seq);
      if (cut < record) {
        EXPECT_EQ(seq, n - 1);
      } else {
        EXPECT_LT(seq, n - 1);
        EXPECT_GE(seq, n - 4);
      }
      // New commits after the recovered tail must survive the next crash
      // too (the torn bytes must not swallow them).
      ASSERT_TRUE((*db)->Put(WriteOptions{}, "after", "torn").ok());
    }
    auto db = DB::Open(Options{}, dir);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    std::string v;
    EXPECT_TRUE((*db)->Get(ReadOptions{}, "after", &v).ok());
    EXPECT_EQ(v, "torn");
  }
}

TEST(CorruptionTest, BadLogRecordFailsStrictOpenAndKeepPrefixSalvages) {
  test::TempDir tmp;
  const int n = 50;
  std::vector<Model> prefixes;
  LogOnlyStore(tmp.Sub("base"), n, &prefixes);
  const std::string log = NewestLog(tmp.Sub("base"));
  ASSERT_FALSE(log.empty());
  std::string data = ReadFile(tmp.Sub("base") + "/" + log);
  // A byte in the middle of the log: complete records follow it, so this is
  // damage, not a torn write.
  data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 0x40);
  CopyDir(tmp.Sub("base"), tmp.Sub("bad"));
  WriteFile(tmp.Sub("bad") + "/" + log, data);

  auto strict = DB::Open(Options{}, tmp.Sub("bad"));
  ASSERT_FALSE(strict.ok()) << "kStrict must not drop acknowledged commits silently";
  EXPECT_TRUE(strict.status().IsCorruption()) << strict.status().ToString();
  EXPECT_THAT(strict.status().ToString(), HasSubstr(log));
  EXPECT_THAT(strict.status().ToString(), HasSubstr("offset"));

  Options salvage;
  salvage.wal_recovery = WalRecovery::kKeepPrefix;
  auto db = DB::Open(salvage, tmp.Sub("bad"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  int seq = 0;
  ExpectPrefix(db->get(), prefixes, &seq);
  EXPECT_LT(seq, n / 2 + 1);
  EXPECT_GE(seq, n / 2 - 3);
}

TEST(CorruptionTest, BadTableBlockIsReportedWithFileAndOffset) {
  test::TempDir tmp;
  const std::string dir = tmp.Sub("db");
  Model model;
  {
    Options o;
    o.compression = Compression::kNone;
    o.block_size = 512;
    auto db = DB::Open(o, dir);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int k = 0; k < 200; ++k) {
      model[Key(k)] = "value-" + std::to_string(k) + std::string(40, 'x');
      ASSERT_TRUE((*db)->Put(WriteOptions{}, Key(k), model[Key(k)]).ok());
    }
    ASSERT_TRUE((*db)->Flush().ok());
  }
  auto files = FilesByKind(dir);
  ASSERT_EQ(files[kSst].size(), 1u);
  const std::string sst = files[kSst][0];
  // Offset 20 is inside the first data block (tables start with data).
  std::string data = ReadFile(dir + "/" + sst);
  data[20] = static_cast<char>(data[20] ^ 0x01);
  WriteFile(dir + "/" + sst, data);

  auto db = DB::Open(Options{}, dir);
  if (!db.ok()) {
    // Opening may verify tables eagerly; then the open must say which.
    EXPECT_THAT(db.status().ToString(), HasSubstr(sst));
    return;
  }
  std::string v;
  Status s = (*db)->Get(ReadOptions{}, Key(0), &v);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_THAT(s.ToString(), HasSubstr(sst));
  EXPECT_THAT(s.ToString(), HasSubstr("offset"));
  // A key in a later block still reads correctly.
  s = (*db)->Get(ReadOptions{}, Key(199), &v);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(v, model[Key(199)]);
  auto it = (*db)->NewIterator(ReadOptions{});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
}

TEST(CorruptionTest, ForeignDirectoryIsRejected) {
  test::TempDir tmp;
  const std::string dir = tmp.Sub("photos");
  fs::create_directories(dir);
  WriteFile(dir + "/holiday.jpg", "not a store");
  auto db = DB::Open(Options{}, dir);
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsInvalidArgument()) << db.status().ToString();
  EXPECT_THAT(db.status().ToString(), HasSubstr(dir));
  // Nothing was added to (or removed from) the directory.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    names.push_back(e.path().filename());
  EXPECT_THAT(names, ::testing::ElementsAre("holiday.jpg"))
      << "refusing a foreign directory must not create files (such as LOCK) in it";
  EXPECT_EQ(ReadFile(dir + "/holiday.jpg"), "not a store");
}

TEST(CorruptionTest, NewerStoreFormatVersionIsNotSupported) {
  test::TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto db = DB::Open(Options{}, dir);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Put(WriteOptions{}, "k", "v").ok());
  }
  // lsm/filename.h: the TRINE marker holds "trine-store <format version>\n".
  ASSERT_EQ(ReadFile(dir + "/TRINE"), "trine-store 1\n");
  WriteFile(dir + "/TRINE", "trine-store 2\n");
  auto db = DB::Open(Options{}, dir);
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsNotSupported()) << db.status().ToString();
  EXPECT_THAT(db.status().ToString(), HasSubstr(dir));
  EXPECT_THAT(db.status().ToString(), HasSubstr("format version 2"));
  // Refusing must not modify the store: the same build opens it again once
  // the marker is back (a newer build would find its files untouched).
  WriteFile(dir + "/TRINE", "trine-store 1\n");
  auto again = DB::Open(Options{}, dir);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  std::string v;
  EXPECT_TRUE((*again)->Get(ReadOptions{}, "k", &v).ok());
}

TEST(CorruptionTest, NewerTableFormatVersionIsNotSupported) {
  test::TempDir tmp;
  const std::string dir = tmp.Sub("db");
  {
    auto db = DB::Open(Options{}, dir);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Put(WriteOptions{}, "k", "v").ok());
    ASSERT_TRUE((*db)->Flush().ok());
  }
  auto files = FilesByKind(dir);
  ASSERT_EQ(files[kSst].size(), 1u);
  const std::string sst = files[kSst][0];
  // sstable/format.h: the 64-byte footer ends in format version (fixed32 at
  // 48), a checksum32 of the 52 bytes before it, and the magic. Write a valid
  // footer of version 2, as a newer build would.
  std::string data = ReadFile(dir + "/" + sst);
  ASSERT_GE(data.size(), kFooterSize);
  char* footer = data.data() + data.size() - kFooterSize;
  ASSERT_EQ(DecodeFixed32(footer + 48), kTableFormatVersion);
  EncodeFixed32(footer + 48, kTableFormatVersion + 1);
  EncodeFixed32(footer + 52, Checksum32(std::string_view(footer, 52)));
  WriteFile(dir + "/" + sst, data);

  Status s;
  std::string v;
  auto db = DB::Open(Options{}, dir);
  if (!db.ok()) {
    s = db.status();  // tables checked at open
  } else {
    s = (*db)->Get(ReadOptions{}, "k", &v);
  }
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
  EXPECT_THAT(s.ToString(), HasSubstr(sst));
}

TEST(CorruptionTest, SecondOpenOfALockedStoreFailsWithBusy) {
  test::TempDir tmp;
  const std::string dir = tmp.Sub("db");
  auto first = DB::Open(Options{}, dir);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE((*first)->Put(WriteOptions{}, "k", "v").ok());
  auto second = DB::Open(Options{}, dir);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().IsBusy()) << second.status().ToString();
  EXPECT_THAT(second.status().ToString(), HasSubstr("locked"));
  EXPECT_THAT(second.status().ToString(), HasSubstr("LOCK"));
  // The failed open did not disturb the open store.
  std::string v;
  EXPECT_TRUE((*first)->Get(ReadOptions{}, "k", &v).ok());
  first->reset();
  auto third = DB::Open(Options{}, dir);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_TRUE((*third)->Get(ReadOptions{}, "k", &v).ok());
  EXPECT_EQ(v, "v");
}

}  // namespace
}  // namespace trine
