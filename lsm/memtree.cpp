#include "lsm/memtree.h"

#include <cstring>
#include <new>

#include "sstable/internal_key.h"

namespace trine {

KeyPrefix KeyPrefix::Of(std::string_view key) {
  unsigned char buf[16] = {};
  if (!key.empty())
    std::memcpy(buf, key.data(), key.size() < 16 ? key.size() : 16);
  uint64_t hi, lo;
  std::memcpy(&hi, buf, 8);
  std::memcpy(&lo, buf + 8, 8);
  return KeyPrefix{__builtin_bswap64(hi), __builtin_bswap64(lo)};
}

MemTree::MemTree(Arena* arena) : arena_(arena) {
  root_.store(NewLeaf(nullptr, 0), std::memory_order_release);
}

uint64_t MemTree::InsertAt(uint64_t perm, int rank, int slot) {
  const int count = Count(perm);
  uint64_t order = perm >> 4;  // nibble r: the slot of rank r
  const int shift = 4 * rank;
  const uint64_t below = shift == 0 ? 0 : order & ((uint64_t{1} << shift) - 1);
  const uint64_t above = shift >= 60 ? 0 : order >> shift;
  order = below | (static_cast<uint64_t>(slot) << shift) | (above << (shift + 4));
  return (order << 4) | static_cast<uint64_t>(count + 1);
}

int MemTree::Bound(const Node* n, uint64_t perm, std::string_view key, const KeyPrefix& kp,
                   bool strict) {
  int lo = 0, hi = Count(perm);
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    const int s = SlotAt(perm, mid);
    int c;
    if (n->prefix[s] != kp)
      c = n->prefix[s] < kp ? -1 : 1;
    else
      c = CompareBytes(n->key[s]->key(), key);
    if (c < 0 || (c == 0 && strict))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

const MemTree::Node* MemTree::ChildAt(const Node* n, uint64_t perm, int rank) {
  const auto* in = static_cast<const Inner*>(n);
  if (rank < 0)
    return in->leftmost.load(std::memory_order_acquire);
  return in->child[SlotAt(perm, rank)].load(std::memory_order_acquire);
}

void MemTree::Prefetch(const Node* n) {
  // A leaf spans six lines and an inner node eight: fetch them together
  // rather than one miss per probe of the binary search.
  const char* p = reinterpret_cast<const char*>(n);
  const size_t size = n->level == 0 ? sizeof(Node) : sizeof(Inner);
  for (size_t off = 64; off < size; off += 64)
    __builtin_prefetch(p + off);
}

MemTree::Node* MemTree::NewLeaf(const Entry* entries, int n) {
  auto* node = new (arena_->AllocateAligned(sizeof(Node))) Node;
  uint64_t order = 0;
  for (int i = 0; i < n; ++i) {
    node->prefix[i] = entries[i].prefix;
    node->key[i] = entries[i].key;
    order |= static_cast<uint64_t>(i) << (4 * i);
  }
  node->perm.store((order << 4) | static_cast<uint64_t>(n), std::memory_order_relaxed);
  return node;
}

MemTree::Inner* MemTree::NewInner(int level, const Node* leftmost, const Entry* entries, int n) {
  auto* node = new (arena_->AllocateAligned(sizeof(Inner))) Inner;
  node->level = level;
  node->leftmost.store(leftmost, std::memory_order_relaxed);
  uint64_t order = 0;
  for (int i = 0; i < n; ++i) {
    node->prefix[i] = entries[i].prefix;
    node->key[i] = entries[i].key;
    node->child[i].store(entries[i].child, std::memory_order_relaxed);
    order |= static_cast<uint64_t>(i) << (4 * i);
  }
  node->perm.store((order << 4) | static_cast<uint64_t>(n), std::memory_order_relaxed);
  return node;
}

void MemTree::Insert(const MemKey* record) {
  const std::string_view key = record->key();
  const KeyPrefix kp = KeyPrefix::Of(key);
  // The path from the root: the nodes, the rank taken in each inner node (-1
  // for leftmost) and the link that led to each node.
  Node* path[kMaxDepth];
  int rank[kMaxDepth];
  std::atomic<const Node*>* link[kMaxDepth];
  int depth = 0;
  link[0] = &root_;
  Node* n = const_cast<Node*>(root_.load(std::memory_order_relaxed));
  while (n->level > 0) {
    Prefetch(n);
    const uint64_t perm = n->perm.load(std::memory_order_relaxed);
    const int r = Bound(n, perm, key, kp, true) - 1;
    auto* in = static_cast<Inner*>(n);
    path[depth] = n;
    rank[depth] = r;
    ++depth;
    link[depth] = r < 0 ? &in->leftmost : &in->child[SlotAt(perm, r)];
    n = const_cast<Node*>(link[depth]->load(std::memory_order_relaxed));
  }
  Prefetch(n);
  uint64_t perm = n->perm.load(std::memory_order_relaxed);
  int at = Bound(n, perm, key, kp, false);
  int count = Count(perm);
  if (count < kSlots) {
    n->prefix[count] = kp;
    n->key[count] = record;
    n->perm.store(InsertAt(perm, at, count), std::memory_order_release);
    return;
  }

  // Split the leaf: the 16 keys in order over two leaves. Usually half to
  // each. But keys that arrive in ascending order (new ids, within each
  // attribute's range) land right after the leaf's latest insert, which
  // sits in its last filled slot: such a run splits at the new key, so the
  // left leaf ends with it and the run goes on filling the left leaf, and a
  // run at the very end of the leaf keeps the leaf as it is and starts a
  // new one. Halving would leave every leaf of a run half empty and copy
  // each one (memtree.h: replaced nodes stay in the arena).
  Entry all[kSlots + 1];
  for (int i = 0, j = 0; i <= kSlots; ++i) {
    if (i == at) {
      all[i] = Entry{kp, record, nullptr};
    } else {
      const int s = SlotAt(perm, j++);
      all[i] = Entry{n->prefix[s], n->key[s], nullptr};
    }
  }
  int latest = 0;  // rank of the slot filled last
  while (SlotAt(perm, latest) != kSlots - 1)
    ++latest;
  const Node* left;
  const Node* right;
  Entry sep{};
  if (at == kSlots && latest == kSlots - 1) {
    left = n;  // unchanged: the parent gains the new leaf to its right
    right = NewLeaf(all + kSlots, 1);
    sep = Entry{kp, record, right};
  } else {
    const int cut = at == latest + 1 ? at + 1 : (kSlots + 1) / 2;  // keys in the left leaf
    left = NewLeaf(all, cut);
    right = NewLeaf(all + cut, kSlots + 1 - cut);
    sep = Entry{all[cut].prefix, all[cut].key, right};
  }

  constexpr int kHalf = (kSlots + 1) / 2;
  for (int up = depth - 1;; --up) {
    if (up < 0) {
      // The root split: a new root above the two halves.
      root_.store(NewInner(left->level + 1, left, &sep, 1), std::memory_order_release);
      return;
    }
    Node* p = path[up];
    auto* in = static_cast<Inner*>(p);
    perm = p->perm.load(std::memory_order_relaxed);
    count = Count(perm);
    // The separator goes right after the child that was split.
    at = rank[up] + 1;
    if (count < kSlots) {
      p->prefix[count] = sep.prefix;
      p->key[count] = sep.key;
      in->child[count].store(sep.child, std::memory_order_relaxed);
      p->perm.store(InsertAt(perm, at, count), std::memory_order_release);  // the right half
      link[up + 1]->store(left, std::memory_order_release);                 // then the left
      return;
    }
    // Split the parent too: its 16 separators, with the split child replaced
    // by the left half and the new separator added; the middle one moves up.
    const Node* leftmost = in->leftmost.load(std::memory_order_relaxed);
    Entry items[kSlots + 1];
    for (int i = 0, j = 0; i <= kSlots; ++i) {
      if (i == at) {
        items[i] = sep;
      } else {
        const int s = SlotAt(perm, j++);
        items[i] = Entry{p->prefix[s], p->key[s], in->child[s].load(std::memory_order_relaxed)};
      }
    }
    if (rank[up] < 0)
      leftmost = left;
    else
      items[rank[up]].child = left;
    left = NewInner(p->level, leftmost, items, kHalf - 1);
    right = NewInner(p->level, items[kHalf - 1].child, items + kHalf, kSlots + 1 - kHalf);
    sep = Entry{items[kHalf - 1].prefix, items[kHalf - 1].key, right};
  }
}

void MemTree::Warm(const std::string_view* keys, int n) const {
  const Node* at[kMaxWarm];
  KeyPrefix kp[kMaxWarm];
  n = n < kMaxWarm ? n : kMaxWarm;
  const Node* root = root_.load(std::memory_order_relaxed);
  for (int i = 0; i < n; ++i) {
    at[i] = root;
    kp[i] = KeyPrefix::Of(keys[i]);
  }
  // One level per round: each node read here was prefetched in the round
  // before, together with the other keys' nodes (all of an inner node's
  // lines, without reading it to learn its size: that read would wait).
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (int i = 0; i < n; ++i) {
      const Node* node = at[i];
      if (node->level == 0)
        continue;
      deeper = true;
      const uint64_t perm = node->perm.load(std::memory_order_relaxed);
      at[i] = ChildAt(node, perm, Bound(node, perm, keys[i], kp[i], true) - 1);
      const char* p = reinterpret_cast<const char*>(at[i]);
      for (size_t off = 0; off < sizeof(Inner); off += 64)
        __builtin_prefetch(p + off);
    }
  }
}

// ---------------------------------------------------------------- Iterator --

const MemKey* MemTree::Iterator::record() const {
  return leaf_->key[SlotAt(perm_, pos_)];
}

// Descends from the root to the leaf whose range holds `key`, recording
// each inner node on the way with its order word and the rank of its first
// separator > key; returns the leaf, its order word in *perm.
//
// A split publishes the right half in the parent's order word before it
// switches the parent's link to the left half, so a child link read after
// the order word may already be the new left half while the order word
// lacks the separator above it: the keys from there on would be skipped.
// The order word is therefore read again after the link, and the node is
// read again if it changed (a link read after the switch sees the order
// word written before it).
const MemTree::Node* MemTree::Descend(std::string_view key, const KeyPrefix& kp, Step* path,
                                      int* depth, uint64_t* perm) const {
  *depth = 0;
  const Node* n = root_.load(std::memory_order_acquire);
  while (true) {
    Prefetch(n);
    *perm = n->perm.load(std::memory_order_acquire);
    if (n->level == 0)
      return n;
    const int r = Bound(n, *perm, key, kp, true);
    const Node* child = ChildAt(n, *perm, r - 1);
    if (n->perm.load(std::memory_order_acquire) != *perm)
      continue;
    path[(*depth)++] = Step{n, *perm, r};
    n = child;
  }
}

void MemTree::Iterator::SeekAfter(std::string_view key, bool strict) {
  const KeyPrefix kp = KeyPrefix::Of(key);
  Step path[kMaxDepth];
  int depth;
  uint64_t perm;
  const Node* n = tree_->Descend(key, kp, path, &depth, &perm);
  const int r = Bound(n, perm, key, kp, strict);
  if (r < Count(perm)) {
    leaf_ = n;
    perm_ = perm;
    pos_ = r;
    return;
  }
  // The leaf holds nothing at or after `key`: the next leaf starts at the
  // smallest separator above it, the deepest one on the path (a separator is
  // the first key of its subtree, and keys are never removed).
  for (int d = depth - 1; d >= 0; --d) {
    const Step& s = path[d];
    if (s.rank < Count(s.perm)) {
      SeekAfter(s.node->key[SlotAt(s.perm, s.rank)]->key(), false);
      return;
    }
  }
  leaf_ = nullptr;
}

void MemTree::Iterator::SeekBefore(std::string_view key) {
  const KeyPrefix kp = KeyPrefix::Of(key);
  while (true) {
    Step path[kMaxDepth];
    int depth;
    uint64_t perm;
    const Node* n = tree_->Descend(key, kp, path, &depth, &perm);
    const int r = Bound(n, perm, key, kp, false);  // first key >= key
    if (r > 0) {
      leaf_ = n;
      perm_ = perm;
      pos_ = r - 1;
      return;
    }
    // The leaf holds nothing below `key`: the previous key is the last of
    // the subtree left of the deepest separator <= key on the path. Its link
    // is checked against the order word as in Descend.
    int d = depth - 1;
    while (d >= 0 && path[d].rank < 1)
      --d;
    if (d < 0) {
      leaf_ = nullptr;
      return;
    }
    const Step& s = path[d];
    const Node* before = ChildAt(s.node, s.perm, s.rank - 2);
    if (s.node->perm.load(std::memory_order_acquire) != s.perm)
      continue;
    Edge(before, true);
    if (leaf_ == nullptr)
      return;
    // Between a split's two steps `before` can still be the node being
    // split, whose upper keys have already been copied right of the
    // separator: its last keys may be >= `key`. The last key below `key` in
    // that leaf is then the one sought (the old node holds every key its
    // range had); if it has none, the split has moved on: search again.
    const int below = Bound(leaf_, perm_, key, kp, false);
    if (below == 0)
      continue;
    pos_ = below - 1;
    return;
  }
}

// Positions at the first (or last) record of the subtree under n.
void MemTree::Iterator::Edge(const Node* n, bool last) {
  while (true) {
    const uint64_t perm = n->perm.load(std::memory_order_acquire);
    const int count = Count(perm);
    if (n->level == 0) {
      if (count == 0) {  // only the root of an empty tree
        leaf_ = nullptr;
      } else {
        leaf_ = n;
        perm_ = perm;
        pos_ = last ? count - 1 : 0;
      }
      return;
    }
    const Node* child = ChildAt(n, perm, last ? count - 1 : -1);
    if (n->perm.load(std::memory_order_acquire) == perm)  // as in Descend
      n = child;
  }
}

void MemTree::Iterator::Next() {
  if (pos_ + 1 < Count(perm_)) {
    ++pos_;
    return;
  }
  SeekAfter(record()->key(), true);
}

void MemTree::Iterator::Prev() {
  if (pos_ > 0) {
    --pos_;
    return;
  }
  SeekBefore(record()->key());
}

void MemTree::Iterator::Seek(std::string_view key) {
  SeekAfter(key, false);
}

void MemTree::Iterator::SeekToFirst() {
  Edge(tree_->root_.load(std::memory_order_acquire), false);
}

void MemTree::Iterator::SeekToLast() {
  Edge(tree_->root_.load(std::memory_order_acquire), true);
}

}  // namespace trine
