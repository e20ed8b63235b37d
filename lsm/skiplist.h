// SkipList: the memtable's ordered index. One writer at a time (the caller
// serializes inserts); any number of concurrent readers without locks:
// nodes are never removed until the list is destroyed, and a node is
// published with a release store only after it is fully built.
//
// Each node caches a 16-byte prefix of its key whose order agrees with the
// full comparison whenever two prefixes differ. Most comparisons during a
// search are then decided inside the node, without following the node's key
// pointer: one cache miss per visited node instead of two. Sixteen bytes,
// because the store's index keys spend their first eight on the keyspace,
// type, field and the high half of an integer value, which most entries of
// one index share.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstdlib>

#include "lsm/arena.h"

namespace trine {

// The first 16 bytes of a key, big-endian, zero-padded: comparing two of
// them as numbers orders them like the keys whenever they differ.
struct KeyPrefix {
  uint64_t hi = 0, lo = 0;
  bool operator==(const KeyPrefix&) const = default;
  bool operator<(const KeyPrefix& o) const { return hi != o.hi ? hi < o.hi : lo < o.lo; }
};

// Cmp: int operator()(const char* a, const char* b) const, like memcmp, and
// KeyPrefix prefix(const char* key) const (see above).
template <typename Cmp>
class SkipList {
 private:
  struct Node;

 public:
  SkipList(Cmp cmp, Arena* arena) : cmp_(cmp), arena_(arena), head_(NewNode(nullptr, kMaxHeight)) {
    for (int i = 0; i < kMaxHeight; ++i)
      head_->SetNext(i, nullptr);
  }

  // REQUIRES: no entry equal to `key` is in the list; external synchronization.
  void Insert(const char* key) {
    Node* prev[kMaxHeight];
    const KeyPrefix kp = cmp_.prefix(key);
    Node* x = FindGreaterOrEqual(key, kp, prev);
    assert(x == nullptr || cmp_(key, x->key) != 0);
    (void)x;
    int height = RandomHeight();
    int max_height = max_height_.load(std::memory_order_relaxed);
    if (height > max_height) {
      for (int i = max_height; i < height; ++i)
        prev[i] = head_;
      // Readers seeing the new height before the node is linked just follow
      // head_'s null pointers at the new levels down: harmless.
      max_height_.store(height, std::memory_order_relaxed);
    }
    x = NewNode(key, height);
    x->prefix = kp;
    for (int i = 0; i < height; ++i) {
      x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
      prev[i]->SetNext(i, x);
    }
  }

  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list), node_(nullptr) {}
    bool Valid() const { return node_ != nullptr; }
    const char* key() const { return node_->key; }
    void Next() { node_ = node_->Next(0); }
    void Prev() {
      node_ = list_->FindLessThan(node_->key, node_->prefix);
      if (node_ == list_->head_)
        node_ = nullptr;
    }
    void Seek(const char* target) {
      node_ = list_->FindGreaterOrEqual(target, list_->cmp_.prefix(target), nullptr);
    }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_)
        node_ = nullptr;
    }

   private:
    const SkipList* list_;
    Node* node_;
  };

 private:
  static constexpr int kMaxHeight = 12;

  struct Node {
    const char* key;
    KeyPrefix prefix;
    Node* Next(int n) { return next[n].load(std::memory_order_acquire); }
    void SetNext(int n, Node* x) { next[n].store(x, std::memory_order_release); }
    Node* NoBarrierNext(int n) { return next[n].load(std::memory_order_relaxed); }
    void NoBarrierSetNext(int n, Node* x) { next[n].store(x, std::memory_order_relaxed); }
    std::atomic<Node*> next[1];  // really `height` entries, allocated past the struct
  };

  Node* NewNode(const char* key, int height) {
    char* mem = arena_->AllocateAligned(sizeof(Node) + sizeof(std::atomic<Node*>) * (height - 1));
    Node* n = new (mem) Node;
    n->key = key;
    n->prefix = KeyPrefix{};
    for (int i = 1; i < height; ++i)
      new (&n->next[i]) std::atomic<Node*>(nullptr);
    return n;
  }

  int RandomHeight() {
    // Branching factor 4.
    int height = 1;
    while (height < kMaxHeight && (NextRandom() & 3) == 0)
      ++height;
    return height;
  }
  uint32_t NextRandom() {
    rnd_ ^= rnd_ << 13;
    rnd_ ^= rnd_ >> 17;
    rnd_ ^= rnd_ << 5;
    return rnd_;
  }

  // Whether node n's key sorts before `key` (whose prefix is kp).
  bool Before(const Node* n, const char* key, const KeyPrefix& kp) const {
    if (n->prefix != kp)
      return n->prefix < kp;
    return cmp_(n->key, key) < 0;
  }

  Node* FindGreaterOrEqual(const char* key, const KeyPrefix& kp, Node** prev) const {
    Node* x = head_;
    int level = max_height_.load(std::memory_order_relaxed) - 1;
    while (true) {
      Node* next = x->Next(level);
      // The node one level down is where the search goes if `next` is past
      // the key: fetch it while `next` is compared, so the two cache misses
      // overlap instead of following each other.
      if (level > 0)
        __builtin_prefetch(x->NoBarrierNext(level - 1));
      if (next != nullptr && Before(next, key, kp)) {
        x = next;
      } else {
        if (prev != nullptr)
          prev[level] = x;
        if (level == 0)
          return next;
        --level;
      }
    }
  }

  Node* FindLessThan(const char* key, const KeyPrefix& kp) const {
    Node* x = head_;
    int level = max_height_.load(std::memory_order_relaxed) - 1;
    while (true) {
      Node* next = x->Next(level);
      if (next == nullptr || !Before(next, key, kp)) {
        if (level == 0)
          return x;
        --level;
      } else {
        x = next;
      }
    }
  }

  Node* FindLast() const {
    Node* x = head_;
    int level = max_height_.load(std::memory_order_relaxed) - 1;
    while (true) {
      Node* next = x->Next(level);
      if (next == nullptr) {
        if (level == 0)
          return x;
        --level;
      } else {
        x = next;
      }
    }
  }

  Cmp const cmp_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  uint32_t rnd_ = 0xdeadbeef;
};

}  // namespace trine
