#include "tests/util/test_util.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace trine::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/trine-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (EnvInt("TRINE_KEEP_TEST_DIRS", 0) != 0) {
    std::fprintf(stderr, "keeping %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int64_t EnvInt(const char* name, int64_t dflt) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0')
    return dflt;
  return std::strtoll(v, nullptr, 10);
}

uint64_t TestSeed() {
  uint64_t seed;
  if (const char* v = std::getenv("TRINE_SEED"); v != nullptr && *v != '\0') {
    seed = std::strtoull(v, nullptr, 10);
  } else {
    seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
           (static_cast<uint64_t>(getpid()) << 32);
    seed %= 1000000000000ull;
  }
  std::fprintf(stderr, "[ seed ] TRINE_SEED=%llu\n", static_cast<unsigned long long>(seed));
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

void MutateText(std::string* text, std::mt19937_64& rng, const char* const* tokens,
                size_t token_count) {
  for (int m = 1 + static_cast<int>(rng() % 4); m > 0; --m) {
    size_t pos = rng() % (text->size() + 1);
    switch (rng() % 5) {
      case 0:  // flip a byte
        if (!text->empty())
          (*text)[pos % text->size()] = static_cast<char>(rng());
        break;
      case 1:  // delete a run
        text->erase(pos, rng() % 8);
        break;
      case 2:  // insert a token
      case 3: {
        const char* tok = tokens[rng() % token_count];
        text->insert(pos, tok, *tok == '\0' ? 1 : std::strlen(tok));
        break;
      }
      default:  // truncate
        text->resize(pos);
        break;
    }
  }
}

}  // namespace trine::test
