// Tests for store/fsck.h on real stores (Store::Init in a temporary
// directory): each kind of damage is made by hand (deleted file, flipped
// byte, truncated file, uncatalogued file, partial, interrupted move) and
// the report and the repaired state are checked against sha256sum, tcpdump
// and the sqlite3 CLI. dry_run must change nothing, and --rebuild-catalog
// must reproduce the catalogue from the segment files alone.

#include "store/fsck.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "anon/key_file.h"
#include "levels/derive_levels.h"
#include "segment/segment_test_util.h"
#include "store/expiry.h"
#include "store/mover.h"

namespace trove {
namespace {

using namespace segtest;  // NOLINT

class FsckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTool("tcpdump") || !HaveTool("sha256sum") || !HaveTool("sqlite3"))
      GTEST_SKIP() << "tcpdump, sha256sum and sqlite3 are the oracles here";
    ASSERT_TRUE(Store::Init(dir_.path(), InitOptions{}).ok());
    // Without a master key fsck derives no privacy levels (as in a store
    // made before them): these tests count raw segments only. The levels
    // have their own test below.
    std::filesystem::remove(dir_ / "keys/master.key");
    Reopen();
  }
  void Reopen() {
    store_.reset();
    auto s = Store::Open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  Store& store() { return *store_; }
  Catalog& cat() { return store_->catalog(); }

  // Writes segments of `n` packets each into the store (primary, or the
  // spool when the marker is absent). Returns their records.
  std::vector<SegmentRecord> Write(size_t segments, size_t n, int64_t first_ts,
                                   const std::string& link = "default") {
    StorageRouter router(store().fs(), store().primary_dir(), store().spool_dir(), 3600 * kSec);
    SegmentWriterOptions o = TestWriterOptions(link);
    o.policy.max_duration_ns = 10 * kSec;
    std::vector<TestPacket> pkts;
    for (size_t s = 0; s < segments; ++s) {
      auto part = UdpStream(n, first_ts + static_cast<int64_t>(s) * 10 * kSec, 100'000'000, 300,
                            static_cast<uint32_t>(s + 1));
      pkts.insert(pkts.end(), part.begin(), part.end());
    }
    SegmentWriter w(o, router, cat());
    for (const auto& p : pkts) EXPECT_TRUE(AppendPacket(w, p).ok());
    EXPECT_TRUE(w.Close().ok());
    std::vector<SegmentRecord> out;
    for (int64_t id : w.published_ids()) {
      auto r = cat().GetSegment(std::to_string(id));
      EXPECT_TRUE(r.ok());
      if (r.ok()) out.push_back(*r);
    }
    return out;
  }

  FsckReport Fsck(FsckOptions o = FsckOptions{}) {
    o.levels = StoreLevelCompleter();
    auto r = RunFsck(store(), o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : FsckReport{};
  }

  std::string CatalogDump() {
    return Shell(
        "sqlite3 " + Quote(dir_ / "catalog.db") +
        " 'SELECT * FROM segments ORDER BY id; SELECT * FROM stranded_partials ORDER BY id;' 2>&1");
  }
  std::string StateOf(const std::string& name) {
    const std::string out =
        Shell("sqlite3 " + Quote(dir_ / "catalog.db") +
              " \"SELECT state || '|' || area FROM segments WHERE name = '" + name + "'\"");
    return out.empty() ? "" : out.substr(0, out.size() - 1);
  }

  // Every file under the store's segment areas: path -> sha256sum.
  std::map<std::string, std::string> Tree() {
    std::map<std::string, std::string> t;
    for (const std::string& area : {store().primary_dir(), store().spool_dir()})
      for (const auto& f : FindFiles(area, "")) t[f] = Sha256Sum(f);
    return t;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

bool Contains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

// A crash between publishing a raw segment and deriving its levels: fsck
// derives them (scrubbed, then scrambled from it), once.
TEST_F(FsckTest, UnderivedLevelsAreDerivedOnce) {
  ASSERT_TRUE(CreateMasterKeyFile(store().master_key_path()).ok());
  auto recs = Write(2, 10, kBaseTs);
  ASSERT_EQ(recs.size(), 2u);
  FsckOptions dry;
  dry.dry_run = true;
  FsckReport d = Fsck(dry);
  EXPECT_FALSE(d.consistent());
  EXPECT_EQ(d.problems.size(), 2u);  // each raw segment lacks its scrubbed level
  EXPECT_TRUE(d.derived.empty());

  FsckReport r = Fsck();
  EXPECT_TRUE(r.consistent()) << r.problems.size();
  std::vector<std::string> want;
  for (const auto& rec : recs) {
    want.push_back(rec.name + ".scrubbed");
    want.push_back(rec.name + ".scrubbed.scrambled");
  }
  std::sort(want.begin(), want.end());
  std::vector<std::string> got = r.derived;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  for (const auto& rec : recs) {
    auto s = cat().GetSegment(rec.name + ".scrubbed.scrambled");
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->level, "scrambled");
    EXPECT_FALSE(s->key_epoch.empty());
    // tcpdump reads the derived file completely.
    EXPECT_EQ(ReadWithTcpdump(s->path).ts.size(), 10u);
  }
  FsckReport again = Fsck();
  EXPECT_TRUE(again.consistent());
  EXPECT_TRUE(again.derived.empty());
  EXPECT_EQ(again.checked, 6u);
  EXPECT_TRUE(Fsck(dry).consistent());
}

TEST_F(FsckTest, CleanStoreIsConsistent) {
  auto recs = Write(3, 20, kBaseTs);
  ASSERT_EQ(recs.size(), 3u);
  FsckReport r = Fsck();
  EXPECT_TRUE(r.consistent());
  EXPECT_EQ(r.checked, 3u);
  EXPECT_EQ(r.files, 3u);
  EXPECT_TRUE(r.missing.empty());
  EXPECT_TRUE(r.corrupt.empty());
  EXPECT_TRUE(r.adopted.empty());
  EXPECT_TRUE(r.salvaged.empty());
  EXPECT_TRUE(r.removed.empty());
  EXPECT_TRUE(r.partials.empty());
  EXPECT_TRUE(r.problems.empty()) << r.problems[0];
}

TEST_F(FsckTest, DeletedFileIsMissingAndComesBack) {
  auto recs = Write(2, 10, kBaseTs);
  ASSERT_EQ(recs.size(), 2u);
  const std::string saved = dir_ / "saved.pcapng";
  std::filesystem::copy_file(recs[0].path, saved);
  std::filesystem::remove(recs[0].path);

  // dry run: reported, not recorded.
  FsckOptions dry;
  dry.dry_run = true;
  FsckReport d = Fsck(dry);
  EXPECT_FALSE(d.consistent());
  EXPECT_TRUE(Contains(d.missing, recs[0].name));
  EXPECT_EQ(StateOf(recs[0].name), "stored|primary");

  FsckReport r = Fsck();
  EXPECT_FALSE(r.consistent());
  ASSERT_EQ(r.missing.size(), 1u);
  EXPECT_TRUE(Contains(r.missing, recs[0].name));
  EXPECT_EQ(r.checked, 1u);
  // Marked missing, never dropped from the catalogue.
  EXPECT_EQ(StateOf(recs[0].name), "missing|primary");
  EXPECT_EQ(StateOf(recs[1].name), "stored|primary");

  // The file returns (a remounted primary): stored again once verified.
  std::filesystem::copy_file(saved, recs[0].path);
  FsckReport back = Fsck();
  EXPECT_TRUE(back.consistent());
  EXPECT_EQ(back.checked, 2u);
  EXPECT_EQ(StateOf(recs[0].name), "stored|primary");
}

// An expiry interrupted after its journal (kill -9): fsck rolls it forward
// (rows expired, files gone, journal removed), never reports the expired
// rows missing, and removes a file an expired row left behind.
TEST_F(FsckTest, InterruptedExpiryIsFinishedAndExpiredRowsAreNotMissing) {
  auto recs = Write(3, 10, kBaseTs);
  ASSERT_EQ(recs.size(), 3u);
  const std::string run_dir = dir_ / "run";
  std::filesystem::create_directories(run_dir);
  const std::string journal = ExpiryJournalPath(run_dir, "default");
  const std::string text =
      "trove expiry journal v1\n" + std::to_string(recs[0].id) + "\t" + recs[0].path + "\n";
  WriteAll(journal, Bytes(text.begin(), text.end()));
  // An older expiry whose file came back (e.g. the mover copied it).
  ASSERT_TRUE(cat().UpdateState(recs[1].id, SegmentState::kExpired).ok());

  FsckReport r = Fsck();
  EXPECT_TRUE(r.consistent()) << (r.problems.empty() ? "" : r.problems[0]);
  EXPECT_TRUE(r.missing.empty());
  EXPECT_TRUE(Contains(r.removed, "interrupted expiry finished"));
  EXPECT_TRUE(Contains(r.removed, recs[1].path));
  EXPECT_FALSE(Exists(journal));
  EXPECT_FALSE(Exists(recs[0].path));
  EXPECT_FALSE(Exists(recs[1].path));
  EXPECT_EQ(StateOf(recs[0].name), "expired|primary");
  EXPECT_EQ(StateOf(recs[1].name), "expired|primary");
  EXPECT_EQ(StateOf(recs[2].name), "stored|primary");
  EXPECT_EQ(r.checked, 1u);
  EXPECT_TRUE(Fsck().consistent());
}

TEST_F(FsckTest, FlippedByteIsCorrupt) {
  auto recs = Write(2, 10, kBaseTs);
  Bytes b = ReadAll(recs[1].path);
  const auto blocks = WalkBlocks(b);
  b[blocks[3].offset + 40] ^= 0x20;  // inside a packet: structure still valid
  WriteAll(recs[1].path, b);
  ASSERT_NE(Sha256Sum(recs[1].path), recs[1].sha256);

  FsckReport r = Fsck();
  EXPECT_FALSE(r.consistent());
  ASSERT_EQ(r.corrupt.size(), 1u);
  EXPECT_TRUE(Contains(r.corrupt, recs[1].name));
  EXPECT_TRUE(Contains(r.corrupt, Sha256Sum(recs[1].path)));  // names the hash it found
  EXPECT_TRUE(r.missing.empty());
  // The file is left for a human: not removed, not re-catalogued.
  EXPECT_TRUE(Exists(recs[1].path));
  EXPECT_EQ(StateOf(recs[1].name), "stored|primary");

  // Without hashing, a same-size change is not visible.
  FsckOptions fast;
  fast.verify_hashes = false;
  EXPECT_TRUE(Fsck(fast).consistent());
}

TEST_F(FsckTest, TruncatedFileIsCorruptBySize) {
  auto recs = Write(1, 10, kBaseTs);
  std::filesystem::resize_file(recs[0].path, recs[0].file_bytes - 3);
  FsckOptions fast;
  fast.verify_hashes = false;
  FsckReport r = Fsck(fast);
  ASSERT_EQ(r.corrupt.size(), 1u);
  EXPECT_TRUE(Contains(r.corrupt, std::to_string(recs[0].file_bytes - 3)));
  EXPECT_TRUE(Contains(r.corrupt, std::to_string(recs[0].file_bytes)));
}

TEST_F(FsckTest, OrphanCompleteFileIsAdopted) {
  auto recs = Write(2, 12, kBaseTs);
  // A crash between rename and catalogue insert.
  ASSERT_TRUE(cat().DeleteSegment(recs[1].id).ok());
  FsckReport r = Fsck();
  EXPECT_TRUE(r.consistent()) << (r.problems.empty() ? "" : r.problems[0]);
  ASSERT_EQ(r.adopted.size(), 1u);
  EXPECT_EQ(r.adopted[0], recs[1].name);
  auto got = cat().GetSegment(recs[1].name);
  ASSERT_TRUE(got.ok());
  ExpectSameContent(*got, recs[1]);
  EXPECT_EQ(got->sha256, Sha256Sum(recs[1].path));
  // Second run: nothing to do.
  FsckReport again = Fsck();
  EXPECT_TRUE(again.consistent());
  EXPECT_TRUE(again.adopted.empty());
  EXPECT_EQ(again.checked, 2u);
}

TEST_F(FsckTest, PartialIsSalvagedAndEmptyPartialRemoved) {
  auto recs = Write(2, 15, kBaseTs);
  const Bytes file = ReadAll(recs[1].path);
  ASSERT_TRUE(cat().DeleteSegment(recs[1].id).ok());
  std::filesystem::remove(recs[1].path);
  // An interrupted segment: cut in the middle of its 9th packet.
  const auto blocks = WalkBlocks(file);
  const std::string partial = recs[1].path + ".partial";
  WriteAll(partial, file.data(), blocks[10].offset + 17);
  // And one that never got a packet.
  const std::string empty = DirName(recs[1].path) + "/default-empty.pcapng.partial";
  WriteAll(empty, file.data(), blocks[2].offset);

  FsckReport r = Fsck();
  EXPECT_TRUE(r.consistent()) << (r.problems.empty() ? "" : r.problems[0]);
  EXPECT_EQ(r.partials.size(), 2u);
  ASSERT_EQ(r.salvaged.size(), 1u);
  EXPECT_EQ(r.salvaged[0], recs[1].name);
  EXPECT_TRUE(Contains(r.removed, empty));
  EXPECT_FALSE(Exists(partial));
  EXPECT_FALSE(Exists(empty));
  auto got = cat().GetSegment(recs[1].name);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->stats.packets, 8u);
  EXPECT_EQ(got->file_bytes, blocks[9].offset + blocks[9].length);
  EXPECT_EQ(got->sha256, Sha256Sum(recs[1].path));
  std::vector<int64_t> want;
  for (size_t i = 2; i < 10; ++i) want.push_back(blocks[i].ts_ns);
  EXPECT_EQ(ReadWithTcpdump(recs[1].path).ts, want);
}

TEST_F(FsckTest, PartialsOfABusyLinkAreLeftAlone) {
  auto recs = Write(1, 10, kBaseTs);
  ASSERT_TRUE(cat().DeleteSegment(recs[0].id).ok());
  std::filesystem::rename(recs[0].path, recs[0].path + ".partial");
  {
    auto lock = store().LockLink("default");  // a running capture holds the link
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    FsckReport r = Fsck();
    ASSERT_EQ(r.busy.size(), 1u);
    EXPECT_TRUE(r.salvaged.empty());
    EXPECT_TRUE(Exists(recs[0].path + ".partial"));
  }
  FsckReport r = Fsck();
  EXPECT_TRUE(r.busy.empty());
  EXPECT_EQ(r.salvaged.size(), 1u);
}

TEST_F(FsckTest, ForeignPartialIsAProblem) {
  Write(1, 5, kBaseTs);
  const std::string junk = store().primary_dir() + "/default/2026/11/22/junk.pcapng.partial";
  WriteAll(junk, Bytes(300, 0x42));
  FsckReport r = Fsck();
  EXPECT_FALSE(r.consistent());
  EXPECT_TRUE(Contains(r.problems, junk));
  EXPECT_TRUE(Exists(junk));
}

TEST_F(FsckTest, InterruptedMoverCopyIsRemoved) {
  auto recs = Write(1, 10, kBaseTs);
  const std::string moving = recs[0].path + ".moving";
  std::filesystem::copy_file(recs[0].path, moving);
  FsckReport r = Fsck();
  EXPECT_TRUE(r.consistent());
  EXPECT_TRUE(Contains(r.removed, moving));
  EXPECT_FALSE(Exists(moving));
  EXPECT_TRUE(Exists(recs[0].path));
}

TEST_F(FsckTest, DryRunChangesNothing) {
  auto recs = Write(4, 10, kBaseTs);
  ASSERT_EQ(recs.size(), 4u);
  const Bytes file3 = ReadAll(recs[3].path);
  std::filesystem::remove(recs[0].path);  // missing
  Bytes b = ReadAll(recs[1].path);        // corrupt
  b[WalkBlocks(b)[2].offset + 50] ^= 1;
  WriteAll(recs[1].path, b);
  ASSERT_TRUE(cat().DeleteSegment(recs[2].id).ok());  // orphan
  ASSERT_TRUE(cat().DeleteSegment(recs[3].id).ok());  // partial
  std::filesystem::remove(recs[3].path);
  WriteAll(recs[3].path + ".partial", file3.data(), file3.size() - 30);
  WriteAll(recs[2].path + ".moving", Bytes(100, 1));  // mover leftover

  const auto tree = Tree();
  const std::string dump = CatalogDump();
  ASSERT_NE(dump.find(recs[0].name), std::string::npos) << dump;
  ASSERT_EQ(dump.find("rror"), std::string::npos) << dump;
  FsckOptions dry;
  dry.dry_run = true;
  FsckReport r = Fsck(dry);
  EXPECT_FALSE(r.consistent());
  EXPECT_TRUE(Contains(r.missing, recs[0].name));
  EXPECT_TRUE(Contains(r.corrupt, recs[1].name));
  EXPECT_TRUE(Contains(r.problems, recs[2].path));  // not in the catalogue
  EXPECT_TRUE(Contains(r.problems, recs[3].path + ".partial"));
  EXPECT_TRUE(Contains(r.problems, ".moving"));
  EXPECT_TRUE(r.adopted.empty());
  EXPECT_TRUE(r.salvaged.empty());
  EXPECT_TRUE(r.removed.empty());
  EXPECT_EQ(Tree(), tree);
  EXPECT_EQ(CatalogDump(), dump);

  // A dry run with --rebuild-catalog does not touch the catalogue either.
  dry.rebuild_catalog = true;
  Fsck(dry);
  EXPECT_EQ(Tree(), tree);
  EXPECT_EQ(CatalogDump(), dump);
  EXPECT_TRUE(FindFiles(dir_.path(), "").size() > 0);
  for (const auto& f : FindFiles(dir_.path(), ""))
    EXPECT_EQ(f.find(".bak-"), std::string::npos) << f;

  // The real run repairs what can be repaired.
  FsckReport fix = Fsck();
  EXPECT_EQ(fix.adopted.size(), 1u);
  EXPECT_EQ(fix.salvaged.size(), 1u);
  EXPECT_TRUE(Contains(fix.missing, recs[0].name));
  EXPECT_TRUE(Contains(fix.corrupt, recs[1].name));
}

TEST_F(FsckTest, RebuildCatalogReproducesTheRecordsFromFiles) {
  auto primary = Write(3, 12, kBaseTs);
  // Some segments in the spool (primary marker absent while writing) and
  // on another link.
  const std::string marker = JoinPath(store().primary_dir(), kPrimaryMarker);
  std::filesystem::rename(marker, dir_ / "marker.saved");
  auto spooled = Write(2, 7, kBaseTs + 100 * kSec);
  std::filesystem::rename(dir_ / "marker.saved", marker);
  auto other = Write(1, 9, kBaseTs + 200 * kSec, "lan");
  std::vector<SegmentRecord> before;
  for (auto* v : {&primary, &spooled, &other}) before.insert(before.end(), v->begin(), v->end());
  ASSERT_EQ(before.size(), 6u);
  for (const auto& r : spooled) EXPECT_EQ(r.area, StorageArea::kSpool);

  FsckOptions o;
  o.rebuild_catalog = true;
  FsckReport r = Fsck(o);
  EXPECT_TRUE(r.consistent()) << (r.problems.empty() ? "" : r.problems[0]);
  EXPECT_EQ(r.adopted.size(), 6u);
  EXPECT_EQ(FindFiles(dir_.path(), "").size() > 0, true);
  bool backup = false;
  for (const auto& f : FindFiles(dir_.path(), ""))
    if (BaseName(f).rfind("catalog.db.bak-", 0) == 0) backup = true;
  EXPECT_TRUE(backup) << "the old catalogue is kept";

  auto after = cat().ListSegments(SegmentQuery{});
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before.size());
  std::map<std::string, SegmentRecord> by_name;
  for (const auto& s : *after) by_name[s.name] = s;
  for (const auto& b : before) {
    ASSERT_TRUE(by_name.count(b.name)) << b.name;
    ExpectSameContent(by_name[b.name], b);
  }
  // The new catalogue is a real file the sqlite3 CLI reads.
  EXPECT_EQ(Shell("sqlite3 " + Quote(dir_ / "catalog.db") + " 'SELECT COUNT(*) FROM segments'"),
            "6\n");
  // And it survives reopening the store.
  Reopen();
  EXPECT_EQ(cat().ListSegments(SegmentQuery{})->size(), 6u);
  EXPECT_TRUE(Fsck().consistent());
}

