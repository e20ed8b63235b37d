// RocksDB adapter, configured like the peer harness's reference runs: zstd,
// 4 KiB blocks, full-file Bloom filters, LRU block cache, one memtable of the
// harness size (x2), leveled compaction with dynamic level sizes, 2 background
// jobs, WAL without sync. Groups are deleted key by key (the base class).
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>

#include "engine.h"

namespace trine_bench {
namespace {

rocksdb::Slice ToSlice(std::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}
std::string_view ToView(const rocksdb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

class RocksDbEngine final : public Engine {
 public:
  ~RocksDbEngine() override { CloseQuietly(); }

  void Open(const std::string& dir, const EngineOptions& options) override {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.compression = rocksdb::kZSTD;
    o.write_buffer_size = options.memtable_bytes;
    o.max_write_buffer_number = 2;
    o.max_background_jobs = 2;
    // The default from RocksDB 8.4 on, and what RocksDB recommends for leveled compaction.
    o.level_compaction_dynamic_level_bytes = true;
    rocksdb::BlockBasedTableOptions t;
    t.block_size = 4096;
    if (options.bloom_bits_per_key > 0) {
      t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(options.bloom_bits_per_key));
    }
    t.block_cache = rocksdb::NewLRUCache(options.cache_bytes);
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    write_options_.sync = false;

    describe_ = "RocksDB " + std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) +
                "." + std::to_string(ROCKSDB_PATCH) +
                " (Debian build: assert()s on): zstd, 4 KiB blocks, bloom " +
                std::to_string(options.bloom_bits_per_key) + " bits/key, LRU cache " +
                std::to_string(options.cache_bytes >> 20) + " MiB, memtable " +
                std::to_string(options.memtable_bytes >> 20) +
                " MiB x2, leveled + dynamic level bytes, 2 bg jobs, WAL sync=false";

    rocksdb::DB* db = nullptr;
    Check(rocksdb::DB::Open(o, dir, &db), "Open");
    db_.reset(db);
  }

  void Close() override {
    if (db_ == nullptr)
      return;
    // Close() waits for background work and reports what the destructor would swallow.
    const rocksdb::Status s = db_->Close();
    db_.reset();
    Check(s, "Close");
  }

  void Put(std::string_view key, std::string_view value) override {
    Check(db_->Put(write_options_, ToSlice(key), ToSlice(value)), "Put");
  }
  void Delete(std::string_view key) override {
    Check(db_->Delete(write_options_, ToSlice(key)), "Delete");
  }
  void Write(std::span<const WriteOp> ops) override {
    batch_.Clear();
    for (const WriteOp& op : ops) {
      const rocksdb::Status s = op.kind == WriteOp::Kind::kPut
                                    ? batch_.Put(ToSlice(op.key), ToSlice(op.value))
                                    : batch_.Delete(ToSlice(op.key));
      Check(s, "WriteBatch");
    }
    Check(db_->Write(write_options_, &batch_), "Write");
  }

  bool Get(std::string_view key, std::string* value) override {
    const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), value);
    if (s.IsNotFound())
      return false;
    Check(s, "Get");
    return true;
  }

  size_t Scan(std::string_view start, std::string_view end, size_t limit,
              EntryVisitor& visitor) override {
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper = ToSlice(end);
    // The bound lets RocksDB stop at the end of the range instead of reading
    // (and skipping tombstones) past it, as a careful user would set it.
    if (!end.empty())
      ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    size_t n = 0;
    it->Seek(ToSlice(start));
    while (n < limit && it->Valid()) {
      ++n;
      if (!visitor.Visit(ToView(it->key()), ToView(it->value())) || n == limit)
        break;
      it->Next();
    }
    Check(it->status(), "iterator");
    return n;
  }

  void Flush() override { Check(db_->Flush(rocksdb::FlushOptions()), "Flush"); }
  void Compact() override {
    rocksdb::CompactRangeOptions cro;
    // Rewrite the last level too, so tombstones and overwritten versions go.
    cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    Check(db_->CompactRange(cro, nullptr, nullptr), "CompactRange");
  }

  void CheckHealth() override {
    uint64_t errors = 0;
    if (db_->GetIntProperty(rocksdb::DB::Properties::kBackgroundErrors, &errors) && errors != 0) {
      throw BenchError("rocksdb: " + std::to_string(errors) + " background errors");
    }
  }

  EngineStats Stats() override {
    EngineStats out;
    std::map<std::string, std::string> cf;
    if (db_->GetMapProperty(rocksdb::DB::Properties::kCFStats, &cf)) {
      for (const char* key :
           {"compaction.Sum.WriteAmp", "compaction.Sum.WriteGB", "compaction.Sum.ReadGB",
            "io_stalls.total_stop", "io_stalls.total_slowdown"}) {
        auto it = cf.find(key);
        if (it != cf.end())
          out.emplace_back(std::string("rocksdb.") + key, std::stod(it->second));
      }
    }
    // "Cumulative stall: 00:00:1.234 H:M:S, ..." in the DB-wide stats text.
    std::string db_stats;
    if (db_->GetProperty(rocksdb::DB::Properties::kDBStats, &db_stats)) {
      const size_t at = db_stats.find("Cumulative stall: ");
      int h = 0, m = 0;
      double sec = 0;
      if (at != std::string::npos &&
          std::sscanf(db_stats.c_str() + at, "Cumulative stall: %d:%d:%lf", &h, &m, &sec) == 3) {
        out.emplace_back("rocksdb.stall_ms", ((h * 60.0 + m) * 60.0 + sec) * 1e3);
      }
    }
    uint64_t v = 0;
    if (db_->GetIntProperty("rocksdb.block-cache-usage", &v)) {
      out.emplace_back("rocksdb.cache_bytes", static_cast<double>(v));
    }
    if (db_->GetIntProperty("rocksdb.estimate-table-readers-mem", &v)) {
      out.emplace_back("rocksdb.table_readers_mem", static_cast<double>(v));
    }
    if (db_->GetIntProperty("rocksdb.num-files-at-level0", &v)) {
      out.emplace_back("rocksdb.L0_files", static_cast<double>(v));
    }
    return out;
  }

  std::string Describe() const override { return describe_; }
  bool IsDataFile(const std::string& filename) const override { return filename.ends_with(".sst"); }

 private:
  static void Check(const rocksdb::Status& s, const char* what) {
    if (!s.ok())
      throw BenchError(std::string("rocksdb ") + what + ": " + s.ToString());
  }
  void CloseQuietly() {
    if (db_ != nullptr) {
      db_->Close().PermitUncheckedError();
      db_.reset();
    }
  }

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_options_;
  rocksdb::WriteBatch batch_;
  std::string describe_;
};

}  // namespace

std::unique_ptr<Engine> MakeRocksDbEngine() {
  return std::make_unique<RocksDbEngine>();
}

}  // namespace trine_bench
