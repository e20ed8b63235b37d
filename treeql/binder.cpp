// Binding: names to attributes, paths to columns and reference scopes,
// sub-queries to nested levels. Name resolution (README.md, "TreeQL"):
//
// - The first step of a path is an alias of an enclosing query (innermost
//   first), else an attribute of the innermost query's type, else of an
//   enclosing query's type (correlation by bare name, as in SQL).
// - `id` is the subject id, unless the type declares an attribute named id.
// - `a.b` follows the reference `a` (a declared REF field) to its target.
// - `x<-Post.author` stands for `[SELECT p FROM Post AS p WHERE p.author = x]`,
//   and `x<-Post.author.title` for the same with `p.title` as the value.
#include "treeql/binder.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "treeql/ops.h"
#include "trine/schema.h"

namespace trine::treeql {
namespace {

ValueType StaticType(const FieldInfo& f) {
  switch (f.type) {
    case FieldType::kBool:
      return ValueType::kBool;
    case FieldType::kInt:
      return ValueType::kInt;
    case FieldType::kFloat:
      return ValueType::kFloat;
    case FieldType::kDecimal:
      return ValueType::kDecimal;
    case FieldType::kString:
      return ValueType::kString;
    case FieldType::kBytes:
      return ValueType::kBytes;
    case FieldType::kTime:
      return ValueType::kTimestamp;
    case FieldType::kRef:
      return ValueType::kRef;
    case FieldType::kAny:
      return ValueType::kNull;
  }
  return ValueType::kNull;
}

std::string TypeWord(ValueType t) {
  return std::string(ValueTypeName(t));
}

bool IsComparison(Op op) {
  return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe || op == Op::kGt ||
         op == Op::kGe;
}

// References from one level deeper: a bound expression moved into a nested
// level (the correlation of a reverse path) sees its columns one level up.
void ShiftUp(BExpr* e) {
  if (e->kind == BExpr::Kind::kColumn || e->kind == BExpr::Kind::kSubject) {
    ++e->up;
    e->uses_outer = true;
    e->uses_row = false;
  }
  for (BExpr& a : e->args)
    ShiftUp(&a);
}

BExpr Typed(ValueType t) {
  BExpr e;
  e.static_type = t;
  return e;
}

void Merge(BExpr* into, const BExpr& from) {
  into->uses_outer = into->uses_outer || from.uses_outer;
  into->uses_row = into->uses_row || from.uses_row;
  into->uses_agg = into->uses_agg || from.uses_agg;
}

// The same bound expression (for matching GROUP BY keys in the projection).
bool SameExpr(const BExpr& a, const BExpr& b) {
  if (a.kind != b.kind || a.up != b.up || a.slot != b.slot || a.scope != b.scope || a.op != b.op ||
      a.negated != b.negated || a.param != b.param || a.agg != b.agg || a.distinct != b.distinct ||
      a.args.size() != b.args.size() || a.keys != b.keys)
    return false;
  if (a.kind == BExpr::Kind::kConst && !(a.value == b.value && a.value.type() == b.value.type()))
    return false;
  if (a.kind == BExpr::Kind::kSubquery || a.kind == BExpr::Kind::kAggSub)
    return false;  // nested levels are never shared
  for (size_t i = 0; i < a.args.size(); ++i)
    if (!SameExpr(a.args[i], b.args[i]))
      return false;
  return true;
}

class Binder {
 public:
  Binder(Database& db, uint32_t* error_pos) : db_(db), error_pos_(error_pos) {}

  Status BindStatement(const ast::Statement& st, Plan* plan);

 private:
  Status Fail(uint32_t pos, std::string message) {
    *error_pos_ = pos;
    return Status::InvalidArgument(message);
  }

  Result<TypeInfo> LoadType(const std::string& name, uint32_t pos);
  Status BindQuery(const ast::Query& q, Level* level);
  Status BindShape(const ast::Shape& shape, Level* level, ShapeOut* out);
  Result<BExpr> BindExpr(const ast::Expr& e);
  Result<BExpr> BindPath(const ast::Expr& e);
  Result<BExpr> BindCall(const ast::Expr& e);
  Result<BExpr> BindSubquery(const ast::Query& q, ast::Expr::Form form, uint32_t pos);
  Result<BExpr> BindCondition(const ast::Expr& e, const char* clause);
  // In a grouped query: replaces the parts of `e` (outside aggregates) that
  // are GROUP BY keys by references to the group's key; any other use of the
  // row there is an error.
  Status UseGroupKeys(BExpr* e, const Level& level, const char* clause);
  Status CheckComparable(const BExpr& a, const BExpr& b, uint32_t pos);
  Status CoerceLiteral(BExpr* literal, const BExpr& other);

  // Scope walking for paths.
  struct Cursor {
    int up = 0;
    int scope = -1;
    std::string type;
  };
  Result<BExpr> FollowSteps(Cursor at, const std::vector<ast::PathStep>& steps, size_t from);
  Result<BExpr> ReverseStep(const BExpr& subject, const std::string& subject_type,
                            const std::vector<ast::PathStep>& steps, size_t at);
  const TypeInfo& TypeOf(int up, const std::string& type);
  int ColumnSlot(Level* level, int scope, const FieldInfo* field, const std::string& type,
                 const std::string& label);
  Level* LevelAt(int up) { return stack_[stack_.size() - 1 - static_cast<size_t>(up)]; }
  // A reference `up` levels out makes the levels in between correlated.
  void MarkCorrelated(int up) {
    for (int i = 0; i < up; ++i)
      LevelAt(i)->correlated = true;
  }

