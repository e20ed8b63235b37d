#include "lsm/memtable.h"

#include <cstring>

#include "common/coding.h"

namespace trine {

namespace {

struct Decoded {
  std::string_view key;
  uint64_t tag;
  std::string_view value;
};

inline Decoded DecodeEntry(const char* p) {
  uint32_t klen;
  p = GetVarint32Ptr(p, p + 5, &klen);
  Decoded d;
  d.key = std::string_view(p, klen);
  d.tag = DecodeFixed64(p + klen);
  uint32_t vlen;
  const char* v = GetVarint32Ptr(p + klen + 8, p + klen + 8 + 5, &vlen);
  d.value = std::string_view(v, vlen);
  return d;
}

inline std::string_view DecodeKey(const char* p, uint64_t* tag) {
  uint32_t klen;
  p = GetVarint32Ptr(p, p + 5, &klen);
  *tag = DecodeFixed64(p + klen);
  return std::string_view(p, klen);
}

// Builds a lookup key (no value) in `buf` for seeking the skiplist.
const char* EncodeLookupKey(std::string* buf, std::string_view key, uint64_t tag) {
  buf->clear();
  PutVarint32(buf, static_cast<uint32_t>(key.size()));
  buf->append(key);
  PutFixed64(buf, tag);
  PutVarint32(buf, 0);
  return buf->data();
}

class MemTableIterator final : public InternalIterator {
 public:
  explicit MemTableIterator(const MemTable::Table* table) : iter_(table) {}

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override {
    iter_.SeekToFirst();
    Decode();
  }
  void SeekToLast() override {
    iter_.SeekToLast();
    Decode();
  }
  void Seek(std::string_view user_key, uint64_t tag) override {
    iter_.Seek(EncodeLookupKey(&buf_, user_key, tag));
    Decode();
  }
  void Next() override {
    iter_.Next();
    Decode();
  }
  void Prev() override {
    iter_.Prev();
    Decode();
  }
  std::string_view user_key() const override { return cur_.key; }
  uint64_t tag() const override { return cur_.tag; }
  std::string_view value() const override { return cur_.value; }
  Status status() const override { return Status::OK(); }

 private:
  void Decode() {
    if (iter_.Valid())
      cur_ = DecodeEntry(iter_.key());
  }
  MemTable::Table::Iterator iter_;
  Decoded cur_{};
  std::string buf_;
};

}  // namespace

int MemTable::KeyComparator::operator()(const char* a, const char* b) const {
  uint64_t ta, tb;
  std::string_view ka = DecodeKey(a, &ta);
  std::string_view kb = DecodeKey(b, &tb);
  return CompareInternal(ka, ta, kb, tb);
}

KeyPrefix MemTable::KeyComparator::prefix(const char* entry) const {
  uint64_t tag;
  std::string_view k = DecodeKey(entry, &tag);
  unsigned char buf[16] = {};
  if (!k.empty())
    std::memcpy(buf, k.data(), k.size() < 16 ? k.size() : 16);
  uint64_t hi, lo;
  std::memcpy(&hi, buf, 8);
  std::memcpy(&lo, buf + 8, 8);
  return KeyPrefix{__builtin_bswap64(hi), __builtin_bswap64(lo)};
}

MemTable::MemTable() : table_(KeyComparator(), &arena_) {}
MemTable::~MemTable() = default;

void MemTable::Add(SequenceNumber seq, ValueKind kind, std::string_view key,
                   std::string_view value) {
  if (seq > last_seq_.load(std::memory_order_relaxed))
    last_seq_.store(seq, std::memory_order_release);
  if (kind == ValueKind::kRangeDelete) {
    std::lock_guard<std::mutex> lock(range_mu_);
    range_dels_.push_back(RangeTombstone{std::string(key), std::string(value), seq});
    fragments_.reset();
    range_del_bytes_.fetch_add(key.size() + value.size() + sizeof(RangeTombstone),
                               std::memory_order_relaxed);
    num_range_dels_.store(range_dels_.size(), std::memory_order_release);
    return;
  }
  size_t klen = key.size(), vlen = value.size();
  size_t len = static_cast<size_t>(VarintLength(klen)) + klen + 8 +
               static_cast<size_t>(VarintLength(vlen)) + vlen;
  char* buf = arena_.AllocateAligned(len);
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(klen));
  if (klen > 0)
    std::memcpy(p, key.data(), klen);  // empty views may hold nullptr
  p += klen;
  EncodeFixed64(p, PackTag(seq, kind));
  p += 8;
  p = EncodeVarint32(p, static_cast<uint32_t>(vlen));
  if (vlen > 0)
    std::memcpy(p, value.data(), vlen);
  table_.Insert(buf);
  num_entries_.fetch_add(1, std::memory_order_relaxed);
  if (seq > max_seq_.load(std::memory_order_relaxed))
    max_seq_.store(seq, std::memory_order_release);
}

bool MemTable::Get(std::string_view key, SequenceNumber snapshot, uint64_t* tag,
                   std::string* value) const {
  // A small stack buffer avoids a heap allocation for typical keys.
  char stack[64];
  std::string heap;
  const char* lookup;
  size_t need = 5 + key.size() + 8 + 1;
  if (need <= sizeof(stack)) {
    char* p = EncodeVarint32(stack, static_cast<uint32_t>(key.size()));
    if (!key.empty())
      std::memcpy(p, key.data(), key.size());
    p += key.size();
    EncodeFixed64(p, SeekTag(snapshot));
    p[8] = 0;
    lookup = stack;
  } else {
    lookup = EncodeLookupKey(&heap, key, SeekTag(snapshot));
  }
  Table::Iterator it(&table_);
  it.Seek(lookup);
  if (!it.Valid())
    return false;
  Decoded d = DecodeEntry(it.key());
  if (d.key != key)
    return false;
  *tag = d.tag;
  if (TagKind(d.tag) == ValueKind::kPut)
    value->assign(d.value);
  return true;
}

SequenceNumber MemTable::MaxCoveringTombstone(std::string_view key, SequenceNumber snapshot) const {
  if (!has_range_tombstones())
    return 0;
  return FragmentedRangeTombstones()->MaxCovering(key, snapshot);
}

std::unique_ptr<InternalIterator> MemTable::NewIterator() const {
  return std::make_unique<MemTableIterator>(&table_);
}

std::shared_ptr<const FragmentedTombstones> MemTable::FragmentedRangeTombstones() const {
  if (!has_range_tombstones())
    return nullptr;
  std::lock_guard<std::mutex> lock(range_mu_);
  if (!fragments_)
    fragments_ = std::make_shared<const FragmentedTombstones>(range_dels_);
  return fragments_;
}

std::vector<RangeTombstone> MemTable::RangeTombstones() const {
  if (!has_range_tombstones())
    return {};
  std::lock_guard<std::mutex> lock(range_mu_);
  return range_dels_;
}

}  // namespace trine
