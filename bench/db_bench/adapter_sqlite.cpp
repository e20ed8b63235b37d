// SQLite adapter: one WITHOUT ROWID table (k BLOB PRIMARY KEY, v BLOB), so
// the B-tree is keyed by our bytes like an LSM; WAL journal with
// synchronous=NORMAL (no fsync per commit, only at checkpoints: the analogue
// of an LSM's unsynced WAL), 4 KiB pages, a page cache of the harness size.
// Groups are deleted key by key (the base class).
#include <sqlite3.h>

#include <memory>
#include <string>

#include "../common/sqlite_util.h"
#include "engine.h"

namespace trine_bench {
namespace {

class SqliteEngine final : public Engine {
 public:
  void Open(const std::string& dir, const EngineOptions& options) override {
    db_.Open(dir + "/kv.sqlite");
    db_.Exec("PRAGMA page_size=4096");
    db_.Exec("PRAGMA journal_mode=WAL");
    db_.Exec("PRAGMA synchronous=NORMAL");
    db_.Exec("PRAGMA cache_size=-" + std::to_string(options.cache_bytes >> 10));  // in KiB
    db_.Exec("CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
    put_ = db_.Prepare("INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)");
    get_ = db_.Prepare("SELECT v FROM kv WHERE k = ?1");
    del_ = db_.Prepare("DELETE FROM kv WHERE k = ?1");
    scan_from_ = db_.Prepare("SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k");
    scan_range_ = db_.Prepare("SELECT k, v FROM kv WHERE k >= ?1 AND k < ?2 ORDER BY k");
    describe_ = std::string("SQLite ") + sqlite3_libversion() +
                ": WITHOUT ROWID, BLOB primary key, 4 KiB pages, WAL, synchronous=NORMAL, "
                "cache " +
                std::to_string(options.cache_bytes >> 20) + " MiB, no compression";
  }

  void Close() override { db_.Close(); }

  void Put(std::string_view key, std::string_view value) override { DoPut(key, value); }
  void Delete(std::string_view key) override { DoDelete(key); }
  void Write(std::span<const WriteOp> ops) override {
    db_.Transaction([&] {
      for (const WriteOp& op : ops) {
        if (op.kind == WriteOp::Kind::kPut) {
          DoPut(op.key, op.value);
        } else {
          DoDelete(op.key);
        }
      }
    });
  }

  bool Get(std::string_view key, std::string* value) override {
    Bind(get_, 1, key);
    const int rc = sqlite3_step(get_);
    bool found = false;
    if (rc == SQLITE_ROW) {
      value->assign(static_cast<const char*>(sqlite3_column_blob(get_, 0)),
                    static_cast<size_t>(sqlite3_column_bytes(get_, 0)));
      found = true;
    }
    sqlite3_reset(get_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      db_.Fail("get");
    return found;
  }

  size_t Scan(std::string_view start, std::string_view end, size_t limit,
              EntryVisitor& visitor) override {
    sqlite3_stmt* s = end.empty() ? scan_from_ : scan_range_;
    Bind(s, 1, start);
    if (!end.empty())
      Bind(s, 2, end);
    size_t n = 0;
    int rc = SQLITE_DONE;
    while (n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
      ++n;
      const std::string_view k(static_cast<const char*>(sqlite3_column_blob(s, 0)),
                               static_cast<size_t>(sqlite3_column_bytes(s, 0)));
      const std::string_view v(static_cast<const char*>(sqlite3_column_blob(s, 1)),
                               static_cast<size_t>(sqlite3_column_bytes(s, 1)));
      if (!visitor.Visit(k, v))
        break;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      db_.Fail("scan");
    return n;
  }

  // Moves the WAL into the database file.
  void Flush() override { db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); }
  // VACUUM rebuilds the file without free pages: SQLite's full compaction.
  void Compact() override {
    db_.Exec("VACUUM");
    db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  EngineStats Stats() override {
    int current = 0, highwater = 0;
    sqlite3_status(SQLITE_STATUS_MEMORY_USED, &current, &highwater, 0);
    return {{"sqlite.memory_bytes", current}, {"sqlite.memory_highwater_bytes", highwater}};
  }

  std::string Describe() const override { return describe_; }
  bool IsDataFile(const std::string& filename) const override { return filename == "kv.sqlite"; }

 private:
  void Bind(sqlite3_stmt* s, int index, std::string_view blob) {
    db_.Check(
        sqlite3_bind_blob(s, index, blob.data(), static_cast<int>(blob.size()), kSqliteStatic),
        "bind");
  }
  void DoPut(std::string_view key, std::string_view value) {
    Bind(put_, 1, key);
    Bind(put_, 2, value);
    db_.Step(put_, "put");
  }
  void DoDelete(std::string_view key) {
    Bind(del_, 1, key);
    db_.Step(del_, "delete");
  }

  SqliteDb db_;  // finalizes the statements below when it closes
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* del_ = nullptr;
  sqlite3_stmt* scan_from_ = nullptr;
  sqlite3_stmt* scan_range_ = nullptr;
  std::string describe_;
};

}  // namespace

std::unique_ptr<Engine> MakeSqliteEngine() {
  return std::make_unique<SqliteEngine>();
}

}  // namespace trine_bench
