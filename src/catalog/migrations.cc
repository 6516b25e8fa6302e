#include "catalog/migrations.h"

#include <sqlite3.h>

#include <cerrno>

namespace trove {
namespace {

// Version 1: segments (one column per SegmentRecord field) and store_meta.
// Every column except id/name/link/path/area/state has a default so rows
// written by an older trove stay readable after columns are added.
constexpr const char* kV1 = R"sql(
CREATE TABLE segments (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  name            TEXT    NOT NULL UNIQUE,
  link            TEXT    NOT NULL,
  location        TEXT    NOT NULL DEFAULT '',
  level           TEXT    NOT NULL DEFAULT 'raw',
  parent_id       BIGINT  NOT NULL DEFAULT 0,
  path            TEXT    NOT NULL,
  area            TEXT    NOT NULL CHECK (area IN ('primary', 'spool')),
  state           TEXT    NOT NULL CHECK (state IN ('stored', 'expired', 'missing')),
  snaplen         BIGINT  NOT NULL DEFAULT 0,
  linktype        INTEGER NOT NULL DEFAULT 0,
  file_bytes      BIGINT  NOT NULL DEFAULT 0,
  sha256          TEXT    NOT NULL DEFAULT '',
  capture_host    TEXT    NOT NULL DEFAULT '',
  capture_filter  TEXT    NOT NULL DEFAULT '',
  trove_version   TEXT    NOT NULL DEFAULT '',
  closed_at_ns    BIGINT  NOT NULL DEFAULT 0,
  first_ts_ns     BIGINT  NOT NULL DEFAULT 0,
  last_ts_ns      BIGINT  NOT NULL DEFAULT 0,
  packets         BIGINT  NOT NULL DEFAULT 0,
  cap_bytes       BIGINT  NOT NULL DEFAULT 0,
  wire_bytes      BIGINT  NOT NULL DEFAULT 0,
  flows           BIGINT  NOT NULL DEFAULT 0,
  ipv4_packets    BIGINT  NOT NULL DEFAULT 0,
  ipv4_bytes      BIGINT  NOT NULL DEFAULT 0,
  ipv6_packets    BIGINT  NOT NULL DEFAULT 0,
  ipv6_bytes      BIGINT  NOT NULL DEFAULT 0,
  tcp_packets     BIGINT  NOT NULL DEFAULT 0,
  tcp_bytes       BIGINT  NOT NULL DEFAULT 0,
  udp_packets     BIGINT  NOT NULL DEFAULT 0,
  udp_bytes       BIGINT  NOT NULL DEFAULT 0,
  icmp_packets    BIGINT  NOT NULL DEFAULT 0,
  icmp_bytes      BIGINT  NOT NULL DEFAULT 0,
  other_packets   BIGINT  NOT NULL DEFAULT 0,
  other_bytes     BIGINT  NOT NULL DEFAULT 0,
  kernel_drops    BIGINT  NOT NULL DEFAULT 0,
  ring_drops      BIGINT  NOT NULL DEFAULT 0,
  store_drops     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX segments_link_first_ts ON segments (link, first_ts_ns);
CREATE INDEX segments_last_ts ON segments (last_ts_ns);
CREATE TABLE store_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// Version 2: primary-path partials stranded by a failover.
constexpr const char* kV2 = R"sql(
CREATE TABLE stranded_partials (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  path            TEXT    NOT NULL,
  link            TEXT    NOT NULL,
  durable_bytes   BIGINT  NOT NULL DEFAULT 0,
  recorded_at_ns  BIGINT  NOT NULL DEFAULT 0
);
)sql";

// Version 3: the key epoch of derived segments (as in trove.key_epoch).
constexpr const char* kV3 = R"sql(
ALTER TABLE segments ADD COLUMN key_epoch TEXT NOT NULL DEFAULT '';
)sql";

// Version 4: per-segment content summaries for query pruning
// (index/segment_summary.h): time range and a Bloom filter blob.
constexpr const char* kV4 = R"sql(
CREATE TABLE segment_summaries (
  segment_id      INTEGER PRIMARY KEY,
  first_ts_ns     BIGINT  NOT NULL DEFAULT 0,
  last_ts_ns      BIGINT  NOT NULL DEFAULT 0,
  summary         BLOB    NOT NULL
);
)sql";

