// Golden tests for the schema parser: the AST of valid files (values and source positions) and
// the exact formatted message of every error.
#include "schema/parser.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

#include "schema/ast.h"
#include "trine/status.h"

namespace trine::schema {
namespace {

using Kind = Literal::Kind;

Result<SchemaFile> Parse(std::string_view text) {
  return ParseSchema(text, "t.schema");
}

// The formatted error of a file that must not parse.
std::string Error(std::string_view text) {
  Result<SchemaFile> r = Parse(text);
  if (r.ok())
    return "<parsed without error>";
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  return r.status().message();
}

// Parses a file that must be valid (failing the test with the message otherwise).
SchemaFile MustParse(std::string_view text) {
  Result<SchemaFile> r = Parse(text);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : SchemaFile{};
}

void ExpectPos(const SourcePos& pos, int line, int column, size_t offset) {
  EXPECT_EQ(pos.line, line);
  EXPECT_EQ(pos.column, column);
  EXPECT_EQ(pos.offset, offset);
}

constexpr std::string_view kExample =
    "-- protobuf-style: the number after '=' is the field's identity\n"
    "TABLE User {\n"
    "  name    string     = 1 INDEX;\n"
    "  email   string     = 2 UNIQUE;\n"
    "  age     int        = 3 INDEX;\n"
    "  manager REF User   = 4;\n"
    "  RESERVED 5, 6;\n"
    "}\n"
    "TABLE Order STRICT { buyer REF User = 1 REQUIRED; total decimal(18,2) = 2 INDEX; placed time "
    "= 3; }\n"
    "TABLE Todo = 12 { title string = 1 NOT NULL DEFAULT 'untitled'; done bool = 2 INDEX DEFAULT "
    "false;\n"
    "                  RESERVED 7 TO 9, 20 TO MAX; RESERVED \"old_title\", 'legacy'; }\n";

TEST(SchemaParserTest, FullExample) {
  SchemaFile file = MustParse(kExample);
  EXPECT_EQ(file.file_name, "t.schema");
  ASSERT_EQ(file.tables.size(), 3u);

  const TableDecl& user = file.tables[0];
  EXPECT_EQ(user.name, "User");
  ExpectPos(user.pos, 2, 7, 70);
  EXPECT_FALSE(user.number.has_value());
  EXPECT_FALSE(user.strict);
  ASSERT_EQ(user.fields.size(), 4u);
  const char* names[] = {"name", "email", "age", "manager"};
  const char* types[] = {"string", "string", "int", "ref"};
  for (size_t i = 0; i < 4; ++i) {
    const FieldDecl& f = user.fields[i];
    EXPECT_EQ(f.name, names[i]);
    EXPECT_EQ(f.type.name, types[i]);
    EXPECT_EQ(f.number, i + 1);
    EXPECT_EQ(f.pos.line, static_cast<int>(3 + i));
    EXPECT_EQ(f.pos.column, 3);
    EXPECT_EQ(f.type.pos.column, 11);
    EXPECT_EQ(f.number_pos.line, static_cast<int>(3 + i));
    EXPECT_EQ(f.number_pos.column, 24);
    EXPECT_FALSE(f.required);
    EXPECT_FALSE(f.default_value.has_value());
  }
  EXPECT_TRUE(user.fields[0].index);
  EXPECT_FALSE(user.fields[0].unique);
  EXPECT_FALSE(user.fields[1].index);
  EXPECT_TRUE(user.fields[1].unique);
  EXPECT_TRUE(user.fields[2].index);
  EXPECT_FALSE(user.fields[3].index);
  EXPECT_EQ(user.fields[3].type.ref_type, "User");
  ExpectPos(user.fields[3].type.pos, 6, 11, 184);
  ExpectPos(user.fields[3].type.ref_pos, 6, 15, 188);
  ExpectPos(user.fields[0].pos, 3, 3, 79);
  ExpectPos(user.fields[0].number_pos, 3, 24, 100);
  ASSERT_EQ(user.reserved.size(), 2u);
  EXPECT_EQ(user.reserved[0].first, 5u);
  EXPECT_EQ(user.reserved[0].last, 5u);
  ExpectPos(user.reserved[0].pos, 7, 12, 211);
  EXPECT_EQ(user.reserved[1].first, 6u);
  EXPECT_EQ(user.reserved[1].last, 6u);
  ExpectPos(user.reserved[1].pos, 7, 15, 214);
  EXPECT_TRUE(user.reserved_names.empty());

  const TableDecl& order = file.tables[1];
  EXPECT_EQ(order.name, "Order");
  ExpectPos(order.pos, 9, 7, 225);
  EXPECT_FALSE(order.number.has_value());
  EXPECT_TRUE(order.strict);
  ASSERT_EQ(order.fields.size(), 3u);
  EXPECT_EQ(order.fields[0].name, "buyer");
  EXPECT_EQ(order.fields[0].type.name, "ref");
  EXPECT_EQ(order.fields[0].type.ref_type, "User");
  EXPECT_EQ(order.fields[0].type.ref_pos.column, 32);
  EXPECT_EQ(order.fields[0].number, 1u);
  EXPECT_TRUE(order.fields[0].required);
  EXPECT_FALSE(order.fields[0].index);
  EXPECT_EQ(order.fields[1].name, "total");
  EXPECT_EQ(order.fields[1].type.name, "decimal");
  EXPECT_EQ(order.fields[1].type.precision, 18);
  EXPECT_EQ(order.fields[1].type.scale, 2);
  ExpectPos(order.fields[1].type.pos, 9, 57, 275);
  EXPECT_EQ(order.fields[1].number, 2u);
  EXPECT_FALSE(order.fields[1].required);
  EXPECT_TRUE(order.fields[1].index);
  EXPECT_EQ(order.fields[2].name, "placed");
  EXPECT_EQ(order.fields[2].type.name, "time");
  EXPECT_EQ(order.fields[2].number, 3u);
  EXPECT_FALSE(order.fields[2].index);
  EXPECT_TRUE(order.reserved.empty());
  EXPECT_TRUE(order.reserved_names.empty());

  const TableDecl& todo = file.tables[2];
  EXPECT_EQ(todo.name, "Todo");
  ExpectPos(todo.pos, 10, 7, 325);
  ASSERT_TRUE(todo.number.has_value());
  EXPECT_EQ(*todo.number, 12u);
  ExpectPos(todo.number_pos, 10, 14, 332);
  EXPECT_FALSE(todo.strict);
  ASSERT_EQ(todo.fields.size(), 2u);
  const FieldDecl& title = todo.fields[0];
  EXPECT_EQ(title.name, "title");
  EXPECT_EQ(title.type.name, "string");
  EXPECT_EQ(title.number, 1u);
  EXPECT_TRUE(title.required);
  EXPECT_FALSE(title.index);
  ASSERT_TRUE(title.default_value.has_value());
  EXPECT_EQ(title.default_value->kind, Kind::kString);
  EXPECT_EQ(title.default_value->text, "untitled");
  ExpectPos(title.default_value->pos, 10, 53, 371);
  const FieldDecl& done = todo.fields[1];
  EXPECT_EQ(done.name, "done");
  EXPECT_EQ(done.type.name, "bool");
  EXPECT_EQ(done.number, 2u);
  EXPECT_FALSE(done.required);
  EXPECT_TRUE(done.index);
  ASSERT_TRUE(done.default_value.has_value());
  EXPECT_EQ(done.default_value->kind, Kind::kBool);
  EXPECT_FALSE(done.default_value->bool_value);
  ExpectPos(done.default_value->pos, 10, 93, 411);
  ASSERT_EQ(todo.reserved.size(), 2u);
  EXPECT_EQ(todo.reserved[0].first, 7u);
  EXPECT_EQ(todo.reserved[0].last, 9u);
  ExpectPos(todo.reserved[0].pos, 11, 28, 445);
  EXPECT_EQ(todo.reserved[1].first, 20u);
  EXPECT_EQ(todo.reserved[1].last, kMaxFieldNumber);
  ExpectPos(todo.reserved[1].pos, 11, 36, 453);
  ASSERT_EQ(todo.reserved_names.size(), 2u);
  EXPECT_EQ(todo.reserved_names[0].name, "old_title");
  ExpectPos(todo.reserved_names[0].pos, 11, 56, 473);
  EXPECT_EQ(todo.reserved_names[1].name, "legacy");
  ExpectPos(todo.reserved_names[1].pos, 11, 69, 486);
}

TEST(SchemaParserTest, EmptyFiles) {
  EXPECT_TRUE(MustParse("").tables.empty());
  EXPECT_TRUE(MustParse(std::string_view()).tables.empty());
  EXPECT_TRUE(MustParse("  \n\t\r\n").tables.empty());
  EXPECT_TRUE(MustParse("-- nothing here\n/* still\n nothing */ -- at all").tables.empty());
  EXPECT_TRUE(MustParse("TABLE Empty {}").tables[0].fields.empty());
}

TEST(SchemaParserTest, AllFieldTypes) {
  SchemaFile file = MustParse(
      "TABLE T { a bool = 1; b int = 2; c float = 3; d decimal(1,0) = 4; e decimal( 18 , 18 ) = 5;"
      " f string = 6; g bytes = 7; h time = 8; i timestamp = 9; j REF Other = 10; }");
  const auto& f = file.tables[0].fields;
  ASSERT_EQ(f.size(), 10u);
  const char* types[] = {"bool",   "int",   "float", "decimal", "decimal",
                         "string", "bytes", "time",  "time",    "ref"};
  for (size_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(f[i].type.name, types[i]) << i;
    EXPECT_EQ(f[i].number, i + 1);
  }
  EXPECT_EQ(f[3].type.precision, 1);
  EXPECT_EQ(f[3].type.scale, 0);
  EXPECT_EQ(f[4].type.precision, 18);
  EXPECT_EQ(f[4].type.scale, 18);
  EXPECT_EQ(f[9].type.ref_type, "Other");
  EXPECT_TRUE(f[0].type.ref_type.empty());
  EXPECT_EQ(f[0].type.precision, 0);
}

TEST(SchemaParserTest, KeywordsAndTypesAreCaseInsensitive) {
  SchemaFile file = MustParse(
      "table A = 3 strict { a BOOL = 1 not null; b Int = 2 Unique; c FLOAT = 3 index;"
      " d Decimal(9,2) = 4 Default 1.5; e STRING = 5 required; f Bytes = 6 null;"
      " g TIME = 7; h TimeStamp = 8 DeFaUlT nUlL; i ref A = 9; j bool = 10 default true;"
      " reserved 11 to max; Reserved 'z'; }\n"
      "Table B Strict {} TABLE C {}");
  ASSERT_EQ(file.tables.size(), 3u);
  const TableDecl& a = file.tables[0];
  EXPECT_TRUE(a.strict);
  EXPECT_EQ(a.number, 3u);
  const char* types[] = {"bool",  "int",  "float", "decimal", "string",
                         "bytes", "time", "time",  "ref",     "bool"};
  ASSERT_EQ(a.fields.size(), 10u);
  for (size_t i = 0; i < a.fields.size(); ++i)
    EXPECT_EQ(a.fields[i].type.name, types[i]) << i;
  EXPECT_TRUE(a.fields[0].required);
  EXPECT_TRUE(a.fields[1].unique);
  EXPECT_TRUE(a.fields[2].index);
  EXPECT_EQ(a.fields[3].default_value->kind, Kind::kNumber);
  EXPECT_TRUE(a.fields[4].required);
  EXPECT_FALSE(a.fields[5].required);
  EXPECT_EQ(a.fields[7].default_value->kind, Kind::kNull);
  EXPECT_EQ(a.fields[8].type.ref_type, "A");
  EXPECT_TRUE(a.fields[9].default_value->bool_value);
  ASSERT_EQ(a.reserved.size(), 1u);
  EXPECT_EQ(a.reserved[0].last, kMaxFieldNumber);
  EXPECT_TRUE(file.tables[1].strict);
}

TEST(SchemaParserTest, NamesAreCaseSensitiveAndMayBeKeywords) {
  SchemaFile file = MustParse(
      "TABLE user {} TABLE User {}\n"
      "TABLE Table { table int = 1; index string = 2 INDEX; int int = 3; REF REF REF = 4;"
      " time timestamp = 5; reserved_at time = 6; _x9 bool = 7; Name string = 8; name string = 9;"
      " NULL int = 10 NULL; }\n"
      "TABLE Strict STRICT { STRICT int = 1; }");
  ASSERT_EQ(file.tables.size(), 4u);
  EXPECT_EQ(file.tables[0].name, "user");
  EXPECT_EQ(file.tables[1].name, "User");
  const TableDecl& t = file.tables[2];
  EXPECT_EQ(t.name, "Table");
  ASSERT_EQ(t.fields.size(), 10u);
  const char* names[] = {"table",       "index", "int",  "REF",  "time",
                         "reserved_at", "_x9",   "Name", "name", "NULL"};
  for (size_t i = 0; i < t.fields.size(); ++i)
    EXPECT_EQ(t.fields[i].name, names[i]);
  EXPECT_EQ(t.fields[3].type.name, "ref");
  EXPECT_EQ(t.fields[3].type.ref_type, "REF");
  EXPECT_EQ(t.fields[4].type.name, "time");
  EXPECT_EQ(file.tables[3].name, "Strict");
  EXPECT_TRUE(file.tables[3].strict);
  EXPECT_EQ(file.tables[3].fields[0].name, "STRICT");
}

TEST(SchemaParserTest, Options) {
  SchemaFile file = MustParse(
      "TABLE T { a int = 1; b int = 2 REQUIRED; c int = 3 NOT NULL; d int = 4 NULL;"
      " e int = 5 UNIQUE; f int = 6 INDEX; g int = 7 UNIQUE INDEX REQUIRED DEFAULT 3;"
      " h int = 8 NOT  /* between */ NULL; }");
  const auto& f = file.tables[0].fields;
  ASSERT_EQ(f.size(), 8u);
  auto flags = [](const FieldDecl& d) {
    return std::string(d.required ? "R" : "-") + (d.unique ? "U" : "-") + (d.index ? "I" : "-") +
           (d.default_value ? "D" : "-");
  };
  EXPECT_EQ(flags(f[0]), "----");
  EXPECT_EQ(flags(f[1]), "R---");
  EXPECT_EQ(flags(f[2]), "R---");
  EXPECT_EQ(flags(f[3]), "----");
  EXPECT_EQ(flags(f[4]), "-U--");
  EXPECT_EQ(flags(f[5]), "--I-");
  EXPECT_EQ(flags(f[6]), "RUID");
  EXPECT_EQ(flags(f[7]), "R---");
}

TEST(SchemaParserTest, Literals) {
  SchemaFile file = MustParse(
      "TABLE T {\n"
      "  a int = 1 DEFAULT NULL;\n"
      "  b bool = 2 DEFAULT TRUE;\n"
      "  c bool = 3 DEFAULT False;\n"
      "  d int = 4 DEFAULT 42;\n"
      "  e int = 5 DEFAULT -42;\n"
      "  f int = 6 DEFAULT +7;\n"
      "  g int = 7 DEFAULT -9223372036854775808;\n"
      "  h float = 8 DEFAULT 9223372036854775808;\n"
      "  i decimal(9,2) = 9 DEFAULT -1.50;\n"
      "  j float = 10 DEFAULT 2.5e3;\n"
      "  k float = 11 DEFAULT -1E-2;\n"
      "  l string = 12 DEFAULT 'it''s';\n"
      "  m string = 13 DEFAULT \"a\\\"b\\\\c\\nd\\te\";\n"
      "  n string = 14 DEFAULT \"\\u00e9\\u20AC\\ud83d\\ude00\";\n"
      "  o bytes = 15 DEFAULT '';\n"
      "  p time = 16 DEFAULT \"2024-01-02T03:04:05Z\";\n"
      "  q string = 17 DEFAULT 'no \\escapes \"here\"';\n"
      "  r int = 18 DEFAULT 007;\n"
      "  s string = 19 DEFAULT \"-- not /* a comment\";\n"
      "}");
  const auto& f = file.tables[0].fields;
  ASSERT_EQ(f.size(), 19u);
  for (const FieldDecl& d : f)
    ASSERT_TRUE(d.default_value.has_value()) << d.name;
  EXPECT_EQ(f[0].default_value->kind, Kind::kNull);
  EXPECT_EQ(f[1].default_value->kind, Kind::kBool);
  EXPECT_TRUE(f[1].default_value->bool_value);
  EXPECT_EQ(f[2].default_value->kind, Kind::kBool);
  EXPECT_FALSE(f[2].default_value->bool_value);
  EXPECT_EQ(f[3].default_value->kind, Kind::kInt);
  EXPECT_EQ(f[3].default_value->int_value, 42);
  EXPECT_EQ(f[4].default_value->int_value, -42);
  EXPECT_EQ(f[5].default_value->kind, Kind::kInt);
  EXPECT_EQ(f[5].default_value->int_value, 7);
  EXPECT_EQ(f[6].default_value->kind, Kind::kInt);
  EXPECT_EQ(f[6].default_value->int_value, INT64_MIN);
  EXPECT_EQ(f[7].default_value->kind, Kind::kNumber);  // does not fit int64
  EXPECT_EQ(f[7].default_value->text, "9223372036854775808");
  EXPECT_EQ(f[8].default_value->kind, Kind::kNumber);
  EXPECT_EQ(f[8].default_value->text, "-1.50");
  EXPECT_EQ(f[9].default_value->text, "2.5e3");
  EXPECT_EQ(f[10].default_value->text, "-1E-2");
  EXPECT_EQ(f[11].default_value->kind, Kind::kString);
  EXPECT_EQ(f[11].default_value->text, "it's");
  EXPECT_EQ(f[12].default_value->text, "a\"b\\c\nd\te");
  EXPECT_EQ(f[13].default_value->text, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(f[14].default_value->kind, Kind::kString);
  EXPECT_EQ(f[14].default_value->text, "");
  EXPECT_EQ(f[15].default_value->text, "2024-01-02T03:04:05Z");
  EXPECT_EQ(f[16].default_value->text, "no \\escapes \"here\"");
  EXPECT_EQ(f[17].default_value->int_value, 7);
  EXPECT_EQ(f[18].default_value->text, "-- not /* a comment");
  ExpectPos(f[0].default_value->pos, 2, 21, 30);
  ExpectPos(f[4].default_value->pos, 6, 21, 135);  // at the sign
  ExpectPos(f[11].default_value->pos, 13, 25, 369);
}

TEST(SchemaParserTest, DefaultsThatFit) {
  SchemaFile file = MustParse(
      "TABLE T { a decimal(9,2) = 1 DEFAULT 1234567.89; b decimal(9,2) = 2 DEFAULT -0.5;"
      " c decimal(9,1) = 3 DEFAULT 1.50; d decimal(1,0) = 4 DEFAULT 0.000; e decimal(3,0) = 5"
      " DEFAULT 1e2; f decimal(3,2) = 6 DEFAULT 125e-2; g decimal(18,18) = 7 DEFAULT 0.5;"
      " h decimal(2,0) = 8 DEFAULT 0099; i float = 9 DEFAULT 1; j float = 10 DEFAULT -1e308;"
      " k bool = 11 DEFAULT NULL; l int = 12 REQUIRED DEFAULT 1; m string = 13 NOT NULL DEFAULT"
      " \"\"; n decimal(4,2) = 14 DEFAULT +12; }");
  EXPECT_EQ(file.tables[0].fields.size(), 14u);
}

TEST(SchemaParserTest, ReservedForms) {
  SchemaFile file = MustParse(
      "TABLE T {\n"
      "  RESERVED 1;\n"
      "  RESERVED 2, 3 TO 5, 4 TO 8, 9 TO 9, 100 TO MAX;\n"
      "  RESERVED 'a', \"b\";\n"
      "  RESERVED 'a';\n"
      "  x int = 10;\n"
      "}");
  const TableDecl& t = file.tables[0];
  ASSERT_EQ(t.reserved.size(), 6u);
  uint64_t expected[][2] = {{1, 1}, {2, 2}, {3, 5}, {4, 8}, {9, 9}, {100, kMaxFieldNumber}};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(t.reserved[i].first, expected[i][0]) << i;
    EXPECT_EQ(t.reserved[i].last, expected[i][1]) << i;
  }
  ExpectPos(t.reserved[0].pos, 2, 12, 21);
  ExpectPos(t.reserved[2].pos, 3, 15, 38);
  ExpectPos(t.reserved[5].pos, 3, 39, 62);
  ASSERT_EQ(t.reserved_names.size(), 3u);
  EXPECT_EQ(t.reserved_names[0].name, "a");
  EXPECT_EQ(t.reserved_names[1].name, "b");
  ExpectPos(t.reserved_names[1].pos, 4, 17, 90);
  EXPECT_EQ(t.reserved_names[2].name, "a");
}

TEST(SchemaParserTest, CommentsInOddPlaces) {
  SchemaFile file = MustParse(
      "/*a*/TABLE/*b*/A--c\n"
      "=/*d*/7/**/STRICT{x/***/int--\n"
      "=1/* } */REQUIRED;-- ; }\n"
      "y decimal/*(*/(/**/9/**/,--\n"
      "2/**/)=2 DEFAULT -- comment, then the literal\n"
      "-5;RESERVED/* ** */3/**/TO/**/MAX/**/ ;RESERVED/**/'n'/**/,\"m\";"
      "/* a\n"
      "multi-line -- comment */}/**/;--end");
  ASSERT_EQ(file.tables.size(), 1u);
  const TableDecl& t = file.tables[0];
  EXPECT_EQ(t.name, "A");
  EXPECT_EQ(t.number, 7u);
  EXPECT_TRUE(t.strict);
  ASSERT_EQ(t.fields.size(), 2u);
  EXPECT_EQ(t.fields[0].name, "x");
  EXPECT_EQ(t.fields[0].type.name, "int");
  EXPECT_TRUE(t.fields[0].required);
  ExpectPos(t.fields[0].pos, 2, 19, 38);
  ExpectPos(t.fields[0].number_pos, 3, 2, 51);
  EXPECT_EQ(t.fields[1].name, "y");
  EXPECT_EQ(t.fields[1].type.precision, 9);
  EXPECT_EQ(t.fields[1].type.scale, 2);
  ExpectPos(t.fields[1].pos, 4, 1, 75);
  ASSERT_TRUE(t.fields[1].default_value.has_value());
  EXPECT_EQ(t.fields[1].default_value->int_value, -5);
  ExpectPos(t.fields[1].default_value->pos, 6, 1, 149);
  ASSERT_EQ(t.reserved.size(), 1u);
  EXPECT_EQ(t.reserved[0].first, 3u);
  EXPECT_EQ(t.reserved[0].last, kMaxFieldNumber);
  ExpectPos(t.reserved[0].pos, 6, 20, 168);
  ASSERT_EQ(t.reserved_names.size(), 2u);
  EXPECT_EQ(t.reserved_names[0].name, "n");
  EXPECT_EQ(t.reserved_names[1].name, "m");
}

TEST(SchemaParserTest, MultipleTables) {
  SchemaFile file = MustParse(
      "TABLE A = 1 { x int = 1; };\n"
      "TABLE B = 2 { x int = 1; }\n"
      "TABLE C STRICT { x REF A = 1; y REF B = 2; RESERVED 'z'; };"
      "TABLE D {} TABLE E = 268435455 { z string = 268435455; }");
  ASSERT_EQ(file.tables.size(), 5u);
  const char* names[] = {"A", "B", "C", "D", "E"};
  for (size_t i = 0; i < 5; ++i)
    EXPECT_EQ(file.tables[i].name, names[i]);
  EXPECT_EQ(file.tables[0].number, 1u);
  EXPECT_EQ(file.tables[1].number, 2u);
  EXPECT_FALSE(file.tables[2].number.has_value());
  EXPECT_TRUE(file.tables[2].strict);
  EXPECT_EQ(file.tables[2].fields[1].type.ref_type, "B");
  EXPECT_TRUE(file.tables[3].fields.empty());
  EXPECT_EQ(file.tables[4].number, kMaxFieldNumber);
  EXPECT_EQ(file.tables[4].fields[0].number, kMaxFieldNumber);
  ExpectPos(file.tables[1].pos, 2, 7, 34);
  ExpectPos(file.tables[4].number_pos, 3, 81, 135);
}

TEST(SchemaParserTest, WindowsLineEndingPositions) {
  SchemaFile file = MustParse(
      "-- crlf\r\n"
      "TABLE A = 5 {\r\n"
      "\tx int = 1 DEFAULT 3;\r\n"
      "  RESERVED 2 TO 4;\r\n"
      "}\r\n");
  const TableDecl& t = file.tables[0];
  ExpectPos(t.pos, 2, 7, 15);
  ExpectPos(t.number_pos, 2, 11, 19);
  ExpectPos(t.fields[0].pos, 3, 2, 25);
  ExpectPos(t.fields[0].type.pos, 3, 4, 27);
  ExpectPos(t.fields[0].number_pos, 3, 10, 33);
  ExpectPos(t.fields[0].default_value->pos, 3, 20, 43);
  ExpectPos(t.reserved[0].pos, 4, 12, 58);
}

TEST(SchemaParserTest, ErrorIsInvalidArgument) {
  Result<SchemaFile> r = ParseSchema("TABLE", "dir/my file.schema");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().message(),
            "dir/my file.schema:1:6: error: expected table name\n"
            "TABLE\n"
            "     ^\n");
}

TEST(SchemaParserTest, FormatErrorByHand) {
  std::string_view text = "line one\n\tline\ttwo\r\nthree";
  SourcePos pos;
  pos.line = 2;
  pos.column = 7;  // offset left 0: the line is found by its number
  EXPECT_EQ(FormatError("f", text, pos, "msg"),
            "f:2:7: error: msg\n"
            "\tline\ttwo\n"
            "\t    \t^\n");
  pos.line = 3;
  pos.column = 9;  // past the end of the line
  EXPECT_EQ(FormatError("f", text, pos, "at end"),
            "f:3:9: error: at end\n"
            "three\n"
            "        ^\n");
  pos.line = 1;
  pos.column = 1;
  EXPECT_EQ(FormatError("f", text, pos, "start"),
            "f:1:1: error: start\n"
            "line one\n"
            "^\n");
  pos.line = 9;  // beyond the text: an empty source line
  EXPECT_EQ(FormatError("f", text, pos, "far"),
            "f:9:1: error: far\n"
            "\n"
            "^\n");
}

TEST(SchemaParserTest, HeaderSyntaxErrors) {
  EXPECT_EQ(Error("TABLE 1 {}"),
            "t.schema:1:7: error: expected table name\n"
            "TABLE 1 {}\n"
            "      ^\n");
  EXPECT_EQ(Error("TABLE A"),
            "t.schema:1:8: error: expected '{' to open the table\n"
            "TABLE A\n"
            "       ^\n");
  EXPECT_EQ(Error("TABLE A = x {}"),
            "t.schema:1:11: error: expected table number\n"
            "TABLE A = x {}\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A = 1 = 2 {}"),
            "t.schema:1:13: error: expected '{' to open the table\n"
            "TABLE A = 1 = 2 {}\n"
            "            ^\n");
  EXPECT_EQ(Error("TABLE A STRICT = 1 {}"),
            "t.schema:1:16: error: expected '{' to open the table\n"
            "TABLE A STRICT = 1 {}\n"
            "               ^\n");
  EXPECT_EQ(Error("TABLE A = -1 {}"),
            "t.schema:1:11: error: expected table number\n"
            "TABLE A = -1 {}\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLEA {}"),
            "t.schema:1:1: error: expected TABLE or VIEW\n"
            "TABLEA {}\n"
            "^\n");
  EXPECT_EQ(Error("CREATE TABLE A {}"),
            "t.schema:1:1: error: expected TABLE or VIEW\n"
            "CREATE TABLE A {}\n"
            "^\n");
  EXPECT_EQ(Error("TABLE A {} garbage"),
            "t.schema:1:12: error: expected TABLE or VIEW\n"
            "TABLE A {} garbage\n"
            "           ^\n");
  EXPECT_EQ(Error("TABLE A {};;"),
            "t.schema:1:12: error: expected TABLE or VIEW\n"
            "TABLE A {};;\n"
            "           ^\n");
  EXPECT_EQ(Error("TABLE A {}\n}"),
            "t.schema:2:1: error: expected TABLE or VIEW\n"
            "}\n"
            "^\n");
}

