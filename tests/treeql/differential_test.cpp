// Differential tests of TreeQL against SQLite. A generator builds random
// schemas, data and queries; each query runs on Trine through a Session and,
// translated to SQL, on an in-memory SQLite database that holds the same rows
// under the same ids (SQLite's rowid is the subject id). The two results must
// be the same JSON: SQLite's answer is turned into a result tree using the
// static type the generator knows for every column (SQLite has no bool and no
// reference type), so only exact equality counts.
//
// The SQL mirrors TreeQL's rules: NULLs sort last in both directions and the
// subject id breaks ties in the direction of the last key (so every ordered
// result is fully determined); LIKE is case-sensitive; only type-correct
// comparisons are generated (TreeQL rejects the others when binding), only
// non-zero constant divisors, small ints (no overflow) and floats that are
// multiples of 0.25 (exact sums). Results whose order a query leaves open are
// compared as multisets; -0.0 counts as 0.0 (SQLite drops the sign).
//
// FlatQueries: three random schemas of 2-3 types (4-7 int/float/string/bool
// fields, some indexed), 200-400 rows each with 10-30% NULLs. Queries: shapes,
// single values, aggregates (count, count DISTINCT, sum, avg, min, max) alone
// or in a shape; WHERE with AND/OR/NOT, comparisons with NULL, IS [NOT] NULL,
// [NOT] IN lists (with NULLs) and sub-queries, [NOT] BETWEEN, [NOT] LIKE,
// arithmetic and CASE, id lookups, `?` parameters; ORDER BY 1-3 keys with
// NULLS FIRST/LAST, LIMIT and OFFSET; some run as prepared statements. Every
// 60 queries: INSERT, UPDATE, DELETE, SET, RETRACT on both (the written counts
// must agree), sometimes inside BEGIN ... COMMIT/ROLLBACK with queries that
// see the transaction's own writes, and sometimes an index built or dropped.
//
// NestedQueries: Parent and Child (`parent REF Parent`). Parent rows with
// array sub-queries (ordered, limited, correlated with the parent, a third
// level that sees both), count(...), exists(...), scalar sub-queries, reverse
// paths `p<-Child.parent` (ids and a field) and count of them, sub-queries in
// WHERE; children with forward paths `c.parent.x` (NULL for a NULL or
// dangling reference). Halfway, parents are deleted and children moved.
//
//   TRINE_SEED=... TRINE_DIFF_QUERIES=20000 TRINE_DIFF_NESTED_QUERIES=2000
//     build/debug/tests/treeql_test --gtest_filter='Differential*'
//
// TRINE_DIFF_VERBOSE=1 prints each query before it runs. A mismatch prints the schema, the TreeQL
// statement with its parameters, the SQL and both results, and stops the test.

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/util/test_util.h"
#include "trine/database.h"
#include "trine/treeql.h"
#include "trine/value.h"

namespace trine {
namespace {

using test::EnvInt;
using test::TempDir;
using test::TestSeed;

// ------------------------------------------------------------- values --

// The static type of a generated expression. It says how to read SQLite's
// answer back: SQLite returns 0/1 for bools and plain ints for references.
enum class Ty : unsigned char { kInt, kFloat, kStr, kBool, kId };

bool IsNum(Ty t) {
  return t == Ty::kInt || t == Ty::kFloat;
}

// Duplicates, an empty string, LIKE wildcards and a quote in the data, and
// upper case to catch a case-insensitive LIKE.
const std::vector<std::string> kStrings = {"",    "a", "ab",  "abc",  "abd", "b",  "ba",  "ba_",
                                           "bab", "c", "a%c", "it's", "A",   "AB", "abab"};
const std::vector<std::string> kPatterns = {"%",   "",    "a%",  "%b", "%a%", "_",   "__",
                                            "a_",  "_b%", "ab%", "ab", "A%",  "%'%", "a%c",
                                            "b_b", "%_%", "ba_", "%c", "_a%", "abc%"};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'')
      out += '\'';
    out += ch;
  }
  return out + "'";
}

// With an exponent: without one, TreeQL reads an exact decimal.
std::string FloatText(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2fe0", v);
  return buf;
}

// The literal for `v`, the same text in TreeQL and in SQLite.
std::string LiteralText(const Value& v) {
  switch (v.type()) {
    case ValueType::kBool:
      return v.as_bool() ? "TRUE" : "FALSE";
    case ValueType::kInt:
      return std::to_string(v.as_int());
    case ValueType::kFloat:
      return FloatText(v.as_float());
    case ValueType::kString:
      return Quote(v.as_string());
    default:
      return "NULL";
  }
}

// ------------------------------------------------------------- schema --

struct FieldSpec {
  std::string name;
  Ty ty = Ty::kInt;
  bool indexed = false;
  std::string ref;  // kId: the referenced type
  double null_rate = 0;
};

struct TypeSpec {
  std::string name;
  std::vector<FieldSpec> fields;
};

std::string SchemaText(const TypeSpec& t) {
  std::string s = "TABLE " + t.name + " {";
  for (size_t i = 0; i < t.fields.size(); ++i) {
    const FieldSpec& f = t.fields[i];
    const char* word = f.ty == Ty::kInt     ? "int"
                       : f.ty == Ty::kFloat ? "float"
                       : f.ty == Ty::kStr   ? "string"
                       : f.ty == Ty::kBool  ? "bool"
                                            : "REF ";
    s += " " + f.name + " " + word + (f.ty == Ty::kId ? f.ref : "") + " = " +
         std::to_string(i + 1) + (f.indexed ? " INDEX" : "") + ";";
  }
  return s + " }";
}

std::string SqlCreate(const TypeSpec& t) {
  std::string s = "CREATE TABLE " + t.name + " (";
  for (size_t i = 0; i < t.fields.size(); ++i)
    s += (i ? ", " : "") + t.fields[i].name + (t.fields[i].ty == Ty::kFloat ? " REAL" : "") +
         (t.fields[i].ty == Ty::kStr ? " TEXT" : "") +
         (t.fields[i].ty != Ty::kFloat && t.fields[i].ty != Ty::kStr ? " INTEGER" : "");
  return s + ")";
}

// ------------------------------------------------------------- SQLite --

class Sqlite {
 public:
  Sqlite() {
    if (sqlite3_open(":memory:", &db_) != SQLITE_OK)
      db_ = nullptr;
  }
  ~Sqlite() { sqlite3_close(db_); }
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;

  // "" or SQLite's error.
  std::string Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK)
      return "";
    std::string m = err != nullptr ? err : "sqlite3_exec failed";
    sqlite3_free(err);
    return m + " in: " + sql;
  }

  // Runs `sql` with ?1 bound to `bind` (when `bind` is not null); each
  // column is read as types[i]. "" or the error.
  std::string Query(const std::string& sql, const std::vector<Ty>& types,
                    std::vector<std::vector<Value>>* rows, const int64_t* bind = nullptr) {
    rows->clear();
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      return std::string(sqlite3_errmsg(db_)) + " in: " + sql;
    std::string err;
    if (bind != nullptr)
      sqlite3_bind_int64(st, 1, *bind);
    if (sqlite3_column_count(st) != static_cast<int>(types.size()))
      err = "column count differs from the generator's in: " + sql;
    int rc = SQLITE_DONE;
    while (err.empty() && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      std::vector<Value> row;
      for (size_t i = 0; i < types.size() && err.empty(); ++i)
        row.push_back(Read(st, static_cast<int>(i), types[i], &err));
      rows->push_back(std::move(row));
    }
    if (err.empty() && rc != SQLITE_DONE)
      err = std::string(sqlite3_errmsg(db_)) + " in: " + sql;
    sqlite3_finalize(st);
    return err;
  }

  int64_t changes() { return sqlite3_changes(db_); }

 private:
  // A storage class other than the expected one is a bug of the generator,
  // not of TreeQL: the test would compare the wrong things.
  static Value Read(sqlite3_stmt* st, int i, Ty ty, std::string* err) {
    int c = sqlite3_column_type(st, i);
    if (c == SQLITE_NULL)
      return Value();
    int want = ty == Ty::kFloat ? SQLITE_FLOAT : ty == Ty::kStr ? SQLITE_TEXT : SQLITE_INTEGER;
    if (c != want) {
      *err = "SQLite column " + std::to_string(i) + " has storage class " + std::to_string(c) +
             ", expected " + std::to_string(want) + " (a bug in the test)";
      return Value();
    }
    switch (ty) {
      case Ty::kInt:
        return Value::Int(sqlite3_column_int64(st, i));
      case Ty::kFloat:
        return Value::Float(sqlite3_column_double(st, i));
      case Ty::kBool:
        return Value::Bool(sqlite3_column_int64(st, i) != 0);
      case Ty::kId:
        return Value::Ref(static_cast<uint64_t>(sqlite3_column_int64(st, i)));
      case Ty::kStr: {
        const unsigned char* p = sqlite3_column_text(st, i);
        if (p == nullptr)
          return Value::String("");
        return Value::String(std::string(reinterpret_cast<const char*>(p),
                                         static_cast<size_t>(sqlite3_column_bytes(st, i))));
      }
    }
    return Value();
  }

  sqlite3* db_ = nullptr;
};

// ------------------------------------------------------------ queries --

// One generated expression in both languages.
struct Ex {
  std::string tq;
  std::string sql;
  Ty ty = Ty::kInt;
};

