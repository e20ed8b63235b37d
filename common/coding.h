// Byte encodings shared by every on-disk format and by keys.
//
// - Fixed-width little-endian integers (block trailers, footers, headers).
// - LEB128 varints (lengths inside blocks and records: small and fast, but
//   they do NOT sort bytewise).
// - Order-preserving varints (keys): memcmp order of the encodings equals
//   numeric order, and each encoding is prefix-free, so a concatenation of
//   them sorts like the tuple. SQLite4-style:
//     0..240          1 byte:  v
//     241..2287       2 bytes: 241 + (v-240)/256, (v-240)%256
//     2288..67823     3 bytes: 249, (v-2288) big-endian in 2 bytes
//     larger          1+n bytes: 250+(n-3), v big-endian in n = 3..8 bytes
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace trine {

inline void EncodeFixed32(char* dst, uint32_t v) {
  std::memcpy(dst, &v, 4);
}
inline void EncodeFixed64(char* dst, uint64_t v) {
  std::memcpy(dst, &v, 8);
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "on-disk formats assume little-endian");

void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);

// LEB128. Returns the end of the written bytes.
char* EncodeVarint32(char* dst, uint32_t v);
char* EncodeVarint64(char* dst, uint64_t v);
void PutVarint32(std::string* dst, uint32_t v);
void PutVarint64(std::string* dst, uint64_t v);
int VarintLength(uint64_t v);

// Decode from [p, limit). Return the byte after the varint, or nullptr if the
// input is truncated or malformed. The one-byte case is inlined: it is by far
// the most common inside blocks.
const char* GetVarint32PtrSlow(const char* p, const char* limit, uint32_t* v);
const char* GetVarint64PtrSlow(const char* p, const char* limit, uint64_t* v);
inline const char* GetVarint32Ptr(const char* p, const char* limit, uint32_t* v) {
  if (p < limit) {
    uint32_t r = *reinterpret_cast<const unsigned char*>(p);
    if ((r & 128) == 0) {
      *v = r;
      return p + 1;
    }
  }
  return GetVarint32PtrSlow(p, limit, v);
}
inline const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* v) {
  if (p < limit) {
    uint64_t r = *reinterpret_cast<const unsigned char*>(p);
    if ((r & 128) == 0) {
      *v = r;
      return p + 1;
    }
  }
  return GetVarint64PtrSlow(p, limit, v);
}

// Consume from the front of *input. Return false on truncated/malformed input.
bool GetVarint32(std::string_view* input, uint32_t* v);
bool GetVarint64(std::string_view* input, uint64_t* v);
bool GetFixed32(std::string_view* input, uint32_t* v);
bool GetFixed64(std::string_view* input, uint64_t* v);

// varint32 length, then the bytes.
void PutLengthPrefixed(std::string* dst, std::string_view value);
bool GetLengthPrefixed(std::string_view* input, std::string_view* result);

// Order-preserving varints (see the top of this file). At most 9 bytes.
constexpr int kMaxOrderedVarintLength = 9;
int OrderedVarintLength(uint64_t v);
char* EncodeOrderedVarint(char* dst, uint64_t v);
void PutOrderedVarint(std::string* dst, uint64_t v);
// Consumes one ordered varint from the front of *input.
bool GetOrderedVarint(std::string_view* input, uint64_t* v);

}  // namespace trine
