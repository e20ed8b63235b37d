#include "repl/shell.h"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <editline/readline.h>

#include "treeql/parser.h"
#include "trine/schema.h"

namespace trine::repl {
namespace {

constexpr char kPrompt[] = "trine> ";
constexpr char kContinuationPrompt[] = "   ...> ";
constexpr int kMaxLoadDepth = 16;  // `.load` of a file that loads itself stops here
constexpr int kHistoryLines = 1000;

constexpr char kHelp[] =
    "Statements end with ';' (a TABLE statement may end at its '}') and may span lines.\n"
    "Dot-commands take a line of their own, between statements:\n"
    "  .help             this text\n"
    "  .schema [TYPE]    the schema of every type, or of TYPE, as TABLE statements\n"
    "  .load FILE        run the statements and dot-commands of FILE\n"
    "  .mode table|json  print results as aligned tables or as one line of JSON each\n"
    "  .timing on|off    print the wall-clock time of each statement\n"
    "  .watch QUERY      make QUERY live: print its result, then each diff as commits happen\n"
    "  .unwatch [N]      stop watch N (all watches without N)\n"
    "  .views            every view: refresh mode, state, rows, last build\n"
    "  .refresh VIEW     rebuild VIEW from its query now (REFRESH VIEW)\n"
    "  .quit, .exit      leave\n"
    "Examples:\n"
    "  TABLE Person { name string = 1 INDEX; age int = 2 INDEX; boss REF Person = 3; }\n"
    "  INSERT Person { name: 'ann', age: 41 };\n"
    "  SELECT { name, age } FROM Person WHERE age > 30 ORDER BY age DESC LIMIT 10;\n"
    "  SELECT { name, staff: [SELECT s.name FROM Person AS s WHERE s.boss = p] } FROM Person AS "
    "p;\n"
    "  SELECT count(SELECT p FROM Person AS p WHERE p.age < 30);\n"
    "  EXPLAIN SELECT { name } FROM Person WHERE age = 41;\n";

// Set by SIGINT while the prompt waits for a line: Ctrl-C drops the line
// (and any statement being typed) instead of ending the shell.
volatile std::sig_atomic_t g_interrupted = 0;
void OnInterrupt(int) {
  g_interrupted = 1;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

// True if `s` holds nothing but whitespace and comments (`-- ...` to the end
// of the line, `/* ... */`): no statement is pending. An unterminated block
// comment is pending text, so the prompt asks for more.
bool IsBlank(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (IsSpace(s[i])) {
      ++i;
    } else if (s.substr(i, 2) == "--") {
      i = s.find('\n', i);
      if (i == std::string_view::npos)
        return true;
    } else if (s.substr(i, 2) == "/*") {
      i = s.find("*/", i + 2);
      if (i == std::string_view::npos)
        return false;
      i += 2;
    } else {
      return false;
    }
  }
  return true;
}

// Puts "FILE:" before a message from running FILE, unless it names the file
// already (schema errors do, via SessionOptions::source_name). A message with
// a position reads "FILE:3:7: ...", one without "FILE: ...".
Status InFile(const Status& status, const std::string& file) {
  if (status.ok() || file.empty())
    return status;
  const std::string& msg = status.message();
  if (msg.compare(0, file.size() + 1, file + ":") == 0)
    return status;
  bool positioned = !msg.empty() && msg[0] >= '0' && msg[0] <= '9';
  return Status::Make(status.code(), file + (positioned ? ":" : ": ") + msg);
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  return text.str();
}

// ~/.trine_history, or empty (no history file) without $HOME.
std::string HistoryPath() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0')
    return "";
  return std::string(home) + "/.trine_history";
}

// A dot-command line split at whitespace: the command, then the arguments.
std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  line = Trim(line);
  while (!line.empty()) {
    size_t end = 0;
    while (end < line.size() && !IsSpace(line[end]))
      ++end;
    words.push_back(line.substr(0, end));
    line = Trim(line.substr(end));
  }
  return words;
}

}  // namespace

std::string ErrorLine(const Status& status) {
  std::string msg = status.message().empty() ? status.ToString() : status.message();
  while (!msg.empty() && msg.back() == '\n')
    msg.pop_back();
  return "error: " + msg + "\n";
}

Shell::Shell(Database& db, std::ostream& out, std::ostream& err, ShellOptions options)
    : db_(db),
      out_(out),
      err_(err),
      options_(std::move(options)),
      session_(db, SessionOptions{.durability = options_.durability,
                                  .source_name = options_.source_name,
                                  .on_live = {}}) {}

Shell::~Shell() = default;

Status Shell::RunScript(std::string_view text, const std::string& file) {
  return RunScriptIn(session_, text, file, 0);
}

