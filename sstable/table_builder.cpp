// Table file format (version 1):
//
//   data block 1 .. data block n      entries in internal order, ~block_size each
//   filter block                      bloom filter over the user keys (bloom/bloom.h); optional
//   range-deletion block              one entry per range tombstone: key = begin,
//                                     tag = seq << 8 | kRangeDelete, value = end; optional
//   properties block                  TableProperties::EncodeTo
//   index block                       one entry per data block: a key >= every entry of
//                                     the block and < every entry of the next, value =
//                                     varint offset + varint size of the block
//   footer (64 bytes)                 fixed32/64 handles of index, filter, range-deletion
//                                     and properties blocks (offset: fixed64, size: fixed32
//                                     each), format version: fixed32, checksum32 of the
//                                     preceding 52 bytes, magic: fixed64
//
// Every block uses the block format of block_builder.cpp (except filter and
// properties, which are raw bytes) and is followed by a 5-byte trailer: type
// (0 raw, 1 zstd: varint32 raw size + zstd frame) and checksum32 over the
// stored bytes and the type, salted with the block's offset
// (common/hash.h). Blocks are compressed only when that saves at least
// min_compression_savings of their size.
#include "sstable/table_builder.h"

#include <algorithm>
#include <cassert>

#include "common/coding.h"
#include "common/hash.h"

namespace trine {

namespace {
constexpr size_t kWriteBufferSize = 256 << 10;

// A short key k with a <= k < b (or a itself), so index entries stay small.
std::string ShortSeparator(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i])
    ++i;
  if (i < n) {
    auto c = static_cast<uint8_t>(a[i]);
    if (c < 0xff && c + 1 < static_cast<uint8_t>(b[i])) {
      std::string sep(a.substr(0, i + 1));
      sep[i] = static_cast<char>(c + 1);
      return sep;
    }
  }
  return std::string(a);
}
}  // namespace

void TableProperties::EncodeTo(std::string* dst) const {
  PutVarint64(dst, num_entries);
  PutVarint64(dst, num_deletions);
  PutVarint64(dst, num_range_deletions);
  PutVarint64(dst, num_data_blocks);
  PutVarint64(dst, raw_key_bytes);
  PutVarint64(dst, raw_value_bytes);
  PutVarint64(dst, data_bytes);
  PutVarint64(dst, min_seq);
  PutVarint64(dst, max_seq);
  PutLengthPrefixed(dst, smallest_key);
  PutLengthPrefixed(dst, largest_key);
}

bool TableProperties::DecodeFrom(std::string_view in) {
  std::string_view s, l;
  if (!GetVarint64(&in, &num_entries) || !GetVarint64(&in, &num_deletions) ||
      !GetVarint64(&in, &num_range_deletions) || !GetVarint64(&in, &num_data_blocks) ||
      !GetVarint64(&in, &raw_key_bytes) || !GetVarint64(&in, &raw_value_bytes) ||
      !GetVarint64(&in, &data_bytes) || !GetVarint64(&in, &min_seq) ||
      !GetVarint64(&in, &max_seq) || !GetLengthPrefixed(&in, &s) || !GetLengthPrefixed(&in, &l)) {
    return false;
  }
  smallest_key.assign(s);
  largest_key.assign(l);
  return true;
}

TableBuilder::TableBuilder(const TableOptions& options, std::unique_ptr<WritableFile> file,
                           std::string file_name)
    : options_(options),
      file_(std::move(file)),
      file_name_(std::move(file_name)),
      data_block_(options.restart_interval),
      index_block_(1),
      filter_(options.bloom_bits_per_key) {}

TableBuilder::~TableBuilder() {
  if (!finished_)
    Abandon();
}

void TableBuilder::Add(std::string_view user_key, uint64_t tag, std::string_view value) {
  assert(props_.num_entries == 0 || CompareInternal(last_key_, last_tag_, user_key, tag) < 0);
  if (!status_.ok())
    return;
  if (pending_index_) {
    std::string sep = ShortSeparator(last_key_, user_key);
    uint64_t sep_tag = sep == last_key_ ? last_tag_ : kMaxTag;
    std::string handle;
    EncodeHandleVarint(pending_handle_, &handle);
    index_block_.Add(sep, sep_tag, handle);
    pending_index_ = false;
  }
  if (options_.bloom_bits_per_key > 0)
    filter_.AddKey(user_key);
  if (props_.num_entries == 0)
    props_.smallest_key.assign(user_key);
  SequenceNumber seq = TagSequence(tag);
  props_.min_seq = std::min(props_.min_seq, seq);
  props_.max_seq = std::max(props_.max_seq, seq);
  props_.num_entries++;
  if (TagKind(tag) == ValueKind::kDelete)
    props_.num_deletions++;
  props_.raw_key_bytes += user_key.size();
  props_.raw_value_bytes += value.size();
  last_key_.assign(user_key);
  last_tag_ = tag;
  data_block_.Add(user_key, tag, value);
  if (data_block_.EstimatedSize() >= options_.block_size)
    FlushDataBlock();
}

