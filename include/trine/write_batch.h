// WriteBatch: a group of updates applied atomically, in order.
//
//   WriteBatch batch;
//   batch.Put("k1", "v1");
//   batch.Delete("k0");
//   batch.DeleteRange("user/7/", "user/8/");   // every key in [begin, end)
//   Status s = db->Write(WriteOptions{}, batch);
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trine/status.h"

namespace trine {

class WriteBatch {
 public:
  WriteBatch();

  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Deletes every key k with begin <= k < end with a single range tombstone:
  // O(1) to write, and later reads skip the whole range at once.
  void DeleteRange(std::string_view begin, std::string_view end);

  void Clear();
  // Makes room for about `bytes` of keys and values (a hint: one allocation
  // instead of a few as the batch grows).
  void Reserve(size_t bytes);
  // Number of updates in the batch.
  uint32_t Count() const;
  bool empty() const { return Count() == 0; }
  // Bytes of keys and values in the batch (for statistics).
  uint64_t user_bytes() const { return user_bytes_; }

  // Receives the updates of a batch in order.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
    virtual void DeleteRange(std::string_view begin, std::string_view end) = 0;
  };
  // Fails with Corruption if the encoded form is damaged.
  Status Iterate(Handler* handler) const;

  // The encoded form (see lsm/write_batch.cpp), as stored in the log.
  std::string_view rep() const { return rep_; }
  // Replaces the contents with an encoded form read from the log.
  Status SetRep(std::string_view rep);

 private:
  std::string rep_;
  uint64_t user_bytes_ = 0;
};

}  // namespace trine