Status Shell::RunScriptIn(Session& session, std::string_view text, const std::string& file,
                          int depth) {
  // Statements are collected up to the next dot-command (or the end) and run
  // together, so a syntax error stops the run before any of them is applied.
  std::string pending;
  int pending_line = 1;
  int line_number = 0;
  auto flush = [&]() -> Status {
    Status s;
    if (!IsBlank(pending))
      s = RunStatements(session, pending, pending_line, file);
    pending.clear();
    return s;
  };
  while (!text.empty() && !quit_) {
    ++line_number;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl == std::string_view::npos ? text.size() : nl + 1);
    text.remove_prefix(line.size());
    if (line.front() == '.' && (IsBlank(pending) || treeql::IsComplete(pending))) {
      TRINE_RETURN_IF_ERROR(flush());
      std::string where = (file.empty() ? "" : file + ":") + std::to_string(line_number) + ":1: ";
      TRINE_RETURN_IF_ERROR(RunDotCommand(line, depth, where));
      continue;
    }
    if (IsBlank(pending)) {
      pending.clear();
      pending_line = line_number;
    }
    pending.append(line);
  }
  if (quit_)
    return Status::OK();
  return flush();
}

Status Shell::RunStatements(Session& session, std::string_view text, int first_line,
                            const std::string& file) {
  // Empty lines in front make the session's "LINE:COL" count from the start
  // of the source, not of this piece of it.
  std::string source(static_cast<size_t>(first_line - 1), '\n');
  source.append(text);
  using Clock = std::chrono::steady_clock;
  Clock::time_point start = Clock::now();
  Status s = session.Execute(source, {}, [&](StatementResult&& result) {
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    PrintResult(result);
    if (options_.timing) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "time: %.3f ms\n", ms);
      out_ << buf;
    }
    out_.flush();
    start = Clock::now();  // the next statement's time leaves out printing this one
  });
  return InFile(s, file);
}

void Shell::PrintResult(const StatementResult& result) {
  out_ << (options_.mode == OutputMode::kJson ? result.ToJson() : result.ToTable()) << '\n';
}

Status Shell::RunDotCommand(std::string_view line, int depth, std::string_view where) {
  std::vector<std::string_view> words = Words(line);
  std::string_view cmd = words.empty() ? "." : words[0];
  auto fail = [&](std::string_view message) {
    return Status::InvalidArgument(std::string(where) + std::string(message));
  };
  auto usage = [&](std::string_view text) { return fail("usage: " + std::string(text)); };
  if (cmd == ".help") {
    out_ << kHelp;
    return Status::OK();
  }
  if (cmd == ".quit" || cmd == ".exit") {
    quit_ = true;
    return Status::OK();
  }
  if (cmd == ".schema") {
    if (words.size() > 2)
      return usage(".schema [TYPE]");
    std::vector<TypeInfo> types;
    if (words.size() == 2) {
      std::optional<TypeInfo> type = db_.FindType(words[1]);
      if (!type)
        return fail("unknown type: " + std::string(words[1]));
      types.push_back(std::move(*type));
    } else {
      types = db_.Schema();
    }
    std::string text = types.empty() ? "-- no types\n" : FormatSchema(types);
    if (!text.empty() && text.back() != '\n')
      text.push_back('\n');
    out_ << text;
    return Status::OK();
  }
  if (cmd == ".mode") {
    if (words.size() == 1) {
      out_ << (options_.mode == OutputMode::kJson ? "json" : "table") << '\n';
    } else if (words.size() == 2 && words[1] == "table") {
      options_.mode = OutputMode::kTable;
    } else if (words.size() == 2 && words[1] == "json") {
      options_.mode = OutputMode::kJson;
    } else {
      return usage(".mode table|json");
    }
    return Status::OK();
  }
  if (cmd == ".timing") {
    if (words.size() == 1) {
      out_ << (options_.timing ? "on" : "off") << '\n';
    } else if (words.size() == 2 && (words[1] == "on" || words[1] == "off")) {
      options_.timing = words[1] == "on";
    } else {
      return usage(".timing on|off");
    }
    return Status::OK();
  }
  if (cmd == ".views") {
    if (words.size() != 1)
      return usage(".views");
    if (!db_.FindType("_views")) {
      out_ << "-- no views\n";
      return Status::OK();
    }
    return RunStatements(session_,
                         "SELECT { name, refresh, state, stale_since, rows, refreshed, builds } "
                         "FROM _views ORDER BY name;",
                         1, "");
  }
  if (cmd == ".refresh") {
    if (words.size() != 2)
      return usage(".refresh VIEW");
    Status s = RefreshView(db_, words[1]);
    if (!s.ok())
      return fail(s.message());
    out_ << "refreshed " << words[1] << '\n';
    return Status::OK();
  }
  if (cmd == ".watch") {
    // The query is the rest of the line; its diffs print as commits happen.
    std::string_view query = Trim(Trim(line).substr(cmd.size()));
    while (!query.empty() && query.back() == ';')
      query.remove_suffix(1);
    if (query.empty())
      return usage(".watch QUERY");
    uint64_t id = next_watch_;
    Result<std::unique_ptr<LiveQuery>> q =
        Subscribe(db_, query, {}, [this, id](const LiveDiff& d, const LiveQuery&) {
          out_ << "watch " << id << ": " << d.ToJson() << '\n';
          out_.flush();
        });
    if (!q.ok())
      return fail(q.status().message());
    ++next_watch_;
    out_ << "watch " << id << ": " << ToJson((*q)->Result()) << '\n';
    watches_.emplace(id, std::move(*q));
    return Status::OK();
  }
  if (cmd == ".unwatch") {
    if (words.size() == 1) {
      watches_.clear();
      return Status::OK();
    }
    if (words.size() != 2)
      return usage(".unwatch [N]");
    uint64_t id = 0;
    for (char c : words[1])
      id = c >= '0' && c <= '9' ? id * 10 + static_cast<uint64_t>(c - '0') : UINT64_MAX / 20;
    if (watches_.erase(id) == 0)
      return fail("no watch " + std::string(words[1]));
    return Status::OK();
  }
  if (cmd == ".load") {
    // The file name is the rest of the line, so it may contain spaces.
    std::string_view file = Trim(Trim(line).substr(cmd.size()));
    if (file.size() >= 2 && (file.front() == '\'' || file.front() == '"') &&
        file.back() == file.front()) {
      file = file.substr(1, file.size() - 2);
    }
    if (file.empty())
      return usage(".load FILE");
    return Load(std::string(file), depth, where);
  }
  return fail("unknown command: " + std::string(cmd) + " (see .help)");
}