TEST(SchemaParserTest, FieldSyntaxErrors) {
  EXPECT_EQ(Error("TABLE A { 1 }"),
            "t.schema:1:11: error: expected field, RESERVED or '}'\n"
            "TABLE A { 1 }\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A { ; }"),
            "t.schema:1:11: error: expected field, RESERVED or '}'\n"
            "TABLE A { ; }\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A { x }"),
            "t.schema:1:13: error: expected field type (bool, int, float, decimal(p,s), string, "
            "bytes, time, REF Type)\n"
            "TABLE A { x }\n"
            "            ^\n");
  EXPECT_EQ(Error("TABLE A { x integer = 1; }"),
            "t.schema:1:13: error: expected field type (bool, int, float, decimal(p,s), string, "
            "bytes, time, REF Type)\n"
            "TABLE A { x integer = 1; }\n"
            "            ^\n");
  EXPECT_EQ(Error("TABLE A { x int 1; }"),
            "t.schema:1:17: error: expected '=' and a field number\n"
            "TABLE A { x int 1; }\n"
            "                ^\n");
  EXPECT_EQ(Error("TABLE A { x int = ; }"),
            "t.schema:1:19: error: expected field number\n"
            "TABLE A { x int = ; }\n"
            "                  ^\n");
  EXPECT_EQ(Error("TABLE A { x int = -1; }"),
            "t.schema:1:19: error: expected field number\n"
            "TABLE A { x int = -1; }\n"
            "                  ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 }"),
            "t.schema:1:21: error: expected ';' after field\n"
            "TABLE A { x int = 1 }\n"
            "                    ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 INDX; }"),
            "t.schema:1:21: error: expected ';' after field\n"
            "TABLE A { x int = 1 INDX; }\n"
            "                    ^\n");
  EXPECT_EQ(Error("TABLE A {\n  x int = 1\n  y int = 2;\n}"),
            "t.schema:3:3: error: expected ';' after field\n"
            "  y int = 2;\n"
            "  ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal 1; }"),
            "t.schema:1:21: error: expected '(' after decimal\n"
            "TABLE A { x decimal 1; }\n"
            "                    ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(1 2); }"),
            "t.schema:1:23: error: expected ',' between decimal precision and scale\n"
            "TABLE A { x decimal(1 2); }\n"
            "                      ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(1,); }"),
            "t.schema:1:23: error: expected decimal scale\n"
            "TABLE A { x decimal(1,); }\n"
            "                      ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(1,1; }"),
            "t.schema:1:24: error: expected ')' after decimal scale\n"
            "TABLE A { x decimal(1,1; }\n"
            "                       ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(a,1) = 1; }"),
            "t.schema:1:21: error: expected decimal precision\n"
            "TABLE A { x decimal(a,1) = 1; }\n"
            "                    ^\n");
  EXPECT_EQ(Error("TABLE A { x REF = 1; }"),
            "t.schema:1:17: error: expected table name after REF\n"
            "TABLE A { x REF = 1; }\n"
            "                ^\n");
  EXPECT_EQ(Error("TABLE A { x REF 'B' = 1; }"),
            "t.schema:1:17: error: expected table name after REF\n"
            "TABLE A { x REF 'B' = 1; }\n"
            "                ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 NOT; }"),
            "t.schema:1:24: error: expected NULL after NOT\n"
            "TABLE A { x int = 1 NOT; }\n"
            "                       ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 NOT REQUIRED; }"),
            "t.schema:1:25: error: expected NULL after NOT\n"
            "TABLE A { x int = 1 NOT REQUIRED; }\n"
            "                        ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT; }"),
            "t.schema:1:28: error: expected literal after DEFAULT (NULL, TRUE, FALSE, a number or "
            "a string)\n"
            "TABLE A { x int = 1 DEFAULT; }\n"
            "                           ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT x; }"),
            "t.schema:1:29: error: expected literal after DEFAULT (NULL, TRUE, FALSE, a number or "
            "a string)\n"
            "TABLE A { x int = 1 DEFAULT x; }\n"
            "                            ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT .5; }"),
            "t.schema:1:29: error: expected literal after DEFAULT (NULL, TRUE, FALSE, a number or "
            "a string)\n"
            "TABLE A { x int = 1 DEFAULT .5; }\n"
            "                            ^\n");
}

