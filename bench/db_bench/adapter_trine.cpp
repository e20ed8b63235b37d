// Trine adapter: trine::DB with relaxed durability (commits reach the WAL in
// the background, no fsync per write: the equivalent of the peers' WAL
// without sync), the harness's cache, memtable and filter sizes, and one
// DeleteRange per deleted group.
#include <memory>
#include <string>

#include "engine.h"
#include "trine/db.h"
#include "trine/iterator.h"
#include "trine/options.h"
#include "trine/write_batch.h"

namespace trine_bench {
namespace {

class TrineEngine final : public Engine {
 public:
  ~TrineEngine() override {
    // Destroying the DB waits for background work; errors are not reported here.
    db_.reset();
  }

  void Open(const std::string& dir, const EngineOptions& options) override {
    trine::Options o;
    o.create_if_missing = true;
    o.block_cache_bytes = options.cache_bytes;
    o.write_buffer_size = options.memtable_bytes;
    o.bloom_bits_per_key = options.bloom_bits_per_key;
    o.order_memtable_in_background = options.trine_memtable_thread;
    options_ = o;
    auto db = trine::DB::Open(o, dir);
    Check(db.status(), "Open");
    db_ = std::move(*db);
  }

  void Close() override {
    if (db_ == nullptr)
      return;
    Check(db_->BackgroundError(), "Close (background error)");
    db_.reset();
  }

  void Put(std::string_view key, std::string_view value) override {
    Check(db_->Put(write_options_, key, value), "Put");
  }
  void Delete(std::string_view key) override { Check(db_->Delete(write_options_, key), "Delete"); }
  void Write(std::span<const WriteOp> ops) override {
    batch_.Clear();
    for (const WriteOp& op : ops) {
      if (op.kind == WriteOp::Kind::kPut) {
        batch_.Put(op.key, op.value);
      } else {
        batch_.Delete(op.key);
      }
    }
    Check(db_->Write(write_options_, batch_), "Write");
  }

  bool Get(std::string_view key, std::string* value) override {
    const trine::Status s = db_->Get(trine::ReadOptions{}, key, value);
    if (s.IsNotFound())
      return false;
    Check(s, "Get");
    return true;
  }

  size_t Scan(std::string_view start, std::string_view end, size_t limit,
              EntryVisitor& visitor) override {
    trine::ReadOptions ro;
    ro.upper_bound = end;  // empty: unbounded
    std::unique_ptr<trine::Iterator> it = db_->NewIterator(ro);
    size_t n = 0;
    it->Seek(start);
    // No Next() after the last wanted entry: it could cost a skip over tombstones.
    while (n < limit && it->Valid()) {
      ++n;
      if (!visitor.Visit(it->key(), it->value()) || n == limit)
        break;
      it->Next();
    }
    // An iterator error ends the loop like the end of data would: check it.
    Check(it->status(), "iterator");
    return n;
  }

  void Flush() override { Check(db_->Flush(), "Flush"); }
  void Compact() override { Check(db_->CompactAll(), "CompactAll"); }

  uint64_t DeleteGroup(std::string_view prefix, std::string_view end) override {
    Check(db_->DeleteRange(write_options_, prefix, end), "DeleteRange");
    return kUnknownCount;
  }

  void CheckHealth() override { Check(db_->BackgroundError(), "background work"); }

  EngineStats Stats() override {
    const trine::Stats st = db_->GetStats();
    EngineStats out = {
        {"trine.write_amp", st.write_amplification},
        {"trine.user_bytes_written", static_cast<double>(st.user_bytes_written)},
        {"trine.wal_bytes_written", static_cast<double>(st.wal_bytes_written)},
        {"trine.flush_bytes_written", static_cast<double>(st.flush_bytes_written)},
        {"trine.compaction_bytes_written", static_cast<double>(st.compaction_bytes_written)},
        {"trine.compaction_bytes_read", static_cast<double>(st.compaction_bytes_read)},
        {"trine.stall_ms", static_cast<double>(st.stall_micros) / 1e3},
        {"trine.slowdown_writes", static_cast<double>(st.slowdown_writes)},
        {"trine.max_write_ms", static_cast<double>(st.max_write_micros) / 1e3},
        {"trine.cache_hit_rate", st.block_cache_hit_rate()},
        {"trine.cache_bytes", static_cast<double>(st.block_cache_bytes)},
        {"trine.bloom_useful", static_cast<double>(st.bloom_useful)},
        {"trine.flushes", static_cast<double>(st.flushes)},
        {"trine.compactions", static_cast<double>(st.compactions)},
        {"trine.memtable_bytes", static_cast<double>(st.memtable_bytes)},
    };
    for (size_t level = 0; level < st.levels.size(); ++level) {
      if (st.levels[level].files == 0)
        continue;
      out.emplace_back("trine.L" + std::to_string(level) + "_files",
                       static_cast<double>(st.levels[level].files));
    }
    return out;
  }

  std::string Describe() const override {
    return "Trine: zstd (level " + std::to_string(options_.zstd_level) + "), " +
           std::to_string(options_.block_size >> 10) + " KiB blocks, bloom " +
           std::to_string(options_.bloom_bits_per_key) + " bits/key, block cache " +
           std::to_string(options_.block_cache_bytes >> 20) + " MiB, memtable " +
           std::to_string(options_.write_buffer_size >> 20) + " MiB x" +
           std::to_string(options_.max_immutable_memtables + 1) +
           (options_.order_memtable_in_background ? " (trees filled by their own thread)"
                                                  : " (trees filled in the commit)") +
           ", WAL relaxed (no fsync per write), DeleteRange for groups";
  }

  bool IsDataFile(const std::string& filename) const override { return filename.ends_with(".sst"); }

 private:
  void Check(const trine::Status& s, const char* what) const {
    if (!s.ok())
      throw BenchError(std::string("trine ") + what + ": " + s.ToString());
  }

  trine::Options options_;
  trine::WriteOptions write_options_{trine::Durability::kRelaxed};
  trine::WriteBatch batch_;
  std::unique_ptr<trine::DB> db_;
};

}  // namespace

std::unique_ptr<Engine> MakeTrineEngine() {
  return std::make_unique<TrineEngine>();
}

}  // namespace trine_bench
