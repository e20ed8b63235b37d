// Mutated schema files: the parser must never crash, and every rejection
// must be a positioned error with the source line and a caret.
#include <algorithm>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "schema/parser.h"
#include "tests/util/test_util.h"

namespace trine::schema {
namespace {

const char* const kExample = R"(-- a comment
TABLE User {
  name    string     = 1 INDEX;
  email   string     = 2 UNIQUE DEFAULT 'a''b';
  age     int        = 3 INDEX DEFAULT -1;
  manager REF User   = 4;
  price   decimal(18,2) = 6 NOT NULL DEFAULT 1.50;
  RESERVED 5, 7 TO 9, 20 TO MAX; RESERVED "old\u00e9";
}
/* block */ TABLE Order = 12 STRICT { buyer REF User = 1 REQUIRED; placed time = 3; }
)";

const char* const kTokens[] = {"TABLE",
                               "{",
                               "}",
                               ";",
                               "=",
                               "(",
                               ")",
                               ",",
                               "'",
                               "\"",
                               "--",
                               "/*",
                               "*/",
                               "REF",
                               "RESERVED",
                               "TO",
                               "MAX",
                               "DEFAULT",
                               "\n",
                               "\t",
                               "\r\n",
                               "99999999999999999999",
                               "-",
                               ".",
                               "e",
                               "\\u12",
                               "\xff",
                               "\xc3",
                               "NOT",
                               "NULL",
                               "decimal(19,2)",
                               "0"};

TEST(SchemaParserFuzzTest, MutationsNeverCrashAndErrorsArePositioned) {
  std::mt19937_64 rng(test::TestSeed());
  int iterations = static_cast<int>(test::EnvInt("TRINE_PARSER_FUZZ_ITERATIONS", 20000));
  int accepted = 0, rejected = 0;
  for (int i = 0; i < iterations; ++i) {
    std::string text = kExample;
    test::MutateText(&text, rng, kTokens, std::size(kTokens));
    auto r = ParseSchema(text, "f.trine");
    if (r.ok()) {
      ++accepted;
      continue;
    }
    ++rejected;
    ASSERT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    std::string msg(r.status().message());
    ASSERT_EQ(msg.rfind("f.trine:", 0), 0u) << msg;
    ASSERT_NE(msg.find(": error: "), std::string::npos) << msg;
    // Three lines: the message, the source line, the caret line.
    ASSERT_EQ(std::count(msg.begin(), msg.end(), '\n'), 3) << msg;
    ASSERT_EQ(msg[msg.size() - 2], '^') << msg;
  }
  std::printf("%d mutated files: %d accepted, %d rejected with positioned errors\n", iterations,
              accepted, rejected);
  EXPECT_GT(rejected, iterations / 2);
}

}  // namespace
}  // namespace trine::schema
