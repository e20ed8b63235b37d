// Executing a level (plan.h) for a batch of parent rows:
//
//   candidates  from the access path, per parent (or once, shared by every
//               parent, when the path does not depend on the parent row);
//               streamed in chunks when an ordered index or scan can stop
//               after OFFSET + LIMIT rows pass
//   filter      WHERE columns fetched for the chunk (one batched read per
//               column), WHERE's sub-queries run for the chunk, WHERE evaluated
//   order       unless the access path already yields ORDER BY order: sort
//               keys fetched for the survivors, each parent's rows sorted
//               (ties by subject id, in the last key's direction)
//   limit       OFFSET / LIMIT per parent
//   output      the projection's columns and sub-queries for the rows kept,
//               then one tree per row
//
// Columns are fetched by Transaction::MultiGetField with ids sorted, so a
// column costs one iterator for the whole batch, and reference paths
// (`o.buyer.name`) fetch each distinct target once.
#include "treeql/executor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>
#include <utility>

#include "common/hash.h"
#include "treeql/binder.h"
#include "treeql/ops.h"

namespace trine::treeql {
namespace {

constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();
constexpr uint32_t kNoRow = std::numeric_limits<uint32_t>::max();

struct Batch;

// The row an expression is evaluated for, and the rows of the enclosing
// levels (outer).
struct Env {
  Batch* batch = nullptr;
  uint32_t row = kNoRow;
  const Env* outer = nullptr;
};

struct Batch {
  const Level* level = nullptr;
  std::vector<uint64_t> ids;
  std::vector<uint32_t> parent;
  std::vector<std::vector<Value>> cols;   // [column][row]
  std::vector<uint8_t> seeded;            // [column]: filled for every row by the access path
  std::vector<std::vector<Tree>> nested;  // [slot][row]
  std::vector<uint8_t> pass;              // [row]: passed the filter
  std::vector<Env> envs;                  // [row]
  std::vector<uint8_t> agg_keep;  // [parent]: an aggregate query's row survives OFFSET/LIMIT
  std::vector<uint64_t> group_off, group_lim;  // [parent]: a grouped query's OFFSET / LIMIT
  std::vector<uint64_t> fast_count;  // [parent]: count(*) taken from the access path alone
  const std::vector<const Env*>* parents = nullptr;

  uint32_t AddRow(uint64_t id, uint32_t parent_index) {
    ids.push_back(id);
    parent.push_back(parent_index);
    for (auto& c : cols)
      c.emplace_back();
    for (auto& n : nested)
      n.emplace_back();
    pass.push_back(0);
    return static_cast<uint32_t>(ids.size() - 1);
  }
  void BuildEnvs() {
    size_t old = envs.size();
    envs.resize(ids.size());
    for (size_t r = old; r < ids.size(); ++r)
      envs[r] = Env{this, static_cast<uint32_t>(r), (*parents)[parent[r]]};
  }
};

// Sorted by CompareByValue, one of each value (numbers equal across types count once).
void SortUnique(std::vector<Value>* values) {
  std::sort(values->begin(), values->end(),
            [](const Value& x, const Value& y) { return CompareByValue(x, y) < 0; });
  values->erase(
      std::unique(values->begin(), values->end(),
                  [](const Value& x, const Value& y) { return CompareByValue(x, y) == 0; }),
      values->end());
}

std::optional<uint64_t> AsId(const Value& v) {
  if (v.type() == ValueType::kRef)
    return v.as_ref();
  if (v.type() == ValueType::kInt && v.as_int() >= 0)
    return static_cast<uint64_t>(v.as_int());
  return std::nullopt;
}

// What a comparison gives, from CompareValues of its operands (nullopt
// when they do not compare: NULL).
std::optional<bool> Comparison(Op op, std::optional<int> c) {
  if (!c)
    return std::nullopt;
  switch (op) {
    case Op::kEq:
      return *c == 0;
    case Op::kNe:
      return *c != 0;
    case Op::kLt:
      return *c < 0;
    case Op::kLe:
      return *c <= 0;
    case Op::kGt:
      return *c > 0;
    default:
      return *c >= 0;
  }
}

// AND / OR in three-valued logic (nullopt is NULL): FALSE AND x and TRUE
// OR x are decided by the left side alone.
std::optional<bool> AndOr(bool is_and, std::optional<bool> a, std::optional<bool> b) {
  if (a && *a != is_and)
    return a;
  if (b && *b != is_and)
    return b;
  if (!a || !b)
    return std::nullopt;
  return is_and;
}

Value CondValue(std::optional<bool> c) {
  return c ? Value::Bool(*c) : Value();
}

}  // namespace

struct Executor::Impl {
  Transaction& txn;
  std::vector<Value> params;
  size_t named_base = 0;  // index in params of the first named parameter
  uint32_t error_pos = 0;
  // kAgg values of the aggregate row being built, and its GROUP BY key.
  std::unordered_map<const BExpr*, Value> agg_values;
  std::vector<Value> group_values;
  // Live queries (Executor::Override): a level whose candidates are given,
  // or whose OFFSET / LIMIT is replaced by a row budget.
  const Level* restrict_level = nullptr;
  const std::vector<uint64_t>* restrict_ids = nullptr;
  const Level* budget_level = nullptr;
  uint64_t budget = 0;

  Impl(Transaction& t, std::vector<Value> p, size_t n)
      : txn(t), params(std::move(p)), named_base(n) {}

  Status Fail(uint32_t pos, std::string message) {
    error_pos = pos;
    return Status::InvalidArgument(message);
  }
  Status At(uint32_t pos, Status s) {
    if (!s.ok() && error_pos == 0)
      error_pos = pos;
    return s;
  }

  // ------------------------------------------------------------- values --

  Result<Value> Eval(const BExpr& e, const Env* env);
  Result<Tree> EvalTree(const BExpr& e, const Env* env);
  Result<std::optional<bool>> EvalCond(const BExpr& e, const Env* env) {
    TRINE_ASSIGN_OR_RETURN(Value v, Eval(e, env));
    if (v.is_null())
      return std::optional<bool>();
    if (v.type() != ValueType::kBool)
      return Fail(e.pos,
                  "expected a condition (bool), got " + std::string(ValueTypeName(v.type())));
    return std::optional<bool>(v.as_bool());
  }

  const Env* Up(const Env* env, int up) {
    for (int i = 0; i < up && env != nullptr; ++i)
      env = env->outer;
    return env;
  }

  // ----------------------------------------------------------- levels --

  Status Run(const Level& level, const std::vector<const Env*>& parents, Batch* b,
             std::vector<std::vector<uint32_t>>* finals);
  Status Candidates(const Level& level, Batch* b, const std::vector<uint64_t>& need,
                    const std::vector<uint64_t>& lim);
  Status PointCandidates(const Level& level, Batch* b,
                         const std::vector<std::pair<uint64_t, uint32_t>>& rows);
  Status Source(const Level& level, const Env* parent,
                const std::function<Status(uint64_t, const Value*, bool*)>& fn);
  Status FilterRows(const Level& level, Batch* b, uint32_t begin, uint32_t end);
  Status FilterRows(const Level& level, Batch* b, const std::vector<uint32_t>& rows);
  Status Fetch(const Level& level, Batch* b, Phase phase, const std::vector<uint32_t>& rows);
  Status RunNested(const Level& level, Batch* b, Phase phase, const std::vector<uint32_t>& rows);
  Status Shape(const Level& level, Batch* b, const std::vector<std::vector<uint32_t>>& finals,
               std::vector<Tree>* per_parent);
  Result<Tree> RowTree(const Level& level, Batch* b, uint32_t row);
  Result<Tree> AggregateRow(const Level& level, Batch* b, const std::vector<uint32_t>& rows,
                            size_t parent);
  // A grouped query's rows for one parent: one per distinct GROUP BY key, in
  // order, after OFFSET / LIMIT.
  Status GroupRows(const Level& level, Batch* b, const std::vector<uint32_t>& rows, size_t parent,
                   std::vector<Tree>* out);
  Status ComputeAggs(const BExpr& e, Batch* b, const std::vector<uint32_t>& rows,
                     const uint64_t* fast_count);
  bool FastCount(const Level& level);
  // Each aggregate's input for the row `env`: its argument, true for count(*).
  Status AggArgs(const std::vector<const BExpr*>& nodes, const Env* env, std::vector<Value>* out) {
    for (const BExpr* n : nodes) {
      if (n->agg == Agg::kCountStar) {
        out->push_back(Value::Bool(true));
      } else {
        TRINE_ASSIGN_OR_RETURN(Value v, Eval(n->args[0], env));
        out->push_back(std::move(v));
      }
    }
    return Status::OK();
  }
  Result<Value> Reduce(Agg agg, bool distinct, const std::vector<Value>& values, uint32_t pos);

