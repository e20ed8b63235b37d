// The seam between the triple store and the view maintainer of the layer
// above (treeql/live/views.cpp), which the store cannot name.
//
// Views that are refreshed on commit are written in the same atomic batch
// as the base writes that change them: the store calls BeforeCommit under
// its commit lock, after the transaction was validated and before its batch
// is written. The transaction then reads the store as it will be once the
// commit is applied (the latest state plus its own writes) and may write
// view rows, which join the batch.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "trine/database.h"

namespace trine::triples {

// The type that records each view's state (one row per view, written by the
// view maintainer only).
constexpr const char* kViewStateType = "_views";

class ViewSupport {
 public:
  virtual ~ViewSupport() = default;
  // `pending()` gives the transaction's changes so far, coalesced per triple
  // (including view rows written by earlier calls). An error fails the
  // commit: nothing is written.
  virtual Status BeforeCommit(Transaction& txn, const std::function<ChangeSet()>& pending) = 0;
  // The batch BeforeCommit contributed to was not written after all.
  virtual void CommitFailed() = 0;

  // Schema files' VIEW statements: each becomes (or updates) a view type
  // whose fields are its query's keys; a new or changed definition is built
  // (with progress) before this returns. On an error in a view's query,
  // `error` says which view and where in its query text.
  struct Definition {
    std::string name;
    std::string query;
    bool manual = false;
  };
  struct DefinitionError {
    size_t view = 0;
    uint32_t offset = 0;  // in the view's query text
  };
  virtual Result<SchemaReport> DefineViews(const std::vector<Definition>& views,
                                           const SchemaUpdateOptions& options,
                                           DefinitionError* error) = 0;

  // Around a schema update of the tables views read (schema files, TABLE
  // statements). Before notes what each view reads. After rebuilds the
  // views whose base types changed (a retyped field rewrote their data),
  // and returns a report line per view it rebuilt or had to leave invalid
  // (its query no longer binds: a field it reads was renamed or retired).
  virtual Status BeforeTableChange() = 0;
  virtual Result<std::vector<std::string>> AfterTableChange(const SchemaUpdateOptions& options) = 0;
};

// Opens the store without view support (Database::Open, in the layer
// above, adds it).
Result<std::unique_ptr<Database>> OpenStore(const std::string& path,
                                            const DatabaseOptions& options);

// Installs the maintainer of `db`'s views (once, when the store is opened).
void AttachViewSupport(Database& db, std::shared_ptr<ViewSupport> support);
// The installed maintainer, or null.
ViewSupport* GetViewSupport(Database& db);

}  // namespace trine::triples
