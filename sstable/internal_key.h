// Internal keys: how the storage layers order versions of user keys.
//
// Every stored entry is (user_key, tag, value) with tag = sequence << 8 | kind.
// Entries sort by user key ascending (memcmp), then by tag DEScending, so the
// newest version of a key comes first and a read at snapshot S seeks to
// (key, S << 8 | 0xff) and takes the first entry it finds for that key.
// Tags are stored as varints beside the key, never appended to it, so blocks
// prefix-compress user keys directly and a bottom-level entry whose sequence
// was zeroed costs one byte of tag.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace trine {

enum class ValueKind : uint8_t {
  kDelete = 0,       // point tombstone
  kPut = 1,          // value
  kRangeDelete = 2,  // range tombstone (only in range-deletion blocks and the memtable's list)
};

using SequenceNumber = uint64_t;
constexpr SequenceNumber kMaxSequenceNumber = (uint64_t{1} << 56) - 1;
constexpr uint64_t kMaxTag = ~uint64_t{0};

inline uint64_t PackTag(SequenceNumber seq, ValueKind kind) {
  return (seq << 8) | static_cast<uint8_t>(kind);
}
inline SequenceNumber TagSequence(uint64_t tag) {
  return tag >> 8;
}
inline ValueKind TagKind(uint64_t tag) {
  return static_cast<ValueKind>(tag & 0xff);
}
// The largest tag a read at snapshot `seq` may see: seeking to (key, SeekTag(seq))
// lands on the newest version with sequence <= seq.
inline uint64_t SeekTag(SequenceNumber seq) {
  return (seq << 8) | 0xff;
}

// memcmp order of two byte strings. Inlined because keys here are short
// (a triple key is ~6 bytes) and a libc memcmp call costs more than the
// comparison itself; compares 8 bytes at a time when it can.
inline int CompareBytes(std::string_view a, std::string_view b) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  const auto* p = reinterpret_cast<const unsigned char*>(a.data());
  const auto* q = reinterpret_cast<const unsigned char*>(b.data());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, p + i, 8);
    std::memcpy(&y, q + i, 8);
    if (x != y)
      return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  }
  for (; i < n; ++i) {
    if (p[i] != q[i])
      return p[i] < q[i] ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// <0, 0, >0 as (a_key, a_tag) sorts before, with, after (b_key, b_tag).
inline int CompareInternal(std::string_view a_key, uint64_t a_tag, std::string_view b_key,
                           uint64_t b_tag) {
  int c = CompareBytes(a_key, b_key);
  if (c != 0)
    return c;
  return a_tag > b_tag ? -1 : (a_tag < b_tag ? 1 : 0);
}

}  // namespace trine
