#include "catalog/sqlite_catalog.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <limits>
#include <thread>
#include <variant>

#include "catalog/migrations.h"

namespace trove {
namespace {

// ---- Column mapping -------------------------------------------------------
// One descriptor per segments column (except id), in a fixed order used by
// both INSERT and SELECT so the two cannot drift apart. Unsigned counters
// are stored as the two's-complement int64 (SQLite INTEGER / PG BIGINT);
// real values never reach 2^63.

enum class Kind { kInt, kText };

struct Column {
  const char* name;
  Kind kind;
  int64_t (*get_int)(const SegmentRecord&);
  void (*set_int)(SegmentRecord*, int64_t);
  std::string (*get_text)(const SegmentRecord&);
  bool (*set_text)(SegmentRecord*, const std::string&);
};

#define TROVE_INT_COL(col, field)                                                           \
  Column {                                                                                  \
    col, Kind::kInt, [](const SegmentRecord& r) { return static_cast<int64_t>(r.field); },  \
        [](SegmentRecord* r, int64_t v) { r->field = static_cast<decltype(r->field)>(v); }, \
        nullptr, nullptr                                                                    \
  }
#define TROVE_TEXT_COL(col, field)                                                      \
  Column {                                                                              \
    col, Kind::kText, nullptr, nullptr, [](const SegmentRecord& r) { return r.field; }, \
        [](SegmentRecord* r, const std::string& v) {                                    \
          r->field = v;                                                                 \
          return true;                                                                  \
        }                                                                               \
  }

const std::vector<Column>& Columns() {
  static const std::vector<Column> kCols = {
      TROVE_TEXT_COL("name", name),
      TROVE_TEXT_COL("link", link),
      TROVE_TEXT_COL("location", location),
      TROVE_TEXT_COL("level", level),
      TROVE_INT_COL("parent_id", parent_id),
      TROVE_TEXT_COL("path", path),
      Column{"area", Kind::kText, nullptr, nullptr,
             [](const SegmentRecord& r) { return std::string(ToString(r.area)); },
             [](SegmentRecord* r, const std::string& v) { return ParseStorageArea(v, &r->area); }},
      Column{
          "state", Kind::kText, nullptr, nullptr,
          [](const SegmentRecord& r) { return std::string(ToString(r.state)); },
          [](SegmentRecord* r, const std::string& v) { return ParseSegmentState(v, &r->state); }},
      TROVE_INT_COL("snaplen", snaplen),
      TROVE_INT_COL("linktype", linktype),
      TROVE_INT_COL("file_bytes", file_bytes),
      TROVE_TEXT_COL("sha256", sha256),
      TROVE_TEXT_COL("capture_host", capture_host),
      TROVE_TEXT_COL("capture_filter", capture_filter),
      TROVE_TEXT_COL("trove_version", trove_version),
      TROVE_INT_COL("closed_at_ns", closed_at_ns),
      TROVE_INT_COL("first_ts_ns", stats.first_ts_ns),
      TROVE_INT_COL("last_ts_ns", stats.last_ts_ns),
      TROVE_INT_COL("packets", stats.packets),
      TROVE_INT_COL("cap_bytes", stats.cap_bytes),
      TROVE_INT_COL("wire_bytes", stats.wire_bytes),
      TROVE_INT_COL("flows", stats.flows),
      TROVE_INT_COL("ipv4_packets", stats.mix.ipv4.packets),
      TROVE_INT_COL("ipv4_bytes", stats.mix.ipv4.bytes),
      TROVE_INT_COL("ipv6_packets", stats.mix.ipv6.packets),
      TROVE_INT_COL("ipv6_bytes", stats.mix.ipv6.bytes),
      TROVE_INT_COL("tcp_packets", stats.mix.tcp.packets),
      TROVE_INT_COL("tcp_bytes", stats.mix.tcp.bytes),
      TROVE_INT_COL("udp_packets", stats.mix.udp.packets),
      TROVE_INT_COL("udp_bytes", stats.mix.udp.bytes),
      TROVE_INT_COL("icmp_packets", stats.mix.icmp.packets),
      TROVE_INT_COL("icmp_bytes", stats.mix.icmp.bytes),
      TROVE_INT_COL("other_packets", stats.mix.other.packets),
      TROVE_INT_COL("other_bytes", stats.mix.other.bytes),
      TROVE_INT_COL("kernel_drops", drops.kernel),
      TROVE_INT_COL("ring_drops", drops.ring),
      TROVE_INT_COL("store_drops", drops.store),
      TROVE_TEXT_COL("key_epoch", key_epoch),
      TROVE_TEXT_COL("class", klass),
  };
  return kCols;
}

#undef TROVE_INT_COL
#undef TROVE_TEXT_COL

std::string JoinColumns() {
  std::string s;
  for (const Column& c : Columns()) {
    if (!s.empty()) s += ", ";
    s += c.name;
  }
  return s;
}

const std::string& SelectSql() {
  static const std::string kSql = "SELECT id, " + JoinColumns() + " FROM segments";
  return kSql;
}

const std::string& InsertSql() {
  static const std::string kSql = [] {
    std::string marks;
    for (size_t i = 0; i < Columns().size(); ++i) marks += i ? ", ?" : "?";
    return "INSERT INTO segments (" + JoinColumns() + ") VALUES (" + marks + ") RETURNING id";
  }();
  return kSql;
}

std::string ColumnText(sqlite3_stmt* st, int i) {
  const unsigned char* p = sqlite3_column_text(st, i);
  if (p == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st, i));
}

// Resets a cached statement (releasing its read snapshot) and its bindings
// on every path out of a scope.
class StmtUse {
 public:
  explicit StmtUse(sqlite3_stmt* st) : st_(st) {}
  ~StmtUse() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  StmtUse(const StmtUse&) = delete;
  StmtUse& operator=(const StmtUse&) = delete;

