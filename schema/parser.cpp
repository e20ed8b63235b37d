// Schema file parser, written with Boost.Spirit X3.
//
// Grammar (EBNF). Whitespace and comments may appear between any two tokens.
//
//   file     = { table | view } ;
//   table    = "TABLE" name [ "=" number ] [ "STRICT" ] "{" { member } "}" [ ";" ] ;
//   view     = "VIEW" name [ "MANUAL" | "ON" "COMMIT" ] "AS" query ( ";" | end of file ) ;
//   query    = a TreeQL SELECT (checked when the view is applied), up to the first ";"
//              outside strings and comments ;
//   member   = "RESERVED" reserved ";" | field ";" ;
//   field    = name ftype "=" number { option } ;
//   ftype    = "bool" | "int" | "float" | "decimal" "(" int "," int ")" | "string" | "bytes"
//            | "time" | "timestamp" | "REF" name ;
//   option   = "REQUIRED" | "NOT" "NULL" | "NULL" | "UNIQUE" | "INDEX" | "DEFAULT" literal ;
//   reserved = range { "," range } | string { "," string } ;
//   range    = number [ "TO" ( number | "MAX" ) ] ;            (MAX = kMaxFieldNumber)
//   literal  = "NULL" | "TRUE" | "FALSE" | numlit | string ;
//   numlit   = [ "-" | "+" ] digits [ "." digits ] [ ( "e" | "E" ) [ "-" | "+" ] digits ] ;
//   number   = digits ;                                      (must fit in 64 bits)
//   int      = [ "-" ] digits ;
//   digits   = digit { digit } ;
//   name     = ( letter | "_" ) { letter | digit | "_" } ;   (ASCII, case-sensitive)
//   string   = "'" { char - ( "'" | newline ) | "''" } "'"
//            | '"' { char - ( '"' | "\" | newline ) | escape } '"' ;
//   escape   = "\" ( '"' | "\" | "n" | "t" | "u" hex hex hex hex ) ;
//   comment  = "--" { char - newline } | "/*" { char } "*/" ;
//
// Keywords and type names are ASCII case-insensitive and end at a non-name character
// ("INDEXED" is a name, not INDEX then "ED"). Keywords may be used as names, except that a member
// starting with RESERVED is always a RESERVED list (so no field can be called "reserved").
// Strings may not span lines: an unterminated string then fails at its start instead of
// swallowing the rest of the file.
//
// Parsing fills the AST from semantic actions; X3 throws expectation_failure when a `>` operand
// does not match and we turn that into an error at the first token that did not match. Checks that
// need the whole file (duplicates, reserved numbers, DEFAULT types) run after parsing (Validate).

#include "schema/parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/spirit/home/x3.hpp>

#include "common/ascii.h"
#include "schema/x3_keyword.h"

namespace trine::schema {
namespace {

namespace x3 = boost::spirit::x3;

using It = const char*;

// A lexical or range error found while parsing, at `where`. Thrown from custom parsers and
// semantic actions because X3 has no other way to stop with a message of our own.
struct SyntaxError {
  It where;
  std::string message;
};

using Keyword = X3Keyword;

// Block comments are a custom skipper part so that an unterminated one is reported at its "/*"
// rather than as a confusing "expected ..." at the comment.
struct BlockComment : x3::parser<BlockComment> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const&, RContext&, Attribute&) const {
    if (last - first < 2 || first[0] != '/' || first[1] != '*')
      return false;
    std::string_view rest(first + 2, static_cast<size_t>(last - first - 2));
    size_t end = rest.find("*/");
    if (end == std::string_view::npos)
      throw SyntaxError{first, "unterminated block comment"};
    first += 2 + end + 2;
    return true;
  }
};

// A quoted string: its unescaped value and where it starts (for positions and messages).
struct StringToken {
  std::string value;
  It begin = nullptr;
  It end = nullptr;
};

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads the 4 hex digits of a \u escape at `p` (just after the 'u').
std::optional<uint32_t> ReadHex4(It p, It last) {
  if (last - p < 4)
    return std::nullopt;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = p[i];
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    v = v * 16 + d;
  }
  return v;
}

