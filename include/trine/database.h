// The triple store: typed entities over the LSM engine.
//
// Every fact is a triple [type, attribute, subject] -> value. An entity is a
// subject of one type with its attributes; its id is a 64-bit subject id,
// allocated monotonically and never reused. Types and attributes are declared
// by a schema (TABLE files, see trine/schema.h, or Database::UpdateSchema).
//
// All reads and writes happen in a Transaction: reads see one snapshot plus
// the transaction's own writes; writes are buffered and applied atomically at
// Commit, which validates optimistically that nothing the transaction read was
// changed by a commit in between (else Status::Conflict; Database::Run
// retries). This gives serializable transactions.
//
//   auto db = Database::Open("/data/store").value();
//   TRINE_RETURN_IF_ERROR(ApplySchemaFile(*db, "schema.trine"));
//   uint64_t id = 0;
//   TRINE_RETURN_IF_ERROR(db->Run([&](Transaction& txn) -> Status {
//     TRINE_ASSIGN_OR_RETURN(id, txn.Insert("User", {{"name", Value::String("ann")},
//                                                   {"age", Value::Int(41)}}));
//     return Status::OK();
//   }));
//
// A Database may be used from many threads at once; a Transaction by one
// thread at a time, and it must end (commit, roll back or be destroyed)
// before its Database is destroyed.
//
// Attributes are named by their current name, or by field number as "#7"
// (which also reaches retired fields). Writing NULL retracts an attribute:
// a triple never holds NULL, and reading an absent attribute gives NULL.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trine/db.h"
#include "trine/options.h"
#include "trine/status.h"
#include "trine/value.h"

namespace trine {

// ---------------------------------------------------------------- schema --

enum class FieldType : unsigned char {
  kAny = 0,  // undeclared (dynamic) attributes written in lax mode
  kBool,
  kInt,
  kFloat,
  kDecimal,
  kString,
  kBytes,
  kTime,
  kRef,
};

struct FieldInfo {
  enum class State : unsigned char {
    kActive = 0,   // declared by the schema
    kRetired = 1,  // removed from the schema: its number is reserved, its data kept
    kDynamic = 2,  // never declared: created by a lax-mode write of an unknown name
  };
  std::string name;
  uint64_t number = 0;  // the field's identity; the attribute id in keys
  FieldType type = FieldType::kAny;
  int precision = 0;     // decimal
  int scale = 0;         // decimal
  std::string ref_type;  // ref: the target type's name
  bool indexed = false;  // has a value index (always true for refs and unique fields)
  bool unique = false;
  bool required = false;
  std::optional<Value> default_value;  // filled in by Insert when the field is absent
  State state = State::kActive;

  // "int", "decimal(18,2)", "REF User", ...
  std::string TypeName() const;
};

struct TypeInfo {
  std::string name;
  uint64_t id = 0;        // the type's identity: TABLE Name = id, or allocated
  bool numbered = false;  // the id was given in the schema (renames keep it)
  bool strict = false;
  std::vector<FieldInfo> fields;  // active, retired and dynamic fields
  // Reserved numbers (inclusive ranges) and names that no field may take.
  std::vector<std::pair<uint64_t, uint64_t>> reserved_ranges;
  std::vector<std::string> reserved_names;
  // A view (schema files' VIEW): its rows are the result of this TreeQL
  // query, written by the view maintainer only (treeql/live/views.cpp).
  std::string view_query;
  bool view_manual = false;  // refreshed by REFRESH VIEW, not on every commit

  bool is_view() const { return !view_query.empty(); }
  const FieldInfo* FindField(std::string_view name) const;  // active or dynamic, then retired
  const FieldInfo* FindNumber(uint64_t number) const;
};

// The outcome of a schema update: one line per change, in order, e.g.
// "User: add field nickname string = 8", "User.age: build index (100000 entities)".
struct SchemaReport {
  std::vector<std::string> changes;
  bool changed() const { return !changes.empty(); }
};

// Where a rejected schema update went wrong, so a schema file can point at
// the line: the type, and the field number (0: the type itself).
struct SchemaErrorSite {
  std::string type;
  uint64_t field = 0;
  enum class Part : unsigned char { kName, kNumber, kType, kDefault, kOption } part = Part::kName;
};

struct SchemaUpdateOptions {
  // Compute and report the changes without applying them.
  bool dry_run = false;
  // Called while existing data is converted or indexed: (what, done, total).
  std::function<void(std::string_view, uint64_t, uint64_t)> progress;
  // Filled in when the update is rejected, if not null.
  SchemaErrorSite* error_site = nullptr;
};

// ------------------------------------------------------------- entities --

using Fields = std::vector<std::pair<std::string, Value>>;

struct Entity {
  uint64_t id = 0;
  std::string type;
  Fields fields;  // present attributes in field-number order (NULLs omitted)