 private:
  sqlite3_stmt* st_;
};

using BindValue = std::variant<int64_t, std::string>;

int BindAll(sqlite3_stmt* st, const std::vector<BindValue>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    const int idx = static_cast<int>(i) + 1;
    int rc;
    if (const int64_t* v = std::get_if<int64_t>(&values[i])) {
      rc = sqlite3_bind_int64(st, idx, *v);
    } else {
      const std::string& s = std::get<std::string>(values[i]);
      rc = sqlite3_bind_text(st, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

// WHERE clause (SQL made only of fixed fragments; every value is bound) for
// a query. `default_state` applies when q.state is unset.
std::string WhereClause(const SegmentQuery& q, const char* default_state,
                        std::vector<BindValue>* binds) {
  std::string w;
  auto add = [&](const char* cond, BindValue v) {
    w += w.empty() ? " WHERE " : " AND ";
    w += cond;
    binds->push_back(std::move(v));
  };
  if (q.link) add("link = ?", *q.link);
  if (q.level) add("level = ?", *q.level);
  if (q.klass) add("class = ?", *q.klass);
  if (q.since_ns) add("last_ts_ns >= ?", *q.since_ns);
  if (q.until_ns) add("first_ts_ns < ?", *q.until_ns);
  if (q.state) {
    add("state = ?", std::string(ToString(*q.state)));
  } else if (default_state != nullptr) {
    add("state = ?", std::string(default_state));
  }
  if (q.area) add("area = ?", std::string(ToString(*q.area)));
  return w;
}

std::string OrderAndLimit(const SegmentQuery& q, std::vector<BindValue>* binds) {
  std::string s = " ORDER BY first_ts_ns, id";
  if (q.limit > 0) {
    s += " LIMIT ?";
    const uint64_t max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    binds->push_back(static_cast<int64_t>(std::min<uint64_t>(q.limit, max)));
  }
  return s;
}

bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status SyncDirectoryOf(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "opening directory " + dir.string() + " to fsync it");
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno(err, "fsync of directory " + dir.string());
  return Status::Ok();
}

// Runs a statement that returns at most one row we do not need.
Status StepSimple(sqlite3* db, const char* sql, const std::string& what, const std::string& path) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  if (rc == SQLITE_OK) {
    do {
      rc = sqlite3_step(st);
    } while (rc == SQLITE_ROW);
  }
  Status s = rc == SQLITE_DONE || rc == SQLITE_OK ? Status::Ok() : SqliteStatus(db, rc, what, path);
  sqlite3_finalize(st);
  return s;
}

Result<std::string> QueryText(sqlite3* db, const char* sql, const std::string& what,
                              const std::string& path) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  std::string out;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      out = ColumnText(st, 0);
      rc = SQLITE_DONE;
    }
  }
  Status s = rc == SQLITE_DONE ? Status::Ok() : SqliteStatus(db, rc, what, path);
  sqlite3_finalize(st);
  if (!s.ok()) return s;
  return out;
}

}  // namespace

