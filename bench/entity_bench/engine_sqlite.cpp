// SQLite adapter: one rowid table with two secondary indexes, WAL journal,
// synchronous=FULL (durable: the WAL is fsynced at every commit) or NORMAL
// (relaxed: commits write the WAL without fsync; fsync at checkpoints only),
// 4 KiB pages, a page cache of the harness size. Every statement is prepared
// once; reads run in autocommit mode (each its own read transaction).
#include <sqlite3.h>

#include <memory>
#include <string>

#include "../common/sqlite_util.h"
#include "entity_engine.h"

namespace trine_entity_bench {
namespace {

using trine_bench::kSqliteStatic;
using trine_bench::SqliteDb;

class SqliteEngine final : public EntityEngine {
 public:
  void Open(const std::string& dir, const EngineSettings& settings) override {
    db_.Open(dir + "/person.sqlite");
    durable_ = settings.durability == Durability::kDurable;
    cache_mb_ = settings.cache_bytes >> 20;
    db_.Exec("PRAGMA page_size=4096");
    db_.Exec("PRAGMA journal_mode=WAL");
    db_.Exec(durable_ ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    db_.Exec("PRAGMA cache_size=-" + std::to_string(settings.cache_bytes >> 10));  // in KiB
    db_.Exec(
        "CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, age INTEGER, email TEXT, "
        "score REAL, city TEXT)");
    db_.Exec("CREATE INDEX person_name ON person(name)");
    db_.Exec("CREATE INDEX person_age ON person(age)");
    insert_ =
        db_.Prepare("INSERT INTO person(name, age, email, score, city) VALUES(?1, ?2, ?3, ?4, ?5)");
    get_ = db_.Prepare("SELECT name, age, email, score, city FROM person WHERE id = ?1");
    scan_ = db_.Prepare("SELECT id, age FROM person WHERE age >= ?1 ORDER BY age, id LIMIT ?2");
    scan_fetch_ =
        db_.Prepare("SELECT id, name FROM person WHERE age >= ?1 ORDER BY age, id LIMIT ?2");
    // Shown in the header, so a reader can see the scans walk person_age in
    // order (no "USE TEMP B-TREE FOR ORDER BY", i.e. no sort of the matches).
    scan_plan_ = QueryPlan("SELECT id, name FROM person WHERE age >= 1 ORDER BY age, id LIMIT 100");
  }

  // The last connection's close checkpoints the WAL into the database and deletes it.
  void Close() override { db_.Close(); }

  void InsertBatch(std::span<const Person> rows, std::vector<uint64_t>* ids) override {
    db_.Transaction([&] {
      for (const Person& p : rows) {
        BindText(insert_, 1, p.name);
        db_.Check(sqlite3_bind_int64(insert_, 2, p.age), "bind");
        BindText(insert_, 3, p.email);
        db_.Check(sqlite3_bind_double(insert_, 4, p.score), "bind");
        BindText(insert_, 5, p.city);
        db_.Step(insert_, "INSERT");
        ids->push_back(static_cast<uint64_t>(sqlite3_last_insert_rowid(db_.get())));
      }
    });
  }

  bool Get(uint64_t id, Person* out) override {
    db_.Check(sqlite3_bind_int64(get_, 1, static_cast<sqlite3_int64>(id)), "bind");
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
      db_.Fail("get");
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
  std::string QueryPlan(const std::string& query) {
    sqlite3_stmt* s = db_.Prepare(("EXPLAIN QUERY PLAN " + query).c_str());
    std::string plan;
    while (sqlite3_step(s) == SQLITE_ROW) {
      plan += (plan.empty() ? "" : "; ") + Text(s, 3);  // columns: id, parent, notused, detail
    }
    sqlite3_reset(s);
    return plan;
  }
  void BindText(sqlite3_stmt* s, int index, const std::string& text) {
    db_.Check(
        sqlite3_bind_text(s, index, text.data(), static_cast<int>(text.size()), kSqliteStatic),
        "bind");
  }
  static std::string Text(sqlite3_stmt* s, int column) {
    const unsigned char* text = sqlite3_column_text(s, column);
    // column_bytes after column_text: the length of the UTF-8 form just returned.
    const int bytes = sqlite3_column_bytes(s, column);
    return text == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(bytes));
  }
  template <typename Fn>
  void RunScan(sqlite3_stmt* s, int64_t from, size_t limit, Fn&& row) {
    db_.Check(sqlite3_bind_int64(s, 1, from), "bind");
    db_.Check(sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(limit)), "bind");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
      row();
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
      db_.Fail("scan");
  }

  SqliteDb db_;  // finalizes the statements below when it closes
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
  sqlite3_stmt* scan_fetch_ = nullptr;
  bool durable_ = true;
  size_t cache_mb_ = 0;
  std::string scan_plan_;
};

}  // namespace

std::unique_ptr<EntityEngine> MakeSqliteEngine() {
  return std::make_unique<SqliteEngine>();
}

}  // namespace trine_entity_bench
