// trine: the command line of Trine (see kUsage). Exit status: 0 on success,
// 1 when a statement, a dot-command or opening the store fails (the message
// goes to stderr as "error: ..."), 2 for bad command-line usage.

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repl/demo.h"
#include "repl/shell.h"
#include "trine/database.h"

namespace trine::repl {
namespace {

constexpr char kUsage[] =
    "usage: trine [OPTIONS] PATH [SCRIPT]\n"
    "Opens the Trine store at PATH (creating it if needed) and runs TreeQL:\n"
    "  trine PATH               an interactive prompt, when stdin is a terminal\n"
    "  trine PATH -c 'TEXT'     the statements in TEXT\n"
    "  trine PATH SCRIPT        the statements in the file SCRIPT\n"
    "  trine PATH < FILE        the statements read from stdin\n"
    "Lines starting with '.' between statements are dot-commands (.help lists them).\n"
    "Options:\n"
    "  -c, --command TEXT  run TEXT instead of a prompt\n"
    "  --json              print each result as one line of JSON (default: a table)\n"
    "  --durable           sync each commit to disk before it returns (default: relaxed)\n"
    "  --demo              fill a store without types with the demo data first\n"
    "  -h, --help          show this text\n";

struct Args {
  std::string path;
  std::optional<std::string> command;  // -c TEXT
  std::string script;                  // SCRIPT
  bool json = false;
  bool durable = false;
  bool demo = false;
  bool help = false;
};

// Parses argv into `args`; on a usage error returns the message.
std::optional<std::string> ParseArgs(int argc, char** argv, Args* args) {
  std::vector<std::string_view> positional;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
    } else if (arg == "--") {
      options_done = true;
    } else if (arg == "-c" || arg == "--command") {
      if (i + 1 == argc)
        return std::string(arg) + " needs the statements to run";
      if (args->command)
        return std::string(arg) + " given twice";
      args->command = argv[++i];
    } else if (arg == "--json") {
      args->json = true;
    } else if (arg == "--durable") {
      args->durable = true;
    } else if (arg == "--demo") {
      args->demo = true;
    } else if (arg == "-h" || arg == "--help") {
      args->help = true;
    } else {
      return "unknown option " + std::string(arg);
    }
  }
  if (args->help)
    return std::nullopt;
  if (positional.empty())
    return "missing PATH";
  if (positional.size() > 2)
    return "unexpected argument " + std::string(positional[2]);
  args->path = positional[0];
  if (positional.size() == 2) {
    if (args->command)
      return "give either -c TEXT or SCRIPT, not both";
    args->script = positional[1];
  }
  return std::nullopt;
}

int Main(int argc, char** argv) {
  Args args;
  if (std::optional<std::string> error = ParseArgs(argc, argv, &args)) {
    std::cerr << "error: " << *error << "\n" << kUsage;
    return 2;
  }
  if (args.help) {
    std::cout << kUsage;
    return 0;
  }

  // The script is read first, so a mistyped name does not create a store.
  std::string script_text;
  if (!args.script.empty()) {
    std::ifstream in(args.script, std::ios::binary);
    if (!in.is_open()) {
      std::cerr << "error: cannot read " << args.script << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    script_text.assign(std::istreambuf_iterator<char>(in), {});
  }

  Result<std::unique_ptr<Database>> db = Database::Open(args.path);
  if (!db.ok()) {
    std::cerr << ErrorLine(db.status().WithContext("cannot open " + args.path));
    return 1;
  }
  bool created = false;
  if (args.demo) {
    Result<bool> r = EnsureDemo(**db);
    if (!r.ok()) {
      std::cerr << ErrorLine(r.status().WithContext("cannot create the demo in " + args.path));
      return 1;
    }
    created = *r;
  }

  ShellOptions options;
  options.mode = args.json ? OutputMode::kJson : OutputMode::kTable;
  options.durability = args.durable ? Durability::kDurable : Durability::kRelaxed;
  if (!args.script.empty())
    options.source_name = args.script;
  Shell shell(**db, std::cout, std::cerr, options);

  Status status;
  if (args.command) {
    status = shell.RunScript(*args.command);
  } else if (!args.script.empty()) {
    status = shell.RunScript(script_text, args.script);
  } else if (isatty(STDIN_FILENO)) {
    std::string banner =
        args.demo ? DemoBanner(args.path, created)
                  : "Trine shell on " + args.path + ". Enter .help for help, .quit to leave.\n";
    shell.RunInteractive(banner);
  } else {
    std::string text(std::istreambuf_iterator<char>(std::cin), {});
    status = shell.RunScript(text);
  }
  std::cout.flush();
  if (!status.ok()) {
    std::cerr << ErrorLine(status);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace trine::repl

int main(int argc, char** argv) {
  return trine::repl::Main(argc, argv);
}
