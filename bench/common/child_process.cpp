#include "child_process.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>
#include <vector>

#include <sys/wait.h>

#include "bench_error.h"

namespace trine_bench {
namespace {

// The child's end of the pipe.
class PipeSink final : public ResultSink {
 public:
  explicit PipeSink(std::FILE* f) : f_(f) {}
  void Describe(std::string_view text) override { Line("D\t" + Clean(text)); }
  void PhaseStarted(std::string_view phase) override { Line("P\t" + Clean(phase)); }
  void Metric(std::string_view phase, std::string_view metric, double value) override {
    char num[40];
    std::snprintf(num, sizeof(num), "%.17g", value);
    Line("M\t" + Clean(phase) + "\t" + Clean(metric) + "\t" + num);
  }
  void Error(std::string_view message) { Line("E\t" + Clean(message)); }

 private:
  static std::string Clean(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
      if (c == '\t' || c == '\n' || c == '\r')
        c = ' ';
    }
    return out;
  }
  void Line(const std::string& line) {
    std::fputs(line.c_str(), f_);
    std::fputc('\n', f_);
    std::fflush(f_);
  }
  std::FILE* f_;
};

// The parent's end: one line of the child's into `sink` (or `on_error`).
void ApplyLine(const std::string& line, ResultSink& sink,
               const std::function<void(const std::string&)>& on_error) {
  std::vector<std::string> f;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    f.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos)
      break;
    start = tab + 1;
  }
  if (f[0] == "D" && f.size() == 2) {
    sink.Describe(f[1]);
  } else if (f[0] == "P" && f.size() == 2) {
    sink.PhaseStarted(f[1]);
  } else if (f[0] == "M" && f.size() == 4) {
    sink.Metric(f[1], f[2], std::strtod(f[3].c_str(), nullptr));
  } else if (f[0] == "E" && f.size() == 2) {
    on_error(f[1]);
  }
}

}  // namespace

ChildEnd RunInChild(const std::function<void(ResultSink& sink)>& work, ResultSink& parent,
                    const std::function<void(const std::string& message)>& on_error,
                    int timeout_s) {
  int fds[2];
  if (pipe(fds) != 0)
    throw BenchError(std::string("pipe: ") + std::strerror(errno));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0)
    throw BenchError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    std::FILE* f = fdopen(fds[1], "w");
    int code = 0;
    {
      PipeSink pipe_sink(f);
      try {
        work(pipe_sink);
      } catch (const std::exception& e) {
        pipe_sink.Error(e.what());
        code = 1;
      }
    }
    std::fclose(f);
    std::fflush(stderr);
    _exit(code);  // no static destructors: they belong to the parent
  }
  close(fds[1]);
  ChildEnd end;
  std::string pending;
  char buf[4096];
  while (true) {
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, timeout_s * 1000);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready == 0) {
      end.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    const ssize_t got = read(fds[0], buf, sizeof(buf));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    pending.append(buf, static_cast<size_t>(got));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      ApplyLine(pending.substr(0, nl), parent, on_error);
      pending.erase(0, nl + 1);
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    end.signal = WTERMSIG(status);
  if (WIFEXITED(status))
    end.exit_status = WEXITSTATUS(status);
  return end;
}

}  // namespace trine_bench
