// Crash tests: a forked child commits a deterministic stream of batches and
// dies at a random moment, either by SIGKILL (process crash: whatever reached
// the OS survives) or by a simulated power loss (FaultInjectionFileSystem
// drops every byte that was not fsynced). The parent then reopens the store
// and checks the two promises of db.h:
//   (a) the store holds EXACTLY the state after batches 1..m for some m
//       (a prefix of the commit order, every batch all-or-nothing), and
//   (b) m >= the last durable commit the child acknowledged.
// The store persists across cycles: each child recovers the store left by
// the previous crash, continues with batch m+1 and crashes again.
//
//   TRINE_CRASH_CYCLES=500 TRINE_SEED=42 ./lsm_test --gtest_filter='CrashTest.*'
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "common/fault_injection_fs.h"
#include "tests/util/test_util.h"
#include "trine/db.h"

namespace trine {
namespace {

// A small key set, so batches overwrite and delete each other's keys and
// compactions have garbage to drop.
constexpr int kNumKeys = 600;
// Every batch i writes this key with value i: it tells which prefix the
// recovered store holds. Sorts before all "k..." keys.
constexpr const char* kLastKey = "!last";

std::string KeyName(int k) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%05d", k);
  return buf;
}

struct Op {
  enum Type { kPut, kDelete, kDeleteRange } type;
  std::string a;  // key, or range begin
  std::string b;  // value, or range end
};

struct Batch {
  std::vector<Op> ops;
  bool durable = false;
};

uint64_t Mix(uint64_t x) {
  // splitmix64 finalizer: batch i's generator must not depend on batch i-1,
  // so that a child can start at any batch and the parent can regenerate it.
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

Batch MakeBatch(uint64_t seed, uint64_t i) {
  std::mt19937_64 rng(Mix(seed ^ Mix(i)));
  Batch batch;
  batch.durable = rng() % 4 == 0;
  // A DeleteRange comes first in its batch and no key repeats within a batch:
  // this test is about crash atomicity, not about the order of updates to
  // one key inside a batch (which has its own unit tests).
  if (rng() % 20 == 0) {
    int begin = static_cast<int>(rng() % kNumKeys);
    int end = std::min(kNumKeys, begin + 1 + static_cast<int>(rng() % 40));
    batch.ops.push_back({Op::kDeleteRange, KeyName(begin), KeyName(end)});
  }
  std::set<int> used;
  int n = 2 + static_cast<int>(rng() % 9);
  for (int j = 0; j < n; ++j) {
    int k = static_cast<int>(rng() % kNumKeys);
    if (!used.insert(k).second)
      continue;
    if (rng() % 6 == 0) {
      batch.ops.push_back({Op::kDelete, KeyName(k), {}});
    } else {
      // Random bytes (not a repeated pattern) so tables do not compress to
      // nothing; the prefix names the writer for debugging.
      size_t len = 16 + rng() % 300;
      std::string v = "b" + std::to_string(i) + "." + std::to_string(j) + ":";
      while (v.size() < len)
        v.push_back(static_cast<char>('a' + rng() % 26));
      batch.ops.push_back({Op::kPut, KeyName(k), std::move(v)});
    }
  }
  batch.ops.push_back({Op::kPut, kLastKey, std::to_string(i)});
  return batch;
}

void ApplyToModel(const Batch& batch, std::map<std::string, std::string>* model) {
  for (const Op& op : batch.ops) {
    switch (op.type) {
      case Op::kPut:
        (*model)[op.a] = op.b;
        break;
      case Op::kDelete:
        model->erase(op.a);
        break;
      case Op::kDeleteRange:
        model->erase(model->lower_bound(op.a), model->lower_bound(op.b));
        break;
    }
  }
}

WriteBatch ToWriteBatch(const Batch& batch) {
  WriteBatch wb;
  for (const Op& op : batch.ops) {
    switch (op.type) {
      case Op::kPut:
        wb.Put(op.a, op.b);
        break;
      case Op::kDelete:
        wb.Delete(op.a);
        break;
      case Op::kDeleteRange:
        wb.DeleteRange(op.a, op.b);
        break;
    }
  }
  return wb;
}

Options CrashOptions() {
  Options o;
  // Small buffers and tables so that flushes, compactions into deeper levels
  // and file deletions all happen within a few hundred batches: the kill
  // lands in the middle of them.
  o.write_buffer_size = 64 << 10;
  o.target_file_size = 32 << 10;
  o.max_bytes_for_level_base = 128 << 10;
  o.level0_compaction_trigger = 2;
  o.num_levels = 4;
  o.block_size = 1024;
  o.block_cache_bytes = 1 << 20;
  return o;
}

// The parent's verifying open must not compact: then every table it deletes
// is one the crash left outside the manifest (see left_files_behind).
Options VerifyOptions() {
  Options o = CrashOptions();
  o.level0_compaction_trigger = 1000;
  o.level0_slowdown_trigger = 1000;
  o.level0_stop_trigger = 1000;
  o.max_bytes_for_level_base = 1ull << 40;
  return o;
}

enum class CrashMode { kKill, kPowerLoss };

struct ChildPlan {
  uint64_t first_batch = 1;
  // kPowerLoss: the child "loses power" after this many batches, or after
  // stop_after_ms, whichever comes first.
  uint64_t stop_after_batches = 0;
  int64_t stop_after_ms = 0;
};

void WriteAck(int fd, uint64_t i) {
  const char* p = reinterpret_cast<const char*>(&i);
  size_t left = sizeof(i);
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      _exit(13);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// Runs in the forked child; never returns. No gtest macros here: the child
// reports problems by exit code (and a line on stderr), the parent asserts.
[[noreturn]] void RunChild(CrashMode mode, const std::string& dir, uint64_t seed,
                           const ChildPlan& plan, int ack_fd) {
  Options options = CrashOptions();
  std::shared_ptr<FaultInjectionFileSystem> fs;
  if (mode == CrashMode::kPowerLoss) {
    fs = std::make_shared<FaultInjectionFileSystem>(PosixFileSystem());
    options.file_system = fs;
  }
  auto start = std::chrono::steady_clock::now();
  auto db = DB::Open(options, dir);
  if (!db.ok()) {
    std::fprintf(stderr, "crash child: open failed: %s\n", db.status().ToString().c_str());
    _exit(10);
  }
  for (uint64_t i = plan.first_batch;; ++i) {
    Batch batch = MakeBatch(seed, i);
    WriteOptions wo;
    wo.durability = batch.durable ? Durability::kDurable : Durability::kRelaxed;
    Status s = (*db)->Write(wo, ToWriteBatch(batch));
    if (!s.ok()) {
      std::fprintf(stderr, "crash child: batch %" PRIu64 " failed: %s\n", i, s.ToString().c_str());
      _exit(11);
    }
    if (batch.durable)
      WriteAck(ack_fd, i);
    if (mode == CrashMode::kPowerLoss) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
      if (i + 1 - plan.first_batch >= plan.stop_after_batches || ms >= plan.stop_after_ms) {
        // Power loss while the DB is open and its background threads run.
        // DropUnsyncedData is documented for a quiet file system, so first
        // freeze it: every later Append/Sync/create/rename/remove fails
        // before touching the disk. An operation that passed its fault check
        // just before the freeze may still land, hence the second drop after
        // a grace period (truncating to the synced size is idempotent).
        fs->FailWritesAfter(0);
        fs->FailSyncs(true);
        fs->FailFileOps(true);
        Status d1 = fs->DropUnsyncedData();
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        Status d2 = fs->DropUnsyncedData();
        if (!d1.ok() || !d2.ok()) {
          std::fprintf(stderr, "crash child: DropUnsyncedData: %s / %s\n", d1.ToString().c_str(),
                       d2.ToString().c_str());
          _exit(12);
        }
        _exit(0);  // without closing the DB: its destructor would persist more
      }
    }
    if (i - plan.first_batch > 10'000'000)
      _exit(14);  // the parent never killed us
  }
}

// Reads every ack the child wrote; returns the largest (0 if none).
uint64_t DrainAcks(int fd, uint64_t* count) {
  uint64_t last = 0;
  uint64_t v;
  std::string buf;
  char chunk[4096];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  for (size_t off = 0; off + sizeof(v) <= buf.size(); off += sizeof(v)) {
    std::memcpy(&v, buf.data() + off, sizeof(v));
    last = std::max(last, v);
    ++*count;
  }
  return last;
}

// Waits until `want` acks arrived on `fd` (consuming them into *acks) or the
// timeout passes.
void WaitForAcks(int fd, int want, int timeout_ms, std::string* acks) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (acks->size() < static_cast<size_t>(want) * sizeof(uint64_t)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0)
      return;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0)
      return;
    char chunk[512];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0)
      return;
    acks->append(chunk, static_cast<size_t>(n));
  }
}

