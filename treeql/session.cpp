// Session: statements in, results out. Parsing (parser.cpp), binding
// (binder.cpp), execution (executor.cpp) and the transaction rules:
//
// - Outside BEGIN ... COMMIT every statement is its own transaction: reads in
//   a read-only snapshot, writes through Database::Run, which retries a
//   statement that lost an optimistic-concurrency race.
// - Inside BEGIN ... COMMIT statements share one transaction; any error
//   rolls the whole transaction back (nothing of it is applied) and says so.
// - TABLE statements apply at once, each in its own atomic schema update;
//   they are refused inside a transaction.
#include <algorithm>
#include <map>
#include <utility>

#include "treeql/binder.h"
#include "treeql/executor.h"
#include "treeql/explain.h"
#include "treeql/parser.h"
#include "trine/live.h"
#include "trine/schema.h"
#include "trine/treeql.h"

namespace trine {

using treeql::Plan;
namespace ast = treeql::ast;

struct Session::Impl {
  Database& db;
  SessionOptions options;
  std::unique_ptr<Transaction> txn;
  std::map<uint64_t, std::unique_ptr<LiveQuery>> live;
  uint64_t next_live = 1;

  Impl(Database& d, SessionOptions o) : db(d), options(std::move(o)) {}

  // An error with a place in `text`.
  static Status Positioned(std::string_view text, uint32_t pos, const Status& s) {
    if (s.ok())
      return s;
    return Status::Make(s.code(), treeql::FormatError(text, pos, s.message()));
  }

  Result<std::vector<Value>> Params(const Plan& plan, const QueryParams& params) {
    if (params.positional.size() < static_cast<size_t>(plan.param_count))
      return Status::InvalidArgument(
          "the statement has " + std::to_string(plan.param_count) + " `?` parameter(s) but " +
          std::to_string(params.positional.size()) + " value(s) were given");
    std::vector<Value> out(params.positional.begin(), params.positional.begin() + plan.param_count);
    for (const std::string& name : plan.param_names) {
      auto it = std::find_if(params.named.begin(), params.named.end(),
                             [&](const auto& p) { return p.first == name; });
      if (it == params.named.end())
        return Status::InvalidArgument("no value given for the parameter :" + name);
      out.push_back(it->second);
    }
    return out;
  }