// Something an expression can name: a field, the subject id, a path through
// a reference, or a sub-query value computed per row.
struct Col {
  std::string tq;
  std::string sql;
  Ty ty = Ty::kInt;
  bool indexed = false;
  const std::vector<int64_t>* ids = nullptr;  // kId: ids worth comparing with
};

// The columns of one query level, and how SQL names its subject id.
struct Scope {
  std::vector<Col> cols;
  std::string id_sql;
};

// One key of a result row (or the whole row of a query without a shape).
struct Item {
  std::string key;
  Ty ty = Ty::kInt;  // a column's type, or the type of an array's values
  // Non-empty: the item is an array, one element per row of this SQL with ?1
  // bound to the outer row's id. Else it is the next column of the main SQL.
  std::string per_row_sql;
  std::vector<std::string> sub_keys;  // the array's elements are objects with these keys
  std::vector<Ty> sub_types;
  bool sub_ordered = true;
};

struct Query {
  std::string tq;
  QueryParams params;
  // Column 0 is the row's id (for per-row SQL), then one column per item
  // that is not an array.
  std::string sql;
  bool scalar = false;  // one value (aggregates): the first row's item(s)
  bool shape = true;    // rows are objects; else each row is its one item
  std::vector<Item> items;
  bool ordered = false;
};

std::string ParamsText(const QueryParams& p) {
  std::string s;
  for (const Value& v : p.positional)
    s += (s.empty() ? "" : ", ") + v.ToString();
  return "[" + s + "]";
}

void SortItems(Tree* t) {
  if (!t->is_array())
    return;
  std::vector<std::pair<std::string, Tree>> keyed;
  for (Tree& x : t->items())
    keyed.emplace_back(ToJson(x), std::move(x));
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  t->items().clear();
  for (auto& kx : keyed)
    t->Push(std::move(kx.second));
}

// SQLite loses the sign of a zero (it stores 0.0 as an integer), so -0.0
// and 0.0 count as the same.
void UnsignZeros(Tree* t) {
  if (t->is_value()) {
    if (t->value().type() == ValueType::kFloat && t->value().as_float() == 0)
      *t = Tree(Value::Float(0.0));
    return;
  }
  for (Tree& x : t->items())
    UnsignZeros(&x);
}

// Puts a result into the canonical order: arrays whose order the query
// leaves open are sorted by their elements' JSON.
void Canonicalize(const Query& q, Tree* t) {
  UnsignZeros(t);
  auto row = [&](Tree* r) {
    if (q.shape && r->is_object()) {
      for (size_t i = 0; i < q.items.size() && i < r->members().size(); ++i)
        if (!q.items[i].per_row_sql.empty() && !q.items[i].sub_ordered)
          SortItems(&r->members()[i]);
    } else if (!q.shape && !q.items.empty() && !q.items[0].per_row_sql.empty() &&
               !q.items[0].sub_ordered) {
      SortItems(r);
    }
  };
  if (q.scalar) {
    row(t);
    return;
  }
  if (!t->is_array())
    return;
  for (Tree& r : t->items())
    row(&r);
  if (!q.ordered)
    SortItems(t);
}

// The result SQLite implies for `q`, or an error.
std::string Expected(Sqlite& db, const Query& q, Tree* out) {
  std::vector<Ty> types = {Ty::kInt};
  for (const Item& it : q.items)
    if (it.per_row_sql.empty())
      types.push_back(it.ty == Ty::kId ? Ty::kId : it.ty);
  std::vector<std::vector<Value>> rows;
  std::string err = db.Query(q.sql, types, &rows);
  if (!err.empty())
    return err;
  Tree all = Tree::Array();
  for (const std::vector<Value>& r : rows) {
    Tree obj = Tree::Object();
    size_t col = 1;
    for (const Item& it : q.items) {
      if (it.per_row_sql.empty()) {
        obj.Add(it.key, Tree(r[col++]));
        continue;
      }
      bool objects = !it.sub_keys.empty();
      std::vector<Ty> sub_types = objects ? it.sub_types : std::vector<Ty>{it.ty};
      std::vector<std::vector<Value>> sub;
      int64_t id = r[0].type() == ValueType::kInt ? r[0].as_int() : 0;
      err = db.Query(it.per_row_sql, sub_types, &sub, &id);
      if (!err.empty())
        return err;
      Tree arr = Tree::Array();
      for (std::vector<Value>& s : sub) {
        if (!objects) {
          arr.Push(Tree(std::move(s[0])));
          continue;
        }
        Tree e = Tree::Object();
        for (size_t k = 0; k < s.size(); ++k)
          e.Add(it.sub_keys[k], Tree(std::move(s[k])));
        arr.Push(std::move(e));
      }
      obj.Add(it.key, std::move(arr));
    }
    all.Push(q.shape ? std::move(obj) : std::move(obj.members()[0]));
  }
  if (q.scalar) {
    if (all.items().size() != 1)
      return "an aggregate query gave " + std::to_string(all.items().size()) + " SQLite rows";
    Tree one = std::move(all.items()[0]);
    all = std::move(one);
  }
  Canonicalize(q, &all);
  *out = std::move(all);
  return "";
}

