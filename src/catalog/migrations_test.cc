// Schema migrations and the refusals on open. The sqlite3 CLI serves as an
// independent oracle for what is actually in the file.

#include "catalog/migrations.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "catalog/catalog.h"
#include "catalog/sqlite_catalog.h"

namespace trove {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "trove-migrations-test-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) std::abort();
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs the sqlite3 command-line shell on `path` and returns its stdout.
std::string Cli(const std::string& path, const std::string& command) {
  const std::string cmd = "sqlite3 '" + path + "' '" + command + "' 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  EXPECT_NE(f, nullptr);
  if (f == nullptr) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  EXPECT_EQ(::pclose(f), 0) << cmd << ": " << out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

bool CliAvailable() { return ::system("sqlite3 -version >/dev/null 2>&1") == 0; }

sqlite3* RawOpen(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  return db;
}

void RawExec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << sql << ": " << (err ? err : "");
  sqlite3_free(err);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Version(sqlite3* db) {
  Result<int> v = ReadSchemaVersion(db);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : -1;
}

TEST(Migrations, ListIsContiguousFromOne) {
  const auto& ms = SqliteMigrations();
  ASSERT_FALSE(ms.empty());
  for (size_t i = 0; i < ms.size(); ++i) {
    EXPECT_EQ(ms[i].version, static_cast<int>(i) + 1);
    EXPECT_NE(ms[i].sql, nullptr);
    EXPECT_NE(ms[i].description, nullptr);
  }
  EXPECT_EQ(LatestSchemaVersion(), 6);
}

TEST(Migrations, StepByStepOnAFreshDatabase) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  EXPECT_EQ(Version(db), 0);
  ASSERT_TRUE(MigrateTo(db, 1).ok());
  EXPECT_EQ(Version(db), 1);
  RawExec(db, "SELECT COUNT(*) FROM segments");
  RawExec(db, "SELECT COUNT(*) FROM store_meta");
  // No stranded_partials yet at v1.
  EXPECT_NE(sqlite3_exec(db, "SELECT 1 FROM stranded_partials", nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_TRUE(MigrateTo(db, 2).ok());
  EXPECT_EQ(Version(db), 2);
  RawExec(db, "SELECT COUNT(*) FROM stranded_partials");
  ASSERT_TRUE(MigrateTo(db, 2).ok());  // no-op
  ASSERT_TRUE(MigrateTo(db, 3).ok());
  EXPECT_EQ(Version(db), 3);
  RawExec(db, "SELECT key_epoch FROM segments");
  // No segment_summaries yet at v3.
  EXPECT_NE(sqlite3_exec(db, "SELECT 1 FROM segment_summaries", nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_TRUE(MigrateTo(db, 4).ok());
  EXPECT_EQ(Version(db), 4);
  RawExec(db, "SELECT COUNT(*) FROM segment_summaries");
  // No class column yet at v4.
  EXPECT_NE(sqlite3_exec(db, "SELECT class FROM segments", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_TRUE(MigrateTo(db, 5).ok());
  EXPECT_EQ(Version(db), 5);
  RawExec(db, "SELECT class FROM segments");
  // v6 marks the rewrite of absolute row paths as pending (the store does it).
  ASSERT_TRUE(MigrateTo(db, 6).ok());
  EXPECT_EQ(Version(db), 6);
  {
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT value FROM store_meta WHERE key = 'paths'", -1, &st,
                                 nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "pending");
    sqlite3_finalize(st);
  }

  Status down = MigrateTo(db, 1);
  EXPECT_EQ(down.code(), Status::Code::kFailedPrecondition) << down.ToString();
  EXPECT_EQ(MigrateTo(db, 7).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(MigrateTo(db, -1).code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(sqlite3_get_autocommit(db));  // no transaction left open
  sqlite3_close(db);
}

TEST(Migrations, JoinsTheCallersTransaction) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  RawExec(db, "BEGIN IMMEDIATE");
  ASSERT_TRUE(MigrateTo(db, 2).ok());
  EXPECT_FALSE(sqlite3_get_autocommit(db));  // did not commit on its own
  RawExec(db, "ROLLBACK");
  EXPECT_EQ(Version(db), 0);
  EXPECT_NE(sqlite3_exec(db, "SELECT 1 FROM segments", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

// The schema as the brief specifies it, typed out independently of the
// backend's column list.
TEST(Migrations, SchemaHasEveryColumnAndIndex) {
  TempDir dir;
  const std::string path = dir.File("catalog.db");
  ASSERT_TRUE(SqliteCatalog::Open(path, true).ok());
  sqlite3* db = RawOpen(path);
  auto column_names = [&](const std::string& table) {
    std::vector<std::string> cols;
    sqlite3_stmt* st = nullptr;
    std::string sql = "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid";
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      cols.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
    sqlite3_finalize(st);
    return cols;
  };
  const std::vector<std::string> want_segments = {
      "id",           "name",          "link",           "location",
      "level",        "parent_id",     "path",           "area",
      "state",        "snaplen",       "linktype",       "file_bytes",
      "sha256",       "capture_host",  "capture_filter", "trove_version",
      "closed_at_ns", "first_ts_ns",   "last_ts_ns",     "packets",
      "cap_bytes",    "wire_bytes",    "flows",          "ipv4_packets",
      "ipv4_bytes",   "ipv6_packets",  "ipv6_bytes",     "tcp_packets",
      "tcp_bytes",    "udp_packets",   "udp_bytes",      "icmp_packets",
      "icmp_bytes",   "other_packets", "other_bytes",    "kernel_drops",
      "ring_drops",   "store_drops",   "key_epoch",      "class"};
  EXPECT_EQ(column_names("segments"), want_segments);
  EXPECT_EQ(column_names("store_meta"), (std::vector<std::string>{"key", "value"}));
  EXPECT_EQ(column_names("stranded_partials"),
            (std::vector<std::string>{"id", "path", "link", "durable_bytes", "recorded_at_ns"}));

  auto index_columns = [&](const std::string& index) {
    std::string cols;
    sqlite3_stmt* st = nullptr;
    std::string sql = "SELECT name FROM pragma_index_info('" + index + "') ORDER BY seqno";
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (!cols.empty()) cols += ",";
      cols += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return cols;
  };
  EXPECT_EQ(index_columns("segments_link_first_ts"), "link,first_ts_ns");
  EXPECT_EQ(index_columns("segments_last_ts"), "last_ts_ns");
  EXPECT_EQ(index_columns("segments_link_class_first_ts"), "link,class,first_ts_ns");
  sqlite3_close(db);
}

// Builds a v1 catalogue by hand, then lets the current trove open it.
TEST(Migrations, OpenUpgradesV1KeepingRows) {
  TempDir dir;
  const std::string path = dir.File("catalog.db");
  sqlite3* db = RawOpen(path);
  ASSERT_TRUE(MigrateTo(db, 1).ok());
  RawExec(db,
          "INSERT INTO segments (name, link, path, area, state, packets, first_ts_ns, last_ts_ns, "
          "sha256, kernel_drops) VALUES "
          "('old-1', 'uplink', '/p/old-1.pcapng', 'primary', 'stored', 10, 100, 200, 'ab', 3), "
          "('old-2', 'uplink', '/s/old-2.pcapng', 'spool', 'expired', 20, 300, 400, 'cd', 0)");
  RawExec(db, "INSERT INTO store_meta (key, value) VALUES ('store_id', 'v1-store')");
  sqlite3_close(db);
  if (CliAvailable()) {
    ASSERT_EQ(Cli(path, "PRAGMA user_version;"), "1");
  }

  auto opened = OpenCatalog("sqlite:catalog.db", dir.path(), /*create=*/false);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Catalog& cat = **opened;
  EXPECT_EQ(cat.SchemaVersion(), 6);
  EXPECT_EQ(cat.GetSegment("old-1")->key_epoch, "");  // column default
  auto a = cat.GetSegment("old-1");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->id, 1);
  EXPECT_EQ(a->link, "uplink");
  EXPECT_EQ(a->path, "/p/old-1.pcapng");
  EXPECT_EQ(a->area, StorageArea::kPrimary);
  EXPECT_EQ(a->state, SegmentState::kStored);
  EXPECT_EQ(a->stats.packets, 10u);
  EXPECT_EQ(a->stats.first_ts_ns, 100);
  EXPECT_EQ(a->stats.last_ts_ns, 200);
  EXPECT_EQ(a->sha256, "ab");
  EXPECT_EQ(a->drops.kernel, 3u);
  EXPECT_EQ(a->level, "raw");  // column default
  auto b = cat.GetSegment("2");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->name, "old-2");
  EXPECT_EQ(b->area, StorageArea::kSpool);
  EXPECT_EQ(b->state, SegmentState::kExpired);
  auto meta = cat.GetMeta("store_id");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->value_or(""), "v1-store");

  // The new table works, and new rows continue after the old ids.
  StrandedPartial p{0, "/p/x.partial", "uplink", 512, 7};
  ASSERT_TRUE(cat.AddStranded(&p).ok());
  SegmentRecord r;
  r.name = "new-3";
  r.link = "uplink";
  r.path = "/p/new-3.pcapng";
  ASSERT_TRUE(cat.InsertSegment(&r).ok());
  EXPECT_EQ(r.id, 3);
  opened.value().reset();  // close

  if (CliAvailable()) {
    EXPECT_EQ(Cli(path, "PRAGMA user_version;"), "6");
    const std::string schema = Cli(path, ".schema");
    EXPECT_NE(schema.find("CREATE TABLE stranded_partials"), std::string::npos) << schema;
    EXPECT_NE(schema.find("CREATE TABLE segments"), std::string::npos) << schema;
    EXPECT_NE(schema.find("CREATE TABLE store_meta"), std::string::npos) << schema;
    EXPECT_EQ(Cli(path, "SELECT name FROM segments ORDER BY id;"), "old-1\nold-2\nnew-3");
    EXPECT_EQ(Cli(path, "SELECT path, durable_bytes FROM stranded_partials;"), "/p/x.partial|512");
    EXPECT_EQ(Cli(path, "PRAGMA integrity_check;"), "ok");
  } else {
    GTEST_SKIP() << "sqlite3 CLI not installed; oracle checks skipped";
  }
}

// A v4 catalogue (before per-class streams): its rows get the class '' and
// keep every other field; new rows record their class and can be selected
// by it.
TEST(Migrations, OpenUpgradesV4AddingTheClassColumn) {
  TempDir dir;
  const std::string path = dir.File("catalog.db");
  sqlite3* db = RawOpen(path);
  ASSERT_TRUE(MigrateTo(db, 4).ok());
  RawExec(db,
          "INSERT INTO segments (name, link, path, area, state, packets, level, key_epoch) VALUES "
          "('v4-1', 'uplink', '/p/v4-1.pcapng', 'primary', 'stored', 7, 'raw', ''), "
          "('v4-1.scrambled', 'uplink', '/p/v4-1.scrambled.pcapng', 'primary', 'expired', 7, "
          "'scrambled', '2026')");
  sqlite3_close(db);

  auto opened = OpenCatalog("sqlite:catalog.db", dir.path(), /*create=*/false);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Catalog& cat = **opened;
  EXPECT_EQ(cat.SchemaVersion(), 6);
  auto a = cat.GetSegment("v4-1");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->klass, "");
  EXPECT_EQ(a->stats.packets, 7u);
  auto b = cat.GetSegment("v4-1.scrambled");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->klass, "");
  EXPECT_EQ(b->state, SegmentState::kExpired);
  EXPECT_EQ(b->key_epoch, "2026");

  SegmentRecord r;
  r.name = "uplink-dns-1";
  r.link = "uplink";
  r.klass = "dns";
  r.path = "/p/uplink-dns-1.pcapng";
  ASSERT_TRUE(cat.InsertSegment(&r).ok());
  SegmentQuery q;
  q.klass = "dns";
  auto dns = cat.ListSegments(q);
  ASSERT_TRUE(dns.ok());
  ASSERT_EQ(dns->size(), 1u);
  EXPECT_EQ((*dns)[0].name, "uplink-dns-1");
  q.klass = "";
  auto old = cat.ListSegments(q);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->size(), 2u);
  opened.value().reset();
  if (CliAvailable()) {
    EXPECT_EQ(Cli(path, "PRAGMA user_version;"), "6");
    EXPECT_EQ(Cli(path, "SELECT name, class FROM segments ORDER BY id;"),
              "v4-1|\nv4-1.scrambled|\nuplink-dns-1|dns");
  }
}

// A migration that fails leaves the catalogue exactly as it was.
TEST(Migrations, FailedUpgradeChangesNothing) {
  TempDir dir;
  const std::string path = dir.File("catalog.db");
  sqlite3* db = RawOpen(path);
  ASSERT_TRUE(MigrateTo(db, 1).ok());
  RawExec(db,
          "INSERT INTO segments (name, link, path, area, state) VALUES "
          "('keep', 'l', '/p', 'primary', 'stored')");
  RawExec(db, "CREATE TABLE stranded_partials (x TEXT)");  // migration 2 will collide
  sqlite3_close(db);

  auto c = SqliteCatalog::Open(path, false);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(path), std::string::npos) << c.status().ToString();
  EXPECT_NE(c.status().message().find("migration 2"), std::string::npos) << c.status().ToString();
  EXPECT_NE(c.status().message().find("already exists"), std::string::npos)
      << c.status().ToString();

  db = RawOpen(path);
  EXPECT_EQ(Version(db), 1);
  sqlite3_close(db);
  if (CliAvailable()) {
    EXPECT_EQ(Cli(path, "SELECT name FROM segments;"), "keep");
  }
}

TEST(Migrations, RefusesNewerSchema) {
  TempDir dir;
  const std::string path = dir.File("catalog.db");
  ASSERT_TRUE(SqliteCatalog::Open(path, true).ok());
  sqlite3* db = RawOpen(path);
  RawExec(db, "PRAGMA user_version = 99");
  sqlite3_close(db);

  for (bool create : {false, true}) {
    auto c = SqliteCatalog::Open(path, create);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), Status::Code::kFailedPrecondition);
    EXPECT_EQ(c.status().message(), "catalogue " + path +
                                        " has schema version 99, newer than this trove supports "
                                        "(6); use a newer trove");
  }
  db = RawOpen(path);
  EXPECT_EQ(Version(db), 99);  // untouched
  sqlite3_close(db);
}

TEST(Migrations, GarbageFileIsCorruption) {
  TempDir dir;
  std::string big;
  for (int i = 0; i < 512; ++i) big += "not a database, just some bytes " + std::to_string(i);
  for (const std::string& contents : {std::string("garbage!!\n"), big}) {
    const std::string path = dir.File("catalog.db");
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << contents;
    }
    for (bool create : {false, true}) {
      auto c = SqliteCatalog::Open(path, create);
      ASSERT_FALSE(c.ok()) << contents.size() << " bytes";
      EXPECT_EQ(c.status().code(), Status::Code::kCorruption) << c.status().ToString();
      EXPECT_NE(c.status().message().find(path), std::string::npos) << c.status().message();
      EXPECT_NE(c.status().message().find("trove fsck --rebuild-catalog"), std::string::npos)
          << c.status().message();
    }
    EXPECT_EQ(ReadFile(path), contents);  // never overwritten
  }
}

