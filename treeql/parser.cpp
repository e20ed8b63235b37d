// TreeQL parser, written with Boost.Spirit X3 (like schema/parser.cpp).
//
// Grammar (EBNF). Whitespace and comments may appear between any two tokens.
//
//   script    = [ stmt ] { ";" [ stmt ] } ;                  (empty statements are skipped)
//   stmt      = [ "LIVE" ] query | "EXPLAIN" [ "LIVE" ] query | insert | update | delete
//             | set | retract | "BEGIN" [ "DURABLE" ] | "COMMIT" | "ROLLBACK"
//             | "REFRESH" "VIEW" name | table | view ;
//   query     = "SELECT" expr [ "FROM" name [ "AS" ident ] [ "WHERE" expr ]
//                 [ "GROUP" "BY" exprs ] [ "ORDER" "BY" order { "," order } ]
//                 [ "LIMIT" expr ] [ "OFFSET" expr ] ] ;
//   order     = expr [ "ASC" | "DESC" ] [ "NULLS" ( "FIRST" | "LAST" ) ] ;
//   insert    = "INSERT" name shape ;                         (keyed items only)
//   update    = "UPDATE" name [ "AS" ident ] "SET" assign { "," assign } [ "WHERE" expr ] ;
//   assign    = field "=" expr ;
//   delete    = "DELETE" "FROM" name [ "AS" ident ] [ "WHERE" expr ] ;
//   set       = "SET" triple "=" expr ;
//   retract   = "RETRACT" triple ;
//   triple    = name "[" expr "]" "." ( field | digits ) ;   (`.7` is the field "#7")
//   table     = "TABLE" ... "{" ... "}" [ ";" ] ;             (not parsed here, see below)
//   view      = "VIEW" ... ";" ;                              (to the schema parser as well)
//
//   expr      = conj { "OR" conj } ;
//   conj      = neg { "AND" neg } ;
//   neg       = "NOT" neg | cmp ;
//   cmp       = sum [ cmpop sum | "IS" [ "NOT" ] "NULL" | [ "NOT" ] "IN" inlist
//                   | [ "NOT" ] "LIKE" sum | [ "NOT" ] "BETWEEN" sum "AND" sum ] ;
//   cmpop     = "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=" ;
//   inlist    = "(" query ")" | "(" exprs ")" | "[" exprs "]" ;
//   sum       = prod { ( "+" | "-" | "||" ) prod } ;
//   prod      = unary { ( "*" | "/" | "%" ) unary } ;
//   unary     = "-" number | "-" unary | atom ;               ("-" number is one literal)
//   atom      = number | string | bytes | "TRUE" | "FALSE" | "NULL" | param
//             | "CASE" "WHEN" expr "THEN" expr { "WHEN" expr "THEN" expr } [ "ELSE" expr ] "END"
//             | "(" query ")" | "(" expr ")" | "[" query "]" | "[" [ exprs ] "]" | shape
//             | call | path ;
//   call      = ident "(" [ "*" | query | [ "DISTINCT" ] exprs ] ")" ;
//   path      = ( ident | fieldnum ) { "." field | "<-" name "." field } ;
//   shape     = "{" [ item { "," item } [ "," ] ] "}" ;
//   item      = ( name | string ) ":" expr | path | "*" ;
//   exprs     = expr { "," expr } ;
//   param     = "?" | ":" name ;                              (no space after ':')
//   field     = name | fieldnum ;
//
//   name      = ( letter | "_" ) { letter | digit | "_" } ;   (ASCII, case-sensitive)
//   ident     = name - reserved ;
//   fieldnum  = "#" digits ;                                  (stored as "#" + the number)
//   number    = digits [ "." digits ] [ ( "e" | "E" ) [ "+" | "-" ] digits ] ;
//   string    = "'" { char - ( "'" | newline ) | "''" } "'" ;
//   bytes     = ( "x" | "X" ) "'" { hex hex } "'" ;
//   comment   = "--" { char - newline } | "/*" { char } "*/" ;
//   reserved  = SELECT FROM WHERE ORDER BY LIMIT OFFSET AS AND OR NOT IS NULL IN LIKE BETWEEN
//               TRUE FALSE CASE WHEN THEN ELSE END EXPLAIN LIVE INSERT UPDATE DELETE SET RETRACT ;
//
// Keywords are ASCII case-insensitive and end at a non-name character. Reserved words cannot
// start a path, name a function or be an alias, because there a keyword may also stand. Where
// only a name can stand (a type name, a field after ".", a shape key before ":", an assigned
// field, a parameter name) any name is accepted, so a type can be called `Order`. Other keywords
// (ASC, DESC, NULLS, FIRST, LAST, GROUP, DISTINCT, DURABLE, BEGIN, TABLE, ...) are names elsewhere;
// at the start of call arguments DISTINCT is always the keyword.
//
// Numbers: digits alone are an int64, digits "." digits an exact decimal (its scale is the
// number of digits after the point), anything with an exponent a float. A "-" directly before
// a number is part of the literal, so -9223372036854775808 is an int64.
//
// Paths: `a.b.c`, `a.#3`, and reverse steps `u<-Post.author` that may be followed by further
// steps (`u<-Post.author.title`, `u<-Post.author<-Like.post`); the binder gives them meaning.
// `<-` is always a reverse step after a path: write `x < -1`, not `x<-1`.
//
// Positions: every node's pos is the byte offset of its first character: a binary or
// comparison node starts at its left operand, a folded "-5" at the "-", a subquery at its
// "(" or "[", a Query at SELECT. Parentheses make no node: `(a)` is the node of `a`. A path
// step's pos is its name; a reverse step's pos is its type name (after "<-").
//
// Parameters `?` are numbered 0, 1, ... in order of appearance within each statement (after
// parsing, so that backtracking cannot count one twice).
//
// A TABLE statement is not parsed here: it runs from TABLE to the "}" that closes its first
// "{" (skipping strings and comments) and its text goes to the schema parser.
//
// Errors: X3 throws expectation_failure when a `>` operand does not match; rules are named so
// that the message is "expected <name>". Lexical and range errors throw SyntaxError. Both are
// turned into InvalidArgument("LINE:COL: message\n<line>\n<caret>") at the offending token.

#include "treeql/parser.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/spirit/home/x3.hpp>

#include "common/ascii.h"
#include "schema/x3_keyword.h"
#include "trine/value.h"

