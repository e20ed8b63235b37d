// Result trees and statement results as text: exact one-line JSON for
// programs (ToJson) and aligned tables for people (ToTable).
//
// JSON forms of the scalar types (the header's contract, spelled out):
//   null, bool       null, true, false
//   int              the exact int64 ("-9223372036854775808")
//   float            the shortest text that reads back to the same double
//                    (std::to_chars: 0.1, 1e+21, -0); NaN and infinities as null
//   decimal          a JSON number with the decimal's scale: 12.30, -0.05, 0
//   string           a JSON string: ", \ and control characters escaped (\n, \t,
//                    ... or \u00XX); valid UTF-8 passes through unchanged; a byte
//                    that is not part of valid UTF-8 becomes \ufffd
//   bytes            the string \x followed by lowercase hex, as PostgreSQL's
//                    bytea output: the JSON text is "\\x0aff"
//   timestamp        an RFC 3339 string from FormatTimestamp: "2024-05-01T12:30:00Z"
//   ref              the subject id as a plain integer
//
// Table cells (ToCell) use the same forms without JSON quoting: strings and
// bytes as their text, NULL as "NULL", NaN and infinities as "NaN",
// "Infinity" and "-Infinity" (a cell has no reason to hide them as null).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trine/schema.h"
#include "trine/treeql.h"
#include "trine/value.h"

namespace trine {
namespace {

// The length of the well-formed UTF-8 sequence at the start of `s`, or 0 if
// the first byte does not start one (bad lead byte, truncated, overlong,
// surrogate or above U+10FFFF). The same rules as IsValidUtf8.
size_t Utf8SequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  unsigned char c = byte(0);
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2))
      return 0;
    if (c == 0xE0 && byte(1) < 0xA0)  // overlong
      return 0;
    if (c == 0xED && byte(1) >= 0xA0)  // surrogates U+D800..U+DFFF
      return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3))
      return 0;
    if (c == 0xF0 && byte(1) < 0x90)  // overlong
      return 0;
    if (c == 0xF4 && byte(1) >= 0x90)  // above U+10FFFF
      return 0;
    return 4;
  }
  return 0;
}

constexpr char kHex[] = "0123456789abcdef";

// Appends `s` with control characters escaped as in JSON and each byte that
// is not valid UTF-8 replaced by `replacement`. `quote_specials` also escapes
// '"' and '\' (JSON strings; table cells show them as they are).
void AppendEscaped(std::string_view s, bool quote_specials, std::string_view replacement,
                   std::string* out) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s.substr(i));
      if (n == 0) {
        out->append(replacement);
        ++i;
      } else {
        out->append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
      case '\\':
        if (quote_specials)
          out->push_back('\\');
        out->push_back(static_cast<char>(c));
        continue;
      case '\b':
        out->append("\\b");
        continue;
      case '\f':
        out->append("\\f");
        continue;
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  AppendEscaped(s, /*quote_specials=*/true, "\\ufffd", out);
  out->push_back('"');
}

template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  // 32 bytes hold any int64, uint64 or shortest double ("-2.2250738585072014e-308" is 24).
  out->append(buf, static_cast<size_t>(end - buf));
  (void)ec;
}