  // The value of a field by name, or null if absent.
  const Value& Get(std::string_view name) const;
};

struct IndexBound {
  Value value;
  bool inclusive = true;
  // Upper bound, string or bytes value: every value that starts with it
  // (LIKE 'abc%'); `inclusive` is then ignored.
  bool prefix = false;
};

// A range over an indexed attribute's values. Entries come in value order
// (then subject id), ascending or descending. Bounds may be open (nullopt).
struct IndexRange {
  std::optional<IndexBound> lower;
  std::optional<IndexBound> upper;
  bool descending = false;
  uint64_t limit = UINT64_MAX;
  // Bounds are converted to the field's type where that loses nothing (an
  // int bound on a float field reads the floats), unless `as_given`: then
  // they select the index's part for their own type (the index orders
  // values by type first; a lax field may hold several types).
  bool as_given = false;
};

// --------------------------------------------------------- change sets --

// One changed triple. `field` 0 is the subject itself: old/new are null or
// Bool(true) when the entity is created or deleted.
struct Change {
  uint64_t type = 0;
  uint64_t field = 0;
  uint64_t subject = 0;
  Value old_value;  // null: was absent
  Value new_value;  // null: now absent
};

struct ChangeSet {
  uint64_t sequence = 0;        // the storage sequence of the commit
  std::vector<Change> changes;  // sorted by (type, subject, field)
};

// Receives every commit's change set after it is applied, in commit order.
// OnCommit is called on the committing thread with commits serialized (the
// store reads exactly the commit's state then): keep it short, and do not
// commit from inside it. AfterCommit follows on the same thread once commits
// are no longer held up, for work that may take longer or call out to user
// code (it may run concurrently with later commits' OnCommit). A read-only
// transaction begun inside OnCommit reads exactly the commit's state and
// must end before OnCommit returns.
class CommitListener {
 public:
  virtual ~CommitListener() = default;
  virtual void OnCommit(const ChangeSet& changes) = 0;
  // After a schema change is written, called like OnCommit (AfterCommit
  // follows); `sequence` is the change's storage sequence. A schema change
  // that rewrote values (a retyped attribute) calls OnCommit with those
  // changes first.
  virtual void OnSchemaChange(uint64_t sequence) { (void)sequence; }
  virtual void AfterCommit() {}
};

// ---------------------------------------------------------- transactions --

// Entries a transaction has read: every key visited by a lookup or a scan
// (data, index and presence entries), and the iterator positionings.
struct ReadStats {
  uint64_t entries_read = 0;
  uint64_t seeks = 0;
};

struct TransactionOptions {
  Durability durability = Durability::kDurable;
  // A read-only transaction refuses writes and records no read set (there is
  // nothing to validate), so long scans cost no memory.
  bool read_only = false;
  // For the view maintainer only: may write the rows of views (and Put).
  // Other transactions are refused writes to a view.
  bool maintain_views = false;
};

class Transaction {
 public:
  virtual ~Transaction() = default;

  // Inserts an entity and returns its new id. Absent fields take their
  // DEFAULT; a REQUIRED field without a value is an error.
  virtual Result<uint64_t> Insert(std::string_view type, const Fields& fields) = 0;
  // Sets the given attributes (NULL retracts). NotFound if the entity does not exist.
  virtual Status Update(std::string_view type, uint64_t id, const Fields& fields) = 0;
  // Deletes the entity with all its triples and index entries. NotFound if absent.
  virtual Status Delete(std::string_view type, uint64_t id) = 0;
  // Views only (TransactionOptions::maintain_views): makes the entity `id`
  // of `type` exist with exactly `fields` (others retracted). A view row
  // takes the id of its source row, or its GROUP BY key's id.
  virtual Status Put(std::string_view type, uint64_t id, const Fields& fields) = 0;

