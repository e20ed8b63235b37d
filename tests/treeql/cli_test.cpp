// Tests of the `trine` command line (repl/): the binary is run on scratch
// stores with its input in a file, and its stdout, stderr and exit status are
// compared with exact expected text.

#ifdef TRINE_CLI_PATH

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "tests/util/test_util.h"
#include "trine/database.h"
#include "trine/schema.h"

namespace trine {
namespace {

struct Output {
  int status = -1;  // the exit status, or -1 if the process did not exit normally
  std::string out;
  std::string err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// `text` with each line "time: 12.345 ms" (digits, a point, three digits) as "time: X ms".
std::string MaskTimes(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    std::string_view line(text.data() + start, end - start);
    start = end;
    if (line.starts_with("time: ") && line.ends_with(" ms\n")) {
      std::string_view num = line.substr(6, line.size() - 6 - 4);
      size_t dot = num.find('.');
      bool ok = dot != std::string_view::npos && dot > 0 && num.size() - dot == 4 &&
                num.find_first_not_of("0123456789.") == std::string_view::npos &&
                num.find('.', dot + 1) == std::string_view::npos;
      if (ok) {
        out += "time: X ms\n";
        continue;
      }
    }
    out += line;
  }
  return out;
}

// A null-terminated array of C strings over owned copies, for execve.
class CStrings {
 public:
  explicit CStrings(std::vector<std::string> strings) : strings_(std::move(strings)) {
    for (std::string& s : strings_)
      pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  CStrings(const CStrings&) = delete;  // the pointers point into this object
  CStrings& operator=(const CStrings&) = delete;
  char** get() { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

// This process's environment with HOME set to `home`, so that the shell's
// history file stays in the scratch directory.
CStrings EnvWithHome(const std::string& home) {
  std::vector<std::string> env = {"HOME=" + home};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).substr(0, 5) != "HOME=")
      env.emplace_back(*e);
  }
  return CStrings(std::move(env));
}

class CliTest : public ::testing::Test {
 protected:
  // Runs `trine ARGS...` in the scratch directory with `input` as stdin (a
  // file, so the shell is never interactive).
  Output Trine(const std::vector<std::string>& args, const std::string& input = "") {
    const std::string in = dir_.Sub("stdin"), out = dir_.Sub("stdout"), err = dir_.Sub("stderr");
    WriteFile(in, input);
    std::vector<std::string> argv_strings = {"trine"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    CStrings argv(std::move(argv_strings));
    CStrings envp = EnvWithHome(dir_.path());
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      // The child: only async-signal-safe calls until exec.
      int fd_in = open(in.c_str(), O_RDONLY);
      int fd_out = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int fd_err = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd_in < 0 || fd_out < 0 || fd_err < 0 || dup2(fd_in, 0) < 0 || dup2(fd_out, 1) < 0 ||
          dup2(fd_err, 2) < 0 || chdir(dir_.path().c_str()) != 0)
        _exit(127);
      execve(TRINE_CLI_PATH, argv.get(), envp.get());
      _exit(127);
    }
    Output run;
    int wstatus = 0;
    if (pid > 0 && waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus))
      run.status = WEXITSTATUS(wstatus);
    run.out = ReadAll(out);
    run.err = ReadAll(err);
    return run;
  }

  test::TempDir dir_;
  const std::string db_ = dir_.Sub("db");
};

// A schema statement, writes and a query, as the tests below use them.
constexpr char kUsers[] =
    "TABLE User { name string = 1 INDEX; age int = 2 INDEX; }\n"
    "INSERT User { name: 'ann', age: 41 };\n"
    "INSERT User { name: 'Zoë', age: 7 };\n";
constexpr char kUsersChanges[] =
    "add type User (id 1)\n"
    "User: add field name string = 1\n"
    "User: add field age int = 2\n";
constexpr char kSelect[] = "SELECT { name, age } FROM User ORDER BY age;\n";
constexpr char kSelectTable[] =
    "name | age\n"
    "-----+----\n"
    "Zoë  |   7\n"
    "ann  |  41\n"
    "(2 rows)\n";
constexpr char kSelectJson[] = R"([{"name":"Zoë","age":7},{"name":"ann","age":41}])"
                               "\n";

TEST_F(CliTest, CommandPrintsTables) {
  Output r = Trine({db_, "-c", std::string(kUsers) + kSelect});
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out,
            std::string(kUsersChanges) + "INSERT 1 (id 1)\nINSERT 1 (id 2)\n" + kSelectTable);

  // The store keeps what the first run wrote (relaxed commits reach the log at exit).
  r = Trine({db_, "-c", "SELECT { name, age } FROM User WHERE age > 10;"});
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out,
            "name | age\n"
            "-----+----\n"
            "ann  |  41\n"
            "(1 row)\n");
}