namespace trine::treeql {
namespace {

namespace x3 = boost::spirit::x3;

using It = const char*;
using ast::Expr;
using Kind = ast::Expr::Kind;
using ast::Op;

// Nesting deeper than this is an error rather than a stack overflow. Each level of
// parentheses costs a few dozen X3 frames.
constexpr int kMaxDepth = 100;

// A lexical or range error found while parsing, at `where`. Thrown from custom parsers and
// semantic actions because X3 has no other way to stop with a message of our own.
struct SyntaxError {
  It where;
  std::string message;
};

// ---- characters and trivia (shared by the grammar, the TABLE scanner and IsComplete) ----

// Skips whitespace and comments. A block comment without "*/" stops the skip: *unterminated is
// then its "/*" (else nullptr) and the result is `last`.
It SkipTriviaRaw(It p, It last, It* unterminated) {
  *unterminated = nullptr;
  while (p != last) {
    if (IsAsciiSpace(*p)) {
      ++p;
    } else if (*p == '-' && last - p >= 2 && p[1] == '-') {
      p += 2;
      while (p != last && *p != '\n' && *p != '\r')
        ++p;
    } else if (*p == '/' && last - p >= 2 && p[1] == '*') {
      std::string_view rest(p + 2, static_cast<size_t>(last - p - 2));
      size_t end = rest.find("*/");
      if (end == std::string_view::npos) {
        *unterminated = p;
        return last;
      }
      p += 2 + end + 2;
    } else {
      break;
    }
  }
  return p;
}

It SkipTrivia(It p, It last) {
  It unterminated;
  It q = SkipTriviaRaw(p, last, &unterminated);
  if (unterminated != nullptr)
    throw SyntaxError{unterminated, "unterminated block comment"};
  return q;
}

// Skips a quoted string starting at its quote `*p`. Single quotes escape by doubling, double
// quotes (schema files only) by backslash. Strings end at a line break at the latest, as in the
// lexers, so an unterminated one does not swallow the rest of the text. Returns the position
// after the closing quote, or of the line break or the end.
It SkipQuoted(It p, It last) {
  const char quote = *p++;
  while (p != last && *p != '\n' && *p != '\r') {
    if (quote == '"' && *p == '\\' && p + 1 != last) {
      p += 2;
      continue;
    }
    if (*p == quote) {
      if (quote == '\'' && p + 1 != last && p[1] == '\'') {
        p += 2;
        continue;
      }
      return p + 1;
    }
    ++p;
  }
  return p;
}

constexpr const char* kReserved[] = {
    "SELECT", "FROM", "WHERE", "ORDER",   "BY",   "LIMIT",   "OFFSET", "AS",     "AND",  "OR",
    "NOT",    "IS",   "NULL",  "IN",      "LIKE", "BETWEEN", "TRUE",   "FALSE",  "CASE", "WHEN",
    "THEN",   "ELSE", "END",   "EXPLAIN", "LIVE", "INSERT",  "UPDATE", "DELETE", "SET",  "RETRACT"};

bool IsReserved(std::string_view name) {
  for (const char* word : kReserved) {
    if (std::strlen(word) == name.size() &&
        std::equal(name.begin(), name.end(), word,
                   [](char a, char b) { return AsciiUpper(a) == b; }))
      return true;
  }
  return false;
}

// The end of the last token in [p, stop): `stop` may lie after trailing trivia.
It LastTokenEnd(It p, It stop) {
  It end = p;
  for (;;) {
    It unterminated;
    p = SkipTriviaRaw(p, stop, &unterminated);
    if (p == stop)
      return end;
    p = (*p == '\'') ? SkipQuoted(p, stop) : p + 1;
    end = p;
  }
}

// Where a TABLE statement starting at `p` ends, found without parsing it.
struct TableSpan {
  enum Kind { kOk, kNoBrace, kUnclosed, kUnterminatedComment } kind;
  It at;  // kOk: one past the closing "}"; kNoBrace: the ";" or end; otherwise the "{" or "/*"
};

TableSpan ScanTable(It p, It last) {
  It open = nullptr;
  int depth = 0;
  p += std::strlen("TABLE");
  for (;;) {
    It unterminated;
    p = SkipTriviaRaw(p, last, &unterminated);
    if (unterminated != nullptr)
      return {TableSpan::kUnterminatedComment, unterminated};
    if (p == last)
      return open != nullptr ? TableSpan{TableSpan::kUnclosed, open}
                             : TableSpan{TableSpan::kNoBrace, last};
    const char c = *p;
    if (c == '\'' || c == '"') {
      p = SkipQuoted(p, last);
      continue;
    }
    if (c == '{') {
      if (open == nullptr)
        open = p;
      ++depth;
    } else if (c == '}' && open != nullptr) {
      if (--depth == 0)
        return {TableSpan::kOk, p + 1};
    } else if (c == ';' && open == nullptr) {
      return {TableSpan::kNoBrace, p};
    }
    ++p;
  }
}

// ---- parse state, reached from actions through the context (x3::with) ----

struct State {
  It begin = nullptr;  // of the whole text: positions are offsets from here
  int depth = 0;       // current nesting, see kMaxDepth
};
struct state_tag;

template <typename Context>
State& St(Context const& ctx) {
  return x3::get<state_tag>(ctx);
}
template <typename Context>
uint32_t Off(Context const& ctx, It p) {
  return static_cast<uint32_t>(p - St(ctx).begin);
}

// ---- tokens: custom parsers, so that each one knows where it starts and errors point there ----

// Whitespace and comments, as the X3 skipper.
struct Trivia : x3::parser<Trivia> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const&, RContext&, Attribute&) const {
    It p = SkipTrivia(first, last);
    if (p == first)
      return false;
    first = p;
    return true;
  }
};

using Keyword = X3Keyword;

// An operator or bracket; `not_before` lists characters that must not follow it, so that "<"
// does not match the start of "<=".
struct Punct : x3::parser<Punct> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  constexpr explicit Punct(const char* t, const char* nb = "") : text(t), not_before(nb) {}

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute&) const {
    x3::skip_over(first, last, ctx);
    const size_t n = std::strlen(text);
    if (static_cast<size_t>(last - first) < n || std::memcmp(first, text, n) != 0)
      return false;
    if (first + n != last && first[n] != '\0' && std::strchr(not_before, first[n]) != nullptr)
      return false;
    first += n;
    return true;
  }

  const char* text;
  const char* not_before;
};

// A name as written (or "#7" for a field number) and where it starts.
struct NameTok {
  std::string text;
  It begin = nullptr;
};

template <typename Attribute, typename T>
void Store(Attribute& attr, T&& value) {
  if constexpr (!std::is_same_v<Attribute, x3::unused_type>)
    attr = std::forward<T>(value);
}

// A name; reserved words only if `allow_reserved`.
struct Name : x3::parser<Name> {
  using attribute_type = NameTok;
  static bool const has_attribute = true;

  constexpr explicit Name(bool reserved_ok) : allow_reserved(reserved_ok) {}

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, ctx);
    if (first == last || !IsNameStart(*first))
      return false;
    It p = first;
    while (p != last && IsNameChar(*p))
      ++p;
    std::string_view word(first, static_cast<size_t>(p - first));
    if (!allow_reserved && IsReserved(word))
      return false;
    Store(attr, NameTok{std::string(word), first});
    first = p;
    return true;
  }

  bool allow_reserved;
};

// A field number, "#7" (or just "7" after the "." of a SET/RETRACT triple), as the name "#7".
struct FieldNumber : x3::parser<FieldNumber> {
  using attribute_type = NameTok;
  static bool const has_attribute = true;

  constexpr explicit FieldNumber(bool hash) : needs_hash(hash) {}

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, ctx);
    It p = first;
    if (needs_hash) {
      if (p == last || *p != '#')
        return false;
      ++p;
    }
    It digits = p;
    while (p != last && IsAsciiDigit(*p))
      ++p;
    if (p == digits) {
      if (needs_hash)
        throw SyntaxError{first, "expected a field number after '#'"};
      return false;
    }
    uint64_t n = 0;
    if (std::from_chars(digits, p, n).ec != std::errc())
      throw SyntaxError{first, "field number out of range"};
    Store(attr, NameTok{"#" + std::to_string(n), first});
    first = p;
    return true;
  }

  bool needs_hash;
};

// A number as written; converted by the actions, which know whether a "-" comes before it.
struct NumberTok {
  enum Kind { kInt, kDecimal, kFloat };
  Kind kind = kInt;
  It begin = nullptr;
  It end = nullptr;
};

struct Number : x3::parser<Number> {
  using attribute_type = NumberTok;
  static bool const has_attribute = true;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, ctx);
    if (first == last || !IsAsciiDigit(*first))
      return false;
    NumberTok tok;
    tok.begin = first;
    It p = first;
    while (p != last && IsAsciiDigit(*p))
      ++p;
    if (p != last && *p == '.') {
      ++p;
      if (p == last || !IsAsciiDigit(*p))
        throw SyntaxError{p, "expected a digit after the decimal point"};
      while (p != last && IsAsciiDigit(*p))
        ++p;
      tok.kind = NumberTok::kDecimal;
    }
    if (p != last && (*p == 'e' || *p == 'E')) {
      ++p;
      if (p != last && (*p == '+' || *p == '-'))
        ++p;
      if (p == last || !IsAsciiDigit(*p))
        throw SyntaxError{p, "expected the digits of the exponent"};
      while (p != last && IsAsciiDigit(*p))
        ++p;
      tok.kind = NumberTok::kFloat;
    }
    if (p != last && (IsNameChar(*p) || *p == '.'))
      throw SyntaxError{p, "unexpected character in number"};
    tok.end = p;
    Store(attr, std::move(tok));
    first = p;
    return true;
  }
};

