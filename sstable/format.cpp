#include "sstable/format.h"

#include <memory>

#include <zstd.h>

#include "common/coding.h"
#include "common/hash.h"

namespace trine {

namespace {
void PutHandleFixed(std::string* dst, const BlockHandle& h) {
  PutFixed64(dst, h.offset);
  PutFixed32(dst, static_cast<uint32_t>(h.size));
}
BlockHandle GetHandleFixed(const char* p) {
  return BlockHandle{DecodeFixed64(p), DecodeFixed32(p + 8)};
}

struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};
// One context pair per thread: creating them per block would cost more than
// compressing a 4 KiB block.
ZstdContexts& Zstd() {
  thread_local ZstdContexts ctx;
  return ctx;
}
}  // namespace

void Footer::EncodeTo(std::string* dst) const {
  size_t start = dst->size();
  PutHandleFixed(dst, index);
  PutHandleFixed(dst, filter);
  PutHandleFixed(dst, range_dels);
  PutHandleFixed(dst, properties);
  PutFixed32(dst, format_version);
  PutFixed32(dst, Checksum32(std::string_view(dst->data() + start, dst->size() - start)));
  PutFixed64(dst, kTableMagic);
}

Status Footer::DecodeFrom(std::string_view input, std::string_view file) {
  if (input.size() != kFooterSize) {
    return Status::Corruption(std::string(file) + ": file too short to be a table");
  }
  const char* p = input.data();
  if (DecodeFixed64(p + kFooterSize - 8) != kTableMagic) {
    return Status::Corruption(std::string(file) + ": bad table magic number in footer");
  }
  uint32_t expected = DecodeFixed32(p + kFooterSize - 12);
  if (Checksum32(std::string_view(p, kFooterSize - 12)) != expected) {
    return Status::Corruption(std::string(file) + ": footer checksum mismatch");
  }
  format_version = DecodeFixed32(p + 48);
  if (format_version > kTableFormatVersion) {
    return Status::NotSupported(std::string(file) + ": table format version " +
                                std::to_string(format_version) + " is newer than supported (" +
                                std::to_string(kTableFormatVersion) + ")");
  }
  index = GetHandleFixed(p);
  filter = GetHandleFixed(p + 12);
  range_dels = GetHandleFixed(p + 24);
  properties = GetHandleFixed(p + 36);
  return Status::OK();
}

bool ZstdCompress(std::string_view raw, int level, std::string* out) {
  size_t bound = ZSTD_compressBound(raw.size());
  out->resize(bound + 5);
  char* p = EncodeVarint32(out->data(), static_cast<uint32_t>(raw.size()));
  size_t header = static_cast<size_t>(p - out->data());
  size_t n = ZSTD_compressCCtx(Zstd().c, p, bound, raw.data(), raw.size(), level);
  if (ZSTD_isError(n))
    return false;
  out->resize(header + n);
  return true;
}

Status ReadBlock(const RandomAccessFile& file, std::string_view file_name,
                 const BlockHandle& handle, std::string* contents) {
  auto where = [&] {
    return std::string(file_name) + ": block at offset " + std::to_string(handle.offset);
  };
  if (handle.offset > file.Size() ||
      handle.size + kBlockTrailerSize > file.Size() - handle.offset) {
    return Status::Corruption(where() + " extends past the end of the file");
  }
  size_t n = static_cast<size_t>(handle.size) + kBlockTrailerSize;
  std::string buf;
  buf.resize(n);
  std::string_view got;
  TRINE_RETURN_IF_ERROR(file.Read(handle.offset, n, buf.data(), &got));
  if (got.size() != n)
    return Status::Corruption(where() + ": truncated read");
  uint32_t expected = DecodeFixed32(got.data() + handle.size + 1);
  if (Checksum32(got.substr(0, handle.size + 1), handle.offset) != expected) {
    return Status::Corruption(where() + ": block checksum mismatch");
  }
  auto type = static_cast<BlockType>(got[handle.size]);
  if (type == BlockType::kRaw) {
    if (got.data() == buf.data()) {
      buf.resize(handle.size);
      *contents = std::move(buf);
    } else {
      contents->assign(got.data(), handle.size);
    }
    return Status::OK();
  }
  if (type != BlockType::kZstd)
    return Status::Corruption(where() + ": unknown block type");
  std::string_view in = got.substr(0, handle.size);
  uint32_t raw_size;
  if (!GetVarint32(&in, &raw_size))
    return Status::Corruption(where() + ": bad compressed header");
  contents->resize(raw_size);
  size_t r = ZSTD_decompressDCtx(Zstd().d, contents->data(), raw_size, in.data(), in.size());
  if (ZSTD_isError(r) || r != raw_size) {
    return Status::Corruption(where() + ": zstd decompression failed");
  }
  return Status::OK();
}

void EncodeHandleVarint(const BlockHandle& h, std::string* dst) {
  PutVarint64(dst, h.offset);
  PutVarint64(dst, h.size);
}

bool DecodeHandleVarint(std::string_view* input, BlockHandle* h) {
  return GetVarint64(input, &h->offset) && GetVarint64(input, &h->size);
}

}  // namespace trine
