// What the storage engine does with a WriteBatch beyond the public API.
#pragma once

#include "lsm/memtable.h"
#include "sstable/internal_key.h"
#include "trine/write_batch.h"

namespace trine {

struct WriteBatchInternal {
  static SequenceNumber Sequence(const WriteBatch& b);
  static void SetSequence(WriteBatch* b, SequenceNumber seq);
  // Adds each update to `mem`, numbering them from first_seq.
  static Status InsertInto(const WriteBatch& b, SequenceNumber first_seq, MemTable* mem);
};

}  // namespace trine