// ---------------------------------------------------------- generator --

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  // Where `?` values go, in text order, while a statement is generated;
  // null writes every literal inline. Text must therefore be generated
  // left to right.
  std::vector<Value>* params = nullptr;
  // No float division: the values of sums and of stored floats stay
  // multiples of 2^-k, so that no order of summation can round differently.
  bool exact = false;
  // Other types for IN (SELECT ...): name and columns.
  std::vector<std::pair<std::string, const Scope*>> others;

  // Data: few distinct values, so that equality, ranges and ties hit often.
  Value DataValue(const FieldSpec& f) {
    if (Chance(f.null_rate))
      return Value();
    switch (f.ty) {
      case Ty::kInt:
        return Value::Int(Int(-3, 12));
      case Ty::kFloat:
        return Value::Float(Int(-8, 40) / 4.0);
      case Ty::kStr:
        return Value::String(Pick(kStrings));
      case Ty::kBool:
        return Value::Bool(Chance(0.5));
      case Ty::kId:
        return Value();
    }
    return Value();
  }

  Ex Literal(Ty ty, const std::vector<int64_t>* ids = nullptr) {
    Value v;
    switch (ty) {
      case Ty::kInt:
        v = Value::Int(Int(-4, 13));
        break;
      case Ty::kFloat:
        v = Value::Float(Int(-10, 44) / 4.0);
        break;
      case Ty::kStr:
        v = Value::String(Chance(0.9) ? Pick(kStrings) : std::string("zz"));
        break;
      case Ty::kBool:
        v = Value::Bool(Chance(0.5));
        break;
      case Ty::kId:
        v = Value::Int(IdValue(ids));
        break;
    }
    std::string text = LiteralText(v);
    if (params != nullptr && Chance(0.12)) {
      params->push_back(v);
      return {"?", text, ty};
    }
    return {text, text, ty};
  }

  // An id that mostly exists.
  int64_t IdValue(const std::vector<int64_t>* ids) {
    if (ids == nullptr || ids->empty())
      return Int(1, 50);
    int64_t v = Pick(*ids);
    if (Chance(0.15))
      v += Int(-2, 2);
    return std::max<int64_t>(v, 0);
  }

  Ex NumLiteral(bool allow_decimal) {
    if (allow_decimal && Chance(0.1)) {
      // An exact decimal: TreeQL compares it with ints and floats by value.
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", Int(-10, 44) / 4.0);
      return {buf, buf, Ty::kFloat};
    }
    return Literal(Chance(0.55) ? Ty::kInt : Ty::kFloat);
  }

  static std::vector<const Col*> OfType(const std::vector<Col>& cols, Ty ty) {
    std::vector<const Col*> out;
    for (const Col& c : cols)
      if (c.ty == ty)
        out.push_back(&c);
    return out;
  }

  static Ex Use(const Col& c) { return {c.tq, c.sql, c.ty}; }

  Ex NumExpr(const std::vector<Col>& cols, int depth, bool int_only = false) {
    std::vector<const Col*> nums = OfType(cols, Ty::kInt);
    if (!int_only)
      for (const Col* c : OfType(cols, Ty::kFloat))
        nums.push_back(c);
    if (depth <= 0 || Chance(0.5)) {
      if (nums.empty() || Chance(0.08))
        return Literal(int_only || Chance(0.5) ? Ty::kInt : Ty::kFloat);
      return Use(*Pick(nums));
    }
    int k = Int(0, 9);
    if (k == 3 && Chance(0.4) && !int_only)
      return Case(cols, depth);
    Ex a = NumExpr(cols, depth - 1, int_only);
    if (k == 0)
      return {"-(" + a.tq + ")", "-(" + a.sql + ")", a.ty};
    if (k <= 2) {
      std::string d = std::to_string(Int(1, 5) * (Chance(0.2) ? -1 : 1));
      const char* op = a.ty == Ty::kInt && Chance(0.5) ? " % "
                       : a.ty == Ty::kFloat && exact   ? " * "
                                                       : " / ";
      return {"(" + a.tq + op + d + ")", "(" + a.sql + op + d + ")", a.ty};
    }
    Ex b = Chance(0.6) ? Literal(int_only || Chance(0.6) ? Ty::kInt : Ty::kFloat)
                       : NumExpr(cols, depth - 1, int_only);
    static const std::vector<std::string> kOps = {" + ", " - ", " * "};
    const std::string& op = Pick(kOps);
    Ty ty = a.ty == Ty::kInt && b.ty == Ty::kInt ? Ty::kInt : Ty::kFloat;
    return {"(" + a.tq + op + b.tq + ")", "(" + a.sql + op + b.sql + ")", ty};
  }

  Ex StrExpr(const std::vector<Col>& cols) {
    std::vector<const Col*> strs = OfType(cols, Ty::kStr);
    if (strs.empty() || Chance(0.08))
      return Literal(Ty::kStr);
    Ex a = Use(*Pick(strs));
    if (!Chance(0.12))
      return a;
    Ex b = Chance(0.7) ? Literal(Ty::kStr) : Use(*Pick(strs));
    return {"(" + a.tq + " || " + b.tq + ")", "(" + a.sql + " || " + b.sql + ")", Ty::kStr};
  }

  // A value of type `ty` (kId: an id column) for the left side of a test.
  Ex Operand(const std::vector<Col>& cols, Ty ty) {
    if (IsNum(ty))
      return NumExpr(cols, Int(0, 2));
    if (ty == Ty::kStr)
      return StrExpr(cols);
    std::vector<const Col*> cs = OfType(cols, ty);
    return Use(*Pick(cs));
  }

  // A value comparable with `a`, for the right side.
  Ex Comparand(const std::vector<Col>& cols, const Ex& a, const Col* id_col, bool allow_null) {
    if (allow_null && Chance(0.04))
      return {"NULL", "NULL", a.ty};
    if (IsNum(a.ty)) {
      int k = Int(0, 9);
      if (k < 6)
        return NumLiteral(true);
      return NumExpr(cols, k < 9 ? 0 : 1);
    }
    if (a.ty == Ty::kStr)
      return Chance(0.75) ? Literal(Ty::kStr) : StrExpr(cols);
    if (a.ty == Ty::kId)
      return Literal(Ty::kId, id_col != nullptr ? id_col->ids : nullptr);
    return Literal(Ty::kBool);
  }

  std::string CmpOp(bool equality_only) {
    static const std::vector<std::string> kAll = {"=", "!=", "<>", "<", "<=", ">", ">="};
    static const std::vector<std::string> kEq = {"=", "!=", "<>"};
    return Pick(equality_only ? kEq : kAll);
  }

  // A test of one column or expression.
  Ex Leaf(const std::vector<Col>& cols) {
    std::vector<Ty> present;
    for (Ty t : {Ty::kInt, Ty::kFloat, Ty::kStr, Ty::kBool, Ty::kId})
      if (!OfType(cols, t).empty())
        present.push_back(t);
    int k = Int(0, 14);
    if (k == 14)
      return InSubquery(cols);
    if (k == 13) {
      static const std::vector<std::string> kConst = {"TRUE", "FALSE", "NULL"};
      const std::string& c = Pick(kConst);
      return {c, c, Ty::kBool};
    }
    if (k >= 10)
      return IndexedLeaf(cols);
    Ty ty = Pick(present);
    if (k <= 4 && ty != Ty::kBool) {
      const Col* id_col = ty == Ty::kId ? Pick(OfType(cols, Ty::kId)) : nullptr;
      Ex a = id_col != nullptr ? Use(*id_col) : Operand(cols, ty);
      std::string op = CmpOp(false);
      Ex b = Comparand(cols, a, id_col, true);
      return {"(" + a.tq + " " + op + " " + b.tq + ")", "(" + a.sql + " " + op + " " + b.sql + ")",
              Ty::kBool};
    }
    if (ty == Ty::kBool || k == 5)
      return BoolLeaf(cols);
    if (k == 6) {
      Ex a = Chance(0.8) ? Use(Pick(cols)) : NumExpr(cols, 1);
      const char* is = Chance(0.5) ? " IS NULL" : " IS NOT NULL";
      return {"(" + a.tq + is + ")", "(" + a.sql + is + ")", Ty::kBool};
    }
    if (k == 7)
      return InLeaf(cols, ty);
    if (k == 8 && ty != Ty::kStr) {
      Ex a = ty == Ty::kId ? Use(*Pick(OfType(cols, Ty::kId))) : Operand(cols, ty);
      return Between(cols, a);
    }
    return LikeLeaf(cols);
  }

  // `x [NOT] IN (SELECT y FROM Other WHERE ...)`: NULLs among the sub-query's
  // values make NOT IN unknown, as in SQL.
  Ex InSubquery(const std::vector<Col>& cols) {
    // Up to two levels (an uncorrelated sub-query runs once for all outer rows).
    if (others.empty() || in_subquery_ >= 2)
      return Leaf(cols);
    const auto& [name, scope] = Pick(others);
    const Col& inner = Pick(scope->cols);
    if (inner.ty == Ty::kBool || inner.ty == Ty::kId ||
        (IsNum(inner.ty) ? OfType(cols, Ty::kInt).empty() && OfType(cols, Ty::kFloat).empty()
                         : OfType(cols, inner.ty).empty()))
      return Leaf(cols);
    Ex a = IsNum(inner.ty) ? NumExpr(cols, Int(0, 1)) : Operand(cols, inner.ty);
    const char* op = Chance(0.4) ? " NOT IN " : " IN ";
    std::string tq = "(" + a.tq + op + "(SELECT " + inner.tq + " FROM " + name;
    std::string sql = "(" + a.sql + op + "(SELECT " + inner.sql + " FROM " + name;
    if (Chance(0.8)) {
      ++in_subquery_;
      Ex w = Cond(scope->cols, Int(0, 2));
      --in_subquery_;
      tq += " WHERE " + w.tq;
      sql += " WHERE " + w.sql;
    }
    return {tq + "))", sql + "))", Ty::kBool};
  }

  // CASE over numbers; both branches get one type, as SQLite's answer is
  // read by the static type.
  Ex Case(const std::vector<Col>& cols, int depth) {
    Ex w = Cond(cols, 0);
    Ex a = NumExpr(cols, depth - 1);
    bool has_else = Chance(0.7);
    Ex b = has_else ? NumExpr(cols, depth - 1) : Ex{"", "", a.ty};
    auto widen = [](Ex* e) {
      e->tq = "(" + e->tq + " + 0.00e0)";
      e->sql = "(" + e->sql + " + 0.00e0)";
      e->ty = Ty::kFloat;
    };
    if (a.ty != b.ty)
      widen(a.ty == Ty::kInt ? &a : &b);
    std::string tail_tq = has_else ? " ELSE " + b.tq + " END" : " END";
    std::string tail_sql = has_else ? " ELSE " + b.sql + " END" : " END";
    return {"CASE WHEN " + w.tq + " THEN " + a.tq + tail_tq,
            "CASE WHEN " + w.sql + " THEN " + a.sql + tail_sql, a.ty};
  }

  Ex Between(const std::vector<Col>& cols, const Ex& a) {
    const Col* id_col = nullptr;
    for (const Col& c : cols)
      if (c.sql == a.sql && c.ty == Ty::kId)
        id_col = &c;
    const char* op = Chance(0.3) ? " NOT BETWEEN " : " BETWEEN ";
    Ex lo = Comparand(cols, a, id_col, true);
    Ex hi = Comparand(cols, a, id_col, true);
    return {"(" + a.tq + op + lo.tq + " AND " + hi.tq + ")",
            "(" + a.sql + op + lo.sql + " AND " + hi.sql + ")", Ty::kBool};
  }

  Ex InLeaf(const std::vector<Col>& cols, Ty ty) {
    const Col* id_col = nullptr;
    Ex a;
    if (ty == Ty::kId) {
      id_col = Pick(OfType(cols, Ty::kId));
      a = Use(*id_col);
    } else {
      a = Operand(cols, ty == Ty::kBool ? Ty::kInt : ty);
    }
    bool brackets = Chance(0.25);
    const char* op = Chance(0.35) ? " NOT IN " : " IN ";
    std::string tq = "(" + a.tq + op + (brackets ? "[" : "(");
    std::string sql = "(" + a.sql + op + "(";
    int n = Int(1, 5);
    int null_at = Chance(0.2) ? Int(0, n - 1) : -1;
    for (int i = 0; i < n; ++i) {
      Ex e = i == null_at  ? Ex{"NULL", "NULL", a.ty}
             : IsNum(a.ty) ? NumLiteral(true)
                           : Literal(a.ty, id_col != nullptr ? id_col->ids : nullptr);
      tq += (i ? ", " : "") + e.tq;
      sql += (i ? ", " : "") + e.sql;
    }
    return {tq + (brackets ? "])" : "))"), sql + "))", Ty::kBool};
  }

  Ex LikeLeaf(const std::vector<Col>& cols) {
    Ex a = StrExpr(cols);
    const char* op = Chance(0.3) ? " NOT LIKE " : " LIKE ";
    Ex p;
    if (Chance(0.08)) {
      p = StrExpr(cols);
    } else {
      const std::string& raw = Pick(kPatterns);
      p = {Quote(raw), Quote(raw), Ty::kStr};
      if (params != nullptr && Chance(0.1)) {
        params->push_back(Value::String(raw));
        p.tq = "?";
      }
    }
    return {"(" + a.tq + op + p.tq + ")", "(" + a.sql + op + p.sql + ")", Ty::kBool};
  }

  Ex BoolLeaf(const std::vector<Col>& cols) {
    std::vector<const Col*> bools = OfType(cols, Ty::kBool);
    if (bools.empty())
      return Leaf(cols);
    Ex b = Use(*Pick(bools));
    switch (Int(0, 5)) {
      case 0:
        return b;
      case 1:
        return {"(NOT " + b.tq + ")", "(NOT " + b.sql + ")", Ty::kBool};
      case 2: {
        // A comparison's result is a bool too.
        Ex c = Leaf(cols);
        std::string op = CmpOp(true);
        return {"(" + b.tq + " " + op + " " + c.tq + ")",
                "(" + b.sql + " " + op + " " + c.sql + ")", Ty::kBool};
      }
      default: {
        std::string op = CmpOp(true);
        Ex c = Chance(0.05) ? Ex{"NULL", "NULL", Ty::kBool} : Literal(Ty::kBool);
        return {"(" + b.tq + " " + op + " " + c.tq + ")",
                "(" + b.sql + " " + op + " " + c.sql + ")", Ty::kBool};
      }
    }
  }

  // A test the planner can answer from an index (or the id).
  Ex IndexedLeaf(const std::vector<Col>& cols) {
    std::vector<const Col*> idx;
    for (const Col& c : cols)
      if (c.indexed)
        idx.push_back(&c);
    if (idx.empty())
      return Leaf(cols);
    const Col& c = *Pick(idx);
    Ex a = Use(c);
    int k = Int(0, 5);
    if (k == 0)
      return InLeafOn(c);
    if (k == 1)
      return Between(cols, a);
    if (k == 2 && c.ty == Ty::kStr) {
      static const std::vector<std::string> kPrefixes = {"a%", "ab%", "ba%", "b%", "abc%", "A%"};
      std::string p = Quote(Pick(kPrefixes));
      return {"(" + a.tq + " LIKE " + p + ")", "(" + a.sql + " LIKE " + p + ")", Ty::kBool};
    }
    std::string op = k <= 3 ? "=" : CmpOp(false);
    Ex b = IsNum(c.ty) ? NumLiteral(true) : Literal(c.ty, c.ids);
    return {"(" + a.tq + " " + op + " " + b.tq + ")", "(" + a.sql + " " + op + " " + b.sql + ")",
            Ty::kBool};
  }

  Ex EqualsLiteral(const Col& c) {
    Ex a = Use(c);
    Ex b = IsNum(c.ty) ? NumLiteral(false) : Literal(c.ty, c.ids);
    return {"(" + a.tq + " = " + b.tq + ")", "(" + a.sql + " = " + b.sql + ")", Ty::kBool};
  }

  Ex InLeafOn(const Col& c) {
    Ex a = Use(c);
    std::string tq = "(" + a.tq + " IN (", sql = "(" + a.sql + " IN (";
    int n = Int(1, 4);
    for (int i = 0; i < n; ++i) {
      Ex e = IsNum(c.ty) ? NumLiteral(false) : Literal(c.ty, c.ids);
      tq += (i ? ", " : "") + e.tq;
      sql += (i ? ", " : "") + e.sql;
    }
    return {tq + "))", sql + "))", Ty::kBool};
  }

  Ex Cond(const std::vector<Col>& cols, int depth) {
    if (depth <= 0 || Chance(0.3))
      return Leaf(cols);
    int k = Int(0, 99);
    if (k < 15) {
      Ex a = Cond(cols, depth - 1);
      return {"(NOT " + a.tq + ")", "(NOT " + a.sql + ")", Ty::kBool};
    }
    const char* op = k < 60 ? " AND " : " OR ";
    Ex a = Cond(cols, depth - 1);
    Ex b = Cond(cols, depth - 1);
    return {"(" + a.tq + op + b.tq + ")", "(" + a.sql + op + b.sql + ")", Ty::kBool};
  }

  // An output value: a column, arithmetic, a string or a condition.
  Ex OutputExpr(const std::vector<Col>& cols) {
    switch (Int(0, 3)) {
      case 0:
        return NumExpr(cols, Int(1, 2));
      case 1:
        return StrExpr(cols);
      case 2:
        return Cond(cols, Int(0, 1));
      default:
        return Use(Pick(cols));
    }
  }

  // Arithmetic on a column: a bare integer in SQL's ORDER BY would be a
  // column number.
  Ex SortExpr(const std::vector<Col>& cols) {
    std::vector<const Col*> nums = OfType(cols, Ty::kInt);
    for (const Col* c : OfType(cols, Ty::kFloat))
      nums.push_back(c);
    Ex a = Use(*Pick(nums));
    Ex b = NumExpr(cols, 1);
    static const std::vector<std::string> kOps = {" + ", " - ", " * "};
    const std::string& op = Pick(kOps);
    Ty ty = a.ty == Ty::kInt && b.ty == Ty::kInt ? Ty::kInt : Ty::kFloat;
    return {"(" + a.tq + op + b.tq + ")", "(" + a.sql + op + b.sql + ")", ty};
  }

  // ORDER BY keys in both languages; NULLs last unless asked otherwise, the
  // subject id in the direction of the last key breaks ties.
  void OrderBy(const Scope& s, bool prefer_index, std::string* tq, std::string* sql) {
    std::vector<Value>* saved = params;
    params = nullptr;
    std::vector<const Col*> idx;
    for (const Col& c : s.cols)
      if (c.indexed)
        idx.push_back(&c);
    int n = prefer_index && !idx.empty() ? 1 : Int(1, 3);
    bool desc = false;
    *tq = " ORDER BY ";
    *sql = " ORDER BY ";
    for (int i = 0; i < n; ++i) {
      Ex k = prefer_index && !idx.empty() ? Use(*Pick(idx))
             : Chance(0.85)               ? Use(Pick(s.cols))
                                          : SortExpr(s.cols);
      desc = Chance(0.4);
      int nulls = Int(0, 19);  // 0, 1: NULLS FIRST; 2: NULLS LAST
      *tq += (i ? ", " : "") + k.tq +
             (desc           ? " DESC"
              : Chance(0.15) ? " ASC"
                             : "") +
             (nulls < 2    ? " NULLS FIRST"
              : nulls == 2 ? " NULLS LAST"
                           : "");
      *sql += (i ? ", " : "") + k.sql + (nulls < 2 ? " IS NOT NULL, " : " IS NULL, ") + k.sql +
              (desc ? " DESC" : "");
    }
    *sql += ", " + s.id_sql + (desc ? " DESC" : "");
    params = saved;
  }

  // " LIMIT n OFFSET m" in both languages (SQLite needs LIMIT before OFFSET).
  void LimitOffset(bool limit, bool offset, int max_limit, std::string* tq, std::string* sql) {
    auto num = [&](int v) {
      std::string text = std::to_string(v);
      if (params != nullptr && Chance(0.15)) {
        params->push_back(Value::Int(v));
        return std::pair<std::string, std::string>("?", text);
      }
      return std::pair<std::string, std::string>(text, text);
    };
    if (limit) {
      auto [t, s] = num(Chance(0.05) ? 0 : Int(1, max_limit));
      *tq += " LIMIT " + t;
      *sql += " LIMIT " + s;
    } else if (offset) {
      *sql += " LIMIT -1";
    }
    if (offset) {
      auto [t, s] = num(Int(0, 15));
      *tq += " OFFSET " + t;
      *sql += " OFFSET " + s;
    }
  }

  // An aggregate over the rows of the scope.
  Ex Aggregate(const std::vector<Col>& cols) {
    std::vector<const Col*> nonbool;
    for (const Col& c : cols)
      if (c.ty != Ty::kBool)
        nonbool.push_back(&c);
    switch (Int(0, 5)) {
      case 0:
        return {"count(*)", "count(*)", Ty::kInt};
      case 1: {
        const Col& c = Pick(cols);
        const char* d = Chance(0.2) ? "DISTINCT " : "";
        return {"count(" + std::string(d) + c.tq + ")", "count(" + std::string(d) + c.sql + ")",
                Ty::kInt};
      }
      case 2:
      case 3: {
        exact = true;
        Ex a = NumExpr(cols, Chance(0.7) ? 0 : 1);
        exact = false;
        bool avg = Chance(0.3);
        const char* d = Chance(0.15) ? "DISTINCT " : "";
        std::string f = avg ? "avg(" : "sum(";
        return {f + d + a.tq + ")", f + d + a.sql + ")", avg ? Ty::kFloat : a.ty};
      }
      default: {
        const Col& c = *Pick(nonbool);
        std::string f = Chance(0.5) ? "min(" : "max(";
        return {f + c.tq + ")", f + c.sql + ")", c.ty};
      }
    }
  }

 private:
  std::mt19937_64 rng_;
  int in_subquery_ = 0;  // IN (SELECT ...) levels around the expression being built
};