  // ---- one row from its column values, without a batch (live queries) ----

  // The value of a constant, a parameter, an own column of the row or its
  // id (`subject`, a Ref); null if `e` is anything else (or a parameter
  // without a value: Eval reports it).
  const Value* SimpleOperand(const BExpr& e, const std::vector<Value>& cols,
                             const Value& subject) const {
    switch (e.kind) {
      case BExpr::Kind::kSubject:  // the row's own id
        return e.up == 0 && e.scope < 0 ? &subject : nullptr;
      case BExpr::Kind::kConst:
        return &e.value;
      case BExpr::Kind::kParam: {
        size_t i = e.param >= kNamedParamBase
                       ? static_cast<size_t>(e.param - kNamedParamBase) + named_base
                       : static_cast<size_t>(e.param);
        return i < params.size() ? &params[i] : nullptr;
      }
      case BExpr::Kind::kColumn:
        return e.up == 0 && e.slot >= 0 && static_cast<size_t>(e.slot) < cols.size()
                   ? &cols[static_cast<size_t>(e.slot)]
                   : nullptr;
      default:
        return nullptr;
    }
  }
  // A condition made of comparisons and IS [NOT] NULL of simple operands,
  // joined by AND / OR, evaluated as Eval would (three-valued; such a
  // condition cannot fail): *out is the result, null for unknown. False if
  // `e` has any other form (the caller evaluates it on a batch).
  bool SimpleCond(const BExpr& e, const std::vector<Value>& cols, const Value& subject,
                  std::optional<bool>* out) const {
    if (e.kind == BExpr::Kind::kIsNull) {
      const Value* a = SimpleOperand(e.args[0], cols, subject);
      if (a == nullptr)
        return false;
      *out = a->is_null() != e.negated;
      return true;
    }
    if (e.kind != BExpr::Kind::kBinary)
      return false;
    if (e.op == Op::kAnd || e.op == Op::kOr) {
      std::optional<bool> a, b;
      if (!SimpleCond(e.args[0], cols, subject, &a) || !SimpleCond(e.args[1], cols, subject, &b))
        return false;
      *out = AndOr(e.op == Op::kAnd, a, b);
      return true;
    }
    if (e.op < Op::kEq || e.op > Op::kGe)
      return false;
    const Value* a = SimpleOperand(e.args[0], cols, subject);
    const Value* b = SimpleOperand(e.args[1], cols, subject);
    if (a == nullptr || b == nullptr)
      return false;
    *out = Comparison(e.op, CompareValues(*a, *b));
    return true;
  }
};

// ------------------------------------------------------------------ Eval --

Result<Value> Executor::Impl::Eval(const BExpr& e, const Env* env) {
  using K = BExpr::Kind;
  switch (e.kind) {
    case K::kConst:
      return e.value;
    case K::kParam: {
      size_t i = e.param >= kNamedParamBase
                     ? static_cast<size_t>(e.param - kNamedParamBase) + named_base
                     : static_cast<size_t>(e.param);
      if (i >= params.size())
        return Fail(e.pos, "no value given for this parameter");
      return params[i];
    }
    case K::kColumn: {
      const Env* x = Up(env, e.up);
      return x->batch->cols[static_cast<size_t>(e.slot)][x->row];
    }
    case K::kSubject: {
      const Env* x = Up(env, e.up);
      if (e.scope < 0)
        return Value::Ref(x->batch->ids[x->row]);
      const RefScope& rs = x->batch->level->ref_scopes[static_cast<size_t>(e.scope)];
      const Value& v = x->batch->cols[static_cast<size_t>(rs.source_column)][x->row];
      std::optional<uint64_t> id = AsId(v);
      return id ? Value::Ref(*id) : Value();
    }
    case K::kUnary: {
      TRINE_ASSIGN_OR_RETURN(Value a, Eval(e.args[0], env));
      if (e.op == Op::kNot) {
        if (a.is_null())
          return Value();
        if (a.type() != ValueType::kBool)
          return Fail(e.args[0].pos, "NOT needs a bool");
        return Value::Bool(!a.as_bool());
      }
      Result<Value> r = Arith(Op::kNeg, a, Value());
      return r.ok() ? r : Fail(e.pos, r.status().message());
    }
    case K::kBinary: {
      if (e.op == Op::kAnd || e.op == Op::kOr) {
        const bool is_and = e.op == Op::kAnd;
        TRINE_ASSIGN_OR_RETURN(std::optional<bool> a, EvalCond(e.args[0], env));
        if (a && *a != is_and)
          return Value::Bool(*a);  // the right side is not evaluated
        TRINE_ASSIGN_OR_RETURN(std::optional<bool> b, EvalCond(e.args[1], env));
        return CondValue(AndOr(is_and, a, b));
      }
      TRINE_ASSIGN_OR_RETURN(Value a, Eval(e.args[0], env));
      TRINE_ASSIGN_OR_RETURN(Value b, Eval(e.args[1], env));
      if (e.op >= Op::kEq && e.op <= Op::kGe)
        return CondValue(Comparison(e.op, CompareValues(a, b)));
      Result<Value> r = Arith(e.op, a, b);
      return r.ok() ? r : Fail(e.pos, r.status().message());
    }
    case K::kIsNull: {
      TRINE_ASSIGN_OR_RETURN(Value a, Eval(e.args[0], env));
      return Value::Bool(a.is_null() != e.negated);
    }
    case K::kIn: {
      TRINE_ASSIGN_OR_RETURN(Value a, Eval(e.args[0], env));
      bool unknown = a.is_null();
      bool found = false;
      auto test = [&](const Value& x) {
        std::optional<int> c = CompareValues(a, x);
        if (!c)
          unknown = true;
        else if (*c == 0)
          found = true;
      };
      if (e.slot >= 0) {
        const Tree& t = env->batch->nested[static_cast<size_t>(e.slot)][env->row];
        if (t.items().empty())
          return Value::Bool(e.negated);  // nothing to be in, even for NULL
        for (const Tree& item : t.items())
          if (!found)
            test(item.value());
      } else {
        for (size_t i = 1; i < e.args.size() && !found; ++i) {
          TRINE_ASSIGN_OR_RETURN(Value x, Eval(e.args[i], env));
          test(x);
        }
      }
      if (found)
        return Value::Bool(!e.negated);
      if (unknown)
        return Value();
      return Value::Bool(e.negated);
    }
    case K::kLike: {
      TRINE_ASSIGN_OR_RETURN(Value a, Eval(e.args[0], env));
      TRINE_ASSIGN_OR_RETURN(Value p, Eval(e.args[1], env));
      if (a.is_null() || p.is_null())
        return Value();
      if (a.type() != ValueType::kString || p.type() != ValueType::kString)
        return Value();
      return Value::Bool(Like(a.as_string(), p.as_string()) != e.negated);
    }
    case K::kBetween: {
      TRINE_ASSIGN_OR_RETURN(Value a, Eval(e.args[0], env));
      TRINE_ASSIGN_OR_RETURN(Value lo, Eval(e.args[1], env));
      TRINE_ASSIGN_OR_RETURN(Value hi, Eval(e.args[2], env));
      std::optional<int> c1 = CompareValues(a, lo), c2 = CompareValues(a, hi);
      // a >= lo AND a <= hi, in three-valued logic: FALSE if either is
      // FALSE, else NULL if either is unknown.
      bool lo_false = c1.has_value() && c1.value() < 0;
      bool hi_false = c2.has_value() && c2.value() > 0;
      if (lo_false || hi_false)
        return Value::Bool(e.negated);
      if (!c1.has_value() || !c2.has_value())
        return Value();
      return Value::Bool(!e.negated);
    }
    case K::kCase: {
      size_t pairs = (e.args.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; ++i) {
        TRINE_ASSIGN_OR_RETURN(std::optional<bool> c, EvalCond(e.args[2 * i], env));
        if (c && *c)
          return Eval(e.args[2 * i + 1], env);
      }
      if (e.has_else)
        return Eval(e.args.back(), env);
      return Value();
    }
    case K::kSubquery:
    case K::kAggSub: {
      const Tree& t = env->batch->nested[static_cast<size_t>(e.slot)][env->row];
      if (!t.is_value())
        return Fail(e.pos, "this sub-query gives rows, not a single value");
      return t.value();
    }
    case K::kAgg: {
      auto it = agg_values.find(&e);
      if (it == agg_values.end())
        return Fail(e.pos, "aggregate used outside an aggregate query");
      return it->second;
    }
    case K::kGroupKey:
      if (static_cast<size_t>(e.slot) >= group_values.size())
        return Fail(e.pos, "GROUP BY key used outside a group");
      return group_values[static_cast<size_t>(e.slot)];
    case K::kShape:
    case K::kList:
      return Fail(e.pos, "a shape or a list is not a single value");
  }
  return Fail(e.pos, "unsupported expression");
}

Result<Tree> Executor::Impl::EvalTree(const BExpr& e, const Env* env) {
  switch (e.kind) {
    case BExpr::Kind::kShape: {
      Tree t = Tree::Object();
      for (size_t i = 0; i < e.args.size(); ++i) {
        TRINE_ASSIGN_OR_RETURN(Tree v, EvalTree(e.args[i], env));
        t.Add(e.keys[i], std::move(v));
      }
      return t;
    }
    case BExpr::Kind::kList: {
      Tree t = Tree::Array();
      for (const BExpr& a : e.args) {
        TRINE_ASSIGN_OR_RETURN(Tree v, EvalTree(a, env));
        t.Push(std::move(v));
      }
      return t;
    }
    case BExpr::Kind::kSubquery:
      // Each sub-query slot is used by exactly one expression, once per row.
      return std::move(env->batch->nested[static_cast<size_t>(e.slot)][env->row]);
    default: {
      TRINE_ASSIGN_OR_RETURN(Value v, Eval(e, env));
      return Tree(std::move(v));
    }
  }
}

// ------------------------------------------------------------ fetching --

Status Executor::Impl::Fetch(const Level& level, Batch* b, Phase phase,
                             const std::vector<uint32_t>& rows) {
  if (rows.empty())
    return Status::OK();
  for (size_t c = 0; c < level.columns.size(); ++c) {
    const Column& col = level.columns[c];
    if (col.phase != phase || b->seeded[c])
      continue;
    // (id, row) sorted by id: MultiGetField wants ascending ids.
    std::vector<std::pair<uint64_t, uint32_t>> keyed;
    keyed.reserve(rows.size());
    if (col.scope < 0) {
      for (uint32_t r : rows)
        keyed.emplace_back(b->ids[r], r);
    } else {
      const RefScope& rs = level.ref_scopes[static_cast<size_t>(col.scope)];
      for (uint32_t r : rows)
        if (std::optional<uint64_t> id = AsId(b->cols[static_cast<size_t>(rs.source_column)][r]))
          keyed.emplace_back(*id, r);
    }
    if (!std::is_sorted(keyed.begin(), keyed.end()))
      std::sort(keyed.begin(), keyed.end());
    std::vector<uint64_t> ids;
    ids.reserve(keyed.size());
    for (const auto& k : keyed)
      if (ids.empty() || ids.back() != k.first)
        ids.push_back(k.first);
    std::vector<Value> values;
    Status s = txn.MultiGetField(col.type, col.field->name, ids, &values);
    if (!s.ok())
      return At(level.pos, s);
    size_t j = 0;
    for (const auto& [id, r] : keyed) {
      while (ids[j] != id)
        ++j;
      b->cols[c][r] = values[j];
    }
  }
  return Status::OK();
}

Status Executor::Impl::RunNested(const Level& level, Batch* b, Phase phase,
                                 const std::vector<uint32_t>& rows) {
  if (rows.empty())
    return Status::OK();
  for (size_t slot = 0; slot < level.nested.size(); ++slot) {
    if (level.nested_phase[slot] != phase)
      continue;
    const Level& sub = *level.nested[slot];
    b->BuildEnvs();
    std::vector<const Env*> parents;
    if (!sub.correlated) {
      // The same result for every row: run it once.
      parents.push_back(&b->envs[rows[0]]);
    } else {
      parents.reserve(rows.size());
      for (uint32_t r : rows)
        parents.push_back(&b->envs[r]);
    }
    Batch nb;
    std::vector<std::vector<uint32_t>> finals;
    TRINE_RETURN_IF_ERROR(Run(sub, parents, &nb, &finals));
    std::vector<Tree> per_parent;
    TRINE_RETURN_IF_ERROR(Shape(sub, &nb, finals, &per_parent));
    for (size_t i = 0; i < rows.size(); ++i)
      b->nested[slot][rows[i]] = sub.correlated ? std::move(per_parent[i]) : per_parent[0];
  }
  return Status::OK();
}

// ---------------------------------------------------------- candidates --

// Calls fn(id, seed, &stop) for the subjects the access path yields for one
// parent, in access-path order; `seed` is the access field's value when the
// index gave it.
Status Executor::Impl::Source(const Level& level, const Env* parent,
                              const std::function<Status(uint64_t, const Value*, bool*)>& fn) {
  const AccessPath& a = level.access;
  // Keys and bounds are bound inside the level but read only enclosing rows:
  // an env one step inside the parent's.
  Env pe{nullptr, kNoRow, parent};
  bool stop = false;
  Status inner;
  if (a.kind == AccessPath::Kind::kTypeScan) {
    Status s = txn.Scan(level.type, [&](uint64_t id) {
      inner = fn(id, nullptr, &stop);
      return inner.ok() && !stop;
    });
    TRINE_RETURN_IF_ERROR(inner);
    return At(level.pos, s);
  }
  // kIndexRange: intersect the bounds, evaluated for this parent.
  const FieldInfo& f = *a.field;
  std::optional<IndexBound> lower, upper;
  std::optional<std::string> like_prefix;  // the range ends after the strings starting with it
  bool none = false;   // nothing can match (a NULL bound, a LIKE pattern that is not a string)
  bool empty = false;  // no value of the field's own type can match
  std::vector<std::pair<Op, Value>> raw;  // the comparisons as written
  for (const auto& [op, e] : a.bounds) {
    TRINE_ASSIGN_OR_RETURN(Value v, Eval(e, &pe));
    if (v.is_null()) {
      none = true;
      continue;
    }
    TightenByComparison(op, v, f, &lower, &upper, &empty);
    raw.emplace_back(op, std::move(v));
  }
  for (const BExpr& p : a.like_patterns) {
    TRINE_ASSIGN_OR_RETURN(Value v, Eval(p, &pe));
    if (v.type() != ValueType::kString) {
      none = true;
      continue;
    }
    std::string prefix = LikePrefix(v.as_string());
    if (prefix.empty())
      continue;
    TightenBound(&lower, Value::String(prefix), true, true, f, &none);
    like_prefix = prefix;
  }
  if (like_prefix) {
    // The prefix's own end, unless a tighter upper bound exists already.
    Value p = Value::String(*like_prefix);
    bool tighter = upper && (CompareByValue(upper->value, p) < 0 ||
                             (upper->value.type() == ValueType::kString &&
                              upper->value.as_string().starts_with(*like_prefix)));
    if (!tighter) {
      upper = IndexBound{p, true};
      upper->prefix = true;
    }
  }
  // A lax field may hold numbers of another type than its own, which WHERE
  // compares by value but the index keeps in another part (it orders by type
  // first): comparisons with numbers read each numeric type's part (see
  // NumericTypeRanges), even when none of the field's own type can match.
  const bool lax_numbers =
      !level.type_info.strict && !like_prefix &&
      (f.type == FieldType::kInt || f.type == FieldType::kFloat || f.type == FieldType::kDecimal ||
       f.type == FieldType::kAny) &&
      std::all_of(raw.begin(), raw.end(), [](const auto& b) { return IsNumeric(b.second.type()); });
  if (none || (empty && !(lax_numbers && !raw.empty())))
    return Status::OK();
  auto scan = [&](const IndexRange& range) -> Status {
    Status s = txn.IndexScan(level.type, f.name, range, [&](const Value& v, uint64_t id) {
      inner = fn(id, &v, &stop);
      return inner.ok() && !stop;
    });
    TRINE_RETURN_IF_ERROR(inner);
    return At(level.pos, s);
  };
  std::vector<IndexRange> ranges;
  if (!a.in_lists.empty() && lax_numbers) {
    // Each listed value read as given, numbers in every numeric type's part;
    // the other comparisons and the WHERE reject what does not match.
    for (const BExpr& e : a.in_lists[0]) {
      TRINE_ASSIGN_OR_RETURN(Value v, Eval(e, &pe));
      if (v.is_null())
        continue;
      IndexBound point{v, true};
      std::vector<IndexRange> rs;
      if (IsNumeric(v.type())) {
        rs = NumericTypeRanges({{Op::kEq, v}}, point, point, false);
      } else {
        rs.emplace_back();
        rs.back().lower = rs.back().upper = point;
        rs.back().as_given = true;
      }
      for (IndexRange& r : rs)
        ranges.push_back(std::move(r));
    }
    ranges = MergePointRanges(std::move(ranges), a.descending);
  } else if (!a.in_lists.empty()) {
    std::vector<Value> points;
    for (const BExpr& e : a.in_lists[0]) {
      TRINE_ASSIGN_OR_RETURN(Value v, Eval(e, &pe));
      bool exact = true;
      std::optional<Value> bv = v.is_null() ? std::nullopt : IndexBoundValue(v, f, true, &exact);
      if (bv && exact)
        points.push_back(*bv);
    }
    SortUnique(&points);
    if (a.descending)
      std::reverse(points.begin(), points.end());
    const std::optional<IndexBound> plain_upper =
        upper && !upper->prefix ? upper : std::optional<IndexBound>();
    for (const Value& p : points) {
      if (!WithinBounds(p, lower, plain_upper))
        continue;
      if (upper && upper->prefix && p.type() == ValueType::kString &&
          !p.as_string().starts_with(upper->value.as_string()) &&
          CompareByValue(p, upper->value) > 0)
        continue;
      IndexRange r;
      r.lower = IndexBound{p, true};
      r.upper = IndexBound{p, true};
      r.descending = a.descending;  // ties by id in the order's direction
      ranges.push_back(std::move(r));
    }
  } else if (lax_numbers && (lower || upper || empty)) {
    ranges = empty ? NumericTypeRanges(raw, std::nullopt, std::nullopt, a.descending)
                   : NumericTypeRanges(raw, lower, upper, a.descending);
  } else {
    IndexRange r;
    r.lower = lower;
    r.upper = upper;
    r.descending = a.descending;
    ranges.push_back(std::move(r));
  }
  for (const IndexRange& r : ranges) {
    TRINE_RETURN_IF_ERROR(scan(r));
    if (stop)
      return Status::OK();
  }
  if (stop || !a.append_nulls)
    return Status::OK();
  // NULLs sort last: the subjects without a value of the ordered field,
  // after the index (which holds no NULLs), in id order of the direction.
  std::vector<uint64_t> nulls, chunk;
  auto flush = [&]() -> Status {
    std::vector<Value> values;
    TRINE_RETURN_IF_ERROR(At(level.pos, txn.MultiGetField(level.type, f.name, chunk, &values)));
    for (size_t i = 0; i < chunk.size(); ++i)
      if (values[i].is_null())
        nulls.push_back(chunk[i]);
    chunk.clear();
    return Status::OK();
  };
  Status s = txn.Scan(level.type, [&](uint64_t id) {
    chunk.push_back(id);
    if (chunk.size() == 512)
      inner = flush();
    return inner.ok();
  });
  TRINE_RETURN_IF_ERROR(inner);
  TRINE_RETURN_IF_ERROR(At(level.pos, s));
  TRINE_RETURN_IF_ERROR(flush());
  if (a.descending)
    std::reverse(nulls.begin(), nulls.end());
  Value null;
  for (uint64_t id : nulls) {
    TRINE_RETURN_IF_ERROR(fn(id, &null, &stop));
    if (stop)
      break;
  }
  return Status::OK();
}

Status Executor::Impl::FilterRows(const Level& level, Batch* b, uint32_t begin, uint32_t end) {
  std::vector<uint32_t> rows;
  for (uint32_t r = begin; r < end; ++r)
    rows.push_back(r);
  return FilterRows(level, b, rows);
}

Status Executor::Impl::FilterRows(const Level& level, Batch* b, const std::vector<uint32_t>& rows) {
  TRINE_RETURN_IF_ERROR(Fetch(level, b, Phase::kFilter, rows));
  TRINE_RETURN_IF_ERROR(RunNested(level, b, Phase::kFilter, rows));
  b->BuildEnvs();
  for (uint32_t r : rows) {
    if (!level.where) {
      b->pass[r] = 1;
      continue;
    }
    TRINE_ASSIGN_OR_RETURN(std::optional<bool> ok, EvalCond(*level.where, &b->envs[r]));
    b->pass[r] = ok && *ok;
  }
  return Status::OK();
}

Status Executor::Impl::PointCandidates(const Level& level, Batch* b,
                                       const std::vector<std::pair<uint64_t, uint32_t>>& rows) {
  // A stored value proves its subject exists, so fetch the columns of
  // every phase first (a point query has few rows) and look up the
  // presence key only for rows where none was found.
  std::vector<uint32_t> all;
  for (const auto& [id, p] : rows)
    all.push_back(b->AddRow(id, p));
  for (Phase ph : {Phase::kFilter, Phase::kSort, Phase::kOutput})
    TRINE_RETURN_IF_ERROR(Fetch(level, b, ph, all));
  std::fill(b->seeded.begin(), b->seeded.end(), 1);
  std::vector<uint32_t> unknown, live;
  for (uint32_t r : all) {
    bool found = false;
    for (size_t c = 0; c < level.columns.size() && !found; ++c)
      found = level.columns[c].scope < 0 && !b->cols[c][r].is_null();
    (found ? live : unknown).push_back(r);
  }
  if (!unknown.empty()) {
    std::vector<uint64_t> sorted;
    for (uint32_t r : unknown)
      sorted.push_back(b->ids[r]);
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::vector<uint8_t> exists;
    TRINE_RETURN_IF_ERROR(At(level.pos, txn.MultiExists(level.type, sorted, &exists)));
    for (uint32_t r : unknown) {
      size_t i = static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), b->ids[r]) -
                                     sorted.begin());
      if (exists[i])
        live.push_back(r);
    }
    std::sort(live.begin(), live.end());
  }
  return FilterRows(level, b, live);
}