  Status RunSchema(const ast::Statement& st, std::string_view text, StatementResult* r);
  Status RunPlan(const Plan& plan, std::string_view text, const QueryParams& params,
                 StatementResult* r);
  Status RunWrite(const Plan& plan, Transaction& t, const std::vector<Value>& params,
                  StatementResult* r, uint32_t* error_pos);
  Status RunStatement(const ast::Statement& st, std::string_view text, const QueryParams& params,
                      StatementResult* r);
  // Rolls back an open transaction after a failed statement.
  Status AbortTxn(Status s) {
    if (txn) {
      txn->Rollback();
      txn.reset();
      std::string msg = s.message() + "\n(the transaction was rolled back)";
      return s.IsConflict() ? Status::Conflict(msg) : Status::Make(s.code(), msg);
    }
    return s;
  }
};

namespace {

Result<Value> ToFieldValue(const Tree& t, const TypeInfo& type, const std::string& field) {
  if (!t.is_value())
    return Status::InvalidArgument("the value of " + field + " must be a single value");
  const FieldInfo* f = treeql::FindAttribute(type, field);
  const Value& v = t.value();
  if (f != nullptr && f->type == FieldType::kTime && v.type() == ValueType::kString) {
    TRINE_ASSIGN_OR_RETURN(int64_t micros, ParseTimestamp(v.as_string()));
    return Value::Time(micros);
  }
  return v;
}

}  // namespace

Status Session::Impl::RunSchema(const ast::Statement& st, std::string_view text,
                                StatementResult* r) {
  if (txn)
    return Positioned(
        text, st.pos,
        Status::InvalidArgument("TABLE and VIEW statements cannot run inside a transaction"));
  // Blank out everything before the statement (newlines kept) so that the
  // schema parser's line and column numbers are those of the whole text.
  std::string padded(text.substr(0, st.end));
  for (size_t i = 0; i < st.pos; ++i)
    if (padded[i] != '\n')
      padded[i] = ' ';
  Result<SchemaReport> report = ApplySchema(db, padded, options.source_name);
  if (!report.ok()) {
    // "name:L:C: error: msg\n..." -> "L:C: msg\n..."
    std::string msg = report.status().message();
    std::string prefix = options.source_name + ":";
    if (msg.rfind(prefix, 0) == 0)
      msg.erase(0, prefix.size());
    size_t e = msg.find(": error: ");
    if (e != std::string::npos)
      msg.replace(e, 9, ": ");
    while (!msg.empty() && msg.back() == '\n')
      msg.pop_back();
    return Status::Make(report.status().code(), msg);
  }
  r->kind = StatementResult::Kind::kSchema;
  r->verb = "TABLE";
  for (const std::string& c : report->changes)
    r->text += (r->text.empty() ? "" : "\n") + c;
  r->count = report->changes.size();
  return Status::OK();
}

Status Session::Impl::RunWrite(const Plan& plan, Transaction& t, const std::vector<Value>& params,
                               StatementResult* r, uint32_t* error_pos) {
  treeql::Executor ex(t, params, static_cast<size_t>(plan.param_count));
  auto fail = [&](Status s, uint32_t pos) {
    *error_pos = ex.error_pos() != 0 ? ex.error_pos() : pos;
    return s;
  };
  std::optional<TypeInfo> type = db.FindType(plan.type);
  if (!type)
    return fail(Status::InvalidArgument("unknown type '" + plan.type + "'"), plan.pos);
  r->kind = StatementResult::Kind::kWrite;
  using K = ast::Statement::Kind;
  switch (plan.kind) {
    case K::kInsert: {
      r->verb = "INSERT";
      Tree values;
      Status s = ex.Query(*plan.values, true, &values);
      if (!s.ok())
        return fail(s, plan.pos);
      Fields fields;
      for (size_t i = 0; i < plan.fields.size(); ++i) {
        Result<Value> v = ToFieldValue(values.members()[i], *type, plan.fields[i]);
        if (!v.ok())
          return fail(v.status(), plan.field_pos[i]);
        fields.emplace_back(plan.fields[i], std::move(*v));
      }
      Result<uint64_t> id = t.Insert(plan.type, fields);
      if (!id.ok())
        return fail(id.status(), plan.pos);
      r->count = 1;
      r->ids.push_back(*id);
      return Status::OK();
    }
    case K::kUpdate:
    case K::kDelete: {
      bool update = plan.kind == K::kUpdate;
      r->verb = update ? "UPDATE" : "DELETE";
      std::vector<uint64_t> ids;
      std::vector<Tree> rows;
      Status s = ex.Rows(*plan.query, &ids, &rows);
      if (!s.ok())
        return fail(s, plan.pos);
      for (size_t i = 0; i < ids.size(); ++i) {
        if (!update) {
          s = t.Delete(plan.type, ids[i]);
          if (!s.ok())
            return fail(s, plan.pos);
          continue;
        }
        Fields fields;
        for (size_t k = 0; k < plan.fields.size(); ++k) {
          Result<Value> v = ToFieldValue(rows[i].members()[k], *type, plan.fields[k]);
          if (!v.ok())
            return fail(v.status(), plan.field_pos[k]);
          fields.emplace_back(plan.fields[k], std::move(*v));
        }
        s = t.Update(plan.type, ids[i], fields);
        if (!s.ok())
          return fail(s, plan.pos);
      }
      r->count = ids.size();
      return Status::OK();
    }
    case K::kSet:
    case K::kRetract: {
      bool set = plan.kind == K::kSet;
      r->verb = set ? "SET" : "RETRACT";
      Tree values;
      Status s = ex.Query(*plan.values, true, &values);
      if (!s.ok())
        return fail(s, plan.pos);
      const Tree& id_tree = values.members()[0];
      std::optional<uint64_t> id;
      if (id_tree.is_value()) {
        const Value& v = id_tree.value();
        if (v.type() == ValueType::kRef)
          id = v.as_ref();
        else if (v.type() == ValueType::kInt && v.as_int() > 0)
          id = static_cast<uint64_t>(v.as_int());
      }
      if (!id)
        return fail(Status::InvalidArgument("a subject id must be a positive int or a reference"),
                    plan.values->out.values[0].pos);
      Value v;
      if (set) {
        Result<Value> fv = ToFieldValue(values.members()[1], *type, plan.fields[0]);
        if (!fv.ok())
          return fail(fv.status(), plan.field_pos[0]);
        v = std::move(*fv);
      }
      s = t.Update(plan.type, *id, {{plan.fields[0], v}});
      if (!s.ok())
        return fail(s, plan.pos);
      r->count = 1;
      return Status::OK();
    }
    default:
      return fail(Status::InvalidArgument("not a write statement"), plan.pos);
  }
}

Status Session::Impl::RunPlan(const Plan& plan, std::string_view text, const QueryParams& qp,
                              StatementResult* r) {
  using K = ast::Statement::Kind;
  if (plan.kind == K::kExplain) {  // plans do not depend on parameter values
    r->kind = StatementResult::Kind::kExplain;
    r->verb = "EXPLAIN";
    r->text = treeql::Explain(plan);
    return Status::OK();
  }
  Result<std::vector<Value>> params = Params(plan, qp);
  if (!params.ok())
    return AbortTxn(Positioned(text, plan.pos, params.status()));
  if (plan.kind == K::kSelect) {
    std::unique_ptr<Transaction> own;
    Transaction* t = txn.get();
    if (t == nullptr) {
      TransactionOptions o;
      o.read_only = true;
      own = db.Begin(o);
      t = own.get();
    }
    ReadStats before = t->read_stats();
    treeql::Executor ex(*t, std::move(*params), static_cast<size_t>(plan.param_count));
    Status s = ex.Query(*plan.query, plan.scalar, &r->value);
    if (!s.ok())
      return AbortTxn(Positioned(text, ex.error_pos() != 0 ? ex.error_pos() : plan.pos, s));
    ReadStats after = t->read_stats();
    r->stats.entries_read = after.entries_read - before.entries_read;
    r->stats.seeks = after.seeks - before.seeks;
    r->verb = "SELECT";
    if (plan.scalar) {
      r->kind = StatementResult::Kind::kValue;
    } else {
      r->kind = StatementResult::Kind::kRows;
      r->count = r->value.items().size();
      if (plan.query->out.is_shape)
        r->columns = plan.query->out.keys;
    }
    return Status::OK();
  }
  // Writes.
  uint32_t error_pos = plan.pos;
  if (txn) {
    ReadStats before = txn->read_stats();
    Status s = RunWrite(plan, *txn, *params, r, &error_pos);
    if (!s.ok())
      return AbortTxn(Positioned(text, error_pos, s));
    ReadStats after = txn->read_stats();
    r->stats.entries_read = after.entries_read - before.entries_read;
    r->stats.seeks = after.seeks - before.seeks;
    return Status::OK();
  }
  TransactionOptions o;
  o.durability = options.durability;
  Status s = db.Run(
      [&](Transaction& t) {
        *r = StatementResult();
        error_pos = plan.pos;
        Status ws = RunWrite(plan, t, *params, r, &error_pos);
        r->stats = t.read_stats();
        return ws;
      },
      o);
  if (!s.ok())
    return Positioned(text, error_pos, s);
  return Status::OK();
}

Status Session::Impl::RunStatement(const ast::Statement& st, std::string_view text,
                                   const QueryParams& params, StatementResult* r) {
  using K = ast::Statement::Kind;
  switch (st.kind) {
    case K::kSchema:
      return RunSchema(st, text, r);
    case K::kBegin: {
      if (txn)
        return Positioned(text, st.pos, Status::InvalidArgument("a transaction is already open"));
      TransactionOptions o;
      o.durability = st.durable ? Durability::kDurable : options.durability;
      txn = db.Begin(o);
      r->kind = StatementResult::Kind::kTransaction;
      r->verb = "BEGIN";
      return Status::OK();
    }
    case K::kCommit:
    case K::kRollback: {
      bool commit = st.kind == K::kCommit;
      if (!txn)
        return Positioned(text, st.pos, Status::InvalidArgument("no transaction is open"));
      std::unique_ptr<Transaction> t = std::move(txn);
      r->kind = StatementResult::Kind::kTransaction;
      r->verb = commit ? "COMMIT" : "ROLLBACK";
      if (!commit) {
        t->Rollback();
        return Status::OK();
      }
      Status s = t->Commit();
      if (!s.ok()) {
        std::string msg = s.message() + "\n(the transaction was rolled back)";
        return Positioned(text, st.pos,
                          s.IsConflict() ? Status::Conflict(msg) : Status::Make(s.code(), msg));
      }
      return Status::OK();
    }
    case K::kRefresh: {
      if (txn)
        return Positioned(text, st.pos,
                          Status::InvalidArgument("REFRESH VIEW cannot run inside a transaction"));
      Status s = RefreshView(db, st.type);
      if (!s.ok())
        return Positioned(text, st.type_pos, s);
      r->kind = StatementResult::Kind::kSchema;
      r->verb = "REFRESH VIEW";
      r->text = st.type + ": refreshed";
      r->count = 1;
      return Status::OK();
    }
    default:
      break;
  }
  if (st.live) {
    // The statement alone, at its place in the text (error positions hold).
    std::string own(text.size(), ' ');
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n' || (i >= st.pos && i < st.end))
        own[i] = text[i];
    if (st.kind == ast::Statement::Kind::kExplain) {
      Result<std::string> e = ExplainLive(db, own, params);
      if (!e.ok())
        return AbortTxn(e.status());
      r->kind = StatementResult::Kind::kExplain;
      r->verb = "EXPLAIN";
      r->text = std::move(*e);
      return Status::OK();
    }
    if (txn)
      return AbortTxn(Positioned(text, st.pos,
                                 Status::InvalidArgument("LIVE SELECT is refused inside a "
                                                         "transaction: it follows commits")));
    uint64_t id = next_live;
    LiveCallback cb;
    if (options.on_live)
      cb = [fn = options.on_live, id](const LiveDiff& d, const LiveQuery&) { fn(id, d); };
    Result<std::unique_ptr<LiveQuery>> q = Subscribe(db, own, params, std::move(cb));
    if (!q.ok())
      return q.status();
    ++next_live;
    r->value = (*q)->Result();
    r->kind = r->value.is_array() ? StatementResult::Kind::kRows : StatementResult::Kind::kValue;
    r->verb = "LIVE";
    r->live_id = id;
    r->count = r->value.is_array() ? r->value.items().size() : 1;
    if (r->value.is_array() && !r->value.items().empty() && r->value.items()[0].is_object())
      r->columns = r->value.items()[0].keys();
    r->stats = (*q)->stats().hydration;
    live.emplace(id, std::move(*q));
    return Status::OK();
  }
  uint32_t error_pos = st.pos;
  Result<Plan> plan = treeql::Bind(st, db, &error_pos);
  if (!plan.ok())
    return AbortTxn(Positioned(text, error_pos, plan.status()));
  return RunPlan(*plan, text, params, r);
}

Session::Session(Database& db, SessionOptions options)
    : impl_(std::make_unique<Impl>(db, std::move(options))) {}

Session::~Session() {
  if (impl_->txn)
    impl_->txn->Rollback();
}

LiveQuery* Session::live(uint64_t live_id) {
  auto it = impl_->live.find(live_id);
  return it == impl_->live.end() ? nullptr : it->second.get();
}

bool Session::Unsubscribe(uint64_t live_id) {
  return impl_->live.erase(live_id) > 0;
}

std::vector<uint64_t> Session::live_ids() const {
  std::vector<uint64_t> ids;
  for (const auto& [id, q] : impl_->live)
    ids.push_back(id);
  return ids;
}

bool Session::in_transaction() const {
  return impl_->txn != nullptr;
}

Status Session::Execute(std::string_view text, const QueryParams& params,
                        const std::function<void(StatementResult&&)>& fn) {
  Result<std::vector<ast::Statement>> statements = treeql::Parse(text);
  if (!statements.ok())
    return impl_->AbortTxn(statements.status());
  for (const ast::Statement& st : *statements) {
    StatementResult r;
    TRINE_RETURN_IF_ERROR(impl_->RunStatement(st, text, params, &r));
    fn(std::move(r));
  }
  return Status::OK();
}

Result<std::vector<StatementResult>> Session::Execute(std::string_view text,
                                                      const QueryParams& params) {
  std::vector<StatementResult> out;
  TRINE_RETURN_IF_ERROR(
      Execute(text, params, [&](StatementResult&& r) { out.push_back(std::move(r)); }));
  return out;
}

namespace {

class PreparedImpl final : public Session::Prepared {
 public:
  PreparedImpl(Session::Impl* session, std::string text, ast::Statement st, Plan plan)
      : session_(session), text_(std::move(text)), st_(std::move(st)), plan_(std::move(plan)) {}

