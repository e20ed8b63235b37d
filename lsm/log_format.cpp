#include "lsm/log_format.h"

#include "common/coding.h"
#include "common/hash.h"

namespace trine {

void EncodeLogRecord(std::string_view payload, std::string* dst) {
  char header[kLogHeaderSize];
  EncodeFixed32(header, static_cast<uint32_t>(payload.size()));
  EncodeFixed32(header + 4, Checksum32(payload));
  EncodeFixed32(header + 8, Checksum32(std::string_view(header, 8)));
  dst->append(header, kLogHeaderSize);
  dst->append(payload);
}

LogReader::LogReader(std::string contents, std::string file_name)
    : data_(std::move(contents)), file_name_(std::move(file_name)) {}

bool LogReader::RestIsZero(size_t from) const {
  for (size_t i = from; i < data_.size(); ++i) {
    if (data_[i] != 0)
      return false;
  }
  return true;
}

bool LogReader::ReadRecord(std::string_view* record) {
  if (done_)
    return false;
  size_t left = data_.size() - pos_;
  if (left == 0) {
    done_ = true;
    return false;
  }
  auto corrupt = [&](const char* what) {
    status_ = Status::Corruption(file_name_ + ": " + what + " at offset " + std::to_string(pos_));
    done_ = true;
    return false;
  };
  if (left < kLogHeaderSize) {
    torn_tail_ = true;  // a header cut short by a crash
    done_ = true;
    return false;
  }
  const char* h = data_.data() + pos_;
  if (Checksum32(std::string_view(h, 8)) != DecodeFixed32(h + 8)) {
    if (RestIsZero(pos_)) {
      torn_tail_ = true;
      done_ = true;
      return false;
    }
    return corrupt("log record header checksum mismatch");
  }
  uint32_t len = DecodeFixed32(h);
  if (len > left - kLogHeaderSize) {
    torn_tail_ = true;  // the last write was cut short
    done_ = true;
    return false;
  }
  std::string_view payload(h + kLogHeaderSize, len);
  if (Checksum32(payload) != DecodeFixed32(h + 4)) {
    return corrupt("log record checksum mismatch");
  }
  record_offset_ = pos_;
  pos_ += kLogHeaderSize + len;
  *record = payload;
  return true;
}

Result<std::string> ReadFileToString(FileSystem* fs, const std::string& path) {
  TRINE_ASSIGN_OR_RETURN(auto file, fs->NewSequentialFile(path));
  std::string out;
  constexpr size_t kChunk = 1 << 20;
  while (true) {
    size_t old = out.size();
    out.resize(old + kChunk);
    std::string_view got;
    TRINE_RETURN_IF_ERROR(file->Read(kChunk, out.data() + old, &got));
    if (got.data() != out.data() + old)
      std::memmove(out.data() + old, got.data(), got.size());
    out.resize(old + got.size());
    if (got.size() < kChunk)
      break;
  }
  return out;
}

}  // namespace trine