Status Executor::Impl::Candidates(const Level& level, Batch* b, const std::vector<uint64_t>& need,
                                  const std::vector<uint64_t>& lim) {
  const AccessPath& a = level.access;
  const std::vector<const Env*>& parents = *b->parents;
  size_t seed_col = a.field_column >= 0 ? static_cast<size_t>(a.field_column) : SIZE_MAX;
  if (restrict_level == &level) {
    std::vector<std::pair<uint64_t, uint32_t>> rows;
    for (uint32_t p = 0; p < parents.size(); ++p)
      for (uint64_t id : *restrict_ids)
        rows.emplace_back(id, p);
    return PointCandidates(level, b, rows);
  }
  if (seed_col != SIZE_MAX)
    b->seeded[seed_col] = 1;
  switch (a.kind) {
    case AccessPath::Kind::kNone:
      for (uint32_t p = 0; p < parents.size(); ++p)
        b->AddRow(0, p);
      return FilterRows(level, b, 0, static_cast<uint32_t>(b->ids.size()));
    case AccessPath::Kind::kPoint: {
      std::vector<std::pair<uint64_t, uint32_t>> rows;
      for (uint32_t p = 0; p < parents.size(); ++p) {
        std::vector<uint64_t> ids;
        for (const BExpr& k : a.keys) {
          Env pe{nullptr, kNoRow, parents[p]};
          TRINE_ASSIGN_OR_RETURN(Value v, Eval(k, &pe));
          if (std::optional<uint64_t> id = AsId(v))
            ids.push_back(*id);
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        for (uint64_t id : ids)
          rows.emplace_back(id, p);
      }
      return PointCandidates(level, b, rows);
    }
    case AccessPath::Kind::kRefSeek: {
      std::map<uint64_t, std::vector<uint32_t>> by_target;
      for (uint32_t p = 0; p < parents.size(); ++p) {
        Env pe{nullptr, kNoRow, parents[p]};
        TRINE_ASSIGN_OR_RETURN(Value v, Eval(a.keys[0], &pe));
        if (std::optional<uint64_t> id = AsId(v))
          by_target[*id].push_back(p);
      }
      std::vector<uint64_t> targets;
      for (const auto& t : by_target)
        targets.push_back(t.first);
      auto it = by_target.begin();
      Status s =
          txn.MultiReferrers(level.type, a.field->name, targets, [&](uint64_t t, uint64_t id) {
            while (it->first != t)
              ++it;
            for (uint32_t p : it->second) {
              uint32_t r = b->AddRow(id, p);
              b->cols[seed_col][r] = Value::Ref(t);
            }
            return true;
          });
      TRINE_RETURN_IF_ERROR(At(level.pos, s));
      return FilterRows(level, b, 0, static_cast<uint32_t>(b->ids.size()));
    }
    case AccessPath::Kind::kTypeScan:
    case AccessPath::Kind::kIndexRange:
      break;
  }
  // Shared by every parent: read once, then every parent gets the rows.
  if (!a.correlated && parents.size() > 1) {
    std::vector<std::pair<uint64_t, Value>> shared;
    TRINE_RETURN_IF_ERROR(Source(level, parents[0], [&](uint64_t id, const Value* v, bool*) {
      shared.emplace_back(id, v != nullptr ? *v : Value());
      return Status::OK();
    }));
    for (uint32_t p = 0; p < parents.size(); ++p)
      for (const auto& [id, v] : shared) {
        uint32_t r = b->AddRow(id, p);
        if (seed_col != SIZE_MAX)
          b->cols[seed_col][r] = v;
      }
    return FilterRows(level, b, 0, static_cast<uint32_t>(b->ids.size()));
  }
  // Per parent, in chunks; an ordered source stops once enough rows passed.
  for (uint32_t p = 0; p < parents.size(); ++p) {
    bool can_stop = a.provides_order && !level.aggregate && lim[p] != kNoLimit;
    uint64_t chunk = can_stop ? std::clamp<uint64_t>(need[p], 8, 1024) : 1024;
    uint64_t passed = 0;
    uint32_t start = static_cast<uint32_t>(b->ids.size());
    auto process = [&]() -> Status {
      uint32_t end = static_cast<uint32_t>(b->ids.size());
      TRINE_RETURN_IF_ERROR(FilterRows(level, b, start, end));
      for (uint32_t r = start; r < end; ++r)
        passed += b->pass[r];
      start = end;
      chunk = std::min<uint64_t>(chunk * 2, 4096);
      return Status::OK();
    };
    Status s = Source(level, parents[p], [&](uint64_t id, const Value* v, bool* stop) {
      uint32_t r = b->AddRow(id, p);
      if (seed_col != SIZE_MAX && v != nullptr)
        b->cols[seed_col][r] = *v;
      if (b->ids.size() - start >= chunk) {
        TRINE_RETURN_IF_ERROR(process());
        if (can_stop && passed >= need[p])
          *stop = true;
      }
      return Status::OK();
    });
    TRINE_RETURN_IF_ERROR(s);
    if (start < b->ids.size())
      TRINE_RETURN_IF_ERROR(process());
  }
  return Status::OK();
}

// ---------------------------------------------------------------- Run --

Status Executor::Impl::Run(const Level& level, const std::vector<const Env*>& parents, Batch* b,
                           std::vector<std::vector<uint32_t>>* finals) {
  b->level = &level;
  b->parents = &parents;
  b->cols.assign(level.columns.size(), {});
  b->seeded.assign(level.columns.size(), 0);
  b->nested.assign(level.nested.size(), {});
  std::vector<uint64_t> lim(parents.size(), kNoLimit), off(parents.size(), 0),
      need(parents.size(), kNoLimit);
  for (size_t p = 0; p < parents.size(); ++p) {
    for (auto [expr, dst] : {std::pair{&level.limit, &lim[p]}, {&level.offset, &off[p]}}) {
      if (!*expr)
        continue;
      Env pe{nullptr, kNoRow, parents[p]};
      TRINE_ASSIGN_OR_RETURN(Value v, Eval(**expr, &pe));
      if (v.type() != ValueType::kInt || v.as_int() < 0)
        return Fail((*expr)->pos, "LIMIT and OFFSET need a non-negative int, got " + v.ToString());
      *dst = static_cast<uint64_t>(v.as_int());
    }
    if (restrict_level == &level || budget_level == &level) {
      off[p] = 0;
      lim[p] = restrict_level == &level ? kNoLimit : budget;
    }
    if (lim[p] != kNoLimit)
      need[p] = lim[p] > kNoLimit - off[p] ? kNoLimit : lim[p] + off[p];
  }
  if (FastCount(level) && restrict_level != &level && budget_level != &level) {
    // count(*) whose WHERE the index range expresses exactly: count the
    // entries, materialize no rows.
    b->fast_count.assign(parents.size(), 0);
    for (size_t p = 0; p < parents.size(); ++p) {
      if (p > 0 && !level.access.correlated) {
        b->fast_count[p] = b->fast_count[0];
        continue;
      }
      TRINE_RETURN_IF_ERROR(Source(level, parents[p], [&](uint64_t, const Value*, bool*) {
        ++b->fast_count[p];
        return Status::OK();
      }));
    }
    finals->assign(parents.size(), {});
    b->agg_keep.assign(parents.size(), 1);
    for (size_t p = 0; p < parents.size(); ++p)
      b->agg_keep[p] = off[p] == 0 && lim[p] > 0;
    return Status::OK();
  }
  TRINE_RETURN_IF_ERROR(Candidates(level, b, need, lim));

  // Survivors per parent, in candidate order.
  finals->assign(parents.size(), {});
  for (uint32_t r = 0; r < b->ids.size(); ++r)
    if (b->pass[r])
      (*finals)[b->parent[r]].push_back(r);

  if (!level.order.empty() && !level.access.provides_order && !level.aggregate) {
    std::vector<uint32_t> rows;
    for (const auto& f : *finals)
      rows.insert(rows.end(), f.begin(), f.end());
    TRINE_RETURN_IF_ERROR(Fetch(level, b, Phase::kSort, rows));
    TRINE_RETURN_IF_ERROR(RunNested(level, b, Phase::kSort, rows));
    b->BuildEnvs();
    size_t nk = level.order.size();
    std::vector<Value> keys(b->ids.size() * nk);
    for (uint32_t r : rows)
      for (size_t k = 0; k < nk; ++k) {
        TRINE_ASSIGN_OR_RETURN(keys[r * nk + k], Eval(level.order[k].expr, &b->envs[r]));
      }
    bool last_desc = level.order.back().descending;
    auto less = [&](uint32_t x, uint32_t y) {
      if (int c = CompareOrderKeys(level.order, &keys[x * nk], &keys[y * nk]); c != 0)
        return c < 0;
      return last_desc ? b->ids[x] > b->ids[y] : b->ids[x] < b->ids[y];
    };
    for (auto& f : *finals) {
      // Only the first OFFSET + LIMIT rows matter.
      size_t p = static_cast<size_t>(&f - finals->data());
      if (need[p] < f.size()) {
        std::partial_sort(f.begin(), f.begin() + static_cast<ptrdiff_t>(need[p]), f.end(), less);
        f.resize(need[p]);
      } else {
        std::sort(f.begin(), f.end(), less);
      }
    }
  }
  if (!level.aggregate) {
    for (size_t p = 0; p < finals->size(); ++p) {
      auto& f = (*finals)[p];
      if (off[p] > 0)
        f.erase(f.begin(),
                f.begin() + static_cast<ptrdiff_t>(std::min<uint64_t>(off[p], f.size())));
      if (f.size() > lim[p])
        f.resize(lim[p]);
    }
  }
  if (level.count_only)
    return Status::OK();
  std::vector<uint32_t> rows;
  for (const auto& f : *finals)
    rows.insert(rows.end(), f.begin(), f.end());
  TRINE_RETURN_IF_ERROR(Fetch(level, b, Phase::kOutput, rows));
  TRINE_RETURN_IF_ERROR(RunNested(level, b, Phase::kOutput, rows));
  b->BuildEnvs();
  // An aggregate query gives one row per parent (a grouped one, one per
  // group); OFFSET / LIMIT apply to those.
  b->agg_keep.assign(parents.size(), 1);
  for (size_t p = 0; p < parents.size(); ++p)
    b->agg_keep[p] = off[p] == 0 && lim[p] > 0;
  b->group_off = std::move(off);
  b->group_lim = std::move(lim);
  return Status::OK();
}

bool Executor::Impl::FastCount(const Level& level) {
  const AccessPath& a = level.access;
  // Only a strict type's index holds nothing but the field's own type: a lax
  // one's range can also hold values the WHERE compares otherwise (a string
  // where ints are compared is NULL; see NumericTypeRanges), which only
  // evaluating the rows tells apart.
  if (!level.type_info.strict)
    return false;
  if (!level.aggregate || !level.group_by.empty() || !level.nested.empty() || !a.covers_filter ||
      (a.kind != AccessPath::Kind::kIndexRange && a.kind != AccessPath::Kind::kTypeScan))
    return false;
  for (const BExpr& v : level.out.values)
    if (v.kind != BExpr::Kind::kAgg || v.agg != Agg::kCountStar)
      return false;
  return true;
}

Result<Tree> Executor::Impl::RowTree(const Level& level, Batch* b, uint32_t row) {
  const Env* env = &b->envs[row];
  Tree t;
  if (!level.out.is_shape) {
    TRINE_ASSIGN_OR_RETURN(t, EvalTree(level.out.values[0], env));
  } else {
    t = Tree::Object();
    for (size_t i = 0; i < level.out.keys.size(); ++i) {
      TRINE_ASSIGN_OR_RETURN(Tree v, EvalTree(level.out.values[i], env));
      t.Add(level.out.keys[i], std::move(v));
    }
  }
  if (!level.type.empty())
    t.set_subject(b->ids[row]);
  return t;
}

Result<Value> Executor::Impl::Reduce(Agg agg, bool distinct, const std::vector<Value>& in,
                                     uint32_t pos) {
  std::vector<Value> values;
  for (const Value& v : in)
    if (!v.is_null())
      values.push_back(v);
  if (distinct)
    SortUnique(&values);
  switch (agg) {
    case Agg::kCount:
    case Agg::kCountStar:
      return Value::Int(static_cast<int64_t>(values.size()));
    case Agg::kExists:
      return Value::Bool(!values.empty());
    case Agg::kSum:
    case Agg::kAvg: {
      if (values.empty())
        return Value();
      NumericSum acc;  // as live aggregates sum (see NumericSum)
      for (const Value& v : values)
        acc.Add(v, 1);
      Result<Value> r = agg == Agg::kSum ? acc.Total() : acc.Average();
      if (!r.ok())
        return Fail(pos,
                    std::string(agg == Agg::kSum ? "sum" : "avg") + ": " + r.status().message());
      return std::move(*r);
    }
    case Agg::kMin:
    case Agg::kMax: {
      if (values.empty())
        return Value();
      const Value* best = &values[0];
      for (const Value& v : values) {
        int c = CompareByValue(v, *best);
        if ((agg == Agg::kMin && c < 0) || (agg == Agg::kMax && c > 0))
          best = &v;
      }
      return *best;
    }
  }
  return Value();
}

Status Executor::Impl::ComputeAggs(const BExpr& e, Batch* b, const std::vector<uint32_t>& rows,
                                   const uint64_t* fast_count) {
  if (e.kind == BExpr::Kind::kAgg && fast_count != nullptr) {
    agg_values[&e] = Value::Int(static_cast<int64_t>(*fast_count));
    return Status::OK();
  }
  if (e.kind == BExpr::Kind::kAgg) {
    std::vector<Value> values;
    values.reserve(rows.size());
    for (uint32_t r : rows) {
      if (e.agg == Agg::kCountStar) {
        values.push_back(Value::Bool(true));
      } else {
        TRINE_ASSIGN_OR_RETURN(Value v, Eval(e.args[0], &b->envs[r]));
        values.push_back(std::move(v));
      }
    }
    TRINE_ASSIGN_OR_RETURN(agg_values[&e], Reduce(e.agg, e.distinct, values, e.pos));
    return Status::OK();
  }
  for (const BExpr& a : e.args)
    TRINE_RETURN_IF_ERROR(ComputeAggs(a, b, rows, fast_count));
  return Status::OK();
}

Result<Tree> Executor::Impl::AggregateRow(const Level& level, Batch* b,
                                          const std::vector<uint32_t>& rows, size_t p) {
  agg_values.clear();
  const uint64_t* fast = b->fast_count.empty() ? nullptr : &b->fast_count[p];
  for (const BExpr& v : level.out.values)
    TRINE_RETURN_IF_ERROR(ComputeAggs(v, b, rows, fast));
  const Env* parent = (*b->parents)[p];
  // Row references outside aggregates are refused by the binder, so an env
  // without a row serves for the rest (enclosing rows, constants).
  Env env{b, kNoRow, parent};
  if (!level.out.is_shape)
    return EvalTree(level.out.values[0], &env);
  Tree t = Tree::Object();
  for (size_t i = 0; i < level.out.keys.size(); ++i) {
    TRINE_ASSIGN_OR_RETURN(Tree v, EvalTree(level.out.values[i], &env));
    t.Add(level.out.keys[i], std::move(v));
  }
  return t;
}

int CompareOrderKeys(const std::vector<OrderKey>& order, const Value* a, const Value* b) {
  for (size_t k = 0; k < order.size(); ++k) {
    if (a[k].is_null() || b[k].is_null()) {
      if (a[k].is_null() && b[k].is_null())
        continue;
      return a[k].is_null() == order[k].nulls_first ? -1 : 1;
    }
    int c = Value::Compare(a[k], b[k]);  // the index's order (see CompareByValue)
    if (c != 0)
      return order[k].descending ? -c : c;
  }
  return 0;
}

bool GroupKeyLess::operator()(const std::vector<Value>& a, const std::vector<Value>& b) const {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].is_null() || b[i].is_null()) {
      if (a[i].is_null() != b[i].is_null())
        return b[i].is_null();
      continue;
    }
    int c = CompareByValue(a[i], b[i]);
    if (c != 0)
      return c < 0;
  }
  return a.size() < b.size();
}

