// TreeQL parser: golden ASTs (printed as S-expressions), golden error messages with their caret
// lines, node positions, IsComplete, and mutated statements that must never crash.
//
//   TRINE_TREEQL_FUZZ_SEED=1234 ./treeql_test --gtest_filter='TreeqlParser*'
#include "treeql/parser.h"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/util/test_util.h"
#include "treeql/ast.h"
#include "trine/value.h"

namespace trine::treeql {
namespace {

using ast::Expr;

// ---- the AST as S-expressions ----

std::string DumpQuery(const ast::Query& q);
std::string DumpShape(const ast::Shape& s);

std::string DumpValue(const Value& v) {
  switch (v.type()) {
    case ValueType::kInt:
      return std::to_string(v.as_int());
    case ValueType::kDecimal:
      return "(dec " + v.as_decimal().ToString() + ")";
    case ValueType::kFloat: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof(buf), v.as_float());
      return "(float " + std::string(buf, r.ptr) + ")";
    }
    default:  // null, true, "text" (escaped), x'00ff'
      return v.ToString();
  }
}

const char* OpName(ast::Op op) {
  switch (op) {
    case ast::Op::kOr:
      return "or";
    case ast::Op::kAnd:
      return "and";
    case ast::Op::kNot:
      return "not";
    case ast::Op::kNeg:
      return "neg";
    case ast::Op::kEq:
      return "=";
    case ast::Op::kNe:
      return "!=";
    case ast::Op::kLt:
      return "<";
    case ast::Op::kLe:
      return "<=";
    case ast::Op::kGt:
      return ">";
    case ast::Op::kGe:
      return ">=";
    case ast::Op::kAdd:
      return "+";
    case ast::Op::kSub:
      return "-";
    case ast::Op::kMul:
      return "*";
    case ast::Op::kDiv:
      return "/";
    case ast::Op::kMod:
      return "%";
    case ast::Op::kConcat:
      return "||";
  }
  return "?";
}

std::string DumpExpr(const Expr& e) {
  auto args = [&e](size_t from) {
    std::string out;
    for (size_t i = from; i < e.args.size(); ++i)
      out += " " + DumpExpr(e.args[i]);
    return out;
  };
  auto neg = [&e](const char* name) { return std::string(e.negated ? "not-" : "") + name; };
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return DumpValue(e.literal);
    case Expr::Kind::kParam:
      return e.param_name.empty() ? "?" + std::to_string(e.param_index) : ":" + e.param_name;
    case Expr::Kind::kPath: {
      std::string out = "(path";
      for (const ast::PathStep& step : e.path) {
        out += " ";
        if (!step.reverse_type.empty())
          out += "<-" + step.reverse_type + ".";
        out += step.name;
      }
      return out + ")";
    }
    case Expr::Kind::kUnary:
    case Expr::Kind::kBinary:
      return std::string("(") + OpName(e.op) + args(0) + ")";
    case Expr::Kind::kIsNull:
      return std::string(e.negated ? "(is-not-null" : "(is-null") + args(0) + ")";
    case Expr::Kind::kIn:
      return "(" + neg("in") + args(0) + (e.query ? " " + DumpQuery(*e.query) : "") + ")";
    case Expr::Kind::kLike:
      return "(" + neg("like") + args(0) + ")";
    case Expr::Kind::kBetween:
      return "(" + neg("between") + args(0) + ")";
    case Expr::Kind::kCall:
      return "(call " + e.name + (e.distinct ? " distinct" : "") + (e.star ? " *" : "") + args(0) +
             (e.query ? " " + DumpQuery(*e.query) : "") + ")";
    case Expr::Kind::kSubquery:
      return std::string(e.form == Expr::Form::kScalar ? "(scalar " : "(array ") +
             DumpQuery(*e.query) + ")";
    case Expr::Kind::kList:
      return "(list" + args(0) + ")";
    case Expr::Kind::kShape:
      return DumpShape(*e.shape);
    case Expr::Kind::kCase: {
      std::string out = "(case";
      size_t whens = e.args.size() - (e.has_else ? 1 : 0);
      for (size_t i = 0; i + 1 < whens; i += 2)
        out += " (when " + DumpExpr(e.args[i]) + " " + DumpExpr(e.args[i + 1]) + ")";
      if (e.has_else)
        out += " (else " + DumpExpr(e.args.back()) + ")";
      return out + ")";
    }
  }
  return "?";
}

std::string DumpItems(const ast::Shape& s) {
  std::string out;
  for (const ast::ShapeItem& item : s.items) {
    switch (item.kind) {
      case ast::ShapeItem::Kind::kKeyed:
        out += " (key " + item.key + " " + DumpExpr(item.expr) + ")";
        break;
      case ast::ShapeItem::Kind::kPath:
        out += " " + DumpExpr(item.expr);
        break;
      case ast::ShapeItem::Kind::kStar:
        out += " *";
        break;
    }
  }
  return out;
}

std::string DumpShape(const ast::Shape& s) {
  return "(shape" + DumpItems(s) + ")";
}

std::string DumpQuery(const ast::Query& q) {
  std::string out = "(select ";
  out += q.shape ? DumpShape(*q.shape) : DumpExpr(*q.expr);
  if (!q.type.empty())
    out += " (from " + q.type + (q.alias.empty() ? "" : " " + q.alias) + ")";
  if (q.where)
    out += " (where " + DumpExpr(*q.where) + ")";
  if (!q.group_by.empty()) {
    out += " (group-by";
    for (const ast::Expr& g : q.group_by)
      out += " " + DumpExpr(g);
    out += ")";
  }
  if (!q.order_by.empty()) {
    out += " (order-by";
    for (const ast::OrderItem& o : q.order_by) {
      out += std::string(o.descending ? " (desc " : " (asc ") + DumpExpr(o.expr);
      if (o.nulls == ast::OrderItem::Nulls::kFirst)
        out += " nulls-first";
      if (o.nulls == ast::OrderItem::Nulls::kLast)
        out += " nulls-last";
      out += ")";
    }
    out += ")";
  }
  if (q.limit)
    out += " (limit " + DumpExpr(*q.limit) + ")";
  if (q.offset)
    out += " (offset " + DumpExpr(*q.offset) + ")";
  return out + ")";
}

