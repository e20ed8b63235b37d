// WriteBatch encoding (also the payload of a log record, lsm/log_format.h):
//
//   sequence: fixed64    sequence number of the first update (set at commit)
//   count: fixed32       number of updates
//   update*              kind: 1 byte (ValueKind)
//                        key: varint32 length + bytes
//                        value: varint32 length + bytes   (kPut; for kRangeDelete the end key)
#include "trine/write_batch.h"

#include "common/coding.h"
#include "lsm/write_batch_internal.h"

namespace trine {

namespace {
constexpr size_t kHeader = 12;
}

WriteBatch::WriteBatch() {
  Clear();
}

void WriteBatch::Clear() {
  rep_.assign(kHeader, '\0');
  user_bytes_ = 0;
}

uint32_t WriteBatch::Count() const {
  return DecodeFixed32(rep_.data() + 8);
}

void WriteBatch::Reserve(size_t bytes) {
  rep_.reserve(rep_.size() + bytes);
}

void WriteBatch::Put(std::string_view key, std::string_view value) {
  EncodeFixed32(rep_.data() + 8, Count() + 1);
  rep_.push_back(static_cast<char>(ValueKind::kPut));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
  user_bytes_ += key.size() + value.size();
}

void WriteBatch::Delete(std::string_view key) {
  EncodeFixed32(rep_.data() + 8, Count() + 1);
  rep_.push_back(static_cast<char>(ValueKind::kDelete));
  PutLengthPrefixed(&rep_, key);
  user_bytes_ += key.size();
}

void WriteBatch::DeleteRange(std::string_view begin, std::string_view end) {
  EncodeFixed32(rep_.data() + 8, Count() + 1);
  rep_.push_back(static_cast<char>(ValueKind::kRangeDelete));
  PutLengthPrefixed(&rep_, begin);
  PutLengthPrefixed(&rep_, end);
  user_bytes_ += begin.size() + end.size();
}

Status WriteBatch::Iterate(Handler* handler) const {
  std::string_view in(rep_);
  if (in.size() < kHeader)
    return Status::Corruption("write batch too small");
  uint32_t count = Count();
  in.remove_prefix(kHeader);
  uint32_t found = 0;
  while (!in.empty()) {
    auto kind = static_cast<ValueKind>(in[0]);
    in.remove_prefix(1);
    std::string_view key, value;
    if (!GetLengthPrefixed(&in, &key))
      return Status::Corruption("bad key in write batch");
    switch (kind) {
      case ValueKind::kPut:
        if (!GetLengthPrefixed(&in, &value))
          return Status::Corruption("bad value in write batch");
        handler->Put(key, value);
        break;
      case ValueKind::kDelete:
        handler->Delete(key);
        break;
      case ValueKind::kRangeDelete:
        if (!GetLengthPrefixed(&in, &value))
          return Status::Corruption("bad range in write batch");
        handler->DeleteRange(key, value);
        break;
      default:
        return Status::Corruption("unknown update kind in write batch");
    }
    ++found;
  }
  if (found != count)
    return Status::Corruption("write batch count mismatch");
  return Status::OK();
}

Status WriteBatch::SetRep(std::string_view rep) {
  if (rep.size() < kHeader)
    return Status::Corruption("write batch too small");
  rep_.assign(rep);
  user_bytes_ = 0;
  return Status::OK();
}

SequenceNumber WriteBatchInternal::Sequence(const WriteBatch& b) {
  return DecodeFixed64(b.rep().data());
}

void WriteBatchInternal::SetSequence(WriteBatch* b, SequenceNumber seq) {
  EncodeFixed64(const_cast<char*>(b->rep().data()), seq);
}

Status WriteBatchInternal::InsertInto(const WriteBatch& b, SequenceNumber first_seq,
                                      MemTable* mem) {
  // A small batch (a transaction's commit) is read once into an array, and
  // its keys' memtable locations are loaded together before the writes
  // (MemTable::Prefetch), which then reuse the keys' hashes.
  struct Entries : WriteBatch::Handler {
    struct Entry {
      ValueKind kind;
      std::string_view key, value;
    };
    Entry entries[MemTree::kMaxWarm];
    std::string_view keys[MemTree::kMaxWarm];  // of the point entries
    int n = 0, points = 0;
    void Put(std::string_view k, std::string_view v) override { Add(ValueKind::kPut, k, v); }
    void Delete(std::string_view k) override { Add(ValueKind::kDelete, k, {}); }
    void DeleteRange(std::string_view b, std::string_view e) override {
      Add(ValueKind::kRangeDelete, b, e);
    }
    void Add(ValueKind kind, std::string_view k, std::string_view v) {
      // More entries than the batch's count: Iterate reports the mismatch.
      if (n == MemTree::kMaxWarm)
        return;
      entries[n++] = Entry{kind, k, v};
      if (kind != ValueKind::kRangeDelete)
        keys[points++] = k;
    }
  };
  if (b.Count() <= static_cast<uint32_t>(MemTree::kMaxWarm)) {
    Entries e;
    TRINE_RETURN_IF_ERROR(b.Iterate(&e));
    uint32_t hashes[MemTree::kMaxWarm];
    mem->Prefetch(e.keys, e.points, hashes);
    SequenceNumber seq = first_seq;
    int point = 0;
    for (int i = 0; i < e.n; ++i) {
      const Entries::Entry& x = e.entries[i];
      if (x.kind == ValueKind::kRangeDelete)
        mem->Add(seq++, x.kind, x.key, x.value);
      else
        mem->Add(seq++, x.kind, x.key, x.value, hashes[point++]);
    }
    return Status::OK();
  }
  struct Inserter : WriteBatch::Handler {
    SequenceNumber seq;
    MemTable* mem;
    void Put(std::string_view k, std::string_view v) override {
      mem->Add(seq++, ValueKind::kPut, k, v);
    }
    void Delete(std::string_view k) override { mem->Add(seq++, ValueKind::kDelete, k, {}); }
    void DeleteRange(std::string_view b, std::string_view e) override {
      mem->Add(seq++, ValueKind::kRangeDelete, b, e);
    }
  } ins;
  ins.seq = first_seq;
  ins.mem = mem;
  return b.Iterate(&ins);
}

}  // namespace trine