// A string or bytes literal's value and where it starts.
struct StringTok {
  std::string value;
  It begin = nullptr;
};

// '...' with '' for a quote. Strings may not span lines, and must be valid UTF-8.
struct String : x3::parser<String> {
  using attribute_type = StringTok;
  static bool const has_attribute = true;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, ctx);
    if (first == last || *first != '\'')
      return false;
    StringTok tok;
    tok.begin = first;
    It p = first + 1;
    for (;;) {
      if (p == last || *p == '\n' || *p == '\r')
        throw SyntaxError{first, "unterminated string"};
      if (*p == '\'') {
        if (p + 1 != last && p[1] == '\'') {
          tok.value.push_back('\'');
          p += 2;
          continue;
        }
        ++p;
        break;
      }
      tok.value.push_back(*p++);
    }
    if (!IsValidUtf8(tok.value))
      throw SyntaxError{first, "string is not valid UTF-8"};
    Store(attr, std::move(tok));
    first = p;
    return true;
  }
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// x'0aff': pairs of hex digits.
struct Bytes : x3::parser<Bytes> {
  using attribute_type = StringTok;
  static bool const has_attribute = true;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, ctx);
    if (last - first < 2 || (*first != 'x' && *first != 'X') || first[1] != '\'')
      return false;
    StringTok tok;
    tok.begin = first;
    It p = first + 2;
    It digits = p;
    while (p != last && *p != '\'') {
      if (*p == '\n' || *p == '\r')
        break;
      if (HexDigit(*p) < 0)
        throw SyntaxError{p, "expected a hex digit in bytes literal"};
      ++p;
    }
    if (p == last || *p != '\'')
      throw SyntaxError{first, "unterminated bytes literal"};
    if ((p - digits) % 2 != 0)
      throw SyntaxError{first, "bytes literal has an odd number of hex digits"};
    for (It d = digits; d != p; d += 2)
      tok.value.push_back(static_cast<char>(HexDigit(d[0]) * 16 + HexDigit(d[1])));
    Store(attr, std::move(tok));
    first = p + 1;
    return true;
  }
};

// `?` (empty name) or `:name`.
struct ParamTok {
  std::string name;
  It begin = nullptr;
};

struct Param : x3::parser<Param> {
  using attribute_type = ParamTok;
  static bool const has_attribute = true;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, ctx);
    if (first == last)
      return false;
    if (*first == '?') {
      Store(attr, ParamTok{"", first});
      ++first;
      return true;
    }
    if (*first != ':' || first + 1 == last || !IsNameStart(first[1]))
      return false;
    It p = first + 1;
    while (p != last && IsNameChar(*p))
      ++p;
    Store(attr, ParamTok{std::string(first + 1, p), first});
    first = p;
    return true;
  }
};

// Matches nothing; its attribute is where the next token starts (the position of a node).
struct Start : x3::parser<Start> {
  using attribute_type = It;
  static bool const has_attribute = true;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, ctx);
    Store(attr, first);
    return true;
  }
};

// True if a comparison operator starts at p (after trivia).
bool AtComparison(It p, It last) {
  if (p == last)
    return false;
  if (*p == '=' || *p == '<' || *p == '>' || (*p == '!' && p + 1 != last && p[1] == '='))
    return true;
  for (const char* kw : {"IS", "IN", "LIKE", "BETWEEN", "NOT"}) {
    if (MatchKeyword(p, last, kw) != nullptr)
      return true;
  }
  return false;
}

// After a comparison: another one is an error (comparisons do not associate).
struct NoChain : x3::parser<NoChain> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute&) const {
    x3::skip_over(first, last, ctx);
    if (AtComparison(first, last))
      throw SyntaxError{first, "comparisons cannot be chained; combine them with AND"};
    return true;
  }
};

// After a projection without FROM: the clauses that need FROM are an error of their own, so
// that the user is not just told "expected FROM".
struct NoFromClauses : x3::parser<NoFromClauses> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute&) const {
    x3::skip_over(first, last, ctx);
    static constexpr const char* kClauses[][2] = {{"WHERE", "WHERE"},
                                                  {"GROUP", "GROUP BY"},
                                                  {"ORDER", "ORDER BY"},
                                                  {"LIMIT", "LIMIT"},
                                                  {"OFFSET", "OFFSET"}};
    for (const auto& clause : kClauses) {
      if (MatchKeyword(first, last, clause[0]) != nullptr)
        throw SyntaxError{first, std::string(clause[1]) + " is only allowed after FROM Type"};
    }
    if (MatchKeyword(first, last, "AS") != nullptr)
      throw SyntaxError{first,
                        "expected FROM or end of statement (to name a value, write "
                        "SELECT { name: value })"};
    return true;
  }
};

// Before a projection: `SELECT *` is SQL; TreeQL writes the star inside a shape.
struct NoStarProjection : x3::parser<NoStarProjection> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext&, Attribute&) const {
    x3::skip_over(first, last, ctx);
    if (first != last && *first == '*')
      throw SyntaxError{first, "expected expression (for all fields write SELECT { * })"};
    return true;
  }
};

// nest[p]: p one level deeper; too deep is an error instead of a stack overflow.
template <typename Subject>
struct Nest : x3::unary_parser<Subject, Nest<Subject>> {
  using base_type = x3::unary_parser<Subject, Nest<Subject>>;
  static bool const is_pass_through_unary = true;

  constexpr explicit Nest(Subject const& s) : base_type(s) {}

  template <typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& ctx, RContext& rctx, Attribute& attr) const {
    State& st = St(ctx);
    if (st.depth >= kMaxDepth) {
      throw SyntaxError{SkipTrivia(first, last), "expression nested too deeply (more than " +
                                                     std::to_string(kMaxDepth) + " levels)"};
    }
    ++st.depth;
    struct Leave {
      int* depth;
      ~Leave() { --*depth; }
    } leave{&st.depth};
    return this->subject.parse(first, last, ctx, rctx, attr);
  }
};

struct NestGen {
  template <typename Subject>
  constexpr Nest<typename x3::extension::as_parser<Subject>::value_type> operator[](
      Subject const& subject) const {
    return Nest<typename x3::extension::as_parser<Subject>::value_type>(x3::as_parser(subject));
  }
};

}  // namespace
}  // namespace trine::treeql

// What an expectation names when a keyword or an operator is missing ("expected FROM"), and
// for `> rule[action]` and `> nest[rule]` the rule's name rather than a type name.
namespace boost::spirit::x3 {
template <typename Subject, typename Action>
struct get_info<action<Subject, Action>> {
  using result_type = std::string;
  std::string operator()(action<Subject, Action> const& p) const { return what(p.subject); }
};
template <typename Subject>
struct get_info<trine::treeql::Nest<Subject>> {
  using result_type = std::string;
  std::string operator()(trine::treeql::Nest<Subject> const& p) const { return what(p.subject); }
};
template <>
struct get_info<trine::treeql::Keyword> {
  using result_type = std::string;
  std::string operator()(trine::treeql::Keyword const& k) const { return k.word; }
};
template <>
struct get_info<trine::treeql::Punct> {
  using result_type = std::string;
  std::string operator()(trine::treeql::Punct const& p) const {
    return "'" + std::string(p.text) + "'";
  }
};
}  // namespace boost::spirit::x3

