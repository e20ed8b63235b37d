// Live queries (include/trine/live.h): a registry of watched ranges per
// database, and one incremental operator per query.
//
// The registry is a CommitListener. Each live query registers the
// (type, attribute) pairs its plan reads, with a value range where the
// query's WHERE is exactly an index range on that attribute. A commit's
// change set is matched against that index (one hash probe per changed
// triple), so a commit wakes only the queries it touches; the others cost
// nothing.
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
//              FROM T [WHERE]: the set of matching subjects (a roaring
//              bitmap) and each one's inputs; counts and sums move by the
//              before/after image of the changed subject, min / max / DISTINCT
//              keep a multiset, so deletes of the extreme need no rescan.
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
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <roaring/roaring64map.hh>

#include "treeql/binder.h"
#include "treeql/executor.h"
#include "treeql/explain.h"
#include "treeql/live/diff.h"
#include "treeql/ops.h"
#include "treeql/parser.h"

namespace trine {
namespace treeql::live {
namespace {

constexpr uint64_t kNoLimit = UINT64_MAX;
// Exact running sums of int64 values (GCC and Clang).
__extension__ typedef __int128 Int128;
constexpr const char* kExtensionKey = "trine.live";

struct SortLess {
  bool operator()(const Value& a, const Value& b) const { return SortCompare(a, b) < 0; }
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
    if (lo && (!comparable(*lo) || SortCompare(v, *lo) < 0))
      return !comparable(*lo);
    if (hi && (!comparable(*hi) || SortCompare(v, *hi) > 0))
      return !comparable(*hi);
    return true;
  }
};

class Registry;

}  // namespace

// ---------------------------------------------------------------- query --

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

  Database& db_;
  std::string text_;
  Plan plan_;
  std::vector<Value> params_;
  size_t named_base_ = 0;
  const Level* top_ = nullptr;
  Mode mode_ = Mode::kRerun;
  std::string why_rerun_;
  bool simple_ = false;  // top-level rows read only their own attributes
  uint64_t type_id_ = 0;
  std::vector<uint64_t> col_field_;  // per column of the top level
  std::vector<uint8_t> col_use_;     // kUseWhere | kUseKey | kUseOut
  std::unordered_map<uint64_t, std::vector<size_t>> field_cols_;
  uint64_t off_ = 0, lim_ = kNoLimit, need_ = kNoLimit, cap_ = kNoLimit;
  bool covered_ = false;       // WHERE is exactly a value range of one attribute
  bool keep_members_ = false;  // maintain the bitmap of matching subjects
  std::vector<Watch> watches_;
  std::vector<const BExpr*> agg_nodes_;

  static constexpr uint8_t kUseWhere = 1, kUseKey = 2, kUseOut = 4;

  uint64_t sequence_seen_ = 0;     // the hydration snapshot: older commits are in it
  uint64_t woken_generation_ = 0;  // the registry's commit count when last woken

