// Store directory format: see lsm/filename.h. The TRINE marker file holds
// "trine-store <format version>\n"; a store of a newer version is refused.
#include "lsm/db_impl.h"

#include <algorithm>
#include <cassert>
#include <chrono>

#include "common/coding.h"
#include "common/thread_priority.h"
#include "lsm/db_iter.h"
#include "lsm/filename.h"
#include "lsm/log_format.h"
#include "lsm/merging_iterator.h"
#include "lsm/write_batch_internal.h"

namespace trine {

namespace {

constexpr uint32_t kStoreFormatVersion = 1;
constexpr const char* kMarkerPrefix = "trine-store ";
constexpr size_t kMaxGroupBytes = 1 << 20;

uint64_t NowMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void UpdateMax(std::atomic<uint64_t>* a, uint64_t v) {
  uint64_t cur = a->load(std::memory_order_relaxed);
  while (v > cur && !a->compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

std::string BaseName(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

class SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(SequenceNumber seq) : seq_(seq) {}
  ~SnapshotImpl() override = default;
  uint64_t sequence() const override { return seq_; }

 private:
  SequenceNumber seq_;
};

}  // namespace

// ------------------------------------------------------------------ WalWriter

WalWriter::~WalWriter() {
  (void)Close();
}

uint64_t WalWriter::Append(std::string_view records) {
  std::lock_guard<std::mutex> lock(buf_mu_);
  buf_.append(records);
  appended_ += records.size();
  return appended_;
}

bool WalWriter::HasUnwritten() const {
  if (has_previous_.load(std::memory_order_relaxed))
    return true;  // the older log may still hold buffered records
  std::lock_guard<std::mutex> lock(buf_mu_);
  return !buf_.empty();
}

bool WalWriter::HasUnsynced() const {
  return synced_.load(std::memory_order_relaxed) < written_.load(std::memory_order_relaxed) ||
         HasUnwritten() || has_previous_.load(std::memory_order_relaxed);
}

Status WalWriter::Persist(bool sync) {
  std::lock_guard<std::mutex> io(io_mu_);
  if (!error_.ok())
    return error_;
  if (!file_)
    return Status::IOError(name_ + ": log is closed");
  // The older log's records go to disk before any of this one's, so after a
  // crash a newer log never holds commits the older one lost.
  if (previous_) {
    Status s = previous_->Persist(sync);
    if (!s.ok()) {
      error_ = s;
      return s;
    }
    if (sync) {
      previous_.reset();  // synced for good: close it
      has_previous_.store(false, std::memory_order_relaxed);
    }
  }
  std::string data;
  {
    std::lock_guard<std::mutex> lock(buf_mu_);
    data.swap(buf_);
  }
  Status s;
  if (!data.empty()) {
    s = file_->Append(data);
    if (s.ok())
      written_.fetch_add(data.size(), std::memory_order_relaxed);
  }
  if (s.ok() && sync && fs_ != nullptr) {
    // A durable commit in a new log needs the log's name to survive a power loss too.
    s = fs_->SyncDir(dir_);
    if (s.ok())
      fs_ = nullptr;
  }
  if (s.ok() && sync && synced_.load(std::memory_order_relaxed) < written_.load()) {
    s = file_->Sync();
    if (s.ok())
      synced_.store(written_.load(), std::memory_order_relaxed);
  }
  if (!s.ok())
    error_ = s;
  return s;
}

Status WalWriter::Close() {
  std::lock_guard<std::mutex> io(io_mu_);
  if (!file_)
    return Status::OK();
  Status s = file_->Close();
  file_.reset();
  return s;
}

// --------------------------------------------------------------------- Writer

struct DBImpl::Writer {
  const WriteBatch* batch = nullptr;  // null: a forced memtable switch
  bool durable = false;
  bool force_switch = false;
  bool done = false;
  Status status;
  std::condition_variable cv;
};

// ------------------------------------------------------------------- Open

Result<std::unique_ptr<DB>> DB::Open(const Options& options, const std::string& path) {
  if (path.empty())
    return Status::InvalidArgument("store path is empty");
  if (options.num_levels < 2 || options.num_levels > 16) {
    return Status::InvalidArgument("num_levels must be within 2..16");
  }
  if (!options.file_system)
    return Status::InvalidArgument("options.file_system is null");
  std::string dir = path;
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  auto db = std::make_unique<DBImpl>(options, dir);
  Status s = db->Open();
  if (!s.ok())
    return s;
  return std::unique_ptr<DB>(std::move(db));
}

DBImpl::DBImpl(const Options& options, std::string dir)
    : options_(options), dir_(std::move(dir)), fs_(options_.file_system.get()) {
  table_options_.block_size = std::max<size_t>(256, options.block_size);
  table_options_.restart_interval = options.block_restart_interval;
  table_options_.bloom_bits_per_key = options.bloom_bits_per_key;
  table_options_.compress = options.compression == Compression::kZstd;
  table_options_.zstd_level = options.zstd_level;
  table_options_.min_compression_savings = options.min_compression_savings;
  if (options.block_cache_bytes > 0) {
    block_cache_ = std::make_shared<BlockCache>(options.block_cache_bytes);
  }
  table_cache_ = std::make_unique<TableCache>(options.file_system, dir_, block_cache_);
  versions_ = std::make_unique<VersionSet>(options_, dir_, table_cache_.get());
  // Memtable memory comes faulted in by the pool's thread. What a flushed
  // memtable gives back is not kept beyond the blocks kept ready: keeping
  // 1.5 memtables' worth for the next ones raised trine_bench's peak RSS
  // (1M keys, 16 B values: 275 MiB, 237 without), and the thread's faulting
  // ahead is what keeps page faults out of commits.
  mem_pool_ = std::make_shared<MemPool>(/*keep_bytes=*/0);
  order_in_background_ =
      options_.order_memtable_in_background && std::thread::hardware_concurrency() > 1;
  level_stats_.resize(static_cast<size_t>(options.num_levels));
}

DBImpl::~DBImpl() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    shutting_down_ = true;
    bg_cv_.notify_all();
    done_cv_.notify_all();
  }
  if (flush_thread_.joinable())
    flush_thread_.join();
  if (compaction_thread_.joinable())
    compaction_thread_.join();
  if (wal_thread_.joinable())
    wal_thread_.join();
  if (wal_) {
    // A clean close makes every commit durable.
    (void)wal_->Persist(true);
    (void)wal_->Close();
  }
}

Status DBImpl::CheckMarker(bool* exists) {
  std::string path = MarkerFileName(dir_);
  *exists = fs_->FileExists(path);
  if (!*exists)
    return Status::OK();
  TRINE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(fs_, path));
  std::string_view t(text);
  if (!t.starts_with(kMarkerPrefix) || !t.ends_with("\n")) {
    return Status::Corruption(path + ": not a Trine store marker (damaged?)");
  }
  t.remove_prefix(std::string_view(kMarkerPrefix).size());
  t.remove_suffix(1);
  uint64_t version = 0;
  if (t.empty() || t.size() > 9)
    return Status::Corruption(path + ": bad format version");
  for (char c : t) {
    if (c < '0' || c > '9')
      return Status::Corruption(path + ": bad format version");
    version = version * 10 + static_cast<uint64_t>(c - '0');
  }
  if (version > kStoreFormatVersion) {
    return Status::NotSupported(dir_ + " is a Trine store of format version " +
                                std::to_string(version) + ", newer than this build supports (" +
                                std::to_string(kStoreFormatVersion) + ")");
  }
  if (version == 0)
    return Status::Corruption(path + ": bad format version 0");
  return Status::OK();
}