std::string DumpStatement(const ast::Statement& st) {
  using K = ast::Statement::Kind;
  std::string where = st.where ? " (where " + DumpExpr(*st.where) + ")" : "";
  std::string alias = st.alias.empty() ? "" : " " + st.alias;
  switch (st.kind) {
    case K::kSelect:
      return st.live ? "(live " + DumpQuery(st.query) + ")" : DumpQuery(st.query);
    case K::kExplain:
      return std::string("(explain ") + (st.live ? "live " : "") + DumpQuery(st.query) + ")";
    case K::kInsert:
      return "(insert " + st.type + DumpItems(st.values) + ")";
    case K::kUpdate: {
      std::string out = "(update " + st.type + alias;
      for (const ast::Assignment& a : st.assignments)
        out += " (set " + a.field + " " + DumpExpr(a.value) + ")";
      return out + where + ")";
    }
    case K::kDelete:
      return "(delete " + st.type + alias + where + ")";
    case K::kSet:
      return "(set " + st.triple.type + " " + DumpExpr(st.triple.subject) + " " + st.triple.field +
             " " + DumpExpr(*st.value) + ")";
    case K::kRetract:
      return "(retract " + st.triple.type + " " + DumpExpr(st.triple.subject) + " " +
             st.triple.field + ")";
    case K::kBegin:
      return st.durable ? "(begin durable)" : "(begin)";
    case K::kCommit:
      return "(commit)";
    case K::kRollback:
      return "(rollback)";
    case K::kRefresh:
      return "(refresh-view " + st.type + ")";
    case K::kSchema:
      return "(table " + Value::String(st.schema_text).ToString() + ")";
  }
  return "?";
}

// The statements of `text`, one per line, or "error: <message>".
std::string Dump(std::string_view text) {
  auto r = Parse(text);
  if (!r.ok())
    return "error: " + r.status().message();
  std::string out;
  for (const ast::Statement& st : *r)
    out += (out.empty() ? "" : "\n") + DumpStatement(st);
  return out;
}

// The error message for `text` (which must not parse).
std::string Error(std::string_view text) {
  auto r = Parse(text);
  if (r.ok())
    return "parsed: " + Dump(text);
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  return r.status().message();
}

struct Golden {
  const char* text;
  const char* expected;
};

void CheckGoldens(const std::vector<Golden>& cases) {
  for (const Golden& g : cases)
    EXPECT_EQ(Dump(g.text), g.expected) << "input: " << g.text;
}

// ---- statements ----

TEST(TreeqlParserTest, Select) {
  CheckGoldens({
      {"SELECT { name: u.name } FROM User AS u WHERE u.age > 3",
       "(select (shape (key name (path u name))) (from User u) (where (> (path u age) 3)))"},
      {"SELECT 1", "(select 1)"},
      {"select x from T", "(select (path x) (from T))"},
      {"SeLeCt x FrOm T aS t wHeRe t.a", "(select (path x) (from T t) (where (path t a)))"},
      {"SELECT {} FROM T", "(select (shape) (from T))"},
      {"SELECT { *, u.name, age: u.age + 1, 'full name': u.first || ' ' || u.last, } FROM User "
       "AS u",
       "(select (shape * (path u name) (key age (+ (path u age) 1)) (key full name (|| (|| "
       "(path u first) \" \") (path u last)))) (from User u))"},
      {"SELECT { a: { b: x, c: [1, 2] } }",
       "(select (shape (key a (shape (key b (path x)) (key c (list 1 2))))))"},
      {"SELECT {a} = {b}", "(select (= (shape (path a)) (shape (path b))))"},
      {"LIVE SELECT { t.title } FROM Todo AS t",
       "(live (select (shape (path t title)) (from Todo t)))"},
      {"EXPLAIN SELECT a FROM T WHERE a = 1",
       "(explain (select (path a) (from T) (where (= (path a) 1))))"},
      {"explain live select a from T", "(explain live (select (path a) (from T)))"},
      {"refresh view Order", "(refresh-view Order)"},
      {"SELECT a FROM T ORDER BY a, b ASC, c DESC, d NULLS FIRST, e DESC NULLS LAST, f ASC nulls "
       "last",
       "(select (path a) (from T) (order-by (asc (path a)) (asc (path b)) (desc (path c)) (asc "
       "(path d) nulls-first) (desc (path e) nulls-last) (asc (path f) nulls-last)))"},
      {"SELECT a FROM T LIMIT ? + 1 OFFSET 10 * 2",
       "(select (path a) (from T) (limit (+ ?0 1)) (offset (* 10 2)))"},
      {"SELECT a FROM T OFFSET 5", "(select (path a) (from T) (offset 5))"},
      {"SELECT { k, n: count(*) } FROM T WHERE a GROUP BY k, a.b > 1 ORDER BY count(*) DESC",
       "(select (shape (path k) (key n (call count *))) (from T) (where (path a)) (group-by "
       "(path k) (> (path a b) 1)) (order-by (desc (call count *))))"},
      {"SELECT { group } FROM T GROUP BY group",
       "(select (shape (path group)) (from T) (group-by (path group)))"},
      {"SELECT a FROM T WHERE a ORDER BY a LIMIT 1",
       "(select (path a) (from T) (where (path a)) (order-by (asc (path a))) (limit 1))"},
      // Contextual keywords are names where no keyword can stand.
      {"SELECT { count, table: begin, asc, first } FROM T ORDER BY desc DESC, nulls NULLS LAST",
       "(select (shape (path count) (key table (path begin)) (path asc) (path first)) (from T) "
       "(order-by (desc (path desc)) (asc (path nulls) nulls-last)))"},
      // Reserved words may name types, fields after '.', keys before ':' and parameters.
      {"SELECT { o.order, limit: :from } FROM Order AS o",
       "(select (shape (path o order) (key limit :from)) (from Order o))"},
  });
}

