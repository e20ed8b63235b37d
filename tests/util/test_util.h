// Helpers shared by the tests: scratch directories and seeded randomness.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace trine::test {

// A fresh empty directory under $TMPDIR (or /tmp), removed by the destructor
// unless the environment sets TRINE_KEEP_TEST_DIRS=1.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The seed for a randomized test: $TRINE_SEED if set, else a fresh one.
// Always printed (to stderr and as a gtest property) so a failure reproduces:
//   TRINE_SEED=1234 ./build/debug/tests/lsm_test --gtest_filter=...
uint64_t TestSeed();

// One to four random edits of `text` for parser fuzzing: a byte flipped, a
// run deleted, one of `tokens` inserted (twice as likely; "" inserts a NUL
// byte), or the text truncated.
void MutateText(std::string* text, std::mt19937_64& rng, const char* const* tokens,
                size_t token_count);

// An integer from the environment, or `dflt`.
int64_t EnvInt(const char* name, int64_t dflt);

}  // namespace trine::test