  virtual Result<std::optional<Entity>> Get(std::string_view type, uint64_t id) = 0;
  // One attribute; null if absent. NotFound if the entity does not exist.
  virtual Result<Value> GetField(std::string_view type, uint64_t id, std::string_view field) = 0;
  // Entity ids of a type in ascending order; `fn` returns false to stop.
  virtual Status Scan(std::string_view type, const std::function<bool(uint64_t id)>& fn) = 0;
  // Entities whose indexed `field` lies in `range`, in index order.
  virtual Status IndexScan(std::string_view type, std::string_view field, const IndexRange& range,
                           const std::function<bool(const Value&, uint64_t id)>& fn) = 0;
  // Entities of `type` whose reference `field` points at `target` (reverse
  // traversal), in ascending id order. The forward direction is GetField.
  virtual Status Referrers(std::string_view type, std::string_view field, uint64_t target,
                           const std::function<bool(uint64_t id)>& fn) = 0;

  // Batched reads, for the query executor: one iterator serves many ids, so a
  // column fetched for N rows costs one positioning plus short steps instead
  // of N lookups through every level of the tree.
  //
  // `ids` ascending; (*out)[i] is ids[i]'s value of `field` (null if absent).
  virtual Status MultiGetField(std::string_view type, std::string_view field,
                               const std::vector<uint64_t>& ids, std::vector<Value>* out) = 0;
  // `targets` ascending; fn(target, referrer) for every subject of `type`
  // whose reference `field` points at a target, by target then referrer.
  virtual Status MultiReferrers(std::string_view type, std::string_view field,
                                const std::vector<uint64_t>& targets,
                                const std::function<bool(uint64_t target, uint64_t id)>& fn) = 0;
  // `ids` ascending; (*out)[i] is 1 if ids[i] is an entity of `type`.
  virtual Status MultiExists(std::string_view type, const std::vector<uint64_t>& ids,
                             std::vector<uint8_t>* out) = 0;

  // What this transaction has read so far (counted, for EXPLAIN and tests).
  virtual ReadStats read_stats() const = 0;
  // The storage sequence of the snapshot it reads: it sees every commit
  // whose ChangeSet::sequence is at most this.
  virtual uint64_t snapshot_sequence() const = 0;

  // Applies the writes atomically. Conflict if a concurrent commit changed
  // what this transaction read; the transaction is finished either way.
  virtual Status Commit() = 0;
  // Drops the buffered writes (also done by the destructor).
  virtual void Rollback() = 0;
};

// ------------------------------------------------------------- database --

struct DatabaseOptions {
  Options storage;  // the LSM engine's options
};

class Database {
 public:
  // Opens (creating if storage.create_if_missing) the store at `path`.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                const DatabaseOptions& options = {});
  virtual ~Database() = default;

  virtual std::unique_ptr<Transaction> Begin(const TransactionOptions& options = {}) = 0;
  // Runs `fn` in a transaction and commits it, re-running both on Conflict
  // up to `max_attempts` times. Any other error from `fn` rolls back and is
  // returned as is.
  virtual Status Run(const std::function<Status(Transaction&)>& fn,
                     const TransactionOptions& options = {}, int max_attempts = 16) = 0;

  // The current schema, types in id order.
  virtual std::vector<TypeInfo> Schema() const = 0;
  virtual std::optional<TypeInfo> FindType(std::string_view name) const = 0;
  // Changes whenever the schema does (compiled queries check it).
  virtual uint64_t schema_version() const = 0;
  // Makes each of `types` the declared state of that type (matched by id when
  // numbered, else by name; new types are created). Types not listed are left
  // as they are. Fields are matched by number: a new name is a rename, a
  // missing field is retired, a changed type converts stored values (an error
  // if any would not convert losslessly), index changes build or drop index
  // entries. All or nothing, in one atomic commit.
  virtual Result<SchemaReport> UpdateSchema(const std::vector<TypeInfo>& types,
                                            const SchemaUpdateOptions& options = {}) = 0;

  virtual void AddCommitListener(CommitListener* listener) = 0;
  virtual void RemoveCommitListener(CommitListener* listener) = 0;

  // A per-database object of the layers above (the live-query registry):
  // made by `make` on first use, destroyed with the database.
  virtual std::shared_ptr<void> Extension(std::string_view key,
                                          const std::function<std::shared_ptr<void>()>& make) = 0;

  // The storage engine underneath (for statistics, Flush, CompactAll, Sync).
  virtual DB* storage() = 0;
};

}  // namespace trine