Status Executor::Impl::GroupRows(const Level& level, Batch* b, const std::vector<uint32_t>& rows,
                                 size_t p, std::vector<Tree>* out) {
  std::map<std::vector<Value>, std::vector<uint32_t>, GroupKeyLess> groups;
  for (uint32_t r : rows) {
    std::vector<Value> key;
    key.reserve(level.group_by.size());
    for (const BExpr& g : level.group_by) {
      TRINE_ASSIGN_OR_RETURN(Value v, Eval(g, &b->envs[r]));
      key.push_back(std::move(v));
    }
    groups[std::move(key)].push_back(r);
  }
  struct Built {
    std::vector<Value> order;
    const std::vector<Value>* key;
    Tree row;
  };
  std::vector<Built> built;
  built.reserve(groups.size());
  Env env{b, kNoRow, (*b->parents)[p]};
  for (const auto& [key, members] : groups) {
    agg_values.clear();
    group_values = key;
    for (const BExpr& v : level.out.values)
      TRINE_RETURN_IF_ERROR(ComputeAggs(v, b, members, nullptr));
    for (const OrderKey& o : level.order)
      TRINE_RETURN_IF_ERROR(ComputeAggs(o.expr, b, members, nullptr));
    Built g;
    g.key = &key;
    for (const OrderKey& o : level.order) {
      TRINE_ASSIGN_OR_RETURN(Value v, Eval(o.expr, &env));
      g.order.push_back(std::move(v));
    }
    if (!level.out.is_shape) {
      TRINE_ASSIGN_OR_RETURN(g.row, EvalTree(level.out.values[0], &env));
    } else {
      g.row = Tree::Object();
      for (size_t i = 0; i < level.out.keys.size(); ++i) {
        TRINE_ASSIGN_OR_RETURN(Tree v, EvalTree(level.out.values[i], &env));
        g.row.Add(level.out.keys[i], std::move(v));
      }
    }
    g.row.set_subject(Executor::GroupId(key));
    built.push_back(std::move(g));
  }
  group_values.clear();
  if (!level.order.empty()) {
    // Ties stay in key order.
    std::stable_sort(built.begin(), built.end(), [&](const Built& x, const Built& y) {
      return CompareOrderKeys(level.order, x.order.data(), y.order.data()) < 0;
    });
  }
  uint64_t off = b->group_off.empty() ? 0 : b->group_off[p];
  uint64_t lim = b->group_lim.empty() ? kNoLimit : b->group_lim[p];
  for (size_t i = off; i < built.size() && i - off < lim; ++i)
    out->push_back(std::move(built[i].row));
  return Status::OK();
}