// The TreeQL query of a VIEW: everything up to the first ';' outside
// TreeQL strings ('...', x'...') and comments, which the TreeQL parser checks
// when the view is applied. The ';' is consumed.
struct ViewQuery : x3::parser<ViewQuery> {
  using attribute_type = StringToken;
  static bool const has_attribute = true;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, ctx);
    StringToken tok;
    tok.begin = first;
    It p = first;
    while (p != last && *p != ';') {
      if (*p == '\'') {
        It open = p++;
        for (;;) {
          if (p == last)
            throw SyntaxError{open, "unterminated string"};
          if (*p == '\'' && (p + 1 == last || p[1] != '\''))
            break;
          p += *p == '\'' ? 2 : 1;
        }
        ++p;
      } else if (*p == '-' && p + 1 != last && p[1] == '-') {
        while (p != last && *p != '\n')
          ++p;
      } else if (*p == '/' && p + 1 != last && p[1] == '*') {
        It open = p;
        p += 2;
        while (p != last && !(*p == '*' && p + 1 != last && p[1] == '/'))
          ++p;
        if (p == last)
          throw SyntaxError{open, "unterminated comment"};
        p += 2;
      } else {
        ++p;
      }
    }
    tok.end = p;
    while (tok.end != tok.begin && std::isspace(static_cast<unsigned char>(tok.end[-1])))
      --tok.end;
    if (tok.end == tok.begin)
      return false;
    tok.value.assign(tok.begin, tok.end);
    first = p == last ? p : p + 1;
    attr = std::move(tok);
    return true;
  }
};

// Both string syntaxes. Custom rather than X3 expressions because errors must point at the
// opening quote (unterminated) or at the bad escape, not where X3 would give up.
struct StringLiteral : x3::parser<StringLiteral> {
  using attribute_type = StringToken;
  static bool const has_attribute = true;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, ctx);
    if (first == last || (*first != '\'' && *first != '"'))
      return false;
    const char quote = *first;
    StringToken tok;
    tok.begin = first;
    It p = first + 1;
    for (;;) {
      if (p == last || *p == '\n' || *p == '\r')
        throw SyntaxError{first, "unterminated string"};
      char c = *p;
      if (c == quote) {
        if (quote == '\'' && p + 1 != last && p[1] == '\'') {  // '' is a quote
          tok.value.push_back('\'');
          p += 2;
          continue;
        }
        ++p;
        break;
      }
      if (quote == '"' && c == '\\') {
        It esc = p;
        if (p + 1 == last)
          throw SyntaxError{first, "unterminated string"};
        switch (p[1]) {
          case '"':
          case '\\':
            tok.value.push_back(p[1]);
            p += 2;
            continue;
          case 'n':
            tok.value.push_back('\n');
            p += 2;
            continue;
          case 't':
            tok.value.push_back('\t');
            p += 2;
            continue;
          case 'u':
            break;
          default:
            throw SyntaxError{esc,
                              "unknown escape sequence in string (use \\\" \\\\ \\n \\t \\uXXXX)"};
        }
        std::optional<uint32_t> cp = ReadHex4(p + 2, last);
        if (!cp)
          throw SyntaxError{esc, "expected 4 hex digits after \\u"};
        p += 6;
        if (*cp >= 0xD800 && *cp <= 0xDBFF) {  // a UTF-16 surrogate pair spells one code point
          std::optional<uint32_t> low;
          if (last - p >= 2 && p[0] == '\\' && p[1] == 'u')
            low = ReadHex4(p + 2, last);
          if (!low || *low < 0xDC00 || *low > 0xDFFF)
            throw SyntaxError{esc, "\\u escape is a lone UTF-16 surrogate"};
          cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
          p += 6;
        } else if (*cp >= 0xDC00 && *cp <= 0xDFFF) {
          throw SyntaxError{esc, "\\u escape is a lone UTF-16 surrogate"};
        }
        AppendUtf8(*cp, &tok.value);
        continue;
      }
      tok.value.push_back(c);
      ++p;
    }
    tok.end = p;
    first = p;
    if constexpr (std::is_assignable_v<Attribute&, StringToken&&>)
      attr = std::move(tok);
    return true;
  }
};

// Whitespace and both kinds of comments.
auto Skipper() {
  return x3::char_(" \t\r\n\f\v") | (x3::lit("--") >> *(x3::char_ - x3::eol)) | BlockComment{};
}

// Advances past whitespace and comments.
It SkipTrivia(It p, It last) {
  x3::parse(p, last, *Skipper());
  return p;
}

