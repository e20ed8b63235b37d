#include "common/coding.h"

namespace trine {

void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32(buf, v);
  dst->append(buf, 4);
}

void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64(buf, v);
  dst->append(buf, 8);
}

char* EncodeVarint32(char* dst, uint32_t v) {
  return EncodeVarint64(dst, v);
}

char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}

void PutVarint32(std::string* dst, uint32_t v) {
  char buf[5];
  dst->append(buf, static_cast<size_t>(EncodeVarint32(buf, v) - buf));
}

void PutVarint64(std::string* dst, uint64_t v) {
  char buf[10];
  dst->append(buf, static_cast<size_t>(EncodeVarint64(buf, v) - buf));
}

int VarintLength(uint64_t v) {
  int len = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++len;
  }
  return len;
}

const char* GetVarint32PtrSlow(const char* p, const char* limit, uint32_t* v) {
  uint64_t r;
  const char* q = GetVarint64PtrSlow(p, limit, &r);
  if (q == nullptr || r > 0xffffffffu)
    return nullptr;
  *v = static_cast<uint32_t>(r);
  return q;
}

const char* GetVarint64PtrSlow(const char* p, const char* limit, uint64_t* v) {
  uint64_t result = 0;
  for (uint32_t shift = 0; shift <= 63 && p < limit; shift += 7) {
    uint64_t byte = *reinterpret_cast<const unsigned char*>(p++);
    if (byte & 0x80) {
      result |= (byte & 0x7f) << shift;
    } else {
      result |= byte << shift;
      *v = result;
      return p;
    }
  }
  return nullptr;
}

bool GetVarint32(std::string_view* input, uint32_t* v) {
  const char* p = input->data();
  const char* limit = p + input->size();
  const char* q = GetVarint32Ptr(p, limit, v);
  if (q == nullptr)
    return false;
  input->remove_prefix(static_cast<size_t>(q - p));
  return true;
}

bool GetVarint64(std::string_view* input, uint64_t* v) {
  const char* p = input->data();
  const char* limit = p + input->size();
  const char* q = GetVarint64Ptr(p, limit, v);
  if (q == nullptr)
    return false;
  input->remove_prefix(static_cast<size_t>(q - p));
  return true;
}

bool GetFixed32(std::string_view* input, uint32_t* v) {
  if (input->size() < 4)
    return false;
  *v = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

bool GetFixed64(std::string_view* input, uint64_t* v) {
  if (input->size() < 8)
    return false;
  *v = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

void PutLengthPrefixed(std::string* dst, std::string_view value) {
  PutVarint32(dst, static_cast<uint32_t>(value.size()));
  dst->append(value);
}

bool GetLengthPrefixed(std::string_view* input, std::string_view* result) {
  uint32_t len;
  if (!GetVarint32(input, &len) || input->size() < len)
    return false;
  *result = input->substr(0, len);
  input->remove_prefix(len);
  return true;
}

int OrderedVarintLength(uint64_t v) {
  if (v <= 240)
    return 1;
  if (v <= 2287)
    return 2;
  if (v <= 67823)
    return 3;
  int n = 3;
  while (n < 8 && (v >> (8 * n)) != 0)
    ++n;
  return 1 + n;
}

char* EncodeOrderedVarint(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  if (v <= 240) {
    p[0] = static_cast<unsigned char>(v);
    return dst + 1;
  }
  if (v <= 2287) {
    v -= 240;
    p[0] = static_cast<unsigned char>(241 + (v >> 8));
    p[1] = static_cast<unsigned char>(v);
    return dst + 2;
  }
  if (v <= 67823) {
    v -= 2288;
    p[0] = 249;
    p[1] = static_cast<unsigned char>(v >> 8);
    p[2] = static_cast<unsigned char>(v);
    return dst + 3;
  }
  int n = OrderedVarintLength(v) - 1;
  p[0] = static_cast<unsigned char>(250 + (n - 3));
  for (int i = 0; i < n; ++i)
    p[1 + i] = static_cast<unsigned char>(v >> (8 * (n - 1 - i)));
  return dst + 1 + n;
}

void PutOrderedVarint(std::string* dst, uint64_t v) {
  char buf[kMaxOrderedVarintLength];
  dst->append(buf, static_cast<size_t>(EncodeOrderedVarint(buf, v) - buf));
}

bool GetOrderedVarint(std::string_view* input, uint64_t* v) {
  if (input->empty())
    return false;
  const auto* p = reinterpret_cast<const unsigned char*>(input->data());
  unsigned b0 = p[0];
  size_t len;
  uint64_t r;
  if (b0 <= 240) {
    len = 1;
    r = b0;
  } else if (b0 <= 248) {
    len = 2;
    if (input->size() < len)
      return false;
    r = 240 + (static_cast<uint64_t>(b0 - 241) << 8) + p[1];
    if (r <= 240)  // 0xf1 0x00 would be a second encoding of 240
      return false;
  } else if (b0 == 249) {
    len = 3;
    if (input->size() < len)
      return false;
    r = 2288 + (static_cast<uint64_t>(p[1]) << 8) + p[2];
  } else {
    size_t n = b0 - 250 + 3;
    len = 1 + n;
    if (input->size() < len)
      return false;
    r = 0;
    for (size_t i = 0; i < n; ++i)
      r = (r << 8) | p[1 + i];
    // Reject non-canonical forms: each value has exactly one encoding, so
    // equal keys always compare equal.
    if (OrderedVarintLength(r) != static_cast<int>(len))
      return false;
  }
  *v = r;
  input->remove_prefix(len);
  return true;
}

}  // namespace trine
