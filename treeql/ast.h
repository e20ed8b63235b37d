// The syntax tree of TreeQL statements, as produced by treeql/parser.h and
// consumed by the binder. Every node keeps the byte offset of its first
// character in the statement text (`pos`), so that errors found while binding
// or executing can point at the source with a caret.
//
// Expressions are one "fat" node type (Expr) rather than a class hierarchy:
// the binder walks them with a switch on `kind`, and the parser fills only the
// members the kind uses (listed next to each kind).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trine/value.h"

namespace trine::treeql::ast {

enum class Op : unsigned char {
  kOr,
  kAnd,
  kNot,  // unary
  kNeg,  // unary minus
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kConcat,  // ||
};

struct Query;
struct Shape;

// One step of a path. The first step names an alias or a field of a row in
// scope; later steps follow references (`o.buyer.name`). A reverse step
// `x<-Post.author` (reverse_type "Post", name "author") stands for the Post
// subjects whose `author` refers to x.
struct PathStep {
  uint32_t pos = 0;
  std::string name;          // identifier as written, or "#7" for a field number
  std::string reverse_type;  // non-empty: a reverse step `<-Type.name`
};

struct Expr {
  enum class Kind : unsigned char {
    kLiteral,   // literal
    kParam,     // param_index (`?`, 0-based in order of appearance) or param_name (`:name`)
    kPath,      // path (at least one step)
    kUnary,     // op (kNot, kNeg), args = [operand]
    kBinary,    // op, args = [left, right]
    kIsNull,    // args = [operand]; negated: IS NOT NULL
    kIn,        // args = [operand, item...] or query (`x IN (SELECT ...)`); negated: NOT IN
    kLike,      // args = [operand, pattern]; negated: NOT LIKE
    kBetween,   // args = [operand, low, high]; negated: NOT BETWEEN
    kCall,      // name (lower-case), distinct, args, or query for `count(SELECT ...)`;
                // star for `count(*)`
    kSubquery,  // query; form says `(SELECT ...)` (one value) or `[SELECT ...]` (array)
    kList,      // args = items of `[a, b, c]`
    kShape,     // shape (a nested `{ ... }` used as a value)
    kCase,      // args = [when1, then1, when2, then2, ..., else]; has_else
  };
  enum class Form : unsigned char { kScalar, kArray };

  Kind kind = Kind::kLiteral;
  uint32_t pos = 0;

  Value literal;
  int param_index = -1;
  std::string param_name;
  std::vector<PathStep> path;
  Op op = Op::kEq;
  bool negated = false;
  std::vector<Expr> args;
  std::string name;
  bool distinct = false;
  bool star = false;
  bool has_else = false;
  std::shared_ptr<Query> query;
  Form form = Form::kScalar;
  std::shared_ptr<Shape> shape;
};

struct ShapeItem {
  enum class Kind : unsigned char {
    kKeyed,  // `key: expr` (key is an identifier or a string literal)
    kPath,   // a bare path `u.name`, same as `name: u.name` (key left empty)
    kStar,   // `*`
  };
  Kind kind = Kind::kKeyed;
  uint32_t pos = 0;
  std::string key;
  Expr expr;  // kKeyed, kPath (a kPath expression)
};

struct Shape {
  uint32_t pos = 0;
  std::vector<ShapeItem> items;
};

struct OrderItem {
  enum class Nulls : unsigned char { kDefault, kFirst, kLast };
  uint32_t pos = 0;
  Expr expr;
  bool descending = false;
  Nulls nulls = Nulls::kDefault;
};

struct Query {
  uint32_t pos = 0;  // the SELECT keyword
  // The projection: a shape `{ ... }`, or an expression (one value per row).
  std::shared_ptr<Shape> shape;
  std::optional<Expr> expr;
  // FROM; empty type: `SELECT expr` without FROM (one value).
  std::string type;
  uint32_t type_pos = 0;
  std::string alias;
  uint32_t alias_pos = 0;
  std::optional<Expr> where;
  std::vector<Expr> group_by;  // GROUP BY keys: one result row per distinct key
  uint32_t group_pos = 0;      // the GROUP keyword
  std::vector<OrderItem> order_by;
  std::optional<Expr> limit;
  std::optional<Expr> offset;
};

struct Assignment {
  uint32_t pos = 0;
  std::string field;  // identifier or "#7"
  Expr value;
};

// `Type[expr].field` in SET and RETRACT.
struct TripleRef {
  std::string type;
  uint32_t type_pos = 0;
  Expr subject;
  std::string field;  // identifier, or "#7" (written `.7` or `.#7`)
  uint32_t field_pos = 0;
};

struct Statement {
  enum class Kind : unsigned char {
    kSelect,    // [LIVE] query
    kExplain,   // EXPLAIN [LIVE] query
    kInsert,    // INSERT type values
    kUpdate,    // UPDATE type [AS alias] SET assignments [WHERE where]
    kDelete,    // DELETE FROM type [AS alias] [WHERE where]
    kSet,       // SET triple = value
    kRetract,   // RETRACT triple
    kBegin,     // BEGIN [DURABLE]
    kCommit,    // COMMIT
    kRollback,  // ROLLBACK
    kRefresh,   // REFRESH VIEW type
    kSchema,    // TABLE ... { ... }: schema_text is passed to the schema parser
  };
  Kind kind = Kind::kSelect;
  uint32_t pos = 0;  // first character of the statement
  uint32_t end = 0;  // one past its last character (before the `;`)

  bool live = false;
  Query query;

  std::string type;
  uint32_t type_pos = 0;
  std::string alias;
  Shape values;  // INSERT: keyed items only
  std::vector<Assignment> assignments;
  std::optional<Expr> where;

  TripleRef triple;
  std::optional<Expr> value;  // SET

  bool durable = false;  // BEGIN DURABLE

  std::string schema_text;  // kSchema: the text of [pos, end)
};

}  // namespace trine::treeql::ast
