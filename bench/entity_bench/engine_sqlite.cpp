// SQLite adapter: one rowid table with two secondary indexes, WAL journal,
// synchronous=FULL (durable: the WAL is fsynced at every commit) or NORMAL
// (relaxed: commits write the WAL without fsync; fsync at checkpoints only),
// 4 KiB pages, a page cache of the harness size. Every statement is prepared
// once; reads run in autocommit mode (each its own read transaction).
#include <sqlite3.h>

#include <memory>
#include <string>

#include "entity_engine.h"

namespace trine_entity_bench {
namespace {

// SQLITE_STATIC, spelled without its C-style cast: the bound bytes outlive the step.
const sqlite3_destructor_type kStatic = nullptr;

class SqliteEngine final : public EntityEngine {
 public:
  ~SqliteEngine() override {
    FinalizeAll();
    if (db_ != nullptr)
      sqlite3_close(db_);
  }

  void Open(const std::string& dir, const EngineSettings& settings) override {
    const std::string path = dir + "/person.sqlite";
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      Fail("open " + path);
    }
    durable_ = settings.durability == Durability::kDurable;
    cache_mb_ = settings.cache_bytes >> 20;
    Exec("PRAGMA page_size=4096");
    Exec("PRAGMA journal_mode=WAL");
    Exec(durable_ ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    Exec("PRAGMA cache_size=-" + std::to_string(settings.cache_bytes >> 10));  // in KiB
    Exec(
        "CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, age INTEGER, email TEXT, "
        "score REAL, city TEXT)");
    Exec("CREATE INDEX person_name ON person(name)");
    Exec("CREATE INDEX person_age ON person(age)");
    insert_ =
        Prepare("INSERT INTO person(name, age, email, score, city) VALUES(?1, ?2, ?3, ?4, ?5)");
    get_ = Prepare("SELECT name, age, email, score, city FROM person WHERE id = ?1");
    scan_ = Prepare("SELECT id, age FROM person WHERE age >= ?1 ORDER BY age, id LIMIT ?2");
    scan_fetch_ = Prepare("SELECT id, name FROM person WHERE age >= ?1 ORDER BY age, id LIMIT ?2");
    begin_ = Prepare("BEGIN");
    commit_ = Prepare("COMMIT");
    rollback_ = Prepare("ROLLBACK");
    // Shown in the header, so a reader can see the scans walk person_age in
    // order (no "USE TEMP B-TREE FOR ORDER BY", i.e. no sort of the matches).
    scan_plan_ = QueryPlan("SELECT id, name FROM person WHERE age >= 1 ORDER BY age, id LIMIT 100");
  }

  void Close() override {
    FinalizeAll();
    if (db_ != nullptr) {
      // The last connection's close checkpoints the WAL into the database and deletes it.
      if (sqlite3_close(db_) != SQLITE_OK)
        Fail("close");
      db_ = nullptr;
    }
  }

  void InsertBatch(std::span<const Person> rows, std::vector<uint64_t>* ids) override {
    Step(begin_, "BEGIN");
    try {
      for (const Person& p : rows) {
        BindText(insert_, 1, p.name);
        Check(sqlite3_bind_int64(insert_, 2, p.age), "bind");
        BindText(insert_, 3, p.email);
        Check(sqlite3_bind_double(insert_, 4, p.score), "bind");
        BindText(insert_, 5, p.city);
        Step(insert_, "INSERT");
        ids->push_back(static_cast<uint64_t>(sqlite3_last_insert_rowid(db_)));
      }
      Step(commit_, "COMMIT");
    } catch (...) {
      sqlite3_step(rollback_);
      sqlite3_reset(rollback_);
      throw;
    }
  }