std::set<std::string> ListFiles(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

// Compares the open store with `model` by a forward scan, a backward scan
// and a Get of every key of the key set. Returns "" or a description of the
// first difference.
std::string CompareWithModel(DB* db, const std::map<std::string, std::string>& model) {
  char buf[512];
  {
    auto it = db->NewIterator(ReadOptions{});
    auto m = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      if (m == model.end()) {
        return "forward scan: extra key '" + std::string(it->key()) + "' after the model's end";
      }
      if (it->key() != m->first) {
        return "forward scan: got key '" + std::string(it->key()) + "', model has '" + m->first +
               "'";
      }
      if (it->value() != m->second) {
        return "forward scan: key '" + m->first + "' has value '" + std::string(it->value()) +
               "', model '" + m->second + "'";
      }
    }
    if (!it->status().ok())
      return "forward scan failed: " + it->status().ToString();
    if (m != model.end())
      return "forward scan: ended before model key '" + m->first + "'";
  }
  {
    auto it = db->NewIterator(ReadOptions{});
    auto m = model.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++m) {
      if (m == model.rend() || it->key() != m->first || it->value() != m->second) {
        return "backward scan differs at key '" + std::string(it->key()) + "'";
      }
    }
    if (!it->status().ok())
      return "backward scan failed: " + it->status().ToString();
    if (m != model.rend())
      return "backward scan: ended before model key '" + m->first + "'";
  }
  std::vector<std::string> keys;
  for (int k = 0; k < kNumKeys; ++k)
    keys.push_back(KeyName(k));
  keys.push_back(kLastKey);
  for (const std::string& key : keys) {
    std::string value;
    Status s = db->Get(ReadOptions{}, key, &value);
    auto m = model.find(key);
    if (m == model.end()) {
      if (!s.IsNotFound()) {
        std::snprintf(buf, sizeof(buf), "Get('%s') of a deleted/absent key: %s value '%s'",
                      key.c_str(), s.ToString().c_str(), value.c_str());
        return buf;
      }
    } else if (!s.ok() || value != m->second) {
      return "Get('" + key + "'): " + s.ToString() + " value '" + value + "', model '" + m->second +
             "'";
    }
  }
  return "";
}

