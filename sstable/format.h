// Table file pieces shared by the builder and the reader: block handles, the
// footer, and reading + verifying + decompressing one block. The file layout
// is described in table_builder.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trine/file_system.h"
#include "trine/status.h"

namespace trine {

constexpr uint64_t kTableMagic = 0x54524e4553535431ull;  // "TRNESST1"
constexpr uint32_t kTableFormatVersion = 1;

// Each block is followed by: type (1 byte: 0 = raw, 1 = zstd) and a
// checksum32 of the stored bytes plus the type byte, salted with the offset.
constexpr size_t kBlockTrailerSize = 5;
enum class BlockType : uint8_t { kRaw = 0, kZstd = 1 };

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;  // stored size, without the trailer
};

constexpr size_t kFooterSize = 4 * 12 + 4 + 4 + 8;  // 64

struct Footer {
  BlockHandle index;
  BlockHandle filter;      // size 0: no filter
  BlockHandle range_dels;  // size 0: no range tombstones
  BlockHandle properties;
  uint32_t format_version = kTableFormatVersion;

  void EncodeTo(std::string* dst) const;
  // `file` names the table in errors.
  Status DecodeFrom(std::string_view input, std::string_view file);
};

// Compresses `raw` with zstd at `level` into *out. Returns false if zstd failed.
bool ZstdCompress(std::string_view raw, int level, std::string* out);

// Reads the block at `handle`, verifies its checksum and decompresses it.
// Errors name `file` and the block's offset.
Status ReadBlock(const RandomAccessFile& file, std::string_view file_name,
                 const BlockHandle& handle, std::string* contents);

// Fixed-size handles in the footer; varint handles in index entries.
void EncodeHandleVarint(const BlockHandle& h, std::string* dst);
bool DecodeHandleVarint(std::string_view* input, BlockHandle* h);

}  // namespace trine
