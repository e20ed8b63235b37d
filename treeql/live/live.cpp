// Live queries (include/trine/live.h): a registry of watched ranges per
// database, and one incremental operator per query.
//
// The registry is a CommitListener. Each live query registers the
// (type, attribute) pairs its plan reads, with a value range where the
// query's WHERE is exactly an index range on that attribute. A commit's
// change set is matched against that index, so a commit wakes only the
// queries it touches and the others cost nothing: `field = k` ranges are
// hashed by value, other ranges sit in an interval tree, and a watch that
// matters only for the query's matching subjects is found through a map from
// subjects to the queries holding them (see "watch index" below).
//
// A woken query maintains its result in one of three ways (EXPLAIN LIVE says
// which):
//
//   window     a list (SELECT ... FROM T [WHERE] [ORDER BY] [LIMIT/OFFSET]):
//              the rows with key <= a bound, sorted, plus the flag "complete"
//              (all matching rows are held). It holds OFFSET + LIMIT rows and
//              up to as many neighbours past the window; a changed subject is
//              re-evaluated and inserted, moved or dropped; a subject whose
//              new key lies past the bound is ignored. When rows leave and
//              fewer than OFFSET + LIMIT remain, the window refills from the
//              index (the executor's ordered access path, stopping early).
//              Without ORDER BY the list is kept in subject-id order.
//   aggregate  SELECT count(*) / sum / avg / min / max / count(DISTINCT) ...
//              FROM T [WHERE] [GROUP BY keys]: the set of matching subjects (a roaring
//              bitmap) and each one's inputs; counts and sums move by the
//              before/after image of the changed subject, min / max / DISTINCT
//              keep a multiset, so deletes of the extreme need no rescan.
//              With GROUP BY the accumulators are kept per key, and a group's
//              row is re-made only when one of its members changed.
//              Sums of ints and decimals are exact.
//   rerun      anything else (no FROM, an aggregate with sub-queries or
//              LIMIT): the query is re-run when woken.
//
// Re-evaluating a subject: a query whose rows read only their own
// attributes takes the new values from the change set, the rest from its own
// copy of the row or (batched) from the store, and evaluates WHERE, ORDER BY
// and the projection without the executor's access paths. A query with
// reference paths or sub-queries maps the changed triples to the top-level
// subjects they affect (a child's reference field names its parent; a
// referenced subject's referrers come from the reference index) and re-runs
// the executor for exactly those subjects, nested lists included.
//
// Threads. OnCommit runs under the store's commit lock, so reads inside it
// see exactly the commit's state; diffs queue up and are delivered in
// AfterCommit, outside the lock, one delivering thread at a time (commit
// order).
#include "trine/live.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <roaring/roaring64map.hh>

#include "treeql/binder.h"
#include "treeql/executor.h"
#include "treeql/explain.h"
#include "treeql/live/diff.h"
#include "treeql/live/internal.h"
#include "treeql/ops.h"
#include "treeql/parser.h"

namespace trine {
namespace treeql::live {
namespace {

constexpr uint64_t kNoLimit = UINT64_MAX;
constexpr const char* kExtensionKey = "trine.live";
// Registry::Register's refusal when the schema moved after compilation.
constexpr const char* kSchemaMoved = "the schema changed while the query was being subscribed";

struct SortLess {
  bool operator()(const Value& a, const Value& b) const { return CompareByValue(a, b) < 0; }
};

std::string FieldRef(uint64_t number) {
  return "#" + std::to_string(number);
}

// Columns (slot numbers) an expression reads from its own level (up == 0).
void CollectColumns(const BExpr& e, std::vector<uint8_t>* used, uint8_t bit) {
  if (e.kind == BExpr::Kind::kColumn && e.up == 0 && e.slot >= 0 &&
      static_cast<size_t>(e.slot) < used->size())
    (*used)[static_cast<size_t>(e.slot)] |= bit;
  for (const BExpr& a : e.args)
    CollectColumns(a, used, bit);
}

bool HasKind(const BExpr& e, BExpr::Kind k) {
  if (e.kind == k)
    return true;
  for (const BExpr& a : e.args)
    if (HasKind(a, k))
      return true;
  return false;
}

// A constant or parameter expression's value.
std::optional<Value> ConstValue(const BExpr& e, const std::vector<Value>& params,
                                size_t named_base) {
  if (e.kind == BExpr::Kind::kConst)
    return e.value;
  if (e.kind == BExpr::Kind::kParam) {
    size_t i = e.param >= kNamedParamBase
                   ? static_cast<size_t>(e.param - kNamedParamBase) + named_base
                   : static_cast<size_t>(e.param);
    if (i < params.size())
      return params[i];
  }
  return std::nullopt;
}

// A value range of one attribute: the query's rows all have values inside it.
struct ValueRange {
  std::optional<Value> lo, hi;  // inclusive; a superset is harmless
  bool Contains(const Value& v) const {
    if (v.is_null())
      return false;
    auto comparable = [&](const Value& b) {
      return (IsNumeric(v.type()) && IsNumeric(b.type())) || v.type() == b.type();
    };
    if (lo && (!comparable(*lo) || CompareByValue(v, *lo) < 0))
      return !comparable(*lo);
    if (hi && (!comparable(*hi) || CompareByValue(v, *hi) > 0))
      return !comparable(*hi);
    return true;
  }
};

class Registry;

// Inputs an accumulator cannot tell apart (Value::Identical, one by one).
bool Identical(const std::vector<Value>& a, const std::vector<Value>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), Value::Identical);
}

}  // namespace

// ---------------------------------------------------------------- query --

struct Subscription;

class QueryImpl {
 public:
  enum class Mode : unsigned char { kWindow, kAggregate, kRerun };

  struct Watch {
    uint64_t type = 0;
    uint64_t field = 0;
    std::optional<ValueRange> range;
    // Only changes of subjects in the query's set of matching subjects
    // matter (an attribute its WHERE does not read).
    bool members_only = false;
    std::string label;
  };

  QueryImpl(Database& db, std::string text) : db_(db), text_(std::move(text)) {}

  Status Compile(const QueryParams& qp);
  // Computes the first result at `txn`'s snapshot.
  Status Hydrate(Transaction& txn);
  // One commit; appends a diff to `out` if the result changed.
  Status Apply(const ChangeSet& cs, Transaction& txn, LiveDiff* out, bool* changed);
  Tree Snapshot() const;
  std::string Explain() const;

  const std::vector<Watch>& watches() const { return watches_; }

  // Before waking the query for `c` (a change on one of its watches): false
  // when `c` certainly leaves the result alone, without the cost of a wake.
  // So far one case: a window ordered first by an attribute, with no WHERE,
  // whose subject it does not hold and whose old and new values both lie
  // past the window's last row (an `ORDER BY score LIMIT 20` is otherwise
  // woken by every score change). Reads only state that changes under the
  // registry's lock, which the caller holds.
  bool MayMatter(const Change& c) const;

  // Every change of members_ after hydration goes through these two, so the
  // registry's map from subjects to the queries holding them stays exact.
  void AddMember(uint64_t id);
  void RemoveMember(uint64_t id);

  Database& db_;
  std::string text_;
  QueryParams given_params_;  // as given to Compile: a rebind compiles with them again
  Plan plan_;
  std::vector<Value> params_;
  size_t named_base_ = 0;
  const Level* top_ = nullptr;
  Mode mode_ = Mode::kRerun;
  std::string why_rerun_;
  bool simple_ = false;  // top-level rows read only their own attributes
  // For MayMatter: the attribute of the first ORDER BY key (0: none usable).
  uint64_t order_field_ = 0;
  bool order_desc_ = false;
  uint64_t type_id_ = 0;
  std::vector<uint64_t> col_field_;  // per column of the top level
  std::vector<uint8_t> col_use_;     // kUseWhere | kUseKey | kUseOut
  std::unordered_map<uint64_t, std::vector<size_t>> field_cols_;
  uint64_t off_ = 0, lim_ = kNoLimit, need_ = kNoLimit, cap_ = kNoLimit;
  bool covered_ = false;  // WHERE is exactly a value range of one attribute
  // Only count(*), no groups, WHERE covered by a range of cover_field_
  // whose bounds are of cover_type_: a changed subject whose new value is of
  // that type (or null) is counted when the value lies in [cover_lower_,
  // cover_upper_], decided without evaluating the row (CountInRange). Values
  // of other types (lax fields) compare by the WHERE's own rules: those
  // subjects are evaluated.
  bool count_in_range_ = false;
  uint64_t cover_field_ = 0;
  ValueType cover_type_ = ValueType::kNull;
  std::optional<IndexBound> cover_lower_, cover_upper_;
  bool keep_members_ = false;  // maintain the bitmap of matching subjects
  std::vector<Watch> watches_;
  std::vector<const BExpr*> agg_nodes_;

  static constexpr uint8_t kUseWhere = 1, kUseKey = 2, kUseOut = 4;

  uint64_t sequence_seen_ = 0;     // the hydration snapshot: older commits are in it
  uint64_t woken_generation_ = 0;  // the registry's commit count when last woken
  uint64_t serial_ = 0;            // registration order: woken queries run in it
  bool attached_ = false;          // its watches are in the registry's index
  // While the registry indexes this query's members (Registry::members_of_):
  // the registry to tell, and how many of them it holds. Null otherwise.
  Registry* member_index_ = nullptr;
  uint64_t indexed_members_ = 0;
  // The subscription this query serves (null for views' queries): a rebind
  // hands it a new QueryImpl.
  Subscription* subscription_ = nullptr;

  // ---- state (guarded by mu_) ----
  mutable std::mutex mu_;
  struct Entry {
    std::vector<Value> key;
    Tree row;
    std::vector<Value> cols;  // simple queries: the row's column values
    bool inserted = false;    // while recording: inserted by this commit
  };
  struct Slot {
    const std::vector<Value>* key;
    uint64_t id;
  };
  std::vector<Slot> window_;  // sorted: every held row
  // During one commit: the held rows erased (their old entries, first
  // erasure wins) and the ids inserted. Every other held row kept its
  // content and its order, so the diff looks at these alone (WindowDiff).
  bool recording_ = false;
  std::unordered_map<uint64_t, Entry> erased_;
  std::vector<uint64_t> inserted_;
  std::unordered_map<uint64_t, Entry> entries_;
  bool complete_ = false;
  Roaring64Map members_;
  // Aggregates.
  struct Acc {
    int64_t count = 0;  // non-null inputs
    NumericSum sum;     // sum and avg: as the executor sums
    std::map<Value, int64_t, SortLess> multiset;
  };
  // One per GROUP BY key (a query without GROUP BY: one, with the empty
  // key, always present); `row` is its result row.
  struct Group {
    std::vector<Acc> accs;
    int64_t members = 0;
    Tree row;
  };
  std::map<std::vector<Value>, Group, GroupKeyLess> groups_;
  // Grouped: the keys of groups_ in order, so a group's position is a
  // binary search away (group diffs cost O(touched log groups)).
  std::vector<const std::vector<Value>*> group_order_;
  // During one commit: the groups touched, whether each existed before and
  // its row then.
  struct GroupBefore {
    bool existed = false;
    Tree row;
  };
  std::map<std::vector<Value>, GroupBefore, GroupKeyLess> touched_groups_;
  bool grouped_ = false;
  // Per member: its aggregate inputs, then (grouped) its GROUP BY key.
  std::unordered_map<uint64_t, std::vector<Value>> inputs_;
  std::vector<Value> star_;       // the inputs of a member whose inputs are not stored: count(*)'s
  Tree value_;                    // aggregate / rerun: the current result
  std::vector<Tree> rerun_rows_;  // rerun of a list: its rows

  LiveStats stats_;
  LiveCallback callback_;
  std::deque<LiveDiff> polled_;
  bool dead_ = false;