Status DBImpl::WriteMarker() {
  std::string tmp = MarkerFileName(dir_) + ".tmp";
  TRINE_ASSIGN_OR_RETURN(auto f, fs_->NewWritableFile(tmp));
  Status s = f->Append(std::string(kMarkerPrefix) + std::to_string(kStoreFormatVersion) + "\n");
  if (s.ok())
    s = f->Sync();
  if (s.ok())
    s = f->Close();
  if (s.ok())
    s = fs_->RenameFile(tmp, MarkerFileName(dir_));
  if (s.ok())
    s = fs_->SyncDir(dir_);
  return s;
}

Status DBImpl::OpenOrCreate() {
  if (!fs_->FileExists(dir_)) {
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dir_ + ": store does not exist (create_if_missing is off)");
    }
    TRINE_RETURN_IF_ERROR(fs_->CreateDir(dir_));
  }
  auto children = fs_->GetChildren(dir_);
  if (!children.ok()) {
    return Status::InvalidArgument(dir_ +
                                   ": cannot list directory: " + children.status().ToString());
  }
  // Look before touching anything: a foreign directory gets no LOCK file.
  bool has_current = false, has_data = false;
  for (const auto& name : *children) {
    uint64_t number;
    FileType type = ParseFileName(name, &number);
    if (type == FileType::kUnknown) {
      return Status::InvalidArgument(dir_ + " is not a Trine store (it holds '" + name +
                                     "'); refusing to touch it");
    }
    if (type == FileType::kCurrent)
      has_current = true;
    if (type == FileType::kTable)
      has_data = true;
    if (type == FileType::kLog) {
      auto size = fs_->GetFileSize(dir_ + "/" + name);
      if (!size.ok() || *size > 0)
        has_data = true;
    }
  }
  TRINE_ASSIGN_OR_RETURN(lock_file_, fs_->LockFile(LockFileName(dir_)));
  bool marker = false;
  TRINE_RETURN_IF_ERROR(CheckMarker(&marker));
  if (!has_current) {
    if (has_data) {
      return Status::Corruption(dir_ + ": Trine store without a CURRENT file (damaged)");
    }
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dir_ + ": store does not exist (create_if_missing is off)");
    }
    // Empty, or the remains of a creation that failed before CURRENT was
    // written (no table, no logged commit): start over.
    for (const auto& name : *children) {
      if (name != "LOCK")
        TRINE_RETURN_IF_ERROR(fs_->RemoveFile(dir_ + "/" + name));
    }
    TRINE_RETURN_IF_ERROR(WriteMarker());
    return versions_->Create();
  }
  if (!marker) {
    return Status::InvalidArgument(dir_ +
                                   " is not a Trine store (it has a CURRENT file but no "
                                   "TRINE marker: another engine's files?)");
  }
  if (options_.error_if_exists) {
    return Status::InvalidArgument(dir_ + ": store exists (error_if_exists is on)");
  }
  return versions_->Recover();
}