namespace trine::treeql {
namespace {

// ---- literal values ----

Value NumberValue(const NumberTok& tok, bool negative, It where) {
  std::string text = negative ? "-" : "";
  text.append(tok.begin, tok.end);
  const char* first = text.data();
  const char* last = first + text.size();
  switch (tok.kind) {
    case NumberTok::kInt: {
      int64_t v = 0;
      if (std::from_chars(first, last, v).ec != std::errc())
        throw SyntaxError{where, "integer literal out of range"};
      return Value::Int(v);
    }
    case NumberTok::kDecimal: {
      Result<Decimal> d = Decimal::Parse(text);
      if (!d.ok()) {
        size_t fraction = text.size() - text.find('.') - 1;
        throw SyntaxError{where, fraction > static_cast<size_t>(Decimal::kMaxScale)
                                     ? "decimal literal has more than " +
                                           std::to_string(Decimal::kMaxScale) +
                                           " digits after the point"
                                     : std::string("decimal literal out of range")};
      }
      return Value::Dec(*d);
    }
    case NumberTok::kFloat: {
      double v = 0;
      if (std::from_chars(first, last, v).ec != std::errc())
        throw SyntaxError{where, "float literal out of range"};
      return Value::Float(v);
    }
  }
  return Value();
}

// ---- semantic actions ----
//
// A rule whose definition starts with start[begin_node] resets its attribute and records its
// position, so that nothing left by an alternative that failed part-way survives.

auto const begin_node = [](auto& ctx) {
  auto& v = x3::_val(ctx);
  v = std::remove_reference_t<decltype(v)>{};
  v.pos = Off(ctx, x3::_attr(ctx));
};
auto begin_kind(Kind kind) {
  return [kind](auto& ctx) {
    begin_node(ctx);
    x3::_val(ctx).kind = kind;
  };
}
auto const assign = [](auto& ctx) { x3::_val(ctx) = std::move(x3::_attr(ctx)); };
auto const push_arg = [](auto& ctx) { x3::_val(ctx).args.push_back(std::move(x3::_attr(ctx))); };
auto const set_args = [](auto& ctx) { x3::_val(ctx).args = std::move(x3::_attr(ctx)); };
auto const push_back = [](auto& ctx) { x3::_val(ctx).push_back(std::move(x3::_attr(ctx))); };
auto const set_query = [](auto& ctx) {
  x3::_val(ctx).query = std::make_shared<ast::Query>(std::move(x3::_attr(ctx)));
};

auto const number_lit = [](auto& ctx) {
  Expr& v = x3::_val(ctx);
  v.kind = Kind::kLiteral;
  v.literal = NumberValue(x3::_attr(ctx), false, x3::_attr(ctx).begin);
};
auto const fold_neg = [](auto& ctx) {  // "-" number; _val.pos is the "-"
  Expr& v = x3::_val(ctx);
  v.kind = Kind::kLiteral;
  v.literal = NumberValue(x3::_attr(ctx), true, St(ctx).begin + v.pos);
};
auto const string_lit = [](auto& ctx) {
  x3::_val(ctx).kind = Kind::kLiteral;
  x3::_val(ctx).literal = Value::String(std::move(x3::_attr(ctx).value));
};
auto const bytes_lit = [](auto& ctx) {
  x3::_val(ctx).kind = Kind::kLiteral;
  x3::_val(ctx).literal = Value::Bytes(std::move(x3::_attr(ctx).value));
};
auto literal(Value value) {
  return [value](auto& ctx) {
    x3::_val(ctx).kind = Kind::kLiteral;
    x3::_val(ctx).literal = value;
  };
}
auto const param = [](auto& ctx) {
  Expr& v = x3::_val(ctx);
  v.kind = Kind::kParam;
  v.param_name = std::move(x3::_attr(ctx).name);  // `?` is numbered later (NumberParams)
};
auto const shape_expr = [](auto& ctx) {
  x3::_val(ctx).kind = Kind::kShape;
  x3::_val(ctx).shape = std::make_shared<ast::Shape>(std::move(x3::_attr(ctx)));
};
auto subquery(Expr::Form form) {
  return [form](auto& ctx) {
    Expr& v = x3::_val(ctx);
    v.kind = Kind::kSubquery;
    v.form = form;
    v.query = std::make_shared<ast::Query>(std::move(x3::_attr(ctx)));
  };
}
auto const list = [](auto& ctx) { x3::_val(ctx).kind = Kind::kList; };
auto const list_items = [](auto& ctx) {
  x3::_val(ctx).kind = Kind::kList;
  x3::_val(ctx).args = std::move(x3::_attr(ctx));
};

// A node with one operand, the attribute.
auto unary(Op op) {
  return [op](auto& ctx) {
    Expr& v = x3::_val(ctx);
    v.kind = Kind::kUnary;
    v.op = op;
    v.args.push_back(std::move(x3::_attr(ctx)));
  };
}
// _val becomes the left operand of `op`, the attribute the right one.
auto binary(Op op) {
  return [op](auto& ctx) {
    Expr e;
    e.kind = Kind::kBinary;
    e.op = op;
    e.pos = x3::_val(ctx).pos;
    e.args.reserve(2);
    e.args.push_back(std::move(x3::_val(ctx)));
    e.args.push_back(std::move(x3::_attr(ctx)));
    x3::_val(ctx) = std::move(e);
  };
}
// Comparison tails are built without their left operand; attach puts _val in front.
auto compare_rhs(Op op) {
  return [op](auto& ctx) {
    Expr& v = x3::_val(ctx);
    v.kind = Kind::kBinary;
    v.op = op;
    v.args.push_back(std::move(x3::_attr(ctx)));
  };
}
auto const attach = [](auto& ctx) {
  Expr e = std::move(x3::_attr(ctx));
  e.pos = x3::_val(ctx).pos;
  e.args.insert(e.args.begin(), std::move(x3::_val(ctx)));
  x3::_val(ctx) = std::move(e);
};
auto is_null(bool negated) {
  return [negated](auto& ctx) {
    x3::_val(ctx).kind = Kind::kIsNull;
    x3::_val(ctx).negated = negated;
  };
}
auto const negate = [](auto& ctx) {
  x3::_val(ctx) = std::move(x3::_attr(ctx));
  x3::_val(ctx).negated = true;
};
auto const like = [](auto& ctx) {
  x3::_val(ctx).kind = Kind::kLike;
  x3::_val(ctx).args.push_back(std::move(x3::_attr(ctx)));
};
auto set_kind(Kind kind) {
  return [kind](auto& ctx) { x3::_val(ctx).kind = kind; };
}
auto const in_items = [](auto& ctx) {  // the attribute: a kIn node from in_paren
  x3::_val(ctx).args = std::move(x3::_attr(ctx).args);
  x3::_val(ctx).query = std::move(x3::_attr(ctx).query);
};

auto const case_else = [](auto& ctx) {  // the attribute: case_tail's result
  if (x3::_attr(ctx).has_else) {
    x3::_val(ctx).has_else = true;
    x3::_val(ctx).args.push_back(std::move(x3::_attr(ctx).args[0]));
  }
};
auto const else_value = [](auto& ctx) {
  x3::_val(ctx).has_else = true;
  x3::_val(ctx).args.push_back(std::move(x3::_attr(ctx)));
};

auto const call_name = [](auto& ctx) {
  std::string name = std::move(x3::_attr(ctx).text);
  for (char& c : name)
    c = AsciiLower(c);
  x3::_val(ctx).name = std::move(name);
};
auto const call_star = [](auto& ctx) { x3::_val(ctx).star = true; };
auto const call_distinct = [](auto& ctx) { x3::_val(ctx).distinct = true; };
auto const call_args = [](auto& ctx) {  // the attribute: call_body's result
  Expr& a = x3::_attr(ctx);
  Expr& v = x3::_val(ctx);
  v.star = a.star;
  v.distinct = a.distinct;
  v.query = std::move(a.query);
  v.args = std::move(a.args);
};

auto const push_step = [](auto& ctx) {
  ast::PathStep step;
  step.pos = Off(ctx, x3::_attr(ctx).begin);
  step.name = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).path.push_back(std::move(step));
};
auto const push_reverse = [](auto& ctx) {  // `<-Type`; the field follows (reverse_field)
  ast::PathStep step;
  step.pos = Off(ctx, x3::_attr(ctx).begin);
  step.reverse_type = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).path.push_back(std::move(step));
};
auto const reverse_field = [](auto& ctx) {
  x3::_val(ctx).path.back().name = std::move(x3::_attr(ctx).text);
};

