// Manifest format: a log file (lsm/log_format.h) whose records are encoded
// VersionEdits. The first record of a manifest is a snapshot of the whole
// file set; later records are changes. A VersionEdit is a sequence of fields:
//
//   tag: varint32, then
//     1 log number          varint64
//     2 next file number    varint64
//     3 last sequence       varint64
//     4 deleted file        level: varint32, number: varint64
//     5 added file          level: varint32, number, file_size: varint64,
//                           smallest, largest: length-prefixed user keys,
//                           flags: varint32 (bit 0: largest is exclusive),
//                           smallest_seq, largest_seq, num_entries,
//                           num_range_dels: varint64
//
// Unknown tags are an error: a newer format is refused, never misread.
#include "lsm/version.h"

#include <algorithm>
#include <cassert>
#include <set>

#include "common/coding.h"
#include "lsm/filename.h"
#include "lsm/log_format.h"

namespace trine {

namespace {
enum EditTag : uint32_t {
  kLogNumber = 1,
  kNextFile = 2,
  kLastSequence = 3,
  kDeletedFile = 4,
  kAddedFile = 5,
};

constexpr uint64_t kMaxManifestSize = 8 << 20;  // rewrite the manifest beyond this

bool NewestFirst(const std::shared_ptr<FileMetaData>& a, const std::shared_ptr<FileMetaData>& b) {
  if (a->largest_seq != b->largest_seq)
    return a->largest_seq > b->largest_seq;
  return a->number > b->number;
}
bool BySmallest(const std::shared_ptr<FileMetaData>& a, const std::shared_ptr<FileMetaData>& b) {
  int c = a->smallest.compare(b->smallest);
  if (c != 0)
    return c < 0;
  return a->number < b->number;
}

// Iterates over the files of one level >= 1 (disjoint, sorted), opening each
// table only when the cursor reaches it.
class LevelIterator final : public InternalIterator {
 public:
  // `files` belongs to a Version the caller keeps alive for the iterator's life.
  LevelIterator(TableCache* tables, const FileList& files, bool fill_cache)
      : tables_(tables), files_(files), fill_cache_(fill_cache) {}

  bool Valid() const override { return iter_ != nullptr && iter_->Valid(); }
  void SeekToFirst() override {
    Open(0);
    if (iter_)
      iter_->SeekToFirst();
    SkipForward();
  }
  void SeekToLast() override {
    Open(files_.empty() ? 0 : files_.size() - 1);
    if (iter_)
      iter_->SeekToLast();
    SkipBackward();
  }
  void Seek(std::string_view key, uint64_t tag) override {
    // First file whose range does not end before `key`.
    auto it = std::partition_point(files_.begin(), files_.end(),
                                   [&](const auto& f) { return f->EndsBefore(key); });
    Open(static_cast<size_t>(it - files_.begin()));
    if (iter_)
      iter_->Seek(key, tag);
    SkipForward();
  }
  void Next() override {
    iter_->Next();
    if (!iter_->Valid())
      SkipForward();
  }
  void Prev() override {
    iter_->Prev();
    if (!iter_->Valid())
      SkipBackward();
  }
  std::string_view user_key() const override { return iter_->user_key(); }
  uint64_t tag() const override { return iter_->tag(); }
  std::string_view value() const override { return iter_->value(); }
  Status status() const override {
    if (!status_.ok())
      return status_;
    return iter_ ? iter_->status() : Status::OK();
  }

 private:
  void Open(size_t index) {
    if (index >= files_.size()) {
      iter_.reset();
      index_ = files_.size();
      return;
    }
    if (iter_ && index_ == index)
      return;
    index_ = index;
    auto reader = tables_->Get(*files_[index]);
    if (!reader.ok()) {
      status_ = reader.status();
      iter_.reset();
      return;
    }
    iter_ = (*reader)->NewIterator(fill_cache_);
  }
  bool Broken() const { return !status_.ok() || (iter_ && !iter_->status().ok()); }
  void SkipForward() {
    while (iter_ && !iter_->Valid() && !Broken()) {
      if (index_ + 1 >= files_.size()) {
        iter_.reset();
        return;
      }
      Open(index_ + 1);
      if (iter_)
        iter_->SeekToFirst();
    }
  }
  void SkipBackward() {
    while (iter_ && !iter_->Valid() && !Broken()) {
      if (index_ == 0) {
        iter_.reset();
        return;
      }
      Open(index_ - 1);
      if (iter_)
        iter_->SeekToLast();
    }
  }