Status DBImpl::RecoverLogs(std::vector<uint64_t> logs, MemTable* mem, SequenceNumber* last_seq) {
  std::sort(logs.begin(), logs.end());
  for (size_t i = 0; i < logs.size(); ++i) {
    std::string path = LogFileName(dir_, logs[i]);
    std::string name = BaseName(path);
    TRINE_ASSIGN_OR_RETURN(std::string contents, ReadFileToString(fs_, path));
    LogReader reader(std::move(contents), name);
    std::string_view record;
    WriteBatch batch;
    while (reader.ReadRecord(&record)) {
      Status s = batch.SetRep(record);
      if (s.ok()) {
        SequenceNumber seq = WriteBatchInternal::Sequence(batch);
        if (seq != *last_seq + 1) {
          s = Status::Corruption("commit sequence " + std::to_string(seq) + " follows " +
                                 std::to_string(*last_seq) + " (a commit is missing)");
        } else {
          s = WriteBatchInternal::InsertInto(batch, seq, mem);
          if (s.ok())
            *last_seq = seq + batch.Count() - 1;
        }
      }
      if (!s.ok()) {
        s = s.WithContext(name + ": record at offset " + std::to_string(reader.record_offset()));
        if (options_.wal_recovery == WalRecovery::kKeepPrefix)
          return Status::OK();
        return s;
      }
    }
    Status s = reader.status();
    if (!s.ok()) {
      if (options_.wal_recovery == WalRecovery::kKeepPrefix)
        return Status::OK();
      return s;
    }
    if (reader.torn_tail() && i + 1 < logs.size()) {
      // An older log lost its unsynced tail (power loss). Newer logs hold
      // only newer commits, none of them durable (a durable commit syncs every
      // older log first), so the prefix ends here.
      return Status::OK();
    }
  }
  return Status::OK();
}

CompactionSpec DBImpl::MakeSpec(const std::shared_ptr<const Version>& v, int output_level) {
  CompactionSpec spec;
  spec.dir = dir_;
  spec.fs = fs_;
  spec.table_options = table_options_;
  spec.table_options.compress =
      table_options_.compress && output_level >= options_.min_compressed_level;
  spec.snapshots = SnapshotList();
  if (output_level == 0) {
    spec.key_is_bottommost = [](std::string_view) { return false; };
    spec.range_is_bottommost = [](std::string_view, std::string_view) { return false; };
  } else {
    spec.target_file_size = options_.target_file_size;
    spec.key_is_bottommost = [v, output_level](std::string_view key) {
      for (int l = output_level + 1; l < v->num_levels(); ++l) {
        const FileList& fl = v->files(l);
        auto it = std::partition_point(fl.begin(), fl.end(),
                                       [&](const auto& f) { return f->EndsBefore(key); });
        if (it != fl.end() && (*it)->Contains(key))
          return false;
      }
      return true;
    };
    spec.range_is_bottommost = [v, output_level](std::string_view b, std::string_view e) {
      for (int l = output_level + 1; l < v->num_levels(); ++l) {
        for (const auto& f : v->files(l)) {
          if (!f->EndsBefore(b) && f->smallest < e)
            return false;
        }
      }
      return true;
    };
  }
  spec.new_file_number = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t n = versions_->NewFileNumber();
    pending_outputs_.insert(n);
    return n;
  };
  return spec;
}

Status DBImpl::FlushMemTableAtOpen(const std::shared_ptr<MemTable>& mem, VersionEdit* edit) {
  auto iter = mem->NewIterator();
  CompactionSpec spec = MakeSpec(versions_->current(), 0);
  // Threads have not started: take file numbers directly.
  spec.new_file_number = [this] { return versions_->NewFileNumber(); };
  CompactionOutput out;
  TRINE_RETURN_IF_ERROR(RunCompaction(spec, iter.get(), mem->RangeTombstones(), &out));
  for (auto& f : out.files)
    edit->AddFile(0, f);
  flush_bytes_ += out.bytes_written;
  return Status::OK();
}

Status DBImpl::Open() {
  TRINE_RETURN_IF_ERROR(OpenOrCreate());

  // Replay the logs the manifest does not cover yet.
  auto children = fs_->GetChildren(dir_);
  if (!children.ok())
    return children.status();
  std::vector<uint64_t> logs;
  for (const auto& name : *children) {
    uint64_t number;
    FileType type = ParseFileName(name, &number);
    if (type == FileType::kLog && number >= versions_->log_number())
      logs.push_back(number);
    if (type != FileType::kUnknown)
      versions_->MarkFileNumberUsed(number);
  }
  auto mem = std::make_shared<MemTable>(mem_pool_, order_in_background_);
  SequenceNumber last_seq = versions_->last_sequence();
  TRINE_RETURN_IF_ERROR(RecoverLogs(logs, mem.get(), &last_seq));

  VersionEdit edit;
  edit.SetLastSequence(last_seq);  // the replayed commits are in a table now
  if (!mem->empty())
    TRINE_RETURN_IF_ERROR(FlushMemTableAtOpen(mem, &edit));
  uint64_t log_number = versions_->NewFileNumber();
  std::string log_path = LogFileName(dir_, log_number);
  TRINE_ASSIGN_OR_RETURN(auto log_file, fs_->NewWritableFile(log_path));
  TRINE_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  edit.SetLogNumber(log_number);
  {
    std::unique_lock<std::mutex> lock(mu_);
    TRINE_RETURN_IF_ERROR(versions_->LogAndApply(&edit, &lock));
    wal_ = std::make_shared<WalWriter>(std::move(log_file), BaseName(log_path), nullptr);
    mem_ = std::make_shared<MemTable>(mem_pool_, order_in_background_);
    mem_log_number_ = log_number;
    last_sequence_ = last_seq;
    visible_seq_.store(last_seq, std::memory_order_release);
    InstallView();
    DeleteObsoleteFiles(&lock);  // also the temp files of an interrupted run
    opened_ = true;
  }
  flush_thread_ = std::thread([this] {
    LowerThreadPriority();
    FlushThread();
  });
  compaction_thread_ = std::thread([this] {
    LowerThreadPriority();
    CompactionThread();
  });
  wal_thread_ = std::thread([this] {
    LowerThreadPriority();
    WalThread();
  });
  return Status::OK();
}