// Maps byte offsets to 1-based line and column.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) : begin_(text.data()) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n')
        starts_.push_back(i + 1);
    }
  }

  SourcePos Pos(It p) const {
    size_t offset = static_cast<size_t>(p - begin_);
    auto next = std::upper_bound(starts_.begin(), starts_.end(), offset);
    size_t line = static_cast<size_t>(next - starts_.begin());  // >= 1: starts_[0] == 0
    SourcePos pos;
    pos.line = static_cast<int>(line);
    pos.column = static_cast<int>(offset - starts_[line - 1] + 1);
    pos.offset = offset;
    return pos;
  }

 private:
  It begin_;
  std::vector<size_t> starts_;
};

enum class Opt { kRequired, kNotNull, kNull, kUnique, kIndex, kDefault };

const char* OptName(Opt o) {
  switch (o) {
    case Opt::kRequired:
      return "REQUIRED";
    case Opt::kNotNull:
      return "NOT NULL";
    case Opt::kNull:
      return "NULL";
    case Opt::kUnique:
      return "UNIQUE";
    case Opt::kIndex:
      return "INDEX";
    case Opt::kDefault:
      return "DEFAULT";
  }
  return "?";
}

// What the AST does not keep but validation needs: where each option was written (to report a
// repeated or conflicting one) and the DEFAULT literal as written (to quote it in messages).
struct FieldExtra {
  std::vector<std::pair<Opt, SourcePos>> options;
  std::string_view default_text;
};

// The AST under construction; semantic actions append to the last table and field.
struct Builder {
  explicit Builder(std::string_view t) : text(t), lines(t) {}

  SourcePos Pos(It p) const { return lines.Pos(p); }
  TableDecl& table() { return file.tables.back(); }
  FieldDecl& field() { return table().fields.back(); }
  FieldExtra& extra() { return extras.back().back(); }

  std::string_view text;
  LineIndex lines;
  SchemaFile file;
  std::vector<std::vector<FieldExtra>> extras;  // [table][field]
};

// A run of digits as an unsigned number; too large for 64 bits is a syntax error at its start.
template <typename Range>
uint64_t ToU64(const Range& r) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(r.begin(), r.end(), v);
  if (ec != std::errc() || ptr != r.end())
    throw SyntaxError{r.begin(), "number " + std::string(r.begin(), r.end()) + " is too large"};
  return v;
}

// decimal(p, s) arguments; out-of-range values are clamped and then rejected by Validate.
template <typename Range>
int ToClampedInt(const Range& r) {
  int64_t v = 0;
  if (std::from_chars(r.begin(), r.end(), v).ec != std::errc())  // only overflow can fail
    v = (*r.begin() == '-') ? std::numeric_limits<int64_t>::min()
                            : std::numeric_limits<int64_t>::max();
  return static_cast<int>(std::clamp<int64_t>(v, -1000000, 1000000));
}

Literal MakeNumberLiteral(std::string_view text) {
  Literal lit;
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+')
    digits.remove_prefix(1);  // from_chars takes '-' but not '+'
  if (text.find_first_of(".eE") == std::string_view::npos) {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec == std::errc() && ptr == digits.data() + digits.size()) {
      lit.kind = Literal::Kind::kInt;
      lit.int_value = v;
      return lit;
    }
  }
  lit.kind = Literal::Kind::kNumber;
  lit.text = std::string(text);
  return lit;
}

