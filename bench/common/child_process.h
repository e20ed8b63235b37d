// Runs one engine's benchmark in a forked child process, as both trine_bench
// and trine_entity_bench do: peak RSS is then per engine, and one engine's
// heap, threads or crash cannot touch the next. The child streams what it
// reports to the parent through a pipe, one line per event, flushed at once
// so the parent knows the running phase even if the child crashes:
//   D <describe> | P <phase> | M <phase> <metric> <value> | E <message>   (tab-separated)
#pragma once

#include <functional>
#include <string>

#include "result_sink.h"

namespace trine_bench {

// How the child ended. Each program words its own error message from this.
struct ChildEnd {
  bool timed_out = false;  // silent for longer than the timeout: killed with SIGKILL
  int signal = 0;          // the signal that ended it, 0 if none
  int exit_status = 0;     // its exit code when it exited (1: `work` threw)
};

// Forks; the child runs work(sink) with a sink that writes to the pipe, and
// exits with 0, or with 1 after reporting the what() of an exception `work`
// threw. The parent replays every line into `parent` (an E line goes to
// `on_error` instead) until the pipe closes, or kills the child once it has
// been silent for `timeout_s` seconds (an engine hang must not hang the whole
// run), then reaps it. Throws BenchError if the pipe or the fork fails.
ChildEnd RunInChild(const std::function<void(ResultSink& sink)>& work, ResultSink& parent,
                    const std::function<void(const std::string& message)>& on_error, int timeout_s);

}  // namespace trine_bench