auto const item_key = [](auto& ctx) { x3::_val(ctx).key = std::move(x3::_attr(ctx).text); };
auto const item_string_key = [](auto& ctx) { x3::_val(ctx).key = std::move(x3::_attr(ctx).value); };
auto const item_value = [](auto& ctx) {
  x3::_val(ctx).kind = ast::ShapeItem::Kind::kKeyed;
  x3::_val(ctx).expr = std::move(x3::_attr(ctx));
};
auto const item_path = [](auto& ctx) {
  x3::_val(ctx).kind = ast::ShapeItem::Kind::kPath;
  x3::_val(ctx).key.clear();
  x3::_val(ctx).expr = std::move(x3::_attr(ctx));
};
auto const item_star = [](auto& ctx) {
  x3::_val(ctx).kind = ast::ShapeItem::Kind::kStar;
  x3::_val(ctx).key.clear();
};
auto const shape_items = [](auto& ctx) { x3::_val(ctx).items = std::move(x3::_attr(ctx)); };

// A projection that is exactly a shape is the query's shape; anything else its expression.
auto const projection = [](auto& ctx) {
  Expr& e = x3::_attr(ctx);
  if (e.kind == Kind::kShape)
    x3::_val(ctx).shape = std::move(e.shape);
  else
    x3::_val(ctx).expr = std::move(e);
};
auto const from_type = [](auto& ctx) {
  x3::_val(ctx).type = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).type_pos = Off(ctx, x3::_attr(ctx).begin);
};
auto const query_alias = [](auto& ctx) {
  x3::_val(ctx).alias = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).alias_pos = Off(ctx, x3::_attr(ctx).begin);
};
auto const set_where = [](auto& ctx) { x3::_val(ctx).where = std::move(x3::_attr(ctx)); };
auto const set_limit = [](auto& ctx) { x3::_val(ctx).limit = std::move(x3::_attr(ctx)); };
auto const set_offset = [](auto& ctx) { x3::_val(ctx).offset = std::move(x3::_attr(ctx)); };
auto const push_group = [](auto& ctx) {
  x3::_val(ctx).group_by.push_back(std::move(x3::_attr(ctx)));
};
auto const group_start = [](auto& ctx) {
  x3::_val(ctx).group_pos = Off(ctx, x3::_where(ctx).begin());
};
auto const push_order = [](auto& ctx) {
  x3::_val(ctx).order_by.push_back(std::move(x3::_attr(ctx)));
};
auto const order_expr = [](auto& ctx) { x3::_val(ctx).expr = std::move(x3::_attr(ctx)); };
auto const descending = [](auto& ctx) { x3::_val(ctx).descending = true; };
auto const set_nulls = [](auto& ctx) { x3::_val(ctx).nulls = x3::_attr(ctx); };
auto nulls(ast::OrderItem::Nulls n) {
  return [n](auto& ctx) { x3::_val(ctx) = n; };
}

auto const assign_field = [](auto& ctx) {
  x3::_val(ctx).field = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).pos = Off(ctx, x3::_attr(ctx).begin);
};
auto const assign_value = [](auto& ctx) { x3::_val(ctx).value = std::move(x3::_attr(ctx)); };
auto const triple_type = [](auto& ctx) {
  x3::_val(ctx).type = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).type_pos = Off(ctx, x3::_attr(ctx).begin);
};
auto const triple_subject = [](auto& ctx) { x3::_val(ctx).subject = std::move(x3::_attr(ctx)); };
auto const set_triple_field = [](auto& ctx) {
  x3::_val(ctx).field = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).field_pos = Off(ctx, x3::_attr(ctx).begin);
};

using SKind = ast::Statement::Kind;
auto stmt_kind(SKind kind) {
  return [kind](auto& ctx) { x3::_val(ctx).kind = kind; };
}
auto stmt_query(SKind kind) {
  return [kind](auto& ctx) {
    x3::_val(ctx).kind = kind;
    x3::_val(ctx).query = std::move(x3::_attr(ctx));
  };
}
auto const set_live = [](auto& ctx) { x3::_val(ctx).live = true; };
auto const set_durable = [](auto& ctx) { x3::_val(ctx).durable = true; };
auto const stmt_alias = [](auto& ctx) { x3::_val(ctx).alias = std::move(x3::_attr(ctx).text); };
auto const push_assignment = [](auto& ctx) {
  x3::_val(ctx).assignments.push_back(std::move(x3::_attr(ctx)));
};
auto const set_triple = [](auto& ctx) { x3::_val(ctx).triple = std::move(x3::_attr(ctx)); };
auto const set_value = [](auto& ctx) { x3::_val(ctx).value = std::move(x3::_attr(ctx)); };
auto const insert_values = [](auto& ctx) {
  ast::Shape& values = x3::_attr(ctx);
  for (const ast::ShapeItem& it : values.items) {
    if (it.kind != ast::ShapeItem::Kind::kKeyed)
      throw SyntaxError{St(ctx).begin + it.pos, "INSERT takes 'key: value' items only"};
  }
  x3::_val(ctx).values = std::move(values);
};

// ---- tokens and rules ----

constexpr Keyword kw_select("SELECT"), kw_from("FROM"), kw_where("WHERE"), kw_order("ORDER"),
    kw_by("BY"), kw_limit("LIMIT"), kw_offset("OFFSET"), kw_as("AS"), kw_and("AND"), kw_or("OR"),
    kw_not("NOT"), kw_is("IS"), kw_null("NULL"), kw_in("IN"), kw_like("LIKE"),
    kw_between("BETWEEN"), kw_true("TRUE"), kw_false("FALSE"), kw_case("CASE"), kw_when("WHEN"),
    kw_then("THEN"), kw_else("ELSE"), kw_end("END"), kw_explain("EXPLAIN"), kw_live("LIVE"),
    kw_insert("INSERT"), kw_update("UPDATE"), kw_delete("DELETE"), kw_set("SET"),
    kw_retract("RETRACT"), kw_asc("ASC"), kw_desc("DESC"), kw_nulls("NULLS"), kw_first("FIRST"),
    kw_last("LAST"), kw_distinct("DISTINCT"), kw_begin("BEGIN"), kw_durable("DURABLE"),
    kw_commit("COMMIT"), kw_rollback("ROLLBACK"), kw_group("GROUP"), kw_refresh("REFRESH"),
    kw_view("VIEW");

constexpr Punct p_lparen("("), p_rparen(")"), p_lbracket("["), p_rbracket("]"), p_lbrace("{"),
    p_rbrace("}"), p_comma(","), p_dot("."), p_colon(":"), p_star("*"), p_slash("/"),
    p_percent("%"), p_plus("+"), p_minus("-"), p_concat("||"), p_eq("="), p_ne("!="), p_ne2("<>"),
    p_le("<="), p_lt("<", "=>"), p_ge(">="), p_gt(">", "="), p_arrow("<-");

constexpr Name ident(false), any_name(true);
constexpr FieldNumber hash_field(true), digits_field(false);
constexpr Number number;
constexpr String string;
constexpr Bytes bytes;
constexpr Param param_tok;
constexpr Start start;
constexpr NoChain no_chain;
constexpr NoFromClauses no_from_clauses;
constexpr NoStarProjection no_star_projection;
constexpr NestGen nest;

