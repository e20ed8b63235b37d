// Status and Result<T>: how every Trine module reports failure.
//
// A Status is either OK or carries a code and a message. Messages name the
// place of the problem ("000012.sst: block checksum mismatch at offset 8192").
// Result<T> holds either a value or a non-OK Status, like absl::StatusOr:
//
//   Result<std::unique_ptr<DB>> db = DB::Open(options, "/data/store");
//   if (!db.ok()) return db.status();
//   (*db)->Put(...);
//
// Returned Status and Result objects may not be ignored.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace trine {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound,
    kCorruption,
    kInvalidArgument,
    kIOError,
    kNotSupported,
    kBusy,      // e.g. the store is locked by another process
    kReadOnly,  // the store refused a write after an earlier write error
    kAborted,
    kConflict,  // a transaction lost an optimistic-concurrency race; retry it
  };

  Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status NotSupported(std::string_view msg) { return Status(Code::kNotSupported, msg); }
  static Status Busy(std::string_view msg) { return Status(Code::kBusy, msg); }
  static Status ReadOnly(std::string_view msg) { return Status(Code::kReadOnly, msg); }
  static Status Aborted(std::string_view msg) { return Status(Code::kAborted, msg); }
  static Status Conflict(std::string_view msg) { return Status(Code::kConflict, msg); }
  // A status of the given code (e.g. to re-word another status's message).
  static Status Make(Code code, std::string_view msg) { return Status(code, msg); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsReadOnly() const { return code_ == Code::kReadOnly; }
  bool IsAborted() const { return code_ == Code::kAborted; }
  bool IsConflict() const { return code_ == Code::kConflict; }

  Code code() const { return code_; }
  const std::string& message() const { return msg_; }

  // "Corruption: 000012.sst: block checksum mismatch at offset 8192", or "OK".
  std::string ToString() const;

  // A copy whose message is prefixed with `context` ("open /data: ...").
  Status WithContext(std::string_view context) const;

 private:
  Status(Code code, std::string_view msg) : code_(code), msg_(msg) {}

  Code code_ = Code::kOk;
  std::string msg_;
};

// Holds a T or the non-OK Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok()
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok());
  }
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  // OK when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace trine

// Evaluates `expr` (a Status) and returns it from the enclosing function if it is not OK.
#define TRINE_RETURN_IF_ERROR(expr)     \
  do {                                  \
    ::trine::Status _trine_st = (expr); \
    if (!_trine_st.ok())                \
      return _trine_st;                 \
  } while (0)

#define TRINE_CONCAT_INNER(a, b) a##b
#define TRINE_CONCAT(a, b) TRINE_CONCAT_INNER(a, b)

// Declares `lhs` from a Result-valued `expr`, or returns its Status from the enclosing function.
//   TRINE_ASSIGN_OR_RETURN(auto file, fs->NewWritableFile(path));
#define TRINE_ASSIGN_OR_RETURN(lhs, expr) \
  TRINE_ASSIGN_OR_RETURN_IMPL(TRINE_CONCAT(_trine_res_, __LINE__), lhs, expr)
#define TRINE_ASSIGN_OR_RETURN_IMPL(res, lhs, expr) \
  auto res = (expr);                                \
  if (!res.ok())                                    \
    return res.status();                            \
  lhs = std::move(res).value()