  // ---- state (guarded by mu_) ----
  mutable std::mutex mu_;
  struct Entry {
    std::vector<Value> key;
    Tree row;
    std::vector<Value> cols;  // simple queries: the row's column values
  };
  struct Slot {
    const std::vector<Value>* key;
    uint64_t id;
  };
  std::vector<Slot> window_;  // sorted: every held row
  // During one commit: the rows erased (their old content), and whether
  // anything was inserted, so that a commit that changed nothing held costs
  // no diff.
  bool recording_ = false;
  bool inserted_ = false;
  std::unordered_map<uint64_t, Tree> erased_;
  std::unordered_map<uint64_t, Entry> entries_;
  bool complete_ = false;
  Roaring64Map members_;
  // Aggregates.
  struct Acc {
    int64_t count = 0;  // non-null inputs
    Int128 int_sum = 0;
    int64_t int_count = 0;
    Value other_sum;  // floats and decimals
    int64_t other_count = 0;
    std::map<Value, int64_t, SortLess> multiset;
    std::string error;
  };
  std::vector<Acc> accs_;
  std::unordered_map<uint64_t, std::vector<Value>> inputs_;
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
  // The changes of one subject of the top-level type in a change set.
  struct SubjectChanges {
    bool created = false, deleted = false;
    std::vector<const Change*> fields;
  };
  // A subject to re-evaluate: its column values as far as known.
  struct Work {
    uint64_t id;
    std::vector<Value> cols;
    std::vector<uint8_t> known;
    bool skip_where;
  };
  // Subjects of the top type with a change to a column or to their presence.
  std::map<uint64_t, SubjectChanges> ChangedSubjects(const ChangeSet& cs) const;
  Work StartWork(uint64_t id, const SubjectChanges& sc, bool* where_changed,
                 bool* used_changed) const;
  // Batched reads (one per column) of the values still unknown.
  Status ReadMissing(Transaction& txn, std::vector<Work>* work) const;
  Status ApplyWindowSimple(const ChangeSet& cs, Transaction& txn);
  Status ApplyWindowGeneral(const ChangeSet& cs, Transaction& txn, bool* all);
  Status ApplyAggregate(const ChangeSet& cs, Transaction& txn);
  Status Affected(const Level& level, const ChangeSet& cs, Transaction& txn,
                  std::set<uint64_t>* out, bool* all);
  void AddInputs(const std::vector<Value>& in, int sign);
  Result<Tree> AggregateValue(Transaction& txn);
  Executor MakeExecutor(Transaction& txn) { return Executor(txn, params_, named_base_); }
};

namespace {

// ------------------------------------------------------------- registry --

class Registry final : public CommitListener {
 public:
  explicit Registry(Database& db) : db_(db) { db_.AddCommitListener(this); }
  ~Registry() override { db_.RemoveCommitListener(this); }

  // Hydrates and registers `q` with no commit in between.
  Status Register(const std::shared_ptr<QueryImpl>& q) {
    std::lock_guard l(mu_);
    TransactionOptions to;
    to.read_only = true;
    std::unique_ptr<Transaction> txn = db_.Begin(to);
    TRINE_RETURN_IF_ERROR(q->Hydrate(*txn));
    q->sequence_seen_ = txn->snapshot_sequence();
    queries_.emplace(q.get(), q);
    for (size_t i = 0; i < q->watches().size(); ++i)
      index_[q->watches()[i].type][q->watches()[i].field].push_back({q.get(), i});
    return Status::OK();
  }

  void Unregister(QueryImpl* q) {
    {
      std::lock_guard l(mu_);
      Detach(q);
      if (auto it = queries_.find(q); it != queries_.end()) {
        it->second->dead_ = true;
        queries_.erase(it);
      }
    }
    // Wait out a delivery in progress (unless it is this thread's).
    std::lock_guard d(deliver_mu_);
  }