  TableCache* tables_;
  const FileList& files_;
  bool fill_cache_;
  size_t index_ = 0;
  std::unique_ptr<TableIterator> iter_;  // concrete type: per-entry calls inline
  Status status_;
};

}  // namespace

// ---------------------------------------------------------------- VersionEdit

void VersionEdit::EncodeTo(std::string* dst) const {
  if (has_log_number) {
    PutVarint32(dst, kLogNumber);
    PutVarint64(dst, log_number);
  }
  if (has_next_file) {
    PutVarint32(dst, kNextFile);
    PutVarint64(dst, next_file);
  }
  if (has_last_sequence) {
    PutVarint32(dst, kLastSequence);
    PutVarint64(dst, last_sequence);
  }
  for (const auto& [level, number] : deleted) {
    PutVarint32(dst, kDeletedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, number);
  }
  for (const auto& [level, f] : added) {
    PutVarint32(dst, kAddedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, f->number);
    PutVarint64(dst, f->file_size);
    PutLengthPrefixed(dst, f->smallest);
    PutLengthPrefixed(dst, f->largest);
    PutVarint32(dst, f->largest_exclusive ? 1 : 0);
    PutVarint64(dst, f->smallest_seq);
    PutVarint64(dst, f->largest_seq);
    PutVarint64(dst, f->num_entries);
    PutVarint64(dst, f->num_range_dels);
  }
}

Status VersionEdit::DecodeFrom(std::string_view in) {
  *this = VersionEdit();
  while (!in.empty()) {
    uint32_t tag;
    if (!GetVarint32(&in, &tag))
      return Status::Corruption("bad version edit tag");
    bool ok = true;
    switch (tag) {
      case kLogNumber:
        ok = GetVarint64(&in, &log_number);
        has_log_number = true;
        break;
      case kNextFile:
        ok = GetVarint64(&in, &next_file);
        has_next_file = true;
        break;
      case kLastSequence:
        ok = GetVarint64(&in, &last_sequence);
        has_last_sequence = true;
        break;
      case kDeletedFile: {
        uint32_t level;
        uint64_t number;
        ok = GetVarint32(&in, &level) && GetVarint64(&in, &number);
        deleted.emplace_back(static_cast<int>(level), number);
        break;
      }
      case kAddedFile: {
        auto f = std::make_shared<FileMetaData>();
        uint32_t level, flags;
        std::string_view s, l;
        ok = GetVarint32(&in, &level) && GetVarint64(&in, &f->number) &&
             GetVarint64(&in, &f->file_size) && GetLengthPrefixed(&in, &s) &&
             GetLengthPrefixed(&in, &l) && GetVarint32(&in, &flags) &&
             GetVarint64(&in, &f->smallest_seq) && GetVarint64(&in, &f->largest_seq) &&
             GetVarint64(&in, &f->num_entries) && GetVarint64(&in, &f->num_range_dels);
        f->smallest.assign(s);
        f->largest.assign(l);
        f->largest_exclusive = (flags & 1) != 0;
        added.emplace_back(static_cast<int>(level), std::move(f));
        break;
      }
      default:
        return Status::Corruption("unknown field " + std::to_string(tag) + " in version edit");
    }
    if (!ok)
      return Status::Corruption("truncated version edit");
  }
  return Status::OK();
}

// -------------------------------------------------------------------- Version

uint64_t Version::LevelBytes(int level) const {
  uint64_t sum = 0;
  for (const auto& f : files(level))
    sum += f->file_size;
  return sum;
}

int Version::NumFiles() const {
  int n = 0;
  for (const auto& l : files_)
    n += static_cast<int>(l.size());
  return n;
}

Status Version::Get(TableCache* tables, std::string_view key, SequenceNumber snapshot,
                    bool fill_cache, GetState* state, std::string* value,
                    uint64_t* bloom_useful) const {
  uint64_t seek_tag = SeekTag(snapshot);
  // Returns true when `f` settled the lookup.
  auto probe = [&](const FileMetaData& f, Status* s) -> bool {
    auto reader = tables->Get(f);
    if (!reader.ok()) {
      *s = reader.status();
      return true;
    }
    const TableReader* t = *reader;
    if (f.num_range_dels > 0) {
      state->max_tombstone =
          std::max(state->max_tombstone, t->fragmented_tombstones().MaxCovering(key, snapshot));
    }
    TableReader::GetResult r;
    *s = t->Get(key, seek_tag, fill_cache, &r, value);
    if (!s->ok())
      return true;
    if (r.filtered)
      ++*bloom_useful;
    if (r.found) {
      state->found = true;
      state->deleted =
          TagKind(r.tag) != ValueKind::kPut || TagSequence(r.tag) < state->max_tombstone;
      return true;
    }
    if (state->max_tombstone > 0) {
      // Everything older than a covering tombstone is deleted: older files can
      // only hold older versions of the key.
      state->found = true;
      state->deleted = true;
      return true;
    }
    return false;
  };
  Status s;
  for (const auto& f : files(0)) {
    if (f->Contains(key) && probe(*f, &s))
      return s;
  }
  for (int level = 1; level < num_levels(); ++level) {
    const FileList& fl = files(level);
    if (fl.empty())
      continue;
    auto it = std::partition_point(fl.begin(), fl.end(),
                                   [&](const auto& f) { return f->EndsBefore(key); });
    if (it == fl.end() || !(*it)->Contains(key))
      continue;
    if (probe(**it, &s))
      return s;
  }
  return s;
}

void Version::AddIterators(TableCache* tables, bool fill_cache,
                           std::vector<SourceIterator>* out) const {
  for (const auto& f : files(0)) {
    auto reader = tables->Get(*f);
    if (!reader.ok()) {
      out->push_back({std::make_unique<EmptyIterator>(reader.status()), kMaxSequenceNumber});
      continue;
    }
    out->push_back({(*reader)->NewIterator(fill_cache), f->largest_seq});
  }
  for (int level = 1; level < num_levels(); ++level) {
    const FileList& fl = files(level);
    if (fl.empty())
      continue;
    SequenceNumber max_seq = 0;
    for (const auto& f : fl)
      max_seq = std::max(max_seq, f->largest_seq);
    out->push_back({std::make_unique<LevelIterator>(tables, fl, fill_cache), max_seq});
  }
}

Result<std::shared_ptr<const FragmentedTombstones>> Version::RangeTombstones(
    TableCache* tables) const {
  std::lock_guard<std::mutex> lock(tombstones_mu_);
  if (tombstones_)
    return tombstones_;
  std::vector<RangeTombstone> all;
  for (const auto& level : files_) {
    for (const auto& f : level) {
      if (f->num_range_dels == 0)
        continue;
      TRINE_ASSIGN_OR_RETURN(const TableReader* t, tables->Get(*f));
      const auto& ts = t->range_tombstones();
      all.insert(all.end(), ts.begin(), ts.end());
    }
  }
  tombstones_ = std::make_shared<const FragmentedTombstones>(all);
  return tombstones_;
}

FileList Version::Overlapping(int level, std::string_view begin, std::string_view end) const {
  FileList out;
  for (const auto& f : files(level)) {
    bool before = !end.empty() && f->smallest > end;
    bool after = !begin.empty() && f->EndsBefore(begin);
    if (!before && !after)
      out.push_back(f);
  }
  return out;
}

// ----------------------------------------------------------------- VersionSet

VersionSet::VersionSet(const Options& options, std::string dir, TableCache* tables)
    : compact_pointer_(static_cast<size_t>(options.num_levels)),
      options_(options),
      dir_(std::move(dir)),
      tables_(tables),
      current_(std::make_shared<Version>(options.num_levels)) {}

VersionSet::~VersionSet() {
  if (manifest_)
    (void)manifest_->Close();
}

std::shared_ptr<Version> VersionSet::Apply(const Version& base, const VersionEdit& edit) const {
  auto v = std::make_shared<Version>(base.num_levels());
  std::set<std::pair<int, uint64_t>> deleted(edit.deleted.begin(), edit.deleted.end());
  for (int level = 0; level < base.num_levels(); ++level) {
    for (const auto& f : base.files(level)) {
      if (!deleted.count({level, f->number}))
        v->files_[static_cast<size_t>(level)].push_back(f);
    }
  }
  for (const auto& [level, f] : edit.added) {
    if (level >= 0 && level < v->num_levels())
      v->files_[static_cast<size_t>(level)].push_back(f);
  }
  for (const auto& level : v->files_) {
    for (const auto& f : level)
      v->has_range_tombstones_ |= f->num_range_dels > 0;
  }
  std::sort(v->files_[0].begin(), v->files_[0].end(), NewestFirst);
  for (size_t level = 1; level < v->files_.size(); ++level) {
    std::sort(v->files_[level].begin(), v->files_[level].end(), BySmallest);
  }
  return v;
}

Status VersionSet::WriteSnapshot(WritableFile* file, const Version& v, uint64_t log_number,
                                 uint64_t next_file, SequenceNumber last_sequence, uint64_t* size) {
  VersionEdit edit;
  edit.SetLogNumber(log_number);
  edit.SetNextFile(next_file);
  edit.SetLastSequence(last_sequence);
  for (int level = 0; level < v.num_levels(); ++level) {
    for (const auto& f : v.files(level))
      edit.AddFile(level, f);
  }
  std::string payload, record;
  edit.EncodeTo(&payload);
  EncodeLogRecord(payload, &record);
  *size = record.size();
  return file->Append(record);
}

Status VersionSet::SetCurrentFile(uint64_t manifest_number) {
  std::string tmp = TempFileName(dir_, manifest_number);
  FileSystem* fs = options_.file_system.get();
  {
    TRINE_ASSIGN_OR_RETURN(auto f, fs->NewWritableFile(tmp));
    std::string name = ManifestFileName(dir_, manifest_number);
    name = name.substr(name.rfind('/') + 1) + "\n";
    Status s = f->Append(name);
    if (s.ok())
      s = f->Sync();
    if (s.ok())
      s = f->Close();
    if (!s.ok()) {
      (void)fs->RemoveFile(tmp);
      return s;
    }
  }
  Status s = fs->RenameFile(tmp, CurrentFileName(dir_));
  if (s.ok())
    s = fs->SyncDir(dir_);
  return s;
}

Status VersionSet::StartManifest() {
  manifest_number_ = NewFileNumber();
  FileSystem* fs = options_.file_system.get();
  TRINE_ASSIGN_OR_RETURN(manifest_, fs->NewWritableFile(ManifestFileName(dir_, manifest_number_)));
  Status s = WriteSnapshot(manifest_.get(), *current_, log_number_, next_file_, last_sequence_,
                           &manifest_size_);
  if (s.ok())
    s = manifest_->Sync();
  if (s.ok())
    s = SetCurrentFile(manifest_number_);
  return s;
}

Status VersionSet::Create() {
  return StartManifest();
}

Status VersionSet::Recover() {
  FileSystem* fs = options_.file_system.get();
  TRINE_ASSIGN_OR_RETURN(std::string current, ReadFileToString(fs, CurrentFileName(dir_)));
  if (current.empty() || current.back() != '\n') {
    return Status::Corruption("CURRENT: does not end in a newline (damaged)");
  }
  current.pop_back();
  uint64_t number;
  if (ParseFileName(current, &number) != FileType::kManifest) {
    return Status::Corruption("CURRENT: does not name a manifest: '" + current + "'");
  }
  std::string path = dir_ + "/" + current;
  auto contents = ReadFileToString(fs, path);
  if (!contents.ok()) {
    return contents.status().WithContext("CURRENT names " + current);
  }
  LogReader reader(std::move(*contents), current);
  std::shared_ptr<Version> v = std::make_shared<Version>(options_.num_levels);
  bool have_log = false, have_next = false, have_seq = false;
  std::string_view record;
  int records = 0;
  while (reader.ReadRecord(&record)) {
    VersionEdit edit;
    Status s = edit.DecodeFrom(record);
    if (!s.ok()) {
      return s.WithContext(current + ": record at offset " +
                           std::to_string(reader.record_offset()));
    }
    for (const auto& [level, f] : edit.added) {
      if (level < 0 || level >= options_.num_levels) {
        return Status::Corruption(current + ": file " + std::to_string(f->number) + " on level " +
                                  std::to_string(level) + " (store has " +
                                  std::to_string(options_.num_levels) + " levels)");
      }
    }
    v = Apply(*v, edit);
    if (edit.has_log_number) {
      log_number_ = edit.log_number;
      have_log = true;
    }
    if (edit.has_next_file) {
      next_file_ = edit.next_file;
      have_next = true;
    }
    if (edit.has_last_sequence) {
      last_sequence_ = edit.last_sequence;
      have_seq = true;
    }
    ++records;
  }
  TRINE_RETURN_IF_ERROR(reader.status());
  if (records == 0 || !have_log || !have_next || !have_seq) {
    return Status::Corruption(current + ": manifest is incomplete");
  }
  current_ = v;
  MarkFileNumberUsed(number);
  for (int level = 0; level < v->num_levels(); ++level) {
    for (const auto& f : v->files(level))
      MarkFileNumberUsed(f->number);
  }
  // Continue in a fresh manifest: never append after a possibly torn tail.
  return StartManifest();
}

Status VersionSet::LogAndApply(VersionEdit* edit, std::unique_lock<std::mutex>* lock) {
  // One edit at a time; the DB mutex is released while the manifest is
  // written and fsynced, so readers and writers are not held up by the disk.
  while (manifest_busy_)
    manifest_cv_.wait(*lock);
  if (!manifest_error_.ok())
    return manifest_error_;
  manifest_busy_ = true;
  if (edit->has_log_number) {
    assert(edit->log_number >= log_number_);
  } else {
    edit->SetLogNumber(log_number_);
  }
  if (!edit->has_last_sequence || edit->last_sequence < last_sequence_) {
    edit->SetLastSequence(last_sequence_);
  }
  std::shared_ptr<Version> v = Apply(*current_, *edit);
  FileSystem* fs = options_.file_system.get();
  bool rotate = manifest_size_ > kMaxManifestSize;
  uint64_t number = rotate ? NewFileNumber() : 0;
  edit->SetNextFile(next_file_);

  lock->unlock();
  Status s;
  std::unique_ptr<WritableFile> file;
  uint64_t size = 0;
  if (rotate) {
    // Start a new manifest holding a snapshot of the new version.
    auto f = fs->NewWritableFile(ManifestFileName(dir_, number));
    s = f.status();
    if (s.ok()) {
      file = std::move(*f);
      s = WriteSnapshot(file.get(), *v, edit->log_number, next_file_, edit->last_sequence, &size);
    }
    if (s.ok())
      s = file->Sync();
    if (s.ok())
      s = SetCurrentFile(number);
    if (!s.ok())
      (void)fs->RemoveFile(ManifestFileName(dir_, number));
  } else {
    std::string payload, record;
    edit->EncodeTo(&payload);
    EncodeLogRecord(payload, &record);
    s = manifest_->Append(record);
    if (s.ok())
      s = manifest_->Sync();
    size = manifest_size_ + record.size();
    // A failed append may leave half a record: no later edit may follow it.
    if (!s.ok())
      manifest_error_ = s;
  }
  lock->lock();
  manifest_busy_ = false;
  manifest_cv_.notify_all();
  if (!s.ok())
    return s;
  uint64_t old_manifest = 0;
  if (rotate) {
    old_manifest = manifest_number_;
    (void)manifest_->Close();
    manifest_ = std::move(file);
    manifest_number_ = number;
  }
  manifest_size_ = size;
  current_ = v;
  log_number_ = edit->log_number;
  last_sequence_ = edit->last_sequence;
  if (old_manifest != 0)
    (void)fs->RemoveFile(ManifestFileName(dir_, old_manifest));
  return Status::OK();
}

void VersionSet::AddLiveFiles(std::vector<uint64_t>* numbers) const {
  for (int level = 0; level < current_->num_levels(); ++level) {
    for (const auto& f : current_->files(level))
      numbers->push_back(f->number);
  }
}

uint64_t VersionSet::MaxBytesForLevel(int level) const {
  double bytes = static_cast<double>(options_.max_bytes_for_level_base);
  for (int l = 1; l < level; ++l)
    bytes *= options_.level_size_multiplier;
  return static_cast<uint64_t>(bytes);
}

double VersionSet::CompactionScore(int* level) const {
  double best = 0;
  *level = -1;
  for (int l = 0; l + 1 < current_->num_levels(); ++l) {
    double score;
    if (l == 0) {
      score = static_cast<double>(current_->files(0).size()) /
              std::max(1, options_.level0_compaction_trigger);
    } else {
      score =
          static_cast<double>(current_->LevelBytes(l)) / static_cast<double>(MaxBytesForLevel(l));
    }
    if (score > best) {
      best = score;
      *level = l;
    }
  }
  return best;
}

}  // namespace trine