TEST(SchemaParserTest, ReservedSyntaxErrors) {
  EXPECT_EQ(Error("TABLE A { RESERVED; }"),
            "t.schema:1:19: error: expected field numbers or quoted names after RESERVED\n"
            "TABLE A { RESERVED; }\n"
            "                  ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 1,; }"),
            "t.schema:1:22: error: expected field number or range after ','\n"
            "TABLE A { RESERVED 1,; }\n"
            "                     ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 'a', 1; }"),
            "t.schema:1:25: error: expected quoted name after ','\n"
            "TABLE A { RESERVED 'a', 1; }\n"
            "                        ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 1, 'a'; }"),
            "t.schema:1:23: error: expected field number or range after ','\n"
            "TABLE A { RESERVED 1, 'a'; }\n"
            "                      ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 1 TO; }"),
            "t.schema:1:24: error: expected field number or MAX after TO\n"
            "TABLE A { RESERVED 1 TO; }\n"
            "                       ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 1 TO x; }"),
            "t.schema:1:25: error: expected field number or MAX after TO\n"
            "TABLE A { RESERVED 1 TO x; }\n"
            "                        ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 1 2; }"),
            "t.schema:1:22: error: expected ';' after RESERVED list\n"
            "TABLE A { RESERVED 1 2; }\n"
            "                     ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED -1; }"),
            "t.schema:1:20: error: expected field numbers or quoted names after RESERVED\n"
            "TABLE A { RESERVED -1; }\n"
            "                   ^\n");
  // A member starting with RESERVED is always a RESERVED list (documented in parser.cpp).
  EXPECT_EQ(Error("TABLE A { reserved int = 1; }"),
            "t.schema:1:20: error: expected field numbers or quoted names after RESERVED\n"
            "TABLE A { reserved int = 1; }\n"
            "                   ^\n");
}

