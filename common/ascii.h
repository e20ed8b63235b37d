// ASCII character classes and keyword matching for the hand-written parts of
// the two parsers (schema/parser.cpp, treeql/parser.cpp). Locale-free on
// purpose: identifiers and keywords are ASCII, and <cctype> follows the
// locale.
#pragma once

namespace trine {

inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
inline bool IsAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}
inline bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool IsNameChar(char c) {
  return IsNameStart(c) || IsAsciiDigit(c);
}
inline char AsciiUpper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
inline char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// The end of keyword `upper_word` (matched case-insensitively) at p, or
// nullptr if it is not there or runs into a following name character.
inline const char* MatchKeyword(const char* p, const char* last, const char* upper_word) {
  for (const char* w = upper_word; *w != '\0'; ++w, ++p) {
    if (p == last || AsciiUpper(*p) != *w)
      return nullptr;
  }
  if (p != last && IsNameChar(*p))
    return nullptr;
  return p;
}

}  // namespace trine
