// SQLite adapter: one WITHOUT ROWID table (k BLOB PRIMARY KEY, v BLOB), so
// the B-tree is keyed by our bytes like an LSM; WAL journal with
// synchronous=NORMAL (no fsync per commit, only at checkpoints: the analogue
// of an LSM's unsynced WAL), 4 KiB pages, a page cache of the harness size.
// Groups are deleted key by key (the base class).
#include <sqlite3.h>

#include <memory>
#include <string>

#include "engine.h"

namespace trine_bench {
namespace {

// SQLITE_STATIC, spelled without its C-style cast.
const sqlite3_destructor_type kStatic = nullptr;

class SqliteEngine final : public Engine {
 public:
  ~SqliteEngine() override { CloseQuietly(); }

  void Open(const std::string& dir, const EngineOptions& options) override {
    const std::string path = dir + "/kv.sqlite";
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      Fail("open " + path);
    }
    Exec("PRAGMA page_size=4096");
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=NORMAL");
    Exec("PRAGMA cache_size=-" + std::to_string(options.cache_bytes >> 10));  // in KiB
    Exec("CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
    put_ = Prepare("INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)");
    get_ = Prepare("SELECT v FROM kv WHERE k = ?1");
    del_ = Prepare("DELETE FROM kv WHERE k = ?1");
    scan_from_ = Prepare("SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k");
    scan_range_ = Prepare("SELECT k, v FROM kv WHERE k >= ?1 AND k < ?2 ORDER BY k");
    begin_ = Prepare("BEGIN");
    commit_ = Prepare("COMMIT");
    rollback_ = Prepare("ROLLBACK");
    describe_ = std::string("SQLite ") + sqlite3_libversion() +
                ": WITHOUT ROWID, BLOB primary key, 4 KiB pages, WAL, synchronous=NORMAL, "
                "cache " +
                std::to_string(options.cache_bytes >> 20) + " MiB, no compression";
  }

  void Close() override {
    FinalizeAll();
    if (db_ != nullptr) {
      const int rc = sqlite3_close(db_);
      if (rc != SQLITE_OK)
        Fail("close");
      db_ = nullptr;
    }
  }

  void Put(std::string_view key, std::string_view value) override { DoPut(key, value); }
  void Delete(std::string_view key) override { DoDelete(key); }
  void Write(std::span<const WriteOp> ops) override {
    Step(begin_, "BEGIN");
    try {
      for (const WriteOp& op : ops) {
        if (op.kind == WriteOp::Kind::kPut) {
          DoPut(op.key, op.value);
        } else {
          DoDelete(op.key);
        }
      }
      Step(commit_, "COMMIT");
    } catch (...) {
      sqlite3_step(rollback_);
      sqlite3_reset(rollback_);
      throw;
    }
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
      Fail("get");
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
      Fail("scan");
    return n;
  }

  // Moves the WAL into the database file.
  void Flush() override { Exec("PRAGMA wal_checkpoint(TRUNCATE)"); }
  // VACUUM rebuilds the file without free pages: SQLite's full compaction.
  void Compact() override {
    Exec("VACUUM");
    Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  EngineStats Stats() override {
    int current = 0, highwater = 0;
    sqlite3_status(SQLITE_STATUS_MEMORY_USED, &current, &highwater, 0);
    return {{"sqlite.memory_bytes", current}, {"sqlite.memory_highwater_bytes", highwater}};
  }

  std::string Describe() const override { return describe_; }
  bool IsDataFile(const std::string& filename) const override { return filename == "kv.sqlite"; }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw BenchError("sqlite " + what + ": " +
                     (db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
  }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string message = err != nullptr ? err : "?";
      sqlite3_free(err);
      throw BenchError("sqlite " + sql + ": " + message);
    }
  }
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
      Fail(std::string("prepare ") + sql);
    }
    return s;
  }
  void Bind(sqlite3_stmt* s, int index, std::string_view blob) {
    if (sqlite3_bind_blob(s, index, blob.data(), static_cast<int>(blob.size()), kStatic) !=
        SQLITE_OK) {
      Fail("bind");
    }
  }
  void Step(sqlite3_stmt* s, const char* what) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
      Fail(what);
  }
  void DoPut(std::string_view key, std::string_view value) {
    Bind(put_, 1, key);
    Bind(put_, 2, value);
    Step(put_, "put");
  }
  void DoDelete(std::string_view key) {
    Bind(del_, 1, key);
    Step(del_, "delete");
  }
  void FinalizeAll() {
    for (sqlite3_stmt** s :
         {&put_, &get_, &del_, &scan_from_, &scan_range_, &begin_, &commit_, &rollback_}) {
      sqlite3_finalize(*s);
      *s = nullptr;
    }
  }
  void CloseQuietly() {
    FinalizeAll();
    if (db_ != nullptr)
      sqlite3_close(db_);
    db_ = nullptr;
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* del_ = nullptr;
  sqlite3_stmt* scan_from_ = nullptr;
  sqlite3_stmt* scan_range_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
  std::string describe_;
};

}  // namespace

std::unique_ptr<Engine> MakeSqliteEngine() {
  return std::make_unique<SqliteEngine>();
}

}  // namespace trine_bench
