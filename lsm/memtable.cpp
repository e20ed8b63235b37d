#include "lsm/memtable.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <new>
#include <system_error>

#include "common/thread_priority.h"
#include "sstable/internal_key.h"

namespace trine {

namespace {

// The oldest version of a record.
const MemVersion* Oldest(const MemKey* r) {
  const MemVersion* v = r->newest.load(std::memory_order_acquire);
  while (const MemVersion* o = v->older.load(std::memory_order_acquire))
    v = o;
  return v;
}

// Walks the records of the tree and, inside each, its versions: the
// internal entries in (user key ascending, tag descending) order.
class MemTableIterator final : public InternalIterator {
 public:
  explicit MemTableIterator(const MemTree* tree) : iter_(tree) {}

  bool Valid() const override { return version_ != nullptr; }
  void SeekToFirst() override {
    iter_.SeekToFirst();
    version_ = iter_.Valid() ? iter_.record()->newest.load(std::memory_order_acquire) : nullptr;
  }
  void SeekToLast() override {
    iter_.SeekToLast();
    version_ = iter_.Valid() ? Oldest(iter_.record()) : nullptr;
  }
  void Seek(std::string_view user_key, uint64_t tag) override {
    iter_.Seek(user_key);
    version_ = nullptr;
    if (!iter_.Valid())
      return;
    const MemKey* r = iter_.record();
    version_ = r->newest.load(std::memory_order_acquire);
    if (r->key() != user_key)
      return;
    while (version_ != nullptr && version_->tag > tag)
      version_ = version_->older.load(std::memory_order_acquire);
    if (version_ == nullptr)
      NextRecord();
  }
  void Next() override {
    version_ = version_->older.load(std::memory_order_acquire);
    if (version_ == nullptr)
      NextRecord();
  }
  void Prev() override {
    const MemVersion* v = iter_.record()->newest.load(std::memory_order_acquire);
    if (v != version_) {
      // Versions link only to older ones: find the one before this.
      while (v->older.load(std::memory_order_acquire) != version_)
        v = v->older.load(std::memory_order_acquire);
      version_ = v;
      return;
    }
    iter_.Prev();
    version_ = iter_.Valid() ? Oldest(iter_.record()) : nullptr;
  }
  std::string_view user_key() const override { return iter_.record()->key(); }
  uint64_t tag() const override { return version_->tag; }
  std::string_view value() const override { return version_->value(); }
  Status status() const override { return Status::OK(); }

 private:
  void NextRecord() {
    iter_.Next();
    version_ = iter_.Valid() ? iter_.record()->newest.load(std::memory_order_acquire) : nullptr;
  }