TEST(SchemaParserTest, LexicalErrors) {
  EXPECT_EQ(Error("TABLE A { /* never closed\n  x int = 1; }"),
            "t.schema:1:11: error: unterminated block comment\n"
            "TABLE A { /* never closed\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1; } /* open"),
            "t.schema:1:24: error: unterminated block comment\n"
            "TABLE A { x int = 1; } /* open\n"
            "                       ^\n");
  EXPECT_EQ(Error("TABLE A { x string = 1 DEFAULT 'abc\n; }"),
            "t.schema:1:32: error: unterminated string\n"
            "TABLE A { x string = 1 DEFAULT 'abc\n"
            "                               ^\n");
  EXPECT_EQ(Error("TABLE A { x string = 1 DEFAULT \"abc"),
            "t.schema:1:32: error: unterminated string\n"
            "TABLE A { x string = 1 DEFAULT \"abc\n"
            "                               ^\n");
  EXPECT_EQ(Error("TABLE A { x string = 1 DEFAULT 'it''s; }"),
            "t.schema:1:32: error: unterminated string\n"
            "TABLE A { x string = 1 DEFAULT 'it''s; }\n"
            "                               ^\n");
  EXPECT_EQ(Error("TABLE A { x string = 1 DEFAULT \"ends with \\\"; }"),
            "t.schema:1:32: error: unterminated string\n"
            "TABLE A { x string = 1 DEFAULT \"ends with \\\"; }\n"
            "                               ^\n");
  EXPECT_EQ(
      Error("TABLE A { x string = 1 DEFAULT \"a\\qb\"; }"),
      "t.schema:1:34: error: unknown escape sequence in string (use \\\" \\\\ \\n \\t \\uXXXX)\n"
      "TABLE A { x string = 1 DEFAULT \"a\\qb\"; }\n"
      "                                 ^\n");
  EXPECT_EQ(Error("TABLE A { x string = 1 DEFAULT \"a\\u12\"; }"),
            "t.schema:1:34: error: expected 4 hex digits after \\u\n"
            "TABLE A { x string = 1 DEFAULT \"a\\u12\"; }\n"
            "                                 ^\n");
  EXPECT_EQ(Error("TABLE A { x string = 1 DEFAULT \"\\ud800x\"; }"),
            "t.schema:1:33: error: \\u escape is a lone UTF-16 surrogate\n"
            "TABLE A { x string = 1 DEFAULT \"\\ud800x\"; }\n"
            "                                ^\n");
  EXPECT_EQ(Error("TABLE A { x string = 1 DEFAULT \"\\udc00\"; }"),
            "t.schema:1:33: error: \\u escape is a lone UTF-16 surrogate\n"
            "TABLE A { x string = 1 DEFAULT \"\\udc00\"; }\n"
            "                                ^\n");
  EXPECT_EQ(
      Error("TABLE A { RESERVED \"a\\qb\"; }"),
      "t.schema:1:22: error: unknown escape sequence in string (use \\\" \\\\ \\n \\t \\uXXXX)\n"
      "TABLE A { RESERVED \"a\\qb\"; }\n"
      "                     ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 99999999999999999999999; }"),
            "t.schema:1:19: error: number 99999999999999999999999 is too large\n"
            "TABLE A { x int = 99999999999999999999999; }\n"
            "                  ^\n");
  EXPECT_EQ(Error("TABLE A = 18446744073709551616 {}"),
            "t.schema:1:11: error: number 18446744073709551616 is too large\n"
            "TABLE A = 18446744073709551616 {}\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 1 TO 18446744073709551616; }"),
            "t.schema:1:25: error: number 18446744073709551616 is too large\n"
            "TABLE A { RESERVED 1 TO 18446744073709551616; }\n"
            "                        ^\n");
}

