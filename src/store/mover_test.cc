// Tests for store/mover.h on real stores: segments written while the
// primary marker is absent land in the spool; once it is back the mover
// drains them (content checked with sha256sum and tcpdump, catalogue with
// the sqlite3 CLI). The crash states between the mover's steps are built
// by hand and repaired by fsck and the next mover run.

#include "store/mover.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "index/index_file.h"
#include "segment/segment_test_util.h"
#include "store/expiry.h"
#include "store/fsck.h"

namespace trove {
namespace {

using namespace segtest;  // NOLINT

class MoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTool("tcpdump") || !HaveTool("sha256sum") || !HaveTool("sqlite3"))
      GTEST_SKIP() << "tcpdump, sha256sum and sqlite3 are the oracles here";
    ASSERT_TRUE(Store::Init(dir_.path(), InitOptions{}).ok());
    // No master key: fsck derives no privacy levels here (fsck_test covers
    // them); these tests count raw segments.
    std::filesystem::remove(dir_ / "keys/master.key");
    auto s = Store::Open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    marker_ = JoinPath(store_->primary_dir(), kPrimaryMarker);
  }
  Catalog& cat() { return store_->catalog(); }

  void HidePrimary() { std::filesystem::rename(marker_, dir_ / "marker.saved"); }
  void ShowPrimary() { std::filesystem::rename(dir_ / "marker.saved", marker_); }

  // Writes `segments` segments of 10 packets while the primary is hidden.
  std::vector<SegmentRecord> WriteToSpool(size_t segments) {
    HidePrimary();
    StorageRouter router(store_->fs(), store_->primary_dir(), store_->spool_dir(), 3600 * kSec);
    SegmentWriterOptions o = TestWriterOptions();
    o.policy.max_duration_ns = 10 * kSec;
    SegmentWriter w(o, router, cat());
    for (size_t s = 0; s < segments; ++s)
      for (const auto& p : UdpStream(10, kBaseTs + static_cast<int64_t>(s) * 10 * kSec, 500'000'000,
                                     300, static_cast<uint32_t>(s + 1)))
        EXPECT_TRUE(AppendPacket(w, p).ok());
    EXPECT_TRUE(w.Close().ok());
    ShowPrimary();
    std::vector<SegmentRecord> out;
    for (int64_t id : w.published_ids())
      out.push_back(cat().GetSegment(std::to_string(id)).value());
    for (const auto& r : out) {
      EXPECT_EQ(r.area, StorageArea::kSpool);
      EXPECT_TRUE(r.path.rfind(store_->spool_dir() + "/", 0) == 0) << r.path;
    }
    return out;
  }

  std::string PrimaryPathOf(const SegmentRecord& r) {
    return store_->primary_dir() + "/" + r.link + "/" + kBaseDay + "/" + r.name + ".pcapng";
  }

  MoverReport Move() {
    auto r = RunMover(*store_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : MoverReport{};
  }
  FsckReport Fsck() {
    auto r = RunFsck(*store_, FsckOptions{});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : FsckReport{};
  }
  // "area|absolute path\n" from the raw row, whose path is stored relative
  // to its area (schema v6): resolved here against the area dirs.
  std::string AreaPath(const std::string& name) {
    std::string raw = Shell("sqlite3 -separator '|' " + Quote(dir_ / "catalog.db") +
                            " \"SELECT area, path FROM segments WHERE name = '" + name + "'\"");
    const size_t bar = raw.find('|');
    if (bar == std::string::npos) return raw;
    const std::string area = raw.substr(0, bar);
    EXPECT_NE(raw[bar + 1], '/') << "absolute path stored: " << raw;
    const std::string dir = area == "primary" ? store_->primary_dir() : store_->spool_dir();
    return area + "|" + dir + "/" + raw.substr(bar + 1);
  }

  // The record moved to the primary with its content intact.
  void ExpectMoved(const SegmentRecord& before, const std::vector<int64_t>& ts) {
    SCOPED_TRACE(before.name);
    auto now = cat().GetSegment(before.name);
    ASSERT_TRUE(now.ok());
    const std::string dst = PrimaryPathOf(before);
    EXPECT_EQ(now->area, StorageArea::kPrimary);
    EXPECT_EQ(now->path, dst);
    EXPECT_EQ(now->sha256, before.sha256);
    EXPECT_EQ(now->file_bytes, before.file_bytes);
    EXPECT_EQ(now->stats.packets, before.stats.packets);
    EXPECT_EQ(Sha256Sum(dst), before.sha256);
    EXPECT_FALSE(Exists(before.path)) << "spool copy still there";
    EXPECT_FALSE(Exists(dst + ".moving"));
    EXPECT_EQ(ReadWithTcpdump(dst).ts, ts);
    EXPECT_EQ(AreaPath(before.name), "primary|" + dst + "\n");
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::string marker_;
};

TEST_F(MoverTest, DrainsTheSpoolIntoThePrimary) {
  auto recs = WriteToSpool(3);
  ASSERT_EQ(recs.size(), 3u);
  std::map<std::string, std::vector<int64_t>> ts;
  for (const auto& r : recs) {
    ASSERT_EQ(Sha256Sum(r.path), r.sha256);
    ts[r.name] = ReadWithTcpdump(r.path).ts;
    ASSERT_EQ(ts[r.name].size(), 10u);
  }
  MoverReport m = Move();
  EXPECT_TRUE(m.primary_available);
  EXPECT_EQ(m.moved, 3);
  EXPECT_EQ(m.remaining, 0);
  EXPECT_TRUE(m.errors.empty()) << m.errors[0];
  for (const auto& r : recs) ExpectMoved(r, ts[r.name]);
  EXPECT_TRUE(FindFiles(store_->spool_dir(), ".pcapng").empty());
  EXPECT_TRUE(FindFiles(dir_.path(), ".moving").empty());
  FsckReport f = Fsck();
  EXPECT_TRUE(f.consistent());
  EXPECT_EQ(f.checked, 3u);
  // Nothing left the second time.
  MoverReport again = Move();
  EXPECT_EQ(again.moved, 0);
  EXPECT_EQ(again.remaining, 0);
}

TEST_F(MoverTest, WaitsWhileThePrimaryIsUnavailable) {
  auto recs = WriteToSpool(2);
  HidePrimary();
  MoverReport m = Move();
  EXPECT_FALSE(m.primary_available);
  EXPECT_EQ(m.moved, 0);
  EXPECT_EQ(m.remaining, 2);
  for (const auto& r : recs) {
    EXPECT_TRUE(Exists(r.path));
    EXPECT_EQ(AreaPath(r.name), "spool|" + r.path + "\n");
  }
  EXPECT_TRUE(FindFiles(store_->primary_dir(), ".pcapng").empty());
  ShowPrimary();
  EXPECT_EQ(Move().moved, 2);
}

TEST_F(MoverTest, CrashDuringCopyLeavesAMovingFileThatFsckRemovesAndTheMoverRedoes) {
  auto recs = WriteToSpool(2);
  std::map<std::string, std::vector<int64_t>> ts;
  for (const auto& r : recs) ts[r.name] = ReadWithTcpdump(r.path).ts;
  // Crash state (i): a half-written copy on the primary, catalogue still
  // says spool.
  const Bytes src = ReadAll(recs[0].path);
  const std::string moving = PrimaryPathOf(recs[0]) + ".moving";
  std::filesystem::create_directories(DirName(moving));
  WriteAll(moving, src.data(), src.size() / 2);

  FsckReport f = Fsck();
  EXPECT_TRUE(f.consistent()) << (f.problems.empty() ? "" : f.problems[0]);
  bool removed = false;
  for (const auto& s : f.removed) removed |= s.find(moving) != std::string::npos;
  EXPECT_TRUE(removed);
  EXPECT_FALSE(Exists(moving));
  EXPECT_EQ(AreaPath(recs[0].name), "spool|" + recs[0].path + "\n");
  EXPECT_EQ(Sha256Sum(recs[0].path), recs[0].sha256);

  MoverReport m = Move();
  EXPECT_EQ(m.moved, 2);
  EXPECT_TRUE(m.errors.empty());
  for (const auto& r : recs) ExpectMoved(r, ts[r.name]);
}

TEST_F(MoverTest, LeftoverMovingFileDoesNotBlockTheMover) {
  auto recs = WriteToSpool(1);
  const auto ts = ReadWithTcpdump(recs[0].path).ts;
  const std::string moving = PrimaryPathOf(recs[0]) + ".moving";
  std::filesystem::create_directories(DirName(moving));
  WriteAll(moving, Bytes(1000, 0xEE));  // garbage from an interrupted run
  MoverReport m = Move();
  EXPECT_EQ(m.moved, 1);
  EXPECT_TRUE(m.errors.empty()) << m.errors[0];
  ExpectMoved(recs[0], ts);
}

TEST_F(MoverTest, CrashAfterRenameIsRelocatedByFsck) {
  auto recs = WriteToSpool(2);
  const auto ts = ReadWithTcpdump(recs[1].path).ts;
  // Crash state (ii): the copy was renamed into place on the primary but
  // the catalogue update did not happen.
  const std::string dst = PrimaryPathOf(recs[1]);
  std::filesystem::create_directories(DirName(dst));
  std::filesystem::copy_file(recs[1].path, dst);

  FsckReport f = Fsck();
  EXPECT_TRUE(f.consistent()) << ::testing::PrintToString(f.problems)
                              << ::testing::PrintToString(f.missing)
                              << ::testing::PrintToString(f.corrupt);
  ASSERT_EQ(f.relocated.size(), 1u);
  EXPECT_EQ(f.relocated[0], recs[1].name);
  EXPECT_TRUE(f.adopted.empty()) << "the primary copy is the same segment, not a new one";
  ExpectMoved(recs[1], ts);
  // The other segment is untouched and still in the spool.
  EXPECT_EQ(AreaPath(recs[0].name), "spool|" + recs[0].path + "\n");
  auto all = cat().ListSegments(SegmentQuery{});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);

  MoverReport m = Move();
  EXPECT_EQ(m.moved, 1);
  EXPECT_EQ(m.remaining, 0);
  FsckReport after = Fsck();
  EXPECT_TRUE(after.consistent()) << ::testing::PrintToString(after.problems)
                                  << ::testing::PrintToString(after.missing)
                                  << ::testing::PrintToString(after.corrupt);
}

