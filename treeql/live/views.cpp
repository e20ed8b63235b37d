// Views: named queries whose rows are stored as triples of their own type
// (schema files' `VIEW Name [MANUAL | ON COMMIT] AS SELECT ...`).
//
// A view is a type whose fields are its query's keys (a query of one value
// per row has the single field `value`). Its rows are entities of that type:
// a row of a list query takes the subject id of its source row; a GROUP BY
// row the id of its key (Executor::GroupId); an aggregate without GROUP BY
// is one row with the id of the empty key. Field values keep the query's
// value types (the fields are untyped), so reading a view gives exactly what
// the query gives.
//
// Refresh ON COMMIT (the default): every commit that changes what the query
// reads writes the view's changed rows in the same atomic batch. The store
// calls BeforeCommit under its commit lock; the view's incremental operator
// (the same one as a live query's, hydrated on first use from the state
// before the commit) takes the commit's changes and its diff becomes Put /
// Delete of view rows. Views are visited in dependency order and each sees
// the rows earlier views wrote, so views on views stay exact too.
//
// Refresh MANUAL: a commit that touches the query's attributes marks the
// view stale; REFRESH VIEW recomputes it in one transaction (readers see the
// old rows or the new ones, never a mix).
//
// State. The type `_views` has one row per view (id = the view's type id):
// name, refresh ("on commit" / "manual"), state ("fresh", "stale",
// "building"), stale_since, rows, refreshed (time of the last build), builds
// (how many times it was built) and query. A new or changed definition is
// built when the schema file is applied (with progress); reopening the
// store rebuilds only a view left "building" by a crash.
#include <chrono>
#include <map>
#include <mutex>
#include <set>

#include "treeql/binder.h"
#include "treeql/executor.h"
#include "treeql/live/internal.h"
#include "treeql/parser.h"
#include "trine/live.h"
#include "triples/view_support.h"

namespace trine {
namespace treeql::live {
namespace {

constexpr const char* kStateType = triples::kViewStateType;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The stored fields of one result row.
Fields RowFields(const Tree& row) {
  Fields f;
  if (row.is_object()) {
    for (size_t i = 0; i < row.keys().size(); ++i)
      f.emplace_back(row.keys()[i],
                     row.members()[i].is_value() ? row.members()[i].value() : Value());
  } else if (row.is_value()) {
    f.emplace_back("value", row.value());
  }
  return f;
}

// A view's state row.
TypeInfo StateType() {
  TypeInfo t;
  t.name = kStateType;
  const char* names[] = {"name", "refresh",   "state",  "stale_since",
                         "rows", "refreshed", "builds", "query"};
  FieldType types[] = {FieldType::kString, FieldType::kString, FieldType::kString,
                       FieldType::kTime,   FieldType::kInt,    FieldType::kTime,
                       FieldType::kInt,    FieldType::kString};
  for (size_t i = 0; i < 8; ++i) {
    FieldInfo f;
    f.name = names[i];
    f.number = i + 1;
    f.type = types[i];
    f.indexed = i == 0;
    f.unique = i == 0;
    t.fields.push_back(f);
  }
  return t;
}

// A view's query bound against the current schema; on error `*pos` is where
// in `text` it went wrong.
Result<Plan> BindView(Database& db, const std::string& text, uint32_t* pos) {
  *pos = 0;
  TRINE_ASSIGN_OR_RETURN(std::vector<ast::Statement> sts, Parse(text));
  if (sts.size() != 1 || sts[0].kind != ast::Statement::Kind::kSelect || sts[0].live) {
    *pos = sts.empty() ? 0 : sts[0].pos;
    return Status::InvalidArgument("a view is defined by one SELECT");
  }
  TRINE_ASSIGN_OR_RETURN(Plan plan, Bind(sts[0], db, pos));
  *pos = plan.query->pos;
  if (plan.query->type.empty())
    return Status::InvalidArgument("a view needs FROM");
  if (plan.param_count > 0 || !plan.param_names.empty())
    return Status::InvalidArgument("a view's query cannot have parameters");
  return plan;
}

class ViewManager final : public triples::ViewSupport {
 public:
  explicit ViewManager(Database& db) : db_(db) {}