// ----------------------------------------------------------------- Writes

Status DBImpl::Put(const WriteOptions& o, std::string_view key, std::string_view value) {
  WriteBatch b;
  b.Put(key, value);
  return Write(o, b);
}

Status DBImpl::Delete(const WriteOptions& o, std::string_view key) {
  WriteBatch b;
  b.Delete(key);
  return Write(o, b);
}

Status DBImpl::DeleteRange(const WriteOptions& o, std::string_view begin, std::string_view end) {
  if (begin > end) {
    return Status::InvalidArgument("DeleteRange: begin is after end");
  }
  WriteBatch b;
  b.DeleteRange(begin, end);
  return Write(o, b);
}

Status DBImpl::Write(const WriteOptions& o, const WriteBatch& batch) {
  if (batch.Count() == 0)
    return Status::OK();
  return WriteImpl(o, &batch, false);
}

Status DBImpl::ReadOnlyError() const {
  return Status::ReadOnly("store is read-only after a write error: " + bg_error_.ToString());
}

void DBImpl::SetBackgroundError(const Status& s) {
  if (bg_error_.ok()) {
    bg_error_ = s;
    read_only_.store(true, std::memory_order_release);
    done_cv_.notify_all();
    bg_cv_.notify_all();
  }
}

Status DBImpl::WriteImpl(const WriteOptions& o, const WriteBatch* batch, bool force_switch) {
  uint64_t start = NowMicros();
  Writer w;
  w.batch = batch;
  w.durable = o.durability == Durability::kDurable;
  w.force_switch = force_switch;
  std::unique_lock<std::mutex> lock(mu_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front())
    w.cv.wait(lock);
  if (w.done)
    return w.status;

  // This writer leads a group.
  Status s = MakeRoomForWrite(lock, force_switch);
  Writer* last = &w;
  if (s.ok() && batch != nullptr) {
    // Take the following commits along (not a forced switch: it must lead).
    // The scratch buffers are the leader's: one leader at a time, until it
    // pops itself off writers_ below.
    std::vector<Writer*>& group = group_scratch_;
    group.assign(1, &w);
    size_t bytes = batch->rep().size();
    bool durable = w.durable;
    for (size_t i = 1; i < writers_.size(); ++i) {
      Writer* x = writers_[i];
      if (x->batch == nullptr || bytes + x->batch->rep().size() > kMaxGroupBytes)
        break;
      bytes += x->batch->rep().size();
      durable = durable || x->durable;
      group.push_back(x);
      last = x;
    }
    SequenceNumber first = last_sequence_ + 1;
    std::shared_ptr<WalWriter> wal = wal_;
    MemTable* mem = mem_.get();
    lock.unlock();

    // Log records, one per commit, written with one append.
    std::string& records = records_scratch_;
    records.clear();
    records.reserve(bytes + group.size() * (kLogHeaderSize + 8));
    std::string& rep = rep_scratch_;
    SequenceNumber seq = first;
    uint64_t user_bytes = 0;
    for (Writer* x : group) {
      rep.assign(x->batch->rep());
      EncodeFixed64(rep.data(), seq);
      EncodeLogRecord(rep, &records);
      seq += x->batch->Count();
      user_bytes += x->batch->user_bytes();
    }
    wal->Append(records);
    if (durable)
      s = wal->Persist(true);
    if (s.ok()) {
      seq = first;
      for (Writer* x : group) {
        s = WriteBatchInternal::InsertInto(*x->batch, seq, mem);
        if (!s.ok())
          break;
        seq += x->batch->Count();
      }
    }
    wal_bytes_.fetch_add(records.size(), std::memory_order_relaxed);
    user_bytes_.fetch_add(user_bytes, std::memory_order_relaxed);
    if (records.capacity() > (size_t{1} << 20)) {  // a bulk load's: not kept
      std::string().swap(records);
      std::string().swap(rep);
    }
    lock.lock();
    if (s.ok()) {
      last_sequence_ = seq - 1;
      visible_seq_.store(seq - 1, std::memory_order_release);
    } else {
      SetBackgroundError(s);
    }
  }
  while (true) {
    Writer* x = writers_.front();
    writers_.pop_front();
    if (x != &w) {
      x->status = s;
      x->done = true;
      x->cv.notify_one();
    }
    if (x == last)
      break;
  }
  if (!writers_.empty())
    writers_.front()->cv.notify_one();
  lock.unlock();
  UpdateMax(&max_write_micros_, NowMicros() - start);
  return s;
}

