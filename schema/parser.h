// Parsing schema files: TABLE statements (the grammar is at the top of
// parser.cpp and in README.md).
#pragma once

#include <string>
#include <string_view>

#include "schema/ast.h"
#include "trine/status.h"

namespace trine::schema {

// Field numbers and table numbers are in [1, kMaxFieldNumber].
constexpr uint64_t kMaxFieldNumber = (1ull << 28) - 1;

// Parses `text` and checks what can be checked without the stored catalog:
// duplicate table names and numbers, duplicate field names and numbers in a
// table, a field whose number is also RESERVED in that table (or whose name is
// a reserved name), numbers out of range, decimal(p, s) with 1 <= p <= 18 and
// 0 <= s <= p, DEFAULT literals that cannot be of the field's type.
//
// Errors are InvalidArgument with a message formatted by FormatError.
Result<SchemaFile> ParseSchema(std::string_view text, std::string_view file_name);

// "file:LINE:COL: error: message\n<the source line>\n<spaces>^\n"
// (line and column 1-based; the caret sits under the column; tabs in the
// source line are kept so the caret lines up).
std::string FormatError(std::string_view file_name, std::string_view text, const SourcePos& pos,
                        std::string_view message);

}  // namespace trine::schema