std::string BytesText(const std::string& bytes) {
  std::string out = "\\x";
  out.reserve(2 + 2 * bytes.size());
  for (char ch : bytes) {
    auto b = static_cast<unsigned char>(ch);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

void AppendJsonValue(const Value& v, std::string* out) {
  switch (v.type()) {
    case ValueType::kNull:
      out->append("null");
      return;
    case ValueType::kBool:
      out->append(v.as_bool() ? "true" : "false");
      return;
    case ValueType::kInt:
      AppendNumber(v.as_int(), out);
      return;
    case ValueType::kFloat:
      if (std::isfinite(v.as_float()))
        AppendNumber(v.as_float(), out);
      else
        out->append("null");  // JSON has no NaN or infinity
      return;
    case ValueType::kDecimal:
      out->append(v.as_decimal().ToString());
      return;
    case ValueType::kString:
      AppendJsonString(v.as_string(), out);
      return;
    case ValueType::kBytes:
      AppendJsonString(BytesText(v.as_bytes()), out);
      return;
    case ValueType::kTimestamp:
      AppendJsonString(FormatTimestamp(v.as_time()), out);
      return;
    case ValueType::kRef:
      AppendNumber(v.as_ref(), out);
      return;
  }
}

void AppendJson(const Tree& t, std::string* out) {
  switch (t.kind()) {
    case Tree::Kind::kValue:
      AppendJsonValue(t.value(), out);
      return;
    case Tree::Kind::kArray:
      out->push_back('[');
      for (size_t i = 0; i < t.items().size(); ++i) {
        if (i > 0)
          out->push_back(',');
        AppendJson(t.items()[i], out);
      }
      out->push_back(']');
      return;
    case Tree::Kind::kObject:
      out->push_back('{');
      for (size_t i = 0; i < t.keys().size(); ++i) {
        if (i > 0)
          out->push_back(',');
        AppendJsonString(t.keys()[i], out);
        out->push_back(':');
        AppendJson(t.members()[i], out);
      }
      out->push_back('}');
      return;
  }
}

// Text for people: a table cell or a line of ToTable. Control characters are
// escaped as in JSON so that a value cannot break the table's lines, and
// invalid UTF-8 shows as U+FFFD.
std::string CellText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendEscaped(s, /*quote_specials=*/false, "\xEF\xBF\xBD", &out);
  return out;
}

// Display width: UTF-8 code points (every byte that is not a continuation byte).
size_t Width(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

bool IsNumber(const Tree& t) {
  if (!t.is_value())
    return false;
  ValueType type = t.value().type();
  // Refs print as their integer id, so they line up like the other numbers.
  return type == ValueType::kInt || type == ValueType::kFloat || type == ValueType::kDecimal ||
         type == ValueType::kRef;
}

struct Cell {
  std::string text;
  bool right = false;  // numbers are right-aligned
};

Cell MakeCell(const Tree& t) {
  if (!t.is_value())
    return {ToJson(t), false};
  return {CellText(ToCell(t.value())), IsNumber(t)};
}

void AppendPadded(const Cell& cell, size_t width, std::string* out) {
  size_t pad = width - Width(cell.text);
  if (cell.right)
    out->append(pad, ' ');
  out->append(cell.text);
  if (!cell.right)
    out->append(pad, ' ');
}

void TrimTrailingSpaces(std::string* line) {
  while (!line->empty() && line->back() == ' ')
    line->pop_back();
}

// The aligned table of ToTable:
//   name | age
//   -----+----
//   ann  |  31
//   (1 row)
// Columns are separated by " | " and as wide as their widest cell, counted in
// code points. Numbers (int, float, decimal, ref) are right-aligned, all else
// and the headers left-aligned; trailing spaces are trimmed from every line.
std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<Cell>>& rows) {
  std::vector<Cell> header_cells;
  std::vector<size_t> widths;
  for (const std::string& h : headers) {
    header_cells.push_back({CellText(h), false});
    widths.push_back(Width(header_cells.back().text));
  }
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], Width(row[c].text));
  }
  std::string out;
  auto append_line = [&](const std::vector<Cell>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0)
        line.append(" | ");
      AppendPadded(cells[c], widths[c], &line);
    }
    TrimTrailingSpaces(&line);
    out.append(line);
    out.push_back('\n');
  };
  append_line(header_cells);
  for (size_t c = 0; c < widths.size(); ++c) {
    if (c > 0)
      out.append("-+-");
    out.append(widths[c], '-');
  }
  out.push_back('\n');
  for (const auto& row : rows)
    append_line(row);
  out.append(rows.size() == 1 ? "(1 row)" : "(" + std::to_string(rows.size()) + " rows)");
  return out;
}

std::string WithoutTrailingNewlines(std::string s) {
  while (!s.empty() && s.back() == '\n')
    s.pop_back();
  return s;
}

// The non-empty lines of `text`.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty())
      lines.push_back(line);
    if (nl == std::string_view::npos)
      break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace

const Tree* Tree::Find(std::string_view key) const {
  if (kind_ != Kind::kObject)
    return nullptr;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key)
      return &items_[i];
  }
  return nullptr;
}