TEST(SchemaParserTest, ErrorAtEndOfInput) {
  EXPECT_EQ(Error("TABLE"),
            "t.schema:1:6: error: expected table name\n"
            "TABLE\n"
            "     ^\n");
  EXPECT_EQ(Error("TABLE A {"),
            "t.schema:1:10: error: expected field, RESERVED or '}'\n"
            "TABLE A {\n"
            "         ^\n");
  EXPECT_EQ(Error("TABLE A {\n  x int = 1"),
            "t.schema:2:12: error: expected ';' after field\n"
            "  x int = 1\n"
            "           ^\n");
  EXPECT_EQ(Error("TABLE A {\n  x int = 1;\n"),
            "t.schema:3:1: error: expected field, RESERVED or '}'\n"
            "\n"
            "^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT"),
            "t.schema:1:28: error: expected literal after DEFAULT (NULL, TRUE, FALSE, a number or "
            "a string)\n"
            "TABLE A { x int = 1 DEFAULT\n"
            "                           ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1; -- comment at the end"),
            "t.schema:1:43: error: expected field, RESERVED or '}'\n"
            "TABLE A { x int = 1; -- comment at the end\n"
            "                                          ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal("),
            "t.schema:1:21: error: expected decimal precision\n"
            "TABLE A { x decimal(\n"
            "                    ^\n");
}