  Result<StatementResult> Run(const QueryParams& params) override {
    if (plan_.schema_version != session_->db.schema_version()) {
      uint32_t pos = st_.pos;
      Result<Plan> plan = treeql::Bind(st_, session_->db, &pos);
      if (!plan.ok())
        return Session::Impl::Positioned(text_, pos, plan.status());
      plan_ = std::move(*plan);
    }
    StatementResult r;
    TRINE_RETURN_IF_ERROR(session_->RunPlan(plan_, text_, params, &r));
    return r;
  }

 private:
  Session::Impl* session_;
  std::string text_;
  ast::Statement st_;
  Plan plan_;
};

}  // namespace

Result<std::unique_ptr<Session::Prepared>> Session::Prepare(std::string_view statement) {
  TRINE_ASSIGN_OR_RETURN(std::vector<ast::Statement> sts, treeql::Parse(statement));
  if (sts.size() != 1)
    return Status::InvalidArgument("Prepare takes exactly one statement");
  using K = ast::Statement::Kind;
  K k = sts[0].kind;
  if (k == K::kSchema || k == K::kBegin || k == K::kCommit || k == K::kRollback || k == K::kRefresh)
    return Status::InvalidArgument("only queries and writes can be prepared");
  uint32_t pos = sts[0].pos;
  Result<Plan> plan = treeql::Bind(sts[0], impl_->db, &pos);
  if (!plan.ok())
    return Impl::Positioned(statement, pos, plan.status());
  return std::unique_ptr<Prepared>(std::make_unique<PreparedImpl>(
      impl_.get(), std::string(statement), std::move(sts[0]), std::move(*plan)));
}

}  // namespace trine