  Database& db_;
  uint32_t* error_pos_;
  std::vector<Level*> stack_;  // enclosing levels, innermost last
  Phase phase_ = Phase::kOutput;
  int agg_depth_ = 0;
  Plan* plan_ = nullptr;
  std::vector<std::string> named_params_;
  int positional_params_ = 0;
  // Types loaded so far, by name (TypeInfo copies own the FieldInfo the
  // plan points at).
  std::vector<std::unique_ptr<TypeInfo>> types_;
};

Result<TypeInfo> Binder::LoadType(const std::string& name, uint32_t pos) {
  std::optional<TypeInfo> t = db_.FindType(name);
  if (!t)
    return Fail(pos, "unknown type '" + name + "'");
  return std::move(*t);
}

const TypeInfo& Binder::TypeOf(int up, const std::string& type) {
  Level* l = LevelAt(up);
  if (l->type == type)
    return l->type_info;
  for (const auto& t : types_)
    if (t->name == type)
      return *t;
  std::optional<TypeInfo> ti = db_.FindType(type);
  types_.push_back(std::make_unique<TypeInfo>(ti ? std::move(*ti) : TypeInfo{}));
  return *types_.back();
}

int Binder::ColumnSlot(Level* level, int scope, const FieldInfo* field, const std::string& type,
                       const std::string& label) {
  for (size_t i = 0; i < level->columns.size(); ++i) {
    Column& c = level->columns[i];
    if (c.scope == scope && c.field->number == field->number && c.type == type) {
      c.phase = std::min(c.phase, phase_);
      return static_cast<int>(i);
    }
  }
  Column c;
  c.scope = scope;
  c.field = field;
  c.type = type;
  c.label = label;
  c.phase = phase_;
  level->columns.push_back(std::move(c));
  return static_cast<int>(level->columns.size() - 1);
}

Status Binder::BindStatement(const ast::Statement& st, Plan* plan) {
  plan_ = plan;
  plan->kind = st.kind;
  plan->pos = st.pos;
  using K = ast::Statement::Kind;
  switch (st.kind) {
    case K::kSelect:
    case K::kExplain: {
      plan->query = std::make_unique<Level>();
      TRINE_RETURN_IF_ERROR(BindQuery(st.query, plan->query.get()));
      plan->scalar =
          plan->query->type.empty() || (plan->query->aggregate && plan->query->group_by.empty());
      break;
    }
    case K::kInsert: {
      TRINE_ASSIGN_OR_RETURN(TypeInfo t, LoadType(st.type, st.type_pos));
      plan->type = t.name;
      plan->values = std::make_unique<Level>();
      plan->values->access.kind = AccessPath::Kind::kNone;
      plan->values->out.is_shape = true;
      stack_.push_back(plan->values.get());
      for (const ast::ShapeItem& item : st.values.items) {
        if (item.kind != ast::ShapeItem::Kind::kKeyed)
          return Fail(item.pos, "INSERT takes `attribute: value` pairs");
        if (FindAttribute(t, item.key) == nullptr && (t.strict || item.key[0] == '#'))
          return Fail(item.pos, "unknown attribute '" + item.key + "' of STRICT type " + t.name);
        for (const std::string& f : plan->fields)
          if (f == item.key)
            return Fail(item.pos, "attribute '" + item.key + "' is given twice");
        TRINE_ASSIGN_OR_RETURN(BExpr v, BindExpr(item.expr));
        if (const FieldInfo* f = FindAttribute(t, item.key))
          TRINE_RETURN_IF_ERROR(CoerceLiteral(&v, Typed(StaticType(*f))));
        plan->fields.push_back(item.key);
        plan->field_pos.push_back(item.pos);
        plan->values->out.keys.push_back(item.key);
        plan->values->out.values.push_back(std::move(v));
      }
      stack_.pop_back();
      break;
    }
    case K::kUpdate:
    case K::kDelete: {
      ast::Query q;
      q.pos = st.pos;
      q.type = st.type;
      q.type_pos = st.type_pos;
      q.alias = st.alias;
      q.where = st.where;
      q.shape = std::make_shared<ast::Shape>();
      for (const ast::Assignment& a : st.assignments) {
        ast::ShapeItem item;
        item.kind = ast::ShapeItem::Kind::kKeyed;
        item.pos = a.pos;
        item.key = a.field;
        item.expr = a.value;
        q.shape->items.push_back(std::move(item));
      }
      plan->query = std::make_unique<Level>();
      TRINE_RETURN_IF_ERROR(BindQuery(q, plan->query.get()));
      if (plan->query->aggregate)
        return Fail(st.pos, "aggregates are not allowed in " +
                                std::string(st.kind == K::kUpdate ? "UPDATE" : "DELETE"));
      plan->type = plan->query->type;
      for (const ast::Assignment& a : st.assignments) {
        const FieldInfo* f = FindAttribute(plan->query->type_info, a.field);
        if (f == nullptr && (plan->query->type_info.strict || a.field[0] == '#'))
          return Fail(a.pos, plan->type + " has no attribute '" + a.field + "'");
        if (f != nullptr && f->state == FieldInfo::State::kRetired)
          return Fail(a.pos, plan->type + "." + a.field + " is retired");
        plan->fields.push_back(a.field);
        plan->field_pos.push_back(a.pos);
      }
      break;
    }
    case K::kSet:
    case K::kRetract: {
      TRINE_ASSIGN_OR_RETURN(TypeInfo t, LoadType(st.triple.type, st.triple.type_pos));
      plan->type = t.name;
      const FieldInfo* f = FindAttribute(t, st.triple.field);
      if (f == nullptr && (t.strict || st.kind == K::kRetract || st.triple.field[0] == '#'))
        return Fail(st.triple.field_pos, t.name + " has no attribute '" + st.triple.field + "'");
      plan->fields.push_back(f != nullptr ? f->name : st.triple.field);
      plan->field_pos.push_back(st.triple.field_pos);
      plan->values = std::make_unique<Level>();
      plan->values->access.kind = AccessPath::Kind::kNone;
      plan->values->out.is_shape = true;
      stack_.push_back(plan->values.get());
      TRINE_ASSIGN_OR_RETURN(BExpr id, BindExpr(st.triple.subject));
      plan->values->out.keys.push_back("id");
      plan->values->out.values.push_back(std::move(id));
      if (st.kind == K::kSet) {
        TRINE_ASSIGN_OR_RETURN(BExpr v, BindExpr(*st.value));
        if (f != nullptr)
          TRINE_RETURN_IF_ERROR(CoerceLiteral(&v, Typed(StaticType(*f))));
        plan->values->out.keys.push_back("value");
        plan->values->out.values.push_back(std::move(v));
      }
      stack_.pop_back();
      break;
    }
    default:
      return Fail(st.pos, "statement cannot be bound");
  }
  plan->param_count = positional_params_;
  plan->param_names = named_params_;
  plan->schema_version = db_.schema_version();
  plan->types = std::move(types_);
  return Status::OK();
}

Status Binder::BindQuery(const ast::Query& q, Level* level) {
  level->pos = q.pos;
  if (!q.type.empty()) {
    TRINE_ASSIGN_OR_RETURN(level->type_info, LoadType(q.type, q.type_pos));
    level->type = level->type_info.name;
    level->alias = q.alias;
    if (!q.alias.empty())
      for (Level* outer : stack_)
        if (outer->alias == q.alias)
          return Fail(q.alias_pos, "alias '" + q.alias + "' is already used by an enclosing query");
  } else {
    level->access.kind = AccessPath::Kind::kNone;
  }
  stack_.push_back(level);
  Phase saved = phase_;
  phase_ = Phase::kFilter;
  if (q.where) {
    TRINE_ASSIGN_OR_RETURN(BExpr w, BindCondition(*q.where, "WHERE"));
    level->where = std::move(w);
  }
  // GROUP BY keys are read for every row that passes WHERE, like the
  // inputs of aggregates.
  phase_ = Phase::kOutput;
  for (const ast::Expr& g : q.group_by) {
    if (level->type.empty())
      return Fail(q.group_pos, "GROUP BY needs FROM");
    TRINE_ASSIGN_OR_RETURN(BExpr k, BindExpr(g));
    if (k.uses_agg)
      return Fail(g.pos, "aggregates are not allowed in GROUP BY");
    if (k.kind == BExpr::Kind::kSubquery || k.kind == BExpr::Kind::kShape ||
        k.kind == BExpr::Kind::kList)
      return Fail(g.pos, "GROUP BY needs single values");
    level->group_by.push_back(std::move(k));
  }
  bool grouped = !level->group_by.empty();
  phase_ = grouped ? Phase::kOutput : Phase::kSort;
  for (const ast::OrderItem& o : q.order_by) {
    TRINE_ASSIGN_OR_RETURN(BExpr k, BindExpr(o.expr));
    if (grouped) {
      // Groups are ordered by their keys and aggregates.
      TRINE_RETURN_IF_ERROR(UseGroupKeys(&k, *level, "ORDER BY"));
    } else if (k.uses_agg) {
      return Fail(o.pos, "aggregates are not allowed in ORDER BY");
    }
    OrderKey key;
    key.expr = std::move(k);
    key.descending = o.descending;
    key.nulls_first = o.nulls == ast::OrderItem::Nulls::kFirst;
    level->order.push_back(std::move(key));
  }
  phase_ = Phase::kOutput;
  for (auto [src, dst] : {std::pair{&q.limit, &level->limit}, {&q.offset, &level->offset}}) {
    if (!*src)
      continue;
    TRINE_ASSIGN_OR_RETURN(BExpr e, BindExpr(**src));
    if (e.uses_row || e.uses_agg)
      return Fail((*src)->pos, "LIMIT and OFFSET cannot depend on the rows they limit");
    if (e.static_type != ValueType::kNull && e.static_type != ValueType::kInt)
      return Fail((*src)->pos, "LIMIT and OFFSET take an int, not " + TypeWord(e.static_type));
    *dst = std::move(e);
  }
  if (q.shape) {
    TRINE_RETURN_IF_ERROR(BindShape(*q.shape, level, &level->out));
  } else if (q.expr) {
    TRINE_ASSIGN_OR_RETURN(BExpr e, BindExpr(*q.expr));
    level->out.is_shape = false;
    level->out.values.push_back(std::move(e));
  } else {
    return Fail(q.pos, "SELECT needs a shape or an expression");
  }
  // An aggregate query (count(*), sum(x), ... over its rows) returns one
  // result; every row reference must then be inside an aggregate.
  bool agg = grouped;
  for (const BExpr& v : level->out.values)
    agg = agg || v.uses_agg;
  if (grouped) {
    for (BExpr& v : level->out.values)
      TRINE_RETURN_IF_ERROR(UseGroupKeys(&v, *level, "the projection"));
    level->aggregate = true;
  } else if (agg) {
    if (level->type.empty())
      return Fail(q.pos, "aggregates over rows need FROM");
    for (size_t i = 0; i < level->out.values.size(); ++i)
      if (level->out.values[i].uses_row)
        return Fail(level->out.values[i].pos,
                    "with aggregates, a row's attributes can only be used inside count, sum, "
                    "avg, min or max");
    level->aggregate = true;
  }
  stack_.pop_back();
  phase_ = saved;
  ChooseAccessPath(level);
  return Status::OK();
}

Status Binder::BindShape(const ast::Shape& shape, Level* level, ShapeOut* out) {
  out->is_shape = true;
  auto add = [&](std::string key, BExpr v, uint32_t pos) -> Status {
    for (const std::string& k : out->keys)
      if (k == key)
        return Fail(pos, "key '" + key + "' appears twice in the shape");
    out->keys.push_back(std::move(key));
    out->values.push_back(std::move(v));
    return Status::OK();
  };
  for (const ast::ShapeItem& item : shape.items) {
    switch (item.kind) {
      case ast::ShapeItem::Kind::kKeyed: {
        TRINE_ASSIGN_OR_RETURN(BExpr v, BindExpr(item.expr));
        TRINE_RETURN_IF_ERROR(add(item.key, std::move(v), item.pos));
        break;
      }
      case ast::ShapeItem::Kind::kPath: {
        const ast::PathStep& last = item.expr.path.back();
        if (!last.reverse_type.empty())
          return Fail(item.pos, "give this item a key: `name: " + std::string("...<-") +
                                    last.reverse_type + "." + last.name + "`");
        TRINE_ASSIGN_OR_RETURN(BExpr v, BindExpr(item.expr));
        TRINE_RETURN_IF_ERROR(add(last.name, std::move(v), item.pos));
        break;
      }
      case ast::ShapeItem::Kind::kStar: {
        if (level->type.empty())
          return Fail(item.pos, "`*` needs FROM");
        BExpr id;
        id.kind = BExpr::Kind::kSubject;
        id.pos = item.pos;
        id.static_type = ValueType::kRef;
        id.uses_row = true;
        TRINE_RETURN_IF_ERROR(add("id", std::move(id), item.pos));
        for (const FieldInfo& f : level->type_info.fields) {
          if (f.state == FieldInfo::State::kRetired)
            continue;
          BExpr c;
          c.kind = BExpr::Kind::kColumn;
          c.pos = item.pos;
          c.slot = ColumnSlot(level, -1, &f, level->type, f.name);
          c.static_type = StaticType(f);
          c.ref_type = f.ref_type;
          c.uses_row = true;
          TRINE_RETURN_IF_ERROR(add(f.name, std::move(c), item.pos));
        }
        break;
      }
    }
  }
  return Status::OK();
}

Status Binder::UseGroupKeys(BExpr* e, const Level& level, const char* clause) {
  std::function<void(BExpr*)> replace = [&](BExpr* x) {
    if (x->kind == BExpr::Kind::kAgg)
      return;
    for (size_t k = 0; k < level.group_by.size(); ++k) {
      if (SameExpr(*x, level.group_by[k])) {
        BExpr g;
        g.kind = BExpr::Kind::kGroupKey;
        g.pos = x->pos;
        g.slot = static_cast<int>(k);
        g.static_type = x->static_type;
        g.ref_type = x->ref_type;
        *x = std::move(g);
        return;
      }
    }
    for (BExpr& a : x->args)
      replace(&a);
  };
  replace(e);
  std::function<const BExpr*(const BExpr&)> offender = [&](const BExpr& x) -> const BExpr* {
    if (x.kind == BExpr::Kind::kAgg || x.kind == BExpr::Kind::kGroupKey)
      return nullptr;
    if (((x.kind == BExpr::Kind::kColumn || x.kind == BExpr::Kind::kSubject) && x.up == 0) ||
        ((x.kind == BExpr::Kind::kSubquery || x.kind == BExpr::Kind::kAggSub) && x.uses_row))
      return &x;
    for (const BExpr& a : x.args)
      if (const BExpr* o = offender(a))
        return o;
    return nullptr;
  };
  if (const BExpr* o = offender(*e))
    return Fail(o->pos, std::string("with GROUP BY, ") + clause +
                            " can use a row's attributes only as GROUP BY keys or inside count, "
                            "sum, avg, min or max");
  e->uses_row = false;  // every use of the row is inside an aggregate or a key
  return Status::OK();
}

Result<BExpr> Binder::BindCondition(const ast::Expr& e, const char* clause) {
  TRINE_ASSIGN_OR_RETURN(BExpr b, BindExpr(e));
  if (b.uses_agg)
    return Fail(e.pos, std::string("aggregates are not allowed in ") + clause +
                           " (use a sub-query: count(SELECT ...))");
  if (b.static_type != ValueType::kNull && b.static_type != ValueType::kBool)
    return Fail(e.pos,
                std::string(clause) + " needs a condition (bool), not " + TypeWord(b.static_type));
  return b;
}

Status Binder::CheckComparable(const BExpr& a, const BExpr& b, uint32_t pos) {
  if (!Comparable(a.static_type, b.static_type))
    return Fail(pos, "type mismatch: cannot compare " + TypeWord(a.static_type) + " with " +
                         TypeWord(b.static_type));
  return Status::OK();
}

// `joined > '2024-01-01T00:00:00Z'`: the literal becomes a timestamp now, so
// a bad one is reported at its position and the index can use it.
Status Binder::CoerceLiteral(BExpr* literal, const BExpr& other) {
  if (literal->kind != BExpr::Kind::kConst)
    return Status::OK();
  if (other.static_type == ValueType::kTimestamp && literal->value.type() == ValueType::kString) {
    Result<int64_t> t = ParseTimestamp(literal->value.as_string());
    if (!t.ok())
      return Fail(literal->pos, t.status().message());
    literal->value = Value::Time(*t);
    literal->static_type = ValueType::kTimestamp;
  }
  return Status::OK();
}

Result<BExpr> Binder::BindExpr(const ast::Expr& e) {
  using K = ast::Expr::Kind;
  BExpr b;
  b.pos = e.pos;
  switch (e.kind) {
    case K::kLiteral:
      b.kind = BExpr::Kind::kConst;
      b.value = e.literal;
      b.static_type = e.literal.type();
      return b;
    case K::kParam:
      b.kind = BExpr::Kind::kParam;
      if (e.param_name.empty()) {
        b.param = e.param_index;
        positional_params_ = std::max(positional_params_, e.param_index + 1);
      } else {
        auto it = std::find(named_params_.begin(), named_params_.end(), e.param_name);
        if (it == named_params_.end()) {
          named_params_.push_back(e.param_name);
          it = named_params_.end() - 1;
        }
        b.param = kNamedParamBase + static_cast<int>(it - named_params_.begin());
      }
      return b;
    case K::kPath:
      return BindPath(e);
    case K::kUnary: {
      TRINE_ASSIGN_OR_RETURN(BExpr a, BindExpr(e.args[0]));
      b.kind = BExpr::Kind::kUnary;
      b.op = e.op;
      Merge(&b, a);
      if (e.op == Op::kNot) {
        if (a.static_type != ValueType::kNull && a.static_type != ValueType::kBool)
          return Fail(e.args[0].pos, "NOT needs a bool, not " + TypeWord(a.static_type));
        b.static_type = ValueType::kBool;
      } else {
        if (a.static_type != ValueType::kNull && !IsNumeric(a.static_type))
          return Fail(e.args[0].pos, "cannot negate " + TypeWord(a.static_type));
        b.static_type = a.static_type;
      }
      b.args.push_back(std::move(a));
      return b;
    }
    case K::kBinary: {
      TRINE_ASSIGN_OR_RETURN(BExpr l, BindExpr(e.args[0]));
      TRINE_ASSIGN_OR_RETURN(BExpr r, BindExpr(e.args[1]));
      b.kind = BExpr::Kind::kBinary;
      b.op = e.op;
      Merge(&b, l);
      Merge(&b, r);
      if (e.op == Op::kAnd || e.op == Op::kOr) {
        for (const BExpr* x : {&l, &r})
          if (x->static_type != ValueType::kNull && x->static_type != ValueType::kBool)
            return Fail(x->pos, std::string(OpText(e.op)) + " needs bools, not " +
                                    TypeWord(x->static_type));
        b.static_type = ValueType::kBool;
      } else if (IsComparison(e.op)) {
        TRINE_RETURN_IF_ERROR(CoerceLiteral(&l, r));
        TRINE_RETURN_IF_ERROR(CoerceLiteral(&r, l));
        TRINE_RETURN_IF_ERROR(CheckComparable(l, r, e.pos));
        b.static_type = ValueType::kBool;
      } else if (e.op == Op::kConcat) {
        b.static_type = ValueType::kString;
      } else {
        for (const BExpr* x : {&l, &r})
          if (x->static_type != ValueType::kNull && !IsNumeric(x->static_type))
            return Fail(e.pos, "type mismatch: cannot apply " + std::string(OpText(e.op)) + " to " +
                                   TypeWord(l.static_type) + " and " + TypeWord(r.static_type));
        if (l.static_type == ValueType::kNull || r.static_type == ValueType::kNull)
          b.static_type = ValueType::kNull;
        else if (l.static_type == ValueType::kFloat || r.static_type == ValueType::kFloat)
          b.static_type = ValueType::kFloat;
        else if (e.op == Op::kDiv &&
                 (l.static_type == ValueType::kDecimal || r.static_type == ValueType::kDecimal))
          b.static_type = ValueType::kFloat;
        else if (l.static_type == ValueType::kDecimal || r.static_type == ValueType::kDecimal)
          b.static_type = ValueType::kDecimal;
        else
          b.static_type = ValueType::kInt;
      }
      b.args.push_back(std::move(l));
      b.args.push_back(std::move(r));
      return b;
    }
    case K::kIsNull: {
      TRINE_ASSIGN_OR_RETURN(BExpr a, BindExpr(e.args[0]));
      b.kind = BExpr::Kind::kIsNull;
      b.negated = e.negated;
      b.static_type = ValueType::kBool;
      Merge(&b, a);
      b.args.push_back(std::move(a));
      return b;
    }
    case K::kIn: {
      TRINE_ASSIGN_OR_RETURN(BExpr a, BindExpr(e.args[0]));
      b.kind = BExpr::Kind::kIn;
      b.negated = e.negated;
      b.static_type = ValueType::kBool;
      Merge(&b, a);
      b.args.push_back(std::move(a));
      if (e.query) {
        TRINE_ASSIGN_OR_RETURN(BExpr s, BindSubquery(*e.query, ast::Expr::Form::kArray, e.pos));
        if (LevelAt(0)->nested[static_cast<size_t>(s.slot)]->out.is_shape)
          return Fail(e.query->pos, "IN (SELECT ...) needs a sub-query of single values");
        b.slot = s.slot;
        Merge(&b, s);
      } else {
        for (size_t i = 1; i < e.args.size(); ++i) {
          TRINE_ASSIGN_OR_RETURN(BExpr x, BindExpr(e.args[i]));
          TRINE_RETURN_IF_ERROR(CoerceLiteral(&x, b.args[0]));
          TRINE_RETURN_IF_ERROR(CheckComparable(b.args[0], x, e.args[i].pos));
          Merge(&b, x);
          b.args.push_back(std::move(x));
        }
      }
      return b;
    }
    case K::kLike: {
      TRINE_ASSIGN_OR_RETURN(BExpr a, BindExpr(e.args[0]));
      TRINE_ASSIGN_OR_RETURN(BExpr p, BindExpr(e.args[1]));
      for (const BExpr* x : {&a, &p})
        if (x->static_type != ValueType::kNull && x->static_type != ValueType::kString)
          return Fail(x->pos, "LIKE needs strings, not " + TypeWord(x->static_type));
      b.kind = BExpr::Kind::kLike;
      b.negated = e.negated;
      b.static_type = ValueType::kBool;
      Merge(&b, a);
      Merge(&b, p);
      b.args.push_back(std::move(a));
      b.args.push_back(std::move(p));
      return b;
    }
    case K::kBetween: {
      b.kind = BExpr::Kind::kBetween;
      b.negated = e.negated;
      b.static_type = ValueType::kBool;
      for (const ast::Expr& x : e.args) {
        TRINE_ASSIGN_OR_RETURN(BExpr bx, BindExpr(x));
        Merge(&b, bx);
        b.args.push_back(std::move(bx));
      }
      TRINE_RETURN_IF_ERROR(CoerceLiteral(&b.args[1], b.args[0]));
      TRINE_RETURN_IF_ERROR(CoerceLiteral(&b.args[2], b.args[0]));
      TRINE_RETURN_IF_ERROR(CheckComparable(b.args[0], b.args[1], e.args[1].pos));
      TRINE_RETURN_IF_ERROR(CheckComparable(b.args[0], b.args[2], e.args[2].pos));
      return b;
    }
    case K::kCase: {
      b.kind = BExpr::Kind::kCase;
      b.has_else = e.has_else;
      size_t pairs = (e.args.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < e.args.size(); ++i) {
        bool is_when = i < pairs * 2 && i % 2 == 0;
        TRINE_ASSIGN_OR_RETURN(BExpr x,
                               is_when ? BindCondition(e.args[i], "WHEN") : BindExpr(e.args[i]));
        Merge(&b, x);
        if (!is_when) {
          if (b.args.size() == 1)
            b.static_type = x.static_type;
          else if (b.static_type != x.static_type)
            b.static_type = ValueType::kNull;
        }
        b.args.push_back(std::move(x));
      }
      return b;
    }
    case K::kCall:
      return BindCall(e);
    case K::kSubquery:
      return BindSubquery(*e.query, e.form, e.pos);
    case K::kList: {
      b.kind = BExpr::Kind::kList;
      for (const ast::Expr& x : e.args) {
        TRINE_ASSIGN_OR_RETURN(BExpr bx, BindExpr(x));
        Merge(&b, bx);
        b.args.push_back(std::move(bx));
      }
      return b;
    }
    case K::kShape: {
      b.kind = BExpr::Kind::kShape;
      ShapeOut out;
      TRINE_RETURN_IF_ERROR(BindShape(*e.shape, LevelAt(0), &out));
      b.keys = std::move(out.keys);
      for (BExpr& v : out.values) {
        Merge(&b, v);
        b.args.push_back(std::move(v));
      }
      return b;
    }
  }
  return Fail(e.pos, "unsupported expression");
}

Result<BExpr> Binder::BindCall(const ast::Expr& e) {
  const std::string& name = e.name;
  BExpr b;
  b.pos = e.pos;
  Agg agg;
  if (name == "count")
    agg = e.star ? Agg::kCountStar : Agg::kCount;
  else if (name == "exists")
    agg = Agg::kExists;
  else if (name == "sum")
    agg = Agg::kSum;
  else if (name == "avg")
    agg = Agg::kAvg;
  else if (name == "min")
    agg = Agg::kMin;
  else if (name == "max")
    agg = Agg::kMax;
  else
    return Fail(e.pos, "unknown function '" + name + "'");
  b.agg = agg;
  b.distinct = e.distinct;
  // Over a sub-query: one value per row of the enclosing query.
  std::optional<BExpr> sub;
  if (e.query) {
    TRINE_ASSIGN_OR_RETURN(BExpr s, BindSubquery(*e.query, ast::Expr::Form::kArray, e.pos));
    sub = std::move(s);
  } else if (!e.star && e.args.size() == 1 && e.args[0].kind == ast::Expr::Kind::kPath &&
             !e.args[0].path.back().reverse_type.empty()) {
    TRINE_ASSIGN_OR_RETURN(BExpr s, BindExpr(e.args[0]));
    sub = std::move(s);
  }
  if (sub) {
    Level* nested = LevelAt(0)->nested[static_cast<size_t>(sub->slot)].get();
    if (agg != Agg::kCount && agg != Agg::kExists && nested->out.is_shape)
      return Fail(e.pos, name + "(SELECT ...) needs a sub-query of single values");
    if (agg == Agg::kCount || agg == Agg::kExists)
      nested->count_only = !e.distinct;
    nested->use = Level::Use::kAgg;
    nested->use_agg = agg;
    nested->use_distinct = e.distinct;
    nested->use_pos = e.pos;
    b.kind = BExpr::Kind::kAggSub;
    b.slot = sub->slot;
    b.uses_outer = sub->uses_outer;
    b.uses_row = sub->uses_row;
    b.static_type = (agg == Agg::kCount)    ? ValueType::kInt
                    : (agg == Agg::kExists) ? ValueType::kBool
                    : (agg == Agg::kAvg)    ? ValueType::kFloat
                                            : nested->out.values[0].static_type;
    return b;
  }
  if (agg == Agg::kExists)
    return Fail(e.pos, "exists takes a sub-query: exists(SELECT ...)");
  // Over the rows of this query (an aggregate query).
  if (LevelAt(0)->type.empty())
    return Fail(e.pos, name + "(...) over rows needs FROM");
  if (agg_depth_ > 0)
    return Fail(e.pos, "aggregates cannot be nested");
  b.kind = BExpr::Kind::kAgg;
  if (!e.star) {
    if (e.args.size() != 1)
      return Fail(e.pos, name + " takes one argument");
    ++agg_depth_;
    Result<BExpr> a = BindExpr(e.args[0]);
    --agg_depth_;
    if (!a.ok())
      return a.status();
    if ((agg == Agg::kSum || agg == Agg::kAvg) && a->static_type != ValueType::kNull &&
        !IsNumeric(a->static_type))
      return Fail(e.args[0].pos, name + " needs numbers, not " + TypeWord(a->static_type));
    b.static_type = (agg == Agg::kCount) ? ValueType::kInt
                    : (agg == Agg::kAvg) ? ValueType::kFloat
                                         : a->static_type;
    b.uses_outer = a->uses_outer;
    b.args.push_back(std::move(*a));
  } else {
    b.static_type = ValueType::kInt;
  }
  b.uses_agg = true;
  return b;
}

Result<BExpr> Binder::BindSubquery(const ast::Query& q, ast::Expr::Form form, uint32_t pos) {
  Level* parent = LevelAt(0);
  auto level = std::make_unique<Level>();
  TRINE_RETURN_IF_ERROR(BindQuery(q, level.get()));
  BExpr b;
  b.kind = BExpr::Kind::kSubquery;
  b.pos = pos;
  b.form = form;
  b.slot = static_cast<int>(parent->nested.size());
  // A sub-query is evaluated per row of its parent (conservatively: it may
  // refer to the row), and it counts as correlated to whatever its parent's
  // rows depend on.
  b.uses_row = true;
  if (form == ast::Expr::Form::kScalar && !level->out.is_shape && !level->out.values.empty())
    b.static_type = level->out.values[0].static_type;
  level->use = form == ast::Expr::Form::kScalar ? Level::Use::kScalar : Level::Use::kArray;
  level->use_pos = pos;
  parent->nested.push_back(std::move(level));
  parent->nested_phase.push_back(phase_);
  return b;
}

Result<BExpr> Binder::BindPath(const ast::Expr& e) {
  const std::vector<ast::PathStep>& steps = e.path;
  const ast::PathStep& first = steps[0];
  // An alias of an enclosing query, innermost first.
  for (int up = 0; up < static_cast<int>(stack_.size()); ++up) {
    Level* l = LevelAt(up);
    if (!l->alias.empty() && l->alias == first.name && first.reverse_type.empty()) {
      Cursor c{up, -1, l->type};
      if (steps.size() == 1 || !steps[1].reverse_type.empty()) {
        BExpr s;
        s.kind = BExpr::Kind::kSubject;
        s.pos = first.pos;
        s.up = up;
        s.scope = -1;
        s.static_type = ValueType::kRef;
        s.ref_type = l->type;
        (up == 0 ? s.uses_row : s.uses_outer) = true;
        MarkCorrelated(up);
        if (steps.size() == 1)
          return s;
        return ReverseStep(s, l->type, steps, 1);
      }
      MarkCorrelated(up);
      return FollowSteps(c, steps, 1);
    }
  }
  // An attribute of a query's type, innermost first.
  for (int up = 0; up < static_cast<int>(stack_.size()); ++up) {
    Level* l = LevelAt(up);
    if (l->type.empty())
      continue;
    bool is_id = first.name == "id" && l->type_info.FindField("id") == nullptr;
    const FieldInfo* f = FindAttribute(l->type_info, first.name);
    if (is_id || f != nullptr) {
      MarkCorrelated(up);
      return FollowSteps(Cursor{up, -1, l->type}, steps, 0);
    }
  }
  if (!first.reverse_type.empty())
    return Fail(first.pos, "a reverse step `<-" + first.reverse_type +
                               "` must follow an alias or a reference");
  Level* inner = LevelAt(0);
  if (inner->type.empty())
    return Fail(first.pos, "unknown name '" + first.name + "'");
  return Fail(first.pos, inner->type + " has no attribute '" + first.name + "'");
}

Result<BExpr> Binder::FollowSteps(Cursor at, const std::vector<ast::PathStep>& steps, size_t from) {
  BExpr cur;
  for (size_t i = from; i < steps.size(); ++i) {
    const ast::PathStep& st = steps[i];
    if (!st.reverse_type.empty())
      return ReverseStep(cur, at.type, steps, i);
    const TypeInfo& t = TypeOf(at.up, at.type);
    const FieldInfo* f = FindAttribute(t, st.name);
    bool last = i + 1 == steps.size();
    bool next_reverse = !last && !steps[i + 1].reverse_type.empty();
    if (f == nullptr && st.name == "id") {
      if (!last && !next_reverse)
        return Fail(steps[i + 1].pos, "'id' is not a reference");
      cur = BExpr{};
      cur.kind = BExpr::Kind::kSubject;
      cur.pos = st.pos;
      cur.up = at.up;
      cur.scope = at.scope;
      cur.static_type = ValueType::kRef;
      cur.ref_type = at.type;
      (at.up == 0 ? cur.uses_row : cur.uses_outer) = true;
      continue;
    }
    if (f == nullptr)
      return Fail(st.pos, at.type + " has no attribute '" + st.name + "'");
    Level* owner = LevelAt(at.up);
    std::string label =
        (at.scope >= 0
             ? owner->columns[static_cast<size_t>(
                                  owner->ref_scopes[static_cast<size_t>(at.scope)].source_column)]
                       .label +
                   "."
             : "") +
        f->name;
    int slot = ColumnSlot(owner, at.scope, f, at.type, label);
    cur = BExpr{};
    cur.kind = BExpr::Kind::kColumn;
    cur.pos = st.pos;
    cur.up = at.up;
    cur.slot = slot;
    cur.scope = at.scope;
    cur.static_type = StaticType(*f);
    cur.ref_type = f->ref_type;
    (at.up == 0 ? cur.uses_row : cur.uses_outer) = true;
    if (last || next_reverse)
      continue;
    if (f->type != FieldType::kRef || f->ref_type.empty())
      return Fail(steps[i + 1].pos, at.type + "." + f->name + " is not a reference");
    // Follow the reference: a scope over the subjects it points at.
    int scope = -1;
    for (size_t k = 0; k < owner->ref_scopes.size(); ++k)
      if (owner->ref_scopes[k].source_column == slot)
        scope = static_cast<int>(k);
    if (scope < 0) {
      owner->ref_scopes.push_back(RefScope{slot, f->ref_type});
      scope = static_cast<int>(owner->ref_scopes.size() - 1);
    }
    at = Cursor{at.up, scope, f->ref_type};
    if (TypeOf(at.up, at.type).name.empty())
      return Fail(st.pos, "unknown type '" + f->ref_type + "' in the reference " + f->name);
  }
  return cur;
}

Result<BExpr> Binder::ReverseStep(const BExpr& subject, const std::string& subject_type,
                                  const std::vector<ast::PathStep>& steps, size_t at) {
  const ast::PathStep& st = steps[at];
  if (subject.static_type != ValueType::kRef)
    return Fail(st.pos, "a reverse step `<-" + st.reverse_type + "` must follow a reference");
  Level* parent = LevelAt(0);
  auto level = std::make_unique<Level>();
  level->pos = st.pos;
  TRINE_ASSIGN_OR_RETURN(level->type_info, LoadType(st.reverse_type, st.pos));
  level->type = level->type_info.name;
  const FieldInfo* f = FindAttribute(level->type_info, st.name);
  if (f == nullptr)
    return Fail(st.pos, level->type + " has no attribute '" + st.name + "'");
  if (f->type != FieldType::kRef)
    return Fail(st.pos, level->type + "." + st.name + " is not a reference");
  if (!subject.ref_type.empty() && f->ref_type != subject.ref_type)
    return Fail(st.pos, level->type + "." + st.name + " refers to " + f->ref_type + ", not " +
                            subject_type);
  stack_.push_back(level.get());
  Phase saved = phase_;
  phase_ = Phase::kFilter;
  BExpr col;
  col.kind = BExpr::Kind::kColumn;
  col.pos = st.pos;
  col.slot = ColumnSlot(level.get(), -1, f, level->type, f->name);
  col.static_type = ValueType::kRef;
  col.uses_row = true;
  BExpr key = subject;
  ShiftUp(&key);
  level->correlated = true;
  BExpr eq;
  eq.kind = BExpr::Kind::kBinary;
  eq.op = Op::kEq;
  eq.pos = st.pos;
  eq.static_type = ValueType::kBool;
  eq.uses_row = true;
  eq.uses_outer = true;
  eq.args.push_back(std::move(col));
  eq.args.push_back(std::move(key));
  level->where = std::move(eq);
  phase_ = Phase::kOutput;
  level->out.is_shape = false;
  if (at + 1 < steps.size()) {
    Result<BExpr> v = FollowSteps(Cursor{0, -1, level->type}, steps, at + 1);
    if (!v.ok()) {
      stack_.pop_back();
      phase_ = saved;
      return v.status();
    }
    level->out.values.push_back(std::move(*v));
  } else {
    BExpr self;
    self.kind = BExpr::Kind::kSubject;
    self.pos = st.pos;
    self.static_type = ValueType::kRef;
    self.ref_type = level->type;
    self.uses_row = true;
    level->out.values.push_back(std::move(self));
  }
  stack_.pop_back();
  phase_ = saved;
  ChooseAccessPath(level.get());
  BExpr b;
  b.kind = BExpr::Kind::kSubquery;
  b.pos = st.pos;
  b.form = ast::Expr::Form::kArray;
  b.slot = static_cast<int>(parent->nested.size());
  b.uses_row = true;
  parent->nested.push_back(std::move(level));
  parent->nested_phase.push_back(phase_);
  return b;
}

}  // namespace

const FieldInfo* FindAttribute(const TypeInfo& type, std::string_view name) {
  if (!name.empty() && name[0] == '#') {
    uint64_t n = 0;
    for (char c : name.substr(1)) {
      if (c < '0' || c > '9' || n > (1ull << 40))
        return nullptr;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    return type.FindNumber(n);
  }
  return type.FindField(name);
}

Result<Plan> Bind(const ast::Statement& statement, Database& db, uint32_t* error_pos) {
  Plan plan;
  Binder binder(db, error_pos);
  TRINE_RETURN_IF_ERROR(binder.BindStatement(statement, &plan));
  return plan;
}

}  // namespace trine::treeql