TEST(SchemaParserTest, ErrorSkipsCommentsBeforeToken) {
  EXPECT_EQ(Error("TABLE A { x int = 1 -- no semicolon\n /* c */ }"),
            "t.schema:2:10: error: expected ';' after field\n"
            " /* c */ }\n"
            "         ^\n");
  EXPECT_EQ(Error("TABLE A { x /* type? */ -- no\n\n   = 1; }"),
            "t.schema:3:4: error: expected field type (bool, int, float, decimal(p,s), string, "
            "bytes, time, REF Type)\n"
            "   = 1; }\n"
            "   ^\n");
}

TEST(SchemaParserTest, DuplicateTables) {
  EXPECT_EQ(Error("TABLE A {}\nTABLE B {}\nTABLE A {}"),
            "t.schema:3:7: error: table 'A' already defined (line 1)\n"
            "TABLE A {}\n"
            "      ^\n");
  EXPECT_EQ(Error("TABLE A = 1 {}\nTABLE B = 2 {}\nTABLE C = 1 {}"),
            "t.schema:3:11: error: table number 1 already used by 'A' (line 1)\n"
            "TABLE C = 1 {}\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A {}\nTABLE a {}\nTABLE A {}"),
            "t.schema:3:7: error: table 'A' already defined (line 1)\n"
            "TABLE A {}\n"
            "      ^\n");
}

TEST(SchemaParserTest, NumberRanges) {
  EXPECT_EQ(Error("TABLE A = 0 {}"),
            "t.schema:1:11: error: table number 0 out of range (1 to 268435455)\n"
            "TABLE A = 0 {}\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A = 268435456 {}"),
            "t.schema:1:11: error: table number 268435456 out of range (1 to 268435455)\n"
            "TABLE A = 268435456 {}\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 0; }"),
            "t.schema:1:19: error: field number 0 out of range (1 to 268435455)\n"
            "TABLE A { x int = 0; }\n"
            "                  ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 268435456; }"),
            "t.schema:1:19: error: field number 268435456 out of range (1 to 268435455)\n"
            "TABLE A { x int = 268435456; }\n"
            "                  ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 0; }"),
            "t.schema:1:20: error: reserved field number 0 out of range (1 to 268435455)\n"
            "TABLE A { RESERVED 0; }\n"
            "                   ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 268435456; }"),
            "t.schema:1:20: error: reserved field number 268435456 out of range (1 to 268435455)\n"
            "TABLE A { RESERVED 268435456; }\n"
            "                   ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 1 TO 268435456; }"),
            "t.schema:1:20: error: reserved field number 268435456 out of range (1 to 268435455)\n"
            "TABLE A { RESERVED 1 TO 268435456; }\n"
            "                   ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 9 TO 7; }"),
            "t.schema:1:20: error: reserved range 9 TO 7 is empty (9 > 7)\n"
            "TABLE A { RESERVED 9 TO 7; }\n"
            "                   ^\n");
}

TEST(SchemaParserTest, DuplicateFields) {
  EXPECT_EQ(Error("TABLE User {\n  name string = 1;\n  email string = 2;\n  age int = 3;\n  nick "
                  "string = 3;\n}"),
            "t.schema:5:17: error: field number 3 already used by 'age' (line 4)\n"
            "  nick string = 3;\n"
            "                ^\n");
  EXPECT_EQ(Error("TABLE User {\n  name string = 1;\n  name int = 2;\n}"),
            "t.schema:3:3: error: field 'name' already defined (line 2)\n"
            "  name int = 2;\n"
            "  ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1; } TABLE B { y int = 2; z int = 2; }"),
            "t.schema:1:53: error: field number 2 already used by 'y' (line 1)\n"
            "TABLE A { x int = 1; } TABLE B { y int = 2; z int = 2; }\n"
            "                                                    ^\n");
}