// ---------------------------------------------------------- the rig --

// A Trine database and an SQLite database holding the same data.
class Rig {
 public:
  Rig() {
    auto db = Database::Open(dir_.Sub("db"));
    if (db.ok())
      db_ = std::move(*db);
    if (db_ != nullptr)
      session_ = std::make_unique<Session>(*db_);
    Lite().Exec("PRAGMA case_sensitive_like = ON");
  }
  bool ok() const { return session_ != nullptr; }

  Session& session() { return *session_; }
  Sqlite& Lite() { return lite_; }

  // The schema text, shown with every mismatch.
  std::string schema;

  ::testing::AssertionResult Declare(const TypeSpec& t) {
    std::string text = SchemaText(t);
    schema += text + "\n";
    auto r = session_->Execute(text);
    if (!r.ok())
      return ::testing::AssertionFailure() << "TreeQL: " << r.status().ToString() << "\n" << text;
    std::string e = lite_.Exec(SqlCreate(t));
    if (!e.empty())
      return ::testing::AssertionFailure() << "SQLite: " << e;
    return ::testing::AssertionSuccess();
  }

  // Inserts `rows` into both (as one TreeQL script) and records the new ids.
  ::testing::AssertionResult Insert(const TypeSpec& t, const std::vector<std::vector<Value>>& rows,
                                    std::vector<int64_t>* ids) {
    std::string tq;
    for (const std::vector<Value>& r : rows) {
      tq += "INSERT " + t.name + " {";
      bool first = true;
      for (size_t i = 0; i < t.fields.size(); ++i) {
        if (r[i].is_null() && (i % 2 == 0))
          continue;  // absent; odd fields say NULL instead
        tq += std::string(first ? " " : ", ") + t.fields[i].name + ": " + LiteralText(r[i]);
        first = false;
      }
      tq += " };\n";
    }
    auto res = session_->Execute(tq);
    if (!res.ok())
      return ::testing::AssertionFailure() << "TreeQL INSERT: " << res.status().ToString();
    if (res->size() != rows.size())
      return ::testing::AssertionFailure() << "INSERT script gave " << res->size() << " results";
    std::string sql = "SAVEPOINT ins;";
    for (size_t k = 0; k < rows.size(); ++k) {
      const StatementResult& sr = (*res)[k];
      if (sr.ids.size() != 1 || sr.count != 1)
        return ::testing::AssertionFailure() << "INSERT result: " << sr.ToJson();
      int64_t id = static_cast<int64_t>(sr.ids[0]);
      ids->push_back(id);
      sql += "INSERT INTO " + t.name + "(rowid";
      for (const FieldSpec& f : t.fields)
        sql += ", " + f.name;
      sql += ") VALUES (" + std::to_string(id);
      for (const Value& v : rows[k])
        sql += ", " + LiteralText(v);
      sql += ");";
    }
    std::string e = lite_.Exec(sql + "RELEASE ins;");
    if (!e.empty())
      return ::testing::AssertionFailure() << "SQLite: " << e;
    return ::testing::AssertionSuccess();
  }

