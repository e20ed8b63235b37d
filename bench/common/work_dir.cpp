#include "work_dir.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "bench_error.h"
#include "flags.h"

namespace trine_bench {

namespace fs = std::filesystem;

WorkDir::WorkDir(const Flags& flags, const std::string& default_name)
    : path_(flags.Get("dir", "/tmp/" + default_name + "-" + std::to_string(getpid()))),
      ours_(!flags.Has("dir")) {
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec)
    throw BenchError("cannot create --dir " + path_ + ": " + ec.message());
}

void WorkDir::Remove() const {
  std::error_code ec;
  if (ours_) {
    fs::remove_all(path_, ec);
  } else {
    fs::remove(path_, ec);
  }
}

void MakeEmptyDir(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec)
    throw BenchError("cannot create " + dir + ": " + ec.message());
}

}  // namespace trine_bench
