// Tests of treeql/render.cpp: Tree::Find and ==, ToJson, ToCell and the two
// renderings of StatementResult, with exact expected text.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "trine/treeql.h"
#include "trine/value.h"

namespace trine {
namespace {

std::string Json(Value v) {
  return ToJson(Tree(std::move(v)));
}

Tree Obj(std::vector<std::pair<std::string, Tree>> members) {
  Tree t = Tree::Object();
  for (auto& [k, v] : members)
    t.Add(k, std::move(v));
  return t;
}

Tree Arr(std::vector<Tree> items) {
  Tree t = Tree::Array();
  for (auto& v : items)
    t.Push(std::move(v));
  return t;
}

Tree V(Value v) {
  return Tree(std::move(v));
}
Tree S(const char* s) {
  return Tree(Value::String(s));
}
Tree I(int64_t i) {
  return Tree(Value::Int(i));
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(RenderTest, JsonScalars) {
  EXPECT_EQ(Json(Value::Null()), "null");
  EXPECT_EQ(ToJson(Tree()), "null");
  EXPECT_EQ(Json(Value::Bool(true)), "true");
  EXPECT_EQ(Json(Value::Bool(false)), "false");
  EXPECT_EQ(Json(Value::Int(0)), "0");
  EXPECT_EQ(Json(Value::Int(-42)), "-42");
  EXPECT_EQ(Json(Value::Int(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(Json(Value::Int(std::numeric_limits<int64_t>::max())), "9223372036854775807");
  EXPECT_EQ(Json(Value::Ref(42)), "42");
  EXPECT_EQ(Json(Value::Ref(std::numeric_limits<uint64_t>::max())), "18446744073709551615");
}

TEST(RenderTest, JsonDecimalsKeepTheirScale) {
  EXPECT_EQ(Json(Value::Dec({1230, 2})), "12.30");
  EXPECT_EQ(Json(Value::Dec({-5, 2})), "-0.05");
  EXPECT_EQ(Json(Value::Dec({0, 0})), "0");
  EXPECT_EQ(Json(Value::Dec({0, 3})), "0.000");
  EXPECT_EQ(Json(Value::Dec({-123, 0})), "-123");
  EXPECT_EQ(Json(Value::Dec({5, 1})), "0.5");
  EXPECT_EQ(Json(Value::Dec({std::numeric_limits<int64_t>::min(), 18})), "-9.223372036854775808");
  EXPECT_EQ(Json(Value::Dec({std::numeric_limits<int64_t>::max(), 0})), "9223372036854775807");
}

TEST(RenderTest, JsonFloatsShortestRoundTrip) {
  EXPECT_EQ(Json(Value::Float(0.1)), "0.1");
  EXPECT_EQ(Json(Value::Float(1.5)), "1.5");
  EXPECT_EQ(Json(Value::Float(0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(Json(Value::Float(100.0)), "100");
  EXPECT_EQ(Json(Value::Float(-0.0)), "-0");
  EXPECT_EQ(Json(Value::Float(1e21)), "1e+21");
  EXPECT_EQ(Json(Value::Float(-2.5e-8)), "-2.5e-08");
  EXPECT_EQ(Json(Value::Float(5e-324)), "5e-324");
  EXPECT_EQ(Json(Value::Float(std::numeric_limits<double>::max())), "1.7976931348623157e+308");
  // JSON has no NaN or infinity.
  EXPECT_EQ(Json(Value::Float(kNaN)), "null");
  EXPECT_EQ(Json(Value::Float(kInf)), "null");
  EXPECT_EQ(Json(Value::Float(-kInf)), "null");
}

TEST(RenderTest, JsonFloatsReadBackExactly) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    uint64_t bits = rng();
    double d;
    static_assert(sizeof(d) == sizeof(bits));
    std::memcpy(&d, &bits, sizeof(d));
    if (!std::isfinite(d))
      continue;
    std::string text = Json(Value::Float(d));
    double back = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(ec, std::errc()) << text;
    ASSERT_EQ(end, text.data() + text.size()) << text;
    ASSERT_EQ(std::memcmp(&back, &d, sizeof(d)), 0) << text;
  }
}

TEST(RenderTest, JsonStringEscapes) {
  EXPECT_EQ(Json(Value::String("")), R"("")");
  EXPECT_EQ(Json(Value::String("ann")), R"("ann")");
  EXPECT_EQ(Json(Value::String("a\"b\\c/d")), R"("a\"b\\c/d")");
  EXPECT_EQ(Json(Value::String("\n\t\r\b\f")), R"("\n\t\r\b\f")");
  EXPECT_EQ(Json(Value::String(std::string("\x00\x01\x1f\x7f", 4))), R"("\u0000\u0001\u001f)"
                                                                     "\x7f\"");
  EXPECT_EQ(Json(Value::String("\x1b[0m")), R"("\u001b[0m")");
}

TEST(RenderTest, JsonStringUtf8) {
  // Valid UTF-8 passes through: 2, 3 and 4 byte sequences.
  EXPECT_EQ(Json(Value::String("Zoë € 😀 \u2028")), "\"Zoë € 😀 \u2028\"");
  // Each byte that is not part of valid UTF-8 becomes \ufffd.
  EXPECT_EQ(Json(Value::String("\xff")), R"("\ufffd")");
  EXPECT_EQ(Json(Value::String("a\xc3")), R"("a\ufffd")");                    // truncated
  EXPECT_EQ(Json(Value::String("\xc3(")), R"("\ufffd(")");                    // bad continuation
  EXPECT_EQ(Json(Value::String("\xc0\xaf")), R"("\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(Json(Value::String("\xe0\x80\xaf")), R"("\ufffd\ufffd\ufffd")");  // overlong
  EXPECT_EQ(Json(Value::String("\xed\xa0\x80")), R"("\ufffd\ufffd\ufffd")");  // surrogate
  EXPECT_EQ(Json(Value::String("\xf4\x90\x80\x80")),
            R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  EXPECT_EQ(Json(Value::String("ok\x80ë")), "\"ok\\ufffdë\"");
}

TEST(RenderTest, JsonBytesTimestampsRefs) {
  // Bytes are the string \x0aff; in JSON text the backslash is escaped.
  EXPECT_EQ(Json(Value::Bytes(std::string("\x0a\xff", 2))), R"("\\x0aff")");
  EXPECT_EQ(Json(Value::Bytes("")), R"("\\x")");
  EXPECT_EQ(Json(Value::Bytes(std::string("\x00\x10\xab", 3))), R"("\\x0010ab")");
  EXPECT_EQ(Json(Value::Time(1714566600000000)), R"("2024-05-01T12:30:00Z")");
  EXPECT_EQ(Json(Value::Time(1714566600250000)), R"("2024-05-01T12:30:00.250000Z")");
  EXPECT_EQ(Json(Value::Time(0)), R"("1970-01-01T00:00:00Z")");
  EXPECT_EQ(Json(Value::Ref(17)), "17");
}

TEST(RenderTest, JsonNestedTrees) {
  EXPECT_EQ(ToJson(Tree::Array()), "[]");
  EXPECT_EQ(ToJson(Tree::Object()), "{}");
  Tree t = Obj({{"name", S("ann")},
                {"age", I(31)},
                {"posts", Arr({Obj({{"title", S("a \"b\"")}, {"score", V(Value::Dec({150, 1}))}}),
                               Obj({{"title", S("c")}, {"score", V(Value::Null())}})})},
                {"tags", Tree::Array()},
                {"boss", Obj({})},
                {"k\"ey\n", Arr({Arr({I(1)}), V(Value::Float(kNaN))})}});
  EXPECT_EQ(ToJson(t), R"({"name":"ann","age":31,"posts":[{"title":"a \"b\"","score":15.0},)"
                       R"({"title":"c","score":null}],"tags":[],"boss":{},"k\"ey\n":[[1],null]})");
}

TEST(RenderTest, CellsAreUnquoted) {
  EXPECT_EQ(ToCell(Value::Null()), "NULL");
  EXPECT_EQ(ToCell(Value::String("ann")), "ann");
  EXPECT_EQ(ToCell(Value::String("a\"b\\c")), "a\"b\\c");
  EXPECT_EQ(ToCell(Value::String("")), "");
  EXPECT_EQ(ToCell(Value::Bool(true)), "true");
  EXPECT_EQ(ToCell(Value::Int(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(ToCell(Value::Dec({1230, 2})), "12.30");
  EXPECT_EQ(ToCell(Value::Float(0.1)), "0.1");
  EXPECT_EQ(ToCell(Value::Float(kNaN)), "NaN");
  EXPECT_EQ(ToCell(Value::Float(kInf)), "Infinity");
  EXPECT_EQ(ToCell(Value::Float(-kInf)), "-Infinity");
  EXPECT_EQ(ToCell(Value::Bytes(std::string("\x0a\xff", 2))), "\\x0aff");
  EXPECT_EQ(ToCell(Value::Time(1714566600000000)), "2024-05-01T12:30:00Z");
  EXPECT_EQ(ToCell(Value::Ref(42)), "42");
}

TEST(RenderTest, TreeFindAndEquality) {
  Tree t = Obj({{"a", I(1)}, {"b", Arr({S("x")})}});
  ASSERT_NE(t.Find("a"), nullptr);
  EXPECT_EQ(*t.Find("a"), I(1));
  ASSERT_NE(t.Find("b"), nullptr);
  EXPECT_EQ(*t.Find("b"), Arr({S("x")}));
  EXPECT_EQ(t.Find("c"), nullptr);
  EXPECT_EQ(Arr({I(1)}).Find("a"), nullptr);
  EXPECT_EQ(I(1).Find("a"), nullptr);

  EXPECT_EQ(t, Obj({{"a", I(1)}, {"b", Arr({S("x")})}}));
  EXPECT_NE(t, Obj({{"b", Arr({S("x")})}, {"a", I(1)}}));  // key order counts
  EXPECT_NE(t, Obj({{"a", I(1)}, {"b", Arr({S("y")})}}));
  EXPECT_NE(t, Obj({{"a", I(1)}}));
  EXPECT_NE(Tree::Array(), Tree::Object());
  EXPECT_NE(Tree::Array(), Tree());
  EXPECT_EQ(Tree(), V(Value::Null()));
  EXPECT_NE(I(1), V(Value::Float(1.0)));                       // values of different types differ
  EXPECT_EQ(V(Value::Dec({15, 1})), V(Value::Dec({150, 2})));  // Value's order: 1.5 = 1.50
  EXPECT_EQ(Arr({}), Tree::Array());
  EXPECT_NE(Arr({I(1), I(2)}), Arr({I(2), I(1)}));
}

StatementResult Rows(std::vector<std::string> columns, std::vector<Tree> rows) {
  StatementResult r;
  r.kind = StatementResult::Kind::kRows;
  r.verb = "SELECT";
  r.columns = std::move(columns);
  r.value = Arr(std::move(rows));
  r.count = r.value.items().size();
  return r;
}

StatementResult Write(const char* verb, uint64_t count, std::vector<uint64_t> ids) {
  StatementResult r;
  r.kind = StatementResult::Kind::kWrite;
  r.verb = verb;
  r.count = count;
  r.ids = std::move(ids);
  return r;
}

StatementResult Other(StatementResult::Kind kind, const char* verb, std::string text) {
  StatementResult r;
  r.kind = kind;
  r.verb = verb;
  r.text = std::move(text);
  return r;
}

TEST(RenderTest, ResultToJson) {
  EXPECT_EQ(Rows({"name"}, {Obj({{"name", S("ann")}})}).ToJson(), R"([{"name":"ann"}])");
  EXPECT_EQ(Rows({}, {}).ToJson(), "[]");
  StatementResult value;
  value.kind = StatementResult::Kind::kValue;
  value.value = I(3);
  EXPECT_EQ(value.ToJson(), "3");
  value.value = Obj({{"n", V(Value::Null())}});
  EXPECT_EQ(value.ToJson(), R"({"n":null})");

  EXPECT_EQ(Write("INSERT", 1, {42}).ToJson(), R"({"ok":true,"count":1,"id":42})");
  EXPECT_EQ(Write("INSERT", 2, {42, 43}).ToJson(), R"({"ok":true,"count":2,"ids":[42,43]})");
  EXPECT_EQ(Write("UPDATE", 3, {}).ToJson(), R"({"ok":true,"count":3})");
  EXPECT_EQ(Write("DELETE", 0, {}).ToJson(), R"({"ok":true,"count":0})");

  EXPECT_EQ(
      Other(StatementResult::Kind::kExplain, "EXPLAIN", "Limit 5\n  Scan User \"u\"\n").ToJson(),
      R"({"plan":"Limit 5\n  Scan User \"u\""})");
  EXPECT_EQ(Other(StatementResult::Kind::kSchema, "TABLE",
                  "add type User = 1\nUser: add field name string = 1\n")
                .ToJson(),
            R"({"ok":true,"changes":["add type User = 1","User: add field name string = 1"]})");
  EXPECT_EQ(Other(StatementResult::Kind::kSchema, "TABLE", "").ToJson(),
            R"({"ok":true,"changes":[]})");
  EXPECT_EQ(Other(StatementResult::Kind::kTransaction, "COMMIT", "").ToJson(), R"({"ok":true})");
}

TEST(RenderTest, TableAlignsByCodePoints) {
  StatementResult r = Rows(
      {"name", "age", "tags"},
      {Obj({{"name", S("Zoë")}, {"age", I(7)}, {"tags", Arr({S("a"), S("b")})}}),
       Obj({{"name", S("Bob")}, {"age", I(31)}, {"tags", Tree::Array()}}),
       Obj({{"name", S("Ann Lee")}, {"age", V(Value::Null())}, {"tags", Obj({{"x", I(1)}})}})});
  EXPECT_EQ(r.ToTable(),
            "name    | age  | tags\n"
            "--------+------+----------\n"
            "Zoë     |    7 | [\"a\",\"b\"]\n"
            "Bob     |   31 | []\n"
            "Ann Lee | NULL | {\"x\":1}\n"
            "(3 rows)");
}

TEST(RenderTest, TableNumbersRightTextLeft) {
  StatementResult r =
      Rows({"price", "note", "ratio", "id"}, {Obj({{"price", V(Value::Dec({1230, 2}))},
                                                   {"note", S("€ ok")},
                                                   {"ratio", V(Value::Float(0.5))},
                                                   {"id", V(Value::Ref(9))}}),
                                              Obj({{"price", V(Value::Dec({-5, 2}))},
                                                   {"note", S("multi\nline")},
                                                   {"ratio", V(Value::Float(-1e21))},
                                                   {"id", V(Value::Ref(10))}})});
  // Refs are numbers too; control characters are escaped to keep lines whole.
  EXPECT_EQ(r.ToTable(),
            "price | note        | ratio  | id\n"
            "------+-------------+--------+---\n"
            "12.30 | € ok        |    0.5 |  9\n"
            "-0.05 | multi\\nline | -1e+21 | 10\n"
            "(2 rows)");
}

TEST(RenderTest, TableRowCounts) {
  EXPECT_EQ(Rows({"n"}, {Obj({{"n", I(1)}})}).ToTable(),
            "n\n"
            "-\n"
            "1\n"
            "(1 row)");
  EXPECT_EQ(Rows({"name", "age"}, {}).ToTable(),
            "name | age\n"
            "-----+----\n"
            "(0 rows)");
}

TEST(RenderTest, TableOfSingleValues) {
  EXPECT_EQ(Rows({}, {S("ann"), S("Zoë Müller"), V(Value::Null()), Arr({I(1), I(2)})}).ToTable(),
            "value\n"
            "----------\n"
            "ann\n"
            "Zoë Müller\n"
            "NULL\n"
            "[1,2]\n"
            "(4 rows)");
  EXPECT_EQ(Rows({}, {I(5), I(-120)}).ToTable(),
            "value\n"
            "-----\n"
            "    5\n"
            " -120\n"
            "(2 rows)");
  EXPECT_EQ(Rows({}, {}).ToTable(),
            "value\n"
            "-----\n"
            "(0 rows)");
}

TEST(RenderTest, ResultToTable) {
  StatementResult value;
  value.kind = StatementResult::Kind::kValue;
  value.verb = "SELECT";
  value.value = S("ann");
  EXPECT_EQ(value.ToTable(), "ann");
  value.value = V(Value::Null());
  EXPECT_EQ(value.ToTable(), "NULL");
  value.value = V(Value::Dec({-5, 2}));
  EXPECT_EQ(value.ToTable(), "-0.05");
  value.value = Obj({{"a", Arr({I(1)})}, {"b", S("x")}});
  EXPECT_EQ(value.ToTable(), R"({"a":[1],"b":"x"})");

  EXPECT_EQ(Write("INSERT", 1, {42}).ToTable(), "INSERT 1 (id 42)");
  EXPECT_EQ(Write("INSERT", 2, {42, 43}).ToTable(), "INSERT 2 (ids 42, 43)");
  EXPECT_EQ(Write("UPDATE", 3, {}).ToTable(), "UPDATE 3");
  EXPECT_EQ(Write("DELETE", 0, {}).ToTable(), "DELETE 0");

  EXPECT_EQ(Other(StatementResult::Kind::kExplain, "EXPLAIN", "Limit 5\n  Scan User\n").ToTable(),
            "Limit 5\n  Scan User");
  EXPECT_EQ(Other(StatementResult::Kind::kSchema, "TABLE", "add type User = 1\nUser: add field\n")
                .ToTable(),
            "add type User = 1\nUser: add field");
  EXPECT_EQ(Other(StatementResult::Kind::kSchema, "TABLE", "").ToTable(), "no changes");
  EXPECT_EQ(Other(StatementResult::Kind::kTransaction, "BEGIN", "").ToTable(), "BEGIN");
  EXPECT_EQ(Other(StatementResult::Kind::kTransaction, "ROLLBACK", "").ToTable(), "ROLLBACK");
}

}  // namespace
}  // namespace trine