  // Runs `q` on both and compares.
  // Runs `q` on both and compares; `prepared` runs it as a prepared
  // statement, twice (the second run reuses the plan).
  ::testing::AssertionResult Check(const Query& q, bool prepared = false) {
    Tree want;
    std::string err = Expected(lite_, q, &want);
    if (!err.empty())
      return ::testing::AssertionFailure() << "SQLite failed (a bug in the test): " << err << "\n"
                                           << Describe(q);
    if (verbose_)
      std::fprintf(stderr, "%s\n", q.tq.c_str());
    auto start = std::chrono::steady_clock::now();
    Result<StatementResult> res = Run(q, prepared);
    if (verbose_)
      std::fprintf(
          stderr, "  %.1f ms\n",
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    if (!res.ok())
      return ::testing::AssertionFailure() << "TreeQL failed" << (prepared ? " (prepared)" : "")
                                           << ": " << res.status().ToString() << "\n"
                                           << Describe(q) << "expected: " << ToJson(want) << "\n";
    StatementResult& r = *res;
    auto want_kind = q.scalar ? StatementResult::Kind::kValue : StatementResult::Kind::kRows;
    Tree got = std::move(r.value);
    Canonicalize(q, &got);
    std::string got_json = ToJson(got), want_json = ToJson(want);
    if (r.kind != want_kind || got_json != want_json)
      return ::testing::AssertionFailure()
             << "result mismatch" << (prepared ? " (prepared, second run)" : "") << "\n"
             << Describe(q) << "expected: " << want_json << "\ngot:      " << got_json
             << (r.kind != want_kind ? "\n(and the result kind differs)" : "") << "\n";
    ++checked;
    return ::testing::AssertionSuccess();
  }

  Result<StatementResult> Run(const Query& q, bool prepared) {
    if (prepared) {
      auto p = session_->Prepare(q.tq);
      if (!p.ok())
        return p.status();
      Result<StatementResult> first = (*p)->Run(q.params);
      if (!first.ok())
        return first;
      return (*p)->Run(q.params);
    }
    auto res = session_->Execute(q.tq, q.params);
    if (!res.ok())
      return res.status();
    if (res->size() != 1)
      return Status::InvalidArgument(std::to_string(res->size()) + " results");
    return std::move((*res)[0]);
  }

  // BEGIN on both.
  ::testing::AssertionResult Begin() { return Both("BEGIN"); }
  // COMMIT or ROLLBACK on both.
  ::testing::AssertionResult End(bool commit) { return Both(commit ? "COMMIT" : "ROLLBACK"); }

  // Declares `t` again in Trine only (index changes: SQLite needs none).
  ::testing::AssertionResult Redeclare(const TypeSpec& t) {
    std::string text = SchemaText(t);
    schema += text + "\n";
    auto r = session_->Execute(text);
    if (!r.ok())
      return ::testing::AssertionFailure() << "TreeQL: " << r.status().ToString() << "\n" << text;
    return ::testing::AssertionSuccess();
  }

  // Runs a write on both; the counts of written rows must agree.
  ::testing::AssertionResult Write(const std::string& tq, const QueryParams& params,
                                   const std::string& sql) {
    std::string e = lite_.Exec(sql);
    if (!e.empty())
      return ::testing::AssertionFailure() << "SQLite: " << e;
    int64_t want = lite_.changes();
    auto res = session_->Execute(tq, params);
    std::string where = "schema:\n" + schema + "TreeQL: " + tq + "\nparams: " + ParamsText(params) +
                        "\nSQL:    " + sql + "\n";
    if (!res.ok())
      return ::testing::AssertionFailure() << "TreeQL failed: " << res.status().ToString() << "\n"
                                           << where;
    if (res->size() != 1 || static_cast<int64_t>((*res)[0].count) != want)
      return ::testing::AssertionFailure()
             << "write count mismatch: SQLite " << want << ", TreeQL "
             << (res->empty() ? std::string("nothing") : (*res)[0].ToJson()) << "\n"
             << where;
    return ::testing::AssertionSuccess();
  }

  std::string Describe(const Query& q) const {
    std::ostringstream out;
    out << "schema:\n"
        << schema << "TreeQL: " << q.tq << "\nparams: " << ParamsText(q.params)
        << "\nSQL:    " << q.sql << "\n";
    for (const Item& it : q.items)
      if (!it.per_row_sql.empty())
        out << "  per row, " << it.key << ": " << it.per_row_sql << "\n";
    return out.str();
  }

  int checked = 0;

 private:
  ::testing::AssertionResult Both(const std::string& statement) {
    auto r = session_->Execute(statement);
    if (!r.ok())
      return ::testing::AssertionFailure()
             << "TreeQL " << statement << ": " << r.status().ToString();
    std::string e = lite_.Exec(statement);
    if (!e.empty())
      return ::testing::AssertionFailure() << "SQLite: " << e;
    return ::testing::AssertionSuccess();
  }

  // TRINE_DIFF_VERBOSE=1 prints every query before it runs (to find a hang).
  bool verbose_ = EnvInt("TRINE_DIFF_VERBOSE", 0) != 0;
  TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Session> session_;
  Sqlite lite_;
};

// The whole of a type, in id order, in both.
Query DumpQuery(const TypeSpec& t) {
  Query q;
  q.tq = "SELECT { * } FROM " + t.name + " ORDER BY id";
  q.sql = "SELECT rowid, rowid";
  q.items.push_back({"id", Ty::kId, "", {}, {}, true});
  for (const FieldSpec& f : t.fields) {
    q.sql += ", " + f.name;
    q.items.push_back({f.name, f.ty, "", {}, {}, true});
  }
  q.sql += " FROM " + t.name + " ORDER BY rowid";
  q.ordered = true;
  return q;
}

// ------------------------------------------------------- flat queries --

struct FlatType {
  TypeSpec spec;
  std::vector<int64_t> ids;  // live and deleted: both are worth asking for
  Scope scope;
};

TypeSpec RandomType(Gen& g, const std::string& name, const std::string& letters) {
  TypeSpec t;
  t.name = name;
  int n = g.Int(4, 7);
  for (int i = 0; i < n; ++i) {
    FieldSpec f;
    f.name = std::string(1, letters[static_cast<size_t>(i)]);
    // Every type gets an int and a string, so each kind of test has a column.
    f.ty = i == 0   ? Ty::kInt
           : i == 1 ? Ty::kStr
                    : g.Pick(std::vector<Ty>{Ty::kInt, Ty::kFloat, Ty::kStr, Ty::kBool});
    f.indexed = f.ty != Ty::kBool ? g.Chance(0.5) : g.Chance(0.2);
    f.null_rate = g.Int(10, 30) / 100.0;
    t.fields.push_back(f);
  }
  return t;
}

Scope FlatScope(const FlatType& t) {
  Scope s;
  s.id_sql = "rowid";
  for (const FieldSpec& f : t.spec.fields)
    s.cols.push_back({f.name, f.name, f.ty, f.indexed, nullptr});
  s.cols.push_back({"id", "rowid", Ty::kId, true, &t.ids});
  return s;
}

Query FlatQuery(Gen& g, const FlatType& t) {
  Query q;
  g.params = &q.params.positional;
  const std::vector<Col>& cols = t.scope.cols;
  int form = g.Int(0, 99);
  std::string tq = "SELECT ", sql = "SELECT rowid";
  bool rows = form < 65;
  if (form < 50) {
    if (g.Chance(0.05)) {
      tq += "{ * }";
      q.items = DumpQuery(t.spec).items;
      sql += ", rowid";
      for (const FieldSpec& f : t.spec.fields)
        sql += ", " + f.name;
    } else {
      int n = g.Int(1, 4);
      std::vector<std::string> used;
      tq += "{ ";
      for (int i = 0; i < n; ++i) {
        if (g.Chance(0.65)) {
          const Col& c = g.Pick(cols);
          if (std::find(used.begin(), used.end(), c.tq) != used.end())
            continue;
          used.push_back(c.tq);
          tq += (q.items.empty() ? "" : ", ") + c.tq;
          sql += ", " + c.sql;
          q.items.push_back({c.tq, c.ty, "", {}, {}, true});
        } else {
          Ex e = g.OutputExpr(cols);
          std::string key = "e" + std::to_string(i);
          tq += (q.items.empty() ? "" : ", ") + key + ": " + e.tq;
          sql += ", " + e.sql;
          q.items.push_back({key, e.ty, "", {}, {}, true});
        }
      }
      tq += " }";
    }
  } else if (form < 65) {
    Ex e = g.Chance(0.6) ? Gen::Use(g.Pick(cols)) : g.OutputExpr(cols);
    tq += e.tq;
    sql += ", " + e.sql;
    q.shape = false;
    q.items.push_back({"value", e.ty, "", {}, {}, true});
  } else if (form < 82) {
    q.scalar = true;
    q.shape = false;
    Ex e = g.Chance(0.5) ? Ex{"count(*)", "count(*)", Ty::kInt} : g.Aggregate(cols);
    tq += e.tq;
    sql = "SELECT 0, " + e.sql;
    q.items.push_back({"value", e.ty, "", {}, {}, true});
  } else {
    q.scalar = true;
    tq += "{ ";
    sql = "SELECT 0";
    int n = g.Int(1, 5);
    for (int i = 0; i < n; ++i) {
      Ex e = g.Aggregate(cols);
      std::string key = "g" + std::to_string(i);
      tq += (i ? ", " : "") + key + ": " + e.tq;
      sql += ", " + e.sql;
      q.items.push_back({key, e.ty, "", {}, {}, true});
    }
    tq += " }";
  }
  tq += " FROM " + t.spec.name;
  sql += " FROM " + t.spec.name;
  if (g.Chance(0.85)) {
    Ex w = g.Cond(cols, g.Int(0, 3));
    tq += " WHERE " + w.tq;
    sql += " WHERE " + w.sql;
  }
  if (rows) {
    bool limit = g.Chance(0.45), offset = g.Chance(0.15);
    if (limit || offset || g.Chance(0.6)) {
      std::string otq, osql;
      g.OrderBy(t.scope, limit && g.Chance(0.5), &otq, &osql);
      tq += otq;
      sql += osql;
      q.ordered = true;
    }
    g.LimitOffset(limit, offset, 30, &tq, &sql);
  }
  q.tq = tq;
  q.sql = sql;
  g.params = nullptr;
  return q;
}

// A value for `f` computed from the row (the old values, as in SQL).
Ex AssignedValue(Gen& g, const FieldSpec& f, const std::vector<Col>& cols) {
  if (g.Chance(0.1))
    return {"NULL", "NULL", f.ty};
  switch (f.ty) {
    case Ty::kInt:
      return g.Chance(0.4) ? g.Literal(Ty::kInt) : g.NumExpr(cols, 1, true);
    case Ty::kFloat: {
      if (g.Chance(0.4))
        return g.Literal(Ty::kFloat);
      g.exact = true;
      Ex e = g.NumExpr(cols, 1);
      g.exact = false;
      if (e.ty == Ty::kInt)
        return {"(" + e.tq + " + 0.00e0)", "(" + e.sql + " + 0.00e0)", Ty::kFloat};
      return e;
    }
    case Ty::kStr:
      return g.Chance(0.6) ? g.Literal(Ty::kStr) : g.StrExpr(cols);
    case Ty::kBool:
      return g.Chance(0.5) ? g.Literal(Ty::kBool) : g.Cond(cols, 0);
    case Ty::kId:
      break;
  }
  return {"NULL", "NULL", f.ty};
}

::testing::AssertionResult Mutate(Gen& g, Rig& rig, FlatType& t) {
  const std::vector<Col>& cols = t.scope.cols;
  int k = g.Int(0, 11);
  if (k < 3) {
    std::vector<std::vector<Value>> rows(static_cast<size_t>(g.Int(1, 12)));
    for (auto& r : rows)
      for (const FieldSpec& f : t.spec.fields)
        r.push_back(g.DataValue(f));
    return rig.Insert(t.spec, rows, &t.ids);
  }
  if (k >= 10) {
    // SET / RETRACT one attribute of a live subject.
    std::vector<std::vector<Value>> ids;
    std::string e =
        rig.Lite().Query("SELECT rowid FROM " + t.spec.name + " ORDER BY rowid", {Ty::kInt}, &ids);
    if (!e.empty())
      return ::testing::AssertionFailure() << "SQLite: " << e;
    if (ids.empty())  // every row of the type was deleted: nothing to set
      return ::testing::AssertionSuccess();
    std::string id = std::to_string(g.Pick(ids)[0].as_int());
    const FieldSpec& f = g.Pick(t.spec.fields);
    Ex v = k == 10 ? g.Literal(f.ty) : Ex{"NULL", "NULL", f.ty};
    std::string tq = k == 10 ? "SET " + t.spec.name + "[" + id + "]." + f.name + " = " + v.tq
                             : "RETRACT " + t.spec.name + "[" + id + "]." + f.name;
    return rig.Write(
        tq, {},
        "UPDATE " + t.spec.name + " SET " + f.name + " = " + v.sql + " WHERE rowid = " + id);
  }
  // SQLite evaluates an UPDATE's or DELETE's WHERE row by row as it writes,
  // so a sub-query of the written type can see rows the statement already
  // changed (an `IN (SELECT ...)` behind an OR is first run midway). TreeQL
  // evaluates the whole statement against the state before it, as SQL
  // means; so the SQLite side first computes the rows and the new values
  // into a temporary table, then writes from it.
  QueryParams params;
  g.params = &params.positional;
  std::string tq, snap = "SELECT rowid AS id", sql;
  if (k < 8) {
    tq = "UPDATE " + t.spec.name + " SET ";
    sql = "UPDATE " + t.spec.name + " SET ";
    int n = g.Int(1, 2);
    std::vector<size_t> done;
    for (int i = 0; i < n; ++i) {
      size_t fi = static_cast<size_t>(g.Int(0, static_cast<int>(t.spec.fields.size()) - 1));
      if (std::find(done.begin(), done.end(), fi) != done.end())
        continue;
      const FieldSpec& f = t.spec.fields[fi];
      Ex v = AssignedValue(g, f, cols);
      std::string col = "v" + std::to_string(done.size());
      tq += (done.empty() ? "" : ", ") + f.name + " = " + v.tq;
      snap += ", (" + v.sql + ") AS " + col;
      sql += (done.empty() ? "" : ", ") + f.name + " = (SELECT " + col +
             " FROM temp.snap WHERE snap.id = " + t.spec.name + ".rowid)";
      done.push_back(fi);
    }
  } else {
    tq = "DELETE FROM " + t.spec.name;
    sql = "DELETE FROM " + t.spec.name;
  }
  snap += " FROM " + t.spec.name;
  if (k >= 8 || g.Chance(0.95)) {
    // Deletes stay narrow so that the tables keep most of their rows.
    Ex w = k < 8           ? g.Cond(cols, g.Int(0, 2))
           : g.Chance(0.5) ? g.InLeafOn(cols.back())
                           : g.EqualsLiteral(g.Pick(cols));
    tq += " WHERE " + w.tq;
    snap += " WHERE " + w.sql;
  }
  sql = "DROP TABLE IF EXISTS temp.snap; CREATE TEMP TABLE snap AS " + snap + "; " + sql +
        " WHERE rowid IN (SELECT id FROM temp.snap);";
  g.params = nullptr;
  return rig.Write(tq, params, sql);
}

TEST(DifferentialTest, FlatQueries) {
  uint64_t seed = TestSeed();
  Gen g(seed);
  const int64_t total = EnvInt("TRINE_DIFF_QUERIES", 3000);
  const int kSchemas = 3;
  int64_t done = 0;
  for (int round = 0; round < kSchemas; ++round) {
    Rig rig;
    ASSERT_TRUE(rig.ok());
    std::vector<FlatType> types(static_cast<size_t>(g.Int(2, 3)));
    static const std::vector<std::string> kLetters = {"abcdefg", "hjklmnq", "rstuvwx"};
    for (size_t i = 0; i < types.size(); ++i) {
      FlatType& t = types[i];
      t.spec = RandomType(g, "T" + std::to_string(i + 1), kLetters[i]);
      ASSERT_TRUE(rig.Declare(t.spec));
      std::vector<std::vector<Value>> rows(static_cast<size_t>(g.Int(200, 400)));
      for (auto& r : rows)
        for (const FieldSpec& f : t.spec.fields)
          r.push_back(g.DataValue(f));
      for (size_t at = 0; at < rows.size(); at += 100) {
        std::vector<std::vector<Value>> part(
            rows.begin() + static_cast<std::ptrdiff_t>(at),
            rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), at + 100)));
        ASSERT_TRUE(rig.Insert(t.spec, part, &t.ids));
      }
      t.scope = FlatScope(t);
    }
    g.others.clear();
    for (FlatType& t : types)
      g.others.emplace_back(t.spec.name, &t.scope);
    for (FlatType& t : types)
      ASSERT_TRUE(rig.Check(DumpQuery(t.spec)));
    int64_t quota = (total - done) / (kSchemas - round);
    for (int64_t i = 0; i < quota; ++i) {
      FlatType& t = types[static_cast<size_t>(g.Int(0, static_cast<int>(types.size()) - 1))];
      ASSERT_TRUE(rig.Check(FlatQuery(g, t), g.Chance(0.1)))
          << "query " << done + i << ", seed " << seed;
      if (i % 60 != 59)
        continue;
      // Writes; sometimes in a transaction, with queries that must see its
      // own writes, committed or rolled back.
      bool txn = g.Chance(0.3);
      if (txn) {
        ASSERT_TRUE(rig.Begin());
      }
      for (int m = g.Int(2, 5); m > 0; --m) {
        ASSERT_TRUE(Mutate(g, rig, t)) << "seed " << seed;
        if (txn) {
          ASSERT_TRUE(rig.Check(FlatQuery(g, t))) << "in a transaction, seed " << seed;
        }
      }
      if (txn) {
        ASSERT_TRUE(rig.Check(DumpQuery(t.spec))) << "in a transaction, seed " << seed;
        ASSERT_TRUE(rig.End(g.Chance(0.7)));
      }
      ASSERT_TRUE(rig.Check(DumpQuery(t.spec))) << "after writes, seed " << seed;
      if (g.Chance(0.15)) {
        // An index built or dropped under the data.
        FieldSpec& f =
            t.spec
                .fields[static_cast<size_t>(g.Int(0, static_cast<int>(t.spec.fields.size()) - 1))];
        f.indexed = !f.indexed;
        ASSERT_TRUE(rig.Redeclare(t.spec));
        t.scope = FlatScope(t);
      }
    }
    done += quota;
  }
  EXPECT_GE(done, total);
}