  void OnCommit(const ChangeSet& cs) override {
    std::lock_guard l(mu_);
    if (queries_.empty())
      return;
    ++generation_;
    std::vector<QueryImpl*> woken;
    for (const Change& c : cs.changes) {
      auto t = index_.find(c.type);
      if (t == index_.end())
        continue;
      auto f = t->second.find(c.field);
      if (f == t->second.end())
        continue;
      for (const WatchRef& w : f->second) {
        if (w.query->woken_generation_ == generation_)
          continue;
        const QueryImpl::Watch& watch = w.query->watches()[w.index];
        if (watch.range && !watch.range->Contains(c.old_value) &&
            !watch.range->Contains(c.new_value))
          continue;
        if (watch.members_only && w.query->keep_members_ && !w.query->members_.contains(c.subject))
          continue;
        w.query->woken_generation_ = generation_;
        woken.push_back(w.query);
      }
    }
    if (woken.empty())
      return;
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
      diff.sequence = cs.sequence;
      auto found = queries_.find(q);
      if (found == queries_.end())
        continue;
      std::shared_ptr<QueryImpl> sp = found->second;
      if (sp->callback_) {
        pending_.emplace_back(std::move(sp), std::move(diff));
      } else {
        std::lock_guard ql(q->mu_);
        q->polled_.push_back(std::move(diff));
      }
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

 private:
  struct WatchRef {
    QueryImpl* query;
    size_t index;
  };

  // Drops q's watches: a query that failed stops being maintained (its
  // error diff is its last), an unregistered one goes.
  void Detach(QueryImpl* q) {
    for (auto& [type, fields] : index_)
      for (auto& [field, list] : fields)
        list.erase(std::remove_if(list.begin(), list.end(),
                                  [&](const WatchRef& w) { return w.query == q; }),
                   list.end());
  }

  Database& db_;
  std::mutex mu_;  // queries_, index_, pending_
  std::unordered_map<QueryImpl*, std::shared_ptr<QueryImpl>> queries_;
  std::unordered_map<uint64_t, std::unordered_map<uint64_t, std::vector<WatchRef>>> index_;
  uint64_t generation_ = 0;
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
  Handle(std::shared_ptr<Registry> r, std::shared_ptr<QueryImpl> q)
      : registry_(std::move(r)), q_(std::move(q)) {}
  ~Handle() override { registry_->Unregister(q_.get()); }
  Tree Result() const override { return q_->Snapshot(); }
  bool ready() const override { return true; }
  std::optional<LiveDiff> Poll() override {
    std::lock_guard l(q_->mu_);
    if (q_->polled_.empty())
      return std::nullopt;
    LiveDiff d = std::move(q_->polled_.front());
    q_->polled_.pop_front();
    return d;
  }
  LiveStats stats() const override {
    std::lock_guard l(q_->mu_);
    return q_->stats_;
  }
  std::string Explain() const override { return q_->Explain(); }
  QueryImpl& impl() { return *q_; }

 private:
  std::shared_ptr<Registry> registry_;
  std::shared_ptr<QueryImpl> q_;
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
  if (mode_ == Mode::kAggregate && (L.limit || L.offset || !simple_)) {
    mode_ = Mode::kRerun;
    why_rerun_ = L.limit || L.offset ? "aggregate with LIMIT / OFFSET: re-run when woken"
                                     : "aggregate over sub-queries or paths: re-run when woken";
  }
  if (mode_ == Mode::kAggregate) {
    for (const BExpr& v : L.out.values)
      Executor::AggNodes(v, &agg_nodes_);
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
        if (!r.lo || SortCompare(*v, *r.lo) > 0)
          r.lo = *v;
      if (op == Op::kEq || op == Op::kLt || op == Op::kLe)
        if (!r.hi || SortCompare(*v, *r.hi) < 0)
          r.hi = *v;
    }
    if (covered_)
      range = r;
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

bool QueryImpl::Less(const std::vector<Value>& ka, uint64_t a, const std::vector<Value>& kb,
                     uint64_t b) const {
  const auto& order = top_->order;
  for (size_t k = 0; k < order.size(); ++k) {
    const Value& x = ka[k];
    const Value& y = kb[k];
    if (x.is_null() || y.is_null()) {
      if (x.is_null() && y.is_null())
        continue;
      return x.is_null() == order[k].nulls_first;
    }
    int c = SortCompare(x, y);
    if (c != 0)
      return order[k].descending ? c > 0 : c < 0;
  }
  bool last_desc = !order.empty() && order.back().descending;
  return last_desc ? a > b : a < b;
}

size_t QueryImpl::LowerBound(const std::vector<Value>& key, uint64_t id) const {
  auto it = std::lower_bound(window_.begin(), window_.end(), 0,
                             [&](const Slot& s, int) { return Less(*s.key, s.id, key, id); });
  return static_cast<size_t>(it - window_.begin());
}

void QueryImpl::Insert(uint64_t id, Entry e) {
  inserted_ = true;
  auto [it, fresh] = entries_.insert_or_assign(id, std::move(e));
  (void)fresh;
  size_t pos = LowerBound(it->second.key, id);
  window_.insert(window_.begin() + static_cast<ptrdiff_t>(pos), Slot{&it->second.key, id});
}

void QueryImpl::Erase(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return;
  if (recording_)
    erased_.try_emplace(id, it->second.row);
  size_t pos = LowerBound(it->second.key, id);
  if (pos < window_.size() && window_[pos].id == id)
    window_.erase(window_.begin() + static_cast<ptrdiff_t>(pos));
  entries_.erase(it);
}

std::vector<const Tree*> QueryImpl::Visible() const {
  std::vector<const Tree*> out;
  for (size_t i = off_; i < window_.size() && out.size() < lim_; ++i)
    out.push_back(&entries_.at(window_[i].id).row);
  return out;
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
      erased_.try_emplace(id, std::move(e.row));
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
            members_.add(r.id);
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
      accs_.assign(agg_nodes_.size(), Acc());
      members_.clear();
      inputs_.clear();
      bool store = false;
      for (const BExpr* n : agg_nodes_)
        store = store || n->agg != Agg::kCountStar;
      for (size_t i = 0; i < ids.size(); ++i) {
        members_.add(ids[i]);
        AddInputs(inputs[i], +1);
        if (store)
          inputs_.emplace(ids[i], std::move(inputs[i]));
      }
      Result<Tree> v = AggregateValue(txn);
      if (!v.ok()) {
        s = v.status();
        break;
      }
      value_ = std::move(*v);
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
  if (mode_ != Mode::kWindow)
    return value_;
  Tree a = Tree::Array();
  for (const Tree* t : Visible())
    a.Push(*t);
  return a;
}

std::map<uint64_t, QueryImpl::SubjectChanges> QueryImpl::ChangedSubjects(
    const ChangeSet& cs) const {
  std::map<uint64_t, SubjectChanges> subjects;
  for (const Change& c : cs.changes) {
    if (c.type != type_id_)
      continue;
    if (c.field == 0) {
      SubjectChanges& sc = subjects[c.subject];
      sc.created = c.old_value.is_null();
      sc.deleted = c.new_value.is_null();
    } else if (field_cols_.contains(c.field)) {
      subjects[c.subject].fields.push_back(&c);
    }
  }
  return subjects;
}

QueryImpl::Work QueryImpl::StartWork(uint64_t id, const SubjectChanges& sc, bool* where_changed,
                                     bool* used_changed) const {
  size_t ncols = col_field_.size();
  Work w{id, std::vector<Value>(ncols), std::vector<uint8_t>(ncols, 0), false};
  *where_changed = *used_changed = sc.created;
  for (const Change* c : sc.fields)
    for (size_t col : field_cols_.at(c->field)) {
      w.cols[col] = c->new_value;
      w.known[col] = 1;
      *where_changed = *where_changed || (col_use_[col] & kUseWhere);
      *used_changed = *used_changed || col_use_[col] != 0;
    }
  // A subject created by the commit has no attributes but those it set.
  if (sc.created)
    std::fill(w.known.begin(), w.known.end(), 1);
  return w;
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
  std::map<uint64_t, SubjectChanges> subjects = ChangedSubjects(cs);
  size_t ncols = col_field_.size();
  std::vector<Work> work;
  Executor ex = MakeExecutor(txn);
  for (auto& [id, sc] : subjects) {
    ++stats_.evaluated;
    auto held = entries_.find(id);
    if (sc.deleted) {
      if (held != entries_.end())
        Erase(id);
      if (keep_members_)
        members_.remove(id);
      continue;
    }
    bool where_changed = false, used_changed = false;
    Work w = StartWork(id, sc, &where_changed, &used_changed);
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
        std::vector<Value> key;
        TRINE_RETURN_IF_ERROR(ex.EvalKey(*top_, id, w.cols, &key));
        if (Less(*bound, window_.back().id, key, id))
          continue;
      }
    }
    work.push_back(std::move(w));
  }
  TRINE_RETURN_IF_ERROR(ReadMissing(txn, &work));
  for (Work& w : work) {
    Executor::RowEval r;
    r.assume_match = w.skip_where;
    Status s = ex.EvalRow(*top_, w.id, w.cols, &r);
    if (!s.ok())
      return Status::Make(s.code(), FormatError(text_, ex.error_pos(), s.message()));
    if (keep_members_) {
      if (r.match)
        members_.add(w.id);
      else
        members_.remove(w.id);
    }
    Erase(w.id);
    if (!r.match)
      continue;
    const std::vector<Value>* b = complete_ || window_.empty() ? nullptr : window_.back().key;
    bool inside = complete_ || (b != nullptr && !Less(*b, window_.back().id, r.key, w.id));
    if (inside) {
      Entry e;
      e.key = std::move(r.key);
      e.row = std::move(r.row);
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
  for (size_t i = 0; i < agg_nodes_.size() && i < in.size(); ++i) {
    const Value& v = in[i];
    Acc& a = accs_[i];
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
    if (kind == Agg::kSum || kind == Agg::kAvg) {
      if (v.type() == ValueType::kInt) {
        a.int_sum += sign * static_cast<Int128>(v.as_int());
        a.int_count += sign;
      } else if (a.other_count == 0) {
        // The first float or decimal (a remove here cannot happen: inputs
        // come off only after they went on).
        a.other_sum = v;
        a.other_count = 1;
      } else {
        Result<Value> s = Arith(sign > 0 ? Op::kAdd : Op::kSub, a.other_sum, v);
        if (s.ok())
          a.other_sum = std::move(*s);
        else
          a.error = s.status().message();
        a.other_count += sign;
      }
    }
  }
}

Result<Tree> QueryImpl::AggregateValue(Transaction& txn) {
  Executor ex = MakeExecutor(txn);
  std::vector<Value> values;
  for (size_t i = 0; i < agg_nodes_.size(); ++i) {
    const BExpr& n = *agg_nodes_[i];
    Acc& a = accs_[i];
    switch (n.agg) {
      case Agg::kCountStar:
        values.push_back(Value::Int(static_cast<int64_t>(members_.cardinality())));
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
        if (!a.error.empty())
          return Status::InvalidArgument(FormatError(text_, n.pos, a.error));
        if (a.count == 0) {
          values.emplace_back();
          break;
        }
        if (a.int_sum > INT64_MAX || a.int_sum < INT64_MIN)
          return Status::InvalidArgument(
              FormatError(text_, n.pos,
                          std::string(n.agg == Agg::kSum ? "sum" : "avg") + ": integer overflow"));
        Value total = Value::Int(static_cast<int64_t>(a.int_sum));
        if (a.other_count > 0) {
          total = a.other_sum;
          if (a.int_count > 0) {
            Result<Value> t = Arith(Op::kAdd, total, Value::Int(static_cast<int64_t>(a.int_sum)));
            if (!t.ok())
              return Status::InvalidArgument(FormatError(text_, n.pos, t.status().message()));
            total = std::move(*t);
          }
        }
        if (!IsNumeric(total.type()))
          return Status::InvalidArgument(FormatError(text_, n.pos, "sum and avg need numbers"));
        if (n.agg == Agg::kSum) {
          values.push_back(std::move(total));
          break;
        }
        double t = total.type() == ValueType::kInt     ? static_cast<double>(total.as_int())
                   : total.type() == ValueType::kFloat ? total.as_float()
                                                       : std::stod(total.as_decimal().ToString());
        values.push_back(Value::Float(t / static_cast<double>(a.count)));
        break;
      }
    }
  }
  Result<Tree> r = ex.AggregateFrom(*top_, values);
  if (!r.ok())
    return Status::Make(r.status().code(),
                        FormatError(text_, ex.error_pos(), r.status().message()));
  return r;
}

Status QueryImpl::ApplyAggregate(const ChangeSet& cs, Transaction& txn) {
  std::map<uint64_t, SubjectChanges> subjects = ChangedSubjects(cs);
  std::vector<Value> star(agg_nodes_.size(), Value::Bool(true));
  auto old_inputs = [&](uint64_t id) -> const std::vector<Value>& {
    auto it = inputs_.find(id);
    return it == inputs_.end() ? star : it->second;
  };
  bool store = !inputs_.empty() || std::any_of(agg_nodes_.begin(), agg_nodes_.end(),
                                               [](auto* n) { return n->agg != Agg::kCountStar; });
  std::vector<Work> work;
  for (auto& [id, sc] : subjects) {
    bool member = members_.contains(id);
    if (sc.deleted) {
      if (member) {
        ++stats_.evaluated;
        AddInputs(old_inputs(id), -1);
        members_.remove(id);
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
      AddInputs(old_inputs(w.id), -1);
      members_.remove(w.id);
      inputs_.erase(w.id);
    }
    if (match) {
      AddInputs(in, +1);
      members_.add(w.id);
      if (store)
        inputs_.emplace(w.id, std::move(in));
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------- apply --

Status QueryImpl::Apply(const ChangeSet& cs, Transaction& txn, LiveDiff* out, bool* changed) {
  *changed = false;
  if (plan_.schema_version != db_.schema_version())
    return Status::Aborted("the schema changed; subscribe the query again");
  switch (mode_) {
    case Mode::kWindow: {
      // The visible ids before; rows erased during the update keep their
      // old content in erased_.
      std::vector<uint64_t> before_ids;
      for (size_t i = off_; i < window_.size() && before_ids.size() < lim_; ++i)
        before_ids.push_back(window_[i].id);
      recording_ = true;
      inserted_ = false;
      erased_.clear();
      bool all = false;
      Status s = simple_ ? ApplyWindowSimple(cs, txn) : ApplyWindowGeneral(cs, txn, &all);
      if (s.ok() && !complete_ && window_.size() > cap_) {
        while (window_.size() > cap_)
          Erase(window_.back().id);
      }
      if (s.ok() && !complete_ && window_.size() < need_) {
        ++stats_.refills;
        all = true;
        s = Refill(txn);
      }
      recording_ = false;
      TRINE_RETURN_IF_ERROR(s);
      if (!all && !inserted_ && erased_.empty())
        return Status::OK();
      std::vector<const Tree*> before;
      before.reserve(before_ids.size());
      for (uint64_t id : before_ids) {
        auto e = erased_.find(id);
        before.push_back(e != erased_.end() ? &e->second : &entries_.at(id).row);
      }
      std::vector<const Tree*> after = Visible();
      DiffLists({}, before, after, &out->changes);
      erased_.clear();
      *changed = !out->changes.empty();
      return Status::OK();
    }
    case Mode::kAggregate: {
      TRINE_RETURN_IF_ERROR(ApplyAggregate(cs, txn));
      TRINE_ASSIGN_OR_RETURN(Tree v, AggregateValue(txn));
      if (!(v == value_)) {
        value_ = std::move(v);
        out->value_changed = true;
        out->value = value_;
        *changed = true;
      }
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
      if (v.is_array() && value_.is_array() && Addressable(v) && Addressable(value_)) {
        std::vector<const Tree*> a, b;
        for (const Tree& t : value_.items())
          a.push_back(&t);
        for (const Tree& t : v.items())
          b.push_back(&t);
        DiffLists({}, a, b, &out->changes);
      } else {
        out->value_changed = true;
        out->value = v;
      }
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

Result<std::unique_ptr<LiveQuery>> Subscribe(Database& db, std::string_view query,
                                             const QueryParams& params, LiveCallback callback) {
  auto q = std::make_shared<treeql::live::QueryImpl>(db, std::string(query));
  TRINE_RETURN_IF_ERROR(q->Compile(params));
  q->callback_ = std::move(callback);
  std::shared_ptr<treeql::live::Registry> registry = RegistryOf(db);
  TRINE_RETURN_IF_ERROR(registry->Register(q));
  return std::unique_ptr<LiveQuery>(new treeql::live::Handle(registry, q));
}

Result<std::string> ExplainLive(Database& db, std::string_view query, const QueryParams& params) {
  treeql::live::QueryImpl q(db, std::string(query));
  TRINE_RETURN_IF_ERROR(q.Compile(params));
  return q.Explain();
}

}  // namespace trine