void TableBuilder::AddRangeTombstone(std::string_view begin, std::string_view end,
                                     SequenceNumber seq) {
  tombstones_.push_back(RangeTombstone{std::string(begin), std::string(end), seq});
  props_.min_seq = std::min(props_.min_seq, seq);
  props_.max_seq = std::max(props_.max_seq, seq);
}

void TableBuilder::FlushDataBlock() {
  if (data_block_.num_entries() == 0 || !status_.ok())
    return;
  std::string_view raw = data_block_.Finish();
  pending_handle_ = WriteBlock(raw, options_.compress);
  props_.data_bytes += pending_handle_.size + kBlockTrailerSize;
  props_.num_data_blocks++;
  pending_index_ = true;
  data_block_.Reset();
}

BlockHandle TableBuilder::WriteBlock(std::string_view raw, bool try_compress) {
  std::string_view stored = raw;
  auto type = BlockType::kRaw;
  if (try_compress && ZstdCompress(raw, options_.zstd_level, &compressed_) &&
      static_cast<double>(compressed_.size()) <=
          static_cast<double>(raw.size()) * (1.0 - options_.min_compression_savings)) {
    stored = compressed_;
    type = BlockType::kZstd;
  }
  BlockHandle h{offset_, stored.size()};
  char trailer[kBlockTrailerSize];
  trailer[0] = static_cast<char>(type);
  // The checksum covers the stored bytes and the type byte.
  std::string_view with_type;
  out_.append(stored);
  out_.push_back(trailer[0]);
  with_type = std::string_view(out_.data() + out_.size() - stored.size() - 1, stored.size() + 1);
  EncodeFixed32(trailer + 1, Checksum32(with_type, offset_));
  out_.append(trailer + 1, 4);
  offset_ += stored.size() + kBlockTrailerSize;
  if (out_.size() >= kWriteBufferSize)
    FlushBuffer();
  return h;
}

void TableBuilder::WriteRaw(std::string_view data) {
  out_.append(data);
  offset_ += data.size();
}

void TableBuilder::FlushBuffer() {
  if (out_.empty() || !status_.ok())
    return;
  status_ = file_->Append(out_);
  out_.clear();
}

Status TableBuilder::Finish() {
  assert(!finished_);
  FlushDataBlock();
  Footer footer;
  if (options_.bloom_bits_per_key > 0 && props_.num_entries > 0) {
    std::string filter = filter_.Finish();
    footer.filter = WriteBlock(filter, false);
  }
  if (!tombstones_.empty()) {
    std::sort(tombstones_.begin(), tombstones_.end(), [](const auto& a, const auto& b) {
      return CompareInternal(a.begin, PackTag(a.seq, ValueKind::kRangeDelete), b.begin,
                             PackTag(b.seq, ValueKind::kRangeDelete)) < 0;
    });
    BlockBuilder rd(16);
    for (const auto& t : tombstones_) {
      rd.Add(t.begin, PackTag(t.seq, ValueKind::kRangeDelete), t.end);
    }
    footer.range_dels = WriteBlock(rd.Finish(), true);
    props_.num_range_deletions = tombstones_.size();
  }
  props_.largest_key = props_.num_entries > 0 ? last_key_ : std::string();
  std::string props;
  props_.EncodeTo(&props);
  footer.properties = WriteBlock(props, false);
  if (pending_index_) {
    std::string handle;
    EncodeHandleVarint(pending_handle_, &handle);
    index_block_.Add(last_key_, last_tag_, handle);
    pending_index_ = false;
  }
  footer.index = WriteBlock(index_block_.Finish(), false);
  std::string f;
  footer.EncodeTo(&f);
  WriteRaw(f);
  FlushBuffer();
  if (status_.ok())
    status_ = file_->Sync();
  if (status_.ok())
    status_ = file_->Close();
  finished_ = true;
  return status_;
}

void TableBuilder::Abandon() {
  if (finished_)
    return;
  finished_ = true;
  (void)file_->Close();
}

}  // namespace trine
