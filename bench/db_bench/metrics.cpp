#include "metrics.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <sys/resource.h>

namespace trine_bench {

LatencyHistogram::LatencyHistogram() : buckets_(kSub + (64 - kSubBits) * kSub, 0) {}

size_t LatencyHistogram::BucketOf(uint64_t nanos) {
  if (nanos < kSub)
    return static_cast<size_t>(nanos);
  const int exponent = 63 - std::countl_zero(nanos);  // >= kSubBits
  const int shift = exponent - kSubBits;
  const uint64_t sub = (nanos >> shift) - kSub;  // the kSubBits bits after the leading one
  return static_cast<size_t>(kSub + shift * kSub) + static_cast<size_t>(sub);
}

double LatencyHistogram::BucketLow(size_t bucket) {
  if (bucket < kSub)
    return static_cast<double>(bucket);
  const size_t shift = (bucket - kSub) / kSub;
  const size_t sub = (bucket - kSub) % kSub;
  return std::ldexp(static_cast<double>(kSub + sub), static_cast<int>(shift));
}

double LatencyHistogram::BucketHigh(size_t bucket) {
  if (bucket < kSub)
    return static_cast<double>(bucket) + 1;
  const size_t shift = (bucket - kSub) / kSub;
  return BucketLow(bucket) + std::ldexp(1.0, static_cast<int>(shift));
}

void LatencyHistogram::Record(uint64_t nanos) {
  ++buckets_[BucketOf(nanos)];
  ++count_;
  sum_ += nanos;
  max_ = std::max(max_, nanos);
}

double LatencyHistogram::Percentile(double q) const {
  if (count_ == 0)
    return 0;
  const auto rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank) {
      // Midpoint of the bucket, but never above the exact maximum.
      const double mid = (BucketLow(b) + BucketHigh(b)) / 2;
      return std::min(mid, static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

uint64_t LatencyHistogram::CountAbove(uint64_t nanos) const {
  uint64_t n = 0;
  for (size_t b = BucketOf(nanos) + 1; b < buckets_.size(); ++b)
    n += buckets_[b];
  return n;
}

ProcessSnapshot TakeProcessSnapshot() {
  ProcessSnapshot s;
  {
    std::ifstream io("/proc/self/io");
    std::string name;
    double value = 0;
    while (io >> name >> value) {
      if (name == "wchar:")
        s.wchar = value;
      if (name == "write_bytes:")
        s.write_bytes = value;
    }
  }
  {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
      std::istringstream fields(line);
      std::string name;
      double kib = 0;
      fields >> name >> kib;
      if (name == "VmRSS:")
        s.rss_mb = kib / 1024;
      if (name == "VmHWM:")
        s.peak_rss_mb = kib / 1024;
    }
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  s.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  return s;
}

DirBytes MeasureDir(const std::string& dir,
                    const std::function<bool(const std::string&)>& is_data) {
  namespace fs = std::filesystem;
  DirBytes d;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code size_ec;
    // A file may vanish between listing and stat (an engine deleting an
    // obsolete table in the background): skip it.
    if (!it->is_regular_file(size_ec))
      continue;
    const uint64_t size = it->file_size(size_ec);
    if (size_ec)
      continue;
    d.total += size;
    ++d.files;
    if (is_data(it->path().filename().string()))
      d.data += size;
  }
  return d;
}

}  // namespace trine_bench
