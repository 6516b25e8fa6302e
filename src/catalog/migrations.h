#pragma once
// Schema migrations of the SQLite catalogue: an ordered, append-only list of
// (version, SQL). Version N's SQL turns a version N-1 catalogue into version
// N; the catalogue's version lives in PRAGMA user_version (0 = empty file).
//
// Rules: a released migration is frozen -- never edit one, append a new one.
// The SQL uses portable types (INTEGER/BIGINT, TEXT) so a PostgreSQL backend
// can carry the same list with trivial changes (AUTOINCREMENT -> identity).
//
// Thread safety: the list is immutable; MigrateTo() uses the connection it
// is given and must not race other users of that connection.

#include <string>
#include <vector>

#include "util/status.h"

struct sqlite3;

namespace trove {

struct Migration {
  int version;              // 1, 2, ... contiguous
  const char* description;  // one line, for logs and errors
  const char* sql;          // one or more statements
};

// All migrations, ascending by version.
const std::vector<Migration>& SqliteMigrations();

// The newest schema version this build knows.
int LatestSchemaVersion();

// Reads PRAGMA user_version.
Result<int> ReadSchemaVersion(sqlite3* db);

// Applies migrations (current, version] in order and sets user_version.
// If the connection is in autocommit mode this runs in its own BEGIN
// IMMEDIATE transaction; otherwise it joins the caller's transaction (the
// caller commits or rolls back). Refuses to go down (FailedPrecondition) or
// past LatestSchemaVersion() (InvalidArgument). Public so tests can build
// an old catalogue and check that opening upgrades it.
Status MigrateTo(sqlite3* db, int version);

// Turns a SQLite result code into a Status that names the database file
// (`path`, or the connection's file if empty), what was being done and the
// SQLite message. Used by the whole backend.
Status SqliteStatus(sqlite3* db, int rc, const std::string& what, const std::string& path = "");

}  // namespace trove