Status Shell::Load(const std::string& file, int depth, std::string_view where) {
  // The file runs in a session of its own, named after the file so that its
  // errors point into it; that session cannot see an open transaction.
  if (session_.in_transaction()) {
    return Status::InvalidArgument(std::string(where) +
                                   ".load: not inside a transaction (COMMIT or ROLLBACK first)");
  }
  if (depth >= kMaxLoadDepth)
    return Status::InvalidArgument(std::string(where) + ".load: files nested too deeply: " + file);
  Result<std::string> text = ReadFile(file);
  if (!text.ok())
    return Status::Make(text.status().code(),
                        std::string(where) + ".load: " + text.status().message());
  Session session(
      db_, SessionOptions{.durability = options_.durability, .source_name = file, .on_live = {}});
  return RunScriptIn(session, *text, file, depth + 1);
}

void Shell::RunInteractive(std::string_view banner) {
  out_ << banner;
  out_.flush();
  const std::string history = HistoryPath();
  using_history();
  stifle_history(kHistoryLines);
  if (!history.empty())
    read_history(history.c_str());  // a missing file is the normal first run
  rl_catch_signals = 0;  // our handler below, not libedit's (which re-raises and so exits)
  std::string buffer;
  while (!quit_) {
    // Without SA_RESTART the terminal read fails with EINTR and readline
    // returns null. Only around readline: Ctrl-C during a statement still
    // ends the process, the one way to stop a runaway query.
    struct sigaction on_interrupt = {};
    struct sigaction saved = {};
    on_interrupt.sa_handler = OnInterrupt;
    sigemptyset(&on_interrupt.sa_mask);
    sigaction(SIGINT, &on_interrupt, &saved);
    g_interrupted = 0;
    std::unique_ptr<char, decltype(&std::free)> raw(
        readline(buffer.empty() ? kPrompt : kContinuationPrompt), &std::free);
    sigaction(SIGINT, &saved, nullptr);
    if (raw == nullptr && g_interrupted) {
      out_ << '\n';
      buffer.clear();
      continue;
    }
    if (raw == nullptr) {  // end of input (Ctrl-D)
      out_ << '\n';
      break;
    }
    std::string line(raw.get());
    if (!IsBlank(line))
      add_history(line.c_str());
    Status s;
    if (buffer.empty() && line.starts_with('.')) {
      s = RunDotCommand(line, 0, "");
    } else {
      buffer.append(line);
      buffer.push_back('\n');
      if (IsBlank(buffer)) {
        buffer.clear();
      } else if (treeql::IsComplete(buffer)) {
        s = RunStatements(session_, buffer, 1, "");
        buffer.clear();
      }
    }
    out_.flush();
    if (!s.ok()) {
      err_ << ErrorLine(s);
      err_.flush();
    }
  }
  if (!history.empty())
    write_history(history.c_str());  // history is a convenience: failures are ignored
}

}  // namespace trine::repl