TEST_F(FsckTest, StrandedPrefixIsCutAtItsDurableLength) {
  // A failover left a primary partial whose first 5 packets were fsynced
  // (durable) and whose later packets were re-written to the spool. Only
  // the durable prefix may be published, or those packets are stored twice.
  auto recs = Write(1, 12, kBaseTs);
  const Bytes file = ReadAll(recs[0].path);
  const auto blocks = WalkBlocks(file);
  ASSERT_TRUE(cat().DeleteSegment(recs[0].id).ok());
  std::filesystem::remove(recs[0].path);
  const std::string partial = recs[0].path + ".partial";
  WriteAll(partial, file.data(), blocks[14].offset);  // all 12 packets, no trailer
  StrandedPartial sp;
  sp.path = partial;
  sp.link = "default";
  sp.durable_bytes = blocks[7].offset;  // packets 1..5
  ASSERT_TRUE(cat().AddStranded(&sp).ok());

  FsckReport r = Fsck();
  EXPECT_TRUE(r.consistent()) << (r.problems.empty() ? "" : r.problems[0]);
  EXPECT_TRUE(r.stranded.empty());
  auto got = cat().GetSegment(recs[0].name);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->stats.packets, 5u);
  EXPECT_EQ(got->file_bytes, sp.durable_bytes);
  EXPECT_EQ(ReadWithTcpdump(recs[0].path).ts.size(), 5u);
}

TEST_F(FsckTest, RebuildKeepsStrandedPrefixesCutAtTheirDurableLength) {
  // The same, through --rebuild-catalog: the new catalogue must not forget
  // the stranded record and salvage the whole partial.
  auto recs = Write(1, 12, kBaseTs);
  const Bytes file = ReadAll(recs[0].path);
  const auto blocks = WalkBlocks(file);
  ASSERT_TRUE(cat().DeleteSegment(recs[0].id).ok());
  std::filesystem::remove(recs[0].path);
  const std::string partial = recs[0].path + ".partial";
  WriteAll(partial, file.data(), blocks[14].offset);
  StrandedPartial sp;
  sp.path = partial;
  sp.link = "default";
  sp.durable_bytes = blocks[7].offset;
  ASSERT_TRUE(cat().AddStranded(&sp).ok());

  FsckOptions o;
  o.rebuild_catalog = true;
  FsckReport r = Fsck(o);
  EXPECT_TRUE(r.consistent()) << (r.problems.empty() ? "" : r.problems[0]);
  auto got = cat().GetSegment(recs[0].name);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->stats.packets, 5u);
  EXPECT_EQ(ReadWithTcpdump(recs[0].path).ts.size(), 5u);
}

}  // namespace
}  // namespace trove
