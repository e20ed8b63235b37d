// Access-path choice (README.md, "How queries run"). The WHERE clause is split
// into its AND-ed conjuncts; a conjunct is usable by an index when one side is
// an attribute of the query's own row and the other does not depend on that
// row (constants, parameters, or columns of enclosing queries). In order of
// preference:
//
//   1. point lookups: `id = e`, `id IN (...)`;
//   2. a reference seek: `ref = <enclosing row>` (correlated sub-queries,
//      exists, count); the executor does one seek per distinct parent key for
//      the whole batch of parent rows, through one iterator;
//   3. an equality (`=`, IN) on an indexed attribute (UNIQUE first);
//   4. the index of the single ORDER BY key when there is a LIMIT, so the scan
//      stops after OFFSET + LIMIT rows pass the filter;
//   5. a range (<, <=, >, >=, BETWEEN, LIKE 'prefix%') on an indexed attribute;
//   6. the index of the single ORDER BY key (no sort);
//   7. a scan of the type's subjects in id order.
//
// There are no statistics: the order is the rule. Every conjunct stays in the
// filter too (an index narrows the candidates, the filter decides), so an
// access path can only make a query cheaper, never change its result.
#include <string>
#include <utility>

#include "treeql/binder.h"
#include "treeql/ops.h"

