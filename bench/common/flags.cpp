#include "flags.h"

#include <sstream>

#include "bench_error.h"

namespace trine_bench {

Flags::Flags(int argc, char** argv, const std::set<std::string>& bools,
             const std::set<std::string>& valued) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0)
      throw BenchError("unexpected argument '" + arg + "'");
    arg.erase(0, 2);
    std::string name = arg, value;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (name.rfind("no-", 0) == 0 && bools.count(name.substr(3)) != 0) {
      name.erase(0, 3);
      value = "false";
    } else if (bools.count(name) != 0) {
      value = "true";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw BenchError("--" + name + " needs a value");
    }
    if (bools.count(name) == 0 && valued.count(name) == 0)
      throw BenchError("unknown flag --" + name);
    values_[name] = value;
  }
}

std::string Flags::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

bool Flags::GetBool(const std::string& name, bool fallback) const {
  const std::string v = Get(name, fallback ? "true" : "false");
  if (v == "true" || v == "1" || v == "yes")
    return true;
  if (v == "false" || v == "0" || v == "no")
    return false;
  throw BenchError("--" + name + " takes true or false, not '" + v + "'");
}

uint64_t Flags::GetNumber(const std::string& name, uint64_t fallback) const {
  if (!Has(name))
    return fallback;
  std::string v = Get(name, "");
  uint64_t scale = 1;
  if (!v.empty() && (v.back() == 'k' || v.back() == 'K'))
    scale = 1000;
  if (!v.empty() && (v.back() == 'm' || v.back() == 'M'))
    scale = 1000000;
  if (scale != 1)
    v.pop_back();
  // More than 15 digits is a typo, not a size (and would overflow with a suffix).
  if (v.empty() || v.size() > 15 || v.find_first_not_of("0123456789") != std::string::npos)
    throw BenchError("--" + name + " takes a number, not '" + Get(name, "") + "'");
  return std::stoull(v) * scale;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty())
      out.push_back(item);
  }
  return out;
}

}  // namespace trine_bench
