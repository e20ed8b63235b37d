#include "lsm/filename.h"

#include <cstdio>

namespace trine {

namespace {
std::string Numbered(const std::string& dir, uint64_t number, const char* suffix) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "/%06llu.%s", static_cast<unsigned long long>(number), suffix);
  return dir + buf;
}

bool ParseNumber(std::string_view s, uint64_t* v) {
  if (s.empty() || s.size() > 19)
    return false;
  uint64_t r = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    r = r * 10 + static_cast<uint64_t>(c - '0');
  }
  *v = r;
  return true;
}
}  // namespace

std::string LogFileName(const std::string& dir, uint64_t n) {
  return Numbered(dir, n, "log");
}
std::string TableFileName(const std::string& dir, uint64_t n) {
  return Numbered(dir, n, "sst");
}
std::string TempFileName(const std::string& dir, uint64_t n) {
  return Numbered(dir, n, "tmp");
}
std::string ManifestFileName(const std::string& dir, uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "/MANIFEST-%06llu", static_cast<unsigned long long>(n));
  return dir + buf;
}
std::string CurrentFileName(const std::string& dir) {
  return dir + "/CURRENT";
}
std::string LockFileName(const std::string& dir) {
  return dir + "/LOCK";
}
std::string MarkerFileName(const std::string& dir) {
  return dir + "/TRINE";
}

FileType ParseFileName(std::string_view name, uint64_t* number) {
  *number = 0;
  if (name == "CURRENT")
    return FileType::kCurrent;
  if (name == "LOCK")
    return FileType::kLock;
  if (name == "TRINE")
    return FileType::kMarker;
  if (name == "TRINE.tmp")
    return FileType::kTemp;
  if (name.starts_with("MANIFEST-")) {
    return ParseNumber(name.substr(9), number) ? FileType::kManifest : FileType::kUnknown;
  }
  size_t dot = name.find('.');
  if (dot == std::string_view::npos || !ParseNumber(name.substr(0, dot), number)) {
    return FileType::kUnknown;
  }
  std::string_view ext = name.substr(dot + 1);
  if (ext == "log")
    return FileType::kLog;
  if (ext == "sst")
    return FileType::kTable;
  if (ext == "tmp")
    return FileType::kTemp;
  return FileType::kUnknown;
}

}  // namespace trine
