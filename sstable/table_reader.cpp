#include "sstable/table_reader.h"

#include <utility>

#include "common/coding.h"

namespace trine {

TableReader::TableReader(std::unique_ptr<RandomAccessFile> file, std::string file_name,
                         std::shared_ptr<BlockCache> cache)
    : file_(std::move(file)), file_name_(std::move(file_name)), cache_(std::move(cache)) {}

TableReader::~TableReader() {
  if (cache_ != nullptr && slots_ != nullptr)
    cache_->EraseSlots(slots_.get(), index_.size());
}

Status TableReader::DecodeIndex(const Block& index_block) {
  BlockIter it(&index_block, file_name_);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view v = it.value();
    IndexEntry e;
    if (!DecodeHandleVarint(&v, &e.handle)) {
      return Status::Corruption(file_name_ + ": bad block handle in index");
    }
    e.key_offset = static_cast<uint32_t>(index_keys_.size());
    e.key_size = static_cast<uint32_t>(it.user_key().size());
    e.tag = it.tag();
    index_keys_.append(it.user_key());
    index_.push_back(e);
  }
  TRINE_RETURN_IF_ERROR(it.status());
  slots_ = std::make_unique<BlockCache::Slot[]>(index_.size());
  return Status::OK();
}

Result<std::unique_ptr<TableReader>> TableReader::Open(std::unique_ptr<RandomAccessFile> file,
                                                       std::string file_name,
                                                       std::shared_ptr<BlockCache> cache) {
  std::unique_ptr<TableReader> t(
      new TableReader(std::move(file), std::move(file_name), std::move(cache)));
  const std::string& name = t->file_name_;
  uint64_t size = t->file_->Size();
  if (size < kFooterSize)
    return Status::Corruption(name + ": file too short to be a table");
  char buf[kFooterSize];
  std::string_view got;
  TRINE_RETURN_IF_ERROR(t->file_->Read(size - kFooterSize, kFooterSize, buf, &got));
  Footer footer;
  TRINE_RETURN_IF_ERROR(footer.DecodeFrom(got, name));

  std::string contents;
  TRINE_RETURN_IF_ERROR(ReadBlock(*t->file_, name, footer.index, &contents));
  Block index(std::move(contents));
  if (!index.ok())
    return Status::Corruption(name + ": malformed index block");
  TRINE_RETURN_IF_ERROR(t->DecodeIndex(index));

  std::string props;
  TRINE_RETURN_IF_ERROR(ReadBlock(*t->file_, name, footer.properties, &props));
  if (!t->props_.DecodeFrom(props))
    return Status::Corruption(name + ": malformed properties block");
  if (t->props_.num_data_blocks != t->index_.size()) {
    return Status::Corruption(name + ": index and properties disagree on the block count");
  }

  if (footer.filter.size > 0) {
    TRINE_RETURN_IF_ERROR(ReadBlock(*t->file_, name, footer.filter, &t->filter_data_));
    if (!t->filter_.Init(t->filter_data_)) {
      return Status::Corruption(name + ": malformed filter block");
    }
  }
  if (footer.range_dels.size > 0) {
    std::string rd;
    TRINE_RETURN_IF_ERROR(ReadBlock(*t->file_, name, footer.range_dels, &rd));
    Block block(std::move(rd));
    if (!block.ok())
      return Status::Corruption(name + ": malformed range-deletion block");
    BlockIter it(&block, name);
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      if (TagKind(it.tag()) != ValueKind::kRangeDelete) {
        return Status::Corruption(name + ": bad entry in range-deletion block");
      }
      t->tombstones_.push_back(RangeTombstone{std::string(it.user_key()), std::string(it.value()),
                                              TagSequence(it.tag())});
    }
    TRINE_RETURN_IF_ERROR(it.status());
    t->fragments_ = FragmentedTombstones(t->tombstones_);
  }
  return t;
}