// ---- Opening ---------------------------------------------------------------

Result<std::unique_ptr<SqliteCatalog>> SqliteCatalog::Open(const std::string& path, bool create) {
  if (path.empty()) return Status::InvalidArgument("catalogue path is empty");
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  const bool existed = std::filesystem::exists(st);
  if (!existed && !create) {
    return Status::NotFound("catalogue " + path +
                            " does not exist; is this a trove store? Create one with `trove init`");
  }
  if (std::filesystem::is_directory(st)) {
    return Status::InvalidArgument("catalogue " + path + " is a directory, not a database file");
  }

  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                    (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(db, sqlite3_close_v2);
  if (rc != SQLITE_OK) return SqliteStatus(db, rc, "opening", path);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);

  // The first statement that reads the file: a non-database fails here.
  // Switching a fresh file to WAL needs an exclusive lock and SQLite reports
  // SQLITE_BUSY at once instead of calling the busy handler when another
  // opener holds one, so retry for the busy timeout ourselves.
  Result<std::string> mode = std::string();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (int attempt = 0;; ++attempt) {
    mode = QueryText(db, "PRAGMA journal_mode", "opening", path);
    if (mode.ok() && *mode != "wal") {
      mode = QueryText(db, "PRAGMA journal_mode = WAL", "switching to WAL journal mode", path);
    }
    if (mode.ok() || mode.status().code() != Status::Code::kUnavailable ||
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 + attempt, 20)));
  }
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return Status::FailedPrecondition("catalogue " + path +
                                      ": cannot use WAL journal mode (SQLite kept '" + *mode +
                                      "'); the catalogue must be on a local filesystem");
  }
  TROVE_RETURN_IF_ERROR(StepSimple(db, "PRAGMA synchronous = FULL", "setting synchronous", path));
  TROVE_RETURN_IF_ERROR(StepSimple(db, "PRAGMA foreign_keys = ON", "enabling foreign keys", path));

  // Create/upgrade in one write transaction: concurrent openers serialise
  // here and the second one finds the schema already current.
  TROVE_RETURN_IF_ERROR(StepSimple(db, "BEGIN IMMEDIATE", "starting the open transaction", path));
  auto rollback = [&](Status s) {
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  };
  Result<int> version = ReadSchemaVersion(db);
  if (!version.ok()) return rollback(version.status().Annotate("catalogue " + path));
  const int latest = LatestSchemaVersion();
  if (*version > latest) {
    return rollback(Status::FailedPrecondition(
        "catalogue " + path + " has schema version " + std::to_string(*version) +
        ", newer than this trove supports (" + std::to_string(latest) + "); use a newer trove"));
  }
  if (*version == 0) {
    Result<std::string> n = QueryText(
        db, "SELECT CAST(COUNT(*) AS TEXT) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
        "inspecting an unversioned database", path);
    if (!n.ok()) return rollback(n.status());
    if (*n != "0") {
      return rollback(Status::FailedPrecondition(
          "catalogue " + path +
          " is a SQLite database but not a trove catalogue (it has tables and no trove schema "
          "version); refusing to modify it"));
    }
  }
  if (*version < latest) {
    Status s = MigrateTo(db, latest);
    if (!s.ok()) return rollback(s);
  }
  Status s = StepSimple(db, "COMMIT", "committing the open transaction", path);
  if (!s.ok()) return rollback(s);
  if (!existed) TROVE_RETURN_IF_ERROR(SyncDirectoryOf(path));

  guard.release();
  return std::unique_ptr<SqliteCatalog>(new SqliteCatalog(db, path, latest));
}

