// Names of the files in a store directory:
//   TRINE               marker: "trine-store <format version>\n" (what makes a directory a store)
//   CURRENT             name of the live manifest, then "\n"
//   MANIFEST-NNNNNN     version edits (log format)
//   NNNNNN.log          write-ahead log (log format)
//   NNNNNN.sst          tables
//   LOCK                held (flock) by the process that has the store open
//   NNNNNN.tmp          files being written (removed at open); TRINE.tmp likewise
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trine {

enum class FileType { kLog, kTable, kManifest, kCurrent, kLock, kMarker, kTemp, kUnknown };

std::string LogFileName(const std::string& dir, uint64_t number);
std::string TableFileName(const std::string& dir, uint64_t number);
std::string ManifestFileName(const std::string& dir, uint64_t number);
std::string TempFileName(const std::string& dir, uint64_t number);
std::string CurrentFileName(const std::string& dir);
std::string LockFileName(const std::string& dir);
std::string MarkerFileName(const std::string& dir);

// Parses a file name (not a path). kUnknown for foreign files.
FileType ParseFileName(std::string_view name, uint64_t* number);

}  // namespace trine
