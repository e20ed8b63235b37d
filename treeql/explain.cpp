// EXPLAIN: the plan tree, one level per (sub-)query, each with its access
// path, filter, order, limit, the columns it fetches (and when) and its
// nested levels.
#include "treeql/explain.h"

#include <string>

#include "treeql/ops.h"
#include "trine/treeql.h"

namespace trine::treeql {
namespace {

const char* AggName(Agg a) {
  switch (a) {
    case Agg::kCount:
    case Agg::kCountStar:
      return "count";
    case Agg::kSum:
      return "sum";
    case Agg::kAvg:
      return "avg";
    case Agg::kMin:
      return "min";
    case Agg::kMax:
      return "max";
    case Agg::kExists:
      return "exists";
  }
  return "?";
}

// Column and scope names as the query wrote them, for readable conditions.
class Printer {
 public:
  explicit Printer(std::vector<const Level*> stack) : stack_(std::move(stack)) {}

  std::string Expr(const BExpr& e) const {
    using K = BExpr::Kind;
    switch (e.kind) {
      case K::kConst:
        return e.value.ToString();
      case K::kParam:
        return "?";
      case K::kColumn: {
        const Level* l = At(e.up);
        if (l == nullptr)
          return "?";
        std::string prefix = e.up > 0 ? (l->alias.empty() ? l->type : l->alias) + "." : "";
        return prefix + l->columns[static_cast<size_t>(e.slot)].label;
      }
      case K::kSubject: {
        const Level* l = At(e.up);
        if (l == nullptr)
          return "?";
        if (e.scope >= 0)
          return l
              ->columns[static_cast<size_t>(
                  l->ref_scopes[static_cast<size_t>(e.scope)].source_column)]
              .label;
        if (e.up == 0)
          return "id";
        return l->alias.empty() ? l->type : l->alias;
      }
      case K::kUnary:
        return e.op == Op::kNot ? "NOT " + Expr(e.args[0]) : "-" + Expr(e.args[0]);
      case K::kBinary:
        return "(" + Expr(e.args[0]) + " " + OpText(e.op) + " " + Expr(e.args[1]) + ")";
      case K::kIsNull:
        return Expr(e.args[0]) + (e.negated ? " IS NOT NULL" : " IS NULL");
      case K::kIn: {
        std::string s = Expr(e.args[0]) + (e.negated ? " NOT IN (" : " IN (");
        if (e.slot >= 0)
          return s + "sub-query #" + std::to_string(e.slot + 1) + ")";
        for (size_t i = 1; i < e.args.size(); ++i)
          s += (i > 1 ? ", " : "") + Expr(e.args[i]);
        return s + ")";
      }
      case K::kLike:
        return Expr(e.args[0]) + (e.negated ? " NOT LIKE " : " LIKE ") + Expr(e.args[1]);
      case K::kBetween:
        return Expr(e.args[0]) + (e.negated ? " NOT BETWEEN " : " BETWEEN ") + Expr(e.args[1]) +
               " AND " + Expr(e.args[2]);
      case K::kCase:
        return "CASE ... END";
      case K::kSubquery:
        return "sub-query #" + std::to_string(e.slot + 1);
      case K::kAggSub:
        return std::string(AggName(e.agg)) + "(sub-query #" + std::to_string(e.slot + 1) + ")";
      case K::kAgg:
        return std::string(AggName(e.agg)) + "(" +
               (e.agg == Agg::kCountStar ? "*" : Expr(e.args[0])) + ")";
      case K::kShape:
        return "{...}";
      case K::kList:
        return "[...]";
      case K::kGroupKey: {
        const Level* l = At(0);
        if (l != nullptr && e.slot >= 0 && static_cast<size_t>(e.slot) < l->group_by.size())
          return Expr(l->group_by[static_cast<size_t>(e.slot)]);
        return "group key";
      }
    }
    return "?";
  }

