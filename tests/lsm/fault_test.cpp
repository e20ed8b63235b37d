// Fault tests: injected write, fsync, file-operation and read failures
// (FaultInjectionFileSystem). The promises checked (db.h):
//   - an I/O error on the write path fails that write with an error that
//     names the cause, and turns the store read-only: later writes fail with
//     ReadOnly, BackgroundError() reports the cause;
//   - every commit acknowledged before stays readable in the same process;
//   - after reopening with the faults gone the store holds a prefix of the
//     commit order containing every acknowledged durable commit (and, when
//     everything was synced before the fault, all of it);
//   - a failed read is an error, never a wrong answer.
// Each test sweeps the fault over many positions (FailWritesAfter(n) for
// n = 0, 1, ...) so it lands at different points of the write path.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fault_injection_fs.h"
#include "tests/util/test_util.h"
#include "trine/db.h"

namespace trine {
namespace {

using ::testing::HasSubstr;
using Model = std::map<std::string, std::string>;

const char* KindText(FaultKind kind) {
  return kind == FaultKind::kNoSpace ? "ENOSPC" : "EIO";
}

// Every commit i writes "!seq" = i, so a reopened store tells which prefix
// of the commit order it holds, plus one or two data keys.
WriteBatch CommitBatch(int i, Model* model) {
  WriteBatch b;
  std::string key = "k" + std::to_string(i % 37);
  if (i % 11 == 0) {
    b.Delete(key);
    model->erase(key);
  } else {
    std::string v = "v" + std::to_string(i) + std::string(static_cast<size_t>(i % 50), '.');
    b.Put(key, v);
    (*model)[key] = v;
  }
  b.Put("!seq", std::to_string(i));
  (*model)["!seq"] = std::to_string(i);
  return b;
}

// The models after commits 0..n.
std::vector<Model> Prefixes(int n) {
  std::vector<Model> p(1);
  Model m;
  for (int i = 1; i <= n; ++i) {
    (void)CommitBatch(i, &m);
    p.push_back(m);
  }
  return p;
}

// "" if the store equals `model` (forward scan and a Get of every model
// key), else the first difference. Read errors count as differences: use
// CheckNoWrongAnswers where errors are allowed.
std::string Diff(DB* db, const Model& model) {
  auto it = db->NewIterator(ReadOptions{});
  auto m = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
    if (m == model.end() || it->key() != m->first || it->value() != m->second) {
      return "scan: got '" + std::string(it->key()) + "'='" + std::string(it->value()) +
             "', expected " +
             (m == model.end() ? "the end" : "'" + m->first + "'='" + m->second + "'");
    }
  }
  if (!it->status().ok())
    return "scan failed: " + it->status().ToString();
  if (m != model.end())
    return "scan ended before '" + m->first + "'";
  for (const auto& [k, v] : model) {
    std::string got;
    Status s = db->Get(ReadOptions{}, k, &got);
    if (!s.ok() || got != v)
      return "Get('" + k + "'): " + s.ToString() + " '" + got + "'";
  }
  return "";
}

// The prefix length the store holds ("!seq"), or -1 on a read error.
int SeqOf(DB* db) {
  std::string v;
  Status s = db->Get(ReadOptions{}, "!seq", &v);
  if (s.IsNotFound())
    return 0;
  return s.ok() ? std::stoi(v) : -1;
}

// After a write fault: the store refuses writes with ReadOnly even once the
// fault is gone, and BackgroundError() names the cause.
void ExpectReadOnly(DB* db, FaultInjectionFileSystem* fs, const char* cause) {
  fs->Reset();
  Status bg = db->BackgroundError();
  EXPECT_FALSE(bg.ok());
  EXPECT_THAT(bg.ToString(), HasSubstr(cause));
  Status s = db->Put(WriteOptions{}, "probe", "must not be written");
  EXPECT_TRUE(s.IsReadOnly()) << s.ToString();
  s = db->Put(WriteOptions{Durability::kRelaxed}, "probe", "must not be written");
  EXPECT_TRUE(s.IsReadOnly()) << s.ToString();
  std::string v;
  EXPECT_TRUE(db->Get(ReadOptions{}, "probe", &v).IsNotFound());
}

// ---------------------------------------------------------------------------
// (a) Append failures on the write-ahead log.

void RunWalAppendFault(FaultKind kind, int n, bool reset_before_close) {
  SCOPED_TRACE(std::string("FailWritesAfter(") + std::to_string(n) + ", " + KindText(kind) +
               "), faults " + (reset_before_close ? "off" : "on") + " while closing");
  constexpr int kMaxCommits = 400;
  const std::vector<Model> prefixes = Prefixes(kMaxCommits);
  test::TempDir tmp;
  auto fs = std::make_shared<FaultInjectionFileSystem>(PosixFileSystem());
  Options options;
  options.file_system = fs;
  options.wal_sync_interval_ms = 0;  // syncs only when asked: the test controls them
  int last_durable = 0;
  int failed_at = 0;
  {
    auto db = DB::Open(options, tmp.path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Model scratch;
    for (int i = 1; i <= 5; ++i)
      ASSERT_TRUE((*db)->Write(WriteOptions{}, CommitBatch(i, &scratch)).ok());
    last_durable = 5;
    fs->FailWritesAfter(n, kind);
    Status err;
    for (int i = 6; i <= kMaxCommits; ++i) {
      // Mostly relaxed commits (appended by the background log writer), a
      // durable one every third commit.
      bool durable = i % 3 == 0;
      Status s = (*db)->Write(WriteOptions{durable ? Durability::kDurable : Durability::kRelaxed},
                              CommitBatch(i, &scratch));
      if (!s.ok()) {
        failed_at = i;
        err = s;
        break;
      }
      if (durable)
        last_durable = i;
    }
    ASSERT_GT(failed_at, 0) << "no commit failed; faults injected: " << fs->injected();
    EXPECT_GE(fs->injected(), 1);
    // The failing commit says what went wrong: its own append failed, or the
    // background writer's did and the store is read-only since.
    EXPECT_TRUE(err.IsIOError() || err.IsReadOnly()) << err.ToString();
    EXPECT_THAT(err.ToString(), HasSubstr(KindText(kind)));
    ExpectReadOnly(db->get(), fs.get(), "injected fault");

    // Every acknowledged commit is readable; the failed one may or may not
    // be visible, nothing else.
    int seq = SeqOf(db->get());
    ASSERT_TRUE(seq == failed_at - 1 || seq == failed_at)
        << "commits 1.." << failed_at - 1 << " were acknowledged, the store shows " << seq;
    EXPECT_EQ(Diff(db->get(), prefixes[static_cast<size_t>(seq)]), "");
    if (!reset_before_close)
      fs->FailWritesAfter(0, kind);
  }
  fs->Reset();
  auto db = DB::Open(options, tmp.path());
  ASSERT_TRUE(db.ok()) << "reopen after the fault: " << db.status().ToString();
  int seq = SeqOf(db->get());
  EXPECT_GE(seq, last_durable) << "durable commit " << last_durable << " was acknowledged";
  EXPECT_LE(seq, failed_at);
  ASSERT_GE(seq, 0);
  EXPECT_EQ(Diff(db->get(), prefixes[static_cast<size_t>(std::max(seq, 0))]), "")
      << "not the state after commits 1.." << seq;
  std::string v;
  EXPECT_TRUE((*db)->Get(ReadOptions{}, "probe", &v).IsNotFound());
  // The reopened store is writable again.
  EXPECT_TRUE((*db)->Put(WriteOptions{}, "after", "reopen").ok());
}

TEST(FaultTest, WalAppendFailureFailsTheCommitAndKeepsAcknowledgedData) {
  const int positions = static_cast<int>(test::EnvInt("TRINE_FAULT_POSITIONS", 24));
  for (FaultKind kind : {FaultKind::kIOError, FaultKind::kNoSpace}) {
    for (int n = 0; n < positions; ++n) {
      RunWalAppendFault(kind, n, n % 2 == 0);
      if (HasFatalFailure())
        return;
    }
  }
}

// ---------------------------------------------------------------------------
// (b) fsync failures.

TEST(FaultTest, SyncFailureFailsTheDurableCommitAndKeepsEarlierOnes) {
  const std::vector<Model> prefixes = Prefixes(40);
  for (int relaxed_before = 0; relaxed_before <= 8; relaxed_before += 4) {
    SCOPED_TRACE(std::to_string(relaxed_before) + " relaxed commits before the failing one");
    test::TempDir tmp;
    auto fs = std::make_shared<FaultInjectionFileSystem>(PosixFileSystem());
    Options options;
    options.file_system = fs;
    options.wal_sync_interval_ms = 0;
    Model scratch;
    int i = 0;
    int failed_at = 0;
    {
      auto db = DB::Open(options, tmp.path());
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      while (i < 10)
        ASSERT_TRUE((*db)->Write(WriteOptions{}, CommitBatch(++i, &scratch)).ok());
      for (int r = 0; r < relaxed_before; ++r) {
        ASSERT_TRUE(
            (*db)->Write(WriteOptions{Durability::kRelaxed}, CommitBatch(++i, &scratch)).ok());
      }
      fs->FailSyncs(true);
      failed_at = ++i;
      Status s = (*db)->Write(WriteOptions{}, CommitBatch(failed_at, &scratch));
      ASSERT_FALSE(s.ok()) << "a durable commit whose fsync failed was acknowledged";
      EXPECT_THAT(s.ToString(), HasSubstr("EIO"));
      ExpectReadOnly(db->get(), fs.get(), "injected fault");
      int seq = SeqOf(db->get());
      EXPECT_TRUE(seq == failed_at - 1 || seq == failed_at) << seq;
      EXPECT_EQ(Diff(db->get(), prefixes[static_cast<size_t>(std::max(seq, 0))]), "");
    }
    auto db = DB::Open(options, tmp.path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    int seq = SeqOf(db->get());
    EXPECT_GE(seq, 10);
    EXPECT_LE(seq, failed_at);
    EXPECT_EQ(Diff(db->get(), prefixes[static_cast<size_t>(std::max(seq, 0))]), "");
  }
}

TEST(FaultTest, FailedSyncCallTurnsTheStoreReadOnly) {
  test::TempDir tmp;
  auto fs = std::make_shared<FaultInjectionFileSystem>(PosixFileSystem());
  Options options;
  options.file_system = fs;
  options.wal_sync_interval_ms = 0;
  const std::vector<Model> prefixes = Prefixes(20);
  Model scratch;
  {
    auto db = DB::Open(options, tmp.path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int i = 1; i <= 10; ++i)
      ASSERT_TRUE((*db)->Write(WriteOptions{}, CommitBatch(i, &scratch)).ok());
    for (int i = 11; i <= 15; ++i) {
      ASSERT_TRUE((*db)->Write(WriteOptions{Durability::kRelaxed}, CommitBatch(i, &scratch)).ok());
    }
    fs->FailSyncs(true);
    Status s = (*db)->Sync();
    ASSERT_FALSE(s.ok()) << "Sync() reported success although fsync failed";
    EXPECT_THAT(s.ToString(), HasSubstr("injected fault"));
    // After a failed fsync the kernel may have dropped the dirty pages: the
    // log's state is unknown, so accepting more commits would be unsafe.
    ExpectReadOnly(db->get(), fs.get(), "injected fault");
    EXPECT_EQ(Diff(db->get(), prefixes[15]), "");
  }
  auto db = DB::Open(options, tmp.path());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  int seq = SeqOf(db->get());
  EXPECT_GE(seq, 10);
  EXPECT_LE(seq, 15);
  EXPECT_EQ(Diff(db->get(), prefixes[static_cast<size_t>(std::max(seq, 0))]), "");
}

// The other side of read-only mode: without a fault the store must never
// turn read-only. Frequent periodic log syncs racing with frequent memtable
// switches once made the log writer sync a log the switch had just closed
// ("log is closed"), failing a healthy store.
TEST(FaultTest, NoWriteFailsWithoutAFault) {
  test::TempDir tmp;
  auto fs = std::make_shared<FaultInjectionFileSystem>(PosixFileSystem());
  Options options;
  options.file_system = fs;
  options.write_buffer_size = 16 << 10;  // a memtable switch every ~100 commits
  options.wal_sync_interval_ms = 1;      // and a periodic log sync every millisecond
  options.wal_flush_interval_ms = 1;
  std::string last;
  int commits = 0;
  {
    auto db = DB::Open(options, tmp.path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    while (std::chrono::steady_clock::now() < until) {
      last = "v" + std::to_string(commits) + std::string(100, 'x');
      Status s =
          (*db)->Put(WriteOptions{Durability::kRelaxed}, "k" + std::to_string(commits % 500), last);
      ASSERT_TRUE(s.ok()) << "commit " << commits
                          << " failed with no fault injected: " << s.ToString();
      ++commits;
    }
    EXPECT_TRUE((*db)->BackgroundError().ok()) << (*db)->BackgroundError().ToString();
    EXPECT_TRUE((*db)->Sync().ok());
  }
  EXPECT_EQ(fs->injected(), 0);
  auto db = DB::Open(options, tmp.path());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::string v;
  ASSERT_TRUE((*db)->Get(ReadOptions{}, "k" + std::to_string((commits - 1) % 500), &v).ok());
  EXPECT_EQ(v, last);
}

// ---------------------------------------------------------------------------
// (c) Faults during flush and compaction.

Options QuietOptions(std::shared_ptr<FileSystem> fs) {
  Options o;
  o.file_system = std::move(fs);
  o.write_buffer_size = 4 << 20;      // no flush unless asked
  o.level0_compaction_trigger = 100;  // no compaction unless asked
  o.level0_slowdown_trigger = 200;
  o.level0_stop_trigger = 300;
  o.target_file_size = 8 << 10;  // compactions write several tables
  o.block_size = 1024;
  o.wal_sync_interval_ms = 0;
  return o;
}

// Fills the store with `rounds` overlapping generations of keys (each
// flushed to its own table when flush_each is set, the last left in the
// memtable), including deletes and a range deletion, and syncs: everything
// is durable before the fault.
void Fill(DB* db, int rounds, bool flush_each, uint64_t seed, Model* model) {
  std::mt19937_64 rng(seed);
  WriteOptions relaxed{Durability::kRelaxed};
  for (int r = 0; r < rounds; ++r) {
    for (int j = 0; j < 400; ++j) {
      char key[16];
      std::snprintf(key, sizeof(key), "key%05d", static_cast<int>(rng() % 1000));
      if (rng() % 7 == 0) {
        ASSERT_TRUE(db->Delete(relaxed, key).ok());
        model->erase(key);
      } else {
        // Random letters: incompressible enough that a compaction writes
        // several target_file_size tables, i.e. several Appends to fail.
        std::string v = "r" + std::to_string(r) + ":";
        for (size_t len = 20 + rng() % 60; v.size() < len;) {
          v.push_back(static_cast<char>('a' + rng() % 26));
        }
        ASSERT_TRUE(db->Put(relaxed, key, v).ok());
        (*model)[key] = v;
      }
    }
    if (r == 1) {
      ASSERT_TRUE(db->DeleteRange(relaxed, "key00100", "key00150").ok());
      model->erase(model->lower_bound("key00100"), model->lower_bound("key00150"));
    }
    if (flush_each && r + 1 < rounds) {
      ASSERT_TRUE(db->Flush().ok());
    }
  }
  ASSERT_TRUE(db->Sync().ok());
}

enum class Fault { kWritesAfter, kFileOps, kSyncs };
enum class Job { kFlush, kCompact };

// Returns false once the fault no longer fires (n is past the job's writes).
bool RunBackgroundJobFault(Job job, Fault fault, int n, uint64_t seed) {
  SCOPED_TRACE(std::string(job == Job::kFlush ? "Flush" : "CompactAll") + " with " +
               (fault == Fault::kWritesAfter ? "FailWritesAfter(" + std::to_string(n) + ")"
                : fault == Fault::kFileOps   ? std::string("FailFileOps")
                                             : std::string("FailSyncs")));
  test::TempDir tmp;
  auto fs = std::make_shared<FaultInjectionFileSystem>(PosixFileSystem());
  Model model;
  bool fired = false;
  {
    auto db = DB::Open(QuietOptions(fs), tmp.path());
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok())
      return false;
    // Compaction inputs: four overlapping tables in L0 (and nothing in the
    // memtable). Flush input: three tables and a full memtable.
    Fill(db->get(), 4, true, seed, &model);
    if (job == Job::kCompact) {
      EXPECT_TRUE((*db)->Flush().ok());
    }
    if (testing::Test::HasFailure())
      return false;
    switch (fault) {
      case Fault::kWritesAfter:
        fs->FailWritesAfter(n, n % 2 ? FaultKind::kNoSpace : FaultKind::kIOError);
        break;
      case Fault::kFileOps:
        fs->FailFileOps(true);
        break;
      case Fault::kSyncs:
        fs->FailSyncs(true);
        break;
    }
    Status s = job == Job::kFlush ? (*db)->Flush() : (*db)->CompactAll();
    fired = fs->injected() > 0;
    if (!fired) {
      EXPECT_TRUE(s.ok()) << s.ToString();
    } else {
      EXPECT_FALSE(s.ok()) << "the job hit an injected fault but reported success";
      EXPECT_THAT(s.ToString(), HasSubstr("injected fault"));
      ExpectReadOnly(db->get(), fs.get(), "injected fault");
    }
    // Everything stays readable in this process, fault or not.
    EXPECT_EQ(Diff(db->get(), model), "");
  }
  fs->Reset();
  // Everything was synced before the fault, so the reopened store is complete.
  auto db = DB::Open(QuietOptions(fs), tmp.path());
  EXPECT_TRUE(db.ok()) << "reopen after the fault: " << db.status().ToString();
  if (!db.ok())
    return fired && fault == Fault::kWritesAfter;
  EXPECT_EQ(Diff(db->get(), model), "");
  // The reopened store works: it can flush and compact what the failed job could not.
  EXPECT_TRUE((*db)->CompactAll().ok());
  EXPECT_EQ(Diff(db->get(), model), "");
  return fired && fault == Fault::kWritesAfter;
}

TEST(FaultTest, FlushAndCompactionFaultsKeepEveryCommit) {
  const uint64_t seed = test::TestSeed();
  for (Job job : {Job::kFlush, Job::kCompact}) {
    // Sweep the failing Append over the job's writes until it no longer fires.
    int n = 0;
    while (RunBackgroundJobFault(job, Fault::kWritesAfter, n, seed + static_cast<uint64_t>(n))) {
      if (HasFailure() || ++n > 60)
        break;
    }
    std::fprintf(stderr, "[ fault ] %s: the fault fired for FailWritesAfter(0..%d)\n",
                 job == Job::kFlush ? "Flush" : "CompactAll", n - 1);
    EXPECT_GT(n, 0) << "the sweep never injected a fault";
    RunBackgroundJobFault(job, Fault::kFileOps, 0, seed);
    RunBackgroundJobFault(job, Fault::kSyncs, 0, seed);
    if (HasFailure())
      return;
  }
}

// ---------------------------------------------------------------------------
// Faults during DB::Open. Opening writes too: a new store's marker, manifest
// and CURRENT; recovery flushes the replayed log to a table, starts a new
// manifest and a new log. A fault there fails the open, like a crash at that
// point would end it, and must leave a store that opens once the fault is
// gone, with every commit the log held.

// The newest non-empty log file of `dir` ("" if none).
std::string NewestLog(const std::string& dir) {
  std::string newest;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.ends_with(".log") && std::filesystem::file_size(e.path()) > 0 && name > newest) {
      newest = name;
    }
  }
  return newest;
}

enum class StoreState { kNew, kLogHoldsCommits, kLogHasTornTail };

// Returns false once the fault no longer fires.
bool RunOpenFault(StoreState state, Fault fault, int n) {
  SCOPED_TRACE(std::string(state == StoreState::kNew               ? "creating a store"
                           : state == StoreState::kLogHoldsCommits ? "recovering a log"
                                                                   : "recovering a torn log") +
               " with " +
               (fault == Fault::kWritesAfter ? "FailWritesAfter(" + std::to_string(n) + ")"
                : fault == Fault::kFileOps   ? std::string("FailFileOps")
                                             : std::string("FailSyncs")));
  constexpr int kCommits = 50;
  const std::vector<Model> prefixes = Prefixes(kCommits);
  test::TempDir tmp;
  const std::string dir = tmp.Sub("db");
  int expect_seq = 0;
  if (state != StoreState::kNew) {
    {
      // Closing persists the log but does not flush the memtable: the
      // commits are only in the log, and the next open must replay them.
      auto db = DB::Open(Options{}, dir);
      EXPECT_TRUE(db.ok()) << db.status().ToString();
      if (!db.ok())
        return false;
      Model scratch;
      for (int i = 1; i <= kCommits; ++i) {
        EXPECT_TRUE((*db)->Write(WriteOptions{}, CommitBatch(i, &scratch)).ok());
      }
    }
    expect_seq = kCommits;
    if (state == StoreState::kLogHasTornTail) {
      // What a crash in the middle of the last append leaves.
      std::string log = NewestLog(dir);
      EXPECT_NE(log, "");
      if (log.empty())
        return false;
      std::filesystem::resize_file(dir + "/" + log,
                                   std::filesystem::file_size(dir + "/" + log) - 3);
      expect_seq = kCommits - 1;
    }
  }
  auto fs = std::make_shared<FaultInjectionFileSystem>(PosixFileSystem());
  Options options;
  options.file_system = fs;
  switch (fault) {
    case Fault::kWritesAfter:
      fs->FailWritesAfter(n);
      break;
    case Fault::kFileOps:
      fs->FailFileOps(true);
      break;
    case Fault::kSyncs:
      fs->FailSyncs(true);
      break;
  }
  bool fired;
  {
    auto db = DB::Open(options, dir);
    fired = fs->injected() > 0;
    if (fired) {
      EXPECT_FALSE(db.ok()) << "the open hit an injected fault but succeeded";
      if (!db.ok()) {
        EXPECT_THAT(db.status().ToString(), HasSubstr("injected fault"));
      }
    } else {
      EXPECT_TRUE(db.ok()) << db.status().ToString();
    }
  }
  fs->Reset();
  auto db = DB::Open(Options{}, dir);
  EXPECT_TRUE(db.ok()) << "open after the failed open: " << db.status().ToString();
  if (!db.ok())
    return fired && fault == Fault::kWritesAfter;
  EXPECT_EQ(SeqOf(db->get()), expect_seq);
  EXPECT_EQ(Diff(db->get(), prefixes[static_cast<size_t>(expect_seq)]), "");
  EXPECT_TRUE((*db)->Put(WriteOptions{}, "after", "open").ok());
  return fired && fault == Fault::kWritesAfter;
}

TEST(FaultTest, FailedOpenLeavesAStoreThatOpens) {
  for (StoreState state :
       {StoreState::kNew, StoreState::kLogHoldsCommits, StoreState::kLogHasTornTail}) {
    int n = 0;
    while (RunOpenFault(state, Fault::kWritesAfter, n) && ++n <= 20) {
    }
    std::fprintf(stderr, "[ fault ] Open (%s): the fault fired for FailWritesAfter(0..%d)\n",
                 state == StoreState::kNew ? "new store" : "recovery", n - 1);
    EXPECT_GT(n, 0) << "the sweep never injected a fault";
    RunOpenFault(state, Fault::kFileOps, 0);
    RunOpenFault(state, Fault::kSyncs, 0);
  }
}

// ---------------------------------------------------------------------------
// (d) Read faults: errors, never wrong answers.

struct ReadCheck {
  int errors = 0;
  int correct = 0;
  std::vector<std::string> wrong;
};

void CheckNoWrongAnswers(DB* db, const Model& model, ReadCheck* r) {
  for (int k = 0; k < 1000; ++k) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%05d", k);
    std::string v;
    Status s = db->Get(ReadOptions{}, key, &v);
    auto m = model.find(key);
    if (s.ok() && m != model.end() && v == m->second) {
      ++r->correct;
    } else if (s.IsNotFound() && m == model.end()) {
      ++r->correct;
    } else if (!s.ok() && !s.IsNotFound()) {
      ++r->errors;
      if (!s.IsIOError())
        r->wrong.push_back("Get error is not IOError: " + s.ToString());
    } else {
      r->wrong.push_back(std::string("Get('") + key + "'): " + s.ToString() + " '" + v + "'");
    }
  }
  for (bool forward : {true, false}) {
    auto it = db->NewIterator(ReadOptions{});
    std::vector<std::pair<std::string, std::string>> expect(model.begin(), model.end());
    if (!forward)
      std::reverse(expect.begin(), expect.end());
    size_t i = 0;
    for (forward ? it->SeekToFirst() : it->SeekToLast(); it->Valid();
         forward ? it->Next() : it->Prev(), ++i) {
      if (!it->status().ok()) {
        // iterator.h: an error makes the iterator invalid.
        r->wrong.push_back("scan entry " + std::to_string(i) + " ('" + std::string(it->key()) +
                           "'): Valid() although status() is " + it->status().ToString());
        break;
      }
      if (i >= expect.size() || it->key() != expect[i].first || it->value() != expect[i].second) {
        r->wrong.push_back("scan entry " + std::to_string(i) + " is '" + std::string(it->key()) +
                           "'");
        break;
      }
    }
    if (!it->status().ok()) {
      ++r->errors;
    } else if (i != expect.size()) {
      r->wrong.push_back("scan ended OK after " + std::to_string(i) + " of " +
                         std::to_string(expect.size()) + " entries");
    }
  }
}

