// A Boost.Spirit X3 parser for a case-insensitive keyword, shared by the
// schema and TreeQL grammars. Hand-written because x3::no_case goes through
// the locale's tolower and cannot check the word boundary.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include "common/ascii.h"

namespace trine {

struct X3Keyword : boost::spirit::x3::parser<X3Keyword> {
  using attribute_type = boost::spirit::x3::unused_type;
  static bool const has_attribute = false;

  constexpr explicit X3Keyword(const char* upper_word) : word(upper_word) {}

  template <typename Context, typename RContext, typename Attribute>
  bool parse(const char*& first, const char* const& last, Context const& ctx, RContext&,
             Attribute&) const {
    boost::spirit::x3::skip_over(first, last, ctx);
    const char* end = MatchKeyword(first, last, word);
    if (end == nullptr)
      return false;
    first = end;
    return true;
  }

  const char* word;  // upper case
};

}  // namespace trine
