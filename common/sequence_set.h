// SequenceSet: a multiset of sequence numbers (the snapshots open on a
// store), kept as a sorted vector. Few are open at a time, and a new one
// holds the newest sequence, so an insert is usually an append and nothing
// is allocated once the vector has grown: a std::multiset allocated a node
// per transaction.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace trine {

class SequenceSet {
 public:
  void Insert(uint64_t seq) {
    if (v_.empty() || v_.back() <= seq)
      v_.push_back(seq);
    else
      v_.insert(std::upper_bound(v_.begin(), v_.end(), seq), seq);
  }
  // Removes one occurrence of seq; false if there is none.
  bool Erase(uint64_t seq) {
    auto it = std::lower_bound(v_.begin(), v_.end(), seq);
    if (it == v_.end() || *it != seq)
      return false;
    v_.erase(it);
    return true;
  }
  bool empty() const { return v_.empty(); }
  size_t size() const { return v_.size(); }
  uint64_t Min() const { return v_.front(); }  // REQUIRES: !empty()
  // In ascending order, repeats included.
  const std::vector<uint64_t>& sorted() const { return v_; }

 private:
  std::vector<uint64_t> v_;
};

}  // namespace trine