TEST(TreeqlParserTest, OtherStatements) {
  CheckGoldens({
      {"INSERT User { name: 'ann', age: 31, 'full name': 'Ann B', }",
       "(insert User (key name \"ann\") (key age 31) (key full name \"Ann B\"))"},
      {"insert T {}", "(insert T)"},
      {"UPDATE User AS u SET name = 'x', #3 = u.age + 1, end = ? WHERE u.id = ?",
       "(update User u (set name \"x\") (set #3 (+ (path u age) 1)) (set end ?0) (where (= (path "
       "u id) ?1)))"},
      {"UPDATE T SET a = NOT b", "(update T (set a (not (path b))))"},
      {"DELETE FROM User AS u WHERE u.age < 18", "(delete User u (where (< (path u age) 18)))"},
      {"delete from User", "(delete User)"},
      {"SET Todo[:id].title = 'x'", "(set Todo :id title \"x\")"},
      {"SET Todo[5].7 = TRUE", "(set Todo 5 #7 true)"},
      {"set Todo[(SELECT t FROM Todo AS t LIMIT 1)].#007 = ? + ?",
       "(set Todo (scalar (select (path t) (from Todo t) (limit 1))) #7 (+ ?0 ?1))"},
      {"RETRACT Todo[?].#12", "(retract Todo ?0 #12)"},
      {"RETRACT Todo[x'01'].done", "(retract Todo x'01' done)"},
      {"BEGIN", "(begin)"},
      {"BEGIN DURABLE", "(begin durable)"},
      {"begin durable;", "(begin durable)"},
      {"COMMIT", "(commit)"},
      {"rollback", "(rollback)"},
      {"TABLE User = 3 STRICT { name string = 1 INDEX; }",
       "(table \"TABLE User = 3 STRICT { name string = 1 INDEX; }\")"},
      // Braces in strings and comments do not count; a ';' after the '}' is optional.
      {"table A { RESERVED 'a}''}', \"b}\\\"}\"; /* } */ -- }\n};TABLE B {} SELECT 1",
       "(table \"table A { RESERVED 'a}''}', \\\"b}\\\\\\\"}\\\"; /* } */ -- }\\n}\")\n"
       "(table \"TABLE B {}\")\n(select 1)"},
      {"BEGIN; INSERT T { a: ? }; UPDATE T SET a = ?; COMMIT;",
       "(begin)\n(insert T (key a ?0))\n(update T (set a ?0))\n(commit)"},
      {"SELECT 1;;  ; SELECT 2;", "(select 1)\n(select 2)"},
      {"", ""},
      {" -- nothing\n /* at all */ ", ""},
      {"/* c */ SELECT /* in */ 1 -- trailing\n; -- after\nSELECT 2 -- no semicolon",
       "(select 1)\n(select 2)"},
  });
}

// ---- expressions ----

TEST(TreeqlParserTest, Precedence) {
  CheckGoldens({
      {"SELECT a OR b AND c", "(select (or (path a) (and (path b) (path c))))"},
      {"SELECT a AND b OR c", "(select (or (and (path a) (path b)) (path c)))"},
      {"SELECT a OR b OR c", "(select (or (or (path a) (path b)) (path c)))"},
      {"SELECT a AND b AND c", "(select (and (and (path a) (path b)) (path c)))"},
      {"SELECT NOT a = b", "(select (not (= (path a) (path b))))"},
      {"SELECT NOT NOT NOT a", "(select (not (not (not (path a)))))"},
      {"SELECT NOT a AND NOT b OR c", "(select (or (and (not (path a)) (not (path b))) (path c)))"},
      {"SELECT a = 1 AND b <> 2", "(select (and (= (path a) 1) (!= (path b) 2)))"},
      {"SELECT 1 + 2 * 3", "(select (+ 1 (* 2 3)))"},
      {"SELECT (1 + 2) * 3", "(select (* (+ 1 2) 3))"},
      {"SELECT a - b - c", "(select (- (- (path a) (path b)) (path c)))"},
      {"SELECT a / b % c * d", "(select (* (% (/ (path a) (path b)) (path c)) (path d)))"},
      {"SELECT a || b || c", "(select (|| (|| (path a) (path b)) (path c)))"},
      {"SELECT a + b || c - d", "(select (- (|| (+ (path a) (path b)) (path c)) (path d)))"},
      {"SELECT a + 1 < b * 2", "(select (< (+ (path a) 1) (* (path b) 2)))"},
      {"SELECT -a * b", "(select (* (neg (path a)) (path b)))"},
      {"SELECT - -a", "(select (neg (neg (path a))))"},
      {"SELECT -(1)", "(select (neg 1))"},
      {"SELECT - -1", "(select (neg -1))"},
      {"SELECT 2 - -1", "(select (- 2 -1))"},
      {"SELECT 2-1", "(select (- 2 1))"},
      {"SELECT -2 * 3", "(select (* -2 3))"},
      {"SELECT ((a))", "(select (path a))"},
  });
}

TEST(TreeqlParserTest, Comparisons) {
  CheckGoldens({
      {"SELECT a = b", "(select (= (path a) (path b)))"},
      {"SELECT a != b", "(select (!= (path a) (path b)))"},
      {"SELECT a <> b", "(select (!= (path a) (path b)))"},
      {"SELECT a < b", "(select (< (path a) (path b)))"},
      {"SELECT a <= b", "(select (<= (path a) (path b)))"},
      {"SELECT a > b", "(select (> (path a) (path b)))"},
      {"SELECT a >= b", "(select (>= (path a) (path b)))"},
      {"SELECT a<b", "(select (< (path a) (path b)))"},
      {"SELECT x < -1", "(select (< (path x) -1))"},
      {"SELECT 1<-2", "(select (< 1 -2))"},
      {"SELECT a IS NULL", "(select (is-null (path a)))"},
      {"SELECT a.b is not null", "(select (is-not-null (path a b)))"},
      {"SELECT a + 1 IS NULL AND b", "(select (and (is-null (+ (path a) 1)) (path b)))"},
      {"SELECT a IN (1, 2, 3)", "(select (in (path a) 1 2 3))"},
      {"SELECT a IN [1]", "(select (in (path a) 1))"},
      {"SELECT a NOT IN [1, 2]", "(select (not-in (path a) 1 2))"},
      {"SELECT a IN (SELECT x FROM T)", "(select (in (path a) (select (path x) (from T))))"},
      {"SELECT a NOT IN (SELECT x FROM T WHERE x > ?)",
       "(select (not-in (path a) (select (path x) (from T) (where (> (path x) ?0)))))"},
      {"SELECT NOT a IN (1)", "(select (not (in (path a) 1)))"},
      {"SELECT a LIKE 'x%'", "(select (like (path a) \"x%\"))"},
      {"SELECT a NOT LIKE :p", "(select (not-like (path a) :p))"},
      {"SELECT a LIKE 'a' || b", "(select (like (path a) (|| \"a\" (path b))))"},
      {"SELECT a BETWEEN 1 AND 2", "(select (between (path a) 1 2))"},
      {"SELECT a BETWEEN 1 + 1 AND 2 * 3", "(select (between (path a) (+ 1 1) (* 2 3)))"},
      {"SELECT a NOT BETWEEN 1 AND 2 AND b", "(select (and (not-between (path a) 1 2) (path b)))"},
  });
}