Status DBImpl::SwitchMemTable() {
  // No I/O on the old log here (the log thread may be in a long fsync of it):
  // the new log writes and syncs its predecessor before itself. The new log
  // is usually the spare the log thread created ahead.
  std::unique_ptr<WritableFile> file = std::move(spare_log_);
  uint64_t number = spare_log_number_;
  if (file && number < mem_log_number_) {
    // Numbered before a log this switch's predecessor created itself: logs
    // must be numbered in commit order, so this one is useless.
    (void)file->Close();
    file.reset();
    (void)fs_->RemoveFile(LogFileName(dir_, number));
  }
  if (!file) {
    number = versions_->NewFileNumber();
    auto created = fs_->NewWritableFile(LogFileName(dir_, number));
    if (!created.ok())
      return created.status();
    file = std::move(*created);
  }
  std::string path = LogFileName(dir_, number);
  wal_ = std::make_shared<WalWriter>(std::move(file), BaseName(path), wal_, fs_, dir_);
  imm_.push_back(Frozen{mem_, mem_log_number_});
  mem_ = std::make_shared<MemTable>(mem_pool_, order_in_background_);
  mem_log_number_ = number;
  InstallView();
  bg_cv_.notify_all();
  return Status::OK();
}

Status DBImpl::MakeRoomForWrite(std::unique_lock<std::mutex>& lock, bool force) {
  bool allow_delay = !force;
  uint64_t stall_start = 0;
  Status s;
  while (true) {
    if (!bg_error_.ok()) {
      s = ReadOnlyError();
      break;
    }
    const auto& version = versions_->current();
    size_t l0 = version->files(0).size();
    if (allow_delay && l0 >= static_cast<size_t>(options_.level0_slowdown_trigger)) {
      // Many level-0 files: give compaction a millisecond per write instead
      // of stopping writes outright later.
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      slowdown_writes_.fetch_add(1, std::memory_order_relaxed);
      allow_delay = false;
      lock.lock();
      continue;
    }
    if (!force && mem_->DataSize() < options_.write_buffer_size)
      break;
    if (force && mem_->empty())
      break;
    if (imm_.size() >= static_cast<size_t>(std::max(1, options_.max_immutable_memtables)) ||
        l0 >= static_cast<size_t>(options_.level0_stop_trigger)) {
      if (stall_start == 0)
        stall_start = NowMicros();
      done_cv_.wait_for(lock, std::chrono::milliseconds(100));
      continue;
    }
    s = SwitchMemTable();
    if (!s.ok())
      SetBackgroundError(s);
    break;
  }
  if (stall_start != 0)
    stall_micros_.fetch_add(NowMicros() - stall_start, std::memory_order_relaxed);
  return s;
}

void DBImpl::InstallView() {
  auto v = std::make_shared<ReadView>();
  v->mem = mem_;
  for (auto it = imm_.rbegin(); it != imm_.rend(); ++it)
    v->imm.push_back(it->mem);
  v->version = versions_->current();
  // Remember versions that readers may still hold, so their files are kept.
  std::erase_if(versions_in_use_, [](const auto& w) { return w.expired(); });
  versions_in_use_.push_back(v->version);
  view_ = std::move(v);
}

std::shared_ptr<const DBImpl::ReadView> DBImpl::GetView(SequenceNumber* seq) {
  std::lock_guard<std::mutex> lock(mu_);
  // Read under the same lock as the view, so the view holds every entry the
  // sequence can see (a later flush or compaction installs a new view).
  *seq = visible_seq_.load(std::memory_order_acquire);
  return view_;
}

Status DBImpl::Sync() {
  std::shared_ptr<WalWriter> wal;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!bg_error_.ok())
      return ReadOnlyError();
    wal = wal_;
  }
  Status s = wal->Persist(true);
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    SetBackgroundError(s);
  }
  return s;
}

// ------------------------------------------------------------------ Reads

Status DBImpl::Get(const ReadOptions& o, std::string_view key, std::string* value) {
  SequenceNumber snap;
  std::shared_ptr<const ReadView> view = GetView(&snap);
  if (o.snapshot != nullptr)
    snap = o.snapshot->sequence();
  SequenceNumber max_tomb = 0;
  auto check_mem = [&](const MemTable& m, Status* result) {
    max_tomb = std::max(max_tomb, m.MaxCoveringTombstone(key, snap));
    uint64_t tag;
    if (m.Get(key, snap, &tag, value)) {
      bool deleted = TagKind(tag) != ValueKind::kPut || TagSequence(tag) < max_tomb;
      *result = deleted ? Status::NotFound(key) : Status::OK();
      return true;
    }
    if (max_tomb > 0) {
      *result = Status::NotFound(key);
      return true;
    }
    return false;
  };
  Status s;
  if (check_mem(*view->mem, &s))
    return s;
  for (const auto& m : view->imm) {
    if (check_mem(*m, &s))
      return s;
  }
  Version::GetState state;
  state.max_tombstone = max_tomb;
  uint64_t useful = 0;
  s = view->version->Get(table_cache_.get(), key, snap, o.fill_cache, &state, value, &useful);
  if (useful)
    bloom_useful_.fetch_add(useful, std::memory_order_relaxed);
  if (!s.ok())
    return s;
  if (!state.found || state.deleted)
    return Status::NotFound(key);
  return Status::OK();
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& o) {
  SequenceNumber snap;
  std::shared_ptr<const ReadView> view = GetView(&snap);
  if (o.snapshot != nullptr)
    snap = o.snapshot->sequence();
  std::vector<Version::SourceIterator> sources;
  RangeDelView tombstones;
  auto add_mem = [&](const MemTable& m) {
    // Entries added to an empty memtable later are newer than the snapshot:
    // an empty one is no source at all.
    if (m.num_entries() > 0)
      sources.push_back({m.NewIterator(), std::min(m.max_seq(), snap)});
    if (m.has_range_tombstones())
      tombstones.Add(m.FragmentedRangeTombstones());
  };
  add_mem(*view->mem);
  for (const auto& m : view->imm)
    add_mem(*m);
  view->version->AddIterators(table_cache_.get(), o.fill_cache, &sources);
  if (view->version->has_range_tombstones()) {
    auto ts = view->version->RangeTombstones(table_cache_.get());
    if (!ts.ok()) {
      sources.push_back({std::make_unique<EmptyIterator>(ts.status()), 0});
    } else {
      tombstones.Add(*ts);
    }
  }
  auto merged = std::make_unique<MergingIterator>(std::move(sources));
  return std::make_unique<DBIter>(std::move(merged), std::move(tombstones), snap,
                                  std::string(o.lower_bound), std::string(o.upper_bound),
                                  std::static_pointer_cast<const void>(view));
}