// Rules exist for recursion and to name what an expectation (`>`) wanted: the name becomes the
// error message "expected <name>".
x3::rule<class expr_id, Expr> const expr = "expression";
x3::rule<class conj_id, Expr> const conj = "expression";
x3::rule<class neg_id, Expr> const neg = "expression";
x3::rule<class cmp_id, Expr> const cmp = "expression";
x3::rule<class cmp_tail_id, Expr> const cmp_tail = "comparison";
x3::rule<class is_tail_id, Expr> const is_tail = "NULL or NOT NULL after IS";
x3::rule<class negatable_id, Expr> const negatable = "IN, LIKE or BETWEEN after NOT";
x3::rule<class in_list_id, Expr> const in_list = "'(' or '[' after IN";
x3::rule<class in_paren_id, Expr> const in_paren = "expression or SELECT";
x3::rule<class sum_id, Expr> const sum = "expression";
x3::rule<class product_id, Expr> const product = "expression";
x3::rule<class unary_id, Expr> const unary_expr = "expression";
x3::rule<class atom_id, Expr> const atom = "expression";
x3::rule<class paren_id, Expr> const paren = "expression";
x3::rule<class bracket_id, Expr> const bracket = "expression";
x3::rule<class case_id, Expr> const case_expr = "CASE";
x3::rule<class case_tail_id, Expr> const case_tail = "WHEN, ELSE or END";
x3::rule<class call_id, Expr> const call = "function call";
x3::rule<class call_body_id, Expr> const call_body = "expression, '*' or ')'";
x3::rule<class path_id, Expr> const path = "path";
x3::rule<class exprs_id, std::vector<Expr>> const exprs = "expression";
x3::rule<class shape_id, ast::Shape> const shape = "shape";
x3::rule<class shape_body_id, std::vector<ast::ShapeItem>> const shape_body =
    "shape item (key: value, path or *) or '}'";
x3::rule<class item_id, ast::ShapeItem> const item = "shape item (key: value, path or *)";
x3::rule<class query_id, ast::Query> const query = "SELECT";
x3::rule<class order_item_id, ast::OrderItem> const order_item = "expression";
x3::rule<class nulls_order_id, ast::OrderItem::Nulls> const nulls_order =
    "FIRST or LAST after NULLS";
x3::rule<class triple_id, ast::TripleRef> const triple = "type name";
x3::rule<class assignment_id, ast::Assignment> const assignment = "field name";
x3::rule<class statement_id, ast::Statement> const statement = "statement";

x3::rule<class type_name_id, NameTok> const type_name = "type name";
x3::rule<class alias_name_id, NameTok> const alias_name =
    "alias after AS (a name that is not a reserved word)";
x3::rule<class first_step_id, NameTok> const first_step = "path";
x3::rule<class field_name_id, NameTok> const field_name = "field name";
x3::rule<class reverse_type_id, NameTok> const reverse_type =
    "type name after '<-' (for less than a negative number write '< -')";
x3::rule<class reverse_dot_id> const reverse_dot = "'.' and the field name (x<-Type.field)";
x3::rule<class triple_field_id, NameTok> const triple_field = "field name or number after '.'";
x3::rule<class rparen_id> const rparen = "')'";
x3::rule<class rbracket_id> const rbracket = "']'";
x3::rule<class args_close_id> const args_close = "',' or ')'";
x3::rule<class list_close_id> const list_close = "',' or ']'";
x3::rule<class items_close_id> const items_close = "',' or '}'";
x3::rule<class key_colon_id> const key_colon = "':' after the key";
x3::rule<class order_by_id> const order_by = "BY after ORDER";
x3::rule<class group_by_id> const group_by = "BY after GROUP";
x3::rule<class refresh_view_id> const refresh_view = "VIEW after REFRESH";
x3::rule<class live_query_id, ast::Query> const live_query = "SELECT after LIVE";
x3::rule<class explain_query_id, ast::Query> const explain_query =
    "SELECT or LIVE SELECT after EXPLAIN";
x3::rule<class insert_shape_id, ast::Shape> const insert_shape = "'{' and the values to insert";
x3::rule<class update_set_id> const update_set = "SET";
x3::rule<class equals_id> const equals = "'='";
x3::rule<class subject_open_id> const subject_open = "'[' and the subject after the type name";
x3::rule<class subject_close_id> const subject_close = "']' after the subject";
x3::rule<class triple_dot_id> const triple_dot = "'.' and the field after ']'";

// `>>` binds tighter than `>`, so `a > b >> c` expects the sequence `b >> c`, whose name is a
// C++ type. Parentheses below make each `>` expect a single named rule, keyword or operator.
// clang-format off
auto const expr_def = nest[conj[assign] >> *(kw_or > conj)[binary(Op::kOr)]];
auto const conj_def = neg[assign] >> *(kw_and > neg)[binary(Op::kAnd)];
auto const neg_def = start[begin_node] >> ((kw_not > nest[neg])[unary(Op::kNot)] | cmp[assign]);
auto const cmp_def = sum[assign] >> -(cmp_tail[attach] >> no_chain);
auto const cmp_tail_def = start[begin_node] >> (
      (p_eq > sum)[compare_rhs(Op::kEq)]
    | (p_ne > sum)[compare_rhs(Op::kNe)]
    | (p_ne2 > sum)[compare_rhs(Op::kNe)]
    | (p_le > sum)[compare_rhs(Op::kLe)]
    | (p_lt > sum)[compare_rhs(Op::kLt)]
    | (p_ge > sum)[compare_rhs(Op::kGe)]
    | (p_gt > sum)[compare_rhs(Op::kGt)]
    | (kw_is > is_tail)[assign]
    | (kw_not > negatable)[negate]
    | negatable[assign]);
auto const is_tail_def = start[begin_node] >> (
      (kw_not > kw_null)[is_null(true)]
    | kw_null[is_null(false)]);
auto const negatable_def = start[begin_node] >> (
      (kw_in > in_list)[assign]
    | (kw_like > sum)[like]
    | (kw_between[set_kind(Kind::kBetween)] > sum[push_arg] > kw_and > sum[push_arg]));
auto const in_list_def = start[begin_kind(Kind::kIn)] >> (
      (p_lparen > in_paren[in_items])
    | (p_lbracket > exprs[set_args] > list_close));
auto const in_paren_def = start[begin_kind(Kind::kIn)] >> (
      (query[set_query] > rparen)
    | (exprs[set_args] > args_close));

auto const sum_def = product[assign] >> *(
      (p_plus > product)[binary(Op::kAdd)]
    | (p_minus > product)[binary(Op::kSub)]
    | (p_concat > product)[binary(Op::kConcat)]);
auto const product_def = unary_expr[assign] >> *(
      (p_star > unary_expr)[binary(Op::kMul)]
    | (p_slash > unary_expr)[binary(Op::kDiv)]
    | (p_percent > unary_expr)[binary(Op::kMod)]);
auto const unary_expr_def = start[begin_node] >> (
      (p_minus >> number)[fold_neg]
    | (p_minus > nest[unary_expr])[unary(Op::kNeg)]
    | atom[assign]);

auto const atom_def = start[begin_node] >> (
      number[number_lit]
    | string[string_lit]
    | bytes[bytes_lit]
    | kw_true[literal(Value::Bool(true))]
    | kw_false[literal(Value::Bool(false))]
    | kw_null[literal(Value())]
    | param_tok[param]
    | case_expr[assign]
    | paren[assign]
    | bracket[assign]
    | shape[shape_expr]
    | call[assign]
    | path[assign]);
auto const paren_def = start[begin_node] >> (
      (p_lparen >> &kw_select > query[subquery(Expr::Form::kScalar)] > rparen)
    | (p_lparen > expr[assign] > rparen));
auto const bracket_def = start[begin_node] >> (
      (p_lbracket >> &kw_select > query[subquery(Expr::Form::kArray)] > rbracket)
    | (p_lbracket >> p_rbracket)[list]
    | (p_lbracket > exprs[list_items] > list_close));
auto const case_expr_def =
    (start[begin_kind(Kind::kCase)] >> kw_case > kw_when > expr[push_arg] > kw_then > expr[push_arg])
    >> *(kw_when > expr[push_arg] > kw_then > expr[push_arg])
    > case_tail[case_else];
auto const case_tail_def = start[begin_node] >> ((kw_else > expr[else_value] > kw_end) | kw_end);
auto const call_def = start[begin_kind(Kind::kCall)] >> (ident >> p_lparen)[call_name]
    > call_body[call_args];
