#pragma once
// SqliteCatalog: the Catalog backend on one SQLite file (WAL mode,
// synchronous=FULL: a catalogued segment survives power loss once
// InsertSegment returns OK). Open() creates and/or migrates the schema up to
// LatestSchemaVersion() in one BEGIN IMMEDIATE transaction.
//
// Thread safety: an object is used by one thread at a time (the connection
// is opened without SQLite's mutex). Any number of objects, in any number of
// threads or processes, may open the same file: writers are serialised by
// SQLite and wait up to 10 s for each other (busy_timeout) before failing
// with kUnavailable.
// Ownership: owns the connection and its prepared statements; closing is
// the destructor. Every SQLite error becomes a Status that names the file.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "catalog/catalog.h"

struct sqlite3;
struct sqlite3_stmt;

namespace trove {

class SqliteCatalog final : public Catalog {
 public:
  static constexpr int kBusyTimeoutMs = 10000;

  // `path` is the database file. If !create and it does not exist:
  // kNotFound. Not a SQLite file: kCorruption. Written by a newer trove:
  // kFailedPrecondition. A SQLite file that is not a trove catalogue:
  // kFailedPrecondition (it is left untouched).
  static Result<std::unique_ptr<SqliteCatalog>> Open(const std::string& path, bool create);

  ~SqliteCatalog() override;
  SqliteCatalog(const SqliteCatalog&) = delete;
  SqliteCatalog& operator=(const SqliteCatalog&) = delete;

  const std::string& path() const { return path_; }
  // The connection, for tests that check pragmas. Not for production code.
  sqlite3* db_for_testing() const { return db_; }

  int SchemaVersion() const override { return schema_version_; }

  Status InsertSegment(SegmentRecord* rec) override;
  Status UpdateLocation(int64_t id, StorageArea area, const std::string& path) override;
  Status UpdateState(int64_t id, SegmentState state) override;
  Status DeleteSegment(int64_t id) override;

  Result<std::vector<SegmentRecord>> ListSegments(const SegmentQuery& q) override;
  Result<SegmentRecord> GetSegment(const std::string& id_or_name) override;
  Result<CatalogTotals> Totals(const SegmentQuery& q) override;

  Status AddStranded(StrandedPartial* p) override;
  Result<std::vector<StrandedPartial>> ListStranded() override;
  Status RemoveStranded(int64_t id) override;

  Result<std::optional<std::string>> GetMeta(const std::string& key) override;
  Status SetMeta(const std::string& key, const std::string& value) override;
  Status PutSegmentSummary(int64_t id, int64_t first_ts_ns, int64_t last_ts_ns,
                           const std::string& blob) override;
  Result<std::optional<std::string>> GetSegmentSummary(int64_t id) override;

  // BEGIN IMMEDIATE ... COMMIT; nested calls use SAVEPOINTs, so an inner
  // failure undoes only the inner part and the outer fn decides. If fn
  // throws, the (sub)transaction is rolled back and the exception rethrown.
  Status Transaction(const std::function<Status()>& fn) override;

 private:
  SqliteCatalog(sqlite3* db, std::string path, int version);

  // Returns the cached prepared statement for `sql` (prepared on first use).
  Result<sqlite3_stmt*> Prepare(const std::string& sql);
  Status Exec(const char* sql, const std::string& what);
  Status Error(int rc, const std::string& what) const;
  Result<SegmentRecord> GetOne(const char* sql, bool by_id, int64_t id, const std::string& name,
                               const std::string& what);

  sqlite3* db_;
  std::string path_;
  int schema_version_;
  int txn_depth_ = 0;
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
};

}  // namespace trove
