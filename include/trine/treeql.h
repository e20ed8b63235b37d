// TreeQL: Trine's query language (see README.md, "TreeQL").
//
//   trine::Session session(*db);
//   auto results = session.Execute("SELECT { name, age } FROM User WHERE age > ? ORDER BY age",
//                                  {.positional = {trine::Value::Int(30)}});
//   std::cout << (*results)[0].ToJson() << "\n";   // [{"name":"ann","age":31}, ...]
//
// A result has the shape of its query: an array with one object per row for
// `SELECT { ... } FROM`, nested arrays for `[SELECT ...]`, single values for
// `(SELECT ...)` and for `SELECT expr` without FROM.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trine/database.h"
#include "trine/status.h"
#include "trine/value.h"

namespace trine {

struct LiveDiff;  // trine/live.h
class LiveQuery;

// A result tree: a scalar value, an array, or an object whose keys keep the
// order of the query's shape.
class Tree {
 public:
  enum class Kind : unsigned char { kValue, kArray, kObject };

  Tree() = default;  // the null value
  explicit Tree(Value v) : value_(std::move(v)) {}
  static Tree Array() {
    Tree t;
    t.kind_ = Kind::kArray;
    return t;
  }
  static Tree Object() {
    Tree t;
    t.kind_ = Kind::kObject;
    return t;
  }

  Kind kind() const { return kind_; }
  bool is_value() const { return kind_ == Kind::kValue; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  const Value& value() const { return value_; }                   // kValue
  const std::vector<Tree>& items() const { return items_; }       // kArray
  std::vector<Tree>& items() { return items_; }                   // kArray
  const std::vector<std::string>& keys() const { return keys_; }  // kObject, in order
  // kObject: the member values, parallel to keys().
  const std::vector<Tree>& members() const { return items_; }
  std::vector<Tree>& members() { return items_; }

  void Push(Tree t) { items_.push_back(std::move(t)); }  // kArray
  void Add(std::string key, Tree t) {                    // kObject
    keys_.push_back(std::move(key));
    items_.push_back(std::move(t));
  }
  // kObject: the member named `key`, or nullptr.
  const Tree* Find(std::string_view key) const;

  // A row of a query over a type: the subject it was built from (0 for
  // other trees). Not part of the value: operator== ignores it. Live-query
  // diffs address rows by it.
  uint64_t subject() const { return subject_; }
  void set_subject(uint64_t id) { subject_ = id; }

  friend bool operator==(const Tree& a, const Tree& b);

 private:
  Kind kind_ = Kind::kValue;
  uint64_t subject_ = 0;
  Value value_;
  std::vector<std::string> keys_;
  std::vector<Tree> items_;
};

// Exact JSON on one line: strings escaped (control characters as \u00XX,
// valid UTF-8 passed through), int64 and decimals printed without loss
// (a decimal as a JSON number with its scale, 12.30), floats in the shortest
// form that reads back to the same double (non-finite floats as null),
// bytes as "\\x..." hex strings, timestamps as RFC 3339 strings, refs as
// their subject id.
std::string ToJson(const Tree& tree);
// A scalar as shown in a table cell (strings unquoted, NULL as "NULL").
std::string ToCell(const Value& value);

// Parameters for `?` (in order) and `:name`.
struct QueryParams {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> named;
};

struct StatementResult {
  enum class Kind : unsigned char {
    kRows,         // SELECT ... FROM: `value` is an array, one tree per row
    kValue,        // SELECT expr without FROM: `value` is the scalar or tree
    kWrite,        // INSERT / UPDATE / DELETE / SET / RETRACT
    kExplain,      // EXPLAIN: `text` is the plan
    kSchema,       // TABLE: `text` lists the changes applied
    kTransaction,  // BEGIN / COMMIT / ROLLBACK
  };
  Kind kind = Kind::kRows;
  std::string verb;  // "SELECT", "INSERT", "UPDATE", "DELETE", "SET", "RETRACT", "EXPLAIN",
                     // "TABLE", "BEGIN", "COMMIT", "ROLLBACK"
  Tree value;
  // kRows with a shape: the top-level keys in order (the table's columns);
  // empty when each row is a single value.
  std::vector<std::string> columns;
  uint64_t count = 0;         // kWrite: subjects written; kRows: rows returned
  std::vector<uint64_t> ids;  // INSERT: the new subject's id
  std::string text;           // kExplain, kSchema
  uint64_t live_id = 0;       // LIVE SELECT: the session's handle of the live query
  ReadStats stats;            // what the statement read (trine/database.h)

  // One line of JSON: kRows/kValue the value; kWrite {"ok":true,"count":n[,"id":i]};
  // kExplain {"plan":"..."}; kSchema {"ok":true,"changes":[...]}; kTransaction {"ok":true}.
  std::string ToJson() const;
  // For people: kRows as an aligned table with a header and a row count,
  // nested values as JSON inside cells; the rest as short text.
  std::string ToTable() const;
};

struct SessionOptions {
  // Durability of statements outside BEGIN ... COMMIT and of a plain BEGIN;
  // BEGIN DURABLE always syncs.
  Durability durability = Durability::kRelaxed;
  // Shown before positions in error messages from schema statements.
  std::string source_name = "<input>";
  // LIVE SELECT: receives each diff of the session's live queries (see
  // trine/live.h), on the committing thread. Without it the diffs queue up
  // for Session::live(id)->Poll().
  std::function<void(uint64_t live_id, const LiveDiff& diff)> on_live;
};

// Runs TreeQL statements against one database: a connection. Not
// thread-safe; use one session per thread.
class Session {
 public:
  explicit Session(Database& db, SessionOptions options = {});
  ~Session();  // rolls back an open transaction
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Parses `text` and runs its statements in order, passing each result to
  // `fn`. Stops at the first error and returns it (InvalidArgument for
  // syntax, binding and evaluation errors, Conflict, IOError, ...). The
  // message is "LINE:COL: message\n<source line>\n<caret>" when the error has
  // a place in the text. Nothing of a failed statement is applied; an error
  // inside BEGIN ... COMMIT rolls the whole transaction back.
  Status Execute(std::string_view text, const QueryParams& params,
                 const std::function<void(StatementResult&&)>& fn);
  Result<std::vector<StatementResult>> Execute(std::string_view text,
                                               const QueryParams& params = {});

  bool in_transaction() const;

  // Live queries started by LIVE SELECT (they end with the session).
  LiveQuery* live(uint64_t live_id);
  bool Unsubscribe(uint64_t live_id);
  std::vector<uint64_t> live_ids() const;

  // A statement parsed and bound once, run many times with new parameters
  // (the plan is rebuilt if the schema changed in between).
  class Prepared {
   public:
    virtual ~Prepared() = default;
    virtual Result<StatementResult> Run(const QueryParams& params) = 0;
  };
  Result<std::unique_ptr<Prepared>> Prepare(std::string_view statement);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace trine