 private:
  bool Less(const std::vector<Value>& ka, uint64_t a, const std::vector<Value>& kb,
            uint64_t b) const;
  size_t LowerBound(const std::vector<Value>& key, uint64_t id) const;
  void Insert(uint64_t id, Entry e);
  void Erase(uint64_t id);
  Status Refill(Transaction& txn);
  std::vector<const Tree*> Visible() const;
  void WindowDiff(LiveDiff* out);
  // The changes of one subject of the top-level type in a change set: a
  // run of cs.changes (sorted by type, subject, field), unwatched fields
  // included.
  struct SubjectChanges {
    uint64_t id = 0;
    bool created = false, deleted = false;
    const Change* begin = nullptr;
    const Change* end = nullptr;
  };
  // A subject to re-evaluate: its column values as far as known.
  struct Work {
    uint64_t id;
    std::vector<Value> cols;
    std::vector<uint8_t> known;
    bool skip_where;
  };
  // Subjects of the top type with a change to a column or to their
  // presence, in id order, into subjects_ (kept between commits, so a commit
  // allocates nothing for it).
  void ChangedSubjects(const ChangeSet& cs);
  std::vector<SubjectChanges> subjects_;
  Work StartWork(uint64_t id, const SubjectChanges& sc, bool* where_changed,
                 bool* used_changed) const;
  // The same into `w`, reusing its vectors.
  void StartWorkInto(Work* w, uint64_t id, const SubjectChanges& sc, bool* where_changed,
                     bool* used_changed) const;
  // ApplyWindowSimple's scratch, kept between commits: most subjects it
  // looks at fall past the window's bound and are dropped after one key
  // comparison, which then allocates nothing.
  Work scratch_work_;
  std::vector<Value> scratch_key_;
  // Batched reads (one per column) of the values still unknown.
  Status ReadMissing(Transaction& txn, std::vector<Work>* work) const;
  Status ApplyWindowSimple(const ChangeSet& cs, Transaction& txn);
  Status ApplyWindowGeneral(const ChangeSet& cs, Transaction& txn, bool* all);
  Status ApplyAggregate(const ChangeSet& cs, Transaction& txn);
  // Applies the changes of one subject to a count_in_range_ query; false if
  // they need the row evaluated.
  bool CountInRange(const SubjectChanges& sc);
  Status Affected(const Level& level, const ChangeSet& cs, Transaction& txn,
                  std::set<uint64_t>* out, bool* all);
  void AddInputs(const std::vector<Value>& in, int sign);
  // The result row of one group from its accumulators.
  Result<Tree> GroupRow(Executor& ex, const std::vector<Value>& key, const Group& g);
  // The whole result from the groups' rows.
  Tree AggregateResult() const;
  std::vector<const std::vector<Value>*>::iterator GroupPosition(const std::vector<Value>& key);
  Executor MakeExecutor(Transaction& txn) { return Executor(txn, params_, named_base_); }
};

// What a handle holds: the QueryImpl serving it now. A schema change to a
// type the query reads replaces it (Registry::Rebind) while the handle
// lives on.
struct Subscription {
  std::shared_ptr<QueryImpl> Get() const {
    std::lock_guard l(mu);
    return q;
  }
  void Set(std::shared_ptr<QueryImpl> next) {
    std::lock_guard l(mu);
    q = std::move(next);
  }

 private:
  mutable std::mutex mu;
  std::shared_ptr<QueryImpl> q;
};

namespace {

// ---------------------------------------------------------- watch index --
//
// The registry finds the queries a changed triple wakes without looking at
// the others: per (type, attribute), watches with a value range sit in a
// RangeIndex, watches that matter only for matching subjects are found
// through a map from subjects to the queries holding them, and only watches
// that every change of the attribute wakes are kept in a plain list.

// A watch: watches()[index] of `query`.
struct WatchRef {
  QueryImpl* query;
  size_t index;
};

// What a bound compares with in ValueRange::Contains: numbers with numbers,
// any other value only with values of its own type.
ValueType CompareClass(const Value& v) {
  return IsNumeric(v.type()) ? ValueType::kInt : v.type();
}

// The key a point range `field = v` is hashed under. Values CompareByValue
// calls equal must share a key, so a whole number is an int whatever its
// type (1, 1.0 and 1.00 are Int(1)). nullopt for other numbers (1.5, NaN,
// 1e300): such a point is kept with the ranges. Other types compare by type
// and content, as PointHash hashes them.
std::optional<Value> PointKey(const Value& v) {
  switch (v.type()) {
    case ValueType::kNull:
      return std::nullopt;
    case ValueType::kFloat: {
      double d = v.as_float();
      // [-2^63, 2^63): where a whole double converts to int64 exactly.
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != std::trunc(d))
        return std::nullopt;
      return Value::Int(static_cast<int64_t>(d));
    }
    case ValueType::kDecimal: {
      Result<Decimal> whole = v.as_decimal().Rescale(0);
      if (!whole.ok())
        return std::nullopt;  // has a fraction
      return Value::Int(whole->units);
    }
    default:
      return v;
  }
}

// The keys of the points a changed value v may equal under CompareByValue, in
// out[]; returns how many. A non-number: itself. A whole number: its int
// key. A decimal with a fraction: the two whole numbers around it (it
// compares with a float through long double, which may round it onto one:
// candidates, the range decides). A float with a fraction: none.
int CandidateKeys(const Value& v, Value out[2]) {
  if (!IsNumeric(v.type())) {
    out[0] = v;
    return 1;
  }
  if (std::optional<Value> k = PointKey(v)) {
    out[0] = std::move(*k);
    return 1;
  }
  if (v.type() != ValueType::kDecimal)
    return 0;
  Decimal d = v.as_decimal();
  int64_t scale = 1;
  for (int i = 0; i < d.scale; ++i)
    scale *= 10;
  int64_t whole = d.units / scale;  // toward zero
  out[0] = Value::Int(d.units < 0 ? whole - 1 : whole);
  out[1] = Value::Int(d.units < 0 ? whole : whole + 1);
  return 2;
}

struct PointHash {
  size_t operator()(const Value& v) const {
    size_t type = static_cast<size_t>(v.type()) * 0x9e3779b97f4a7c15ull;
    switch (v.type()) {
      case ValueType::kBool:
        return type ^ static_cast<size_t>(v.as_bool());
      case ValueType::kInt:
        return type ^ std::hash<int64_t>()(v.as_int());
      case ValueType::kString:
        return type ^ std::hash<std::string>()(v.as_string());
      case ValueType::kBytes:
        return type ^ std::hash<std::string>()(v.as_bytes());
      case ValueType::kTimestamp:
        return type ^ std::hash<int64_t>()(v.as_time());
      case ValueType::kRef:
        return type ^ std::hash<uint64_t>()(v.as_ref());
      default:
        return type;  // floats and decimals are never keys (PointKey)
    }
  }
};

// The ranges of one comparison class that are not points, answering "which
// ranges hold v" in O(log n + hits). An interval tree laid out in a vector
// sorted by lower bound: the middle item of every slice is the root of its
// two halves and knows the highest upper bound in the slice, so a search
// skips slices that end below v and stops at a root that starts above it.
// Adding or removing a range costs O(n) (the vector shifts); the upper
// bounds are recomputed, O(n), by the first search after a change.
class RangeSet {
 public:
  struct Item {
    std::optional<Value> lo, hi;  // absent: unbounded
    WatchRef ref;
  };

  bool empty() const { return items_.empty(); }

  void Add(Item item) {
    auto at = std::upper_bound(items_.begin(), items_.end(), item,
                               [](const Item& a, const Item& b) { return LoLess(a.lo, b.lo); });
    items_.insert(at, std::move(item));
    dirty_ = true;
  }

  void Remove(const std::optional<Value>& lo, const QueryImpl* q) {
    // Items with an equal lower bound are adjacent.
    auto it = std::lower_bound(
        items_.begin(), items_.end(), lo,
        [](const Item& a, const std::optional<Value>& b) { return LoLess(a.lo, b); });
    for (; it != items_.end() && !LoLess(lo, it->lo); ++it)
      if (it->ref.query == q) {
        items_.erase(it);
        dirty_ = true;
        return;
      }
  }

  // Calls f(ref) for each range holding v, which is of this set's class.
  template <class F>
  void Stab(const Value& v, uint64_t* examined, const F& f) {
    if (dirty_) {
      max_hi_.assign(items_.size(), 0);
      if (!items_.empty())
        Build(0, items_.size());
      dirty_ = false;
    }
    Stab(0, items_.size(), v, examined, f);
  }

  template <class F>
  void ForEach(uint64_t* examined, const F& f) const {
    for (const Item& i : items_) {
      ++*examined;
      f(i.ref);
    }
  }

 private:
  static bool LoLess(const std::optional<Value>& a, const std::optional<Value>& b) {
    if (!a || !b)
      return !a && b;  // unbounded below comes first
    return CompareByValue(*a, *b) < 0;
  }
  static bool HiLess(const std::optional<Value>& a, const std::optional<Value>& b) {
    if (!a || !b)
      return a && !b;  // unbounded above comes last
    return CompareByValue(*a, *b) < 0;
  }

  // Fills max_hi_ for the slice [b, e), rooted at its middle; returns the
  // index of the item with the highest upper bound in it.
  size_t Build(size_t b, size_t e) {
    size_t m = b + (e - b) / 2;
    size_t best = m;
    for (auto [lb, le] : {std::pair{b, m}, {m + 1, e}})
      if (lb < le) {
        size_t sub = Build(lb, le);
        if (HiLess(items_[best].hi, items_[sub].hi))
          best = sub;
      }
    max_hi_[m] = best;
    return best;
  }

  template <class F>
  void Stab(size_t b, size_t e, const Value& v, uint64_t* examined, const F& f) const {
    while (b < e) {
      size_t m = b + (e - b) / 2;
      ++*examined;
      const std::optional<Value>& top = items_[max_hi_[m]].hi;
      if (top && CompareByValue(*top, v) < 0)
        return;  // every range of the slice ends below v
      Stab(b, m, v, examined, f);
      const Item& item = items_[m];
      if (item.lo && CompareByValue(*item.lo, v) > 0)
        return;  // this range and those after it start above v
      if (!item.hi || CompareByValue(*item.hi, v) >= 0)
        f(item.ref);
      b = m + 1;
    }
  }

  std::vector<Item> items_;     // sorted by lower bound
  std::vector<size_t> max_hi_;  // per slice root (see Build)
  bool dirty_ = false;
};

// The value-range watches of one (type, attribute). A change wakes a watch
// when its old or new value lies in the range, by ValueRange::Contains, which
// also counts a value of another comparison class as inside (conservative).
// Points (`field = k`, the common case) are hashed per comparison class;
// other ranges are in a RangeSet per class; a range whose two bounds differ
// in class (a query mixing types) is tested one by one.
class RangeIndex {
 public:
  bool empty() const { return points_.empty() && ranges_.empty() && mixed_.empty(); }

  void Add(const ValueRange& r, WatchRef ref) {
    ValueType cls;
    std::optional<Value> key;
    if (!Classify(r, &cls, &key))
      mixed_.push_back(ref);
    else if (key)
      points_[cls][*key].push_back(ref);
    else
      ranges_[cls].Add(RangeSet::Item{r.lo, r.hi, ref});
  }

  void Remove(const ValueRange& r, const QueryImpl* q) {
    auto of_q = [q](const WatchRef& w) { return w.query == q; };
    ValueType cls;
    std::optional<Value> key;
    if (!Classify(r, &cls, &key)) {
      std::erase_if(mixed_, of_q);
    } else if (key) {
      auto c = points_.find(cls);
      if (c == points_.end())
        return;
      auto p = c->second.find(*key);
      if (p == c->second.end())
        return;
      std::vector<WatchRef>& list = p->second;
      std::erase_if(list, of_q);
      if (list.empty())
        c->second.erase(p);
      if (c->second.empty())
        points_.erase(c);
    } else if (auto c = ranges_.find(cls); c != ranges_.end()) {
      c->second.Remove(r.lo, q);
      if (c->second.empty())
        ranges_.erase(c);
    }
  }

  // Calls f(ref) for every watch whose range holds v (not null).
  template <class F>
  void Containing(const Value& v, uint64_t* examined, const F& f) {
    ValueType cls = CompareClass(v);
    for (auto& [pc, points] : points_) {
      if (pc != cls) {  // incomparable: inside
        for (const auto& [key, list] : points)
          for (const WatchRef& w : list) {
            ++*examined;
            f(w);
          }
        continue;
      }
      Value keys[2];
      int n = CandidateKeys(v, keys);
      for (int k = 0; k < n; ++k) {
        ++*examined;
        auto p = points.find(keys[k]);
        if (p == points.end())
          continue;
        for (const WatchRef& w : p->second) {
          ++*examined;
          if (n == 1 || w.query->watches()[w.index].range->Contains(v))
            f(w);
        }
      }
    }
    for (auto& [rc, set] : ranges_) {
      if (rc != cls)
        set.ForEach(examined, f);
      else
        set.Stab(v, examined, f);
    }
    for (const WatchRef& w : mixed_) {
      ++*examined;
      if (w.query->watches()[w.index].range->Contains(v))
        f(w);
    }
  }

