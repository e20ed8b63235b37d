// The triple-shaped key space, the value generator and the random sources of
// trine_bench. They define what every engine is asked to store, so they match
// the peer harness (peers/kv) in shape and semantics: figures from both are
// comparable.
//
// Keys are [type, attr, subject], each an order-preserving varint, so that
// memcmp order is tuple order and [type] and [type, attr] are byte prefixes.
// With T types x A attrs and S subjects per (type, attr) group, key index
//   i = (t * A + a) * S + j      (0 <= j < S)
// enumerates the keys in key order. Subject ids are global and even,
// sid = 2 * (t * S + j); a "missing" key uses sid + 1, which is absent but
// lies inside every table's key range, so only a filter can reject it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace trine_bench {

// SQLite4-style order-preserving varint:
//   0..240 -> 1 byte; 241..2287 -> 2; 2288..67823 -> 3;
//   larger -> tag byte 250 + (n - 3), then the value in n = 3..8 big-endian bytes.
// Uses trine::EncodeOrderedVarint when the bench is built with the Trine
// library (the engine's own encoder; checked against ReferenceOrderedVarint
// at startup), else the reference encoder below.
constexpr size_t kMaxOrderedVarint = 9;
size_t EncodeOrderedVarint(uint64_t v, char* out);
size_t ReferenceOrderedVarint(uint64_t v, char* out);
// Throws BenchError if EncodeOrderedVarint and ReferenceOrderedVarint disagree.
void CheckOrderedVarintEncoder();

// The smallest string greater than every string that starts with `prefix`
// ("" if there is none: all bytes are 0xff).
std::string PrefixSuccessor(std::string_view prefix);

class KeySpace {
 public:
  static constexpr size_t kMaxKeyLength = 3 * kMaxOrderedVarint;

  KeySpace(uint64_t n, uint64_t types, uint64_t attrs);

  uint64_t n() const { return n_; }
  uint64_t attrs() const { return attrs_; }
  uint64_t subjects() const { return subjects_; }  // S: keys per (type, attr) group
  // Groups and types that actually hold keys (the last ones may be partial).
  uint64_t groups() const { return (n_ + subjects_ - 1) / subjects_; }
  uint64_t types_used() const { return (groups() + attrs_ - 1) / attrs_; }

  // The key of index i (or its absent odd neighbour); returns its length.
  size_t Key(uint64_t i, bool missing, char* out) const;
  // [type, attr] prefix of group g = t * A + a, and [type] prefix of type t.
  size_t GroupPrefix(uint64_t g, char* out) const;
  size_t TypePrefix(uint64_t t, char* out) const;
  // Key indexes [first, limit) of a group and of a type.
  uint64_t GroupFirst(uint64_t g) const { return g * subjects_; }
  uint64_t GroupLimit(uint64_t g) const { return Min(n_, (g + 1) * subjects_); }
  uint64_t TypeFirst(uint64_t t) const { return t * attrs_ * subjects_; }
  uint64_t TypeLimit(uint64_t t) const { return Min(n_, (t + 1) * attrs_ * subjects_); }

  // Mean key length over the key space (sampled), for raw-bytes accounting.
  double AverageKeyLength() const;

 private:
  static uint64_t Min(uint64_t a, uint64_t b) { return a < b ? a : b; }

  uint64_t n_, types_, attrs_, subjects_;
};

// SplitMix64 finalizer: a cheap, well-mixed 64-bit hash.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Deterministic pseudo-random stream (SplitMix64): every engine sees the
// same sequence for the same seed.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(Mix64(seed)) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ull;
    return Mix64(state_);
  }
  // Uniform in [0, n) without modulo bias worth mentioning (Lemire's multiply-shift).
  uint64_t Uniform(uint64_t n) {
    __extension__ using Wide =
        unsigned __int128;  // GCC/Clang; __extension__ keeps -Wpedantic quiet
    return static_cast<uint64_t>((static_cast<Wide>(Next()) * n) >> 64);
  }

 private:
  uint64_t state_;
};

// A pseudo-random bijection of [0, n) computed on the fly, so random-order
// loads need no N-entry shuffle table (which would inflate peak RSS). A
// balanced Feistel network permutes [0, 4^h) >= n; values that land outside
// [0, n) are fed through again ("cycle walking"), which ends because the
// network is a permutation of the larger domain.
class Permutation {
 public:
  Permutation(uint64_t n, uint64_t seed);
  uint64_t operator()(uint64_t i) const;

 private:
  uint64_t Round(uint64_t x) const;

  uint64_t n_;
  int half_bits_;
  uint64_t half_mask_;
  uint64_t keys_[4];
};

// db_bench-like value of key index i at `version` (0 for the load, 1 for
// overwrites): the first half is pseudo-random, the second half repeats it,
// so LZ-family codecs halve it, as in RocksDB's and LevelDB's db_bench.
void FillValue(uint64_t index, uint64_t version, size_t size, char* out);

}  // namespace trine_bench