size_t TableReader::FindBlock(std::string_view user_key, uint64_t tag) const {
  size_t lo = 0, hi = index_.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const IndexEntry& e = index_[mid];
    if (CompareInternal(IndexKey(e), e.tag, user_key, tag) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

Status TableReader::GetBlock(size_t i, bool fill_cache, std::shared_ptr<const Block>* block) const {
  BlockCache::Slot* slot = &slots_[i];
  if (cache_ != nullptr) {
    *block = cache_->Lookup(slot);
    if (*block)
      return Status::OK();
  }
  const BlockHandle& handle = index_[i].handle;
  std::string contents;
  TRINE_RETURN_IF_ERROR(ReadBlock(*file_, file_name_, handle, &contents));
  auto b = std::make_shared<const Block>(std::move(contents));
  if (!b->ok()) {
    return Status::Corruption(file_name_ + ": malformed block at offset " +
                              std::to_string(handle.offset));
  }
  if (cache_ != nullptr && fill_cache)
    cache_->Insert(slot, b);
  *block = std::move(b);
  return Status::OK();
}

Status TableReader::Get(std::string_view user_key, uint64_t seek_tag, bool fill_cache,
                        GetResult* result, std::string* value) const {
  *result = GetResult{};
  if (!filter_.KeyMayMatch(user_key)) {
    result->filtered = true;
    return Status::OK();
  }
  // Versions of one key may continue into the next block: keep going until
  // an entry for another key shows up.
  for (size_t i = FindBlock(user_key, seek_tag); i < index_.size(); ++i) {
    std::shared_ptr<const Block> block;
    TRINE_RETURN_IF_ERROR(GetBlock(i, fill_cache, &block));
    BlockIter it(block.get(), file_name_);
    it.Seek(user_key, seek_tag);
    TRINE_RETURN_IF_ERROR(it.status());
    if (it.Valid()) {
      if (it.user_key() == user_key) {
        result->found = true;
        result->tag = it.tag();
        value->assign(it.value());
      }
      return Status::OK();
    }
  }
  return Status::OK();
}

std::unique_ptr<TableIterator> TableReader::NewIterator(bool fill_cache) const {
  return std::make_unique<TableIterator>(this, fill_cache);
}

bool TableIterator::LoadBlock(size_t i) {
  valid_ = false;
  if (i >= table_->num_blocks() || !status_.ok()) {
    block_.reset();
    block_index_ = table_->num_blocks();
    return false;
  }
  if (block_ && block_index_ == i)
    return true;
  Status s = table_->GetBlock(i, fill_cache_, &block_);
  if (!s.ok()) {
    status_ = s;
    block_.reset();
    return false;
  }
  block_index_ = i;
  data_iter_.Init(block_.get(), table_->file_name());
  return true;
}

void TableIterator::SkipEmptyForward() {
  while (block_ && status_.ok() && data_iter_.status().ok()) {
    if (data_iter_.Valid()) {
      valid_ = true;
      return;
    }
    if (LoadBlock(block_index_ + 1))
      data_iter_.SeekToFirst();
  }
  valid_ = false;
}

void TableIterator::SkipEmptyBackward() {
  while (block_ && status_.ok() && data_iter_.status().ok()) {
    if (data_iter_.Valid()) {
      valid_ = true;
      return;
    }
    if (block_index_ == 0)
      break;
    if (LoadBlock(block_index_ - 1))
      data_iter_.SeekToLast();
  }
  valid_ = false;
}

void TableIterator::SeekToFirst() {
  if (LoadBlock(0))
    data_iter_.SeekToFirst();
  SkipEmptyForward();
}

void TableIterator::SeekToLast() {
  size_t n = table_->num_blocks();
  if (n > 0 && LoadBlock(n - 1))
    data_iter_.SeekToLast();
  SkipEmptyBackward();
}

void TableIterator::Seek(std::string_view user_key, uint64_t tag) {
  if (LoadBlock(table_->FindBlock(user_key, tag)))
    data_iter_.Seek(user_key, tag);
  SkipEmptyForward();
}

}  // namespace trine
