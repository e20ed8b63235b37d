// The TreeQL shell behind the `trine` command line: runs statements through a
// trine::Session, prints their results, and handles dot-commands.
//
// Text comes in two ways, with the same rules for dot-commands:
//   - Interactive (RunInteractive): lines are read with libedit until the
//     buffer holds whole statements (treeql::IsComplete), then run. Errors
//     are printed and the prompt continues; Ctrl-C drops the statement being
//     typed, Ctrl-D or .quit leaves.
//   - Scripts (RunScript: `-c TEXT`, a script file, stdin, `.load FILE`):
//     run in order, stopping at the first error. Statements between two
//     dot-commands are run as one text, so a syntax error stops them all
//     before any runs; error positions count lines from the script's start.
// In both, a line whose first character is '.' is a dot-command when no
// statement is pending (nothing but whitespace and comments since the last
// complete statement); otherwise it is part of the statement. A dot-command
// takes the whole line and cannot share it with a statement.
//
// Dot-commands: .help, .schema [TYPE], .load FILE, .mode table|json,
// .timing on|off, .quit / .exit (see kHelp in shell.cpp). `.load FILE` reads
// FILE (relative to the working directory) and runs it in a session of its
// own whose errors start with "FILE:"; it is refused inside BEGIN ... COMMIT,
// which that session could not see. Errors of a dot-command in a script start
// with "[FILE:]LINE:1: ".
//
// Results go to `out`, one per statement: StatementResult::ToTable() (the
// default) or ToJson() (`--json`, `.mode json`), each followed by a newline.
// Errors are returned; the caller prints them as "error: MESSAGE".
//
// Not thread-safe: one shell per thread, like the Session inside it.
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "trine/database.h"
#include "trine/live.h"
#include "trine/options.h"
#include "trine/status.h"
#include "trine/treeql.h"

namespace trine::repl {

enum class OutputMode : unsigned char { kTable, kJson };

struct ShellOptions {
  OutputMode mode = OutputMode::kTable;
  bool timing = false;  // print "time: X ms" after each statement
  // Of statements outside BEGIN ... COMMIT (SessionOptions::durability).
  Durability durability = Durability::kRelaxed;
  // The name of the text the shell runs (a script file's path), shown in
  // error messages from schema statements (SessionOptions::source_name).
  std::string source_name = "<input>";
};

class Shell {
 public:
  // `db`, `out` and `err` must outlive the shell. `err` receives only
  // interactive-mode errors; everything else is returned.
  Shell(Database& db, std::ostream& out, std::ostream& err, ShellOptions options = {});
  ~Shell();
  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;

  // Runs the statements and dot-commands of `text`, stopping at the first
  // error. If `file` is not empty, `text` is that file's content: error
  // messages start with "FILE:" ("schema.tql:3:7: message ...").
  Status RunScript(std::string_view text, const std::string& file = "");

  // Reads lines from the terminal until end of input or `.quit`, with line
  // editing and history (~/.trine_history). `banner` is printed first.
  void RunInteractive(std::string_view banner);

  // True once `.quit` or `.exit` has run.
  bool quit() const { return quit_; }

 private:
  Status RunScriptIn(Session& session, std::string_view text, const std::string& file, int depth);
  // Runs the statements of `text`, which starts on line `first_line` of its
  // source, so that error positions count from the start of the source.
  Status RunStatements(Session& session, std::string_view text, int first_line,
                       const std::string& file);
  // `where` ("FILE:LINE:1: " in scripts) goes before the command's own
  // errors; errors of the statements of a `.load`ed file name that file.
  Status RunDotCommand(std::string_view line, int depth, std::string_view where);
  Status Load(const std::string& file, int depth, std::string_view where);
  void PrintResult(const StatementResult& result);

  Database& db_;
  std::ostream& out_;
  std::ostream& err_;
  ShellOptions options_;
  Session session_;
  // .watch: live queries printing their diffs, by number.
  std::map<uint64_t, std::unique_ptr<LiveQuery>> watches_;
  uint64_t next_watch_ = 1;
  bool quit_ = false;
};

// "error: MESSAGE\n" for `status`, the message without trailing newlines.
std::string ErrorLine(const Status& status);

}  // namespace trine::repl