// Runs the grammar over `text`, filling `b`. Throws x3::expectation_failure<It> or SyntaxError.
// Returns the position where parsing stopped (== end of text on success).
It RunGrammar(Builder& b) {
  using x3::lit;
  using x3::raw;

  // Actions receive the matched range of raw[...] as their attribute: in Boost 1.74 _where(ctx)
  // does not start at the match, so raw is how a token's position is captured.
  auto range_text = [](const auto& r) { return std::string_view(r.begin(), r.size()); };

  const Keyword kw_table("TABLE"), kw_strict("STRICT"), kw_reserved("RESERVED"), kw_to("TO"),
      kw_max("MAX"), kw_bool("BOOL"), kw_int("INT"), kw_float("FLOAT"), kw_decimal("DECIMAL"),
      kw_string("STRING"), kw_bytes("BYTES"), kw_time("TIME"), kw_timestamp("TIMESTAMP"),
      kw_ref("REF"), kw_required("REQUIRED"), kw_not("NOT"), kw_null("NULL"), kw_unique("UNIQUE"),
      kw_index("INDEX"), kw_default("DEFAULT"), kw_true("TRUE"), kw_false("FALSE"), kw_view("VIEW"),
      kw_manual("MANUAL"), kw_on("ON"), kw_commit("COMMIT"), kw_as("AS");

  auto const digit = x3::char_("0-9");
  auto const name = raw[x3::lexeme[x3::char_("a-zA-Z_") >> *x3::char_("a-zA-Z0-9_")]];
  auto const number = raw[x3::lexeme[+digit]];
  auto const signed_int = raw[x3::lexeme[-x3::char_('-') >> +digit]];
  auto const number_literal = raw[x3::lexeme[-x3::char_("-+") >> +digit >> -(lit('.') >> +digit) >>
                                             -(x3::char_("eE") >> -x3::char_("-+") >> +digit)]];

  // ---- table header ----
  auto on_table = [&b](auto&) {
    b.file.tables.emplace_back();
    b.extras.emplace_back();
  };
  auto on_table_name = [&b, range_text](auto& ctx) {
    b.table().name = std::string(range_text(x3::_attr(ctx)));
    b.table().pos = b.Pos(x3::_attr(ctx).begin());
  };
  auto on_table_number = [&b](auto& ctx) {
    b.table().number = ToU64(x3::_attr(ctx));
    b.table().number_pos = b.Pos(x3::_attr(ctx).begin());
  };
  auto on_strict = [&b](auto&) { b.table().strict = true; };

  // ---- fields ----
  auto on_field_name = [&b, range_text](auto& ctx) {
    b.table().fields.emplace_back();
    b.extras.back().emplace_back();
    b.field().name = std::string(range_text(x3::_attr(ctx)));
    b.field().pos = b.Pos(x3::_attr(ctx).begin());
  };
  auto set_type = [&b](const char* type_name) {
    return [&b, type_name](auto& ctx) {
      b.field().type.name = type_name;
      b.field().type.pos = b.Pos(x3::_attr(ctx).begin());
    };
  };
  auto on_precision = [&b](auto& ctx) { b.field().type.precision = ToClampedInt(x3::_attr(ctx)); };
  auto on_scale = [&b](auto& ctx) { b.field().type.scale = ToClampedInt(x3::_attr(ctx)); };
  auto on_ref_target = [&b, range_text](auto& ctx) {
    b.field().type.ref_type = std::string(range_text(x3::_attr(ctx)));
    b.field().type.ref_pos = b.Pos(x3::_attr(ctx).begin());
  };
  auto on_field_number = [&b](auto& ctx) {
    b.field().number = ToU64(x3::_attr(ctx));
    b.field().number_pos = b.Pos(x3::_attr(ctx).begin());
  };
  auto on_option = [&b](Opt o) {
    return [&b, o](auto& ctx) {
      b.extra().options.emplace_back(o, b.Pos(x3::_attr(ctx).begin()));
      FieldDecl& f = b.field();
      if (o == Opt::kRequired || o == Opt::kNotNull)
        f.required = true;
      if (o == Opt::kUnique)
        f.unique = true;
      if (o == Opt::kIndex)
        f.index = true;
    };
  };
  auto on_literal = [&b, range_text](std::optional<Literal::Kind> kind, bool bool_value) {
    return [&b, range_text, kind, bool_value](auto& ctx) {
      std::string_view text = range_text(x3::_attr(ctx));
      Literal value;
      if (kind) {
        value.kind = *kind;
        value.bool_value = bool_value;
      } else {
        value = MakeNumberLiteral(text);
      }
      value.pos = b.Pos(x3::_attr(ctx).begin());
      b.field().default_value = std::move(value);
      b.extra().default_text = text;
    };
  };
  auto on_string_literal = [&b](auto& ctx) {
    StringToken& tok = x3::_attr(ctx);
    Literal value;
    value.kind = Literal::Kind::kString;
    value.text = std::move(tok.value);
    value.pos = b.Pos(tok.begin);
    b.field().default_value = std::move(value);
    b.extra().default_text = std::string_view(tok.begin, static_cast<size_t>(tok.end - tok.begin));
  };

  // ---- RESERVED ----
  auto on_range_first = [&b](auto& ctx) {
    ReservedRange r;
    r.first = r.last = ToU64(x3::_attr(ctx));
    r.pos = b.Pos(x3::_attr(ctx).begin());
    b.table().reserved.push_back(r);
  };
  auto on_range_last = [&b](auto& ctx) { b.table().reserved.back().last = ToU64(x3::_attr(ctx)); };
  auto on_range_max = [&b](auto&) { b.table().reserved.back().last = kMaxFieldNumber; };
  auto on_reserved_name = [&b](auto& ctx) {
    StringToken& tok = x3::_attr(ctx);
    b.table().reserved_names.push_back(ReservedName{std::move(tok.value), b.Pos(tok.begin)});
  };

  // ---- VIEW ----
  auto on_view_name = [&b, range_text](auto& ctx) {
    b.file.views.emplace_back();
    b.file.views.back().name = std::string(range_text(x3::_attr(ctx)));
    b.file.views.back().pos = b.Pos(x3::_attr(ctx).begin());
  };
  auto on_manual = [&b](auto&) { b.file.views.back().manual = true; };
  auto on_view_query = [&b](auto& ctx) {
    StringToken& tok = x3::_attr(ctx);
    b.file.views.back().query = std::move(tok.value);
    b.file.views.back().query_pos = b.Pos(tok.begin);
  };

  // Rules exist to name what an expectation (`>`) wanted: the name becomes the error message
  // "expected <name>".
  // clang-format off
  auto const table_name = x3::rule<class table_name_id>{"table name"} = name[on_table_name];
  auto const table_number = x3::rule<class table_number_id>{"table number"} = number[on_table_number];
  auto const open_brace = x3::rule<class open_brace_id>{"'{' to open the table"} = lit('{');
  auto const close_brace = x3::rule<class close_brace_id>{"field, RESERVED or '}'"} = lit('}');

  auto const lparen = x3::rule<class lparen_id>{"'(' after decimal"} = lit('(');
  auto const precision = x3::rule<class precision_id>{"decimal precision"} = signed_int[on_precision];
  auto const comma = x3::rule<class comma_id>{"',' between decimal precision and scale"} = lit(',');
  auto const scale = x3::rule<class scale_id>{"decimal scale"} = signed_int[on_scale];
  auto const rparen = x3::rule<class rparen_id>{"')' after decimal scale"} = lit(')');
  auto const ref_target = x3::rule<class ref_target_id>{"table name after REF"} = name[on_ref_target];
  auto const field_type = x3::rule<class field_type_id>{
      "field type (bool, int, float, decimal(p,s), string, bytes, time, REF Type)"} =
        raw[kw_bool][set_type("bool")]
      | raw[kw_int][set_type("int")]
      | raw[kw_float][set_type("float")]
      | raw[kw_string][set_type("string")]
      | raw[kw_bytes][set_type("bytes")]
      | raw[kw_timestamp][set_type("time")]
      | raw[kw_time][set_type("time")]
      | (raw[kw_decimal][set_type("decimal")] > lparen > precision > comma > scale > rparen)
      | (raw[kw_ref][set_type("ref")] > ref_target);

  auto const literal = x3::rule<class literal_id>{
      "literal after DEFAULT (NULL, TRUE, FALSE, a number or a string)"} =
        raw[kw_null][on_literal(Literal::Kind::kNull, false)]
      | raw[kw_true][on_literal(Literal::Kind::kBool, true)]
      | raw[kw_false][on_literal(Literal::Kind::kBool, false)]
      | number_literal[on_literal(std::nullopt, false)]
      | StringLiteral{}[on_string_literal];
  auto const null_after_not = x3::rule<class null_after_not_id>{"NULL after NOT"} = kw_null;
  auto const option =
        raw[kw_required][on_option(Opt::kRequired)]
      | (raw[kw_not][on_option(Opt::kNotNull)] > null_after_not)
      | raw[kw_null][on_option(Opt::kNull)]
      | raw[kw_unique][on_option(Opt::kUnique)]
      | raw[kw_index][on_option(Opt::kIndex)]
      | (raw[kw_default][on_option(Opt::kDefault)] > literal);
  auto const equals = x3::rule<class equals_id>{"'=' and a field number"} = lit('=');
  auto const field_number = x3::rule<class field_number_id>{"field number"} = number[on_field_number];
  auto const field_semi = x3::rule<class field_semi_id>{"';' after field"} = lit(';');
  auto const field =
      name[on_field_name] > field_type > equals > field_number > *option > field_semi;

  auto const range_end = x3::rule<class range_end_id>{"field number or MAX after TO"} =
      number[on_range_last] | kw_max[on_range_max];
  auto const range = number[on_range_first] >> -(kw_to > range_end);
  auto const range_next = x3::rule<class range_next_id>{"field number or range after ','"} = range;
  auto const reserved_name = StringLiteral{}[on_reserved_name];
  auto const name_next = x3::rule<class name_next_id>{"quoted name after ','"} = reserved_name;
  auto const reserved_list = x3::rule<class reserved_list_id>{
      "field numbers or quoted names after RESERVED"} =
        (range > *(',' > range_next))
      | (reserved_name > *(',' > name_next));
  auto const reserved_semi = x3::rule<class reserved_semi_id>{"';' after RESERVED list"} = lit(';');
  auto const reserved = kw_reserved > reserved_list > reserved_semi;

  // Parenthesized because >> binds tighter than >: the optional ';' must not join close_brace.
  auto const table =
      (kw_table[on_table] > table_name > -('=' > table_number) > -kw_strict[on_strict]
       > open_brace > *(reserved | field) > close_brace) >> -lit(';');
  auto const view_name = x3::rule<class view_name_id>{"view name"} = name[on_view_name];
  auto const commit_after_on = x3::rule<class commit_after_on_id>{"COMMIT after ON"} = kw_commit;
  auto const view_as = x3::rule<class view_as_id>{"AS, MANUAL or ON COMMIT after the view name"} =
      kw_as;
  auto const view_query = x3::rule<class view_query_id>{"SELECT after AS"} =
      ViewQuery{}[on_view_query];
  auto const view = kw_view > view_name > -(kw_manual[on_manual] | (kw_on > commit_after_on))
      > view_as > view_query;
  // clang-format on

  It first = b.text.data();
  It const last = first + b.text.size();
  x3::phrase_parse(first, last, *(table | view), Skipper());
  return first;
}