const Snapshot* DBImpl::GetSnapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  SequenceNumber seq = visible_seq_.load(std::memory_order_acquire);
  snapshots_.Insert(seq);
  return new SnapshotImpl(seq);  // owned by the caller until ReleaseSnapshot
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr)
    return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshots_.Erase(snapshot->sequence());
  }
  delete static_cast<const SnapshotImpl*>(snapshot);
}

std::vector<SequenceNumber> DBImpl::SnapshotList() const {
  // REQUIRES: mu_ held.
  return snapshots_.sorted();
}

// ------------------------------------------------------- Flush and compaction

Status DBImpl::Flush() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!bg_error_.ok())
      return ReadOnlyError();
    if (mem_->empty() && imm_.empty())
      return Status::OK();
  }
  Status s = WriteImpl(WriteOptions{}, nullptr, true);
  if (!s.ok())
    return s;
  std::unique_lock<std::mutex> lock(mu_);
  // Wait until every memtable frozen so far is in a table.
  while (!imm_.empty() && bg_error_.ok() && !shutting_down_)
    done_cv_.wait(lock);
  if (!bg_error_.ok())
    return ReadOnlyError();
  return Status::OK();
}

Status DBImpl::FlushOne(std::unique_lock<std::mutex>& lock) {
  Frozen frozen = imm_.front();
  uint64_t next_log = imm_.size() > 1 ? imm_[1].log_number : mem_log_number_;
  CompactionSpec spec = MakeSpec(versions_->current(), 0);
  lock.unlock();
  auto iter = frozen.mem->NewIterator();
  CompactionOutput out;
  Status s = RunCompaction(spec, iter.get(), frozen.mem->RangeTombstones(), &out);
  if (s.ok())
    s = fs_->SyncDir(dir_);
  lock.lock();
  // Outputs of a failed manifest write stay on disk: the edit may have
  // reached the manifest after all. Unreferenced files go at the next open.
  bool remove_outputs = !s.ok();
  if (s.ok()) {
    VersionEdit edit;
    for (const auto& f : out.files)
      edit.AddFile(0, f);
    edit.SetLogNumber(next_log);
    edit.SetLastSequence(frozen.mem->last_seq());
    // The outputs stay protected from DeleteObsoleteFiles until the version
    // that holds them is installed (LogAndApply releases the mutex).
    s = versions_->LogAndApply(&edit, &lock);
  }
  for (const auto& f : out.files) {
    pending_outputs_.erase(f->number);
    if (remove_outputs)
      (void)fs_->RemoveFile(TableFileName(dir_, f->number));
  }
  if (!s.ok())
    return s;
  imm_.pop_front();
  InstallView();
  flushes_.fetch_add(1, std::memory_order_relaxed);
  flush_bytes_.fetch_add(out.bytes_written, std::memory_order_relaxed);
  level_stats_[0].bytes_written += out.bytes_written;
  DeleteObsoleteFiles(&lock);
  return Status::OK();
}

void DBImpl::FlushThread() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    while (!shutting_down_ && (imm_.empty() || !bg_error_.ok()))
      bg_cv_.wait(lock);
    if (shutting_down_)
      return;
    Status s = FlushOne(lock);
    if (!s.ok())
      SetBackgroundError(s.WithContext("flush"));
    done_cv_.notify_all();
    bg_cv_.notify_all();  // compaction may be due
  }
}

bool DBImpl::PickCompaction(CompactionPlan* plan) {
  // REQUIRES: mu_ held.
  int level;
  double score = versions_->CompactionScore(&level);
  if (score < 1 || level < 0)
    return false;
  auto v = versions_->current();
  *plan = CompactionPlan();
  plan->output_level = level + 1;
  FileList inputs;
  std::string lo, hi;
  if (level == 0) {
    inputs = v->files(0);
  } else {
    const FileList& fl = v->files(level);
    const std::string& ptr = versions_->compact_pointer_[static_cast<size_t>(level)];
    auto it = std::find_if(fl.begin(), fl.end(),
                           [&](const auto& f) { return ptr.empty() || f->smallest > ptr; });
    if (it == fl.end())
      it = fl.begin();
    inputs.push_back(*it);
  }
  lo = inputs.front()->smallest;
  hi = inputs.front()->largest;
  for (const auto& f : inputs) {
    lo = std::min(lo, f->smallest);
    hi = std::max(hi, f->largest);
  }
  FileList next = v->Overlapping(level + 1, lo, hi);
  plan->inputs.emplace_back(level, inputs);
  if (!next.empty())
    plan->inputs.emplace_back(level + 1, next);
  plan->trivial_move = inputs.size() == 1 && next.empty();
  if (level > 0)
    versions_->compact_pointer_[static_cast<size_t>(level)] = hi;
  return true;
}