TEST(TreeqlParserTest, Atoms) {
  CheckGoldens({
      {"SELECT count(*)", "(select (call count *))"},
      {"SELECT COUNT (*)", "(select (call count *))"},
      {"SELECT count(SELECT x FROM T)", "(select (call count (select (path x) (from T))))"},
      {"SELECT Exists(SELECT x FROM T WHERE x = u)",
       "(select (call exists (select (path x) (from T) (where (= (path x) (path u))))))"},
      {"SELECT sum(SELECT x.n FROM T AS x)", "(select (call sum (select (path x n) (from T x))))"},
      {"SELECT avg(DISTINCT u.age)", "(select (call avg distinct (path u age)))"},
      {"SELECT f(distinct a, b)", "(select (call f distinct (path a) (path b)))"},
      {"SELECT coalesce(a, b, 'x')", "(select (call coalesce (path a) (path b) \"x\"))"},
      {"SELECT now()", "(select (call now))"},
      {"SELECT f(g(1), [2])", "(select (call f (call g 1) (list 2)))"},
      {"SELECT (SELECT max(x) FROM T)", "(select (scalar (select (call max (path x)) (from T))))"},
      {"SELECT [SELECT {t.title} FROM Todo AS t WHERE t.owner = u ORDER BY t.created DESC LIMIT "
       "10]",
       "(select (array (select (shape (path t title)) (from Todo t) (where (= (path t owner) "
       "(path u))) (order-by (desc (path t created))) (limit 10))))"},
      {"SELECT [[SELECT 1], (SELECT 2)]", "(select (list (array (select 1)) (scalar (select 2))))"},
      {"SELECT [1, 'a', NULL]", "(select (list 1 \"a\" null))"},
      {"SELECT []", "(select (list))"},
      {"SELECT [ ]", "(select (list))"},
      {"SELECT u<-Post.author", "(select (path u <-Post.author))"},
      {"SELECT u <- Post.author.title", "(select (path u <-Post.author title))"},
      {"SELECT u<-Post.author<-Like.post", "(select (path u <-Post.author <-Like.post))"},
      {"SELECT a.#3", "(select (path a #3))"},
      {"SELECT #2 + a.#007.b", "(select (+ (path #2) (path a #7 b)))"},
      {"SELECT a.b.c", "(select (path a b c))"},
      {"SELECT _x9.Y_", "(select (path _x9 Y_))"},
      {"SELECT CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END",
       "(select (case (when (path a) 1) (when (path b) 2) (else 3)))"},
      {"SELECT case when a > 1 then 'big' end", "(select (case (when (> (path a) 1) \"big\")))"},
      {"SELECT CASE WHEN a THEN CASE WHEN b THEN 1 END END",
       "(select (case (when (path a) (case (when (path b) 1)))))"},
  });
}

TEST(TreeqlParserTest, Literals) {
  CheckGoldens({
      {"SELECT 0", "(select 0)"},
      {"SELECT 9223372036854775807", "(select 9223372036854775807)"},
      {"SELECT -9223372036854775808", "(select -9223372036854775808)"},
      {"SELECT - 9223372036854775808", "(select -9223372036854775808)"},
      {"SELECT 007", "(select 7)"},
      {"SELECT 12.50", "(select (dec 12.50))"},
      {"SELECT -0.50", "(select (dec -0.50))"},
      {"SELECT 0.0", "(select (dec 0.0))"},
      {"SELECT 0.000000000000000001", "(select (dec 0.000000000000000001))"},
      {"SELECT 922337203685477580.7", "(select (dec 922337203685477580.7))"},
      {"SELECT 1.5e3", "(select (float 1500))"},
      {"SELECT 2e-1", "(select (float 0.2))"},
      {"SELECT -1E+2", "(select (float -100))"},
      {"SELECT 1e308", "(select (float 1e+308))"},
      {"SELECT 'it''s'", "(select \"it's\")"},
      {"SELECT ''", "(select \"\")"},
      {"SELECT ''''", "(select \"'\")"},
      {"SELECT 'h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80'",
       "(select \"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80\")"},
      {"SELECT '--not a comment /* nor this */'", "(select \"--not a comment /* nor this */\")"},
      {"SELECT x'0aff'", "(select x'0aff')"},
      {"SELECT X'00FF10'", "(select x'00ff10')"},
      {"SELECT x''", "(select x'')"},
      {"SELECT TRUE", "(select true)"},
      {"SELECT false", "(select false)"},
      {"SELECT Null", "(select null)"},
      {"SELECT x", "(select (path x))"},
  });
}

TEST(TreeqlParserTest, Parameters) {
  CheckGoldens({
      {"SELECT ? + ? FROM T WHERE a = ? AND b = :name",
       "(select (+ ?0 ?1) (from T) (where (and (= (path a) ?2) (= (path b) :name))))"},
      // Numbered in order of appearance, also into subqueries, and again from 0 per statement.
      {"SELECT { a: ?, b: [SELECT ? FROM T WHERE x IN (?, ?)] } FROM T WHERE y = ? ORDER BY ? "
       "LIMIT ? OFFSET ?; SELECT ?",
       "(select (shape (key a ?0) (key b (array (select ?1 (from T) (where (in (path x) ?2 "
       "?3)))))) (from T) (where (= (path y) ?4)) (order-by (asc ?5)) (limit ?6) (offset ?7))\n"
       "(select ?0)"},
      {"SELECT CASE WHEN ? THEN ? ELSE ? END", "(select (case (when ?0 ?1) (else ?2)))"},
      {"SELECT :a_1 || :B", "(select (|| :a_1 :B))"},
      {"SET T[?].f = ?", "(set T ?0 f ?1)"},
      {"DELETE FROM T WHERE a BETWEEN ? AND ?", "(delete T (where (between (path a) ?0 ?1)))"},
  });
}

// ---- errors: the whole message, caret line included ----

