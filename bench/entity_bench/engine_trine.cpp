// Trine adapter: the entity API (trine/database.h). Type Person is declared
// through Database::UpdateSchema as a STRICT type (like an SQL table: unknown
// attributes are errors) with value indexes on name and age. Every bulk batch
// is one Transaction; every read is its own read transaction (Begin + reads,
// then dropped: a read-only transaction has nothing to commit).
#include <memory>
#include <string>

#include "entity_engine.h"
#include "trine/database.h"

namespace trine_entity_bench {
namespace {

constexpr const char* kType = "Person";

void Check(const trine::Status& s, const char* what) {
  if (!s.ok())
    throw BenchError(std::string("trine ") + what + ": " + s.ToString());
}

trine::FieldInfo Field(const char* name, uint64_t number, trine::FieldType type, bool indexed) {
  trine::FieldInfo f;
  f.name = name;
  f.number = number;
  f.type = type;
  f.indexed = indexed;
  return f;
}

// The declared type is enforced by the store, but a wrong type here would
// make std::get throw bad_variant_access: say what was wrong instead.
const trine::Value& Expect(const trine::Value& v, trine::ValueType type, const char* field) {
  if (v.type() != type)
    throw BenchError(std::string("trine: field ") + field + " holds " + v.ToString());
  return v;
}

class TrineEngine final : public EntityEngine {
 public:
  void Open(const std::string& dir, const EngineSettings& settings) override {
    trine::DatabaseOptions options;
    options.storage.create_if_missing = true;
    options.storage.block_cache_bytes = settings.cache_bytes;
    storage_options_ = options.storage;
    auto db = trine::Database::Open(dir, options);
    Check(db.status(), "Open");
    db_ = std::move(*db);
    write_options_.durability = settings.durability == Durability::kDurable
                                    ? trine::Durability::kDurable
                                    : trine::Durability::kRelaxed;
    durable_ = settings.durability == Durability::kDurable;

    trine::TypeInfo person;
    person.name = kType;
    person.strict = true;
    person.fields.push_back(Field("name", 1, trine::FieldType::kString, true));
    person.fields.push_back(Field("age", 2, trine::FieldType::kInt, true));
    person.fields.push_back(Field("email", 3, trine::FieldType::kString, false));
    person.fields.push_back(Field("score", 4, trine::FieldType::kFloat, false));
    person.fields.push_back(Field("city", 5, trine::FieldType::kString, false));
    auto report = db_->UpdateSchema({person});
    Check(report.status(), "UpdateSchema");
  }

  void Close() override {
    if (db_ == nullptr)
      return;
    Check(db_->storage()->BackgroundError(), "background error");
    db_.reset();  // waits for background work and writes out relaxed commits
  }

  void InsertBatch(std::span<const Person> rows, std::vector<uint64_t>* ids) override {
    std::unique_ptr<trine::Transaction> txn = db_->Begin(write_options_);
    for (const Person& p : rows) {
      // Built per entity, as an application would: the copies are part of the API's cost.
      const trine::Fields fields = {
          {"name", trine::Value::String(p.name)},   {"age", trine::Value::Int(p.age)},
          {"email", trine::Value::String(p.email)}, {"score", trine::Value::Float(p.score)},
          {"city", trine::Value::String(p.city)},
      };
      trine::Result<uint64_t> id = txn->Insert(kType, fields);
      Check(id.status(), "Insert");
      ids->push_back(*id);
    }
    Check(txn->Commit(), "Commit");
  }

  bool Get(uint64_t id, Person* out) override {
    std::unique_ptr<trine::Transaction> txn = db_->Begin();
    auto entity = txn->Get(kType, id);
    Check(entity.status(), "Get");
    if (!entity->has_value())
      return false;
    const trine::Entity& e = **entity;
    out->name = Expect(e.Get("name"), trine::ValueType::kString, "name").as_string();
    out->age = Expect(e.Get("age"), trine::ValueType::kInt, "age").as_int();
    out->email = Expect(e.Get("email"), trine::ValueType::kString, "email").as_string();
    out->score = Expect(e.Get("score"), trine::ValueType::kFloat, "score").as_float();
    out->city = Expect(e.Get("city"), trine::ValueType::kString, "city").as_string();
    return true;
  }