  bool Get(uint64_t id, Person* out) override {
    Check(sqlite3_bind_int64(get_, 1, static_cast<sqlite3_int64>(id)), "bind");
    const int rc = sqlite3_step(get_);
    if (rc == SQLITE_ROW) {
      out->name = Text(get_, 0);
      out->age = sqlite3_column_int64(get_, 1);
      out->email = Text(get_, 2);
      out->score = sqlite3_column_double(get_, 3);
      out->city = Text(get_, 4);
    }
    sqlite3_reset(get_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      Fail("get");
    return rc == SQLITE_ROW;
  }

  void ScanAge(int64_t from, size_t limit, std::vector<AgeEntry>* out) override {
    RunScan(scan_, from, limit, [&] {
      out->push_back(
          {sqlite3_column_int64(scan_, 1), static_cast<uint64_t>(sqlite3_column_int64(scan_, 0))});
    });
  }

  void ScanAgeFetchName(int64_t from, size_t limit, std::vector<NameEntry>* out) override {
    RunScan(scan_fetch_, from, limit, [&] {
      out->push_back(
          {static_cast<uint64_t>(sqlite3_column_int64(scan_fetch_, 0)), Text(scan_fetch_, 1)});
    });
  }

  std::vector<std::pair<std::string, double>> Stats() override {
    int current = 0, highwater = 0;
    sqlite3_status(SQLITE_STATUS_MEMORY_USED, &current, &highwater, 0);
    return {{"memory_mb", current / double{1 << 20}},
            {"memory_highwater_mb", highwater / double{1 << 20}}};
  }

  std::string Describe() const override {
    return std::string("SQLite ") + sqlite3_libversion() +
           ": rowid table + INDEX(name) + INDEX(age), 4 KiB pages, journal_mode=WAL, " +
           (durable_ ? "synchronous=FULL (WAL fsync per commit)"
                     : "synchronous=NORMAL (no fsync per commit, fsync at checkpoints)") +
           ", page cache " + std::to_string(cache_mb_) + " MiB; scan plan: " + scan_plan_;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw BenchError("sqlite " + what + ": " +
                     (db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
  }
  void Check(int rc, const char* what) const {
    if (rc != SQLITE_OK)
      Fail(what);
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
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
      Fail(std::string("prepare ") + sql);
    return s;
  }
  std::string QueryPlan(const std::string& query) {
    sqlite3_stmt* s = Prepare(("EXPLAIN QUERY PLAN " + query).c_str());
    std::string plan;
    while (sqlite3_step(s) == SQLITE_ROW) {
      plan += (plan.empty() ? "" : "; ") + Text(s, 3);  // columns: id, parent, notused, detail
    }
    sqlite3_finalize(s);
    return plan;
  }
  void BindText(sqlite3_stmt* s, int index, const std::string& text) {
    Check(sqlite3_bind_text(s, index, text.data(), static_cast<int>(text.size()), kStatic), "bind");
  }
  static std::string Text(sqlite3_stmt* s, int column) {
    const unsigned char* text = sqlite3_column_text(s, column);
    // column_bytes after column_text: the length of the UTF-8 form just returned.
    const int bytes = sqlite3_column_bytes(s, column);
    return text == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(bytes));
  }
  void Step(sqlite3_stmt* s, const char* what) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
      Fail(what);
  }
  template <typename Fn>
  void RunScan(sqlite3_stmt* s, int64_t from, size_t limit, Fn&& row) {
    Check(sqlite3_bind_int64(s, 1, from), "bind");
    Check(sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(limit)), "bind");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
      row();
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
      Fail("scan");
  }
  void FinalizeAll() {
    for (sqlite3_stmt** s :
         {&insert_, &get_, &scan_, &scan_fetch_, &begin_, &commit_, &rollback_}) {
      sqlite3_finalize(*s);
      *s = nullptr;
    }
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
  sqlite3_stmt* scan_fetch_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
  bool durable_ = true;
  size_t cache_mb_ = 0;
  std::string scan_plan_;
};

}  // namespace

std::unique_ptr<EntityEngine> MakeSqliteEngine() {
  return std::make_unique<SqliteEngine>();
}

}  // namespace trine_entity_bench