Status Executor::Impl::Shape(const Level& level, Batch* b,
                             const std::vector<std::vector<uint32_t>>& finals,
                             std::vector<Tree>* per_parent) {
  per_parent->clear();
  per_parent->reserve(finals.size());
  for (size_t p = 0; p < finals.size(); ++p) {
    const std::vector<uint32_t>& rows = finals[p];
    if (level.use == Level::Use::kAgg && level.count_only) {
      int64_t n = static_cast<int64_t>(rows.size());
      per_parent->emplace_back(level.use_agg == Agg::kExists ? Value::Bool(n > 0) : Value::Int(n));
      continue;
    }
    std::vector<Tree> trees;
    if (!level.group_by.empty()) {
      TRINE_RETURN_IF_ERROR(GroupRows(level, b, rows, p, &trees));
    } else if (level.aggregate) {
      TRINE_ASSIGN_OR_RETURN(Tree t, AggregateRow(level, b, rows, p));
      if (b->agg_keep[p])
        trees.push_back(std::move(t));
    } else {
      trees.reserve(rows.size());
      for (uint32_t r : rows) {
        TRINE_ASSIGN_OR_RETURN(Tree t, RowTree(level, b, r));
        trees.push_back(std::move(t));
      }
    }
    switch (level.use) {
      case Level::Use::kArray: {
        Tree a = Tree::Array();
        for (Tree& t : trees)
          a.Push(std::move(t));
        per_parent->push_back(std::move(a));
        break;
      }
      case Level::Use::kScalar:
        if (trees.size() > 1)
          return Fail(level.use_pos, "(SELECT ...) returned " + std::to_string(trees.size()) +
                                         " rows; it must return at most one");
        per_parent->push_back(trees.empty() ? Tree() : std::move(trees[0]));
        break;
      case Level::Use::kAgg: {
        std::vector<Value> values;
        for (const Tree& t : trees) {
          if (!t.is_value())
            return Fail(level.use_pos, "aggregates need single values, not rows");
          values.push_back(t.value());
        }
        TRINE_ASSIGN_OR_RETURN(
            Value v, Reduce(level.use_agg == Agg::kCountStar ? Agg::kCount : level.use_agg,
                            level.use_distinct, values, level.use_pos));
        if (level.use_agg == Agg::kCount && !level.use_distinct)
          v = Value::Int(static_cast<int64_t>(trees.size()));
        per_parent->emplace_back(std::move(v));
        break;
      }
    }
  }
  return Status::OK();
}