TEST(FaultTest, ReadFaultsGiveErrorsNotWrongAnswers) {
  const uint64_t seed = test::TestSeed();
  test::TempDir tmp;
  auto fs = std::make_shared<FaultInjectionFileSystem>(PosixFileSystem());
  Options options = QuietOptions(fs);
  options.block_cache_bytes = 0;  // every Get and scan reads the files
  Model model;
  {
    auto db = DB::Open(options, tmp.path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Fill(db->get(), 3, true, seed, &model);
    ASSERT_TRUE((*db)->Flush().ok());
  }
  // A store that cannot read its manifest does not open.
  fs->FailReads(true);
  {
    auto db = DB::Open(options, tmp.path());
    ASSERT_FALSE(db.ok()) << "opened without reading anything";
    EXPECT_TRUE(db.status().IsIOError()) << db.status().ToString();
    EXPECT_THAT(db.status().ToString(), HasSubstr("injected fault"));
  }
  fs->Reset();
  auto db = DB::Open(options, tmp.path());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  // Recent commits in the memtable keep reading fine; table reads fail.
  ASSERT_TRUE((*db)->Put(WriteOptions{}, "key00001", "fresh").ok());
  model["key00001"] = "fresh";

  fs->FailReads(true);
  ReadCheck r;
  CheckNoWrongAnswers(db->get(), model, &r);
  EXPECT_TRUE(r.wrong.empty()) << r.wrong.front();
  EXPECT_GT(r.errors, 0) << "no read failed although every table read was failing";
  std::string v;
  EXPECT_TRUE((*db)->Get(ReadOptions{}, "key00001", &v).ok()) << "memtable reads need no file";

  // Read faults switched on in the middle of scans.
  std::mt19937_64 rng(seed);
  int bad_scans = 0;
  for (int trial = 0; trial < 40; ++trial) {
    fs->Reset();
    auto it = (*db)->NewIterator(ReadOptions{});
    size_t stop = rng() % model.size();
    auto m = model.begin();
    size_t i = 0;
    std::string bad;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m, ++i) {
      if (i == stop) {
        fs->FailReads(true);
      }
      if (!it->status().ok()) {
        bad = "scan entry " + std::to_string(i) + " ('" + std::string(it->key()) +
              "'): Valid() although status() is " + it->status().ToString();
        break;
      }
      if (m == model.end() || it->key() != m->first || it->value() != m->second) {
        bad = "scan entry " + std::to_string(i) + " is '" + std::string(it->key()) + "'";
        break;
      }
    }
    if (bad.empty() && it->status().ok() && m != model.end()) {
      bad = "scan ended OK before '" + m->first + "'";
    }
    if (!bad.empty() && ++bad_scans <= 3) {
      ADD_FAILURE() << "read faults from scan entry " << stop << " on: " << bad;
    }
  }
  EXPECT_EQ(bad_scans, 0) << "of 40 scans with read faults switched on midway";

  // A failed read is not a write error: once reads work again, so does the store.
  fs->Reset();
  ReadCheck after;
  CheckNoWrongAnswers(db->get(), model, &after);
  EXPECT_EQ(after.errors, 0);
  EXPECT_TRUE(after.wrong.empty()) << after.wrong.front();
  EXPECT_TRUE((*db)->BackgroundError().ok()) << (*db)->BackgroundError().ToString();
  EXPECT_TRUE((*db)->Put(WriteOptions{}, "key00002", "x").ok());
}

}  // namespace
}  // namespace trine
