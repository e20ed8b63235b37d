#include "sqlite_util.h"

#include "bench_error.h"

namespace trine_bench {

SqliteDb::~SqliteDb() {
  FinalizeAll();
  if (db_ != nullptr)
    sqlite3_close(db_);
}

void SqliteDb::Open(const std::string& path) {
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    Fail("open " + path);
  }
  // Prepared up front so that no timed transaction pays for it (preparing
  // them does not touch the file: the PRAGMAs that follow still apply).
  begin_ = Prepare("BEGIN");
  commit_ = Prepare("COMMIT");
  rollback_ = Prepare("ROLLBACK");
}

void SqliteDb::Close() {
  FinalizeAll();
  if (db_ != nullptr) {
    if (sqlite3_close(db_) != SQLITE_OK)
      Fail("close");
    db_ = nullptr;
  }
}

void SqliteDb::Fail(const std::string& what) const {
  throw BenchError("sqlite " + what + ": " +
                   (db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
}

void SqliteDb::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string message = err != nullptr ? err : "?";
    sqlite3_free(err);
    throw BenchError("sqlite " + sql + ": " + message);
  }
}

sqlite3_stmt* SqliteDb::Prepare(const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
    Fail(std::string("prepare ") + sql);
  statements_.push_back(s);
  return s;
}

void SqliteDb::Step(sqlite3_stmt* s, const char* what) {
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE)
    Fail(what);
}

void SqliteDb::Transaction(const std::function<void()>& body) {
  Step(begin_, "BEGIN");
  try {
    body();
    Step(commit_, "COMMIT");
  } catch (...) {
    sqlite3_step(rollback_);
    sqlite3_reset(rollback_);
    throw;
  }
}

void SqliteDb::FinalizeAll() {
  for (sqlite3_stmt* s : statements_)
    sqlite3_finalize(s);
  statements_.clear();
  begin_ = commit_ = rollback_ = nullptr;
}

}  // namespace trine_bench
