// The SQLite plumbing both SQLite adapters need (trine_bench's key-value
// table, trine_entity_bench's Person table): open, close, exec, prepare, step
// and transactions, with every error turned into a BenchError that names the
// call ("sqlite prepare SELECT ...: no such table: kv"). Built only where
// SQLite was found, like the adapters.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <string>
#include <vector>

namespace trine_bench {

// One connection and the statements prepared on it, which it finalizes
// before it closes.
class SqliteDb {
 public:
  SqliteDb() = default;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();  // closes without reporting errors

  // Opens or creates the database file at `path` for this thread only
  // (SQLITE_OPEN_NOMUTEX) and prepares the statements of Transaction().
  void Open(const std::string& path);
  // Finalizes the statements and closes; the files are then complete (the
  // last connection's close checkpoints the WAL into the database).
  void Close();

  sqlite3* get() const { return db_; }

  // Throws "sqlite <what>: <SQLite's message>".
  [[noreturn]] void Fail(const std::string& what) const;
  // Fail(what) unless rc is SQLITE_OK.
  void Check(int rc, const char* what) const {
    if (rc != SQLITE_OK)
      Fail(what);
  }
  // Runs `sql` (no results); throws "sqlite <sql>: <message>".
  void Exec(const std::string& sql);
  // A persistent statement, finalized by Close().
  sqlite3_stmt* Prepare(const char* sql);
  // Steps a statement that returns no rows and resets it; Fail(what) unless it is done.
  void Step(sqlite3_stmt* s, const char* what);
  // Runs `body` between BEGIN and COMMIT; rolls back and rethrows if it throws.
  void Transaction(const std::function<void()>& body);

 private:
  void FinalizeAll();

  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
};

// SQLITE_STATIC, spelled without its C-style cast: the bound bytes outlive the step.
inline const sqlite3_destructor_type kSqliteStatic = nullptr;

}  // namespace trine_bench
