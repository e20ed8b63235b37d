#include "sstable/table_reader.h"

#include <utility>

#include "common/coding.h"

namespace trine {

namespace {

// Two-level iterator: the index block picks the data block, a BlockIter walks it.
class TableIterator final : public InternalIterator {
 public:
  TableIterator(const TableReader* table, bool fill_cache)
      : table_(table), fill_cache_(fill_cache), index_iter_(&table->index_block(), table->file_name()) {}

  bool Valid() const override { return data_valid_; }
  void SeekToFirst() override {
    index_iter_.SeekToFirst();
    LoadBlock();
    if (block_) data_iter_.SeekToFirst();
    SkipEmptyForward();
  }
  void SeekToLast() override {
    index_iter_.SeekToLast();
    LoadBlock();
    if (block_) data_iter_.SeekToLast();
    SkipEmptyBackward();
  }
  void Seek(std::string_view user_key, uint64_t tag) override {
    index_iter_.Seek(user_key, tag);
    LoadBlock();
    if (block_) data_iter_.Seek(user_key, tag);
    SkipEmptyForward();
  }
  void Next() override {
    data_iter_.Next();
    SkipEmptyForward();
  }
  void Prev() override {
    data_iter_.Prev();
    SkipEmptyBackward();
  }
  std::string_view user_key() const override { return data_iter_.user_key(); }
  uint64_t tag() const override { return data_iter_.tag(); }
  std::string_view value() const override { return data_iter_.value(); }
  Status status() const override {
    if (!status_.ok()) return status_;
    if (!index_iter_.status().ok()) return index_iter_.status();
    return data_iter_.status();
  }

 private:
  // Points data_iter_ at the block the index iterator is on (block_ null if none).
  void LoadBlock() {
    data_valid_ = false;
    if (!index_iter_.Valid()) {
      block_.reset();
      return;
    }
    std::string_view v = index_iter_.value();
    BlockHandle h;
    if (!DecodeHandleVarint(&v, &h)) {
      status_ = Status::Corruption(table_->file_name() + ": bad block handle in index");
      block_.reset();
      return;
    }
    if (block_ && h.offset == block_offset_) return;  // same block: keep the iterator's state
    Status s = table_->GetBlock(h, fill_cache_, &block_);
    if (!s.ok()) {
      status_ = s;
      block_.reset();
      return;
    }
    block_offset_ = h.offset;
    data_iter_.Init(block_.get(), table_->file_name());
  }

  bool Broken() const { return !status_.ok() || !data_iter_.status().ok(); }

  void SkipEmptyForward() {
    while (true) {
      if (Broken() || !block_) {
        data_valid_ = false;
        return;
      }
      if (data_iter_.Valid()) {
        data_valid_ = true;
        return;
      }
      index_iter_.Next();
      LoadBlock();
      if (block_) data_iter_.SeekToFirst();
    }
  }
  void SkipEmptyBackward() {
    while (true) {
      if (Broken() || !block_) {
        data_valid_ = false;
        return;
      }
      if (data_iter_.Valid()) {
        data_valid_ = true;
        return;
      }
      index_iter_.Prev();
      LoadBlock();
      if (block_) data_iter_.SeekToLast();
    }
  }

  const TableReader* table_;
  bool fill_cache_;
  BlockIter index_iter_;
  std::shared_ptr<const Block> block_;
  uint64_t block_offset_ = 0;
  BlockIter data_iter_;
  bool data_valid_ = false;
  Status status_;
};

}  // namespace

TableReader::TableReader(std::unique_ptr<RandomAccessFile> file, std::string file_name,
                         std::shared_ptr<BlockCache> cache)
    : file_(std::move(file)),
      file_name_(std::move(file_name)),
      cache_(std::move(cache)),
      cache_id_(BlockCache::NewTableId()) {}

TableReader::~TableReader() {
  if (cache_ != nullptr) cache_->EraseTable(cache_id_);
}

Result<std::unique_ptr<TableReader>> TableReader::Open(std::unique_ptr<RandomAccessFile> file,
                                                       std::string file_name,
                                                       std::shared_ptr<BlockCache> cache) {
  std::unique_ptr<TableReader> t(
      new TableReader(std::move(file), std::move(file_name), std::move(cache)));
  const std::string& name = t->file_name_;
  uint64_t size = t->file_->Size();
  if (size < kFooterSize) return Status::Corruption(name + ": file too short to be a table");
  char buf[kFooterSize];
  std::string_view got;
  TRINE_RETURN_IF_ERROR(t->file_->Read(size - kFooterSize, kFooterSize, buf, &got));
  Footer footer;
  TRINE_RETURN_IF_ERROR(footer.DecodeFrom(got, name));

  std::string contents;
  TRINE_RETURN_IF_ERROR(ReadBlock(*t->file_, name, footer.index, &contents));
  t->index_ = std::make_unique<Block>(std::move(contents));
  if (!t->index_->ok()) return Status::Corruption(name + ": malformed index block");

  std::string props;
  TRINE_RETURN_IF_ERROR(ReadBlock(*t->file_, name, footer.properties, &props));
  if (!t->props_.DecodeFrom(props)) return Status::Corruption(name + ": malformed properties block");

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
    BlockIter it(&block, name);
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      if (TagKind(it.tag()) != ValueKind::kRangeDelete) {
        return Status::Corruption(name + ": bad entry in range-deletion block");
      }
      t->tombstones_.push_back(
          RangeTombstone{std::string(it.user_key()), std::string(it.value()), TagSequence(it.tag())});
    }
    TRINE_RETURN_IF_ERROR(it.status());
    if (!block.ok()) return Status::Corruption(name + ": malformed range-deletion block");
    t->fragments_ = FragmentedTombstones(t->tombstones_);
  }
  return t;
}

Status TableReader::GetBlock(const BlockHandle& handle, bool fill_cache,
                             std::shared_ptr<const Block>* block) const {
  if (cache_ != nullptr) {
    *block = cache_->Lookup(cache_id_, handle.offset);
    if (*block) return Status::OK();
  }
  std::string contents;
  TRINE_RETURN_IF_ERROR(ReadBlock(*file_, file_name_, handle, &contents));
  auto b = std::make_shared<const Block>(std::move(contents));
  if (!b->ok()) {
    return Status::Corruption(file_name_ + ": malformed block at offset " +
                              std::to_string(handle.offset));
  }
  if (cache_ != nullptr && fill_cache) cache_->Insert(cache_id_, handle.offset, b);
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
  BlockIter index_iter(index_.get(), file_name_);
  index_iter.Seek(user_key, seek_tag);
  // Versions of one key may continue into the next block: keep going until
  // an entry for another key shows up.
  for (; index_iter.Valid(); index_iter.Next()) {
    std::string_view v = index_iter.value();
    BlockHandle h;
    if (!DecodeHandleVarint(&v, &h)) {
      return Status::Corruption(file_name_ + ": bad block handle in index");
    }
    std::shared_ptr<const Block> block;
    TRINE_RETURN_IF_ERROR(GetBlock(h, fill_cache, &block));
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
  return index_iter.status();
}

std::unique_ptr<InternalIterator> TableReader::NewIterator(bool fill_cache) const {
  return std::make_unique<TableIterator>(this, fill_cache);
}

}  // namespace trine
