// Directories of a benchmark run, handled the same way by trine_bench and
// trine_entity_bench: the working directory (--dir) and each engine's fresh
// store inside it.
#pragma once

#include <string>

namespace trine_bench {

class Flags;

// The working directory: --dir if given, else /tmp/<default_name>-<pid>.
class WorkDir {
 public:
  // Creates the directory if it is missing; throws BenchError if it cannot.
  WorkDir(const Flags& flags, const std::string& default_name);

  const std::string& path() const { return path_; }
  // At the end of a run, once the engines removed their stores: removes the
  // directory whole if it is ours (no --dir), else only if it is empty, never
  // a user's directory with other things in it.
  void Remove() const;

 private:
  std::string path_;
  bool ours_;
};

// Removes whatever is at `dir` and creates it empty, for a fresh store;
// throws BenchError("cannot create <dir>: ...") if it cannot.
void MakeEmptyDir(const std::string& dir);

}  // namespace trine_bench