TEST(TreeqlParserTest, Errors) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"SELECT x FROM ",
       "1:15: expected type name\n"
       "SELECT x FROM \n"
       "              ^"},
      {"SELECT",
       "1:7: expected expression\n"
       "SELECT\n"
       "      ^"},
      {"SELECT x FROM T WHERE  \n  \n ",
       "1:24: expected expression\n"
       "SELECT x FROM T WHERE  \n"
       "                       ^"},
      {"SELECT x FROM T WHERE\n",
       "1:22: expected expression\n"
       "SELECT x FROM T WHERE\n"
       "                     ^"},
      {"SELECT x y",
       "1:10: expected FROM or end of statement\n"
       "SELECT x y\n"
       "         ^"},
      {"SELECT x FROM T y",
       "1:17: expected AS, WHERE, GROUP BY, ORDER BY, LIMIT, OFFSET or end of statement\n"
       "SELECT x FROM T y\n"
       "                ^"},
      {"SELECT x FROM T LIMIT 1 WHERE a",
       "1:25: expected OFFSET or end of statement\n"
       "SELECT x FROM T LIMIT 1 WHERE a\n"
       "                        ^"},
      {"SELECT x WHERE a",
       "1:10: WHERE is only allowed after FROM Type\n"
       "SELECT x WHERE a\n"
       "         ^"},
      {"SELECT 1 ORDER BY a",
       "1:10: ORDER BY is only allowed after FROM Type\n"
       "SELECT 1 ORDER BY a\n"
       "         ^"},
      {"SELECT a AS b FROM T",
       "1:10: expected FROM or end of statement (to name a value, write SELECT { name: value })\n"
       "SELECT a AS b FROM T\n"
       "         ^"},
      {"SELECT a < b < c",
       "1:14: comparisons cannot be chained; combine them with AND\n"
       "SELECT a < b < c\n"
       "             ^"},
      {"SELECT a = b IS NULL",
       "1:14: comparisons cannot be chained; combine them with AND\n"
       "SELECT a = b IS NULL\n"
       "             ^"},
      {"SELECT (1 + 2",
       "1:14: expected ')'\n"
       "SELECT (1 + 2\n"
       "             ^"},
      {"SELECT 1)",
       "1:9: unexpected ')'\n"
       "SELECT 1)\n"
       "        ^"},
      {"SELECT f(a b)",
       "1:12: expected ',' or ')'\n"
       "SELECT f(a b)\n"
       "           ^"},
      {"SELECT 'abc",
       "1:8: unterminated string\n"
       "SELECT 'abc\n"
       "       ^"},
      {"SELECT 'a\nb'",
       "1:8: unterminated string\n"
       "SELECT 'a\n"
       "       ^"},
      {"SELECT 9223372036854775808",
       "1:8: integer literal out of range\n"
       "SELECT 9223372036854775808\n"
       "       ^"},
      {"SELECT -9223372036854775809",
       "1:8: integer literal out of range\n"
       "SELECT -9223372036854775809\n"
       "       ^"},
      {"SELECT 1.0000000000000000001",
       "1:8: decimal literal has more than 18 digits after the point\n"
       "SELECT 1.0000000000000000001\n"
       "       ^"},
      {"SELECT 99999999999999999999.5",
       "1:8: decimal literal out of range\n"
       "SELECT 99999999999999999999.5\n"
       "       ^"},
      {"SELECT 1e999",
       "1:8: float literal out of range\n"
       "SELECT 1e999\n"
       "       ^"},
      {"SELECT 1.",
       "1:10: expected a digit after the decimal point\n"
       "SELECT 1.\n"
       "         ^"},
      {"SELECT 1e+",
       "1:11: expected the digits of the exponent\n"
       "SELECT 1e+\n"
       "          ^"},
      {"SELECT 12abc",
       "1:10: unexpected character in number\n"
       "SELECT 12abc\n"
       "         ^"},
      {"SELECT x'0g'",
       "1:11: expected a hex digit in bytes literal\n"
       "SELECT x'0g'\n"
       "          ^"},
      {"SELECT x'abc'",
       "1:8: bytes literal has an odd number of hex digits\n"
       "SELECT x'abc'\n"
       "       ^"},
      {"SELECT '\xff'",
       "1:8: string is not valid UTF-8\n"
       "SELECT '\xff'\n"
       "       ^"},
      {"SELECT /* never closed",
       "1:8: unterminated block comment\n"
       "SELECT /* never closed\n"
       "       ^"},
      {"SELECT a.",
       "1:10: expected field name\n"
       "SELECT a.\n"
       "         ^"},
      {"SELECT x<-1",
       "1:11: expected type name after '<-' (for less than a negative number write '< -')\n"
       "SELECT x<-1\n"
       "          ^"},
      {"SELECT u<-Post",
       "1:15: expected '.' and the field name (x<-Type.field)\n"
       "SELECT u<-Post\n"
       "              ^"},
      {"SELECT a IS 1",
       "1:13: expected NULL or NOT NULL after IS\n"
       "SELECT a IS 1\n"
       "            ^"},
      {"SELECT a IS NOT 1",
       "1:17: expected NULL\n"
       "SELECT a IS NOT 1\n"
       "                ^"},
      {"SELECT a NOT 1",
       "1:14: expected IN, LIKE or BETWEEN after NOT\n"
       "SELECT a NOT 1\n"
       "             ^"},
      {"SELECT a IN 1",
       "1:13: expected '(' or '[' after IN\n"
       "SELECT a IN 1\n"
       "            ^"},
      {"SELECT a IN ()",
       "1:14: expected expression or SELECT\n"
       "SELECT a IN ()\n"
       "             ^"},
      {"SELECT a BETWEEN 1 OR 2",
       "1:20: expected AND\n"
       "SELECT a BETWEEN 1 OR 2\n"
       "                   ^"},
      {"SELECT CASE a",
       "1:13: expected WHEN\n"
       "SELECT CASE a\n"
       "            ^"},
      {"SELECT CASE WHEN a 1",
       "1:20: expected THEN\n"
       "SELECT CASE WHEN a 1\n"
       "                   ^"},
      {"SELECT CASE WHEN a THEN 1",
       "1:26: expected WHEN, ELSE or END\n"
       "SELECT CASE WHEN a THEN 1\n"
       "                         ^"},
      {"SELECT { a b }",
       "1:12: expected ',' or '}'\n"
       "SELECT { a b }\n"
       "           ^"},
      {"SELECT { 1 }",
       "1:10: expected shape item (key: value, path or *) or '}'\n"
       "SELECT { 1 }\n"
       "         ^"},
      {"SELECT { a, , }",
       "1:13: expected shape item (key: value, path or *)\n"
       "SELECT { a, , }\n"
       "            ^"},
      {"SELECT { 'k' 1 }",
       "1:14: expected ':' after the key\n"
       "SELECT { 'k' 1 }\n"
       "             ^"},
      {"SELECT count(",
       "1:14: expected expression, '*' or ')'\n"
       "SELECT count(\n"
       "             ^"},
      {"SELECT f(DISTINCT)",
       "1:18: expected expression\n"
       "SELECT f(DISTINCT)\n"
       "                 ^"},
      {"SELECT [1, 2",
       "1:13: expected ',' or ']'\n"
       "SELECT [1, 2\n"
       "            ^"},
      {"SELECT (SELECT 1",
       "1:17: expected ')'\n"
       "SELECT (SELECT 1\n"
       "                ^"},
      {"SELECT x FROM T AS select",
       "1:20: expected alias after AS (a name that is not a reserved word)\n"
       "SELECT x FROM T AS select\n"
       "                   ^"},
      {"SELECT x FROM T ORDER a",
       "1:23: expected BY after ORDER\n"
       "SELECT x FROM T ORDER a\n"
       "                      ^"},
      {"SELECT x FROM T ORDER BY a NULLS",
       "1:33: expected FIRST or LAST after NULLS\n"
       "SELECT x FROM T ORDER BY a NULLS\n"
       "                                ^"},
      {"FROM T",
       "1:1: expected a statement (SELECT, INSERT, UPDATE, DELETE, SET, RETRACT, BEGIN, COMMIT, "
       "ROLLBACK, EXPLAIN, LIVE, TABLE, VIEW or REFRESH VIEW)\n"
       "FROM T\n"
       "^"},
      {"REFRESH x",
       "1:9: expected VIEW after REFRESH\n"
       "REFRESH x\n"
       "        ^"},
      {"LIVE x",
       "1:6: expected SELECT after LIVE\n"
       "LIVE x\n"
       "     ^"},
      {"EXPLAIN DELETE FROM T",
       "1:9: expected SELECT or LIVE SELECT after EXPLAIN\n"
       "EXPLAIN DELETE FROM T\n"
       "        ^"},
      {"INSERT T (a)",
       "1:10: expected '{' and the values to insert\n"
       "INSERT T (a)\n"
       "         ^"},
      {"INSERT T { a: 1, b }",
       "1:18: INSERT takes 'key: value' items only\n"
       "INSERT T { a: 1, b }\n"
       "                 ^"},
      {"INSERT T { * }",
       "1:12: INSERT takes 'key: value' items only\n"
       "INSERT T { * }\n"
       "           ^"},
      {"UPDATE T a = 1",
       "1:10: expected SET\n"
       "UPDATE T a = 1\n"
       "         ^"},
      {"UPDATE T SET a 1",
       "1:16: expected '='\n"
       "UPDATE T SET a 1\n"
       "               ^"},
      {"UPDATE T SET a = 1 b",
       "1:20: expected ',', WHERE or end of statement\n"
       "UPDATE T SET a = 1 b\n"
       "                   ^"},
      {"DELETE T",
       "1:8: expected FROM\n"
       "DELETE T\n"
       "       ^"},
      {"SET T.x = 1",
       "1:6: expected '[' and the subject after the type name\n"
       "SET T.x = 1\n"
       "     ^"},
      {"SET T[1] = 1",
       "1:10: expected '.' and the field after ']'\n"
       "SET T[1] = 1\n"
       "         ^"},
      {"SET T[1].x 1",
       "1:12: expected '='\n"
       "SET T[1].x 1\n"
       "           ^"},
      {"RETRACT T[1].",
       "1:14: expected field name or number after '.'\n"
       "RETRACT T[1].\n"
       "             ^"},
      {"SELECT a.#",
       "1:10: expected a field number after '#'\n"
       "SELECT a.#\n"
       "         ^"},
      {"SELECT #99999999999999999999",
       "1:8: field number out of range\n"
       "SELECT #99999999999999999999\n"
       "       ^"},
      {"SELECT * FROM T",
       "1:8: expected expression (for all fields write SELECT { * })\n"
       "SELECT * FROM T\n"
       "       ^"},
      {"SELECT [1]]",
       "1:11: unexpected ']'\n"
       "SELECT [1]]\n"
       "          ^"},
      {"SELECT (",
       "1:9: expected expression\n"
       "SELECT (\n"
       "        ^"},
      {"SELECT NOT",
       "1:11: expected expression\n"
       "SELECT NOT\n"
       "          ^"},
      {"SELECT -",
       "1:9: expected expression\n"
       "SELECT -\n"
       "        ^"},
      {"SELECT 1 +",
       "1:11: expected expression\n"
       "SELECT 1 +\n"
       "          ^"},
      {"SELECT :",
       "1:8: expected expression\n"
       "SELECT :\n"
       "       ^"},
      {"SELECT a FROM T ORDER BY a, ",
       "1:29: expected expression\n"
       "SELECT a FROM T ORDER BY a, \n"
       "                            ^"},
      {"BEGIN NOW",
       "1:7: expected DURABLE or end of statement\n"
       "BEGIN NOW\n"
       "      ^"},
      {"COMMIT 1",
       "1:8: expected end of statement\n"
       "COMMIT 1\n"
       "       ^"},
      {"TABLE User;",
       "1:11: expected '{' in TABLE statement\n"
       "TABLE User;\n"
       "          ^"},
      {"TABLE User { a int = 1;",
       "1:12: this '{' of the TABLE statement is never closed\n"
       "TABLE User { a int = 1;\n"
       "           ^"},
      // Later lines, tabs kept in the caret line, CRLF line ends.
      {"SELECT 1;\nSELECT 2;\nSELECT x FROM T\n  WHERE a = = 1;",
       "4:13: expected expression\n"
       "  WHERE a = = 1;\n"
       "            ^"},
      {"SELECT\n\tx,\ty",
       "2:3: expected FROM or end of statement\n"
       "\tx,\ty\n"
       "\t ^"},
      {"SELECT {\r\n\ta: 1\r\n\tb: 2 }",
       "3:2: expected ',' or '}'\n"
       "\tb: 2 }\n"
       "\t^"},
      {"SELECT 1 -- comment\n  /* another */ WHERE",
       "2:17: WHERE is only allowed after FROM Type\n"
       "  /* another */ WHERE\n"
       "                ^"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(Error(c.text), c.message) << "input: " << c.text;
}