// Version 5: the storage class of each segment (one segment stream per
// class and link). Rows of older catalogues get '' (their stream mixed the
// classes); no budget or retention applies to them.
constexpr const char* kV5 = R"sql(
ALTER TABLE segments ADD COLUMN class TEXT NOT NULL DEFAULT '';
CREATE INDEX segments_link_class_first_ts ON segments (link, class, first_ts_ns);
)sql";

// Version 6: row paths become relative to their storage area (segments:
// `area`; stranded partials: the primary), so a store can be moved or
// copied. SQL cannot know the area directories, so this step only marks
// the rewrite as pending; the store completes it when it opens the
// catalogue (AreaCatalog::RelativizeRows) and sets 'paths' to
// 'area-relative'. A trove older than v6 refuses this catalogue (it would
// read relative paths as absolute ones).
constexpr const char* kV6 = R"sql(
INSERT INTO store_meta (key, value) VALUES ('paths', 'pending')
  ON CONFLICT (key) DO UPDATE SET value = 'pending';
)sql";

std::string DbPath(sqlite3* db) {
  const char* f = db ? sqlite3_db_filename(db, "main") : nullptr;
  if (f == nullptr || *f == '\0') return ":memory:";
  return f;
}

Status Exec(sqlite3* db, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);  // SqliteStatus() reads the same text from the handle
  if (rc != SQLITE_OK) return SqliteStatus(db, rc, what);
  return Status::Ok();
}

}  // namespace

const std::vector<Migration>& SqliteMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "segments and store_meta", kV1},
      {2, "stranded_partials", kV2},
      {3, "segments.key_epoch", kV3},
      {4, "segment_summaries", kV4},
      {5, "segments.class", kV5},
      {6, "paths relative to their storage area", kV6},
  };
  return kMigrations;
}

int LatestSchemaVersion() { return SqliteMigrations().back().version; }

Result<int> ReadSchemaVersion(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(db, rc, "reading the schema version");
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    Status s = SqliteStatus(db, rc, "reading the schema version");
    sqlite3_finalize(st);
    return s;
  }
  int v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

Status MigrateTo(sqlite3* db, int version) {
  const std::string path = DbPath(db);
  if (version < 0 || version > LatestSchemaVersion()) {
    return Status::InvalidArgument("cannot migrate catalogue " + path + " to schema version " +
                                   std::to_string(version) + ": this trove knows versions 0.." +
                                   std::to_string(LatestSchemaVersion()));
  }
  const bool own_txn = sqlite3_get_autocommit(db) != 0;
  if (own_txn) TROVE_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", "starting the migration"));
  auto fail = [&](Status s) {
    if (own_txn && !sqlite3_get_autocommit(db))
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  };

  Result<int> cur = ReadSchemaVersion(db);
  if (!cur.ok()) return fail(cur.status());
  if (*cur > version) {
    return fail(Status::FailedPrecondition("catalogue " + path + " has schema version " +
                                           std::to_string(*cur) + "; refusing to downgrade it to " +
                                           std::to_string(version)));
  }
  for (const Migration& m : SqliteMigrations()) {
    if (m.version <= *cur || m.version > version) continue;
    const std::string what =
        "applying schema migration " + std::to_string(m.version) + " (" + m.description + ")";
    Status s = Exec(db, m.sql, what);
    if (!s.ok()) return fail(s);
    // PRAGMA takes no bound parameters; the value is our own constant.
    s = Exec(db, "PRAGMA user_version = " + std::to_string(m.version), what);
    if (!s.ok()) return fail(s);
  }
  if (own_txn) {
    Status s = Exec(db, "COMMIT", "committing the migration");
    if (!s.ok()) return fail(s);
  }
  return Status::Ok();
}

Status SqliteStatus(sqlite3* db, int rc, const std::string& what, const std::string& path_in) {
  const std::string path = path_in.empty() ? DbPath(db) : path_in;
  const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string m = "catalogue " + path + ": " + what + ": " + (msg ? msg : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return Status::Ok();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(m + " (another trove process holds the catalogue)");
    case SQLITE_FULL:
      return Status::FromErrno(ENOSPC, m);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN: {
      int e = db ? sqlite3_system_errno(db) : 0;
      if (e == 0) e = (rc & 0xff) == SQLITE_CANTOPEN ? ENOENT : EIO;
      return Status::FromErrno(e, m);
    }
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(m +
                                "; if the segment files are intact, `trove fsck "
                                "--rebuild-catalog` rebuilds the catalogue from them");
    case SQLITE_CONSTRAINT:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::FailedPrecondition(m);
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR:
    default:
      return Status::Internal(m);
  }
}

}  // namespace trove