bool operator==(const Tree& a, const Tree& b) {
  if (a.kind_ != b.kind_)
    return false;
  switch (a.kind_) {
    case Tree::Kind::kValue:
      return a.value_ == b.value_;
    case Tree::Kind::kArray:
      return a.items_ == b.items_;
    case Tree::Kind::kObject:
      return a.keys_ == b.keys_ && a.items_ == b.items_;
  }
  return false;
}

std::string ToJson(const Tree& tree) {
  std::string out;
  AppendJson(tree, &out);
  return out;
}

std::string ToCell(const Value& value) {
  switch (value.type()) {
    case ValueType::kNull:
      return "NULL";
    case ValueType::kString:
      return value.as_string();
    case ValueType::kBytes:
      return BytesText(value.as_bytes());
    case ValueType::kTimestamp:
      return FormatTimestamp(value.as_time());
    case ValueType::kFloat: {
      double d = value.as_float();
      if (std::isnan(d))
        return "NaN";
      if (std::isinf(d))
        return d < 0 ? "-Infinity" : "Infinity";
      break;
    }
    default:
      break;
  }
  std::string out;
  AppendJsonValue(value, &out);
  return out;
}

std::string StatementResult::ToJson() const {
  std::string out;
  switch (kind) {
    case Kind::kRows:
    case Kind::kValue:
      AppendJson(value, &out);
      break;
    case Kind::kWrite:
      out = "{\"ok\":true,\"count\":";
      AppendNumber(count, &out);
      if (ids.size() == 1) {
        out.append(",\"id\":");
        AppendNumber(ids[0], &out);
      } else if (ids.size() > 1) {
        out.append(",\"ids\":[");
        for (size_t i = 0; i < ids.size(); ++i) {
          if (i > 0)
            out.push_back(',');
          AppendNumber(ids[i], &out);
        }
        out.push_back(']');
      }
      out.push_back('}');
      break;
    case Kind::kExplain:
      out = "{\"plan\":";
      AppendJsonString(WithoutTrailingNewlines(text), &out);
      out.push_back('}');
      break;
    case Kind::kSchema: {
      out = "{\"ok\":true,\"changes\":[";
      bool first = true;
      for (std::string_view line : Lines(text)) {
        if (!first)
          out.push_back(',');
        first = false;
        AppendJsonString(line, &out);
      }
      out.append("]}");
      break;
    }
    case Kind::kTransaction:
      out = "{\"ok\":true}";
      break;
  }
  return out;
}

std::string StatementResult::ToTable() const {
  switch (kind) {
    case Kind::kRows: {
      std::vector<std::vector<Cell>> rows;
      const std::vector<Tree> none;
      const std::vector<Tree>& items = value.is_array() ? value.items() : none;
      rows.reserve(items.size());
      if (columns.empty()) {
        for (const Tree& row : items)
          rows.push_back({MakeCell(row)});
        return FormatTable({"value"}, rows);
      }
      for (const Tree& row : items) {
        std::vector<Cell> cells;
        cells.reserve(columns.size());
        // Rows normally have exactly the columns as keys, in order.
        bool in_order = row.is_object() && row.keys() == columns;
        for (size_t c = 0; c < columns.size(); ++c) {
          const Tree* member = in_order ? &row.members()[c] : row.Find(columns[c]);
          cells.push_back(member != nullptr ? MakeCell(*member) : Cell{});
        }
        rows.push_back(std::move(cells));
      }
      return FormatTable(columns, rows);
    }
    case Kind::kValue:
      return value.is_value() ? CellText(ToCell(value.value())) : trine::ToJson(value);
    case Kind::kWrite: {
      std::string out = verb + " " + std::to_string(count);
      if (ids.size() == 1) {
        out += " (id " + std::to_string(ids[0]) + ")";
      } else if (ids.size() > 1) {
        out += " (ids ";
        for (size_t i = 0; i < ids.size(); ++i) {
          if (i > 0)
            out += ", ";
          out += std::to_string(ids[i]);
        }
        out += ")";
      }
      return out;
    }
    case Kind::kExplain:
      return WithoutTrailingNewlines(text);
    case Kind::kSchema: {
      std::string out;
      for (std::string_view line : Lines(text)) {
        if (!out.empty())
          out.push_back('\n');
        out.append(line);
      }
      return out.empty() ? "no changes" : out;
    }
    case Kind::kTransaction:
      return verb;
  }
  return "";
}

}  // namespace trine
