// FaultInjectionFileSystem: a FileSystem wrapper for tests that makes writes,
// syncs and reads fail on command, and can simulate power loss by dropping
// whatever was not fsynced.
//
//   auto fs = std::make_shared<FaultInjectionFileSystem>(PosixFileSystem());
//   options.file_system = fs;
//   fs->FailWritesAfter(3, FaultKind::kNoSpace);   // the 4th Append fails with ENOSPC
//   fs->FailSyncs(true);                           // every Sync fails with EIO
//   fs->DropUnsyncedData();                        // "power loss": truncate files to their synced
//   size
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "trine/file_system.h"

namespace trine {

enum class FaultKind : unsigned char {
  kIOError,  // EIO
  kNoSpace,  // ENOSPC
};

class FaultInjectionFileSystem : public FileSystem {
 public:
  explicit FaultInjectionFileSystem(std::shared_ptr<FileSystem> base);

  // After `n` more successful WritableFile::Append calls, every Append fails
  // (until Reset). n = 0 fails the next one.
  void FailWritesAfter(int64_t n, FaultKind kind = FaultKind::kIOError);
  // While on, every WritableFile::Sync and FileSystem::SyncDir fails with EIO.
  void FailSyncs(bool on);
  // While on, creating, renaming and removing files fails with EIO.
  void FailFileOps(bool on);
  // While on, RandomAccessFile and SequentialFile reads fail with EIO.
  void FailReads(bool on);
  // Turns every fault off.
  void Reset();

  // Truncates every file written through this object to the size it had at
  // its last successful Sync (files never synced become empty), as if the
  // machine lost power. Call only while no DB uses this file system.
  Status DropUnsyncedData();

  // Number of faults injected so far.
  int64_t injected() const { return injected_.load(); }

  // FileSystem
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Result<uint64_t> GetFileSize(const std::string& path) override;
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

  // Used by the wrapped files.
  Status MaybeFailWrite(const std::string& path);
  Status MaybeFailSync(const std::string& path);
  Status MaybeFailRead(const std::string& path);
  void RecordSize(const std::string& path, uint64_t written, bool synced);

 private:
  struct FileState {
    uint64_t written = 0;
    uint64_t synced = 0;
  };

  std::shared_ptr<FileSystem> base_;
  std::atomic<int64_t> writes_left_{-1};  // < 0: no write faults
  std::atomic<FaultKind> write_kind_{FaultKind::kIOError};
  std::atomic<bool> fail_syncs_{false};
  std::atomic<bool> fail_file_ops_{false};
  std::atomic<bool> fail_reads_{false};
  std::atomic<int64_t> injected_{0};

  std::mutex mu_;
  std::map<std::string, FileState> files_;  // guarded by mu_
};

}  // namespace trine
