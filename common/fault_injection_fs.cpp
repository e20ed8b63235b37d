#include "common/fault_injection_fs.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace trine {

namespace {

const char* KindName(FaultKind kind) {
  return kind == FaultKind::kNoSpace ? "ENOSPC" : "EIO";
}

Status Injected(const char* errname, const char* what, const std::string& path) {
  return Status::IOError(std::string("injected fault: ") + errname + " " + what + " " + path);
}

// The wrappers keep a raw pointer to the file system: tests keep the
// FaultInjectionFileSystem alive (it is shared by the DB's Options) for as
// long as any file it opened.
class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionFileSystem* fs, std::string path,
                    std::unique_ptr<WritableFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    TRINE_RETURN_IF_ERROR(fs_->MaybeFailWrite(path_));
    Status s = base_->Append(data);
    if (s.ok()) {
      written_ += data.size();
      fs_->RecordSize(path_, written_, /*synced=*/false);
    }
    return s;
  }

  Status Sync() override {
    TRINE_RETURN_IF_ERROR(fs_->MaybeFailSync(path_));
    // The size is taken before the sync: an Append racing with it (not
    // allowed by the WritableFile contract anyway) must not count as synced.
    uint64_t size = written_;
    Status s = base_->Sync();
    if (s.ok())
      fs_->RecordSize(path_, size, /*synced=*/true);
    return s;
  }

  Status Close() override { return base_->Close(); }

 private:
  FaultInjectionFileSystem* fs_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
  uint64_t written_ = 0;
};

class FaultSequentialFile final : public SequentialFile {
 public:
  FaultSequentialFile(FaultInjectionFileSystem* fs, std::string path,
                      std::unique_ptr<SequentialFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  Status Read(size_t n, char* scratch, std::string_view* result) override {
    TRINE_RETURN_IF_ERROR(fs_->MaybeFailRead(path_));
    return base_->Read(n, scratch, result);
  }

 private:
  FaultInjectionFileSystem* fs_;
  std::string path_;
  std::unique_ptr<SequentialFile> base_;
};

class FaultRandomAccessFile final : public RandomAccessFile {
 public:
  FaultRandomAccessFile(FaultInjectionFileSystem* fs, std::string path,
                        std::unique_ptr<RandomAccessFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const override {
    TRINE_RETURN_IF_ERROR(fs_->MaybeFailRead(path_));
    return base_->Read(offset, n, scratch, result);
  }

  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultInjectionFileSystem* fs_;
  std::string path_;
  std::unique_ptr<RandomAccessFile> base_;
};

}  // namespace

FaultInjectionFileSystem::FaultInjectionFileSystem(std::shared_ptr<FileSystem> base)
    : base_(std::move(base)) {}

void FaultInjectionFileSystem::FailWritesAfter(int64_t n, FaultKind kind) {
  write_kind_.store(kind);
  writes_left_.store(n < 0 ? 0 : n);
}

void FaultInjectionFileSystem::FailSyncs(bool on) {
  fail_syncs_.store(on);
}
void FaultInjectionFileSystem::FailFileOps(bool on) {
  fail_file_ops_.store(on);
}
void FaultInjectionFileSystem::FailReads(bool on) {
  fail_reads_.store(on);
}

void FaultInjectionFileSystem::Reset() {
  writes_left_.store(-1);
  fail_syncs_.store(false);
  fail_file_ops_.store(false);
  fail_reads_.store(false);
}

Status FaultInjectionFileSystem::MaybeFailWrite(const std::string& path) {
  // Counts down the successful Appends left; a CAS loop so that concurrent
  // writers (the log writer and a flush) consume exactly n successes.
  int64_t left = writes_left_.load();
  while (left > 0) {
    if (writes_left_.compare_exchange_weak(left, left - 1))
      return Status::OK();
  }
  if (left < 0)
    return Status::OK();
  injected_.fetch_add(1);
  return Injected(KindName(write_kind_.load()), "writing", path);
}

Status FaultInjectionFileSystem::MaybeFailSync(const std::string& path) {
  if (!fail_syncs_.load())
    return Status::OK();
  injected_.fetch_add(1);
  return Injected("EIO", "syncing", path);
}

Status FaultInjectionFileSystem::MaybeFailRead(const std::string& path) {
  if (!fail_reads_.load())
    return Status::OK();
  injected_.fetch_add(1);
  return Injected("EIO", "reading", path);
}

void FaultInjectionFileSystem::RecordSize(const std::string& path, uint64_t written, bool synced) {
  std::lock_guard<std::mutex> lock(mu_);
  FileState& st = files_[path];
  st.written = written;
  if (synced)
    st.synced = written;
}

Status FaultInjectionFileSystem::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(mu_);
  Status first;
  for (auto& [path, st] : files_) {
    // Truncate even when written == synced: a write that raced with an
    // earlier drop (see crash_test.cpp) may have extended the file since.
    if (::truncate(path.c_str(), static_cast<off_t>(st.synced)) != 0) {
      if (errno == ENOENT)
        continue;  // removed behind our back: nothing to drop
      if (first.ok()) {
        first = Status::IOError("truncate " + path + ": " + std::strerror(errno));
      }
      continue;
    }
    st.written = st.synced;
  }
  return first;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::NewWritableFile(
    const std::string& path) {
  if (fail_file_ops_.load()) {
    injected_.fetch_add(1);
    return Injected("EIO", "creating", path);
  }
  auto file = base_->NewWritableFile(path);
  if (!file.ok())
    return file.status();
  {
    // Creating truncates: nothing of this file is synced any more.
    std::lock_guard<std::mutex> lock(mu_);
    files_[path] = FileState{};
  }
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultWritableFile>(this, path, std::move(*file)));
}