TEST_F(CliTest, JsonPrintsOneLinePerStatement) {
  Output r = Trine(
      {"--json", db_, "-c",
       std::string(kUsers) + kSelect + "BEGIN; UPDATE User SET age = 8 WHERE age = 7; COMMIT;"});
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, R"j({"ok":true,"changes":["add type User (id 1)",)j"
                   R"("User: add field name string = 1","User: add field age int = 2"]})"
                   "\n"
                   R"({"ok":true,"count":1,"id":1})"
                   "\n"
                   R"({"ok":true,"count":1,"id":2})"
                   "\n" +
                       std::string(kSelectJson) +
                       R"({"ok":true})"
                       "\n"
                       R"({"ok":true,"count":1})"
                       "\n"
                       R"({"ok":true})"
                       "\n");
}

TEST_F(CliTest, TablesForTransactionsAndValues) {
  Output r = Trine({db_, "--durable", "-c",
                    std::string(kUsers) + "BEGIN; DELETE FROM User WHERE age < 10; COMMIT;\n"
                                          "SELECT count(SELECT u FROM User AS u);\n"
                                          "SELECT name FROM User;\n"});
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string(kUsersChanges) +
                       "INSERT 1 (id 1)\nINSERT 1 (id 2)\n"
                       "BEGIN\nDELETE 1\nCOMMIT\n"
                       "1\n"
                       "value\n"
                       "-----\n"
                       "ann\n"
                       "(1 row)\n");
}

TEST_F(CliTest, ScriptFile) {
  WriteFile(dir_.Sub("script.tql"), std::string(kUsers) + kSelect);
  Output r = Trine({db_, "script.tql"});
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out,
            std::string(kUsersChanges) + "INSERT 1 (id 1)\nINSERT 1 (id 2)\n" + kSelectTable);

  r = Trine({db_, "missing.tql"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: cannot read missing.tql: No such file or directory\n");
}

TEST_F(CliTest, Stdin) {
  Output r = Trine({"--json", db_}, std::string(kUsers) + kSelect);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, R"j({"ok":true,"changes":["add type User (id 1)",)j"
                   R"("User: add field name string = 1","User: add field age int = 2"]})"
                   "\n"
                   R"({"ok":true,"count":1,"id":1})"
                   "\n"
                   R"({"ok":true,"count":1,"id":2})"
                   "\n" +
                       std::string(kSelectJson));
}