 private:
  // The comparison class of r's bounds, and its key if r is a hashable
  // point; false if r has no bounds or bounds of two classes.
  static bool Classify(const ValueRange& r, ValueType* cls, std::optional<Value>* key) {
    if (!r.lo && !r.hi)
      return false;
    *cls = CompareClass(r.lo ? *r.lo : *r.hi);
    if (r.lo && r.hi && CompareClass(*r.hi) != *cls)
      return false;
    if (r.lo && r.hi && CompareByValue(*r.lo, *r.hi) == 0)
      *key = PointKey(*r.lo);
    return true;
  }

  std::map<ValueType, std::unordered_map<Value, std::vector<WatchRef>, PointHash>> points_;
  std::map<ValueType, RangeSet> ranges_;
  std::vector<WatchRef> mixed_;
};

// The watches of one (type, attribute).
struct FieldWatches {
  // Woken by every change of the attribute (a members-only watch of a query
  // whose members are not indexed tests the query's bitmap first).
  std::vector<WatchRef> every;
  // Members-only watches of queries whose members the registry indexes:
  // query -> watch index, looked up for the queries holding the subject.
  std::unordered_map<QueryImpl*, size_t> by_member;
  RangeIndex ranges;

  bool empty() const { return every.empty() && by_member.empty() && ranges.empty(); }
};

// ------------------------------------------------------------- registry --

class Registry final : public CommitListener {
 public:
  explicit Registry(Database& db) : db_(db), schema_seen_(db.schema_version()) {
    db_.AddCommitListener(this);
  }
  ~Registry() override { db_.RemoveCommitListener(this); }

  // Hydrates and registers `q` for `sub` with no commit in between.
  Status Register(const std::shared_ptr<QueryImpl>& q, Subscription* sub) {
    std::lock_guard l(mu_);
    TransactionOptions to;
    to.read_only = true;
    std::unique_ptr<Transaction> txn = db_.Begin(to);
    // A schema change between the query's compilation and this lock: the
    // caller compiles it again. Checked after Begin on purpose: the plan is
    // then no newer than the transaction's catalog, and one that still binds
    // the schema now binds the transaction's too. Compiling here instead
    // leaves a window where plan and transaction see different schemas
    // (LiveConcurrencyTest hit it: a plan using an index the transaction's
    // catalog had dropped).
    if (!StillBinds(q->plan_, db_))
      return Status::Aborted(kSchemaMoved);
    TRINE_RETURN_IF_ERROR(q->Hydrate(*txn));
    q->sequence_seen_ = txn->snapshot_sequence();
    q->serial_ = ++serials_;
    q->subscription_ = sub;
    sub->Set(q);
    queries_.emplace(q.get(), q);
    Attach(q.get());
    return Status::OK();
  }

  void Unregister(Subscription* sub) {
    {
      std::lock_guard l(mu_);
      QueryImpl* q = sub->Get().get();
      Detach(q);
      if (auto it = queries_.find(q); it != queries_.end()) {
        it->second->dead_ = true;
        queries_.erase(it);
      }
      // Diffs still pending from the QueryImpls a rebind replaced go too.
      for (auto& [p, d] : pending_)
        if (p->subscription_ == sub)
          p->dead_ = true;
    }
    // Wait out a delivery in progress (unless it is this thread's).
    std::lock_guard d(deliver_mu_);
  }

  void OnSchemaChange(uint64_t sequence) override {
    std::lock_guard l(mu_);
    RebindAfterSchemaChange(sequence);
  }

  void OnCommit(const ChangeSet& cs) override {
    std::lock_guard l(mu_);
    if (queries_.empty())
      return;
    RebindAfterSchemaChange(cs.sequence);
    // Two clock reads per commit with live queries (steady_clock::now()
    // measured 24 ns here, so ~1% of a 4 µs commit in the live bench): what
    // the maintenance costs, apart from the commit, is worth knowing.
    struct Timer {
      uint64_t* total;
      std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
      ~Timer() {
        *total += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::steady_clock::now() - start)
                                            .count());
      }
    } timer{&stats_.maintenance_nanos};
    ++generation_;
    ++stats_.commits;
    std::vector<QueryImpl*>& woken = woken_;  // kept between commits: no allocation
    woken.clear();
    auto wake = [&](const WatchRef& w) {
      if (w.query->woken_generation_ == generation_)
        return;
      w.query->woken_generation_ = generation_;
      woken.push_back(w.query);
    };
    for (const Change& c : cs.changes) {
      auto t = index_.find(c.type);
      if (t == index_.end())
        continue;
      auto f = t->second.find(c.field);
      if (f == t->second.end())
        continue;
      FieldWatches& fw = f->second;
      auto wake_for_c = [&](const WatchRef& w) {
        if (w.query->woken_generation_ != generation_ && w.query->MayMatter(c))
          wake(w);
      };
      for (const WatchRef& w : fw.every) {
        ++stats_.watches_examined;
        const QueryImpl& q = *w.query;
        if (q.watches()[w.index].members_only && q.keep_members_ && !q.members_.contains(c.subject))
          continue;
        wake_for_c(w);
      }
      if (!fw.by_member.empty()) {
        auto m = members_of_.find(c.type);
        if (m != members_of_.end()) {
          auto [begin, end] = m->second.equal_range(c.subject);
          for (auto it = begin; it != end; ++it) {
            ++stats_.watches_examined;
            auto w = fw.by_member.find(it->second);
            if (w != fw.by_member.end())
              wake_for_c(WatchRef{w->first, w->second});
          }
        }
      }
      for (const Value* v : {&c.old_value, &c.new_value})
        if (!v->is_null())
          fw.ranges.Containing(*v, &stats_.watches_examined, wake_for_c);
    }
    if (woken.empty())
      return;
    // Maintained in registration order, whatever order the index found them in.
    std::sort(woken.begin(), woken.end(),
              [](const QueryImpl* a, const QueryImpl* b) { return a->serial_ < b->serial_; });
    std::unique_ptr<Transaction> txn;
    for (QueryImpl* q : woken) {
      if (cs.sequence <= q->sequence_seen_)
        continue;
      if (!txn) {
        TransactionOptions to;
        to.read_only = true;
        txn = db_.Begin(to);
      }
      LiveDiff diff;
      bool changed = false;
      Status s;
      {
        std::lock_guard ql(q->mu_);
        ++q->stats_.wakeups;
        ReadStats before = txn->read_stats();
        s = q->Apply(cs, *txn, &diff, &changed);
        ReadStats after = txn->read_stats();
        q->stats_.maintenance.entries_read += after.entries_read - before.entries_read;
        q->stats_.maintenance.seeks += after.seeks - before.seeks;
        if (!s.ok()) {
          diff = LiveDiff();
          diff.error = s.message();
          changed = true;
        }
        if (changed)
          ++q->stats_.diffs;
      }
      if (!s.ok())
        Detach(q);
      if (!changed)
        continue;
      auto found = queries_.find(q);
      if (found == queries_.end())
        continue;
      Enqueue(found->second, std::move(diff), cs.sequence);
    }
  }

  void AfterCommit() override {
    std::lock_guard d(deliver_mu_);
    for (;;) {
      std::pair<std::shared_ptr<QueryImpl>, LiveDiff> item;
      {
        std::lock_guard l(mu_);
        if (pending_.empty())
          return;
        item = std::move(pending_.front());
        pending_.pop_front();
        if (item.first->dead_)
          continue;
      }
      Deliver(*item.first, item.second);
    }
  }

  void Deliver(QueryImpl& q, const LiveDiff& d);

  LiveRegistryStats stats() {
    std::lock_guard l(mu_);
    LiveRegistryStats s = stats_;
    s.queries = queries_.size();
    return s;
  }

  // From QueryImpl::AddMember / RemoveMember (under mu_: during Apply) while
  // q's members are indexed.
  void MemberAdded(QueryImpl* q, uint64_t id) {
    members_of_[q->type_id_].emplace(id, q);
    if (++q->indexed_members_ > kMaxIndexedMembers)
      StopIndexingMembers(q);
  }
  void MemberRemoved(QueryImpl* q, uint64_t id) {
    auto m = members_of_.find(q->type_id_);
    if (m == members_of_.end())
      return;
    auto [begin, end] = m->second.equal_range(id);
    for (auto it = begin; it != end; ++it)
      if (it->second == q) {
        m->second.erase(it);
        --q->indexed_members_;
        return;
      }
  }

 private:
  // The subject map costs tens of bytes a member where the bitmap costs a
  // few bits: a query holding more members than this has its bitmap tested
  // on each change instead (it is woken by a good share of them anyway).
  static constexpr uint64_t kMaxIndexedMembers = 1 << 16;

  // A diff for delivery: to the callback after the commit (AfterCommit), or
  // to the poll queue.
  void Enqueue(const std::shared_ptr<QueryImpl>& q, LiveDiff diff, uint64_t sequence) {
    diff.sequence = sequence;
    if (q->callback_) {
      pending_.emplace_back(q, std::move(diff));
    } else {
      std::lock_guard ql(q->mu_);
      q->polled_.push_back(std::move(diff));
    }
  }

  // After a schema change (noticed by its OnSchemaChange, or by the first
  // commit after it): each query whose plan read a type the change altered
  // binds anew (Rebind); the others keep running untouched. The diffs carry
  // `sequence`.
  void RebindAfterSchemaChange(uint64_t sequence) {
    const uint64_t version = db_.schema_version();
    if (version == schema_seen_)
      return;
    schema_seen_ = version;
    std::vector<QueryImpl*> stale;
    for (auto& [q, sp] : queries_) {
      if (!q->attached_)
        continue;  // ended by an error
      if (StillBinds(q->plan_, db_))
        q->plan_.schema_version = version;  // Apply need not check again
      else
        stale.push_back(q);
    }
    if (stale.empty())
      return;
    std::sort(stale.begin(), stale.end(),
              [](const QueryImpl* a, const QueryImpl* b) { return a->serial_ < b->serial_; });
    TransactionOptions to;
    to.read_only = true;
    std::unique_ptr<Transaction> txn = db_.Begin(to);
    for (QueryImpl* q : stale)
      Rebind(q, *txn, sequence);
  }

  // Binds q's text and parameters again to the schema now: a new QueryImpl,
  // hydrated at the current state, takes q's place (its subscription, its
  // undelivered diffs, counters and place in the order), and the subscriber
  // gets one diff from q's last result to the new one. Its attributes may
  // have been renamed, retyped or indexed meanwhile; rows whose values a
  // retype rewrote show as changed. If the query no longer binds (an
  // attribute it reads was dropped), q ends with an error diff instead.
  void Rebind(QueryImpl* q, Transaction& txn, uint64_t sequence) {
    std::shared_ptr<QueryImpl> old = queries_.at(q);
    auto fresh = std::make_shared<QueryImpl>(db_, q->text_);
    Status s = fresh->Compile(q->given_params_);
    if (s.ok())
      s = fresh->Hydrate(txn);
    if (!s.ok()) {
      LiveDiff diff;
      diff.error = "the schema of a type the query reads changed and the query no longer binds: " +
                   std::string(s.message());
      {
        std::lock_guard ql(q->mu_);
        ++q->stats_.diffs;
      }
      Detach(q);
      Enqueue(old, std::move(diff), sequence);
      return;
    }
    LiveDiff diff;
    Tree before = q->Snapshot(), after = fresh->Snapshot();
    const bool changed = !(before == after);
    if (changed)
      DiffResults(before, after, &diff);
    {
      std::scoped_lock both(q->mu_, fresh->mu_);
      // The callback is copied: diffs of q still pending deliver through q.
      fresh->callback_ = q->callback_;
      fresh->polled_ = std::move(q->polled_);
      LiveStats st = q->stats_;
      ++st.rebinds;
      st.diffs += changed ? 1 : 0;
      st.maintenance.entries_read += fresh->stats_.hydration.entries_read;
      st.maintenance.seeks += fresh->stats_.hydration.seeks;
      fresh->stats_ = st;
    }
    fresh->serial_ = q->serial_;
    fresh->sequence_seen_ = txn.snapshot_sequence();
    fresh->subscription_ = q->subscription_;
    Detach(q);
    queries_.erase(q);
    queries_.emplace(fresh.get(), fresh);
    Attach(fresh.get());
    if (fresh->subscription_ != nullptr)
      fresh->subscription_->Set(fresh);
    if (changed)
      Enqueue(fresh, std::move(diff), sequence);
  }

  // Puts q's watches in the index, and its members in the subject map when
  // one of its watches needs them (members are filled by Hydrate, before).
  void Attach(QueryImpl* q) {
    bool members_only = false;
    for (const QueryImpl::Watch& w : q->watches())
      members_only = members_only || w.members_only;
    bool index_members =
        members_only && q->keep_members_ && q->members_.cardinality() <= kMaxIndexedMembers;
    if (index_members) {
      auto& subjects = members_of_[q->type_id_];
      for (uint64_t id : q->members_)
        subjects.emplace(id, q);
      q->indexed_members_ = q->members_.cardinality();
      q->member_index_ = this;
    }
    for (size_t i = 0; i < q->watches().size(); ++i) {
      const QueryImpl::Watch& w = q->watches()[i];
      FieldWatches& fw = index_[w.type][w.field];
      if (w.range)
        fw.ranges.Add(*w.range, WatchRef{q, i});
      else if (w.members_only && index_members)
        fw.by_member.emplace(q, i);
      else
        fw.every.push_back(WatchRef{q, i});
    }
    q->attached_ = true;
  }

  // Drops q's watches: a query that failed stops being maintained (its
  // error diff is its last), an unregistered one goes. Touches only the
  // entries of q's own watches and members.
  void Detach(QueryImpl* q) {
    if (!q->attached_)
      return;
    q->attached_ = false;
    DropMembers(q);
    for (size_t i = 0; i < q->watches().size(); ++i) {
      const QueryImpl::Watch& w = q->watches()[i];
      auto t = index_.find(w.type);
      if (t == index_.end())
        continue;
      auto f = t->second.find(w.field);
      if (f == t->second.end())
        continue;
      FieldWatches& fw = f->second;
      if (w.range)
        fw.ranges.Remove(*w.range, q);
      fw.by_member.erase(q);
      std::erase_if(fw.every, [&](const WatchRef& r) { return r.query == q; });
      if (fw.empty())
        t->second.erase(f);
      if (t->second.empty())
        index_.erase(t);
    }
  }

  // Takes q's members out of the subject map.
  void DropMembers(QueryImpl* q) {
    if (q->member_index_ == nullptr)
      return;
    q->member_index_ = nullptr;
    q->indexed_members_ = 0;
    auto m = members_of_.find(q->type_id_);
    if (m == members_of_.end())
      return;
    for (uint64_t id : q->members_) {
      auto [begin, end] = m->second.equal_range(id);
      for (auto it = begin; it != end; ++it)
        if (it->second == q) {
          m->second.erase(it);
          break;
        }
    }
    if (m->second.empty())
      members_of_.erase(m);
  }

  // q holds too many members to index: its members-only watches go back to
  // testing its bitmap.
  void StopIndexingMembers(QueryImpl* q) {
    DropMembers(q);
    for (size_t i = 0; i < q->watches().size(); ++i) {
      const QueryImpl::Watch& w = q->watches()[i];
      if (!w.members_only || w.range)
        continue;
      FieldWatches& fw = index_[w.type][w.field];
      if (fw.by_member.erase(q) > 0)
        fw.every.push_back(WatchRef{q, i});
    }
  }

  Database& db_;
  std::mutex mu_;  // everything below but deliver_mu_
  std::unordered_map<QueryImpl*, std::shared_ptr<QueryImpl>> queries_;
  // type -> attribute -> its watches.
  std::unordered_map<uint64_t, std::unordered_map<uint64_t, FieldWatches>> index_;
  // type -> subject -> the queries (with members-only watches) holding it.
  std::unordered_map<uint64_t, std::unordered_multimap<uint64_t, QueryImpl*>> members_of_;
  LiveRegistryStats stats_;
  uint64_t serials_ = 0;
  uint64_t generation_ = 0;
  uint64_t schema_seen_;           // the schema version the registered queries were checked at
  std::vector<QueryImpl*> woken_;  // OnCommit's
  std::deque<std::pair<std::shared_ptr<QueryImpl>, LiveDiff>> pending_;
  std::recursive_mutex deliver_mu_;
};

}  // namespace
}  // namespace treeql::live