  Status BeforeCommit(Transaction& txn, const std::function<ChangeSet()>& pending) override;
  void CommitFailed() override {
    std::lock_guard l(mu_);
    loaded_version_ = UINT64_MAX;  // operators and states: from the store again
  }
  Result<SchemaReport> DefineViews(const std::vector<Definition>& views,
                                   const SchemaUpdateOptions& options,
                                   DefinitionError* error) override;
  Status BeforeTableChange() override {
    std::lock_guard l(mu_);
    return loaded_version_ == db_.schema_version() ? Status::OK() : LoadLocked();
  }
  Result<std::vector<std::string>> AfterTableChange(const SchemaUpdateOptions& options) override;

  // Recomputes the view in one transaction; its state becomes fresh.
  Status Rebuild(const std::string& name, const SchemaUpdateOptions& options);
  // Views a crash left half-built.
  Status RecoverOnOpen();

 private:
  struct View {
    std::string name;
    uint64_t type_id = 0;
    std::string query;
    bool manual = false;
    std::string state;  // as stored in _views
    std::shared_ptr<QueryImpl> q;
    bool hydrated = false;
    std::set<std::pair<uint64_t, uint64_t>> watched;
    std::set<uint64_t> types;  // types it reads (for the dependency order)
    // A schema change altered a type it reads since its rows were made:
    // invalid until rebuilt (the state is stored by the next commit).
    bool base_changed = false;
  };

  Status LoadLocked();
  static bool Touches(const View& v, const ChangeSet& cs) {
    for (const Change& c : cs.changes)
      if (v.watched.contains({c.type, c.field}))
        return true;
    return false;
  }
  Status WriteDiff(Transaction& txn, const View& v, const LiveDiff& d, int64_t* delta);