TEST(Migrations, ForeignSqliteDatabaseIsLeftAlone) {
  TempDir dir;
  const std::string path = dir.File("catalog.db");
  sqlite3* db = RawOpen(path);
  RawExec(db, "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup')");
  sqlite3_close(db);
  auto c = SqliteCatalog::Open(path, true);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("not a trove catalogue"), std::string::npos);
  db = RawOpen(path);
  EXPECT_EQ(Version(db), 0);
  EXPECT_NE(sqlite3_exec(db, "SELECT 1 FROM segments", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST(Migrations, MissingFileWithoutCreateIsNotFound) {
  TempDir dir;
  const std::string path = dir.File("catalog.db");
  auto c = SqliteCatalog::Open(path, false);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kNotFound);
  EXPECT_NE(c.status().message().find(path), std::string::npos);
  EXPECT_NE(c.status().message().find("trove init"), std::string::npos);
  EXPECT_FALSE(fs::exists(path));
}

// An empty file (e.g. `trove init` killed before its first commit) is a
// version-0 catalogue and is brought up to date.
TEST(Migrations, EmptyFileIsInitialised) {
  TempDir dir;
  const std::string path = dir.File("catalog.db");
  { std::ofstream out(path); }
  auto c = SqliteCatalog::Open(path, false);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->SchemaVersion(), LatestSchemaVersion());
}

TEST(Migrations, MissingDirectoryNamesThePath) {
  TempDir dir;
  const std::string path = dir.File("no/such/dir/catalog.db");
  auto c = SqliteCatalog::Open(path, true);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(path), std::string::npos) << c.status().ToString();
}

}  // namespace
}  // namespace trove