// ----------------------------------------------------- nested queries --

struct NestedData {
  TypeSpec parent, child;
  std::vector<int64_t> parent_ids, child_ids;
  Scope p, c, cf;  // parents; children; children with paths through their parent
};

void ChildFilter(Gen& g, const NestedData& d, const std::string& sql_parent, std::string* tq_cond,
                 std::string* sql_cond, bool allow_empty) {
  static const std::vector<std::string> kLinks = {"c.parent = p", "c.parent = p.id",
                                                  "p = c.parent"};
  std::string link = g.Pick(kLinks);
  *tq_cond = " WHERE " + link;
  *sql_cond = " WHERE c.parent = " + sql_parent;
  if (allow_empty && g.Chance(0.3))
    return;
  // Some conditions also look at the enclosing parent's row.
  std::vector<Col> cols = d.c.cols;
  if (g.Chance(0.3))
    for (const Col& pc : d.p.cols)
      cols.push_back(pc);
  Ex w = g.Cond(cols, g.Int(0, 2));
  *tq_cond += " AND " + w.tq;
  *sql_cond += " AND " + w.sql;
}

// An item of a child row inside a parent's array: a child column, a path
// back to the parent, or a third level that sees both enclosing rows.
Ex SiblingItem(Gen& g, const NestedData& d) {
  int k = g.Int(0, 9);
  if (k < 7)
    return Gen::Use(g.Pick(d.c.cols));
  if (k < 8) {
    const FieldSpec& f = g.Pick(d.parent.fields);
    return {"c.parent." + f.name, "p." + f.name, f.ty};
  }
  static const std::vector<std::pair<std::string, std::string>> kTests = {
      {"s.x > c.x", "s.x > c.x"},
      {"s.y = c.y", "s.y = c.y"},
      {"s.id < c.id", "s.rowid < c.rowid"},
      {"s.z <= c.z", "s.z <= c.z"},
      {"s.x = p.a", "s.x = p.a"}};
  const auto& [tq, sql] = g.Pick(kTests);
  return {"count(SELECT s FROM Child AS s WHERE s.parent = p AND " + tq + ")",
          "(SELECT count(*) FROM Child s WHERE s.parent = p.rowid AND " + sql + ")", Ty::kInt};
}