TEST(SchemaParserTest, ReservedFields) {
  EXPECT_EQ(Error("TABLE A {\n  x int = 1;\n\n\n\n\n\n\n  RESERVED 2, 5 TO 6;\n  y int = 5;\n}"),
            "t.schema:10:11: error: field number 5 is reserved (line 9)\n"
            "  y int = 5;\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 10 TO MAX; x int = 268435455; }"),
            "t.schema:1:39: error: field number 268435455 is reserved (line 1)\n"
            "TABLE A { RESERVED 10 TO MAX; x int = 268435455; }\n"
            "                                      ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 1 TO 3, 2 TO 4; x int = 4; }"),
            "t.schema:1:44: error: field number 4 is reserved (line 1)\n"
            "TABLE A { RESERVED 1 TO 3, 2 TO 4; x int = 4; }\n"
            "                                           ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1;\n  RESERVED 'old', \"x\"; }"),
            "t.schema:1:11: error: field name 'x' is reserved (line 2)\n"
            "TABLE A { x int = 1;\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A { RESERVED 'X'; x int = 1; RESERVED 'x'; }"),
            "t.schema:1:25: error: field name 'x' is reserved (line 1)\n"
            "TABLE A { RESERVED 'X'; x int = 1; RESERVED 'x'; }\n"
            "                        ^\n");
}

TEST(SchemaParserTest, DecimalBounds) {
  EXPECT_EQ(Error("TABLE A { x decimal(19,2) = 1; }"),
            "t.schema:1:13: error: decimal precision must be between 1 and 18\n"
            "TABLE A { x decimal(19,2) = 1; }\n"
            "            ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(0,0) = 1; }"),
            "t.schema:1:13: error: decimal precision must be between 1 and 18\n"
            "TABLE A { x decimal(0,0) = 1; }\n"
            "            ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(-1,0) = 1; }"),
            "t.schema:1:13: error: decimal precision must be between 1 and 18\n"
            "TABLE A { x decimal(-1,0) = 1; }\n"
            "            ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(5,6) = 1; }"),
            "t.schema:1:13: error: decimal scale must be between 0 and the precision (5)\n"
            "TABLE A { x decimal(5,6) = 1; }\n"
            "            ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(5,-1) = 1; }"),
            "t.schema:1:13: error: decimal scale must be between 0 and the precision (5)\n"
            "TABLE A { x decimal(5,-1) = 1; }\n"
            "            ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(99999999999999999999,2) = 1; }"),
            "t.schema:1:13: error: decimal precision must be between 1 and 18\n"
            "TABLE A { x decimal(99999999999999999999,2) = 1; }\n"
            "            ^\n");
}

TEST(SchemaParserTest, DefaultTypeMismatch) {
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT 'x'; }"),
            "t.schema:1:29: error: DEFAULT 'x' is not a valid int (expected a 64-bit integer)\n"
            "TABLE A { x int = 1 DEFAULT 'x'; }\n"
            "                            ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT 1.5; }"),
            "t.schema:1:29: error: DEFAULT 1.5 is not a valid int (expected a 64-bit integer)\n"
            "TABLE A { x int = 1 DEFAULT 1.5; }\n"
            "                            ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT 1e3; }"),
            "t.schema:1:29: error: DEFAULT 1e3 is not a valid int (expected a 64-bit integer)\n"
            "TABLE A { x int = 1 DEFAULT 1e3; }\n"
            "                            ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT 9223372036854775808; }"),
            "t.schema:1:29: error: DEFAULT 9223372036854775808 is not a valid int (expected a "
            "64-bit integer)\n"
            "TABLE A { x int = 1 DEFAULT 9223372036854775808; }\n"
            "                            ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT TRUE; }"),
            "t.schema:1:29: error: DEFAULT TRUE is not a valid int (expected a 64-bit integer)\n"
            "TABLE A { x int = 1 DEFAULT TRUE; }\n"
            "                            ^\n");
  EXPECT_EQ(Error("TABLE A { x string = 1 DEFAULT TRUE; }"),
            "t.schema:1:32: error: DEFAULT TRUE is not a valid string (expected a quoted string)\n"
            "TABLE A { x string = 1 DEFAULT TRUE; }\n"
            "                               ^\n");
  EXPECT_EQ(Error("TABLE A { x string = 1 DEFAULT 5; }"),
            "t.schema:1:32: error: DEFAULT 5 is not a valid string (expected a quoted string)\n"
            "TABLE A { x string = 1 DEFAULT 5; }\n"
            "                               ^\n");
  EXPECT_EQ(Error("TABLE A { x bytes = 1 DEFAULT FALSE; }"),
            "t.schema:1:31: error: DEFAULT FALSE is not a valid bytes (expected a quoted string)\n"
            "TABLE A { x bytes = 1 DEFAULT FALSE; }\n"
            "                              ^\n");
  EXPECT_EQ(Error("TABLE A { x time = 1 DEFAULT 5; }"),
            "t.schema:1:30: error: DEFAULT 5 is not a valid time (expected a quoted string)\n"
            "TABLE A { x time = 1 DEFAULT 5; }\n"
            "                             ^\n");
  EXPECT_EQ(Error("TABLE A { x bool = 1 DEFAULT 1; }"),
            "t.schema:1:30: error: DEFAULT 1 is not a valid bool (expected TRUE, FALSE or NULL)\n"
            "TABLE A { x bool = 1 DEFAULT 1; }\n"
            "                             ^\n");
  EXPECT_EQ(
      Error("TABLE A { x bool = 1 DEFAULT 'true'; }"),
      "t.schema:1:30: error: DEFAULT 'true' is not a valid bool (expected TRUE, FALSE or NULL)\n"
      "TABLE A { x bool = 1 DEFAULT 'true'; }\n"
      "                             ^\n");
  EXPECT_EQ(Error("TABLE A { x float = 1 DEFAULT \"1.5\"; }"),
            "t.schema:1:31: error: DEFAULT \"1.5\" is not a valid float (expected a number)\n"
            "TABLE A { x float = 1 DEFAULT \"1.5\"; }\n"
            "                              ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(9,2) = 1 DEFAULT '1.5'; }"),
            "t.schema:1:38: error: DEFAULT '1.5' is not a valid decimal(9,2) (expected a number)\n"
            "TABLE A { x decimal(9,2) = 1 DEFAULT '1.5'; }\n"
            "                                     ^\n");
  EXPECT_EQ(Error("TABLE A { x REF A = 1 DEFAULT NULL; }"),
            "t.schema:1:31: error: DEFAULT is not allowed on a REF field\n"
            "TABLE A { x REF A = 1 DEFAULT NULL; }\n"
            "                              ^\n");
  EXPECT_EQ(Error("TABLE A { x REF A = 1 DEFAULT 1; }"),
            "t.schema:1:31: error: DEFAULT is not allowed on a REF field\n"
            "TABLE A { x REF A = 1 DEFAULT 1; }\n"
            "                              ^\n");
  EXPECT_EQ(Error("TABLE A { x string = 1 REQUIRED DEFAULT NULL; }"),
            "t.schema:1:41: error: DEFAULT NULL on a REQUIRED field\n"
            "TABLE A { x string = 1 REQUIRED DEFAULT NULL; }\n"
            "                                        ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT NULL NOT NULL; }"),
            "t.schema:1:29: error: DEFAULT NULL on a REQUIRED field\n"
            "TABLE A { x int = 1 DEFAULT NULL NOT NULL; }\n"
            "                            ^\n");
}