// ---- validation ----

std::string Quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string LineRef(const SourcePos& pos) {
  return "(line " + std::to_string(pos.line) + ")";
}

std::string RangeMessage(std::string_view what, uint64_t n) {
  return std::string(what) + " " + std::to_string(n) + " out of range (1 to " +
         std::to_string(kMaxFieldNumber) + ")";
}

std::string TypeText(const FieldTypeAst& t) {
  if (t.name == "decimal")
    return "decimal(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
  return t.name;
}

// Checks that a number literal (kInt or kNumber, as written) fits decimal(p, s) exactly.
std::optional<std::string> DecimalDefaultError(std::string_view text, const FieldTypeAst& t) {
  std::string_view s = text;
  if (!s.empty() && (s[0] == '-' || s[0] == '+'))
    s.remove_prefix(1);
  int64_t exponent = 0;
  size_t e = s.find_first_of("eE");
  if (e != std::string_view::npos) {
    std::string_view exp_text = s.substr(e + 1);
    bool negative = !exp_text.empty() && exp_text[0] == '-';
    if (!exp_text.empty() && (exp_text[0] == '-' || exp_text[0] == '+'))
      exp_text.remove_prefix(1);
    for (char c : exp_text)  // saturate: anything this large fails the checks below anyway
      exponent = std::min<int64_t>(exponent * 10 + (c - '0'), 1000000000);
    if (negative)
      exponent = -exponent;
    s = s.substr(0, e);
  }
  std::string digits;
  int64_t point = 0;  // digits before the decimal point
  size_t dot = s.find('.');
  digits.append(s.substr(0, dot));
  point = static_cast<int64_t>(digits.size());
  if (dot != std::string_view::npos)
    digits.append(s.substr(dot + 1));
  point += exponent;
  // Only significant digits count: 007.50 is 7.5.
  size_t lead = digits.find_first_not_of('0');
  if (lead == std::string::npos)
    return std::nullopt;  // zero fits every decimal
  digits.erase(0, lead);
  point -= static_cast<int64_t>(lead);
  digits.erase(digits.find_last_not_of('0') + 1);
  int64_t frac_digits = std::max<int64_t>(0, static_cast<int64_t>(digits.size()) - point);
  int64_t int_digits = std::max<int64_t>(0, point);
  if (frac_digits > t.scale)
    return "DEFAULT " + std::string(text) + " does not fit " + TypeText(t) + " (at most " +
           std::to_string(t.scale) + " digits after the point)";
  if (int_digits > t.precision - t.scale)
    return "DEFAULT " + std::string(text) + " does not fit " + TypeText(t) + " (at most " +
           std::to_string(t.precision - t.scale) + " digits before the point)";
  return std::nullopt;
}