Status DBImpl::RunPlan(std::unique_lock<std::mutex>& lock, const CompactionPlan& plan) {
  // REQUIRES: mu_ held; compaction_running_ set by the caller.
  VersionEdit edit;
  if (plan.trivial_move) {
    const auto& [level, files] = plan.inputs.front();
    edit.DeleteFile(level, files.front()->number);
    edit.AddFile(plan.output_level, files.front());
    Status s = versions_->LogAndApply(&edit, &lock);
    if (s.ok())
      InstallView();
    return s;
  }
  auto v = versions_->current();
  CompactionSpec spec = MakeSpec(v, plan.output_level);
  lock.unlock();

  std::vector<Version::SourceIterator> sources;
  std::vector<RangeTombstone> tombstones;
  Status s;
  for (const auto& [level, files] : plan.inputs) {
    for (const auto& f : files) {
      auto reader = table_cache_->Get(*f);
      if (!reader.ok()) {
        s = reader.status();
        break;
      }
      // Compaction reads every block once: keep them out of the cache.
      sources.push_back({(*reader)->NewIterator(false), f->largest_seq});
      const auto& ts = (*reader)->range_tombstones();
      tombstones.insert(tombstones.end(), ts.begin(), ts.end());
    }
  }
  CompactionOutput out;
  if (s.ok()) {
    MergingIterator merged(std::move(sources));
    s = RunCompaction(spec, &merged, tombstones, &out);
  }
  if (s.ok())
    s = fs_->SyncDir(dir_);
  lock.lock();
  bool remove_outputs = !s.ok();  // see FlushOne
  if (s.ok()) {
    for (const auto& [level, files] : plan.inputs) {
      for (const auto& f : files)
        edit.DeleteFile(level, f->number);
    }
    for (const auto& f : out.files)
      edit.AddFile(plan.output_level, f);
    s = versions_->LogAndApply(&edit, &lock);
  }
  for (const auto& f : out.files) {
    pending_outputs_.erase(f->number);
    if (remove_outputs)
      (void)fs_->RemoveFile(TableFileName(dir_, f->number));
  }
  if (!s.ok())
    return s;
  InstallView();
  uint64_t read = plan.input_bytes();
  compactions_.fetch_add(1, std::memory_order_relaxed);
  compaction_bytes_read_.fetch_add(read, std::memory_order_relaxed);
  compaction_bytes_written_.fetch_add(out.bytes_written, std::memory_order_relaxed);
  LevelStats& ls = level_stats_[static_cast<size_t>(plan.output_level)];
  ls.bytes_read += read;
  ls.bytes_written += out.bytes_written;
  ls.compactions++;
  return Status::OK();
}

void DBImpl::CompactionThread() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    CompactionPlan plan;
    while (!shutting_down_ &&
           (!bg_error_.ok() || manual_waiting_ || compaction_running_ || !PickCompaction(&plan))) {
      bg_cv_.wait(lock);
    }
    if (shutting_down_)
      return;
    compaction_running_ = true;
    Status s = RunPlan(lock, plan);
    compaction_running_ = false;
    if (!s.ok())
      SetBackgroundError(s.WithContext("compaction"));
    plan = CompactionPlan();  // release the input files before looking for obsolete ones
    DeleteObsoleteFiles(&lock);
    done_cv_.notify_all();
    bg_cv_.notify_all();
  }
}

Status DBImpl::CompactRange(std::string_view begin, std::string_view end) {
  TRINE_RETURN_IF_ERROR(Flush());
  std::unique_lock<std::mutex> lock(mu_);
  manual_waiting_ = true;
  while (compaction_running_ && bg_error_.ok())
    done_cv_.wait(lock);
  Status s;
  if (!bg_error_.ok()) {
    s = ReadOnlyError();
  } else {
    compaction_running_ = true;
    // Every file overlapping the range, widened until no file of any level
    // straddles its edges, goes to the last level in one compaction.
    auto v = versions_->current();
    std::string lo(begin), hi(end);
    CompactionPlan plan;
    plan.output_level = v->num_levels() - 1;
    bool changed = true;
    while (changed) {
      changed = false;
      plan.inputs.clear();
      for (int l = 0; l < v->num_levels(); ++l) {
        FileList fl = v->Overlapping(l, lo, hi);
        for (const auto& f : fl) {
          if (!lo.empty() && f->smallest < lo) {
            lo = f->smallest;
            changed = true;
          }
          if (!hi.empty() && f->largest > hi) {
            hi = f->largest;
            changed = true;
          }
        }
        if (!fl.empty())
          plan.inputs.emplace_back(l, std::move(fl));
      }
    }
    if (!plan.inputs.empty())
      s = RunPlan(lock, plan);
    compaction_running_ = false;
    if (!s.ok())
      SetBackgroundError(s.WithContext("compaction"));
    plan = CompactionPlan();
    v.reset();
    DeleteObsoleteFiles(&lock);
  }
  manual_waiting_ = false;
  bg_cv_.notify_all();
  done_cv_.notify_all();
  return s;
}