 private:
  const Level* At(int up) const {
    if (up < 0 || static_cast<size_t>(up) >= stack_.size())
      return nullptr;
    return stack_[stack_.size() - 1 - static_cast<size_t>(up)];
  }
  std::vector<const Level*> stack_;
};

void Describe(const Level& level, std::vector<const Level*> stack, const std::string& indent,
              const std::string& title, std::string* out) {
  stack.push_back(&level);
  Printer p(stack);
  std::string head = title;
  if (!level.type.empty())
    head += " FROM " + level.type + (level.alias.empty() ? "" : " AS " + level.alias);
  *out += indent + head + "\n";
  std::string in = indent + "  ";
  *out += in + "access: " + level.access.describe + "\n";
  if (level.where)
    *out += in + "filter: " + p.Expr(*level.where) + "\n";
  if (!level.group_by.empty()) {
    std::string keys;
    for (const BExpr& g : level.group_by)
      keys += (keys.empty() ? "" : ", ") + p.Expr(g);
    *out += in + "group by: " + keys + " (one row per distinct key)\n";
  }
  if (!level.order.empty()) {
    std::string keys;
    for (const OrderKey& k : level.order)
      keys += (keys.empty() ? "" : ", ") + p.Expr(k.expr) + (k.descending ? " DESC" : "") +
              (k.nulls_first ? " NULLS FIRST" : "");
    if (!level.group_by.empty())
      *out += in + "sort groups: " + keys + ", then the key\n";
    else if (level.aggregate)
      *out += in + "order: " + keys + " (ignored: one aggregate row)\n";
    else if (level.access.provides_order)
      *out += in + "order: " + keys + " (from the access path, no sort)\n";
    else
      *out += in + "sort: " + keys + ", then id\n";
  }
  if (level.limit || level.offset) {
    std::string s = in + "limit: ";
    s += level.limit ? p.Expr(*level.limit) : "none";
    if (level.offset)
      s += " offset " + p.Expr(*level.offset);
    if (level.access.provides_order && !level.aggregate && level.limit)
      s += " (the scan stops after offset + limit rows pass)";
    *out += s + "\n";
  }
  if (!level.columns.empty()) {
    static const char* phase[] = {"filter", "sort", "output"};
    std::string cols;
    for (size_t i = 0; i < level.columns.size(); ++i) {
      const Column& c = level.columns[i];
      bool from_index = static_cast<int>(i) == level.access.field_column;
      cols += (cols.empty() ? "" : ", ") + c.label + " (" +
              (from_index ? "from the index" : phase[static_cast<int>(c.phase)]) + ")";
    }
    *out += in + "fetch: " + cols + ", batched per column\n";
  }
  if (level.count_only)
    *out += in + "result: row count only\n";
  else if (!level.group_by.empty())
    *out += in + "result: one aggregate row per group\n";
  else if (level.aggregate)
    *out += in + "result: one aggregate row\n";
  else if (level.out.is_shape) {
    std::string keys;
    for (const std::string& k : level.out.keys)
      keys += (keys.empty() ? "" : ", ") + k;
    *out += in + "shape: { " + keys + " }\n";
  } else {
    *out += in + "value: " + p.Expr(level.out.values[0]) + "\n";
  }
  for (size_t i = 0; i < level.nested.size(); ++i) {
    const Level& sub = *level.nested[i];
    std::string use;
    switch (sub.use) {
      case Level::Use::kArray:
        use = "array per row";
        break;
      case Level::Use::kScalar:
        use = "one value per row";
        break;
      case Level::Use::kAgg:
        use = std::string(AggName(sub.use_agg)) + " per row";
        break;
    }
    Describe(sub, stack, in,
             "sub-query #" + std::to_string(i + 1) + " (" + use +
                 (sub.correlated ? ", for all parent rows at once):"
                                 : ", uncorrelated: run once for all parent rows):"),
             out);
  }
}

}  // namespace

std::string Explain(const Plan& plan) {
  std::string out;
  if (plan.query)
    Describe(*plan.query, {}, "", "query", &out);
  if (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

}  // namespace trine::treeql