std::optional<std::string> DefaultError(const FieldDecl& f, std::string_view text) {
  const Literal& lit = *f.default_value;
  using K = Literal::Kind;
  const std::string& type = f.type.name;
  if (type == "ref")
    return "DEFAULT is not allowed on a REF field";
  if (lit.kind == K::kNull) {
    if (f.required)
      return std::string("DEFAULT NULL on a REQUIRED field");
    return std::nullopt;
  }
  bool ok = false;
  const char* expected = "";
  if (type == "bool") {
    ok = lit.kind == K::kBool;
    expected = "TRUE, FALSE or NULL";
  } else if (type == "int") {
    ok = lit.kind == K::kInt;
    expected = "a 64-bit integer";
  } else if (type == "float" || type == "decimal") {
    ok = lit.kind == K::kInt || lit.kind == K::kNumber;
    expected = "a number";
  } else {  // string, bytes, time: time strings are converted (and checked) by the applier
    ok = lit.kind == K::kString;
    expected = "a quoted string";
  }
  if (!ok)
    return "DEFAULT " + std::string(text) + " is not a valid " + TypeText(f.type) + " (expected " +
           expected + ")";
  if (type == "decimal")
    return DecimalDefaultError(text, f.type);
  return std::nullopt;
}

// The first problem with an option list: an option given twice (REQUIRED and NOT NULL are the
// same option) or REQUIRED together with NULL.
std::optional<std::pair<SourcePos, std::string>> OptionError(const FieldExtra& extra) {
  std::map<Opt, Opt> seen;  // canonical option -> spelling used first
  for (const auto& [opt, pos] : extra.options) {
    Opt canon = (opt == Opt::kNotNull) ? Opt::kRequired : opt;
    if (auto it = seen.find(canon); it != seen.end()) {
      std::string msg = std::string("duplicate option ") + OptName(opt);
      if (it->second != opt)
        msg += std::string(" (same as ") + OptName(it->second) + ")";
      return std::make_pair(pos, msg);
    }
    if (canon == Opt::kRequired && seen.count(Opt::kNull))
      return std::make_pair(pos, std::string(OptName(opt)) + " conflicts with NULL");
    if (canon == Opt::kNull && seen.count(Opt::kRequired))
      return std::make_pair(pos,
                            std::string("NULL conflicts with ") + OptName(seen[Opt::kRequired]));
    seen.emplace(canon, opt);
  }
  return std::nullopt;
}