struct CycleStats {
  int cycles = 0;
  uint64_t batches_recovered = 0;  // m after the last cycle
  uint64_t acks = 0;
  int child_never_acked = 0;     // killed during open/recovery or before a durable commit
  int left_files_behind = 0;     // the reopen deleted files the crash left (flush/compaction)
  int recovered_beyond_ack = 0;  // m > last durable ack: relaxed commits survived
};

void RunCrashCycles(CrashMode mode, int cycles) {
  const uint64_t seed = test::TestSeed();
  std::mt19937_64 rng(seed);
  test::TempDir tmp;
  const std::string dir = tmp.Sub("db");
  std::map<std::string, std::string> model;
  uint64_t m = 0;  // batches 1..m are in the store (and in `model`)
  CycleStats stats;
  auto t0 = std::chrono::steady_clock::now();

  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle) + " (TRINE_SEED=" + std::to_string(seed) + ")");
    ChildPlan plan;
    plan.first_batch = m + 1;
    plan.stop_after_batches = 1 + rng() % 400;
    plan.stop_after_ms = 5 + static_cast<int64_t>(rng() % 196);
    const bool wait_for_acks = rng() % 2 == 0;
    const int want_acks = 1 + static_cast<int>(rng() % 30);
    const int sleep_ms = 5 + static_cast<int>(rng() % 196);

    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    // No DB is open in this process here: the child gets no copy of a live
    // store (locks, threads, buffers) and opens its own.
    std::fflush(nullptr);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(mode, dir, seed, plan, fds[1]);
    }
    ::close(fds[1]);

    std::string early_acks;
    int status = 0;
    if (mode == CrashMode::kKill) {
      if (wait_for_acks) {
        WaitForAcks(fds[0], want_acks, 3000, &early_acks);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
      }
      ::kill(pid, SIGKILL);
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "the child ended before the kill: exit code "
          << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << " (see its stderr above)";
    } else {
      // The child dies by itself after simulating the power loss; if it hangs
      // (a deadlock in the engine) the parent gives up after 60 s.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      pid_t r;
      while ((r = ::waitpid(pid, &status, WNOHANG)) == 0 &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      if (r == 0) {
        ::kill(pid, SIGKILL);
        (void)::waitpid(pid, &status, 0);
        FAIL() << "the power-loss child did not finish within 60 s (engine hang?)";
      }
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "the child failed: "
          << (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                : "signal " + std::to_string(WTERMSIG(status)))
          << " (see its stderr above)";
    }
    uint64_t ack_count = 0;
    uint64_t last_ack = DrainAcks(fds[0], &ack_count);
    for (size_t off = 0; off + sizeof(uint64_t) <= early_acks.size(); off += sizeof(uint64_t)) {
      uint64_t v;
      std::memcpy(&v, early_acks.data() + off, sizeof(v));
      last_ack = std::max(last_ack, v);
      ++ack_count;
    }
    ::close(fds[0]);
    stats.acks += ack_count;
    if (ack_count == 0)
      ++stats.child_never_acked;

    std::set<std::string> files_after_crash = ListFiles(dir);
    {
      auto db = DB::Open(VerifyOptions(), dir);
      ASSERT_TRUE(db.ok()) << "reopen after the crash failed: " << db.status().ToString();
      std::string value;
      Status s = (*db)->Get(ReadOptions{}, kLastKey, &value);
      uint64_t m_new = 0;
      if (s.ok()) {
        m_new = std::stoull(value);
      } else {
        ASSERT_TRUE(s.IsNotFound()) << s.ToString();
      }
      // (b) every durable commit the child acknowledged survived...
      ASSERT_GE(m_new, last_ack) << "durable batch " << last_ack << " was acknowledged but the "
                                 << "store recovered only up to batch " << m_new;
      // ...and so did everything recovered (and Sync()ed) by the previous cycle.
      ASSERT_GE(m_new, m) << "batches " << m_new + 1 << ".." << m
                          << " were in the store after the previous crash and are lost now";
      if (m_new > last_ack && m_new >= plan.first_batch)
        ++stats.recovered_beyond_ack;
      for (uint64_t i = m + 1; i <= m_new; ++i)
        ApplyToModel(MakeBatch(seed, i), &model);
      m = m_new;
      // (a) exactly the state after batches 1..m: no torn batch, no gap.
      std::string diff = CompareWithModel(db->get(), model);
      ASSERT_EQ(diff, "") << "the store is not the state after batches 1.." << m;
      // The next crash may be a power loss that only keeps fsynced bytes;
      // make what this cycle recovered durable, so that losing it later is a
      // bug and not an artefact of the test.
      ASSERT_TRUE((*db)->Sync().ok());
    }
    std::set<std::string> files_after_reopen = ListFiles(dir);
    // A table being written (.tmp, or an .sst not yet in the manifest) or an
    // obsolete input not yet deleted: the kill interrupted a flush or a
    // compaction, and the reopen cleaned up after it.
    for (const std::string& f : files_after_crash) {
      if ((f.ends_with(".sst") || f.ends_with(".tmp")) && !files_after_reopen.contains(f)) {
        ++stats.left_files_behind;
        break;
      }
    }
    ++stats.cycles;
  }
  stats.batches_recovered = m;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr,
               "[ crash ] %s: %d cycles in %.1f s, %" PRIu64 " batches recovered, %" PRIu64
               " durable acks; %d cycles died before any durable ack, %d kept relaxed batches "
               "beyond the last ack, %d left table files that the reopen deleted "
               "(interrupted flush/compaction)\n",
               mode == CrashMode::kKill ? "kill -9" : "power loss", stats.cycles, secs,
               stats.batches_recovered, stats.acks, stats.child_never_acked,
               stats.recovered_beyond_ack, stats.left_files_behind);
  // The test is only meaningful if the children got somewhere.
  EXPECT_GT(stats.batches_recovered, 0u);
}

TEST(CrashTest, KillNineKeepsAPrefixWithEveryDurableCommit) {
  RunCrashCycles(CrashMode::kKill, static_cast<int>(test::EnvInt("TRINE_CRASH_CYCLES", 100)));
}

TEST(CrashTest, PowerLossKeepsAPrefixWithEveryDurableCommit) {
  RunCrashCycles(CrashMode::kPowerLoss, static_cast<int>(test::EnvInt("TRINE_CRASH_CYCLES", 100)));
}

}  // namespace
}  // namespace trine
