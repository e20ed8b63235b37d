// FileSystem: the seam between Trine and the operating system.
//
// Everything the store reads or writes goes through this interface, so tests
// can inject failures (ENOSPC, EIO, failed fsync) or simulate a crash by
// dropping unsynced data (see common/fault_injection_fs.h).
// PosixFileSystem() is the default.
//
// Thread-safety: a FileSystem may be used from several threads at once. A
// WritableFile or SequentialFile is used by one thread at a time; a
// RandomAccessFile may be read concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trine/status.h"

namespace trine {

// An append-only file being written.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

// A file read from front to back (logs, the manifest).
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into `scratch`; *result points into scratch and is
  // shorter than n only at the end of the file.
  virtual Status Read(size_t n, char* scratch, std::string_view* result) = 0;
};

// A file read at arbitrary offsets (SSTables). Reads may run concurrently.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at `offset`; *result may point into scratch or into
  // memory owned by the file, and is shorter than n only past the end.
  virtual Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const = 0;
  virtual uint64_t Size() const = 0;
};

// An exclusive lock on a file, held until the object is destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates or truncates `path`.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  // Names (not paths) of the entries in `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Atomically replaces `to` with `from`.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Creates `dir` if it does not exist.
  virtual Status CreateDir(const std::string& dir) = 0;
  // Makes the directory's entries (created, renamed, removed files) durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive lock on `path` (creating it), shared by no other
  // process and no other lock in this process. Fails with Status::Busy if held.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// The operating system's file system. Never destroyed; safe to share.
std::shared_ptr<FileSystem> PosixFileSystem();

}  // namespace trine