TEST_F(CliTest, ErrorStopsWithStatusOneAndCaret) {
  Output r = Trine({db_, "-c", "SELECT );"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("error: 1:8: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("\nSELECT );\n       ^\n"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.back(), '\n');

  // Statements before the failing one run; nothing after it does. A syntax
  // error is found before anything runs.
  r = Trine(
      {db_, "-c", std::string(kUsers) + "SELECT { name } FROM Nope;\nINSERT User { name: 'x' };"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, std::string(kUsersChanges) + "INSERT 1 (id 1)\nINSERT 1 (id 2)\n");
  EXPECT_EQ(r.err.rfind("error: 4:22: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("\nSELECT { name } FROM Nope;\n                     ^\n"), std::string::npos)
      << r.err;

  // Stdin stops at the first error too, with positions counted in all of stdin.
  r = Trine({db_}, "SELECT { name } FROM User;\n\n  SELECT nope FROM User;\nSELECT 1;\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "name\n----\nann\nZoë\n(2 rows)\n");
  EXPECT_EQ(r.err.rfind("error: 3:10: ", 0), 0u) << r.err;
}

TEST_F(CliTest, UsageErrors) {
  Output r = Trine({});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("error: missing PATH\nusage: trine [OPTIONS] PATH [SCRIPT]\n", 0), 0u)
      << r.err;

  r = Trine({db_, "--frobnicate"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("error: unknown option --frobnicate\nusage: ", 0), 0u) << r.err;

  r = Trine({db_, "-c"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("error: -c needs the statements to run\n", 0), 0u) << r.err;

  r = Trine({db_, "-c", "SELECT 1;", "script.tql"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("error: give either -c TEXT or SCRIPT, not both\n", 0), 0u) << r.err;

  r = Trine({db_, "a.tql", "b.tql"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("error: unexpected argument b.tql\n", 0), 0u) << r.err;

  r = Trine({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out.rfind("usage: trine [OPTIONS] PATH [SCRIPT]\n", 0), 0u) << r.out;
}

TEST_F(CliTest, OpenFailure) {
  WriteFile(dir_.Sub("file"), "not a store");
  Output r = Trine({dir_.Sub("file"), "-c", "SELECT 1;"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("error: cannot open " + dir_.Sub("file") + ": ", 0), 0u) << r.err;
}

TEST_F(CliTest, LoadSchemaFileThenQuery) {
  WriteFile(dir_.Sub("schema.tql"),
            "-- people\n"
            "TABLE User { name string = 1 INDEX; age int = 2 INDEX; }\n");
  WriteFile(dir_.Sub("bad.tql"),
            "INSERT User { name: 'bob', age: 50 };\n"
            "\n"
            "SELECT { name } FROM Nope;\n");
  Output r = Trine({db_},
                   ".load schema.tql\n"
                   "INSERT User { name: 'ann', age: 41 };\n"
                   "-- a comment between statements and dot-commands\n"
                   ".mode json\n" +
                       std::string(kSelect) + ".load bad.tql\nSELECT 1;\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, std::string(kUsersChanges) +
                       "INSERT 1 (id 1)\n"
                       R"([{"name":"ann","age":41}])"
                       "\n"
                       R"({"ok":true,"count":1,"id":2})"
                       "\n");
  // Positions in a loaded file count in that file.
  EXPECT_EQ(r.err.rfind("error: bad.tql:3:22: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("\nSELECT { name } FROM Nope;\n                     ^\n"), std::string::npos)
      << r.err;

  r = Trine({db_, "-c", ".load nothing.tql"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: 1:1: .load: cannot read nothing.tql: No such file or directory\n");
}

TEST_F(CliTest, SchemaCommand) {
  ASSERT_EQ(Trine({db_, "-c", kUsers}).status, 0);
  Output all = Trine({db_, "-c", ".schema"});
  Output user = Trine({db_, "-c", ".schema User"});
  Output nope = Trine({db_}, "SELECT 1;\n.schema Nope\n");
  {
    Result<std::unique_ptr<Database>> db = Database::Open(db_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    std::string text = FormatSchema((*db)->Schema());
    EXPECT_EQ(text, "TABLE User {\n  name string = 1 INDEX;\n  age int = 2 INDEX;\n}\n");
    EXPECT_EQ(all.out, text);
    EXPECT_EQ(user.out, text);
  }
  EXPECT_EQ(all.status, 0);
  EXPECT_EQ(user.status, 0);
  EXPECT_EQ(nope.status, 1);
  EXPECT_EQ(nope.out, "1\n");
  EXPECT_EQ(nope.err, "error: 2:1: unknown type: Nope\n");

  Output empty = Trine({dir_.Sub("empty"), "-c", ".schema"});
  EXPECT_EQ(empty.status, 0);
  EXPECT_EQ(empty.out, "-- no types\n");
}

TEST_F(CliTest, DotCommands) {
  Output r =
      Trine({db_}, std::string(kUsers) + ".mode json\n" + kSelect + ".mode table\n" + kSelect +
                       ".mode\n"
                       ".timing\n"
                       "  .mode json\n");  // not at the start of the line: a statement
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, std::string(kUsersChanges) + "INSERT 1 (id 1)\nINSERT 1 (id 2)\n" + kSelectJson +
                       kSelectTable + "table\noff\n");
  EXPECT_EQ(r.err.rfind("error: 10:3: ", 0), 0u) << r.err;

  r = Trine({db_, "-c", "SELECT 1;\n.frobnicate now\nSELECT 2;"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "1\n");
  EXPECT_EQ(r.err, "error: 2:1: unknown command: .frobnicate (see .help)\n");

  r = Trine({db_, "-c", ".mode yaml"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: 1:1: usage: .mode table|json\n");

  r = Trine({db_, "-c", ".help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("Statements end with ';'", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("  .load FILE "), std::string::npos) << r.out;

  // .quit stops a script; what follows is not run.
  r = Trine({db_, "-c", "SELECT 1;\n.quit\nSELECT nope;"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "1\n");
  EXPECT_EQ(r.err, "");

  r = Trine({db_, "-c", ".timing on\nSELECT 1;\nSELECT 2;"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(MaskTimes(r.out), "1\ntime: X ms\n2\ntime: X ms\n") << r.out;
}

TEST_F(CliTest, Demo) {
  Output r = Trine({"--demo", db_, "-c", "SELECT count(SELECT u FROM User AS u);"});
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "2000\n");

  // A store with types is left as it is.
  r = Trine({"--demo", db_, "--json", "-c",
             "SELECT count(SELECT p FROM Post AS p);\n"
             "SELECT count(SELECT c FROM Comment AS c);\n"
             "SELECT count(SELECT u FROM User AS u);"});
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "6000\n4000\n2000\n");

  // The queries the banner suggests work on the demo data.
  for (const char* query :
       {"SELECT { name, age, posts: [SELECT { title, score } FROM Post AS p WHERE p.author = u "
        "ORDER BY score DESC LIMIT 3] } FROM User AS u WHERE age > 60 ORDER BY age LIMIT 5;",
        "SELECT { title, score, by: p.author.name, comments: count(SELECT c FROM Comment AS c "
        "WHERE c.post = p) } FROM Post AS p ORDER BY score DESC LIMIT 5;",
        "SELECT { name, boss: m.manager.name, team: [SELECT r.name FROM User AS r WHERE "
        "r.manager = m LIMIT 3] } FROM User AS m WHERE m.city = 'Lisbon' ORDER BY name LIMIT 5;"}) {
    r = Trine({db_, "-c", query});
    EXPECT_EQ(r.err, "") << query;
    EXPECT_EQ(r.status, 0) << query;
    EXPECT_NE(r.out.find("\n(5 rows)\n"), std::string::npos) << query << "\n" << r.out;
  }
}

// The prompt, on a pseudo-terminal: continuation lines, errors that do not
// end the session, dot-commands, .quit, and the history file. (Ctrl-C is
// left out: whether libedit retries its read after the signal depends on
// timing, so a test of it would be flaky.)
TEST_F(CliTest, Interactive) {
  ASSERT_EQ(Trine({db_, "-c", kUsers}).status, 0);
  CStrings argv({"trine", db_});
  CStrings envp = EnvWithHome(dir_.path());
  int master = -1;
  std::fflush(nullptr);
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execve(TRINE_CLI_PATH, argv.get(), envp.get());
    _exit(127);
  }
  std::string transcript;
  // Reads until `text` has appeared since `from` (or 60 s pass); returns where it ends.
  size_t from = 0;
  auto expect = [&](const std::string& text) {
    for (;;) {
      size_t at = transcript.find(text, from);
      if (at != std::string::npos) {
        from = at + text.size();
        return true;
      }
      pollfd p = {master, POLLIN, 0};
      if (poll(&p, 1, 60000) <= 0)
        return false;
      char buf[4096];
      ssize_t n = read(master, buf, sizeof(buf));
      if (n <= 0)
        return false;
      transcript.append(buf, static_cast<size_t>(n));
    }
  };
  auto send = [&](const std::string& text) {
    ASSERT_EQ(write(master, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  };
  ASSERT_TRUE(expect("Enter .help for help, .quit to leave.\r\ntrine> ")) << transcript;
  send("SELECT { name, age }\r");
  ASSERT_TRUE(expect("   ...> ")) << transcript;
  send("FROM User ORDER BY age;\r");
  ASSERT_TRUE(expect("Zoë  |   7\r\nann  |  41\r\n(2 rows)\r\ntrine> ")) << transcript;
  send("SELECT nope;\r");
  ASSERT_TRUE(expect("error: 1:8: ")) << transcript;
  ASSERT_TRUE(expect("\r\nSELECT nope;\r\n       ^\r\ntrine> ")) << transcript;
  send(".mode json\r");
  ASSERT_TRUE(expect("trine> ")) << transcript;
  send("SELECT { name } FROM User WHERE age < 10;\r");
  ASSERT_TRUE(expect("[{\"name\":\"Zoë\"}]\r\ntrine> ")) << transcript;
  send(".frobnicate\r");
  ASSERT_TRUE(expect("error: unknown command: .frobnicate (see .help)\r\ntrine> ")) << transcript;
  send("SELECT 6 * 7;\r");
  ASSERT_TRUE(expect("42\r\ntrine> ")) << transcript;
  send(".quit\r");
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  close(master);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << transcript;
  std::string history = ReadAll(dir_.Sub(".trine_history"));
  EXPECT_NE(history.find("SELECT\\040{\\040name,\\040age\\040}"), std::string::npos) << history;
  EXPECT_NE(history.find(".quit"), std::string::npos) << history;
}

}  // namespace
}  // namespace trine

#endif  // TRINE_CLI_PATH
