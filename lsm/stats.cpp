#include <cstdio>
#include <string>

#include "trine/db.h"

namespace trine {

std::string Stats::ToString() const {
  std::string out;
  char line[256];
  out += "level  files        bytes   compactions   read(MB)  written(MB)\n";
  for (size_t l = 0; l < levels.size(); ++l) {
    const LevelStats& s = levels[l];
    if (s.files == 0 && s.compactions == 0 && s.bytes_written == 0)
      continue;
    std::snprintf(line, sizeof(line), "L%-4zu %6d %12llu %13llu %10.1f %12.1f\n", l, s.files,
                  static_cast<unsigned long long>(s.bytes),
                  static_cast<unsigned long long>(s.compactions), s.bytes_read / 1048576.0,
                  s.bytes_written / 1048576.0);
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "write amplification %.2f (user %.1f MB, log %.1f MB, flush %.1f MB, "
                "compaction %.1f MB)\n",
                write_amplification, user_bytes_written / 1048576.0, wal_bytes_written / 1048576.0,
                flush_bytes_written / 1048576.0, compaction_bytes_written / 1048576.0);
  out += line;
  std::snprintf(
      line, sizeof(line),
      "block cache hit rate %.1f%% (%llu hits, %llu misses, %.1f MB), filter skips %llu\n",
      100.0 * block_cache_hit_rate(), static_cast<unsigned long long>(block_cache_hits),
      static_cast<unsigned long long>(block_cache_misses), block_cache_bytes / 1048576.0,
      static_cast<unsigned long long>(bloom_useful));
  out += line;
  std::snprintf(line, sizeof(line),
                "stalls %.1f ms, slowed writes %llu, slowest commit %.2f ms, flushes %llu, "
                "compactions %llu\n",
                stall_micros / 1000.0, static_cast<unsigned long long>(slowdown_writes),
                max_write_micros / 1000.0, static_cast<unsigned long long>(flushes),
                static_cast<unsigned long long>(compactions));
  out += line;
  std::snprintf(line, sizeof(line), "memtable regions: %llu ready, %llu mapped on demand\n",
                static_cast<unsigned long long>(memtable_regions_ready),
                static_cast<unsigned long long>(memtable_regions_mapped));
  out += line;
  return out;
}

}  // namespace trine
