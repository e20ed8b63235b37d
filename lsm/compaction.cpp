#include "lsm/compaction.h"

#include <algorithm>

#include "lsm/filename.h"
#include "sstable/range_tombstones.h"
#include "sstable/table_builder.h"

namespace trine {

namespace {

class OutputWriter {
 public:
  OutputWriter(const CompactionSpec& spec, const std::vector<RangeTombstone>& tombstones,
               CompactionOutput* out)
      : spec_(spec), tombstones_(tombstones), out_(out) {}

  Status Add(std::string_view key, uint64_t tag, std::string_view value) {
    if (builder_ && spec_.target_file_size > 0 && builder_->FileSize() >= spec_.target_file_size &&
        key != last_key_) {
      TRINE_RETURN_IF_ERROR(FinishFile(key));
    }
    if (!builder_)
      TRINE_RETURN_IF_ERROR(OpenFile());
    if (!has_first_) {
      first_key_.assign(key);
      has_first_ = true;
    }
    last_key_.assign(key);
    builder_->Add(key, tag, value);
    return builder_->status();
  }

  Status Finish() {
    // Without any point entry, the retained tombstones still need a file.
    if (!builder_ && !any_file_ && !tombstones_.empty())
      TRINE_RETURN_IF_ERROR(OpenFile());
    if (builder_)
      return FinishFile({});
    return Status::OK();
  }

  void Abandon() {
    if (builder_) {
      builder_->Abandon();
      builder_.reset();
      (void)spec_.fs->RemoveFile(TableFileName(spec_.dir, current_->number));
    }
    for (const auto& f : out_->files)
      (void)spec_.fs->RemoveFile(TableFileName(spec_.dir, f->number));
    out_->files.clear();
  }

 private:
  Status OpenFile() {
    current_ = std::make_shared<FileMetaData>();
    current_->number = spec_.new_file_number();
    std::string path = TableFileName(spec_.dir, current_->number);
    TRINE_ASSIGN_OR_RETURN(auto file, spec_.fs->NewWritableFile(path));
    builder_ = std::make_unique<TableBuilder>(spec_.table_options, std::move(file),
                                              path.substr(path.rfind('/') + 1));
    has_first_ = false;
    first_key_.clear();
    last_key_.clear();
    any_file_ = true;
    return Status::OK();
  }

  // Closes the current file, which owns the key space [lower_, upper)
  // (upper empty: unbounded).
  Status FinishFile(std::string_view upper) {
    FileMetaData& f = *current_;
    bool have_bounds = has_first_;
    if (has_first_) {
      f.smallest = first_key_;
      f.largest = last_key_;
    }
    for (const auto& t : tombstones_) {
      std::string_view b = t.begin, e = t.end;
      if (lower_set_ && b < lower_)
        b = lower_;
      if (!upper.empty() && e > upper)
        e = upper;
      if (b >= e)
        continue;
      builder_->AddRangeTombstone(b, e, t.seq);
      if (!have_bounds || b < f.smallest)
        f.smallest.assign(b);
      // A point key equal to the (exclusive) end stays the inclusive bound.
      if (!have_bounds || e > f.largest) {
        f.largest.assign(e);
        f.largest_exclusive = true;
      }
      have_bounds = true;
    }
    if (!have_bounds) {
      // Nothing at all landed in this file: drop it.
      builder_->Abandon();
      builder_.reset();
      (void)spec_.fs->RemoveFile(TableFileName(spec_.dir, f.number));
      SetLower(upper);
      return Status::OK();
    }
    Status s = builder_->Finish();
    const TableProperties& p = builder_->properties();
    f.file_size = builder_->FileSize();
    f.num_entries = p.num_entries;
    f.num_range_dels = p.num_range_deletions;
    f.smallest_seq = p.min_seq == kMaxSequenceNumber ? 0 : p.min_seq;
    f.largest_seq = p.max_seq;
    builder_.reset();
    if (!s.ok()) {
      (void)spec_.fs->RemoveFile(TableFileName(spec_.dir, f.number));
      return s;
    }
    out_->bytes_written += f.file_size;
    out_->files.push_back(current_);
    SetLower(upper);
    return Status::OK();
  }

  void SetLower(std::string_view upper) {
    lower_.assign(upper);
    lower_set_ = !upper.empty();
  }

  const CompactionSpec& spec_;
  const std::vector<RangeTombstone>& tombstones_;
  CompactionOutput* out_;
  std::unique_ptr<TableBuilder> builder_;
  std::shared_ptr<FileMetaData> current_;
  std::string first_key_, last_key_;
  bool has_first_ = false;
  std::string lower_;
  bool lower_set_ = false;
  bool any_file_ = false;
};

}  // namespace

Status RunCompaction(const CompactionSpec& spec, InternalIterator* input,
                     const std::vector<RangeTombstone>& tombstones, CompactionOutput* out) {
  const auto& snaps = spec.snapshots;
  // Index of the stripe holding `seq`: the first snapshot >= seq.
  auto stripe = [&](SequenceNumber seq) {
    return static_cast<size_t>(std::lower_bound(snaps.begin(), snaps.end(), seq) - snaps.begin());
  };
  auto stripe_top = [&](size_t s) { return s < snaps.size() ? snaps[s] : kMaxSequenceNumber; };

  FragmentedTombstones all(tombstones);
  // A range tombstone visible to every snapshot at the bottom of its range
  // has nothing left to delete once this compaction drops what it covers.
  std::vector<RangeTombstone> retained;
  for (const auto& t : tombstones) {
    if (t.begin >= t.end)
      continue;
    if (stripe(t.seq) == 0 && spec.range_is_bottommost(t.begin, t.end))
      continue;
    retained.push_back(t);
  }
  FragmentedTombstones kept(retained);

  OutputWriter writer(spec, retained, out);
  std::string current_key;
  bool has_current = false;
  SequenceNumber last_seq_for_key = kMaxSequenceNumber;
  Status s;
  for (input->SeekToFirst(); input->Valid(); input->Next()) {
    std::string_view key = input->user_key();
    uint64_t tag = input->tag();
    SequenceNumber seq = TagSequence(tag);
    ValueKind kind = TagKind(tag);
    ++out->entries_in;
    if (!has_current || key != current_key) {
      current_key.assign(key);
      has_current = true;
      last_seq_for_key = kMaxSequenceNumber;
    }
    size_t st = stripe(seq);
    bool drop = false;
    if (last_seq_for_key != kMaxSequenceNumber && stripe(last_seq_for_key) == st) {
      drop = true;  // a newer version in the same stripe hides this one
    } else if (!all.empty() && all.MaxCovering(key, stripe_top(st)) > seq) {
      drop = true;  // deleted by a range tombstone no snapshot sees past
    } else if (kind == ValueKind::kDelete && st == 0 && spec.key_is_bottommost(key)) {
      drop = true;  // nothing older below: the tombstone has done its job
    }
    last_seq_for_key = seq;
    if (drop)
      continue;
    uint64_t out_tag = tag;
    if (kind == ValueKind::kPut && st == 0 && spec.key_is_bottommost(key) &&
        (kept.empty() || kept.Find(key) < 0)) {
      out_tag = PackTag(0, ValueKind::kPut);
    }
    s = writer.Add(key, out_tag, input->value());
    if (!s.ok())
      break;
    ++out->entries_out;
  }
  if (s.ok())
    s = input->status();
  if (s.ok())
    s = writer.Finish();
  if (!s.ok())
    writer.Abandon();
  return s;
}

}  // namespace trine