SqliteCatalog::SqliteCatalog(sqlite3* db, std::string path, int version)
    : db_(db), path_(std::move(path)), schema_version_(version) {}

SqliteCatalog::~SqliteCatalog() {
  for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
  stmts_.clear();
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close_v2(db_);
}

// ---- Helpers ---------------------------------------------------------------

Status SqliteCatalog::Error(int rc, const std::string& what) const {
  return SqliteStatus(db_, rc, what, path_);
}

Result<sqlite3_stmt*> SqliteCatalog::Prepare(const std::string& sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second;
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &st, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(st);
    return Error(rc, "preparing a statement");
  }
  stmts_.emplace(sql, st);
  return st;
}

Status SqliteCatalog::Exec(const char* sql, const std::string& what) {
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare(sql));
  StmtUse use(st);
  int rc;
  do {
    rc = sqlite3_step(st);
  } while (rc == SQLITE_ROW);
  if (rc != SQLITE_DONE) return Error(rc, what);
  return Status::Ok();
}

namespace {

Status ReadRecord(sqlite3_stmt* st, SegmentRecord* rec, const std::string& path) {
  rec->id = sqlite3_column_int64(st, 0);
  int i = 1;
  for (const Column& c : Columns()) {
    if (c.kind == Kind::kInt) {
      c.set_int(rec, sqlite3_column_int64(st, i));
    } else if (!c.set_text(rec, ColumnText(st, i))) {
      return Status::Corruption("catalogue " + path + ": segment id " + std::to_string(rec->id) +
                                " has an unknown " + c.name + " '" + ColumnText(st, i) +
                                "'; `trove fsck` can repair it");
    }
    ++i;
  }
  return Status::Ok();
}

}  // namespace

Result<SegmentRecord> SqliteCatalog::GetOne(const char* sql, bool by_id, int64_t id,
                                            const std::string& name, const std::string& what) {
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare(sql));
  StmtUse use(st);
  int rc = by_id ? sqlite3_bind_int64(st, 1, id)
                 : sqlite3_bind_text(st, 1, name.data(), static_cast<int>(name.size()),
                                     SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) return Error(rc, what);
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    return Status::NotFound(
        "no segment " + (by_id ? "with id " + std::to_string(id) : "named '" + name + "'") +
        " in catalogue " + path_ + "; `trove ls` lists the catalogued segments");
  }
  if (rc != SQLITE_ROW) return Error(rc, what);
  SegmentRecord rec;
  TROVE_RETURN_IF_ERROR(ReadRecord(st, &rec, path_));
  return rec;
}

// ---- Segments --------------------------------------------------------------

Status SqliteCatalog::InsertSegment(SegmentRecord* rec) {
  if (rec->name.empty()) {
    return Status::InvalidArgument("cannot catalogue a segment without a name (path '" + rec->path +
                                   "')");
  }
  const std::string what = "inserting segment '" + rec->name + "'";
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare(InsertSql()));
  StmtUse use(st);
  int idx = 1;
  for (const Column& c : Columns()) {
    int rc;
    if (c.kind == Kind::kInt) {
      rc = sqlite3_bind_int64(st, idx, c.get_int(*rec));
    } else {
      const std::string v = c.get_text(*rec);
      rc = sqlite3_bind_text(st, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) return Error(rc, what);
    ++idx;
  }
  int rc = sqlite3_step(st);
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Status::AlreadyExists("a segment named '" + rec->name + "' is already in catalogue " +
                                 path_);
  }
  if (rc != SQLITE_ROW) return Error(rc, what);
  const int64_t id = sqlite3_column_int64(st, 0);
  // Step to the end: in autocommit mode this is where the commit happens.
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return Error(rc, what);
  rec->id = id;
  return Status::Ok();
}