  void ScanAge(int64_t from, size_t limit, std::vector<AgeEntry>* out) override {
    std::unique_ptr<trine::Transaction> txn = db_->Begin();
    Scan(*txn, from, limit, [&](const trine::Value& v, uint64_t id) {
      out->push_back({Expect(v, trine::ValueType::kInt, "age").as_int(), id});
    });
  }

  void ScanAgeFetchName(int64_t from, size_t limit, std::vector<NameEntry>* out) override {
    std::unique_ptr<trine::Transaction> txn = db_->Begin();
    // Ids first, then the names: the fetches do not run inside the index
    // iteration (an application would typically collect, then look up).
    Scan(*txn, from, limit, [&](const trine::Value&, uint64_t id) { out->push_back({id, {}}); });
    for (NameEntry& entry : *out) {
      trine::Result<trine::Value> name = txn->GetField(kType, entry.id, "name");
      Check(name.status(), "GetField");
      entry.name = Expect(*name, trine::ValueType::kString, "name").as_string();
    }
  }

  std::vector<std::pair<std::string, double>> Stats() override {
    const trine::Stats st = db_->storage()->GetStats();
    std::vector<std::pair<std::string, double>> out = {
        {"stall_ms", static_cast<double>(st.stall_micros) / 1e3},
        {"slowdown_writes", static_cast<double>(st.slowdown_writes)},
        {"max_commit_ms", static_cast<double>(st.max_write_micros) / 1e3},
        {"write_amp", st.write_amplification},
        {"flushes", static_cast<double>(st.flushes)},
        {"compactions", static_cast<double>(st.compactions)},
        {"memtable_mb", static_cast<double>(st.memtable_bytes) / (1 << 20)},
        {"cache_hit_rate", st.block_cache_hit_rate()},
    };
    for (size_t level = 0; level < st.levels.size(); ++level) {
      if (st.levels[level].files != 0) {
        out.emplace_back("L" + std::to_string(level) + "_files",
                         static_cast<double>(st.levels[level].files));
      }
    }
    return out;
  }

  std::string Describe() const override {
    return std::string("Trine entity API, STRICT type Person, INDEX name, INDEX age; commits ") +
           (durable_ ? "Durability::kDurable (WAL fsync per commit)"
                     : "Durability::kRelaxed (WAL written in the background, no fsync per "
                       "commit)") +
           "; block cache " + std::to_string(storage_options_.block_cache_bytes >> 20) +
           " MiB, memtable " + std::to_string(storage_options_.write_buffer_size >> 20) +
           " MiB, zstd from L" + std::to_string(storage_options_.min_compressed_level) +
           ", bloom " + std::to_string(storage_options_.bloom_bits_per_key) + " bits/key";
  }

 private:
  template <typename Fn>
  void Scan(trine::Transaction& txn, int64_t from, size_t limit, Fn&& fn) {
    trine::IndexRange range;
    range.lower = trine::IndexBound{trine::Value::Int(from), true};
    range.limit = limit;
    Check(txn.IndexScan(kType, "age", range,
                        [&](const trine::Value& v, uint64_t id) {
                          fn(v, id);
                          return true;
                        }),
          "IndexScan");
  }

  trine::Options storage_options_;
  trine::TransactionOptions write_options_;
  bool durable_ = true;
  std::unique_ptr<trine::Database> db_;
};

}  // namespace

std::unique_ptr<EntityEngine> MakeTrineEngine() {
  return std::make_unique<TrineEngine>();
}

}  // namespace trine_entity_bench
