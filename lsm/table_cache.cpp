#include "lsm/table_cache.h"

#include "lsm/filename.h"

namespace trine {

Result<const TableReader*> TableCache::Get(const FileMetaData& file) {
  const TableReader* r = file.reader.load(std::memory_order_acquire);
  if (r != nullptr)
    return r;
  std::lock_guard<std::mutex> lock(file.open_mu);
  r = file.reader.load(std::memory_order_acquire);
  if (r != nullptr)
    return r;
  std::string path = TableFileName(dir_, file.number);
  TRINE_ASSIGN_OR_RETURN(auto f, fs_->NewRandomAccessFile(path));
  std::string name = path.substr(path.rfind('/') + 1);
  TRINE_ASSIGN_OR_RETURN(auto reader, TableReader::Open(std::move(f), name, block_cache_));
  file.reader_owner = std::move(reader);
  file.reader.store(file.reader_owner.get(), std::memory_order_release);
  return file.reader_owner.get();
}

}  // namespace trine