Query NestedQuery(Gen& g, const NestedData& d) {
  Query q;
  g.params = &q.params.positional;
  std::string tq = "SELECT { ", sql = "SELECT p.rowid";
  if (g.Chance(0.05)) {
    // An aggregate over children, filtered through their parent reference.
    Ex e = g.Aggregate(d.cf.cols);
    q.tq = "SELECT " + e.tq + " FROM Child AS c";
    q.sql = "SELECT 0, " + e.sql + " FROM Child c LEFT JOIN Parent pp ON pp.rowid = c.parent";
    Ex w = g.Cond(d.cf.cols, g.Int(0, 3));
    q.tq += " WHERE " + w.tq;
    q.sql += " WHERE " + w.sql;
    q.scalar = true;
    q.shape = false;
    q.items.push_back({"value", e.ty, "", {}, {}, true});
    g.params = nullptr;
    return q;
  }
  if (g.Chance(0.25)) {
    // Children with paths forward through their parent reference.
    sql = "SELECT c.rowid";
    int n = g.Int(1, 4);
    for (int i = 0; i < n; ++i) {
      const Col& c = g.Pick(d.cf.cols);
      std::string key = "f" + std::to_string(i);
      tq += (i ? ", " : "") + key + ": " + c.tq;
      sql += ", " + c.sql;
      q.items.push_back({key, c.ty, "", {}, {}, true});
    }
    tq += " } FROM Child AS c";
    sql += " FROM Child c LEFT JOIN Parent pp ON pp.rowid = c.parent";
    if (g.Chance(0.9)) {
      Ex w = g.Cond(d.cf.cols, g.Int(0, 3));
      tq += " WHERE " + w.tq;
      sql += " WHERE " + w.sql;
    }
    bool limit = g.Chance(0.6), offset = g.Chance(0.1);
    if (limit || offset || g.Chance(0.5)) {
      std::string otq, osql;
      g.OrderBy(d.cf, limit && g.Chance(0.4), &otq, &osql);
      tq += otq;
      sql += osql;
      q.ordered = true;
    }
    g.LimitOffset(limit, offset, 40, &tq, &sql);
    q.tq = tq;
    q.sql = sql;
    g.params = nullptr;
    return q;
  }
  int n = g.Int(2, 6);
  std::vector<std::string> used;
  for (int i = 0; i < n; ++i) {
    std::string key = "k" + std::to_string(i);
    std::string sep = q.items.empty() ? "" : ", ";
    int k = g.Int(0, 11);
    if (k <= 1) {
      const Col& c = g.Pick(d.p.cols);
      std::string name = c.tq.substr(2);
      if (std::find(used.begin(), used.end(), name) != used.end())
        continue;
      used.push_back(name);
      tq += sep + (g.Chance(0.5) ? name : c.tq);
      sql += ", " + c.sql;
      q.items.push_back({name, c.ty, "", {}, {}, true});
    } else if (k <= 4) {
      // An array sub-query per parent.
      Item it;
      it.key = key;
      std::string stq = "[SELECT ", ssql = "SELECT ";
      if (g.Chance(0.7)) {
        stq += "{ ";
        int m = g.Int(1, 3);
        for (int j = 0; j < m; ++j) {
          std::string sk = "s" + std::to_string(j);
          Ex e = SiblingItem(g, d);
          stq += (j ? ", " : "") + sk + ": " + e.tq;
          ssql += (j ? ", " : "") + e.sql;
          it.sub_keys.push_back(sk);
          it.sub_types.push_back(e.ty);
        }
        stq += " }";
      } else {
        const Col& c = g.Pick(d.c.cols);
        stq += c.tq;
        ssql += c.sql;
        it.ty = c.ty;
      }
      std::string ctq, csql;
      ChildFilter(g, d, "p.rowid", &ctq, &csql, true);
      stq += " FROM Child AS c" + ctq;
      ssql += " FROM Child c, Parent p" + csql + " AND p.rowid = ?1";
      bool limit = g.Chance(0.5);
      it.sub_ordered = false;
      if (limit || g.Chance(0.6)) {
        std::string otq, osql;
        g.OrderBy(d.c, false, &otq, &osql);
        stq += otq;
        ssql += osql;
        it.sub_ordered = true;
      }
      g.LimitOffset(limit, limit && g.Chance(0.2), 4, &stq, &ssql);
      tq += sep + key + ": " + stq + "]";
      it.per_row_sql = ssql;
      q.items.push_back(std::move(it));
    } else if (k <= 7) {
      // count / exists / a scalar aggregate of the parent's children.
      std::string ctq, csql;
      int kind = g.Int(0, 2);
      std::string head = kind == 0   ? "count(SELECT c FROM Child AS c"
                         : kind == 1 ? "exists(SELECT c FROM Child AS c"
                                     : "";
      Ex agg;
      if (kind == 2) {
        std::vector<Value>* saved = g.params;
        g.params = nullptr;
        agg = g.Aggregate(d.c.cols);
        g.params = saved;
        head = "(SELECT " + agg.tq + " FROM Child AS c";
      }
      tq += sep + key + ": " + head;
      ChildFilter(g, d, "p.rowid", &ctq, &csql, true);
      tq += ctq + ")";
      if (kind == 0)
        sql += ", (SELECT count(*) FROM Child c" + csql + ")";
      else if (kind == 1)
        sql += ", EXISTS (SELECT 1 FROM Child c" + csql + ")";
      else
        sql += ", (SELECT " + agg.sql + " FROM Child c" + csql + ")";
      q.items.push_back({key,
                         kind == 0   ? Ty::kInt
                         : kind == 1 ? Ty::kBool
                                     : agg.ty,
                         "",
                         {},
                         {},
                         true});
    } else if (k <= 9) {
      // Reverse paths: the children's ids or one of their fields, in no particular order.
      Item it;
      it.key = key;
      it.sub_ordered = false;
      if (g.Chance(0.5)) {
        tq += sep + key + ": p<-Child.parent";
        it.ty = Ty::kId;
        it.per_row_sql = "SELECT c.rowid FROM Child c WHERE c.parent = ?1";
      } else {
        const FieldSpec& f = d.child.fields[static_cast<size_t>(g.Int(1, 4))];
        tq += sep + key + ": p<-Child.parent." + f.name;
        it.ty = f.ty;
        it.per_row_sql = "SELECT c." + f.name + " FROM Child c WHERE c.parent = ?1";
      }
      q.items.push_back(std::move(it));
    } else if (k == 10) {
      tq += sep + key + ": count(p<-Child.parent)";
      sql += ", (SELECT count(*) FROM Child c WHERE c.parent = p.rowid)";
      q.items.push_back({key, Ty::kInt, "", {}, {}, true});
    } else {
      Ex e = g.OutputExpr(d.p.cols);
      tq += sep + key + ": " + e.tq;
      sql += ", " + e.sql;
      q.items.push_back({key, e.ty, "", {}, {}, true});
    }
  }
  if (q.items.empty()) {
    tq += "id";
    sql += ", p.rowid";
    q.items.push_back({"id", Ty::kId, "", {}, {}, true});
  }
  tq += " } FROM Parent AS p";
  sql += " FROM Parent p";
  if (g.Chance(0.8)) {
    // Parent conditions may test their children too.
    std::vector<Col> cols = d.p.cols;
    std::vector<Value>* saved = g.params;
    g.params = nullptr;
    if (g.Chance(0.4)) {
      std::string ctq, csql;
      ChildFilter(g, d, "p.rowid", &ctq, &csql, true);
      cols.push_back({"count(SELECT c FROM Child AS c" + ctq + ")",
                      "(SELECT count(*) FROM Child c" + csql + ")", Ty::kInt, false, nullptr});
    }
    if (g.Chance(0.3)) {
      std::string ctq, csql;
      ChildFilter(g, d, "p.rowid", &ctq, &csql, false);
      cols.push_back({"exists(SELECT c FROM Child AS c" + ctq + ")",
                      "EXISTS (SELECT 1 FROM Child c" + csql + ")", Ty::kBool, false, nullptr});
    }
    if (g.Chance(0.2))
      cols.push_back({"count(p<-Child.parent)",
                      "(SELECT count(*) FROM Child c WHERE c.parent = p.rowid)", Ty::kInt, false,
                      nullptr});
    g.params = saved;
    Ex w = g.Cond(cols, g.Int(0, 2));
    tq += " WHERE " + w.tq;
    sql += " WHERE " + w.sql;
  }
  bool limit = g.Chance(0.7), offset = g.Chance(0.1);
  if (limit || offset || g.Chance(0.5)) {
    std::string otq, osql;
    g.OrderBy(d.p, limit && g.Chance(0.4), &otq, &osql);
    tq += otq;
    sql += osql;
    q.ordered = true;
  }
  g.LimitOffset(limit, offset, 20, &tq, &sql);
  q.tq = tq;
  q.sql = sql;
  g.params = nullptr;
  return q;
}