namespace treeql::live {
namespace {

// The handle users hold.
class Handle final : public LiveQuery {
 public:
  Handle(std::shared_ptr<Registry> r, std::shared_ptr<Subscription> sub)
      : registry_(std::move(r)), sub_(std::move(sub)) {}
  ~Handle() override { registry_->Unregister(sub_.get()); }
  Tree Result() const override { return sub_->Get()->Snapshot(); }
  bool ready() const override { return true; }
  std::optional<LiveDiff> Poll() override {
    std::shared_ptr<QueryImpl> q = sub_->Get();
    std::lock_guard l(q->mu_);
    if (q->polled_.empty())
      return std::nullopt;
    LiveDiff d = std::move(q->polled_.front());
    q->polled_.pop_front();
    return d;
  }
  LiveStats stats() const override {
    std::shared_ptr<QueryImpl> q = sub_->Get();
    std::lock_guard l(q->mu_);
    return q->stats_;
  }
  std::string Explain() const override { return sub_->Get()->Explain(); }

 private:
  std::shared_ptr<Registry> registry_;
  std::shared_ptr<Subscription> sub_;
};

}  // namespace

void Registry::Deliver(QueryImpl& q, const LiveDiff& d) {
  // The callback gets the handle's view of the query.
  struct View final : LiveQuery {
    QueryImpl& q;
    explicit View(QueryImpl& x) : q(x) {}
    Tree Result() const override { return q.Snapshot(); }
    bool ready() const override { return true; }
    std::optional<LiveDiff> Poll() override { return std::nullopt; }
    LiveStats stats() const override {
      std::lock_guard l(q.mu_);
      return q.stats_;
    }
    std::string Explain() const override { return q.Explain(); }
  } view(q);
  q.callback_(d, view);
}

void QueryImpl::AddMember(uint64_t id) {
  if (members_.addChecked(id) && member_index_ != nullptr)
    member_index_->MemberAdded(this, id);
}

void QueryImpl::RemoveMember(uint64_t id) {
  if (members_.removeChecked(id) && member_index_ != nullptr)
    member_index_->MemberRemoved(this, id);
}

// -------------------------------------------------------------- compile --

Status QueryImpl::Compile(const QueryParams& qp) {
  TRINE_ASSIGN_OR_RETURN(std::vector<ast::Statement> sts, Parse(text_));
  if (sts.size() != 1)
    return Status::InvalidArgument("a live query is one SELECT statement");
  ast::Statement& st = sts[0];
  if (st.kind != ast::Statement::Kind::kSelect && st.kind != ast::Statement::Kind::kExplain)
    return Status::Make(Status::Code::kInvalidArgument,
                        FormatError(text_, st.pos, "only a SELECT can be live"));
  uint32_t error_pos = st.pos;
  Result<Plan> plan = Bind(st, db_, &error_pos);
  if (!plan.ok())
    return Status::Make(plan.status().code(),
                        FormatError(text_, error_pos, plan.status().message()));
  plan_ = std::move(*plan);
  given_params_ = qp;
  // Parameters: positional, then named in the plan's order.
  if (qp.positional.size() < static_cast<size_t>(plan_.param_count))
    return Status::InvalidArgument("the query has " + std::to_string(plan_.param_count) +
                                   " `?` parameter(s) but " + std::to_string(qp.positional.size()) +
                                   " were given");
  params_.assign(qp.positional.begin(), qp.positional.begin() + plan_.param_count);
  named_base_ = params_.size();
  for (const std::string& name : plan_.param_names) {
    auto it = std::find_if(qp.named.begin(), qp.named.end(),
                           [&](const auto& p) { return p.first == name; });
    if (it == qp.named.end())
      return Status::InvalidArgument("no value given for the parameter :" + name);
    params_.push_back(it->second);
  }
  top_ = plan_.query.get();
  const Level& L = *top_;
  if (L.type.empty()) {
    mode_ = Mode::kRerun;
    why_rerun_ = "no FROM: re-run when a sub-query's ranges change";
  } else if (L.aggregate) {
    mode_ = Mode::kAggregate;
  } else {
    mode_ = Mode::kWindow;
  }
  type_id_ = L.type_info.id;
  simple_ = !L.type.empty() && L.nested.empty() && L.ref_scopes.empty();
  for (const Column& c : L.columns)
    if (c.scope >= 0)
      simple_ = false;
  col_field_.assign(L.columns.size(), 0);
  col_use_.assign(L.columns.size(), 0);
  for (size_t i = 0; i < L.columns.size(); ++i)
    if (L.columns[i].scope < 0) {
      col_field_[i] = L.columns[i].field->number;
      field_cols_[col_field_[i]].push_back(i);
    }
  if (L.where)
    CollectColumns(*L.where, &col_use_, kUseWhere);
  for (const OrderKey& k : L.order)
    CollectColumns(k.expr, &col_use_, kUseKey);
  if (mode_ == Mode::kWindow && simple_ && !L.where && !L.order.empty()) {
    const BExpr& e = L.order[0].expr;
    if (e.kind == BExpr::Kind::kColumn && e.up == 0 && e.slot >= 0 &&
        static_cast<size_t>(e.slot) < col_field_.size()) {
      order_field_ = col_field_[static_cast<size_t>(e.slot)];
      order_desc_ = L.order[0].descending;
    }
  }
  for (const BExpr& v : L.out.values)
    CollectColumns(v, &col_use_, kUseOut);

  // OFFSET / LIMIT.
  for (auto [expr, dst] : {std::pair{&L.limit, &lim_}, {&L.offset, &off_}}) {
    if (!*expr)
      continue;
    std::optional<Value> v = ConstValue(**expr, params_, named_base_);
    if (!v || v->type() != ValueType::kInt || v->as_int() < 0)
      return Status::Make(
          Status::Code::kInvalidArgument,
          FormatError(text_, (*expr)->pos,
                      "a live query needs a constant, non-negative LIMIT / OFFSET"));
    *dst = static_cast<uint64_t>(v->as_int());
  }
  grouped_ = !L.group_by.empty();
  for (const BExpr& g : L.group_by)
    CollectColumns(g, &col_use_, kUseOut);
  if (mode_ == Mode::kAggregate &&
      (L.limit || L.offset || !simple_ || (grouped_ && !L.order.empty()))) {
    mode_ = Mode::kRerun;
    why_rerun_ = L.limit || L.offset ? "aggregate with LIMIT / OFFSET: re-run when woken"
                 : !simple_          ? "aggregate over sub-queries or paths: re-run when woken"
                                     : "groups in ORDER BY order: re-run when woken";
  }
  if (mode_ == Mode::kAggregate) {
    for (const BExpr& v : L.out.values)
      Executor::AggNodes(v, &agg_nodes_);
    star_.assign(agg_nodes_.size(), Value::Bool(true));
  }
  need_ = lim_ == kNoLimit ? kNoLimit : lim_ + off_;
  if (L.order.empty())
    cap_ = kNoLimit;  // id order: every matching row is held
  else
    cap_ = need_ == kNoLimit ? kNoLimit : need_ + std::max<uint64_t>(need_, 16);

  // Watched ranges.
  const AccessPath& a = L.access;
  covered_ = simple_ && a.kind == AccessPath::Kind::kIndexRange && a.covers_filter &&
             a.in_lists.empty() && a.like_patterns.empty() && !a.bounds.empty();
  std::optional<ValueRange> range;
  if (covered_) {
    ValueRange r;
    for (const auto& [op, e] : a.bounds) {
      std::optional<Value> v = ConstValue(e, params_, named_base_);
      if (!v || v->is_null()) {
        covered_ = false;
        break;
      }
      if (op == Op::kEq || op == Op::kGt || op == Op::kGe)
        if (!r.lo || CompareByValue(*v, *r.lo) > 0)
          r.lo = *v;
      if (op == Op::kEq || op == Op::kLt || op == Op::kLe)
        if (!r.hi || CompareByValue(*v, *r.hi) < 0)
          r.hi = *v;
    }
    if (covered_)
      range = r;
  }
  if (covered_ && mode_ == Mode::kAggregate && !grouped_ &&
      std::all_of(agg_nodes_.begin(), agg_nodes_.end(),
                  [](const BExpr* n) { return n->agg == Agg::kCountStar; })) {
    bool empty = false;
    for (const auto& [op, e] : a.bounds) {
      std::optional<Value> v = ConstValue(e, params_, named_base_);  // not null: covered_
      TightenByComparison(op, *v, *a.field, &cover_lower_, &cover_upper_, &empty);
    }
    // Within one type the index's order is the comparisons' order; ints and
    // strings only (floats have NaN, decimals their scale).
    cover_type_ = a.field->type == FieldType::kInt      ? ValueType::kInt
                  : a.field->type == FieldType::kString ? ValueType::kString
                                                        : ValueType::kNull;
    auto typed = [&](const std::optional<IndexBound>& b) {
      return !b || b->value.type() == cover_type_;
    };
    count_in_range_ = !empty && cover_type_ != ValueType::kNull && (cover_lower_ || cover_upper_) &&
                      typed(cover_lower_) && typed(cover_upper_);
    cover_field_ = a.field->number;
  }
  // Which subjects' membership is tracked: aggregates always; a window whose
  // WHERE is an index range of an attribute other than its order.
  keep_members_ = mode_ == Mode::kAggregate || (mode_ == Mode::kWindow && simple_ && L.where &&
                                                !a.provides_order && !L.order.empty());
  std::set<std::pair<uint64_t, uint64_t>> seen;
  auto watch = [&](uint64_t type, uint64_t field, std::optional<ValueRange> r, std::string label) {
    if (!seen.insert({type, field}).second)
      return;
    watches_.push_back(Watch{type, field, std::move(r), false, std::move(label)});
  };
  // Every level of the tree: its type's presence and the attributes it reads.
  std::function<void(const Level&)> walk = [&](const Level& lv) {
    if (!lv.type.empty()) {
      uint64_t t = lv.type_info.id;
      bool covered_top = &lv == top_ && covered_;
      if (covered_top) {
        watch(t, a.field->number, range, lv.type + "." + a.field->name + " in range");
      } else {
        watch(t, 0, std::nullopt, lv.type + " (created / deleted)");
      }
      if (lv.access.kind == AccessPath::Kind::kRefSeek ||
          lv.access.kind == AccessPath::Kind::kIndexRange)
        if (lv.access.field != nullptr && !covered_top)
          watch(t, lv.access.field->number, std::nullopt, lv.type + "." + lv.access.field->name);
      for (const Column& c : lv.columns) {
        if (c.scope >= 0) {
          std::optional<TypeInfo> target = db_.FindType(c.type);
          if (target)
            watch(target->id, c.field->number, std::nullopt, c.type + "." + c.field->name);
          continue;
        }
        watch(t, c.field->number, std::nullopt, lv.type + "." + c.field->name);
      }
      if (&lv == top_ && keep_members_ && simple_)
        for (Watch& w : watches_)
          if (w.type == t && w.field != 0 && !w.range) {
            bool in_where = false;
            for (size_t col : field_cols_[w.field])
              in_where = in_where || (col_use_[col] & kUseWhere);
            if (!in_where) {
              w.members_only = true;
              w.label += " (matching subjects only)";
            }
          }
    }
    for (const auto& n : lv.nested)
      walk(*n);
  };
  walk(L);
  return Status::OK();
}

// -------------------------------------------------------------- windows --

bool QueryImpl::MayMatter(const Change& c) const {
  if (order_field_ == 0 || c.field != order_field_ || c.type != type_id_)
    return true;
  // A complete window holds every row; one that holds the subject must
  // move or drop it. Otherwise its last row bounds what can enter.
  if (complete_ || window_.empty() || entries_.contains(c.subject))
    return true;
  const Value& bound = (*window_.back().key)[0];
  auto past = [&](const Value& v) {
    if (v.is_null() || bound.is_null())
      return false;  // NULLs sort by the key's NULLS FIRST/LAST: not decided here
    int cmp = Value::Compare(v, bound);  // the window's order (CompareOrderKeys)
    return order_desc_ ? cmp < 0 : cmp > 0;
  };
  return !(past(c.old_value) && past(c.new_value));
}

bool QueryImpl::Less(const std::vector<Value>& ka, uint64_t a, const std::vector<Value>& kb,
                     uint64_t b) const {
  const auto& order = top_->order;
  if (int c = CompareOrderKeys(order, ka.data(), kb.data()); c != 0)
    return c < 0;
  bool last_desc = !order.empty() && order.back().descending;
  return last_desc ? a > b : a < b;
}

size_t QueryImpl::LowerBound(const std::vector<Value>& key, uint64_t id) const {
  auto it = std::lower_bound(window_.begin(), window_.end(), 0,
                             [&](const Slot& s, int) { return Less(*s.key, s.id, key, id); });
  return static_cast<size_t>(it - window_.begin());
}

void QueryImpl::Insert(uint64_t id, Entry e) {
  if (recording_) {
    inserted_.push_back(id);
    e.inserted = true;
  }
  auto [it, fresh] = entries_.insert_or_assign(id, std::move(e));
  (void)fresh;
  size_t pos = LowerBound(it->second.key, id);
  window_.insert(window_.begin() + static_cast<ptrdiff_t>(pos), Slot{&it->second.key, id});
}

void QueryImpl::Erase(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return;
  size_t pos = LowerBound(it->second.key, id);
  if (pos < window_.size() && window_[pos].id == id)
    window_.erase(window_.begin() + static_cast<ptrdiff_t>(pos));
  if (recording_ && !it->second.inserted)
    erased_.try_emplace(id, std::move(it->second));  // held before the commit
  entries_.erase(it);
}

std::vector<const Tree*> QueryImpl::Visible() const {
  std::vector<const Tree*> out;
  for (size_t i = off_; i < window_.size() && out.size() < lim_; ++i)
    out.push_back(&entries_.at(window_[i].id).row);
  return out;
}

// The changes of the visible rows [off_, off_ + lim_) made by one commit,
// found from the rows it touched alone (erased_, the entries held before,
// and inserted_): every other held row kept its content and its relative
// order. So the old list is the current one without the inserted rows plus
// the erased ones, and an erased row's old rank is its rank among the
// current rows, less the inserted rows before it, plus the erased rows
// before it. Untouched rows change visibility only by sliding across the
// OFFSET or LIMIT boundary, at most as many as rows were touched. The cost
// is O(t log n) for t touched rows of n held, whatever the window's size.
void QueryImpl::WindowDiff(LiveDiff* out) {
  struct Touched {
    uint64_t id;
    const Entry* before = nullptr;  // held before the commit
    const Entry* now = nullptr;     // held now
    uint64_t old_rank = 0, new_rank = 0;
  };
  std::vector<Touched> era;  // erased, sorted by old key: by old rank
  era.reserve(erased_.size());
  for (const auto& [id, e] : erased_)
    era.push_back(Touched{id, &e});
  std::sort(era.begin(), era.end(), [&](const Touched& a, const Touched& b) {
    return Less(a.before->key, a.id, b.before->key, b.id);
  });
  std::vector<uint64_t> ins_rank;  // ranks of the inserted rows still held, ascending
  std::unordered_map<uint64_t, uint64_t> rank_now;
  std::sort(inserted_.begin(), inserted_.end());
  inserted_.erase(std::unique(inserted_.begin(), inserted_.end()), inserted_.end());
  for (uint64_t id : inserted_) {
    auto it = entries_.find(id);
    if (it == entries_.end())
      continue;  // erased again
    uint64_t r = LowerBound(it->second.key, id);
    ins_rank.push_back(r);
    rank_now.emplace(id, r);
  }
  std::sort(ins_rank.begin(), ins_rank.end());
  auto count_below = [](const std::vector<uint64_t>& sorted, uint64_t x) {
    return static_cast<uint64_t>(std::lower_bound(sorted.begin(), sorted.end(), x) -
                                 sorted.begin());
  };
  std::vector<uint64_t> era_rank;  // ascending, as era is
  for (size_t i = 0; i < era.size(); ++i) {
    uint64_t lb = LowerBound(era[i].before->key, era[i].id);
    era[i].old_rank = lb - count_below(ins_rank, lb) + i;
    era_rank.push_back(era[i].old_rank);
  }
  const uint64_t new_size = window_.size();
  const uint64_t old_size = new_size - ins_rank.size() + era.size();
  const uint64_t vis_end = lim_ >= kNoLimit - off_ ? kNoLimit : off_ + lim_;
  // Untouched rows before position x of the old (new) list.
  auto u_old = [&](uint64_t x) { return std::min(x, old_size) - count_below(era_rank, x); };
  auto u_new = [&](uint64_t x) { return std::min(x, new_size) - count_below(ins_rank, x); };
  // Position of the j-th untouched row in a list whose touched rows sit at `ranks`.
  auto position = [](const std::vector<uint64_t>& ranks, uint64_t j) {
    uint64_t p = j;
    for (uint64_t r : ranks) {
      if (r > p)
        break;
      ++p;
    }
    return p;
  };
  auto visible = [&](uint64_t rank) { return rank >= off_ && rank < vis_end; };
  auto pos = [&](uint64_t rank) { return static_cast<int64_t>(rank - off_); };
  auto emit = [&](LiveChange::Kind kind, uint64_t id, int64_t o, int64_t n, const Tree* row) {
    AddChange({}, kind, id, o, n, row, &out->changes);
  };
  stats_.diff_rows += era.size() + rank_now.size();

  // Untouched rows across the boundaries: [a, b) visible before, [c, d) now.
  uint64_t a = u_old(off_), b = u_old(vis_end), c = u_new(off_), d = u_new(vis_end);
  auto gone = [&](uint64_t j) {
    ++stats_.diff_rows;
    emit(LiveChange::Kind::kRemoved, window_[position(ins_rank, j)].id, pos(position(era_rank, j)),
         -1, nullptr);
  };
  auto come = [&](uint64_t j) {
    ++stats_.diff_rows;
    uint64_t p = position(ins_rank, j);
    emit(LiveChange::Kind::kAdded, window_[p].id, -1, pos(p), &entries_.at(window_[p].id).row);
  };
  for (uint64_t j = a; j < std::min(b, c); ++j)
    gone(j);
  for (uint64_t j = std::max(a, std::max(c, d)); j < b; ++j)
    gone(j);
  for (uint64_t j = c; j < std::min(d, a); ++j)
    come(j);
  for (uint64_t j = std::max(c, std::max(a, b)); j < d; ++j)
    come(j);

  // Touched rows: in both lists, a row stays if as many untouched rows
  // precede it as before and it keeps its order among the touched rows that
  // stay (a longest increasing run of new ranks); the others moved.
  std::vector<Touched> both;
  for (Touched& t : era) {
    auto now = rank_now.find(t.id);
    bool was = visible(t.old_rank);
    bool is = now != rank_now.end() && visible(now->second);
    if (is) {
      t.now = &entries_.at(t.id);
      t.new_rank = now->second;
    }
    if (now != rank_now.end())
      rank_now.erase(now);
    if (was && is)
      both.push_back(t);
    else if (was)
      emit(LiveChange::Kind::kRemoved, t.id, pos(t.old_rank), -1, nullptr);
    else if (is)
      emit(LiveChange::Kind::kAdded, t.id, -1, pos(t.new_rank), &t.now->row);
  }
  for (const auto& [id, r] : rank_now)  // new rows
    if (visible(r))
      emit(LiveChange::Kind::kAdded, id, -1, pos(r), &entries_.at(id).row);
  std::vector<size_t> same_slot;  // indexes into `both`
  std::vector<uint64_t> ranks;
  for (size_t k = 0; k < both.size(); ++k)
    if (u_old(both[k].old_rank) == u_new(both[k].new_rank)) {
      same_slot.push_back(k);
      ranks.push_back(both[k].new_rank);
    }
  std::vector<uint8_t> kept = KeptInOrder(ranks);
  std::vector<uint8_t> stays(both.size(), 0);
  for (size_t i = 0; i < same_slot.size(); ++i)
    stays[same_slot[i]] = kept[i];
  for (size_t k = 0; k < both.size(); ++k) {
    const Touched& t = both[k];
    if (stays[k])
      DiffRow({}, t.before->row, t.now->row, pos(t.old_rank), pos(t.new_rank), &out->changes);
    else
      emit(LiveChange::Kind::kMoved, t.id, pos(t.old_rank), pos(t.new_rank), &t.now->row);
  }
}

// Re-reads the window from the index: the first `cap_` rows in order.
Status QueryImpl::Refill(Transaction& txn) {
  Executor ex = MakeExecutor(txn);
  Executor::Override o;
  o.level = top_;
  o.budget = cap_;
  ex.SetOverride(o);
  std::vector<Executor::KeyedRow> rows;
  Status s = ex.KeyedRows(*top_, &rows);
  if (!s.ok())
    return Status::Make(s.code(), FormatError(text_, ex.error_pos(), s.message()));
  if (recording_)
    for (auto& [id, e] : entries_)
      if (!e.inserted)
        erased_.try_emplace(id, std::move(e));
  window_.clear();
  entries_.clear();
  for (auto& r : rows) {
    Entry e;
    e.key = std::move(r.key);
    e.row = std::move(r.row);
    Insert(r.id, std::move(e));
  }
  complete_ = cap_ == kNoLimit || rows.size() < cap_;
  // Simple queries keep each held row's column values, so a later change of
  // one attribute needs no reads: read them for the rows just fetched.
  if (simple_ && !window_.empty()) {
    std::vector<uint64_t> ids;
    for (const Slot& sl : window_)
      ids.push_back(sl.id);
    std::sort(ids.begin(), ids.end());
    std::vector<std::vector<Value>> cols(col_field_.size());
    for (size_t c = 0; c < col_field_.size(); ++c)
      TRINE_RETURN_IF_ERROR(txn.MultiGetField(top_->type, FieldRef(col_field_[c]), ids, &cols[c]));
    for (size_t i = 0; i < ids.size(); ++i) {
      Entry& e = entries_.at(ids[i]);
      e.cols.resize(col_field_.size());
      for (size_t c = 0; c < col_field_.size(); ++c)
        e.cols[c] = std::move(cols[c][i]);
    }
  }
  return Status::OK();
}

Status QueryImpl::Hydrate(Transaction& txn) {
  ReadStats before = txn.read_stats();
  Status s;
  switch (mode_) {
    case Mode::kWindow:
      s = Refill(txn);
      if (s.ok() && keep_members_) {
        // The matching set, if small: a window over a selective filter then
        // ignores changes of non-matching subjects without reading them.
        Executor ex = MakeExecutor(txn);
        Executor::Override o;
        o.level = top_;
        o.budget = 65537;
        ex.SetOverride(o);
        std::vector<Executor::KeyedRow> rows;
        s = ex.KeyedRows(*top_, &rows);
        keep_members_ = s.ok() && rows.size() < o.budget;
        members_.clear();
        if (keep_members_)
          for (const auto& r : rows)
            AddMember(r.id);
        s = Status::OK();
      }
      break;
    case Mode::kAggregate: {
      Executor ex = MakeExecutor(txn);
      Executor::Override o;
      o.level = top_;
      o.budget = kNoLimit;
      ex.SetOverride(o);
      std::vector<uint64_t> ids;
      std::vector<std::vector<Value>> inputs;
      s = ex.AggInputs(*top_, &ids, &inputs);
      if (!s.ok()) {
        s = Status::Make(s.code(), FormatError(text_, ex.error_pos(), s.message()));
        break;
      }
      groups_.clear();
      group_order_.clear();
      if (!grouped_)
        groups_[{}].accs.assign(agg_nodes_.size(), Acc());
      members_.clear();
      inputs_.clear();
      bool store = grouped_;
      for (const BExpr* n : agg_nodes_)
        store = store || n->agg != Agg::kCountStar;
      for (size_t i = 0; i < ids.size(); ++i) {
        members_.add(ids[i]);
        AddInputs(inputs[i], +1);
        if (store)
          inputs_.emplace(ids[i], std::move(inputs[i]));
      }
      touched_groups_.clear();
      for (auto& [key, g] : groups_) {
        Result<Tree> row = GroupRow(ex, key, g);
        if (!row.ok()) {
          s = row.status();
          break;
        }
        g.row = std::move(*row);
      }
      if (!grouped_)
        value_ = AggregateResult();
      break;
    }
    case Mode::kRerun: {
      Executor ex = MakeExecutor(txn);
      s = ex.Query(*top_, plan_.scalar, &value_);
      if (!s.ok())
        s = Status::Make(s.code(), FormatError(text_, ex.error_pos(), s.message()));
      break;
    }
  }
  ReadStats after = txn.read_stats();
  stats_.hydration.entries_read = after.entries_read - before.entries_read;
  stats_.hydration.seeks = after.seeks - before.seeks;
  return s;
}

Tree QueryImpl::Snapshot() const {
  std::lock_guard l(mu_);
  if (mode_ == Mode::kAggregate && grouped_)
    return AggregateResult();
  if (mode_ != Mode::kWindow)
    return value_;
  Tree a = Tree::Array();
  for (const Tree* t : Visible())
    a.Push(*t);
  return a;
}

void QueryImpl::ChangedSubjects(const ChangeSet& cs) {
  subjects_.clear();
  const Change* all = cs.changes.data();
  const size_t n = cs.changes.size();
  for (size_t i = 0; i < n;) {
    if (all[i].type != type_id_) {
      ++i;
      continue;
    }
    SubjectChanges sc;
    sc.id = all[i].subject;
    sc.begin = all + i;
    bool relevant = false;
    for (; i < n && all[i].type == type_id_ && all[i].subject == sc.id; ++i) {
      const Change& c = all[i];
      if (c.field == 0) {
        sc.created = c.old_value.is_null();
        sc.deleted = c.new_value.is_null();
        relevant = true;
      } else if (field_cols_.contains(c.field)) {
        relevant = true;
      }
    }
    sc.end = all + i;
    // ChangeSet promises (type, subject, field) order: a subject's changes
    // are one run, and the runs ascend.
    assert(subjects_.empty() || subjects_.back().id < sc.id);
    if (relevant)
      subjects_.push_back(sc);
  }
}

QueryImpl::Work QueryImpl::StartWork(uint64_t id, const SubjectChanges& sc, bool* where_changed,
                                     bool* used_changed) const {
  Work w;
  StartWorkInto(&w, id, sc, where_changed, used_changed);
  return w;
}

void QueryImpl::StartWorkInto(Work* out, uint64_t id, const SubjectChanges& sc, bool* where_changed,
                              bool* used_changed) const {
  size_t ncols = col_field_.size();
  Work& w = *out;
  w.id = id;
  w.cols.assign(ncols, Value());
  w.known.assign(ncols, 0);
  w.skip_where = false;
  *where_changed = *used_changed = sc.created;
  for (const Change* c = sc.begin; c != sc.end; ++c) {
    if (c->field == 0)
      continue;
    auto cols = field_cols_.find(c->field);
    if (cols == field_cols_.end())
      continue;
    for (size_t col : cols->second) {
      w.cols[col] = c->new_value;
      w.known[col] = 1;
      *where_changed = *where_changed || (col_use_[col] & kUseWhere);
      *used_changed = *used_changed || col_use_[col] != 0;
    }
  }
  // A subject created by the commit has no attributes but those it set.
  if (sc.created)
    std::fill(w.known.begin(), w.known.end(), 1);
}

Status QueryImpl::ReadMissing(Transaction& txn, std::vector<Work>* work) const {
  for (size_t col = 0; col < col_field_.size(); ++col) {
    std::vector<uint64_t> ids;
    for (const Work& w : *work)
      if (!w.known[col])
        ids.push_back(w.id);
    if (ids.empty())
      continue;
    std::vector<Value> vals;
    TRINE_RETURN_IF_ERROR(txn.MultiGetField(top_->type, FieldRef(col_field_[col]), ids, &vals));
    size_t k = 0;
    for (Work& w : *work)
      if (k < ids.size() && w.id == ids[k]) {
        w.cols[col] = std::move(vals[k++]);
        w.known[col] = 1;
      }
  }
  return Status::OK();
}

Status QueryImpl::ApplyWindowSimple(const ChangeSet& cs, Transaction& txn) {
  ChangedSubjects(cs);
  size_t ncols = col_field_.size();
  std::vector<Work> work;
  std::optional<Executor> executor;  // made when first needed
  auto ex = [&]() -> Executor& {
    if (!executor)
      executor.emplace(txn, params_, named_base_);
    return *executor;
  };
  for (const SubjectChanges& sc : subjects_) {
    const uint64_t id = sc.id;
    ++stats_.evaluated;
    auto held = entries_.find(id);
    if (sc.deleted) {
      if (held != entries_.end())
        Erase(id);
      if (keep_members_)
        RemoveMember(id);
      continue;
    }
    bool where_changed = false, used_changed = false;
    Work& w = scratch_work_;
    StartWorkInto(&w, id, sc, &where_changed, &used_changed);
    if (held != entries_.end())
      for (size_t col = 0; col < ncols; ++col)
        if (!w.known[col] && col < held->second.cols.size()) {
          w.cols[col] = held->second.cols[col];
          w.known[col] = 1;
        }
    bool member_known = keep_members_ && !where_changed;
    if (member_known && !members_.contains(id))
      continue;  // did not match, and nothing it is filtered on changed
    w.skip_where = member_known || (held != entries_.end() && !where_changed);
    // Past the bound and not held: invisible, unless membership must be tracked.
    const std::vector<Value>* bound = complete_ || window_.empty() ? nullptr : window_.back().key;
    if (held == entries_.end() && bound != nullptr && (!keep_members_ || !where_changed)) {
      bool keys_known = true;
      for (size_t col = 0; col < ncols; ++col)
        if ((col_use_[col] & kUseKey) && !w.known[col])
          keys_known = false;
      if (keys_known) {
        std::vector<Value>& key = scratch_key_;
        key.clear();
        TRINE_RETURN_IF_ERROR(ex().EvalKey(*top_, id, w.cols, &key));
        if (Less(*bound, window_.back().id, key, id))
          continue;
      }
    }
    work.push_back(w);
  }
  if (work.empty())
    return Status::OK();
  TRINE_RETURN_IF_ERROR(ReadMissing(txn, &work));
  for (Work& w : work) {
    // WHERE and the key first: the row tree is made only for a row that
    // lands in the window (most re-evaluated subjects do not).
    Executor::RowEval r;
    r.assume_match = w.skip_where;
    r.want_row = false;
    Status s = ex().EvalRow(*top_, w.id, w.cols, &r);
    if (!s.ok())
      return Status::Make(s.code(), FormatError(text_, ex().error_pos(), s.message()));
    if (keep_members_) {
      if (r.match)
        AddMember(w.id);
      else
        RemoveMember(w.id);
    }
    Erase(w.id);
    if (!r.match)
      continue;
    const std::vector<Value>* b = complete_ || window_.empty() ? nullptr : window_.back().key;
    bool inside = complete_ || (b != nullptr && !Less(*b, window_.back().id, r.key, w.id));
    if (inside) {
      Executor::RowEval full;
      full.assume_match = true;
      s = ex().EvalRow(*top_, w.id, w.cols, &full);
      if (!s.ok())
        return Status::Make(s.code(), FormatError(text_, ex().error_pos(), s.message()));
      Entry e;
      e.key = std::move(r.key);
      e.row = std::move(full.row);
      e.cols = std::move(w.cols);
      Insert(w.id, std::move(e));
    }
  }
  return Status::OK();
}

// Subjects of `level`'s type whose rows may have changed: their own
// attributes, the subjects their reference paths reach, their sub-queries'
// rows. `all` when the mapping is not known (then every row may have).
Status QueryImpl::Affected(const Level& level, const ChangeSet& cs, Transaction& txn,
                           std::set<uint64_t>* out, bool* all) {
  uint64_t t = level.type_info.id;
  std::unordered_set<uint64_t> fields{0};
  for (const Column& c : level.columns)
    if (c.scope < 0)
      fields.insert(c.field->number);
  if (level.access.field != nullptr)
    fields.insert(level.access.field->number);
  for (const Change& c : cs.changes)
    if (c.type == t && fields.contains(c.field))
      out->insert(c.subject);
  // Reference paths: referrers of changed targets.
  for (size_t k = 0; k < level.ref_scopes.size(); ++k) {
    const RefScope& rs = level.ref_scopes[k];
    const Column& src = level.columns[static_cast<size_t>(rs.source_column)];
    std::optional<TypeInfo> target = db_.FindType(rs.type);
    std::unordered_set<uint64_t> tf;
    for (const Column& c : level.columns)
      if (c.scope == static_cast<int>(k))
        tf.insert(c.field->number);
    for (const Change& c : cs.changes) {
      if (!target || c.type != target->id || !(tf.contains(c.field) || c.field == 0))
        continue;
      if (src.scope >= 0) {
        *all = true;
        return Status::OK();
      }
      TRINE_RETURN_IF_ERROR(
          txn.Referrers(level.type, FieldRef(src.field->number), c.subject, [&](uint64_t id) {
            out->insert(id);
            return true;
          }));
    }
  }
  // Sub-queries.
  for (const auto& np : level.nested) {
    const Level& n = *np;
    std::set<uint64_t> kids;
    bool kids_all = false;
    if (n.type.empty()) {
      // No FROM: its own sub-queries decide.
      for (const auto& nn : n.nested) {
        std::set<uint64_t> x;
        bool xa = false;
        TRINE_RETURN_IF_ERROR(Affected(*nn, cs, txn, &x, &xa));
        if (xa || !x.empty()) {
          *all = true;
          return Status::OK();
        }
      }
      continue;
    }
    TRINE_RETURN_IF_ERROR(Affected(n, cs, txn, &kids, &kids_all));
    if (kids.empty() && !kids_all)
      continue;
    const AccessPath& a = n.access;
    bool child_of = a.kind == AccessPath::Kind::kRefSeek && a.keys.size() == 1 &&
                    a.keys[0].kind == BExpr::Kind::kSubject && a.keys[0].up == 1 &&
                    a.keys[0].scope < 0 && !kids_all;
    if (!child_of) {
      *all = true;
      return Status::OK();
    }
    uint64_t ct = n.type_info.id;
    uint64_t f = a.field->number;
    std::vector<uint64_t> unresolved;
    for (uint64_t kid : kids) {
      bool found = false;
      for (const Change& c : cs.changes)
        if (c.type == ct && c.subject == kid && c.field == f) {
          for (const Value* v : {&c.old_value, &c.new_value})
            if (v->type() == ValueType::kRef)
              out->insert(v->as_ref());
          found = true;
        }
      if (!found)
        unresolved.push_back(kid);
    }
    if (!unresolved.empty()) {
      std::vector<Value> parents;
      TRINE_RETURN_IF_ERROR(txn.MultiGetField(n.type, FieldRef(f), unresolved, &parents));
      for (const Value& v : parents)
        if (v.type() == ValueType::kRef)
          out->insert(v.as_ref());
    }
  }
  return Status::OK();
}

Status QueryImpl::ApplyWindowGeneral(const ChangeSet& cs, Transaction& txn, bool* all) {
  std::set<uint64_t> affected;
  TRINE_RETURN_IF_ERROR(Affected(*top_, cs, txn, &affected, all));
  if (*all || affected.size() > 4096) {
    *all = true;
    ++stats_.reruns;
    return Refill(txn);
  }
  if (affected.empty())
    return Status::OK();
  std::vector<uint64_t> ids(affected.begin(), affected.end());
  stats_.evaluated += ids.size();
  Executor ex = MakeExecutor(txn);
  Executor::Override o;
  o.level = top_;
  o.only_ids = &ids;
  ex.SetOverride(o);
  std::vector<Executor::KeyedRow> rows;
  Status s = ex.KeyedRows(*top_, &rows);
  if (!s.ok())
    return Status::Make(s.code(), FormatError(text_, ex.error_pos(), s.message()));
  for (uint64_t id : ids)
    Erase(id);
  for (auto& r : rows) {
    const std::vector<Value>* b = complete_ || window_.empty() ? nullptr : window_.back().key;
    bool inside = complete_ || (b != nullptr && !Less(*b, window_.back().id, r.key, r.id));
    if (!inside)
      continue;
    Entry e;
    e.key = std::move(r.key);
    e.row = std::move(r.row);
    Insert(r.id, std::move(e));
  }
  return Status::OK();
}

// ----------------------------------------------------------- aggregates --

void QueryImpl::AddInputs(const std::vector<Value>& in, int sign) {
  size_t n = agg_nodes_.size();
  std::vector<Value> key;
  if (grouped_ && in.size() >= n)
    key.assign(in.begin() + static_cast<ptrdiff_t>(n), in.end());
  auto found = groups_.find(key);
  if (auto [t, first] = touched_groups_.try_emplace(key); first) {
    // The first change of this group in the commit: what it was before.
    t->second.existed = found != groups_.end();
    if (t->second.existed)
      t->second.row = std::move(found->second.row);  // re-made at the end of the commit
  }
  if (found == groups_.end()) {
    if (sign < 0)
      return;  // cannot happen: a member's group exists while it is a member
    found = groups_.emplace(key, Group()).first;
    found->second.accs.assign(n, Acc());
    if (grouped_)
      group_order_.insert(GroupPosition(found->first), &found->first);
  }
  Group& g = found->second;
  g.members += sign;
  if (grouped_ && g.members == 0) {
    // The last member left: the group's row goes.
    group_order_.erase(GroupPosition(found->first));
    groups_.erase(found);
    return;
  }
  for (size_t i = 0; i < n && i < in.size(); ++i) {
    const Value& v = in[i];
    Acc& a = g.accs[i];
    if (v.is_null())
      continue;
    a.count += sign;
    Agg kind = agg_nodes_[i]->agg;
    if (kind == Agg::kMin || kind == Agg::kMax || agg_nodes_[i]->distinct) {
      auto it = a.multiset.find(v);
      if (sign > 0) {
        if (it == a.multiset.end())
          a.multiset.emplace(v, 1);
        else
          ++it->second;
      } else if (it != a.multiset.end() && --it->second == 0) {
        a.multiset.erase(it);
      }
    }
    if (kind == Agg::kSum || kind == Agg::kAvg)
      a.sum.Add(v, sign);
  }
}

Result<Tree> QueryImpl::GroupRow(Executor& ex, const std::vector<Value>& key, const Group& g) {
  std::vector<Value> values;
  for (size_t i = 0; i < agg_nodes_.size(); ++i) {
    const BExpr& n = *agg_nodes_[i];
    const Acc& a = g.accs[i];
    switch (n.agg) {
      case Agg::kCountStar:
        values.push_back(Value::Int(g.members));
        break;
      case Agg::kCount:
        values.push_back(
            Value::Int(n.distinct ? static_cast<int64_t>(a.multiset.size()) : a.count));
        break;
      case Agg::kExists:
        values.push_back(Value::Bool(a.count > 0));
        break;
      case Agg::kMin:
      case Agg::kMax:
        if (a.multiset.empty())
          values.emplace_back();
        else
          values.push_back(n.agg == Agg::kMin ? a.multiset.begin()->first
                                              : a.multiset.rbegin()->first);
        break;
      case Agg::kSum:
      case Agg::kAvg: {
        if (n.distinct) {
          // One of each value: the multiset's keys.
          std::vector<Value> keys;
          for (const auto& [v, c] : a.multiset)
            keys.push_back(v);
          Result<Value> r = ex.Reduce(n.agg, false, keys, n.pos);
          if (!r.ok())
            return Status::Make(r.status().code(),
                                FormatError(text_, ex.error_pos(), r.status().message()));
          values.push_back(std::move(*r));
          break;
        }
        Result<Value> r = n.agg == Agg::kSum ? a.sum.Total() : a.sum.Average();
        if (!r.ok())
          return Status::InvalidArgument(FormatError(
              text_, n.pos,
              std::string(n.agg == Agg::kSum ? "sum" : "avg") + ": " + r.status().message()));
        values.push_back(std::move(*r));
        break;
      }
    }
  }
  Result<Tree> r = ex.AggregateFrom(*top_, values, key);
  if (!r.ok())
    return Status::Make(r.status().code(),
                        FormatError(text_, ex.error_pos(), r.status().message()));
  return r;
}

std::vector<const std::vector<Value>*>::iterator QueryImpl::GroupPosition(
    const std::vector<Value>& key) {
  return std::lower_bound(group_order_.begin(), group_order_.end(), key,
                          [](const std::vector<Value>* a, const std::vector<Value>& b) {
                            return GroupKeyLess()(*a, b);
                          });
}

Tree QueryImpl::AggregateResult() const {
  if (!grouped_)
    return groups_.begin()->second.row;
  Tree a = Tree::Array();
  for (const auto& [key, g] : groups_)
    a.Push(g.row);
  return a;
}

bool QueryImpl::CountInRange(const SubjectChanges& sc) {
  const uint64_t id = sc.id;
  const bool member = members_.contains(id);
  bool match = false;
  if (!sc.deleted) {
    const Change* c = sc.begin;
    while (c != sc.end && c->field != cover_field_)
      ++c;
    if (c == sc.end && !sc.created)
      return true;  // the value that decides is unchanged
    if (c != sc.end && !c->new_value.is_null()) {
      if (c->new_value.type() != cover_type_)
        return false;
      match = WithinBounds(c->new_value, cover_lower_, cover_upper_);
    }
  }
  if (match == member)
    return true;
  ++stats_.evaluated;
  AddInputs(star_, match ? +1 : -1);
  if (match)
    AddMember(id);
  else
    RemoveMember(id);
  return true;
}

Status QueryImpl::ApplyAggregate(const ChangeSet& cs, Transaction& txn) {
  ChangedSubjects(cs);
  auto old_inputs = [&](uint64_t id) -> const std::vector<Value>& {
    auto it = inputs_.find(id);
    return it == inputs_.end() ? star_ : it->second;
  };
  bool store = grouped_ || !inputs_.empty() ||
               std::any_of(agg_nodes_.begin(), agg_nodes_.end(),
                           [](auto* n) { return n->agg != Agg::kCountStar; });
  std::vector<Work> work;
  for (const SubjectChanges& sc : subjects_) {
    if (count_in_range_ && CountInRange(sc))
      continue;
    const uint64_t id = sc.id;
    bool member = members_.contains(id);
    if (sc.deleted) {
      if (member) {
        ++stats_.evaluated;
        AddInputs(old_inputs(id), -1);
        RemoveMember(id);
        inputs_.erase(id);
      }
      continue;
    }
    bool where_changed = false, used_changed = false;
    Work w = StartWork(id, sc, &where_changed, &used_changed);
    if ((!member && !where_changed) || !used_changed)
      continue;
    work.push_back(std::move(w));
  }
  if (work.empty())
    return Status::OK();
  TRINE_RETURN_IF_ERROR(ReadMissing(txn, &work));
  Executor ex = MakeExecutor(txn);
  for (Work& w : work) {
    ++stats_.evaluated;
    bool match = false;
    std::vector<Value> in;
    Status s = ex.EvalAggInputs(*top_, w.id, std::move(w.cols), &match, &in);
    if (!s.ok())
      return Status::Make(s.code(), FormatError(text_, ex.error_pos(), s.message()));
    if (members_.contains(w.id)) {
      // Still a member with the same inputs (a change to what the query
      // does not aggregate, or a WHERE that still holds): its group's
      // accumulators stay as they are, and nothing is re-made.
      if (match && Identical(old_inputs(w.id), in))
        continue;
      AddInputs(old_inputs(w.id), -1);
      RemoveMember(w.id);
      inputs_.erase(w.id);
    }
    if (match) {
      AddInputs(in, +1);
      AddMember(w.id);
      if (store)
        inputs_.emplace(w.id, std::move(in));
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------- apply --

namespace {

// `now` still has every field of `bound` as it was bound (new fields are
// allowed only if dynamic: lax writes add those without a schema change).
bool SameForReads(const TypeInfo& bound, const TypeInfo& now) {
  if (bound.id != now.id || bound.name != now.name || bound.strict != now.strict ||
      bound.view_query != now.view_query)
    return false;
  for (const FieldInfo& f : now.fields) {
    const FieldInfo* b = bound.FindNumber(f.number);
    if (b == nullptr) {
      if (f.state != FieldInfo::State::kDynamic)
        return false;
      continue;
    }
    if (b->name != f.name || b->type != f.type || b->precision != f.precision ||
        b->scale != f.scale || b->ref_type != f.ref_type || b->indexed != f.indexed ||
        b->unique != f.unique || b->required != f.required || b->state != f.state)
      return false;
  }
  for (const FieldInfo& f : bound.fields)
    if (now.FindNumber(f.number) == nullptr)
      return false;
  return true;
}

}  // namespace

bool StillBinds(const Plan& plan, Database& db) {
  auto same = [&](const TypeInfo& bound) {
    std::optional<TypeInfo> now = db.FindType(bound.name);
    return now && SameForReads(bound, *now);
  };
  std::function<bool(const Level&)> walk = [&](const Level& l) {
    if (!l.type.empty() && !same(l.type_info))
      return false;
    for (const auto& n : l.nested)
      if (!walk(*n))
        return false;
    return true;
  };
  if (plan.query && !walk(*plan.query))
    return false;
  for (const auto& t : plan.types)
    if (!same(*t))
      return false;
  return true;
}

Status QueryImpl::Apply(const ChangeSet& cs, Transaction& txn, LiveDiff* out, bool* changed) {
  *changed = false;
  if (uint64_t version = db_.schema_version(); plan_.schema_version != version) {
    // A schema change elsewhere leaves the plan valid; one to a type the
    // query reads ends it (its bound attributes may have moved or changed).
    if (!StillBinds(plan_, db_))
      return Status::Aborted("the schema of a type the query reads changed; subscribe it again");
    plan_.schema_version = version;
  }
  switch (mode_) {
    case Mode::kWindow: {
      recording_ = true;
      inserted_.clear();
      erased_.clear();
      bool all = false;
      Status s = simple_ ? ApplyWindowSimple(cs, txn) : ApplyWindowGeneral(cs, txn, &all);
      if (s.ok() && !complete_ && window_.size() > cap_) {
        while (window_.size() > cap_)
          Erase(window_.back().id);
      }
      if (s.ok() && !complete_ && window_.size() < need_) {
        ++stats_.refills;
        s = Refill(txn);
      }
      recording_ = false;
      if (s.ok() && (!inserted_.empty() || !erased_.empty()))
        WindowDiff(out);
      for (uint64_t id : inserted_)
        if (auto it = entries_.find(id); it != entries_.end())
          it->second.inserted = false;
      erased_.clear();
      inserted_.clear();
      TRINE_RETURN_IF_ERROR(s);
      *changed = !out->changes.empty();
      return Status::OK();
    }
    case Mode::kAggregate: {
      touched_groups_.clear();
      TRINE_RETURN_IF_ERROR(ApplyAggregate(cs, txn));
      if (touched_groups_.empty())
        return Status::OK();
      Executor ex = MakeExecutor(txn);
      for (const auto& [key, before] : touched_groups_) {
        auto g = groups_.find(key);
        if (g == groups_.end())
          continue;  // emptied: its row goes
        TRINE_ASSIGN_OR_RETURN(g->second.row, GroupRow(ex, key, g->second));
      }
      if (!grouped_) {
        touched_groups_.clear();
        Tree v = AggregateResult();
        if (v == value_)
          return Status::OK();
        *changed = true;
        value_ = std::move(v);
        out->value_changed = true;
        out->value = value_;
        return Status::OK();
      }
      // Group rows are addressed by their key's id and stay in key order: a
      // group whose aggregates moved is one `changed`. Positions come from
      // group_order_; a group's old position is its current one less the
      // groups created before it, plus those emptied before it.
      int64_t created = 0, emptied = 0;
      stats_.diff_rows += touched_groups_.size();
      for (auto& [key, before] : touched_groups_) {
        auto g = groups_.find(key);
        bool now = g != groups_.end();
        auto rank = static_cast<int64_t>(GroupPosition(key) - group_order_.begin());
        int64_t old_rank = rank - created + emptied;
        if (before.existed && !now) {
          AddChange({}, LiveChange::Kind::kRemoved, before.row.subject(), old_rank, -1, nullptr,
                    &out->changes);
          ++emptied;
        } else if (!before.existed && now) {
          AddChange({}, LiveChange::Kind::kAdded, g->second.row.subject(), -1, rank, &g->second.row,
                    &out->changes);
          ++created;
        } else if (now) {
          DiffRow({}, before.row, g->second.row, old_rank, rank, &out->changes);
        }
      }
      touched_groups_.clear();
      *changed = !out->changes.empty();
      return Status::OK();
    }
    case Mode::kRerun: {
      ++stats_.reruns;
      Executor ex = MakeExecutor(txn);
      Tree v;
      Status s = ex.Query(*top_, plan_.scalar, &v);
      if (!s.ok())
        return Status::Make(s.code(), FormatError(text_, ex.error_pos(), s.message()));
      if (v == value_)
        return Status::OK();
      *changed = true;
      stats_.diff_rows += DiffResults(value_, v, out);
      value_ = std::move(v);
      return Status::OK();
    }
  }
  return Status::OK();
}

std::string QueryImpl::Explain() const {
  std::ostringstream o;
  o << "live ";
  switch (mode_) {
    case Mode::kWindow:
      o << "window: ";
      if (top_->order.empty())
        o << "every matching row, in subject-id order";
      else if (need_ == kNoLimit)
        o << "every matching row, sorted by ORDER BY";
      else
        o << "rows " << off_ << ".." << need_ << " in ORDER BY order plus up to " << (cap_ - need_)
          << " past the window; refilled from the access path below when fewer "
          << "than " << need_ << " remain";
      o << "\n";
      if (simple_)
        o << "  re-evaluates a changed subject from the change set and the rows it holds (no "
             "executor run)\n";
      else
        o << "  maps changes to the top-level subjects they affect (reference paths, "
             "sub-queries by their reference field) and re-runs the query for those subjects "
             "only\n";
      if (keep_members_)
        o << "  keeps the set of matching subjects (roaring bitmap)\n";
      break;
    case Mode::kAggregate:
      o << "aggregate: set of matching subjects (roaring bitmap); ";
      if (grouped_)
        o << "accumulators per GROUP BY key (a group's row is re-made when a member "
             "joins, leaves or changes; it goes with its last member); ";
      for (size_t i = 0; i < agg_nodes_.size(); ++i) {
        const BExpr& n = *agg_nodes_[i];
        static const char* names[] = {"count", "count(*)", "sum", "avg", "min", "max", "exists"};
        o << (i ? ", " : "") << names[static_cast<int>(n.agg)] << (n.distinct ? " distinct" : "");
        if (n.agg == Agg::kMin || n.agg == Agg::kMax || n.distinct)
          o << " (multiset)";
        else if (n.agg == Agg::kSum || n.agg == Agg::kAvg)
          o << " (running exact sum)";
        else
          o << " (+-1)";
      }
      o << "\n";
      if (count_in_range_)
        o << "  a subject counts when its changed value lies in the WHERE's index range (no "
             "row evaluation)\n";
      break;
    case Mode::kRerun:
      o << "re-run (fallback): " << why_rerun_ << "\n";
      break;
  }
  o << "watched ranges:\n";
  for (const Watch& w : watches_) {
    o << "  " << w.label;
    if (w.range) {
      o << " [" << (w.range->lo ? w.range->lo->ToString() : "-inf") << ", "
        << (w.range->hi ? w.range->hi->ToString() : "+inf") << "]";
    }
    o << "\n";
  }
  o << "hydration plan:\n" << treeql::Explain(plan_);
  return o.str();
}

}  // namespace treeql::live

namespace {

std::shared_ptr<treeql::live::Registry> RegistryOf(Database& db) {
  std::shared_ptr<void> ext = db.Extension(treeql::live::kExtensionKey, [&db] {
    return std::static_pointer_cast<void>(std::make_shared<treeql::live::Registry>(db));
  });
  return std::static_pointer_cast<treeql::live::Registry>(ext);
}

void PathJson(const std::vector<LivePathStep>& path, std::string* out) {
  *out += "[";
  for (size_t i = 0; i < path.size(); ++i) {
    *out += (i ? ",[" : "[") + std::to_string(path[i].row) + ",";
    *out += ToJson(Tree(Value::String(path[i].key)));
    *out += "]";
  }
  *out += "]";
}

}  // namespace

std::string LiveDiff::ToJson() const {
  std::string out = "{\"seq\":" + std::to_string(sequence);
  if (!error.empty())
    out += ",\"error\":" + trine::ToJson(Tree(Value::String(error)));
  if (value_changed)
    out += ",\"value\":" + trine::ToJson(value);
  if (!changes.empty()) {
    out += ",\"changes\":[";
    for (size_t i = 0; i < changes.size(); ++i) {
      const LiveChange& c = changes[i];
      static const char* ops[] = {"add", "remove", "change", "move"};
      out += i ? ",{" : "{";
      out += "\"op\":\"" + std::string(ops[static_cast<int>(c.kind)]) + "\"";
      if (!c.path.empty()) {
        out += ",\"path\":";
        PathJson(c.path, &out);
      }
      out += ",\"id\":" + std::to_string(c.id);
      if (c.old_pos >= 0)
        out += ",\"from\":" + std::to_string(c.old_pos);
      if (c.new_pos >= 0)
        out += ",\"to\":" + std::to_string(c.new_pos);
      if (c.kind != LiveChange::Kind::kRemoved)
        out += ",\"row\":" + trine::ToJson(c.row);
      out += "}";
    }
    out += "]";
  }
  return out + "}";
}

namespace treeql::live {

Result<std::shared_ptr<QueryImpl>> CompileLive(Database& db, const std::string& text) {
  auto q = std::make_shared<QueryImpl>(db, text);
  TRINE_RETURN_IF_ERROR(q->Compile(QueryParams{}));
  return q;
}

const Plan& LivePlan(const QueryImpl& q) {
  return q.plan_;
}

std::vector<std::pair<uint64_t, uint64_t>> LiveWatches(const QueryImpl& q) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const QueryImpl::Watch& w : q.watches())
    out.emplace_back(w.type, w.field);
  return out;
}

Status HydrateLive(QueryImpl& q, Transaction& txn) {
  std::lock_guard l(q.mu_);
  return q.Hydrate(txn);
}

Status ApplyLive(QueryImpl& q, const ChangeSet& cs, Transaction& txn, LiveDiff* diff,
                 bool* changed) {
  std::lock_guard l(q.mu_);
  return q.Apply(cs, txn, diff, changed);
}

}  // namespace treeql::live

Result<std::unique_ptr<LiveQuery>> Subscribe(Database& db, std::string_view query,
                                             const QueryParams& params, LiveCallback callback) {
  std::shared_ptr<treeql::live::Registry> registry = RegistryOf(db);
  auto sub = std::make_shared<treeql::live::Subscription>();
  for (int attempt = 0;; ++attempt) {
    auto q = std::make_shared<treeql::live::QueryImpl>(db, std::string(query));
    TRINE_RETURN_IF_ERROR(q->Compile(params));
    q->callback_ = callback;
    Status s = registry->Register(q, sub.get());
    // Compiled against a schema that changed before it was registered:
    // compile it again (a few times at most: schema changes are rare).
    if (s.IsAborted() && s.message() == treeql::live::kSchemaMoved && attempt < 3)
      continue;
    TRINE_RETURN_IF_ERROR(s);
    break;
  }
  return std::unique_ptr<LiveQuery>(new treeql::live::Handle(registry, sub));
}

Result<std::string> ExplainLive(Database& db, std::string_view query, const QueryParams& params) {
  treeql::live::QueryImpl q(db, std::string(query));
  TRINE_RETURN_IF_ERROR(q.Compile(params));
  return q.Explain();
}

LiveRegistryStats GetLiveRegistryStats(Database& db) {
  return RegistryOf(db)->stats();
}

}  // namespace trine
