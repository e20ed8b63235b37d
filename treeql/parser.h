// Parsing TreeQL text into statements (treeql/ast.h). The grammar is at the
// top of parser.cpp; README.md ("TreeQL") describes the language.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "treeql/ast.h"
#include "trine/status.h"

namespace trine::treeql {

// Parses every `;`-separated statement of `text` (the last `;` is optional;
// a TABLE statement ends at its closing `}`, a `;` after it is optional).
// Positions in the result are byte offsets into `text`. Errors are
// InvalidArgument with a message formatted by FormatError.
Result<std::vector<ast::Statement>> Parse(std::string_view text);

// True if `text` holds at least one whole statement and nothing after the
// last one but whitespace and comments: it ends with a `;` outside strings
// and comments, or with a TABLE statement's closing `}`. The REPL reads lines
// until this holds (a line that is only a dot-command is handled before).
bool IsComplete(std::string_view text);

// "LINE:COL: message\n<the source line>\n<spaces>^" (line and column 1-based,
// the column in bytes; tabs in the source line are kept so the caret lines
// up). `offset` is a byte offset into `text`.
std::string FormatError(std::string_view text, uint32_t offset, std::string_view message);

// 1-based line and column of a byte offset.
void LineColumn(std::string_view text, uint32_t offset, int* line, int* column);

}  // namespace trine::treeql