TEST(DifferentialTest, NestedQueries) {
  uint64_t seed = TestSeed();
  Gen g(seed);
  const int64_t total = EnvInt("TRINE_DIFF_NESTED_QUERIES", 400);
  Rig rig;
  ASSERT_TRUE(rig.ok());
  NestedData d;
  d.parent.name = "Parent";
  d.parent.fields = {{"a", Ty::kInt, g.Chance(0.6), "", 0.15},
                     {"b", Ty::kStr, g.Chance(0.5), "", 0.15},
                     {"e", Ty::kFloat, g.Chance(0.3), "", 0.2},
                     {"h", Ty::kBool, false, "", 0.2}};
  d.child.name = "Child";
  d.child.fields = {{"parent", Ty::kId, true, "Parent", 0},
                    {"x", Ty::kInt, g.Chance(0.6), "", 0.15},
                    {"y", Ty::kStr, g.Chance(0.5), "", 0.15},
                    {"z", Ty::kFloat, g.Chance(0.3), "", 0.2},
                    {"w", Ty::kBool, false, "", 0.2}};
  ASSERT_TRUE(rig.Declare(d.parent));
  ASSERT_TRUE(rig.Declare(d.child));
  auto load_parents = [&](int n) {
    std::vector<std::vector<Value>> rows(static_cast<size_t>(n));
    for (auto& r : rows)
      for (const FieldSpec& f : d.parent.fields)
        r.push_back(g.DataValue(f));
    return rig.Insert(d.parent, rows, &d.parent_ids);
  };
  auto load_children = [&](int n) {
    std::vector<std::vector<Value>> rows(static_cast<size_t>(n));
    for (auto& r : rows) {
      // Uneven families; the last fifth of the parents has none.
      size_t four_fifths = d.parent_ids.size() * 4 / 5;
      int pick = g.Int(0, static_cast<int>(four_fifths) - 1);
      pick = pick * g.Int(0, 100) / 100;
      r.push_back(g.Chance(0.1) ? Value() : Value::Int(d.parent_ids[static_cast<size_t>(pick)]));
      for (size_t i = 1; i < d.child.fields.size(); ++i)
        r.push_back(g.DataValue(d.child.fields[i]));
    }
    for (size_t at = 0; at < rows.size(); at += 100) {
      std::vector<std::vector<Value>> part(
          rows.begin() + static_cast<std::ptrdiff_t>(at),
          rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), at + 100)));
      auto r = rig.Insert(d.child, part, &d.child_ids);
      if (!r)
        return r;
    }
    return ::testing::AssertionSuccess();
  };
  ASSERT_TRUE(load_parents(100));
  ASSERT_TRUE(load_children(600));

  auto col = [](const std::string& alias, const FieldSpec& f) {
    return Col{alias + "." + f.name, alias + "." + f.name, f.ty, f.indexed, nullptr};
  };
  for (const FieldSpec& f : d.parent.fields)
    d.p.cols.push_back(col("p", f));
  d.p.cols.push_back({"p.id", "p.rowid", Ty::kId, true, &d.parent_ids});
  d.p.id_sql = "p.rowid";
  for (const FieldSpec& f : d.child.fields)
    d.c.cols.push_back(col("c", f));
  d.c.cols[0].ids = &d.parent_ids;
  d.c.cols.push_back({"c.id", "c.rowid", Ty::kId, true, &d.child_ids});
  d.c.id_sql = "c.rowid";
  d.cf = d.c;
  for (const FieldSpec& f : d.parent.fields)
    d.cf.cols.push_back({"c.parent." + f.name, "pp." + f.name, f.ty, false, nullptr});

  ASSERT_TRUE(rig.Check(DumpQuery(d.parent)));
  ASSERT_TRUE(rig.Check(DumpQuery(d.child)));
  for (int64_t i = 0; i < total; ++i) {
    ASSERT_TRUE(rig.Check(NestedQuery(g, d))) << "query " << i << ", seed " << seed;
    if (i == total / 2) {
      // Dangling references (deleted parents), moved and orphaned children.
      QueryParams none;
      std::string ids;
      for (int k = 0; k < 5; ++k)
        ids += (k ? ", " : "") + std::to_string(g.Pick(d.parent_ids));
      ASSERT_TRUE(rig.Write("DELETE FROM Parent WHERE id IN (" + ids + ")", none,
                            "DELETE FROM Parent WHERE rowid IN (" + ids + ")"));
      for (int k = 0; k < 20; ++k) {
        std::string child = std::to_string(g.Pick(d.child_ids));
        std::string to = g.Chance(0.2) ? "NULL" : std::to_string(g.Pick(d.parent_ids));
        ASSERT_TRUE(rig.Write("UPDATE Child SET parent = " + to + " WHERE id = " + child, none,
                              "UPDATE Child SET parent = " + to + " WHERE rowid = " + child));
      }
      ASSERT_TRUE(load_parents(10));
      ASSERT_TRUE(load_children(40));
      ASSERT_TRUE(rig.Check(DumpQuery(d.child)));
    }
  }
}

}  // namespace
}  // namespace trine
