// Measurement helpers: a latency histogram, the process's I/O and memory
// counters, and the size of a store's files.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace trine_bench {

using Clock = std::chrono::steady_clock;

inline uint64_t ElapsedNanos(Clock::time_point start, Clock::time_point end) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
}

// Log-linear histogram of nanosecond latencies: exact below 64 ns, then 64
// sub-buckets per power of two (at most 1.6 % error on a percentile). Fixed
// size, so recording millions of writes costs no memory growth (which would
// show up in the peak RSS of the engine under test). Max and mean are exact.
class LatencyHistogram {
 public:
  LatencyHistogram();
  void Record(uint64_t nanos);

  uint64_t count() const { return count_; }
  uint64_t max_nanos() const { return max_; }
  double mean_nanos() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  // The q-quantile (0 < q <= 1) in nanoseconds, 0 when empty.
  double Percentile(double q) const;
  // Recorded latencies above `nanos` (exact at bucket granularity).
  uint64_t CountAbove(uint64_t nanos) const;

 private:
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;
  static size_t BucketOf(uint64_t nanos);
  static double BucketLow(size_t bucket);
  static double BucketHigh(size_t bucket);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0, sum_ = 0, max_ = 0;
};

// Counters of this process since it started (/proc/self/io, /proc/self/status, getrusage).
struct ProcessSnapshot {
  double wchar = 0;        // bytes passed to write()-like calls
  double write_bytes = 0;  // bytes this process caused to be sent to the block device
  double cpu_seconds = 0;  // user + system
  double rss_mb = 0;
  double peak_rss_mb = 0;  // VmHWM
};
ProcessSnapshot TakeProcessSnapshot();

struct DirBytes {
  uint64_t total = 0;
  uint64_t data = 0;  // files for which is_data(filename) holds
  uint64_t files = 0;
};
// Apparent sizes of the regular files under `dir`.
DirBytes MeasureDir(const std::string& dir, const std::function<bool(const std::string&)>& is_data);

}  // namespace trine_bench
