#include "bloom/bloom.h"

#include <algorithm>
#include <cmath>

#include "common/coding.h"

namespace trine::bloom {

namespace {
constexpr uint32_t kLineBytes = 64;
constexpr uint32_t kLineBits = kLineBytes * 8;

// Probe positions come from the upper 32 bits of the hash, remixed by a
// multiply per probe; the line comes from the lower 32 bits. Using separate
// halves keeps the line choice and the in-line positions independent.
inline uint32_t LineOf(uint64_t hash, uint32_t num_lines) {
  return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(hash)) * num_lines) >>
                               32);
}
}  // namespace

int ProbesFor(int bits_per_key) {
  int k = static_cast<int>(std::lround(bits_per_key * 0.69));
  return std::clamp(k, 1, 16);
}

double TheoreticalFpRate(int bits_per_key) {
  double k = ProbesFor(bits_per_key);
  return std::pow(1.0 - std::exp(-k / bits_per_key), k);
}

double TheoreticalBlockedFpRate(int bits_per_key) {
  double k = ProbesFor(bits_per_key);
  double lambda = static_cast<double>(kLineBits) / bits_per_key;  // mean keys per line
  // Sum over the number j of keys sharing the probed line, weighted by the
  // Poisson probability of j.
  double rate = 0, p = std::exp(-lambda);
  for (int j = 0; j < 4 * static_cast<int>(lambda) + 64; ++j) {
    rate += p * std::pow(1.0 - std::exp(-k * j / kLineBits), k);
    p *= lambda / (j + 1);
  }
  return rate;
}

FilterBuilder::FilterBuilder(int bits_per_key) : bits_per_key_(std::max(1, bits_per_key)) {}

void FilterBuilder::AddHash(uint64_t hash) {
  // Versions of one key arrive together: skip repeats so they don't inflate the filter.
  if (!hashes_.empty() && hashes_.back() == hash)
    return;
  hashes_.push_back(hash);
}

std::string FilterBuilder::Finish() {
  uint64_t bits = static_cast<uint64_t>(hashes_.size()) * static_cast<uint64_t>(bits_per_key_);
  uint32_t num_lines =
      static_cast<uint32_t>(std::max<uint64_t>(1, (bits + kLineBits - 1) / kLineBits));
  int k = ProbesFor(bits_per_key_);
  std::string out(static_cast<size_t>(num_lines) * kLineBytes, '\0');
  auto* data = reinterpret_cast<uint8_t*>(out.data());
  for (uint64_t h : hashes_) {
    uint8_t* line = data + static_cast<size_t>(LineOf(h, num_lines)) * kLineBytes;
    uint32_t a = static_cast<uint32_t>(h >> 32);
    for (int i = 0; i < k; ++i) {
      uint32_t bit = a >> 23;  // top 9 bits: 0..511
      line[bit >> 3] = static_cast<uint8_t>(line[bit >> 3] | (1u << (bit & 7)));
      a *= 0x9e3779b9u;
    }
  }
  out.push_back(static_cast<char>(k));
  PutFixed32(&out, num_lines);
  hashes_.clear();
  return out;
}

bool FilterReader::Init(std::string_view data) {
  if (data.size() < 5)
    return false;
  uint32_t num_lines = DecodeFixed32(data.data() + data.size() - 4);
  int k = static_cast<uint8_t>(data[data.size() - 5]);
  if (k < 1 || k > 16 || num_lines == 0 ||
      static_cast<uint64_t>(num_lines) * kLineBytes != data.size() - 5) {
    return false;
  }
  lines_ = data.data();
  num_lines_ = num_lines;
  num_probes_ = k;
  return true;
}

bool FilterReader::HashMayMatch(uint64_t hash) const {
  if (lines_ == nullptr)
    return true;
  const auto* line = reinterpret_cast<const uint8_t*>(lines_) +
                     static_cast<size_t>(LineOf(hash, num_lines_)) * kLineBytes;
  uint32_t a = static_cast<uint32_t>(hash >> 32);
  for (int i = 0; i < num_probes_; ++i) {
    uint32_t bit = a >> 23;
    if ((line[bit >> 3] & (1u << (bit & 7))) == 0)
      return false;
    a *= 0x9e3779b9u;
  }
  return true;
}

}  // namespace trine::bloom