void DBImpl::DeleteObsoleteFiles(std::unique_lock<std::mutex>* lock) {
  // REQUIRES: mu_ held through *lock.
  if (!bg_error_.ok())
    return;  // the file set may be uncertain: keep everything
  std::set<uint64_t> live(pending_outputs_.begin(), pending_outputs_.end());
  std::erase_if(versions_in_use_, [](const auto& w) { return w.expired(); });
  for (const auto& w : versions_in_use_) {
    if (auto v = w.lock()) {
      for (int l = 0; l < v->num_levels(); ++l) {
        for (const auto& f : v->files(l))
          live.insert(f->number);
      }
    }
  }
  std::vector<uint64_t> current;
  versions_->AddLiveFiles(&current);
  live.insert(current.begin(), current.end());
  auto children = fs_->GetChildren(dir_);
  if (!children.ok())
    return;
  std::vector<std::string> obsolete;
  for (const auto& name : *children) {
    uint64_t number;
    bool remove = false;
    switch (ParseFileName(name, &number)) {
      case FileType::kLog:
        remove = number < versions_->log_number() && number != mem_log_number_;
        break;
      case FileType::kTable:
        remove = !live.count(number);
        break;
      case FileType::kManifest:
        remove = number < versions_->manifest_number();
        break;
      case FileType::kTemp:
        // Only at open: later, a manifest switch may be writing one.
        remove = !opened_;
        break;
      default:
        break;
    }
    if (remove)
      obsolete.push_back(dir_ + "/" + name);
  }
  // Unlinking a large file can take milliseconds: not while writers wait for
  // the mutex. A file once obsolete never becomes live again (numbers are not
  // reused), so dropping the lock here is safe.
  lock->unlock();
  for (const auto& path : obsolete)
    (void)fs_->RemoveFile(path);
  lock->lock();
}

// ------------------------------------------------------------- Background log

void DBImpl::WalThread() {
  std::unique_lock<std::mutex> lock(mu_);
  auto last_sync = std::chrono::steady_clock::now();
  auto last_cleanup = last_sync;
  while (!shutting_down_) {
    bg_cv_.wait_for(lock, std::chrono::milliseconds(std::max(1, options_.wal_flush_interval_ms)));
    if (shutting_down_ || !bg_error_.ok())
      continue;
    std::shared_ptr<WalWriter> wal = wal_;
    lock.unlock();
    bool sync = false;
    auto now = std::chrono::steady_clock::now();
    if (options_.wal_sync_interval_ms > 0 &&
        now - last_sync >= std::chrono::milliseconds(options_.wal_sync_interval_ms)) {
      sync = wal->HasUnsynced();
      last_sync = now;
    }
    Status s = Status::OK();
    if (sync || wal->HasUnwritten())
      s = wal->Persist(sync);
    lock.lock();
    if (!s.ok())
      SetBackgroundError(s.WithContext("writing the log"));
    if (!spare_log_ && bg_error_.ok() && !shutting_down_) {
      // An empty spare log is harmless after a crash: recovery replays nothing from it.
      uint64_t number = versions_->NewFileNumber();
      lock.unlock();
      auto file = fs_->NewWritableFile(LogFileName(dir_, number));
      lock.lock();
      if (file.ok() && !spare_log_ && number > mem_log_number_) {
        spare_log_ = std::move(*file);
        spare_log_number_ = number;
      } else if (file.ok()) {
        // A switch created its own log meanwhile, numbered after this one.
        (void)(*file)->Close();
        lock.unlock();
        (void)fs_->RemoveFile(LogFileName(dir_, number));
        lock.lock();
      }
    }
    // Files of versions that iterators held past a compaction go once the
    // iterators are gone.
    if (now - last_cleanup >= std::chrono::seconds(1)) {
      last_cleanup = now;
      bool expired = std::any_of(versions_in_use_.begin(), versions_in_use_.end(),
                                 [](const auto& w) { return w.expired(); });
      if (expired)
        DeleteObsoleteFiles(&lock);
    }
  }
}

// -------------------------------------------------------------------- Stats

Status DBImpl::BackgroundError() {
  std::lock_guard<std::mutex> lock(mu_);
  return bg_error_;
}

Stats DBImpl::GetStats() {
  Stats st;
  std::lock_guard<std::mutex> lock(mu_);
  auto v = versions_->current();
  st.levels = level_stats_;
  for (int l = 0; l < v->num_levels(); ++l) {
    st.levels[static_cast<size_t>(l)].files = static_cast<int>(v->files(l).size());
    st.levels[static_cast<size_t>(l)].bytes = v->LevelBytes(l);
  }
  st.user_bytes_written = user_bytes_.load();
  st.wal_bytes_written = wal_bytes_.load();
  st.flush_bytes_written = flush_bytes_.load();
  st.compaction_bytes_written = compaction_bytes_written_.load();
  st.compaction_bytes_read = compaction_bytes_read_.load();
  if (st.user_bytes_written > 0) {
    st.write_amplification = static_cast<double>(st.wal_bytes_written + st.flush_bytes_written +
                                                 st.compaction_bytes_written) /
                             static_cast<double>(st.user_bytes_written);
  }
  if (block_cache_) {
    st.block_cache_hits = block_cache_->hits();
    st.block_cache_misses = block_cache_->misses();
    st.block_cache_bytes = block_cache_->charge();
  }
  st.memtable_regions_ready = mem_pool_->hits();
  st.memtable_regions_mapped = mem_pool_->misses();
  st.bloom_useful = bloom_useful_.load();
  st.stall_micros = stall_micros_.load();
  st.slowdown_writes = slowdown_writes_.load();
  st.max_write_micros = max_write_micros_.load();
  st.flushes = flushes_.load();
  st.compactions = compactions_.load();
  st.memtable_bytes = mem_->ApproximateMemoryUsage();
  for (const auto& f : imm_)
    st.memtable_bytes += f.mem->ApproximateMemoryUsage();
  st.last_sequence = visible_seq_.load();
  return st;
}

}  // namespace trine
