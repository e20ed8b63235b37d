// MemTree: the memtable's ordered index, a B+-tree over its key records
// (one MemKey per user key, key_index.h).
//
// A B+-tree rather than a skiplist: a skiplist search takes a step per node
// it visits, each on a random page, so in a memtable of a million keys it is
// a long chain of dependent cache misses (trine_micro_bench's
// BM_MemTableInsertLarge measured ~3 µs per insert with the skiplist, 1.0 to
// 1.4 µs with this tree). Here the upper levels stay in cache and a leaf is
// a few adjacent lines fetched together. The first write of every key pays
// that search; with the skiplist it was the largest single cost of a commit
// in the live-query bench's profile.
//
// Concurrency: one writer, any number of lock-free readers.
// - A node's slots are filled in order and never changed afterwards. Its
//   order word `perm` holds the count of filled slots and lists them in key
//   order; the writer fills a slot and then publishes the new order word with
//   a release store, so a reader that loads it sees exactly the slots it
//   lists, fully written.
// - A full node is split by building two new nodes. The parent first gains
//   the separator and the right node, so keys from the separator up route to
//   a complete copy; then its link to the old node switches to the left one.
//   Between the two steps a reader can miss only the key being inserted,
//   which is newer than its snapshot (the memtable inserts a record before
//   publishing its sequence, or, with its ordering thread, before making an
//   iterator that could see it), provided it pairs each link with an order
//   word read after it (Descend in memtree.cpp says why); and a step back
//   past a leaf's start can land in the old node, whose upper keys are
//   already right of the separator (SeekBefore bounds it by the key). A
//   full parent is split the same way, up to the root, which is replaced
//   last.
// - One split keeps the old node: a full leaf whose newest key is its
//   largest, receiving a key larger still (keys arriving in ascending
//   order). It stays as it is, and the parent gains a new leaf holding the
//   new key to its right; nothing is copied. Such runs also split a leaf at
//   the new key rather than in half when the run meets keys of another range
//   (Insert in memtree.cpp), so their leaves end up full.
// - Replaced nodes stay in the arena until the memtable dies, for readers
//   still inside them; no node is ever freed or reused. Every other split
//   leaves the old node behind: the price of lock-free readers without
//   reclamation.
// - Iterators re-descend from the root when they leave a leaf, so nodes need
//   no sibling links (which a split would have to patch).
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "lsm/arena.h"
#include "lsm/key_index.h"

namespace trine {

// The first 16 bytes of a key, big-endian, zero-padded: comparing two of
// them as numbers orders them like the keys whenever they differ. Stored in
// the nodes beside each key pointer, so most comparisons of a search are
// decided without reading the key itself (the store's index keys spend their
// first eight bytes on keyspace, type, field and the high half of a value,
// which most entries of one index share).
struct KeyPrefix {
  uint64_t hi = 0, lo = 0;
  static KeyPrefix Of(std::string_view key);
  bool operator==(const KeyPrefix&) const = default;
  bool operator<(const KeyPrefix& o) const { return hi != o.hi ? hi < o.hi : lo < o.lo; }
};

class MemTree {
  struct Node;

 public:
  explicit MemTree(Arena* arena);
  MemTree(const MemTree&) = delete;
  MemTree& operator=(const MemTree&) = delete;

  // Adds a record. REQUIRES: no record with an equal key is in the tree; the
  // writer only.
  void Insert(const MemKey* record);

  // Brings the nodes on the paths to `keys` (n <= kMaxWarm) into the cache,
  // descending for all of them together, so their cache misses overlap
  // instead of following one another: the inserts after it find their
  // nodes cached. A hint; the writer only.
  static constexpr int kMaxWarm = 16;
  void Warm(const std::string_view* keys, int n) const;

  // Over the records in key order. Any thread.
  class Iterator {
   public:
    explicit Iterator(const MemTree* tree) : tree_(tree) {}
    bool Valid() const { return leaf_ != nullptr; }
    const MemKey* record() const;
    void Next();
    void Prev();
    void Seek(std::string_view key);  // the first record >= key
    void SeekToFirst();
    void SeekToLast();

   private:
    // Positions at the first record > key (or >= key when !strict).
    void SeekAfter(std::string_view key, bool strict);
    // Positions at the last record < key.
    void SeekBefore(std::string_view key);
    void Edge(const Node* n, bool last);

    const MemTree* tree_;
    const Node* leaf_ = nullptr;  // null when not Valid()
    uint64_t perm_ = 0;           // the leaf's order word as loaded
    int pos_ = 0;                 // rank within it
  };

 private:
  static constexpr int kSlots = 15;  // a 64-bit order word: 4 bits of count, 15 slot nibbles
  static constexpr int kMaxDepth = 32;

  struct Node {
    std::atomic<uint64_t> perm{0};
    int level = 0;  // 0 for leaves
    KeyPrefix prefix[kSlots];
    const MemKey* key[kSlots];
  };
  // child[s] holds the keys from key[s] up to the next separator; leftmost
  // those below the first.
  struct Inner : Node {
    std::atomic<const Node*> leftmost{nullptr};
    std::atomic<const Node*> child[kSlots];
  };
  struct Entry {
    KeyPrefix prefix;
    const MemKey* key;
    const Node* child;  // inner nodes only
  };

  static int Count(uint64_t perm) { return static_cast<int>(perm & 15); }
  static int SlotAt(uint64_t perm, int rank) {
    return static_cast<int>((perm >> (4 + 4 * rank)) & 15);
  }
  static uint64_t InsertAt(uint64_t perm, int rank, int slot);
  // Rank of the first key >= key (> key when strict) among the node's keys.
  static int Bound(const Node* n, uint64_t perm, std::string_view key, const KeyPrefix& kp,
                   bool strict);
  static const Node* ChildAt(const Node* n, uint64_t perm, int rank);  // rank -1: leftmost
  static void Prefetch(const Node* n);
  // An inner node passed on the way down, as read.
  struct Step {
    const Node* node;
    uint64_t perm;
    int rank;  // of its first separator > the key sought
  };
  const Node* Descend(std::string_view key, const KeyPrefix& kp, Step* path, int* depth,
                      uint64_t* perm) const;

  Node* NewLeaf(const Entry* entries, int n);
  Inner* NewInner(int level, const Node* leftmost, const Entry* entries, int n);

  Arena* const arena_;
  std::atomic<const Node*> root_;
};

}  // namespace trine