namespace {

Status NoSuchId(const std::string& path, int64_t id) {
  return Status::NotFound("no segment with id " + std::to_string(id) + " in catalogue " + path +
                          "; `trove ls` lists the catalogued segments");
}

}  // namespace

Status SqliteCatalog::UpdateLocation(int64_t id, StorageArea area, const std::string& path) {
  const std::string what = "moving segment " + std::to_string(id) + " to " + path;
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st,
                         Prepare("UPDATE segments SET area = ?, path = ? WHERE id = ?"));
  StmtUse use(st);
  int rc = BindAll(st, {std::string(ToString(area)), path, id});
  if (rc != SQLITE_OK) return Error(rc, what);
  rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) return Error(rc, what);
  if (sqlite3_changes(db_) == 0) return NoSuchId(path_, id);
  return Status::Ok();
}

Status SqliteCatalog::UpdateState(int64_t id, SegmentState state) {
  const std::string what = "setting segment " + std::to_string(id) + " to " + ToString(state);
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare("UPDATE segments SET state = ? WHERE id = ?"));
  StmtUse use(st);
  int rc = BindAll(st, {std::string(ToString(state)), id});
  if (rc != SQLITE_OK) return Error(rc, what);
  rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) return Error(rc, what);
  if (sqlite3_changes(db_) == 0) return NoSuchId(path_, id);
  return Status::Ok();
}

Status SqliteCatalog::DeleteSegment(int64_t id) {
  const std::string what = "deleting segment " + std::to_string(id);
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare("DELETE FROM segments WHERE id = ?"));
  StmtUse use(st);
  int rc = sqlite3_bind_int64(st, 1, id);
  if (rc != SQLITE_OK) return Error(rc, what);
  rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) return Error(rc, what);
  if (sqlite3_changes(db_) == 0) return NoSuchId(path_, id);
  return Status::Ok();
}

Result<std::vector<SegmentRecord>> SqliteCatalog::ListSegments(const SegmentQuery& q) {
  std::vector<BindValue> binds;
  std::string sql = SelectSql() + WhereClause(q, nullptr, &binds);
  sql += OrderAndLimit(q, &binds);
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare(sql));
  StmtUse use(st);
  int rc = BindAll(st, binds);
  if (rc != SQLITE_OK) return Error(rc, "listing segments");
  std::vector<SegmentRecord> out;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    SegmentRecord rec;
    TROVE_RETURN_IF_ERROR(ReadRecord(st, &rec, path_));
    out.push_back(std::move(rec));
  }
  if (rc != SQLITE_DONE) return Error(rc, "listing segments");
  return out;
}

Result<SegmentRecord> SqliteCatalog::GetSegment(const std::string& id_or_name) {
  if (id_or_name.empty()) return Status::InvalidArgument("empty segment id or name");
  if (AllDigits(id_or_name)) {
    int64_t id = 0;
    auto [p, ec] = std::from_chars(id_or_name.data(), id_or_name.data() + id_or_name.size(), id);
    if (ec != std::errc() || p != id_or_name.data() + id_or_name.size()) {
      return Status::NotFound("no segment with id " + id_or_name + " in catalogue " + path_ +
                              "; `trove ls` lists the catalogued segments");
    }
    static const std::string kById = SelectSql() + " WHERE id = ?";
    return GetOne(kById.c_str(), true, id, "", "looking up segment " + id_or_name);
  }
  static const std::string kByName = SelectSql() + " WHERE name = ?";
  return GetOne(kByName.c_str(), false, 0, id_or_name, "looking up segment '" + id_or_name + "'");
}