  MemTree::Iterator iter_;
  const MemVersion* version_ = nullptr;  // null when not Valid()
};

}  // namespace

MemTable::MemTable(std::shared_ptr<MemPool> pool, bool order_in_background)
    : pool_(std::move(pool)),
      background_(order_in_background),
      arena_(pool_.get()),
      tree_arena_(pool_.get()),
      table_(background_ ? &tree_arena_ : &arena_),
      index_(pool_.get()) {
  if (background_)
    ring_ = std::make_unique<MemKey*[]>(kRing);
}

MemTable::~MemTable() {
  if (thread_.joinable()) {
    stop_.store(true, std::memory_order_seq_cst);
    wake_.fetch_add(1, std::memory_order_seq_cst);
    wake_.notify_one();
    thread_.join();
  }
}

void MemTable::Order(MemKey* record) {
  const uint64_t h = handed_.load(std::memory_order_relaxed);
  if (h == 0) {
    try {
      // At a background thread's priority: where cores are scarce the writer
      // comes first, and the records it cannot get to wait in the ring for
      // iterators or the writer (a full ring) to insert.
      thread_ = std::thread([this] {
        LowerThreadPriority();
        OrderLoop();
      });
    } catch (const std::system_error&) {
      // No thread to be had: iterators, and the writer when the ring is
      // full, insert the records themselves.
    }
  }
  // The ring is full (a bulk load outpaces the thread): make room for a
  // batch ourselves.
  if (h - ordered_.load(std::memory_order_acquire) >= kRing)
    OrderUpTo(h + MemTree::kMaxWarm - kRing);
  ring_[h & (kRing - 1)] = record;
  handed_.store(h + 1, std::memory_order_seq_cst);
  // Dekker with OrderLoop: it sets idle_ and then reads handed_; we wrote
  // handed_ and now read idle_, so one of us sees the other's store. Only
  // the writer that clears idle_ wakes the thread.
  if (h + 1 - ordered_.load(std::memory_order_relaxed) >= kWakeAt &&
      idle_.load(std::memory_order_seq_cst) && idle_.exchange(false, std::memory_order_seq_cst)) {
    wake_.fetch_add(1, std::memory_order_seq_cst);
    wake_.notify_one();
  }
}

void MemTable::OrderUpTo(uint64_t count, bool by_thread) const {
  if (ordered_.load(std::memory_order_acquire) >= count)
    return;
  MemKey* batch[MemTree::kMaxWarm];
  std::string_view keys[MemTree::kMaxWarm];
  // The lock is held for one batch at a time, and the thread gives way
  // between batches to anyone else waiting (a writer whose ring is full, an
  // iterator): they need the records now, and a mutex does not queue its
  // waiters, so the thread would otherwise take it back batch after batch
  // (overwrites in batches of 1000 waited up to 4 ms at the 99th
  // percentile that way).
  if (!by_thread)
    others_waiting_.fetch_add(1, std::memory_order_relaxed);
  while (ordered_.load(std::memory_order_acquire) < count) {
    if (by_thread && others_waiting_.load(std::memory_order_relaxed) > 0)
      return;
    std::lock_guard<std::mutex> lock(order_mu_);
    const uint64_t done = ordered_.load(std::memory_order_relaxed);
    if (done >= count)
      break;
    // A batch, so the tree paths of its keys are loaded together.
    const int n = static_cast<int>(std::min<uint64_t>(count - done, MemTree::kMaxWarm));
    for (int i = 0; i < n; ++i) {
      batch[i] = ring_[(done + static_cast<uint64_t>(i)) & (kRing - 1)];
      keys[i] = batch[i]->key();
    }
    table_.Warm(keys, n);
    for (int i = 0; i < n; ++i)
      table_.Insert(batch[i]);
    ordered_.store(done + static_cast<uint64_t>(n), std::memory_order_release);
  }
  if (!by_thread)
    others_waiting_.fetch_sub(1, std::memory_order_relaxed);
}

void MemTable::OrderLoop() {
  // While writes come, the thread polls the ring at short intervals: a wake
  // through the kernel would cost the writer a system call (several µs
  // here) per batch. After a stretch with nothing new it sleeps until the
  // writer wakes it.
  //
  // It takes on only a gathered batch. Where iterators follow the writes
  // closely (a live query re-reading a range after each commit) they
  // insert the few pending records themselves, as the writer would have;
  // the thread taking those would only make them wait for it and then read
  // tree nodes just written on another core (the live bench's nested part
  // measured ~20% slower per commit that way).
  constexpr auto kPollInterval = std::chrono::microseconds(50);
  constexpr int kIdlePolls = 20;
  constexpr uint64_t kBatch = 32;
  int idle_polls = 0;
  uint64_t seen = 0;  // handed_ at the last poll
  while (!stop_.load(std::memory_order_acquire)) {
    uint64_t handed = handed_.load(std::memory_order_acquire);
    if (handed - ordered_.load(std::memory_order_acquire) >= kBatch) {
      OrderUpTo(handed, /*by_thread=*/true);
      idle_polls = 0;
    } else if (handed != seen) {
      idle_polls = 0;  // writes still come: keep polling
    } else {
      ++idle_polls;
    }
    seen = handed;
    if (idle_polls < kIdlePolls) {
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    uint32_t w = wake_.load(std::memory_order_seq_cst);
    idle_.store(true, std::memory_order_seq_cst);
    // The destructor sets stop_ and then bumps wake_, so a stop after this
    // check ends the wait at once.
    if (stop_.load(std::memory_order_seq_cst))
      return;
    if (handed_.load(std::memory_order_seq_cst) - ordered_.load(std::memory_order_acquire) <
        kWakeAt)
      wake_.wait(w, std::memory_order_seq_cst);
    idle_.store(false, std::memory_order_relaxed);
    idle_polls = 0;
  }
}

void MemTable::Prefetch(const std::string_view* keys, int n, uint32_t* h) const {
  n = std::min(n, MemTree::kMaxWarm);
  for (int i = 0; i < n; ++i) {
    h[i] = KeyIndex::Hash(keys[i]);
    index_.Prefetch(h[i]);
  }
  for (int i = 0; i < n; ++i)
    index_.PrefetchRecords(h[i]);
  if (background_)
    return;  // the ordering thread warms the tree paths
  std::string_view absent[MemTree::kMaxWarm];
  int m = 0;
  for (int i = 0; i < n; ++i)
    if (index_.Find(keys[i], h[i]) == nullptr)
      absent[m++] = keys[i];
  if (m > 0)
    table_.Warm(absent, m);
}

void MemTable::Add(SequenceNumber seq, ValueKind kind, std::string_view key,
                   std::string_view value) {
  Add(seq, kind, key, value, kind == ValueKind::kRangeDelete ? 0 : KeyIndex::Hash(key));
}

void MemTable::Add(SequenceNumber seq, ValueKind kind, std::string_view key, std::string_view value,
                   uint32_t h) {
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
  const uint64_t tag = PackTag(seq, kind);
  char* vmem = arena_.AllocateAligned(sizeof(MemVersion) + value.size());
  auto* v = new (vmem) MemVersion;
  v->tag = tag;
  v->size = static_cast<uint32_t>(value.size());
  if (!value.empty())  // empty views may hold nullptr
    std::memcpy(vmem + sizeof(MemVersion), value.data(), value.size());

  if (MemKey* r = index_.Find(key, h)) {
    const MemVersion* newest = r->newest.load(std::memory_order_relaxed);
    // The usual case: sequences grow, and a sequence above every one in the
    // memtable needs no look at the newest version (one cache miss fewer).
    if (seq > max_seq_.load(std::memory_order_relaxed) || newest->tag < tag) {
      v->older.store(newest, std::memory_order_relaxed);
      r->newest.store(v, std::memory_order_release);
    } else {
      // Keep the versions in descending order whatever the order of arrival.
      const MemVersion* at = newest;
      const MemVersion* next;
      while ((next = at->older.load(std::memory_order_relaxed)) != nullptr && next->tag > tag)
        at = next;
      v->older.store(next, std::memory_order_relaxed);
      const_cast<MemVersion*>(at)->older.store(v, std::memory_order_release);
    }
  } else {
    char* kmem = arena_.AllocateAligned(sizeof(MemKey) + key.size());
    auto* rec = new (kmem) MemKey;
    rec->size = static_cast<uint32_t>(key.size());
    if (!key.empty())
      std::memcpy(kmem + sizeof(MemKey), key.data(), key.size());
    v->older.store(nullptr, std::memory_order_relaxed);
    rec->newest.store(v, std::memory_order_relaxed);  // published with the record
    if (background_) {
      index_.Insert(rec, h);
      Order(rec);
    } else {
      table_.Insert(rec);
      index_.Insert(rec, h);
    }
  }
  num_entries_.fetch_add(1, std::memory_order_relaxed);
  if (seq > max_seq_.load(std::memory_order_relaxed))
    max_seq_.store(seq, std::memory_order_release);
}

bool MemTable::Get(std::string_view key, SequenceNumber snapshot, uint64_t* tag,
                   std::string* value) const {
  const MemKey* r = index_.Find(key, KeyIndex::Hash(key));
  if (r == nullptr)
    return false;
  const uint64_t seek = SeekTag(snapshot);
  for (const MemVersion* v = r->newest.load(std::memory_order_acquire); v != nullptr;
       v = v->older.load(std::memory_order_acquire)) {
    if (v->tag <= seek) {
      *tag = v->tag;
      if (TagKind(v->tag) == ValueKind::kPut)
        value->assign(v->value());
      return true;
    }
  }
  return false;
}

SequenceNumber MemTable::MaxCoveringTombstone(std::string_view key, SequenceNumber snapshot) const {
  if (!has_range_tombstones())
    return 0;
  return FragmentedRangeTombstones()->MaxCovering(key, snapshot);
}

std::unique_ptr<InternalIterator> MemTable::NewIterator() const {
  // Records left for the tree before this call include every one a snapshot
  // taken before it can see (the writer leaves a record before it publishes
  // the commit's sequence).
  if (background_)
    OrderUpTo(handed_.load(std::memory_order_acquire));
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