TEST(TreeqlParserTest, NestingLimit) {
  std::string ok = "SELECT " + std::string(90, '(') + "1" + std::string(90, ')');
  EXPECT_TRUE(Parse(ok).ok());
  std::string deep = "SELECT " + std::string(100000, '(') + "1";
  std::string msg = Error(deep);
  EXPECT_EQ(msg.rfind("1:108: expression nested too deeply (more than 100 levels)\n", 0), 0u)
      << msg.substr(0, 200);
  std::string minuses, nots;
  for (int i = 0; i < 5000; ++i) {
    minuses += "- ";  // not "--", a comment
    nots += "NOT ";
  }
  EXPECT_NE(Error("SELECT " + minuses + "a").find("nested too deeply"), std::string::npos);
  EXPECT_NE(Error("SELECT " + nots + "a").find("nested too deeply"), std::string::npos);
}

// ---- positions ----

TEST(TreeqlParserTest, Positions) {
  const std::string text =
      "  SELECT { name: u.name, u<-Post.author } FROM User AS u\n"
      "  WHERE u.age > -3 AND u.id IN (SELECT p FROM P AS p) ORDER BY u.age DESC ;\n"
      "SET Todo[?].#7 = [1] -- done\n";
  auto r = Parse(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  const ast::Statement& st = (*r)[0];
  EXPECT_EQ(st.pos, 2u);
  EXPECT_EQ(st.end, text.find(" ;"));
  const ast::Query& q = st.query;
  EXPECT_EQ(q.pos, 2u);
  ASSERT_TRUE(q.shape);
  EXPECT_EQ(q.shape->pos, text.find("{ name"));
  ASSERT_EQ(q.shape->items.size(), 2u);
  EXPECT_EQ(q.shape->items[0].pos, text.find("name:"));
  EXPECT_EQ(q.shape->items[0].expr.pos, text.find("u.name"));
  EXPECT_EQ(q.shape->items[0].expr.path[1].pos, text.find("name,"));
  const ast::ShapeItem& rev = q.shape->items[1];
  EXPECT_EQ(rev.pos, text.find("u<-"));
  EXPECT_EQ(rev.expr.path[1].pos, text.find("Post"));
  EXPECT_EQ(q.type_pos, text.find("User"));
  EXPECT_EQ(q.alias_pos, text.find("u\n"));
  ASSERT_TRUE(q.where);
  const Expr& conj = *q.where;
  EXPECT_EQ(conj.pos, text.find("u.age"));
  const Expr& gt = conj.args[0];
  EXPECT_EQ(gt.pos, text.find("u.age"));
  EXPECT_EQ(gt.args[1].pos, text.find("-3"));  // the folded literal starts at its '-'
  EXPECT_EQ(gt.args[1].literal, Value::Int(-3));
  const Expr& in = conj.args[1];
  EXPECT_EQ(in.kind, Expr::Kind::kIn);
  EXPECT_EQ(in.pos, text.find("u.id"));
  ASSERT_TRUE(in.query);
  EXPECT_EQ(in.query->pos, text.find("SELECT p"));
  EXPECT_EQ(in.query->type_pos, text.find("P AS"));
  ASSERT_EQ(q.order_by.size(), 1u);
  EXPECT_EQ(q.order_by[0].pos, text.find("u.age DESC"));

  const ast::Statement& set = (*r)[1];
  EXPECT_EQ(set.pos, text.find("SET"));
  EXPECT_EQ(set.end, text.find(" -- done"));
  EXPECT_EQ(set.triple.type_pos, text.find("Todo"));
  EXPECT_EQ(set.triple.subject.pos, text.find("?"));
  EXPECT_EQ(set.triple.field_pos, text.find("#7"));
  EXPECT_EQ(set.value->pos, text.find("[1]"));

  // Subqueries start at their bracket, calls at their name, CASE at CASE, NOT at NOT.
  const std::string t2 = "SELECT f((SELECT 1), [SELECT 2], CASE WHEN NOT a THEN 1 END)";
  auto r2 = Parse(t2);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  const Expr& call = *(*r2)[0].query.expr;
  EXPECT_EQ(call.pos, t2.find("f("));
  EXPECT_EQ(call.args[0].pos, t2.find("(SELECT 1"));
  EXPECT_EQ(call.args[0].query->pos, t2.find("SELECT 1"));
  EXPECT_EQ(call.args[1].pos, t2.find("[SELECT"));
  EXPECT_EQ(call.args[2].pos, t2.find("CASE"));
  EXPECT_EQ(call.args[2].args[0].pos, t2.find("NOT"));

  // Assignments and TABLE spans.
  const std::string t3 = "UPDATE T SET #2 = 1, b = 2; TABLE A { x int = 1; } ; COMMIT";
  auto r3 = Parse(t3);
  ASSERT_TRUE(r3.ok()) << r3.status().ToString();
  ASSERT_EQ(r3->size(), 3u);
  EXPECT_EQ((*r3)[0].type_pos, t3.find("T SET"));
  EXPECT_EQ((*r3)[0].assignments[1].pos, t3.find("b ="));
  EXPECT_EQ((*r3)[0].end, t3.find(";"));
  EXPECT_EQ((*r3)[1].pos, t3.find("TABLE"));
  EXPECT_EQ((*r3)[1].end, t3.find("} ;") + 1);
  EXPECT_EQ((*r3)[1].schema_text, "TABLE A { x int = 1; }");
  EXPECT_EQ((*r3)[2].pos, t3.find("COMMIT"));
  EXPECT_EQ((*r3)[2].end, t3.size());
}

TEST(TreeqlParserTest, FormatErrorAndLineColumn) {
  int line = 0, column = 0;
  LineColumn("ab\ncd\n", 0, &line, &column);
  EXPECT_EQ(line, 1);
  EXPECT_EQ(column, 1);
  LineColumn("ab\ncd\n", 4, &line, &column);
  EXPECT_EQ(line, 2);
  EXPECT_EQ(column, 2);
  LineColumn("ab\ncd\n", 6, &line, &column);
  EXPECT_EQ(line, 3);
  EXPECT_EQ(column, 1);
  EXPECT_EQ(FormatError("a\tb\tc", 4, "here"), "1:5: here\na\tb\tc\n \t \t^");
  EXPECT_EQ(FormatError("x\r\ny", 3, "m"), "2:1: m\ny\n^");
  EXPECT_EQ(FormatError("", 0, "empty"), "1:1: empty\n\n^");
}

// ---- IsComplete ----

TEST(TreeqlParserTest, IsComplete) {
  struct Case {
    const char* text;
    bool complete;
  };
  const Case cases[] = {
      {"", false},
      {"   \n", false},
      {"SELECT 1", false},
      {"SELECT 1;", true},
      {";", true},
      {"SELECT 1;  -- done\n  /* really */\n", true},
      {"SELECT 1; SELECT 2", false},
      {"SELECT 1; SELECT 2;", true},
      {"SELECT ';'", false},
      {"SELECT ';';", true},
      {"SELECT 'it''s;'", false},
      {"SELECT 1 -- ;", false},
      {"SELECT 1 /* ; */", false},
      {"SELECT 1 /* ;", false},
      {"SELECT 1; /* open", false},
      {"SELECT (1;", false},
      {"SELECT f(1;", false},
      {"SELECT [SELECT 1;", false},
      {"SELECT { a: 1;", false},
      {"SELECT (1);", true},
      {"SELECT 1);", true},      // a stray ')' must not make the REPL wait forever
      {"SELECT 'abc\n;", true},  // strings end at a line break (then fail to parse)
      {"TABLE A { x int = 1; }", true},
      {"TABLE A { x int = 1; };", true},
      {"TABLE A { x int = 1; } -- c", true},
      {"table A {\n  x int = 1;\n", false},
      {"TABLE A { RESERVED '}'; ", false},
      {"TABLE A { RESERVED \"}\"; ", false},
      {"TABLE A { /* } */ ", false},
      {"TABLE A = 1 STRICT", false},
      {"TABLE A;", true},
      {"TABLE A {} SELECT 1", false},
      {"TABLE A {} SELECT 1;", true},
      {"SELECT 1; TABLE A {}", true},
      {"SELECT { table: 1 };", true},
  };
  for (const Case& c : cases)
    EXPECT_EQ(IsComplete(c.text), c.complete) << "input: " << c.text;
}

// ---- mutated statements ----

// "LINE:COL: message\n<line>\n<caret>", the caret under a column of the shown line.
bool IsPositionedError(const std::string& msg) {
  size_t nl1 = msg.find('\n');
  if (nl1 == std::string::npos)
    return false;
  size_t nl2 = msg.find('\n', nl1 + 1);
  if (nl2 == std::string::npos || msg.find('\n', nl2 + 1) != std::string::npos)
    return false;
  std::string_view head(msg.data(), nl1);
  // A grammar element without a readable name would show a C++ type name.
  if (head.find("boost") != std::string_view::npos || head.find("trine") != std::string_view::npos)
    return false;
  std::string_view source(msg.data() + nl1 + 1, nl2 - nl1 - 1);
  std::string_view caret(msg.data() + nl2 + 1, msg.size() - nl2 - 1);
  size_t i = 0;
  auto number = [&](int* out) {
    size_t start = i;
    while (i < head.size() && head[i] >= '0' && head[i] <= '9')
      ++i;
    return i > start &&
           std::from_chars(head.data() + start, head.data() + i, *out).ec == std::errc();
  };
  int line = 0, column = 0;
  if (!number(&line) || i >= head.size() || head[i++] != ':' || !number(&column))
    return false;
  if (head.substr(i, 2) != ": " || head.size() <= i + 2 || line < 1 || column < 1)
    return false;
  if (caret.empty() || caret.back() != '^' || caret.size() != static_cast<size_t>(column))
    return false;
  if (static_cast<size_t>(column) > source.size() + 1)
    return false;
  for (size_t k = 0; k + 1 < caret.size(); ++k) {
    if (caret[k] != (source[k] == '\t' ? '\t' : ' '))
      return false;
  }
  return true;
}

const char* const kSeeds[] = {
    "SELECT { name: u.name, posts: [SELECT { p.title } FROM Post AS p WHERE p.author = u ORDER "
    "BY p.created DESC NULLS LAST LIMIT 10], n: count(SELECT p FROM Post AS p) } FROM User AS u "
    "WHERE u.age BETWEEN ? AND ? AND u.name LIKE :prefix",
    "LIVE SELECT { *, u<-Post.author.title } FROM User AS u WHERE NOT u.id IN (1, 2, 3) OFFSET 5",
    "EXPLAIN SELECT CASE WHEN a > 1.50 THEN 'x''y' ELSE x'00ff' END FROM T WHERE a IS NOT NULL",
    "INSERT User { name: 'ann', 'full name': 'Ann', age: -9223372036854775808, score: 1.5e3 }",
    "UPDATE User AS u SET name = 'b', #3 = u.age * 2 % 7 WHERE u.id = ? /* c */",
    "DELETE FROM Todo AS t WHERE t.done = TRUE OR t.owner IS NULL -- gone",
    "SET Todo[:id].title = 'x' || 'y'; RETRACT Todo[?].7; BEGIN DURABLE; COMMIT; ROLLBACK",
    "TABLE User = 3 STRICT { name string = 1 INDEX; RESERVED 'a}'; }",
    "SELECT (SELECT max(x) FROM T), [1, 2], { a: { b: c } }, f(DISTINCT a.#2), sum(*) - -1",
};

const char* const kTokens[] = {
    "SELECT",   "FROM",   "WHERE",
    "ORDER BY", "LIMIT",  "OFFSET",
    "AS",       "AND",    "OR",
    "NOT",      "IS",     "NULL",
    "IN",       "LIKE",   "BETWEEN",
    "CASE",     "WHEN",   "THEN",
    "ELSE",     "END",    "LIVE",
    "EXPLAIN",  "TABLE",  "{",
    "}",        "(",      ")",
    "[",        "]",      ",",
    ";",        ":",      ".",
    "<-",       "#",      "#9",
    "?",        ":p",     "*",
    "'",        "''",     "x'",
    "--",       "/*",     "*/",
    "\n",       "\t",     "\r\n",
    "-",        "+",      "||",
    "<",        "<=",     "<>",
    "=",        "!",      "99999999999999999999",
    "1.",       "1e",     "0.5",
    "\xff",     "\xc3",   "\0",
    "DISTINCT", "count(",
};

uint64_t FuzzSeed() {
  const char* env = std::getenv("TRINE_TREEQL_FUZZ_SEED");
  if (env != nullptr && *env != '\0')
    return std::strtoull(env, nullptr, 10);
  return 20240611;
}

TEST(TreeqlParserFuzzTest, MutationsNeverCrashAndErrorsArePositioned) {
  const uint64_t seed = FuzzSeed();
  std::cout << "TRINE_TREEQL_FUZZ_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);
  constexpr int kIterations = 20000;
  int accepted = 0, rejected = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::string text = kSeeds[rng() % std::size(kSeeds)];
    test::MutateText(&text, rng, kTokens, std::size(kTokens));
    auto r = Parse(text);
    (void)IsComplete(text);
    if (r.ok()) {
      ++accepted;
      for (const ast::Statement& st : *r) {
        ASSERT_LE(st.pos, st.end) << text;
        ASSERT_LE(st.end, text.size()) << text;
      }
      continue;
    }
    ++rejected;
    ASSERT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    ASSERT_TRUE(IsPositionedError(r.status().message()))
        << "seed " << seed << " iteration " << i << ": " << r.status().message();
  }
  std::cout << kIterations << " mutated statements: " << accepted << " parsed, " << rejected
            << " rejected with positioned errors\n";
  EXPECT_GT(rejected, kIterations / 2);
  EXPECT_GT(accepted, kIterations / 50);
}

}  // namespace
}  // namespace trine::treeql