// -------------------------------------------------------------- public --

Executor::Executor(Transaction& txn, std::vector<Value> params, size_t named_base)
    : impl_(std::make_unique<Impl>(txn, std::move(params), named_base)) {}
Executor::~Executor() = default;

uint32_t Executor::error_pos() const {
  return impl_->error_pos;
}

Status Executor::Query(const Level& level, bool scalar, Tree* out) {
  std::vector<const Env*> parents{nullptr};
  Batch b;
  std::vector<std::vector<uint32_t>> finals;
  TRINE_RETURN_IF_ERROR(impl_->Run(level, parents, &b, &finals));
  std::vector<uint32_t>& rows = finals[0];
  if (!level.group_by.empty()) {
    std::vector<Tree> groups;
    TRINE_RETURN_IF_ERROR(impl_->GroupRows(level, &b, rows, 0, &groups));
    Tree a = Tree::Array();
    for (Tree& t : groups)
      a.Push(std::move(t));
    *out = std::move(a);
    return Status::OK();
  }
  if (level.aggregate) {
    TRINE_ASSIGN_OR_RETURN(Tree t, impl_->AggregateRow(level, &b, rows, 0));
    *out = b.agg_keep[0] ? std::move(t) : Tree();
    return Status::OK();
  }
  if (scalar) {
    if (rows.empty()) {
      *out = Tree();
      return Status::OK();
    }
    TRINE_ASSIGN_OR_RETURN(*out, impl_->RowTree(level, &b, rows[0]));
    return Status::OK();
  }
  Tree a = Tree::Array();
  for (uint32_t r : rows) {
    TRINE_ASSIGN_OR_RETURN(Tree t, impl_->RowTree(level, &b, r));
    a.Push(std::move(t));
  }
  *out = std::move(a);
  return Status::OK();
}

