// Hashing and checksums: xxHash's XXH3 everywhere (bloom filters, block and
// record checksums, cache shards).
#pragma once

#include <cstdint>
#include <string_view>

#include <xxhash.h>

namespace trine {

inline uint64_t Hash64(std::string_view data, uint64_t seed = 0) {
  return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}

// A 32-bit checksum of `data`, salted with `salt` (the block's offset in its
// file) so that a block read from the wrong place fails verification too.
inline uint32_t Checksum32(std::string_view data, uint64_t salt = 0) {
  uint64_t h = XXH3_64bits_withSeed(data.data(), data.size(), salt);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace trine