  Database& db_;
  std::mutex mu_;
  uint64_t loaded_version_ = UINT64_MAX;
  std::vector<View> views_;  // dependency order
};

Status ViewManager::LoadLocked() {
  // The views whose plans, bound before a schema change, read a type it
  // altered: their stored rows came from data it may have rewritten.
  std::set<std::string> changed;
  for (const View& v : views_)
    if (v.q != nullptr && !StillBinds(LivePlan(*v.q), db_))
      changed.insert(v.name);
  views_.clear();
  std::vector<TypeInfo> types = db_.Schema();
  // name -> (state, the query it was built from)
  std::map<std::string, std::pair<std::string, std::string>> states;
  if (db_.FindType(kStateType)) {
    TransactionOptions to;
    to.read_only = true;
    std::unique_ptr<Transaction> txn = db_.Begin(to);
    std::vector<uint64_t> ids;
    TRINE_RETURN_IF_ERROR(txn->Scan(kStateType, [&](uint64_t id) {
      ids.push_back(id);
      return true;
    }));
    for (uint64_t id : ids) {
      TRINE_ASSIGN_OR_RETURN(std::optional<Entity> e, txn->Get(kStateType, id));
      const Value& n = e->Get("name");
      const Value& s = e->Get("state");
      const Value& q = e->Get("query");
      if (n.type() == ValueType::kString && s.type() == ValueType::kString &&
          q.type() == ValueType::kString)
        states[n.as_string()] = {s.as_string(), q.as_string()};
    }
  }
  std::vector<View> pending;
  for (const TypeInfo& t : types) {
    if (!t.is_view())
      continue;
    View v;
    v.name = t.name;
    v.type_id = t.id;
    v.query = t.view_query;
    v.manual = t.view_manual;
    auto st = states.find(t.name);
    // Never built (or a crash came first): building. Built from another
    // definition: invalid until rebuilt.
    v.state = st == states.end()                  ? "building"
              : st->second.second != t.view_query ? "invalid"
                                                  : st->second.first;
    if (changed.contains(v.name) && v.state != "building" && v.state != "invalid") {
      v.state = "invalid";
      v.base_changed = true;
    }
    Result<std::shared_ptr<QueryImpl>> q = CompileLive(db_, v.query);
    if (q.ok()) {
      v.q = *q;
      for (auto w : LiveWatches(**q)) {
        v.watched.insert(w);
        v.types.insert(w.first);
      }
    } else {
      v.state = "invalid";  // its query no longer binds (a base type changed)
    }
    pending.push_back(std::move(v));
  }
  // Dependency order: a view after the views it reads.
  std::set<uint64_t> placed;
  while (!pending.empty()) {
    size_t before = pending.size();
    for (size_t i = 0; i < pending.size();) {
      bool ready = true;
      for (uint64_t t : pending[i].types)
        for (const View& o : pending)
          if (o.type_id == t && &o != &pending[i])
            ready = false;
      if (ready) {
        views_.push_back(std::move(pending[i]));
        pending.erase(pending.begin() + static_cast<ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    if (pending.size() == before) {  // a cycle cannot be bound; keep them anyway
      for (View& v : pending)
        views_.push_back(std::move(v));
      break;
    }
  }
  loaded_version_ = db_.schema_version();
  return Status::OK();
}

Status ViewManager::WriteDiff(Transaction& txn, const View& v, const LiveDiff& d, int64_t* delta) {
  if (d.value_changed) {
    // An aggregate without GROUP BY: its one row.
    uint64_t id = Executor::GroupId({});
    TRINE_ASSIGN_OR_RETURN(std::optional<Entity> old, txn.Get(v.name, id));
    TRINE_RETURN_IF_ERROR(txn.Put(v.name, id, RowFields(d.value)));
    *delta += old ? 0 : 1;
    return Status::OK();
  }
  for (const LiveChange& c : d.changes) {
    if (!c.path.empty())
      return Status::NotSupported("view " + v.name + ": a nested change in a view row");
    switch (c.kind) {
      case LiveChange::Kind::kAdded:
        TRINE_RETURN_IF_ERROR(txn.Put(v.name, c.id, RowFields(c.row)));
        ++*delta;
        break;
      case LiveChange::Kind::kRemoved:
        TRINE_RETURN_IF_ERROR(txn.Delete(v.name, c.id));
        --*delta;
        break;
      case LiveChange::Kind::kChanged:
      case LiveChange::Kind::kMoved:  // rows have no position; content may differ
        TRINE_RETURN_IF_ERROR(txn.Put(v.name, c.id, RowFields(c.row)));
        break;
    }
  }
  return Status::OK();
}

Status ViewManager::BeforeCommit(Transaction& txn, const std::function<ChangeSet()>& pending) {
  std::lock_guard l(mu_);
  if (loaded_version_ != db_.schema_version())
    TRINE_RETURN_IF_ERROR(LoadLocked());
  if (views_.empty())
    return Status::OK();
  ChangeSet cs = pending();
  for (View& v : views_) {
    if (v.base_changed) {
      // Stored with this commit, so a crash before the rebuild leaves the
      // view to be rebuilt at open rather than trusted.
      TRINE_RETURN_IF_ERROR(
          txn.Update(kStateType, v.type_id, {{"state", Value::String("invalid")}}));
      v.base_changed = false;
    }
    if (v.q == nullptr || !Touches(v, cs))
      continue;
    if (v.manual || v.state != "fresh") {
      if (v.state == "fresh") {
        TRINE_RETURN_IF_ERROR(txn.Update(
            kStateType, v.type_id,
            {{"state", Value::String("stale")}, {"stale_since", Value::Time(NowMicros())}}));
        v.state = "stale";
      }
      continue;
    }
    if (!v.hydrated) {
      // The state before this commit: the latest (we hold the commit lock).
      TransactionOptions to;
      to.read_only = true;
      std::unique_ptr<Transaction> before = db_.Begin(to);
      Status s = HydrateLive(*v.q, *before);
      if (!s.ok())
        return Status::Make(s.code(), "view " + v.name + ": " + std::string(s.message()));
      v.hydrated = true;
    }
    LiveDiff d;
    bool changed = false;
    Status s = ApplyLive(*v.q, cs, txn, &d, &changed);
    if (!s.ok()) {
      loaded_version_ = UINT64_MAX;  // its operator is half-updated: rebuild from the store
      return Status::Make(s.code(), "view " + v.name + ": " + std::string(s.message()));
    }
    if (!changed)
      continue;
    int64_t delta = 0;
    TRINE_RETURN_IF_ERROR(WriteDiff(txn, v, d, &delta));
    if (delta != 0) {
      TRINE_ASSIGN_OR_RETURN(Value rows, txn.GetField(kStateType, v.type_id, "rows"));
      int64_t n = rows.type() == ValueType::kInt ? rows.as_int() : 0;
      TRINE_RETURN_IF_ERROR(txn.Update(kStateType, v.type_id, {{"rows", Value::Int(n + delta)}}));
    }
    cs = pending();  // later views see these rows
  }
  return Status::OK();
}

Status ViewManager::Rebuild(const std::string& name, const SchemaUpdateOptions& options) {
  std::optional<TypeInfo> t = db_.FindType(name);
  if (!t || !t->is_view())
    return Status::NotFound("no view named '" + name + "'");
  TransactionOptions to;
  to.maintain_views = true;
  to.durability = Durability::kDurable;
  Status built = db_.Run(
      [&](Transaction& txn) -> Status {
        uint32_t pos = 0;
        Result<Plan> plan = BindView(db_, t->view_query, &pos);
        if (!plan.ok())
          return Status::Make(
              plan.status().code(),
              "view " + name + ": " + FormatError(t->view_query, pos, plan.status().message()));
        Executor ex(txn, {}, 0);
        Tree result;
        Status s = ex.Query(*plan->query, plan->scalar, &result);
        if (!s.ok())
          return Status::Make(
              s.code(),
              "view " + name + ": " + FormatError(t->view_query, ex.error_pos(), s.message()));
        // The new rows by id.
        std::map<uint64_t, const Tree*> rows;
        if (plan->scalar) {
          rows[Executor::GroupId({})] = &result;
        } else {
          for (const Tree& r : result.items())
            rows[r.subject()] = &r;
        }
        std::vector<uint64_t> old;
        TRINE_RETURN_IF_ERROR(txn.Scan(name, [&](uint64_t id) {
          old.push_back(id);
          return true;
        }));
        for (uint64_t id : old)
          if (!rows.contains(id))
            TRINE_RETURN_IF_ERROR(txn.Delete(name, id));
        uint64_t done = 0;
        for (const auto& [id, row] : rows) {
          TRINE_RETURN_IF_ERROR(txn.Put(name, id, RowFields(*row)));
          if (options.progress && ++done % 4096 == 0)
            options.progress("view " + name + ": build", done, rows.size());
        }
        if (options.progress)
          options.progress("view " + name + ": build", rows.size(), rows.size());
        TRINE_ASSIGN_OR_RETURN(std::optional<Entity> state, txn.Get(kStateType, t->id));
        Value builds = state ? state->Get("builds") : Value();
        int64_t now = NowMicros();
        return txn.Put(
            kStateType, t->id,
            {{"name", Value::String(name)},
             {"refresh", Value::String(t->view_manual ? "manual" : "on commit")},
             {"state", Value::String("fresh")},
             {"rows", Value::Int(static_cast<int64_t>(rows.size()))},
             {"refreshed", Value::Time(now)},
             {"builds", Value::Int(builds.type() == ValueType::kInt ? builds.as_int() + 1 : 1)},
             {"query", Value::String(t->view_query)}});
      },
      to);
  // The view's state changed in the store: the next commit reads it again.
  std::lock_guard l(mu_);
  loaded_version_ = UINT64_MAX;
  return built;
}

Result<SchemaReport> ViewManager::DefineViews(const std::vector<Definition>& defs,
                                              const SchemaUpdateOptions& options,
                                              DefinitionError* error) {
  // One view at a time, defined and built before the next is bound, so a
  // view may read the views above it in the file.
  SchemaReport report;
  for (size_t i = 0; i < defs.size(); ++i) {
    std::vector<TypeInfo> types;
    if (!db_.FindType(kStateType))
      types.push_back(StateType());
    const Definition& d = defs[i];
    error->view = i;
    uint32_t pos = 0;
    Result<Plan> plan = BindView(db_, d.query, &pos);
    if (!plan.ok()) {
      error->offset = pos;
      return plan.status();
    }
    const Level& top = *plan->query;
    std::optional<TypeInfo> existing = db_.FindType(d.name);
    TypeInfo t;
    t.name = d.name;
    t.view_query = d.query;
    t.view_manual = d.manual;
    std::vector<std::string> keys =
        top.out.is_shape ? top.out.keys : std::vector<std::string>{"value"};
    uint64_t next = 1;
    if (existing)
      for (const FieldInfo& f : existing->fields)
        next = std::max(next, f.number + 1);
    for (size_t k = 0; k < keys.size(); ++k) {
      const BExpr& v = top.out.values[k];
      if ((v.kind == BExpr::Kind::kSubquery && v.form == ast::Expr::Form::kArray) ||
          v.kind == BExpr::Kind::kShape || v.kind == BExpr::Kind::kList) {
        error->offset = v.pos;
        return Status::InvalidArgument("a view's columns are single values, not lists or shapes");
      }
      FieldInfo f;
      f.name = keys[k];
      f.type = FieldType::kAny;  // values keep the query's types
      const FieldInfo* old = existing ? existing->FindField(keys[k]) : nullptr;
      f.number = old != nullptr ? old->number : next++;
      t.fields.push_back(f);
    }
    if (existing && existing->is_view() && existing->view_query == d.query &&
        existing->view_manual == d.manual) {
      continue;  // unchanged: nothing to build
    }
    types.push_back(std::move(t));
    TRINE_ASSIGN_OR_RETURN(SchemaReport r, db_.UpdateSchema(types, options));
    for (std::string& c : r.changes)
      report.changes.push_back(std::move(c));
    if (options.dry_run)
      continue;
    TRINE_RETURN_IF_ERROR(Rebuild(d.name, options));
    report.changes.push_back(d.name + ": built");
  }
  error->view = SIZE_MAX;
  return report;
}

Result<std::vector<std::string>> ViewManager::AfterTableChange(const SchemaUpdateOptions& options) {
  std::vector<std::string> report, build;
  std::vector<uint64_t> mark;
  {
    std::lock_guard l(mu_);
    if (loaded_version_ != db_.schema_version())
      TRINE_RETURN_IF_ERROR(LoadLocked());
    for (const View& v : views_) {
      if (v.base_changed)
        mark.push_back(v.type_id);
      if (v.state != "invalid" && v.state != "building")
        continue;
      if (v.q != nullptr)
        build.push_back(v.name);
      else if (v.base_changed)
        report.push_back(v.name + ": invalid, its query no longer binds (change its VIEW)");
    }
  }
  if (!mark.empty()) {
    // Their state first (invalid), so a crash during the rebuilds below
    // leaves them to be rebuilt at open.
    TransactionOptions to;
    to.maintain_views = true;
    to.durability = Durability::kDurable;
    Status marked = db_.Run(
        [&](Transaction& txn) -> Status {
          for (uint64_t id : mark)
            TRINE_RETURN_IF_ERROR(
                txn.Update(kStateType, id, {{"state", Value::String("invalid")}}));
          return Status::OK();
        },
        to);
    TRINE_RETURN_IF_ERROR(marked);
  }
  for (const std::string& name : build) {
    // The tables' change stands either way; a view whose query now fails
    // (say a division by zero over the converted data) stays invalid.
    Status s = Rebuild(name, options);
    report.push_back(name + (s.ok() ? ": rebuilt (a type it reads changed)"
                                    : ": left invalid, rebuilding failed: " + s.ToString()));
  }
  return report;
}

Status ViewManager::RecoverOnOpen() {
  std::vector<std::string> build;
  {
    std::lock_guard l(mu_);
    TRINE_RETURN_IF_ERROR(LoadLocked());
    for (const View& v : views_)
      if (v.state == "building" || (v.state == "invalid" && v.q != nullptr))
        build.push_back(v.name);
  }
  for (const std::string& name : build)
    TRINE_RETURN_IF_ERROR(Rebuild(name, {}));
  return Status::OK();
}

}  // namespace

}  // namespace treeql::live

Status RefreshView(Database& db, std::string_view name) {
  auto* views = dynamic_cast<treeql::live::ViewManager*>(triples::GetViewSupport(db));
  if (views == nullptr)
    return Status::NotSupported("this store was opened without view support");
  return views->Rebuild(std::string(name), {});
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const DatabaseOptions& options) {
  TRINE_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, triples::OpenStore(path, options));
  auto views = std::make_shared<treeql::live::ViewManager>(*db);
  triples::AttachViewSupport(*db, views);
  TRINE_RETURN_IF_ERROR(views->RecoverOnOpen());
  return db;
}

}  // namespace trine