Status Executor::Rows(const Level& level, std::vector<uint64_t>* ids, std::vector<Tree>* values) {
  std::vector<const Env*> parents{nullptr};
  Batch b;
  std::vector<std::vector<uint32_t>> finals;
  TRINE_RETURN_IF_ERROR(impl_->Run(level, parents, &b, &finals));
  for (uint32_t r : finals[0]) {
    ids->push_back(b.ids[r]);
    TRINE_ASSIGN_OR_RETURN(Tree t, impl_->RowTree(level, &b, r));
    values->push_back(std::move(t));
  }
  return Status::OK();
}

void Executor::SetOverride(const Override& o) {
  impl_->restrict_level = o.only_ids != nullptr ? o.level : nullptr;
  impl_->restrict_ids = o.only_ids;
  impl_->budget_level = o.only_ids == nullptr ? o.level : nullptr;
  impl_->budget = o.budget;
}

Status Executor::KeyedRows(const Level& level, std::vector<KeyedRow>* out) {
  std::vector<const Env*> parents{nullptr};
  Batch b;
  std::vector<std::vector<uint32_t>> finals;
  TRINE_RETURN_IF_ERROR(impl_->Run(level, parents, &b, &finals));
  for (uint32_t r : finals[0]) {
    KeyedRow k;
    k.id = b.ids[r];
    for (const OrderKey& o : level.order) {
      TRINE_ASSIGN_OR_RETURN(Value v, impl_->Eval(o.expr, &b.envs[r]));
      k.key.push_back(std::move(v));
    }
    TRINE_ASSIGN_OR_RETURN(k.row, impl_->RowTree(level, &b, r));
    out->push_back(std::move(k));
  }
  return Status::OK();
}

namespace {

// A batch of one row of `level` whose column values are given (no reads).
void OneRow(const Level& level, const std::vector<const Env*>* parents, uint64_t id,
            std::vector<Value> cols, Batch* b) {
  b->level = &level;
  b->parents = parents;
  b->cols.assign(level.columns.size(), {});
  b->nested.assign(level.nested.size(), {});
  b->AddRow(id, 0);
  for (size_t c = 0; c < cols.size() && c < b->cols.size(); ++c)
    b->cols[c][0] = std::move(cols[c]);
  b->BuildEnvs();
}

}  // namespace

Status Executor::EvalRow(const Level& level, uint64_t id, const std::vector<Value>& cols,
                         RowEval* out) {
  // Without the row tree, a simple WHERE and plain ORDER BY columns need no
  // batch (the common case of a live window's re-evaluated subjects).
  if (!out->want_row) {
    const Value subject = Value::Ref(id);
    std::optional<bool> holds = true;
    if ((!level.where || out->assume_match ||
         impl_->SimpleCond(*level.where, cols, subject, &holds)) &&
        SimpleOrder(level, cols)) {
      out->match = holds && *holds;
      out->key.clear();
      if (out->match)
        for (const OrderKey& o : level.order)
          out->key.push_back(*impl_->SimpleOperand(o.expr, cols, subject));
      return Status::OK();
    }
  }
  std::vector<const Env*> parents{nullptr};
  Batch b;
  OneRow(level, &parents, id, cols, &b);
  out->match = true;
  if (level.where && !out->assume_match) {
    TRINE_ASSIGN_OR_RETURN(std::optional<bool> ok, impl_->EvalCond(*level.where, &b.envs[0]));
    out->match = ok && *ok;
  }
  out->key.clear();
  if (!out->match)
    return Status::OK();
  for (const OrderKey& o : level.order) {
    TRINE_ASSIGN_OR_RETURN(Value v, impl_->Eval(o.expr, &b.envs[0]));
    out->key.push_back(std::move(v));
  }
  if (out->want_row) {
    TRINE_ASSIGN_OR_RETURN(out->row, impl_->RowTree(level, &b, 0));
  }
  return Status::OK();
}