Result<std::unique_ptr<SequentialFile>> FaultInjectionFileSystem::NewSequentialFile(
    const std::string& path) {
  auto file = base_->NewSequentialFile(path);
  if (!file.ok())
    return file.status();
  return std::unique_ptr<SequentialFile>(
      std::make_unique<FaultSequentialFile>(this, path, std::move(*file)));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionFileSystem::NewRandomAccessFile(
    const std::string& path) {
  auto file = base_->NewRandomAccessFile(path);
  if (!file.ok())
    return file.status();
  return std::unique_ptr<RandomAccessFile>(
      std::make_unique<FaultRandomAccessFile>(this, path, std::move(*file)));
}

bool FaultInjectionFileSystem::FileExists(const std::string& path) {
  return base_->FileExists(path);
}

Result<uint64_t> FaultInjectionFileSystem::GetFileSize(const std::string& path) {
  return base_->GetFileSize(path);
}

Result<std::vector<std::string>> FaultInjectionFileSystem::GetChildren(const std::string& dir) {
  return base_->GetChildren(dir);
}

Status FaultInjectionFileSystem::RemoveFile(const std::string& path) {
  if (fail_file_ops_.load()) {
    injected_.fetch_add(1);
    return Injected("EIO", "removing", path);
  }
  TRINE_RETURN_IF_ERROR(base_->RemoveFile(path));
  std::lock_guard<std::mutex> lock(mu_);
  files_.erase(path);
  return Status::OK();
}

Status FaultInjectionFileSystem::RenameFile(const std::string& from, const std::string& to) {
  if (fail_file_ops_.load()) {
    injected_.fetch_add(1);
    return Injected("EIO", "renaming", from);
  }
  TRINE_RETURN_IF_ERROR(base_->RenameFile(from, to));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(from);
  if (it == files_.end()) {
    // `from` predates this object (taken as fully synced): so is `to` now.
    files_.erase(to);
    return Status::OK();
  }
  FileState st = it->second;
  files_.erase(it);
  files_[to] = st;
  return Status::OK();
}

Status FaultInjectionFileSystem::CreateDir(const std::string& dir) {
  return base_->CreateDir(dir);
}

Status FaultInjectionFileSystem::SyncDir(const std::string& dir) {
  TRINE_RETURN_IF_ERROR(MaybeFailSync(dir));
  return base_->SyncDir(dir);
}

Result<std::unique_ptr<FileLock>> FaultInjectionFileSystem::LockFile(const std::string& path) {
  return base_->LockFile(path);
}

}  // namespace trine
