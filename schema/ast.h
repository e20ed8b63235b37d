// The syntax tree of a schema file (TABLE statements), as parsed by
// schema/parser.h. Every node keeps its source position so that errors found
// later (when the file is compared with the stored catalog) can point at it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trine::schema {

struct SourcePos {
  int line = 0;       // 1-based
  int column = 0;     // 1-based, in bytes
  size_t offset = 0;  // byte offset in the file
};

// A literal after DEFAULT, kept as written; the applier converts it to the
// field's type (so `DEFAULT 1.50` on a decimal(9,2) stays exact).
struct Literal {
  enum class Kind { kNull, kBool, kInt, kNumber, kString };
  Kind kind = Kind::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  std::string
      text;  // kNumber: the digits as written ("-1.50", "2.5e3"); kString: the unescaped text
  SourcePos pos;
};

struct FieldTypeAst {
  // "bool", "int", "float", "decimal", "string", "bytes", "time", "ref"
  std::string name;
  int precision = 0;     // decimal only
  int scale = 0;         // decimal only
  std::string ref_type;  // ref only: the target type's name
  SourcePos pos;
  SourcePos ref_pos;  // position of the target type's name
};

struct FieldDecl {
  std::string name;
  SourcePos pos;
  FieldTypeAst type;
  uint64_t number = 0;
  SourcePos number_pos;
  bool required = false;  // REQUIRED or NOT NULL
  bool unique = false;    // UNIQUE (implies an index)
  bool index = false;     // INDEX
  std::optional<Literal> default_value;
};

struct ReservedRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive; == first for a single number
  SourcePos pos;
};

struct ReservedName {
  std::string name;
  SourcePos pos;
};

struct TableDecl {
  std::string name;
  SourcePos pos;
  std::optional<uint64_t> number;  // TABLE Name = 12
  SourcePos number_pos;
  bool strict = false;
  std::vector<FieldDecl> fields;
  std::vector<ReservedRange> reserved;
  std::vector<ReservedName> reserved_names;
};

// VIEW Name [MANUAL | ON COMMIT] AS SELECT ... ;
struct ViewDecl {
  std::string name;
  SourcePos pos;
  bool manual = false;
  std::string query;  // the TreeQL text after AS, up to the ';'
  SourcePos query_pos;
};

struct SchemaFile {
  std::string file_name;
  std::vector<TableDecl> tables;
  std::vector<ViewDecl> views;
};

}  // namespace trine::schema