Result<CatalogTotals> SqliteCatalog::Totals(const SegmentQuery& q) {
  // Same rows as ListSegments(q) (including its limit), but only stored
  // segments unless q.state says otherwise. Time bounds ignore empty
  // segments, whose timestamps are 0.
  std::vector<BindValue> binds;
  std::string from;
  const std::string where = WhereClause(q, ToString(SegmentState::kStored), &binds);
  if (q.limit > 0) {
    from = "(SELECT * FROM segments" + where + OrderAndLimit(q, &binds) + ") AS matching";
  } else {
    from = "segments" + where;
  }
  const std::string sql =
      "SELECT COUNT(*), COALESCE(SUM(packets), 0), COALESCE(SUM(cap_bytes), 0), "
      "COALESCE(SUM(wire_bytes), 0), COALESCE(SUM(file_bytes), 0), "
      "COALESCE(SUM(kernel_drops), 0), COALESCE(SUM(ring_drops), 0), "
      "COALESCE(SUM(store_drops), 0), "
      "COALESCE(MIN(CASE WHEN packets > 0 THEN first_ts_ns END), 0), "
      "COALESCE(MAX(CASE WHEN packets > 0 THEN last_ts_ns END), 0) FROM " +
      from;
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare(sql));
  StmtUse use(st);
  int rc = BindAll(st, binds);
  if (rc != SQLITE_OK) return Error(rc, "computing totals");
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) return Error(rc, "computing totals");
  auto u = [&](int i) { return static_cast<uint64_t>(sqlite3_column_int64(st, i)); };
  CatalogTotals t;
  t.segments = u(0);
  t.packets = u(1);
  t.cap_bytes = u(2);
  t.wire_bytes = u(3);
  t.file_bytes = u(4);
  t.kernel_drops = u(5);
  t.ring_drops = u(6);
  t.store_drops = u(7);
  t.first_ts_ns = sqlite3_column_int64(st, 8);
  t.last_ts_ns = sqlite3_column_int64(st, 9);
  return t;
}

// ---- Stranded partials -----------------------------------------------------

Status SqliteCatalog::AddStranded(StrandedPartial* p) {
  const std::string what = "recording stranded partial " + p->path;
  TROVE_ASSIGN_OR_RETURN(
      sqlite3_stmt * st,
      Prepare("INSERT INTO stranded_partials (path, link, durable_bytes, recorded_at_ns) "
              "VALUES (?, ?, ?, ?) RETURNING id"));
  StmtUse use(st);
  int rc =
      BindAll(st, {p->path, p->link, static_cast<int64_t>(p->durable_bytes), p->recorded_at_ns});
  if (rc != SQLITE_OK) return Error(rc, what);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) return Error(rc, what);
  const int64_t id = sqlite3_column_int64(st, 0);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return Error(rc, what);
  p->id = id;
  return Status::Ok();
}

Result<std::vector<StrandedPartial>> SqliteCatalog::ListStranded() {
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st,
                         Prepare("SELECT id, path, link, durable_bytes, recorded_at_ns "
                                 "FROM stranded_partials ORDER BY id"));
  StmtUse use(st);
  std::vector<StrandedPartial> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    StrandedPartial p;
    p.id = sqlite3_column_int64(st, 0);
    p.path = ColumnText(st, 1);
    p.link = ColumnText(st, 2);
    p.durable_bytes = static_cast<uint64_t>(sqlite3_column_int64(st, 3));
    p.recorded_at_ns = sqlite3_column_int64(st, 4);
    out.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return Error(rc, "listing stranded partials");
  return out;
}

Status SqliteCatalog::RemoveStranded(int64_t id) {
  const std::string what = "removing stranded partial " + std::to_string(id);
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare("DELETE FROM stranded_partials WHERE id = ?"));
  StmtUse use(st);
  int rc = sqlite3_bind_int64(st, 1, id);
  if (rc != SQLITE_OK) return Error(rc, what);
  rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) return Error(rc, what);
  if (sqlite3_changes(db_) == 0) {
    return Status::NotFound("no stranded partial with id " + std::to_string(id) + " in catalogue " +
                            path_);
  }
  return Status::Ok();
}

// ---- Store metadata --------------------------------------------------------