auto const call_body_def = start[begin_node] >> (
      (p_star[call_star] > rparen)
    | (query[set_query] > rparen)
    | (kw_distinct[call_distinct] > exprs[set_args] > args_close)
    | (exprs[set_args] > args_close)
    | p_rparen);
auto const path_def = start[begin_kind(Kind::kPath)] >> first_step[push_step] >> *(
      (p_dot > field_name[push_step])
    | (p_arrow > reverse_type[push_reverse] > reverse_dot > field_name[reverse_field]));
auto const exprs_def = expr[push_back] >> *(p_comma > expr[push_back]);

auto const shape_def = start[begin_node] >> p_lbrace > shape_body[shape_items];
auto const shape_body_def = p_rbrace
    | (item[push_back] >> *(p_comma >> !p_rbrace > item[push_back]) >> -p_comma > items_close);
auto const item_def = start[begin_node] >> (
      ((any_name[item_key] >> p_colon) > expr[item_value])
    | (string[item_string_key] > key_colon > expr[item_value])
    | p_star[item_star]
    | path[item_path]);

auto const query_def =
    (start[begin_node] >> kw_select >> no_star_projection > expr[projection]) >> (
      ((kw_from > type_name[from_type])
       >> -(kw_as > alias_name[query_alias])
       >> -(kw_where > expr[set_where])
       >> -((kw_group[group_start] > group_by > expr[push_group]) >> *(p_comma > expr[push_group]))
       >> -((kw_order > order_by > order_item[push_order]) >> *(p_comma > order_item[push_order]))
       >> -(kw_limit > expr[set_limit])
       >> -(kw_offset > expr[set_offset]))
    | no_from_clauses);
auto const order_item_def = start[begin_node] >> expr[order_expr]
    >> -(kw_asc | kw_desc[descending])
    >> -(kw_nulls > nulls_order[set_nulls]);
auto const nulls_order_def = kw_first[nulls(ast::OrderItem::Nulls::kFirst)]
    | kw_last[nulls(ast::OrderItem::Nulls::kLast)];

auto const triple_def = type_name[triple_type] > subject_open > expr[triple_subject]
    > subject_close > triple_dot > triple_field[set_triple_field];
auto const assignment_def = field_name[assign_field] > equals > expr[assign_value];

auto const statement_def = start[begin_node] >> (
      (kw_live[set_live] > live_query[stmt_query(SKind::kSelect)])
    | query[stmt_query(SKind::kSelect)]
    | (kw_explain >> -kw_live[set_live] > explain_query[stmt_query(SKind::kExplain)])
    | (kw_insert[stmt_kind(SKind::kInsert)] > type_name[from_type] > insert_shape[insert_values])
    | ((((kw_update[stmt_kind(SKind::kUpdate)] > type_name[from_type])
         >> -(kw_as > alias_name[stmt_alias])) > update_set > assignment[push_assignment])
       >> *(p_comma > assignment[push_assignment])
       >> -(kw_where > expr[set_where]))
    | ((kw_delete[stmt_kind(SKind::kDelete)] > kw_from > type_name[from_type])
       >> -(kw_as > alias_name[stmt_alias])
       >> -(kw_where > expr[set_where]))
    | (kw_set[stmt_kind(SKind::kSet)] > triple[set_triple] > equals > expr[set_value])
    | (kw_retract[stmt_kind(SKind::kRetract)] > triple[set_triple])
    | (kw_begin[stmt_kind(SKind::kBegin)] >> -kw_durable[set_durable])
    | kw_commit[stmt_kind(SKind::kCommit)]
    | kw_rollback[stmt_kind(SKind::kRollback)]
    | (kw_refresh[stmt_kind(SKind::kRefresh)] > refresh_view > type_name[from_type]));

auto const type_name_def = any_name;
auto const alias_name_def = ident;
auto const first_step_def = ident | hash_field;
auto const field_name_def = any_name | hash_field;
auto const reverse_type_def = any_name;
auto const reverse_dot_def = p_dot;
auto const triple_field_def = any_name | hash_field | digits_field;
auto const rparen_def = p_rparen;
auto const rbracket_def = p_rbracket;
auto const args_close_def = p_rparen;
auto const list_close_def = p_rbracket;
auto const items_close_def = p_rbrace;
auto const key_colon_def = p_colon;
auto const order_by_def = kw_by;
auto const group_by_def = kw_by;
auto const refresh_view_def = kw_view;
auto const live_query_def = query;
auto const explain_query_def = query;
auto const insert_shape_def = shape;
auto const update_set_def = kw_set;
auto const equals_def = p_eq;
auto const subject_open_def = p_lbracket;
auto const subject_close_def = p_rbracket;
auto const triple_dot_def = p_dot;
// clang-format on

BOOST_SPIRIT_DEFINE(expr, conj, neg, cmp, cmp_tail, is_tail, negatable, in_list, in_paren, sum,
                    product, unary_expr, atom, paren, bracket, case_expr, case_tail, call,
                    call_body, path, exprs, shape, shape_body, item, query, order_item, nulls_order,
                    triple, assignment, statement)
BOOST_SPIRIT_DEFINE(type_name, alias_name, first_step, field_name, reverse_type, reverse_dot,
                    triple_field, rparen, rbracket, args_close, list_close, items_close, key_colon,
                    order_by, group_by, refresh_view, live_query, explain_query, insert_shape,
                    update_set, equals, subject_open, subject_close, triple_dot)

// ---- after parsing ----

// `?` parameters in source order.
void CollectParams(Expr& e, std::vector<Expr*>* out);
void CollectParams(ast::Query& q, std::vector<Expr*>* out);

void CollectParams(ast::Shape& s, std::vector<Expr*>* out) {
  for (ast::ShapeItem& it : s.items)
    CollectParams(it.expr, out);
}

void CollectParams(Expr& e, std::vector<Expr*>* out) {
  if (e.kind == Kind::kParam && e.param_name.empty())
    out->push_back(&e);
  for (Expr& arg : e.args)
    CollectParams(arg, out);
  if (e.query)
    CollectParams(*e.query, out);
  if (e.shape)
    CollectParams(*e.shape, out);
}

void CollectParams(ast::Query& q, std::vector<Expr*>* out) {
  if (q.shape)
    CollectParams(*q.shape, out);
  if (q.expr)
    CollectParams(*q.expr, out);
  if (q.where)
    CollectParams(*q.where, out);
  for (Expr& g : q.group_by)
    CollectParams(g, out);
  for (ast::OrderItem& o : q.order_by)
    CollectParams(o.expr, out);
  if (q.limit)
    CollectParams(*q.limit, out);
  if (q.offset)
    CollectParams(*q.offset, out);
}

void NumberParams(ast::Statement* st) {
  std::vector<Expr*> params;
  switch (st->kind) {
    case SKind::kSelect:
    case SKind::kExplain:
      CollectParams(st->query, &params);
      break;
    case SKind::kInsert:
      CollectParams(st->values, &params);
      break;
    case SKind::kUpdate:
    case SKind::kDelete:
      for (ast::Assignment& a : st->assignments)
        CollectParams(a.value, &params);
      if (st->where)
        CollectParams(*st->where, &params);
      break;
    case SKind::kSet:
    case SKind::kRetract:
      CollectParams(st->triple.subject, &params);
      if (st->value)
        CollectParams(*st->value, &params);
      break;
    default:
      break;
  }
  std::sort(params.begin(), params.end(), [](Expr* a, Expr* b) { return a->pos < b->pos; });
  for (size_t i = 0; i < params.size(); ++i)
    params[i]->param_index = static_cast<int>(i);
}