TEST_F(MoverTest, CrashAfterCatalogueUpdateLeavesASpoolCopyThatFsckRemoves) {
  // The last step (removing the spool copy) did not happen: the catalogue
  // already points at the primary.
  auto recs = WriteToSpool(1);
  const auto ts = ReadWithTcpdump(recs[0].path).ts;
  const std::string dst = PrimaryPathOf(recs[0]);
  std::filesystem::create_directories(DirName(dst));
  std::filesystem::copy_file(recs[0].path, dst);
  ASSERT_TRUE(cat().UpdateLocation(recs[0].id, StorageArea::kPrimary, dst).ok());
  FsckReport f = Fsck();
  EXPECT_TRUE(f.consistent());
  ExpectMoved(recs[0], ts);
}

TEST_F(MoverTest, CorruptSpoolCopyIsNotMoved) {
  auto recs = WriteToSpool(2);
  Bytes b = ReadAll(recs[0].path);
  b[WalkBlocks(b)[3].offset + 45] ^= 0x80;
  WriteAll(recs[0].path, b);
  MoverReport m = Move();
  EXPECT_EQ(m.moved, 1);
  EXPECT_EQ(m.remaining, 1);
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_NE(m.errors[0].find(recs[0].name), std::string::npos) << m.errors[0];
  EXPECT_NE(m.errors[0].find("SHA-256"), std::string::npos) << m.errors[0];
  // The spool copy is kept, nothing is left on the primary for it.
  EXPECT_TRUE(Exists(recs[0].path));
  EXPECT_FALSE(Exists(PrimaryPathOf(recs[0])));
  EXPECT_FALSE(Exists(PrimaryPathOf(recs[0]) + ".moving"));
  EXPECT_EQ(AreaPath(recs[0].name), "spool|" + recs[0].path + "\n");
  EXPECT_EQ(AreaPath(recs[1].name), "primary|" + PrimaryPathOf(recs[1]) + "\n");
}

