#include "trine/status.h"

#include <string>

namespace trine {

namespace {
const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kNotFound:
      return "Not found";
    case Status::Code::kCorruption:
      return "Corruption";
    case Status::Code::kInvalidArgument:
      return "Invalid argument";
    case Status::Code::kIOError:
      return "IO error";
    case Status::Code::kNotSupported:
      return "Not supported";
    case Status::Code::kBusy:
      return "Busy";
    case Status::Code::kReadOnly:
      return "Read-only";
    case Status::Code::kAborted:
      return "Aborted";
    case Status::Code::kConflict:
      return "Conflict";
  }
  return "Unknown";
}
}  // namespace

std::string Status::ToString() const {
  if (ok())
    return "OK";
  std::string s = CodeName(code_);
  if (!msg_.empty()) {
    s += ": ";
    s += msg_;
  }
  return s;
}

Status Status::WithContext(std::string_view context) const {
  if (ok())
    return *this;
  std::string m(context);
  m += ": ";
  m += msg_;
  return Status(code_, m);
}

}  // namespace trine