Result<std::optional<std::string>> SqliteCatalog::GetMeta(const std::string& key) {
  const std::string what = "reading store_meta '" + key + "'";
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare("SELECT value FROM store_meta WHERE key = ?"));
  StmtUse use(st);
  int rc = BindAll(st, {key});
  if (rc != SQLITE_OK) return Error(rc, what);
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return Error(rc, what);
  return std::optional<std::string>(ColumnText(st, 0));
}

Status SqliteCatalog::SetMeta(const std::string& key, const std::string& value) {
  const std::string what = "writing store_meta '" + key + "'";
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st,
                         Prepare("INSERT INTO store_meta (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  StmtUse use(st);
  int rc = BindAll(st, {key, value});
  if (rc != SQLITE_OK) return Error(rc, what);
  rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) return Error(rc, what);
  return Status::Ok();
}

// ---- Segment summaries -----------------------------------------------------

Status SqliteCatalog::PutSegmentSummary(int64_t id, int64_t first_ts_ns, int64_t last_ts_ns,
                                        const std::string& blob) {
  const std::string what = "writing the summary of segment id " + std::to_string(id);
  TROVE_ASSIGN_OR_RETURN(
      sqlite3_stmt * st,
      Prepare("INSERT INTO segment_summaries (segment_id, first_ts_ns, last_ts_ns, summary) "
              "VALUES (?, ?, ?, ?) ON CONFLICT (segment_id) DO UPDATE SET "
              "first_ts_ns = excluded.first_ts_ns, last_ts_ns = excluded.last_ts_ns, "
              "summary = excluded.summary"));
  StmtUse use(st);
  int rc = BindAll(st, {id, first_ts_ns, last_ts_ns});
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_blob(st, 4, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) return Error(rc, what);
  rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) return Error(rc, what);
  return Status::Ok();
}

Result<std::optional<std::string>> SqliteCatalog::GetSegmentSummary(int64_t id) {
  const std::string what = "reading the summary of segment id " + std::to_string(id);
  TROVE_ASSIGN_OR_RETURN(sqlite3_stmt * st,
                         Prepare("SELECT summary FROM segment_summaries WHERE segment_id = ?"));
  StmtUse use(st);
  int rc = BindAll(st, {id});
  if (rc != SQLITE_OK) return Error(rc, what);
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return Error(rc, what);
  const void* b = sqlite3_column_blob(st, 0);
  const int n = sqlite3_column_bytes(st, 0);
  return std::optional<std::string>(b ? std::string(static_cast<const char*>(b), static_cast<size_t>(n))
                                      : std::string());
}

// ---- Transactions ----------------------------------------------------------

Status SqliteCatalog::Transaction(const std::function<Status()>& fn) {
  const int depth = txn_depth_;
  const std::string sp = "trove_sp" + std::to_string(depth);
  if (depth == 0) {
    TROVE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "starting a transaction"));
  } else {
    TROVE_RETURN_IF_ERROR(Exec(("SAVEPOINT " + sp).c_str(), "starting a nested transaction"));
  }
  // Undo this level. If SQLite already rolled the whole transaction back
  // (it does after some I/O errors) there is nothing left to undo.
  auto undo = [&] {
    if (sqlite3_get_autocommit(db_)) return;
    if (depth == 0) {
      (void)Exec("ROLLBACK", "rolling back a transaction");
    } else {
      (void)Exec(("ROLLBACK TO " + sp).c_str(), "rolling back a nested transaction");
      (void)Exec(("RELEASE " + sp).c_str(), "closing a nested transaction");
    }
  };

  ++txn_depth_;
  Status s;
  try {
    s = fn();
  } catch (...) {
    --txn_depth_;
    undo();
    throw;
  }
  --txn_depth_;
  if (!s.ok()) {
    undo();
    return s;
  }
  if (sqlite3_get_autocommit(db_)) {
    return Status::Internal("catalogue " + path_ +
                            ": the transaction was rolled back by SQLite after an earlier error");
  }
  s = depth == 0 ? Exec("COMMIT", "committing a transaction")
                 : Exec(("RELEASE " + sp).c_str(), "closing a nested transaction");
  if (!s.ok()) undo();
  return s;
}

}  // namespace trove