namespace trine::treeql {
namespace {

void Conjuncts(const BExpr& e, std::vector<const BExpr*>* out) {
  if (e.kind == BExpr::Kind::kBinary && e.op == Op::kAnd) {
    Conjuncts(e.args[0], out);
    Conjuncts(e.args[1], out);
  } else {
    out->push_back(&e);
  }
}

bool IsOwnColumn(const BExpr& e, const Level& level, const FieldInfo** field, int* slot) {
  if (e.kind != BExpr::Kind::kColumn || e.up != 0 || e.scope != -1)
    return false;
  const Column& c = level.columns[static_cast<size_t>(e.slot)];
  *field = c.field;
  *slot = e.slot;
  return true;
}

bool IsOwnId(const BExpr& e) {
  return e.kind == BExpr::Kind::kSubject && e.up == 0 && e.scope == -1;
}

// Usable as a key: does not depend on the row being chosen.
bool IsKey(const BExpr& e) {
  return !e.uses_row && !e.uses_agg;
}

Op Flip(Op op) {
  switch (op) {
    case Op::kLt:
      return Op::kGt;
    case Op::kLe:
      return Op::kGe;
    case Op::kGt:
      return Op::kLt;
    case Op::kGe:
      return Op::kLe;
    default:
      return op;
  }
}

struct FieldConds {
  const FieldInfo* field = nullptr;
  int slot = -1;
  std::vector<std::pair<Op, BExpr>> bounds;
  std::vector<BExpr> likes;
  std::vector<std::vector<BExpr>> ins;
  bool equality = false;
  bool null_rejecting = false;  // a condition that no NULL passes
  bool correlated = false;
  size_t absorbed = 0;  // conjuncts fully expressed by the conditions above
};

std::string Describe(const Level& level, const AccessPath& a) {
  auto text = [](const BExpr& e) -> std::string {
    switch (e.kind) {
      case BExpr::Kind::kConst:
        return e.value.ToString();
      case BExpr::Kind::kParam:
        return "?";
      default:
        return e.uses_outer ? "<outer>" : "<expr>";
    }
  };
  const std::string t = level.type;
  switch (a.kind) {
    case AccessPath::Kind::kNone:
      return "one row (no FROM)";
    case AccessPath::Kind::kTypeScan:
      return std::string("type scan ") + t + (a.provides_order ? " in id order (ORDER BY id)" : "");
    case AccessPath::Kind::kPoint: {
      std::string s = "point lookup " + t + " by id";
      if (a.correlated)
        s += " (per parent row)";
      return s;
    }
    case AccessPath::Kind::kRefSeek:
      return "reference seek " + t + "." + a.field->name + " = " + text(a.keys[0]) +
             " (batched: one seek per distinct parent key)";
    case AccessPath::Kind::kIndexRange: {
      std::string s = "index " + t + "." + a.field->name;
      std::string conds;
      for (const auto& [op, v] : a.bounds) {
        conds += std::string(conds.empty() ? "" : ", ") + a.field->name + " " + OpText(op) + " " +
                 text(v);
      }
      for (const BExpr& p : a.like_patterns)
        conds += std::string(conds.empty() ? "" : ", ") + a.field->name + " LIKE " + text(p);
      if (!a.in_lists.empty())
        conds += std::string(conds.empty() ? "" : ", ") + a.field->name + " IN (" +
                 std::to_string(a.in_lists[0].size()) + " values)";
      s += conds.empty() ? " (full)" : " range " + conds;
      if (a.provides_order && !level.order.empty())
        s += std::string(", in ORDER BY order") + (a.descending ? " (descending)" : "");
      if (a.append_nulls)
        s += ", then NULLs";
      if (a.correlated)
        s += " (per parent row)";
      return s;
    }
  }
  return "?";
}

}  // namespace

void ChooseAccessPath(Level* level) {
  AccessPath& a = level->access;
  if (level->type.empty()) {
    a.kind = AccessPath::Kind::kNone;
    a.describe = Describe(*level, a);
    return;
  }
  std::vector<const BExpr*> conj;
  if (level->where)
    Conjuncts(*level->where, &conj);

  std::vector<BExpr> point_keys;
  bool point_correlated = false;
  const BExpr* ref_key = nullptr;
  const FieldInfo* ref_field = nullptr;
  int ref_slot = -1;
  std::vector<FieldConds> fields;
  auto conds_for = [&](const FieldInfo* f, int slot) -> FieldConds& {
    for (FieldConds& fc : fields)
      if (fc.field == f)
        return fc;
    fields.push_back(FieldConds{f, slot, {}, {}, {}, false, false, false, 0});
    return fields.back();
  };

  for (const BExpr* c : conj) {
    const FieldInfo* f = nullptr;
    int slot = -1;
    if (c->kind == BExpr::Kind::kBinary && c->op >= Op::kEq && c->op <= Op::kGe &&
        c->op != Op::kNe) {
      const BExpr& l = c->args[0];
      const BExpr& r = c->args[1];
      for (int side = 0; side < 2; ++side) {
        const BExpr& col = side == 0 ? l : r;
        const BExpr& key = side == 0 ? r : l;
        Op op = side == 0 ? c->op : Flip(c->op);
        if (!IsKey(key))
          continue;
        if (IsOwnId(col) && op == Op::kEq) {
          point_keys.push_back(key);
          point_correlated = point_correlated || key.uses_outer;
          break;
        }
        if (!IsOwnColumn(col, *level, &f, &slot) || !f->indexed)
          continue;
        if (f->type == FieldType::kRef && op == Op::kEq && key.uses_outer) {
          if (ref_key == nullptr) {
            ref_key = &key;
            ref_field = f;
            ref_slot = slot;
          }
          break;
        }
        FieldConds& fc = conds_for(f, slot);
        fc.bounds.emplace_back(op, key);
        ++fc.absorbed;
        fc.equality = fc.equality || op == Op::kEq;
        fc.null_rejecting = true;
        fc.correlated = fc.correlated || key.uses_outer;
        break;
      }
    } else if (c->kind == BExpr::Kind::kIn && !c->negated && c->slot < 0) {
      bool keys = true;
      for (size_t i = 1; i < c->args.size(); ++i)
        keys = keys && IsKey(c->args[i]);
      if (!keys)
        continue;
      if (IsOwnId(c->args[0])) {
        if (point_keys.empty() || point_keys.size() > 1) {
          for (size_t i = 1; i < c->args.size(); ++i) {
            point_keys.push_back(c->args[i]);
            point_correlated = point_correlated || c->args[i].uses_outer;
          }
        }
      } else if (IsOwnColumn(c->args[0], *level, &f, &slot) && f->indexed) {
        FieldConds& fc = conds_for(f, slot);
        fc.ins.emplace_back(c->args.begin() + 1, c->args.end());
        fc.absorbed += fc.ins.size() == 1;
        fc.equality = true;
        fc.null_rejecting = true;
        for (size_t i = 1; i < c->args.size(); ++i)
          fc.correlated = fc.correlated || c->args[i].uses_outer;
      }
    } else if (c->kind == BExpr::Kind::kBetween && !c->negated &&
               IsOwnColumn(c->args[0], *level, &f, &slot) && f->indexed && IsKey(c->args[1]) &&
               IsKey(c->args[2])) {
      FieldConds& fc = conds_for(f, slot);
      fc.bounds.emplace_back(Op::kGe, c->args[1]);
      fc.bounds.emplace_back(Op::kLe, c->args[2]);
      ++fc.absorbed;
      fc.null_rejecting = true;
      fc.correlated = fc.correlated || c->args[1].uses_outer || c->args[2].uses_outer;
    } else if (c->kind == BExpr::Kind::kLike && !c->negated &&
               IsOwnColumn(c->args[0], *level, &f, &slot) && f->indexed &&
               f->type == FieldType::kString && IsKey(c->args[1])) {
      FieldConds& fc = conds_for(f, slot);
      fc.likes.push_back(c->args[1]);
      fc.null_rejecting = true;
      fc.correlated = fc.correlated || c->args[1].uses_outer;
    } else if (c->kind == BExpr::Kind::kIsNull && c->negated &&
               IsOwnColumn(c->args[0], *level, &f, &slot) && f->indexed) {
      FieldConds& fc = conds_for(f, slot);
      fc.null_rejecting = true;
      ++fc.absorbed;  // the index holds no NULLs
    }
  }

  // The single ORDER BY key an index can produce. `ORDER BY f, id` counts as
  // `ORDER BY f` when id goes the same way as f: an index yields equal values
  // in id order of its direction, which is how the sort breaks ties (by id,
  // in the last key's direction), and the NULLs appended after it follow in
  // that same id order. (id is never NULL: its NULLS FIRST changes nothing.)
  const FieldInfo* order_field = nullptr;
  int order_slot = -1;
  bool order_desc = false;
  bool order_by_id = false;
  bool then_id = level->order.size() == 2 && IsOwnId(level->order[1].expr) &&
                 level->order[1].descending == level->order[0].descending;
  if ((level->order.size() == 1 || then_id) && !level->order[0].nulls_first && !level->aggregate) {
    const BExpr& k = level->order[0].expr;
    const FieldInfo* f = nullptr;
    int slot = -1;
    if (IsOwnColumn(k, *level, &f, &slot) && f->indexed) {
      order_field = f;
      order_slot = slot;
      order_desc = level->order[0].descending;
    } else if (IsOwnId(k) && !level->order[0].descending) {
      order_by_id = true;
    }
  }

  if (!point_keys.empty()) {
    a.kind = AccessPath::Kind::kPoint;
    a.keys = std::move(point_keys);
    a.correlated = point_correlated;
  } else if (ref_key != nullptr) {
    a.kind = AccessPath::Kind::kRefSeek;
    a.field = ref_field;
    a.field_column = ref_slot;
    a.keys.push_back(*ref_key);
    a.correlated = true;
  } else {
    const FieldConds* pick = nullptr;
    auto rank = [&](const FieldConds& fc) {
      if (fc.equality && fc.field->unique)
        return 5;
      if (fc.equality)
        return 4;
      if (fc.field == order_field && level->limit)
        return 3;
      if (!fc.bounds.empty() || !fc.likes.empty())
        return 2;
      return 0;
    };
    for (const FieldConds& fc : fields)
      if (rank(fc) > 0 && (pick == nullptr || rank(fc) > rank(*pick)))
        pick = &fc;
    bool order_first = order_field != nullptr && level->limit &&
                       (pick == nullptr || (rank(*pick) < 4 && pick->field != order_field));
    if (order_first || (pick == nullptr && order_field != nullptr)) {
      a.kind = AccessPath::Kind::kIndexRange;
      a.field = order_field;
      a.field_column = order_slot;
      for (const FieldConds& fc : fields)
        if (fc.field == order_field)
          pick = &fc;
      if (pick != nullptr && pick->field != order_field)
        pick = nullptr;
    } else if (pick != nullptr) {
      a.kind = AccessPath::Kind::kIndexRange;
      a.field = pick->field;
      a.field_column = pick->slot;
    } else {
      a.kind = AccessPath::Kind::kTypeScan;
      a.provides_order = order_by_id || level->order.empty();
      a.covers_filter = conj.empty();
    }
    if (a.kind == AccessPath::Kind::kIndexRange) {
      if (pick != nullptr) {
        a.bounds = pick->bounds;
        a.like_patterns = pick->likes;
        a.in_lists = pick->ins;
        a.correlated = pick->correlated;
        a.covers_filter = pick->absorbed == conj.size();
      } else {
        a.covers_filter = conj.empty();
      }
      if (a.field == order_field) {
        a.provides_order = true;
        a.descending = order_desc;
        a.append_nulls = !(pick != nullptr && pick->null_rejecting) && !a.field->required;
      }
    }
  }
  if (level->order.empty() && a.kind != AccessPath::Kind::kNone)
    a.provides_order = true;  // no order asked: any order is the order
  a.describe = Describe(*level, a);
}

}  // namespace trine::treeql
