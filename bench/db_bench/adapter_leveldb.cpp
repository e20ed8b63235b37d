// LevelDB adapter: 4 KiB blocks, Bloom filters, LRU block cache, the harness's
// write buffer, snappy (LevelDB's default and only codec), WAL without sync.
// Groups are deleted key by key (the base class).
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include "engine.h"

namespace trine_bench {
namespace {

leveldb::Slice ToSlice(std::string_view s) {
  return leveldb::Slice(s.data(), s.size());
}
std::string_view ToView(const leveldb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

class LevelDbEngine final : public Engine {
 public:
  ~LevelDbEngine() override { Close(); }

  void Open(const std::string& dir, const EngineOptions& options) override {
    leveldb::Options o;
    o.create_if_missing = true;
    o.write_buffer_size = options.memtable_bytes;
    o.block_size = 4096;
    o.compression = leveldb::kSnappyCompression;
    cache_.reset(leveldb::NewLRUCache(options.cache_bytes));
    o.block_cache = cache_.get();
    if (options.bloom_bits_per_key > 0) {
      filter_.reset(leveldb::NewBloomFilterPolicy(options.bloom_bits_per_key));
      o.filter_policy = filter_.get();
    }
    write_options_.sync = false;
    describe_ = "LevelDB " + std::to_string(leveldb::kMajorVersion) + "." +
                std::to_string(leveldb::kMinorVersion) + ": snappy, 4 KiB blocks, bloom " +
                std::to_string(options.bloom_bits_per_key) + " bits/key, LRU cache " +
                std::to_string(options.cache_bytes >> 20) + " MiB, write buffer " +
                std::to_string(options.memtable_bytes >> 20) +
                " MiB, 2 MiB table files, WAL sync=false";
    leveldb::DB* db = nullptr;
    Check(leveldb::DB::Open(o, dir, &db), "Open");
    db_.reset(db);
  }

  // LevelDB's destructor waits for the running compaction.
  void Close() override { db_.reset(); }

  void Put(std::string_view key, std::string_view value) override {
    Check(db_->Put(write_options_, ToSlice(key), ToSlice(value)), "Put");
  }
  void Delete(std::string_view key) override {
    Check(db_->Delete(write_options_, ToSlice(key)), "Delete");
  }
  void Write(std::span<const WriteOp> ops) override {
    batch_.Clear();
    for (const WriteOp& op : ops) {
      if (op.kind == WriteOp::Kind::kPut) {
        batch_.Put(ToSlice(op.key), ToSlice(op.value));
      } else {
        batch_.Delete(ToSlice(op.key));
      }
    }
    Check(db_->Write(write_options_, &batch_), "Write");
  }

  bool Get(std::string_view key, std::string* value) override {
    const leveldb::Status s = db_->Get(leveldb::ReadOptions(), ToSlice(key), value);
    if (s.IsNotFound())
      return false;
    Check(s, "Get");
    return true;
  }

  size_t Scan(std::string_view start, std::string_view end, size_t limit,
              EntryVisitor& visitor) override {
    // LevelDB has no iterator bound: stop at `end` by comparing keys.
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    const leveldb::Slice upper = ToSlice(end);
    size_t n = 0;
    it->Seek(ToSlice(start));
    while (n < limit && it->Valid()) {
      if (!end.empty() && it->key().compare(upper) >= 0)
        break;
      ++n;
      if (!visitor.Visit(ToView(it->key()), ToView(it->value())) || n == limit)
        break;
      it->Next();
    }
    Check(it->status(), "iterator");
    return n;
  }

  // LevelDB has no public memtable flush; CompactRange flushes it first.
  void Flush() override {}
  void Compact() override { db_->CompactRange(nullptr, nullptr); }

  EngineStats Stats() override {
    EngineStats out;
    std::string text;
    if (db_->GetProperty("leveldb.stats", &text)) {
      // Rows of "level files size(MB) time(sec) read(MB) write(MB)".
      std::istringstream in(text);
      std::string line;
      double read_mb = 0, write_mb = 0, secs = 0;
      int l0_files = 0;
      while (std::getline(in, line)) {
        int level = 0, files = 0;
        double size = 0, t = 0, r = 0, w = 0;
        if (std::sscanf(line.c_str(), "%d %d %lf %lf %lf %lf", &level, &files, &size, &t, &r, &w) ==
            6) {
          read_mb += r;
          write_mb += w;
          secs += t;
          if (level == 0)
            l0_files = files;
        }
      }
      out.emplace_back("leveldb.compaction_read_mb", read_mb);
      out.emplace_back("leveldb.compaction_write_mb", write_mb);
      out.emplace_back("leveldb.compaction_seconds", secs);
      out.emplace_back("leveldb.L0_files", l0_files);
    }
    if (db_->GetProperty("leveldb.approximate-memory-usage", &text)) {
      out.emplace_back("leveldb.memory_bytes", std::stod(text));
    }
    return out;
  }

  std::string Describe() const override { return describe_; }
  bool IsDataFile(const std::string& filename) const override {
    return filename.ends_with(".ldb") || filename.ends_with(".sst");
  }

 private:
  static void Check(const leveldb::Status& s, const char* what) {
    if (!s.ok())
      throw BenchError(std::string("leveldb ") + what + ": " + s.ToString());
  }

  // Declared before db_, so the DB goes first on destruction.
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteOptions write_options_;
  leveldb::WriteBatch batch_;
  std::string describe_;
};

}  // namespace

std::unique_ptr<Engine> MakeLevelDbEngine() {
  return std::make_unique<LevelDbEngine>();
}

}  // namespace trine_bench