bool Executor::SimpleOrder(const Level& level, const std::vector<Value>& cols) {
  return std::all_of(level.order.begin(), level.order.end(), [&](const OrderKey& o) {
    return (o.expr.kind == BExpr::Kind::kColumn && o.expr.up == 0 && o.expr.slot >= 0 &&
            static_cast<size_t>(o.expr.slot) < cols.size()) ||
           (o.expr.kind == BExpr::Kind::kSubject && o.expr.up == 0 && o.expr.scope < 0);
  });
}

Status Executor::EvalKey(const Level& level, uint64_t id, const std::vector<Value>& cols,
                         std::vector<Value>* key) {
  // ORDER BY own attributes and the id (the common case): the key is those
  // values, with no batch to build.
  if (SimpleOrder(level, cols)) {
    const Value subject = Value::Ref(id);
    key->clear();
    for (const OrderKey& o : level.order)
      key->push_back(*impl_->SimpleOperand(o.expr, cols, subject));
    return Status::OK();
  }
  std::vector<const Env*> parents{nullptr};
  Batch b;
  OneRow(level, &parents, id, cols, &b);
  key->clear();
  for (const OrderKey& o : level.order) {
    TRINE_ASSIGN_OR_RETURN(Value v, impl_->Eval(o.expr, &b.envs[0]));
    key->push_back(std::move(v));
  }
  return Status::OK();
}

void Executor::AggNodes(const BExpr& e, std::vector<const BExpr*>* out) {
  if (e.kind == BExpr::Kind::kAgg) {
    out->push_back(&e);
    return;
  }
  for (const BExpr& a : e.args)
    AggNodes(a, out);
}

Status Executor::AggInputs(const Level& level, std::vector<uint64_t>* ids,
                           std::vector<std::vector<Value>>* inputs) {
  std::vector<const BExpr*> nodes;
  for (const BExpr& v : level.out.values)
    AggNodes(v, &nodes);
  std::vector<const Env*> parents{nullptr};
  Batch b;
  std::vector<std::vector<uint32_t>> finals;
  TRINE_RETURN_IF_ERROR(impl_->Run(level, parents, &b, &finals));
  if (!b.fast_count.empty())
    return Status::NotSupported("aggregate inputs of a counted index range");
  for (uint32_t r : finals[0]) {
    ids->push_back(b.ids[r]);
    std::vector<Value> in;
    TRINE_RETURN_IF_ERROR(impl_->AggArgs(nodes, &b.envs[r], &in));
    for (const BExpr& g : level.group_by) {
      TRINE_ASSIGN_OR_RETURN(Value v, impl_->Eval(g, &b.envs[r]));
      in.push_back(std::move(v));
    }
    inputs->push_back(std::move(in));
  }
  return Status::OK();
}

Status Executor::EvalAggInputs(const Level& level, uint64_t id, std::vector<Value> cols,
                               bool* match, std::vector<Value>* inputs) {
  std::vector<const BExpr*> nodes;
  for (const BExpr& v : level.out.values)
    AggNodes(v, &nodes);
  // A simple WHERE, and aggregate arguments and GROUP BY keys that are
  // columns, constants or parameters: no batch.
  const Value subject = Value::Ref(id);
  std::optional<bool> holds = true;
  auto simple = [&](const BExpr& e) { return impl_->SimpleOperand(e, cols, subject) != nullptr; };
  if ((!level.where || impl_->SimpleCond(*level.where, cols, subject, &holds)) &&
      std::all_of(
          nodes.begin(), nodes.end(),
          [&](const BExpr* n) { return n->agg == Agg::kCountStar || simple(n->args[0]); }) &&
      std::all_of(level.group_by.begin(), level.group_by.end(), simple)) {
    *match = holds && *holds;
    inputs->clear();
    if (!*match)
      return Status::OK();
    for (const BExpr* n : nodes)
      inputs->push_back(n->agg == Agg::kCountStar
                            ? Value::Bool(true)
                            : *impl_->SimpleOperand(n->args[0], cols, subject));
    for (const BExpr& g : level.group_by)
      inputs->push_back(*impl_->SimpleOperand(g, cols, subject));
    return Status::OK();
  }
  std::vector<const Env*> parents{nullptr};
  Batch b;
  OneRow(level, &parents, id, std::move(cols), &b);
  *match = true;
  if (level.where) {
    TRINE_ASSIGN_OR_RETURN(std::optional<bool> ok, impl_->EvalCond(*level.where, &b.envs[0]));
    *match = ok && *ok;
  }
  inputs->clear();
  if (!*match)
    return Status::OK();
  TRINE_RETURN_IF_ERROR(impl_->AggArgs(nodes, &b.envs[0], inputs));
  for (const BExpr& g : level.group_by) {
    TRINE_ASSIGN_OR_RETURN(Value v, impl_->Eval(g, &b.envs[0]));
    inputs->push_back(std::move(v));
  }
  return Status::OK();
}

Result<Tree> Executor::AggregateFrom(const Level& level, const std::vector<Value>& agg_values,
                                     const std::vector<Value>& group_key) {
  // `SELECT count(*)` and the like: the value itself (a live count's row is
  // re-made on every change of its membership).
  if (!level.out.is_shape && level.group_by.empty() && level.out.values.size() == 1 &&
      level.out.values[0].kind == BExpr::Kind::kAgg && !agg_values.empty())
    return Tree(agg_values[0]);
  std::vector<const BExpr*> nodes;
  for (const BExpr& v : level.out.values)
    AggNodes(v, &nodes);
  impl_->agg_values.clear();
  for (size_t i = 0; i < nodes.size() && i < agg_values.size(); ++i)
    impl_->agg_values[nodes[i]] = agg_values[i];
  impl_->group_values = group_key;
  std::vector<const Env*> parents{nullptr};
  Batch b;
  b.level = &level;
  b.parents = &parents;
  Env env{&b, kNoRow, nullptr};
  Tree t;
  if (!level.out.is_shape) {
    TRINE_ASSIGN_OR_RETURN(t, impl_->EvalTree(level.out.values[0], &env));
  } else {
    t = Tree::Object();
    for (size_t i = 0; i < level.out.keys.size(); ++i) {
      TRINE_ASSIGN_OR_RETURN(Tree v, impl_->EvalTree(level.out.values[i], &env));
      t.Add(level.out.keys[i], std::move(v));
    }
  }
  if (!level.group_by.empty())
    t.set_subject(GroupId(group_key));
  impl_->group_values.clear();
  return t;
}

uint64_t Executor::GroupId(const std::vector<Value>& key) {
  // Values that GROUP BY puts in one group (numbers equal across int, float
  // and decimal) encode alike.
  std::string enc;
  for (const Value& v : key) {
    switch (v.type()) {
      case ValueType::kNull:
        enc += 'n';
        break;
      case ValueType::kBool:
        enc += v.as_bool() ? "b1" : "b0";
        break;
      case ValueType::kInt:
      case ValueType::kFloat:
      case ValueType::kDecimal: {
        double d = v.type() == ValueType::kInt     ? static_cast<double>(v.as_int())
                   : v.type() == ValueType::kFloat ? v.as_float()
                                                   : std::stod(v.as_decimal().ToString());
        if (v.type() == ValueType::kInt) {
          enc += "i" + std::to_string(v.as_int());
        } else if (d == std::trunc(d) && std::fabs(d) < 9.0e15) {
          enc += "i" + std::to_string(static_cast<int64_t>(d));
        } else {
          uint64_t bits = 0;
          std::memcpy(&bits, &d, sizeof bits);
          enc += "f" + std::to_string(bits);
        }
        break;
      }
      case ValueType::kString:
      case ValueType::kBytes: {
        const std::string& x = v.type() == ValueType::kString ? v.as_string() : v.as_bytes();
        enc += (v.type() == ValueType::kString ? "s" : "y") + std::to_string(x.size()) + ":" + x;
        break;
      }
      case ValueType::kTimestamp:
        enc += "t" + std::to_string(v.as_time());
        break;
      case ValueType::kRef:
        enc += "r" + std::to_string(v.as_ref());
        break;
    }
    enc += ';';
  }
  // High bit 62 set: never an allocated subject id.
  return (Hash64(enc, 0x67726f7570ULL) & ((uint64_t{1} << 62) - 1)) | (uint64_t{1} << 62);
}

Result<Value> Executor::Reduce(Agg agg, bool distinct, const std::vector<Value>& values,
                               uint32_t pos) {
  return impl_->Reduce(agg, distinct, values, pos);
}

}  // namespace trine::treeql