TEST_F(MoverTest, FinishesStrandedPrefixes) {
  // Write one segment on the primary, then turn it into a stranded prefix.
  StorageRouter router(store_->fs(), store_->primary_dir(), store_->spool_dir(), 3600 * kSec);
  auto recs = WriteSegments(cat(), router, UdpStream(9, kBaseTs, kSec, 200));
  ASSERT_EQ(recs.size(), 1u);
  const Bytes file = ReadAll(recs[0].path);
  const auto blocks = WalkBlocks(file);
  ASSERT_TRUE(cat().DeleteSegment(recs[0].id).ok());
  std::filesystem::rename(recs[0].path, recs[0].path + ".partial");
  StrandedPartial sp;
  sp.path = recs[0].path + ".partial";
  sp.link = "default";
  sp.durable_bytes = blocks[6].offset + blocks[6].length;  // 5 packets
  ASSERT_TRUE(cat().AddStranded(&sp).ok());

  MoverReport m = Move();
  EXPECT_EQ(m.stranded_finished, 1);
  EXPECT_EQ(m.moved, 0);
  auto got = cat().GetSegment(recs[0].name);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->stats.packets, 5u);
  EXPECT_EQ(got->area, StorageArea::kPrimary);
  EXPECT_EQ(ReadWithTcpdump(recs[0].path).ts.size(), 5u);
  EXPECT_TRUE(cat().ListStranded()->empty());
}