// "A, B or end of statement": what could have continued a statement where something else stands.
std::string ExpectedAfter(const ast::Statement& st) {
  std::vector<const char*> more;
  auto clauses = [&more](bool alias, bool where, bool group, bool order, bool limit, bool offset) {
    if (!offset) {
      if (!limit) {
        if (!order) {
          if (!group) {
            if (!where) {
              if (!alias)
                more.push_back("AS");
              more.push_back("WHERE");
            }
            more.push_back("GROUP BY");
          }
          more.push_back("ORDER BY");
        }
        more.push_back("LIMIT");
      }
      more.push_back("OFFSET");
    }
  };
  switch (st.kind) {
    case SKind::kSelect:
    case SKind::kExplain: {
      const ast::Query& q = st.query;
      if (q.type.empty())
        more.push_back("FROM");
      else
        clauses(!q.alias.empty(), q.where.has_value(), !q.group_by.empty(), !q.order_by.empty(),
                q.limit.has_value(), q.offset.has_value());
      break;
    }
    case SKind::kUpdate:
      if (!st.where) {
        more.push_back("','");
        more.push_back("WHERE");
      }
      break;
    case SKind::kDelete:
      if (!st.where) {
        if (st.alias.empty())
          more.push_back("AS");
        more.push_back("WHERE");
      }
      break;
    case SKind::kBegin:
      if (!st.durable)
        more.push_back("DURABLE");
      break;
    default:
      break;
  }
  std::string out = "expected ";
  for (size_t i = 0; i < more.size(); ++i) {
    out += more[i];
    out += (i + 1 < more.size()) ? ", " : " or ";
  }
  return out + "end of statement";
}

}  // namespace

void LineColumn(std::string_view text, uint32_t offset, int* line, int* column) {
  size_t off = std::min<size_t>(offset, text.size());
  std::string_view before = text.substr(0, off);
  *line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  size_t nl = before.rfind('\n');
  size_t line_start = (nl == std::string_view::npos) ? 0 : nl + 1;
  *column = static_cast<int>(off - line_start + 1);
}

std::string FormatError(std::string_view text, uint32_t offset, std::string_view message) {
  int line = 0, column = 0;
  LineColumn(text, offset, &line, &column);
  size_t line_start = std::min<size_t>(offset, text.size()) - static_cast<size_t>(column - 1);
  std::string_view source_line = text.substr(line_start);
  source_line = source_line.substr(0, source_line.find('\n'));
  if (!source_line.empty() && source_line.back() == '\r')
    source_line.remove_suffix(1);
  std::string out = std::to_string(line) + ":" + std::to_string(column) + ": ";
  out.append(message);
  out += '\n';
  out.append(source_line);
  out += '\n';
  for (size_t i = 0; i + 1 < static_cast<size_t>(column); ++i)
    out += (i < source_line.size() && source_line[i] == '\t') ? '\t' : ' ';
  out += '^';
  return out;
}

Result<std::vector<ast::Statement>> Parse(std::string_view text) {
  if (text.size() > std::numeric_limits<uint32_t>::max())
    return Status::InvalidArgument("TreeQL text longer than 4 GiB");
  It const begin = text.data();
  It const last = begin + text.size();
  auto fail = [&](It where, std::string_view message) -> Status {
    size_t offset = static_cast<size_t>(where - begin);
    if (offset == text.size()) {
      // At the end of the text: point at the end of the last line that has something on it,
      // not at an empty line after the last line break.
      size_t last_char = text.find_last_not_of(" \t\r\n\f\v");
      size_t line_end =
          text.find_first_of("\r\n", last_char == std::string_view::npos ? 0 : last_char + 1);
      if (line_end != std::string_view::npos)
        offset = line_end;
    }
    return Status::InvalidArgument(FormatError(text, static_cast<uint32_t>(offset), message));
  };

  std::vector<ast::Statement> statements;
  State state;
  state.begin = begin;
  It p = begin;
  try {
    for (;;) {
      p = SkipTrivia(p, last);
      if (p == last)
        break;
      if (*p == ';') {
        ++p;
        continue;
      }
      if (MatchKeyword(p, last, "TABLE") != nullptr) {
        TableSpan span = ScanTable(p, last);
        switch (span.kind) {
          case TableSpan::kOk:
            break;
          case TableSpan::kNoBrace:
            return fail(span.at, "expected '{' in TABLE statement");
          case TableSpan::kUnclosed:
            return fail(span.at, "this '{' of the TABLE statement is never closed");
          case TableSpan::kUnterminatedComment:
            return fail(span.at, "unterminated block comment");
        }
        ast::Statement st;
        st.kind = SKind::kSchema;
        st.pos = static_cast<uint32_t>(p - begin);
        st.end = static_cast<uint32_t>(span.at - begin);
        st.schema_text = std::string(p, span.at);
        statements.push_back(std::move(st));
        p = span.at;  // a ';' after it is skipped as an empty statement
        continue;
      }
      if (MatchKeyword(p, last, "VIEW") != nullptr) {
        // A schema VIEW statement: up to its ';' outside strings and
        // comments; the schema parser reads it (and its query).
        It q = p;
        while (q != last && *q != ';') {
          It unterminated;
          q = SkipTriviaRaw(q, last, &unterminated);
          if (unterminated != nullptr)
            return fail(unterminated, "unterminated block comment");
          if (q == last || *q == ';')
            break;
          q = (*q == '\'' || *q == '"') ? SkipQuoted(q, last) : q + 1;
        }
        ast::Statement st;
        st.kind = SKind::kSchema;
        st.pos = static_cast<uint32_t>(p - begin);
        st.end = static_cast<uint32_t>(q - begin);
        st.schema_text = std::string(p, q) + ";";
        statements.push_back(std::move(st));
        p = q;
        continue;
      }
      ast::Statement st;
      It stop = p;
      if (!x3::phrase_parse(stop, last, x3::with<state_tag>(state)[statement], Trivia{}, st)) {
        return fail(p,
                    "expected a statement (SELECT, INSERT, UPDATE, DELETE, SET, RETRACT, "
                    "BEGIN, COMMIT, ROLLBACK, EXPLAIN, LIVE, TABLE, VIEW or REFRESH VIEW)");
      }
      It next = SkipTrivia(stop, last);
      if (next != last && *next != ';') {
        if (*next == ')' || *next == ']' || *next == '}')
          return fail(next, std::string("unexpected '") + *next + "'");
        return fail(next, ExpectedAfter(st));
      }
      st.end = static_cast<uint32_t>(LastTokenEnd(p, next) - begin);
      NumberParams(&st);
      statements.push_back(std::move(st));
      p = next;
    }
  } catch (const x3::expectation_failure<It>& e) {
    // X3 reports the position before the whitespace and comments preceding the token.
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
  return statements;
}

bool IsComplete(std::string_view text) {
  It p = text.data();
  It const last = p + text.size();
  bool complete = false;
  for (;;) {
    It unterminated;
    p = SkipTriviaRaw(p, last, &unterminated);
    if (unterminated != nullptr)
      return false;
    if (p == last)
      return complete;
    if (*p == ';') {
      complete = true;
      ++p;
      continue;
    }
    complete = false;
    if (MatchKeyword(p, last, "TABLE") != nullptr) {
      TableSpan span = ScanTable(p, last);
      if (span.kind == TableSpan::kOk) {
        complete = true;
      } else if (span.kind != TableSpan::kNoBrace || span.at == last) {
        return false;  // waits for the "{", the "}" or the end of a comment
      }
      p = span.at;  // after the "}", or at a ";" that ends a TABLE without "{"
      continue;
    }
    // Any other statement runs to a ";" outside strings, comments and brackets. Closing
    // brackets without an opening one do not count, so that such a statement still ends and
    // its error is shown.
    int depth = 0;
    while (p != last) {
      p = SkipTriviaRaw(p, last, &unterminated);
      if (unterminated != nullptr)
        return false;
      if (p == last)
        break;
      const char c = *p;
      if (c == '\'') {
        p = SkipQuoted(p, last);
        continue;
      }
      if (c == ';' && depth == 0)
        break;
      if (c == '(' || c == '[' || c == '{')
        ++depth;
      else if ((c == ')' || c == ']' || c == '}') && depth > 0)
        --depth;
      ++p;
    }
    if (p == last)
      return false;
  }
}

}  // namespace trine::treeql