TEST(SchemaParserTest, DefaultDecimalFit) {
  EXPECT_EQ(Error("TABLE A { x decimal(9,2) = 1 DEFAULT 1.234; }"),
            "t.schema:1:38: error: DEFAULT 1.234 does not fit decimal(9,2) (at most 2 digits after "
            "the point)\n"
            "TABLE A { x decimal(9,2) = 1 DEFAULT 1.234; }\n"
            "                                     ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(9,2) = 1 DEFAULT 12345678; }"),
            "t.schema:1:38: error: DEFAULT 12345678 does not fit decimal(9,2) (at most 7 digits "
            "before the point)\n"
            "TABLE A { x decimal(9,2) = 1 DEFAULT 12345678; }\n"
            "                                     ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(9,2) = 1 DEFAULT 1e-3; }"),
            "t.schema:1:38: error: DEFAULT 1e-3 does not fit decimal(9,2) (at most 2 digits after "
            "the point)\n"
            "TABLE A { x decimal(9,2) = 1 DEFAULT 1e-3; }\n"
            "                                     ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(9,2) = 1 DEFAULT 1.5e7; }"),
            "t.schema:1:38: error: DEFAULT 1.5e7 does not fit decimal(9,2) (at most 7 digits "
            "before the point)\n"
            "TABLE A { x decimal(9,2) = 1 DEFAULT 1.5e7; }\n"
            "                                     ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(4,0) = 1 DEFAULT 0.5; }"),
            "t.schema:1:38: error: DEFAULT 0.5 does not fit decimal(4,0) (at most 0 digits after "
            "the point)\n"
            "TABLE A { x decimal(4,0) = 1 DEFAULT 0.5; }\n"
            "                                     ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(18,18) = 1 DEFAULT 1; }"),
            "t.schema:1:40: error: DEFAULT 1 does not fit decimal(18,18) (at most 0 digits before "
            "the point)\n"
            "TABLE A { x decimal(18,18) = 1 DEFAULT 1; }\n"
            "                                       ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(3,1) = 1 DEFAULT -100.0; }"),
            "t.schema:1:38: error: DEFAULT -100.0 does not fit decimal(3,1) (at most 2 digits "
            "before the point)\n"
            "TABLE A { x decimal(3,1) = 1 DEFAULT -100.0; }\n"
            "                                     ^\n");
  EXPECT_EQ(Error("TABLE A { x decimal(3,1) = 1 DEFAULT 1e999999999999999999999; }"),
            "t.schema:1:38: error: DEFAULT 1e999999999999999999999 does not fit decimal(3,1) (at "
            "most 2 digits before the point)\n"
            "TABLE A { x decimal(3,1) = 1 DEFAULT 1e999999999999999999999; }\n"
            "                                     ^\n");
}

TEST(SchemaParserTest, OptionConflicts) {
  EXPECT_EQ(Error("TABLE A { x int = 1 INDEX INDEX; }"),
            "t.schema:1:27: error: duplicate option INDEX\n"
            "TABLE A { x int = 1 INDEX INDEX; }\n"
            "                          ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 UNIQUE INDEX unique; }"),
            "t.schema:1:34: error: duplicate option UNIQUE\n"
            "TABLE A { x int = 1 UNIQUE INDEX unique; }\n"
            "                                 ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 NULL NULL; }"),
            "t.schema:1:26: error: duplicate option NULL\n"
            "TABLE A { x int = 1 NULL NULL; }\n"
            "                         ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 REQUIRED REQUIRED; }"),
            "t.schema:1:30: error: duplicate option REQUIRED\n"
            "TABLE A { x int = 1 REQUIRED REQUIRED; }\n"
            "                             ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 REQUIRED NOT NULL; }"),
            "t.schema:1:30: error: duplicate option NOT NULL (same as REQUIRED)\n"
            "TABLE A { x int = 1 REQUIRED NOT NULL; }\n"
            "                             ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 NOT NULL REQUIRED; }"),
            "t.schema:1:30: error: duplicate option REQUIRED (same as NOT NULL)\n"
            "TABLE A { x int = 1 NOT NULL REQUIRED; }\n"
            "                             ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 DEFAULT 1 DEFAULT 2; }"),
            "t.schema:1:31: error: duplicate option DEFAULT\n"
            "TABLE A { x int = 1 DEFAULT 1 DEFAULT 2; }\n"
            "                              ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 REQUIRED NULL; }"),
            "t.schema:1:30: error: NULL conflicts with REQUIRED\n"
            "TABLE A { x int = 1 REQUIRED NULL; }\n"
            "                             ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 NULL REQUIRED; }"),
            "t.schema:1:26: error: REQUIRED conflicts with NULL\n"
            "TABLE A { x int = 1 NULL REQUIRED; }\n"
            "                         ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 NOT NULL NULL; }"),
            "t.schema:1:30: error: NULL conflicts with NOT NULL\n"
            "TABLE A { x int = 1 NOT NULL NULL; }\n"
            "                             ^\n");
  EXPECT_EQ(Error("TABLE A { x int = 1 NULL NOT NULL; }"),
            "t.schema:1:26: error: NOT NULL conflicts with NULL\n"
            "TABLE A { x int = 1 NULL NOT NULL; }\n"
            "                         ^\n");
}

TEST(SchemaParserTest, WindowsLineEndings) {
  EXPECT_EQ(Error("TABLE A {\r\n  x int = 1;\r\n  y foo = 2;\r\n}\r\n"),
            "t.schema:3:5: error: expected field type (bool, int, float, decimal(p,s), string, "
            "bytes, time, REF Type)\n"
            "  y foo = 2;\n"
            "    ^\n");
  EXPECT_EQ(Error("TABLE A {\r\n  x int = 1;\r\n  y int = 1;\r\n}\r\n"),
            "t.schema:3:11: error: field number 1 already used by 'x' (line 2)\n"
            "  y int = 1;\n"
            "          ^\n");
  EXPECT_EQ(Error("TABLE A {\r\n  x int = 1;\r\n"),
            "t.schema:3:1: error: expected field, RESERVED or '}'\n"
            "\n"
            "^\n");
  EXPECT_EQ(Error("TABLE A {\r\n  x string = 1 DEFAULT 'abc\r\n}"),
            "t.schema:2:24: error: unterminated string\n"
            "  x string = 1 DEFAULT 'abc\n"
            "                       ^\n");
}

TEST(SchemaParserTest, TabsBeforeError) {
  EXPECT_EQ(Error("TABLE A {\n\tx\tfoo = 1;\n}"),
            "t.schema:2:4: error: expected field type (bool, int, float, decimal(p,s), string, "
            "bytes, time, REF Type)\n"
            "\tx\tfoo = 1;\n"
            "\t \t^\n");
  EXPECT_EQ(Error("TABLE A {\n\t\tx int = 1;\n\t\tx int = 2;\n}"),
            "t.schema:3:3: error: field 'x' already defined (line 2)\n"
            "\t\tx int = 2;\n"
            "\t\t^\n");
  EXPECT_EQ(Error("TABLE A {\n \t x\t\tint = 1 DEFAULT\t'x';\n}"),
            "t.schema:2:23: error: DEFAULT 'x' is not a valid int (expected a 64-bit integer)\n"
            " \t x\t\tint = 1 DEFAULT\t'x';\n"
            " \t  \t\t               \t^\n");
}

}  // namespace
}  // namespace trine::schema