// Files of a segment anywhere in the store (segment, index, .moving).
size_t FilesOf(const std::string& dir, const SegmentRecord& r) {
  size_t n = 0;
  for (const auto& f : FindFiles(dir, ""))
    if (f.find(r.name) != std::string::npos) ++n;
  return n;
}

// Expiry's steps 2-4 (store/expiry.h), run by the real code on a journal
// naming the segment at its spool path, through a second connection.
void ExpireThroughJournal(const std::string& store_dir, const SegmentRecord& r) {
  auto other = Store::Open(store_dir);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  const std::string run = JoinPath(store_dir, "run");
  std::filesystem::create_directories(run);
  ASSERT_TRUE(
      WriteFileAtomic(DefaultFs(), ExpiryJournalPath(run, r.link),
                      "trove expiry journal v1\n" + std::to_string(r.id) + "\t" + r.path + "\n")
          .ok());
  ExpiryReport rep;
  ASSERT_TRUE(FinishExpiryJournal((*other)->fs(), (*other)->catalog(), run, r.link, &rep).ok());
  EXPECT_TRUE(rep.journal_finished);
}

TEST_F(MoverTest, ASegmentThatExpiresWhileItIsCopiedLeavesNoFile) {
  auto recs = WriteToSpool(2);
  ASSERT_TRUE(WriteFileAtomic(DefaultFs(), IndexPathFor(recs[0].path),
                              "not an index, but a file to clean up")
                  .ok());
  MoverOptions o;
  bool once = false;
  o.step_hook = [&](const std::string& step) {
    if (step != "copied" || once) return;
    once = true;  // the first segment: its copy is in place, its row not yet moved
    ExpireThroughJournal(dir_.path(), recs[0]);
  };
  auto m = RunMover(*store_, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->expired_meanwhile, 1);
  EXPECT_EQ(m->moved, 1);
  EXPECT_TRUE(m->errors.empty()) << m->errors[0];
  EXPECT_EQ(FilesOf(dir_.path(), recs[0]), 0u);
  EXPECT_EQ(cat().GetSegment(recs[0].name)->state, SegmentState::kExpired);
  EXPECT_EQ(cat().GetSegment(recs[1].name)->area, StorageArea::kPrimary);
  FsckReport f = Fsck();
  EXPECT_TRUE(f.consistent());
}

TEST_F(MoverTest, AnExpiryJournalWrittenBeforeTheMoveDeletesTheMovedCopy) {
  auto recs = WriteToSpool(2);
  // The expiry decided (journal, spool path) and crashed; the mover then
  // relocated the segment; the roll-forward must delete the primary copy.
  MoverReport m = Move();
  EXPECT_EQ(m.moved, 2);
  ExpireThroughJournal(dir_.path(), recs[0]);
  EXPECT_EQ(FilesOf(dir_.path(), recs[0]), 0u);
  EXPECT_EQ(cat().GetSegment(recs[0].name)->state, SegmentState::kExpired);
  EXPECT_EQ(FilesOf(dir_.path(), recs[1]), 1u);
  FsckReport f = Fsck();
  EXPECT_TRUE(f.consistent());
}

}  // namespace
}  // namespace trove