struct ValidationError {
  SourcePos pos;
  std::string message;
};

std::optional<ValidationError> Validate(const Builder& b) {
  std::map<std::string_view, const TableDecl*> table_names;
  std::map<uint64_t, const TableDecl*> table_numbers;
  for (size_t ti = 0; ti < b.file.tables.size(); ++ti) {
    const TableDecl& t = b.file.tables[ti];
    if (auto [it, inserted] = table_names.emplace(t.name, &t); !inserted)
      return ValidationError{
          t.pos, "table " + Quoted(t.name) + " already defined " + LineRef(it->second->pos)};
    if (t.number) {
      if (*t.number == 0 || *t.number > kMaxFieldNumber)
        return ValidationError{t.number_pos, RangeMessage("table number", *t.number)};
      if (auto [it, inserted] = table_numbers.emplace(*t.number, &t); !inserted)
        return ValidationError{t.number_pos, "table number " + std::to_string(*t.number) +
                                                 " already used by " + Quoted(it->second->name) +
                                                 " " + LineRef(it->second->number_pos)};
    }
    for (const ReservedRange& r : t.reserved) {
      if (r.first == 0 || r.first > kMaxFieldNumber)
        return ValidationError{r.pos, RangeMessage("reserved field number", r.first)};
      if (r.last == 0 || r.last > kMaxFieldNumber)
        return ValidationError{r.pos, RangeMessage("reserved field number", r.last)};
      if (r.first > r.last)
        return ValidationError{r.pos, "reserved range " + std::to_string(r.first) + " TO " +
                                          std::to_string(r.last) + " is empty (" +
                                          std::to_string(r.first) + " > " + std::to_string(r.last) +
                                          ")"};
    }
    std::map<std::string_view, const FieldDecl*> field_names;
    std::map<uint64_t, const FieldDecl*> field_numbers;
    for (size_t fi = 0; fi < t.fields.size(); ++fi) {
      const FieldDecl& f = t.fields[fi];
      const FieldExtra& extra = b.extras[ti][fi];
      if (auto [it, inserted] = field_names.emplace(f.name, &f); !inserted)
        return ValidationError{
            f.pos, "field " + Quoted(f.name) + " already defined " + LineRef(it->second->pos)};
      for (const ReservedName& rn : t.reserved_names) {
        if (rn.name == f.name)
          return ValidationError{
              f.pos, "field name " + Quoted(f.name) + " is reserved " + LineRef(rn.pos)};
      }
      if (f.type.name == "decimal") {
        if (f.type.precision < 1 || f.type.precision > 18)
          return ValidationError{f.type.pos, "decimal precision must be between 1 and 18"};
        if (f.type.scale < 0 || f.type.scale > f.type.precision)
          return ValidationError{f.type.pos, "decimal scale must be between 0 and the precision (" +
                                                 std::to_string(f.type.precision) + ")"};
      }
      if (f.number == 0 || f.number > kMaxFieldNumber)
        return ValidationError{f.number_pos, RangeMessage("field number", f.number)};
      if (auto [it, inserted] = field_numbers.emplace(f.number, &f); !inserted)
        return ValidationError{f.number_pos, "field number " + std::to_string(f.number) +
                                                 " already used by " + Quoted(it->second->name) +
                                                 " " + LineRef(it->second->number_pos)};
      for (const ReservedRange& r : t.reserved) {
        if (f.number >= r.first && f.number <= r.last)
          return ValidationError{f.number_pos, "field number " + std::to_string(f.number) +
                                                   " is reserved " + LineRef(r.pos)};
      }
      if (auto err = OptionError(extra))
        return ValidationError{err->first, err->second};
      if (f.default_value) {
        if (auto err = DefaultError(f, extra.default_text))
          return ValidationError{f.default_value->pos, *err};
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::string FormatError(std::string_view file_name, std::string_view text, const SourcePos& pos,
                        std::string_view message) {
  // The source line is found by its number, so a SourcePos built by hand (no offset) works too.
  size_t start = 0;
  for (int line = 1; line < pos.line && start <= text.size(); ++line) {
    size_t nl = text.find('\n', start);
    start = (nl == std::string_view::npos) ? text.size() + 1 : nl + 1;
  }
  std::string_view source_line;
  if (start <= text.size()) {
    source_line = text.substr(start);
    source_line = source_line.substr(0, source_line.find('\n'));
    if (!source_line.empty() && source_line.back() == '\r')
      source_line.remove_suffix(1);
  }
  std::string out;
  out.append(file_name);
  out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": error: ";
  out.append(message);
  out += '\n';
  out.append(source_line);
  out += '\n';
  for (int i = 0; i + 1 < pos.column; ++i) {
    size_t idx = static_cast<size_t>(i);
    out += (idx < source_line.size() && source_line[idx] == '\t') ? '\t' : ' ';
  }
  out += "^\n";
  return out;
}

Result<SchemaFile> ParseSchema(std::string_view text, std::string_view file_name) {
  Builder b(text);
  b.file.file_name = std::string(file_name);
  auto fail = [&](It where, std::string_view message) -> Status {
    return Status::InvalidArgument(FormatError(file_name, text, b.Pos(where), message));
  };
  It const last = text.data() + text.size();
  try {
    It stop = RunGrammar(b);
    if (stop != last)  // phrase_parse skipped trailing trivia: `stop` is a token no table takes
      return fail(stop, "expected TABLE or VIEW");
  } catch (const x3::expectation_failure<It>& e) {
    // X3 may report the position before the whitespace/comments preceding the token.
    It where = e.where();
    try {
      where = SkipTrivia(where, last);
    } catch (const SyntaxError& err) {
      return fail(err.where, err.message);
    }
    return fail(where, "expected " + e.which());
  } catch (const SyntaxError& e) {
    return fail(e.where, e.message);
  }
  if (auto err = Validate(b))
    return Status::InvalidArgument(FormatError(file_name, text, err->pos, err->message));
  return std::move(b.file);
}

}  // namespace trine::schema
