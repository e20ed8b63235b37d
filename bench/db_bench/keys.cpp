#include "keys.h"

#include <cstring>
#include <string>

#include "engine.h"

#ifdef TRINE_BENCH_HAVE_TRINE
#include "common/coding.h"
#endif

namespace trine_bench {

size_t ReferenceOrderedVarint(uint64_t v, char* out) {
  auto byte = [](uint64_t x) { return static_cast<char>(static_cast<unsigned char>(x & 0xff)); };
  if (v <= 240) {
    out[0] = byte(v);
    return 1;
  }
  if (v <= 2287) {
    const uint64_t d = v - 240;
    out[0] = byte(241 + (d >> 8));
    out[1] = byte(d);
    return 2;
  }
  if (v <= 67823) {
    const uint64_t d = v - 2288;
    out[0] = byte(249);
    out[1] = byte(d >> 8);
    out[2] = byte(d);
    return 3;
  }
  size_t len = 3;  // big-endian bytes after the tag
  while (len < 8 && (v >> (8 * len)) != 0)
    ++len;
  out[0] = byte(250 + (len - 3));
  for (size_t i = 0; i < len; ++i)
    out[1 + i] = byte(v >> (8 * (len - 1 - i)));
  return 1 + len;
}

size_t EncodeOrderedVarint(uint64_t v, char* out) {
#ifdef TRINE_BENCH_HAVE_TRINE
  return static_cast<size_t>(trine::EncodeOrderedVarint(out, v) - out);
#else
  return ReferenceOrderedVarint(v, out);
#endif
}

void CheckOrderedVarintEncoder() {
  // Every length class and both sides of each boundary.
  const uint64_t probes[] = {0,
                             1,
                             240,
                             241,
                             496,
                             2287,
                             2288,
                             40000,
                             67823,
                             67824,
                             (1ull << 24) - 1,
                             1ull << 24,
                             (1ull << 32) + 5,
                             (1ull << 56) - 1,
                             1ull << 56,
                             ~0ull};
  for (uint64_t v : probes) {
    char a[kMaxOrderedVarint], b[kMaxOrderedVarint];
    const size_t la = EncodeOrderedVarint(v, a);
    const size_t lb = ReferenceOrderedVarint(v, b);
    if (la != lb || std::memcmp(a, b, la) != 0) {
      throw BenchError("ordered varint encoder disagrees with the SQLite4 layout at v=" +
                       std::to_string(v) + " (keys would not match the peer harness)");
    }
  }
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    const auto last = static_cast<unsigned char>(s.back());
    if (last != 0xff) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

KeySpace::KeySpace(uint64_t n, uint64_t types, uint64_t attrs)
    : n_(n), types_(types), attrs_(attrs), subjects_((n + types * attrs - 1) / (types * attrs)) {
  if (n == 0)
    throw BenchError("--n must be at least 1");
}

size_t KeySpace::Key(uint64_t i, bool missing, char* out) const {
  const uint64_t j = i % subjects_;
  const uint64_t group = i / subjects_;
  const uint64_t t = group / attrs_;
  const uint64_t a = group % attrs_;
  const uint64_t sid = 2 * (t * subjects_ + j) + (missing ? 1 : 0);
  size_t len = EncodeOrderedVarint(t, out);
  len += EncodeOrderedVarint(a, out + len);
  len += EncodeOrderedVarint(sid, out + len);
  return len;
}

size_t KeySpace::GroupPrefix(uint64_t g, char* out) const {
  size_t len = EncodeOrderedVarint(g / attrs_, out);
  return len + EncodeOrderedVarint(g % attrs_, out + len);
}

size_t KeySpace::TypePrefix(uint64_t t, char* out) const {
  return EncodeOrderedVarint(t, out);
}

double KeySpace::AverageKeyLength() const {
  const uint64_t step = n_ > 100000 ? n_ / 100000 : 1;
  char buf[kMaxKeyLength];
  double sum = 0;
  uint64_t count = 0;
  for (uint64_t i = 0; i < n_; i += step, ++count)
    sum += static_cast<double>(Key(i, false, buf));
  return sum / static_cast<double>(count);
}

Permutation::Permutation(uint64_t n, uint64_t seed) : n_(n) {
  int bits = 2;
  while (bits < 64 && (1ull << bits) < n)
    ++bits;
  if (bits % 2 != 0)
    ++bits;
  half_bits_ = bits / 2;
  half_mask_ = (1ull << half_bits_) - 1;
  for (int r = 0; r < 4; ++r)
    keys_[r] = Mix64(seed * 4 + static_cast<uint64_t>(r) + 1);
}

uint64_t Permutation::Round(uint64_t x) const {
  uint64_t left = x >> half_bits_;
  uint64_t right = x & half_mask_;
  for (uint64_t key : keys_) {
    const uint64_t next_right = left ^ (Mix64(right ^ key) & half_mask_);
    left = right;
    right = next_right;
  }
  return (left << half_bits_) | right;
}

uint64_t Permutation::operator()(uint64_t i) const {
  uint64_t x = Round(i);
  while (x >= n_)
    x = Round(x);
  return x;
}

void FillValue(uint64_t index, uint64_t version, size_t size, char* out) {
  const size_t half = (size + 1) / 2;
  uint64_t state = Mix64(index * 0x9e3779b97f4a7c15ull ^ (version + 1));
  for (size_t off = 0; off < half; off += 8) {
    state = Mix64(state);
    const size_t take = half - off < 8 ? half - off : 8;
    std::memcpy(out + off, &state, take);
  }
  std::memcpy(out + half, out, size - half);
}

}  // namespace trine_bench
