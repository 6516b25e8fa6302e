// Tests for segment/segment_recovery.h: salvage of partial segments cut at
// every 97th byte (the kept records counted independently by walking the
// blocks here, and read back with tcpdump / capinfos), a real "crash" (the
// writer destroyed without Close), empty and foreign partials, the limit
// argument, adoption of uncatalogued complete files, stranded prefixes and
// daemon-start recovery.

#include "segment/segment_recovery.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "segment/segment_scan.h"
#include "segment/segment_test_util.h"

namespace trove {
namespace {

using namespace segtest;  // NOLINT

class SegmentRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTool("tcpdump") || !HaveTool("sha256sum"))
      GTEST_SKIP() << "tcpdump and sha256sum are the oracles here";
  }
};

// One published segment of `n` UDP packets; returns its record.
SegmentRecord OneSegment(Harness& h, size_t n, uint32_t seed = 1) {
  auto recs = WriteSegments(*h.catalog, *h.router, UdpStream(n, kBaseTs + 5, 3'000'017, 250, seed));
  EXPECT_EQ(recs.size(), 1u);
  return recs.empty() ? SegmentRecord{} : recs[0];
}

// What a salvage of bytes [0, cut) must keep, computed by walking blocks.
struct Expected {
  bool header = false;      // SHB and IDB complete
  uint64_t keep = 0;        // end of the last complete block
  std::vector<int64_t> ts;  // complete EPBs
};
Expected ExpectedFor(const Bytes& file, size_t cut) {
  Expected e;
  const auto blocks = WalkBlocks(file.data(), cut);
  e.header = blocks.size() >= 2;
  for (const auto& b : blocks) {
    e.keep = b.offset + b.length;
    if (b.type == 6) e.ts.push_back(b.ts_ns);
  }
  return e;
}

TEST_F(SegmentRecoveryTest, SalvageKeepsExactlyTheCompleteRecordsAtEvery97thByte) {
  Harness h;
  const SegmentRecord orig = OneSegment(h, 30);
  const Bytes file = ReadAll(orig.path);
  ASSERT_GT(file.size(), 3000u);
  // The original's record would clash by name with every salvage.
  ASSERT_TRUE(h.catalog->DeleteSegment(orig.id).ok());

  TempDir work;
  struct Case {
    size_t cut;
    Expected want;
    std::string final_path;
  };
  std::vector<Case> salvaged;
  size_t header_cut = 0, removed = 0;
  for (size_t cut = 0; cut < file.size(); cut += 97) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const std::string dir = work / std::to_string(cut);
    std::filesystem::create_directories(dir);
    const std::string partial = dir + "/" + orig.name + ".pcapng.partial";
    WriteAll(partial, file.data(), cut);
    const Expected want = ExpectedFor(file, cut);
    auto r = SalvagePartial(DefaultFs(), *h.catalog, partial, UINT64_MAX, StorageArea::kSpool,
                            PartialKind::kCrashedRun);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (!want.header) ++header_cut;  // a prefix of trove's header: no packet in it
    if (want.ts.empty()) {
      EXPECT_FALSE(r->has_value());
      EXPECT_FALSE(Exists(partial)) << "an empty partial is removed";
      EXPECT_TRUE(FindFiles(dir, ".pcapng").empty());
      ++removed;
      continue;
    }
    ASSERT_TRUE(r->has_value());
    const SegmentRecord& rec = **r;
    const std::string final_path = dir + "/" + orig.name + ".pcapng";
    EXPECT_FALSE(Exists(partial));
    EXPECT_EQ(rec.path, final_path);
    EXPECT_EQ(rec.area, StorageArea::kSpool);
    EXPECT_EQ(rec.name, orig.name);
    EXPECT_EQ(rec.stats.packets, want.ts.size());
    EXPECT_EQ(rec.stats.first_ts_ns, want.ts.front());
    EXPECT_EQ(rec.stats.last_ts_ns, want.ts.back());
    EXPECT_EQ(static_cast<uint64_t>(FileSize(final_path)), want.keep);
    EXPECT_EQ(rec.file_bytes, want.keep);
    EXPECT_EQ(ReadAll(final_path), Bytes(file.begin(), file.begin() + want.keep));
    EXPECT_EQ(rec.sha256, Sha256Sum(final_path));
    auto got = h.catalog->GetSegment(rec.name);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->path, final_path);
    EXPECT_EQ(got->stats.packets, want.ts.size());
    salvaged.push_back({cut, want, final_path});
    ASSERT_TRUE(h.catalog->DeleteSegment(rec.id).ok());  // the next cut reuses the name
  }
  EXPECT_GT(header_cut, 0u);
  EXPECT_GE(removed, header_cut);
  EXPECT_GT(salvaged.size(), 20u);
  // tcpdump reads every salvaged file completely, with the expected packets.
  for (const auto& c : salvaged) {
    SCOPED_TRACE("cut at " + std::to_string(c.cut));
    TcpdumpRead t = ReadWithTcpdump(c.final_path);
    EXPECT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.error, "");
    EXPECT_EQ(t.ts, c.want.ts);
  }
  // capinfos agrees on the counts (one run for all files).
  if (HaveTool("capinfos")) {
    std::string cmd = "capinfos -T -r -c -M";
    for (const auto& c : salvaged) cmd += " " + Quote(c.final_path);
    const std::string out = Shell(cmd + " 2>&1");
    for (const auto& c : salvaged)
      EXPECT_NE(out.find(c.final_path + "\t" + std::to_string(c.want.ts.size()) + "\n"),
                std::string::npos)
          << c.final_path << "\n"
          << out;
  }
}

TEST_F(SegmentRecoveryTest, WholeFileSalvageKeepsTheTrailer) {
  Harness h;
  const SegmentRecord orig = OneSegment(h, 12);
  ASSERT_TRUE(h.catalog->DeleteSegment(orig.id).ok());
  const std::string partial = orig.path + ".partial";
  std::filesystem::rename(orig.path, partial);
  auto r = SalvagePartial(DefaultFs(), *h.catalog, partial, UINT64_MAX, StorageArea::kPrimary,
                          PartialKind::kCrashedRun);
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status().ToString();
  ExpectSameContent(**r, orig);
}

// A crash of a direct-I/O writer (util/direct_file.h) between writing its
// zero-padded last block and cutting the file back leaves up to 4095 zero
// bytes after the last packet; salvage keeps every complete record and
// drops the zeros, wherever the cut fell.
TEST_F(SegmentRecoveryTest, ZeroPaddingAfterTheLastBlockIsDropped) {
  Harness h;
  const SegmentRecord orig = OneSegment(h, 30);
  const Bytes file = ReadAll(orig.path);
  ASSERT_TRUE(h.catalog->DeleteSegment(orig.id).ok());
  TempDir work;
  for (size_t cut : {file.size() / 3, file.size() / 2 + 5, file.size() - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const std::string dir = work / std::to_string(cut);
    std::filesystem::create_directories(dir);
    const std::string partial = dir + "/" + orig.name + ".pcapng.partial";
    Bytes torn(file.begin(), file.begin() + static_cast<ptrdiff_t>(cut));
    torn.resize((cut + 4095) / 4096 * 4096, 0);  // the padded block
    WriteAll(partial, torn);
    // What is whole in the torn file: blocks whose trailing length matches
    // (the zeros may complete a block whose missing bytes were zeros).
    uint64_t keep = 0, packets = 0;
    for (const RawBlock& b : WalkBlocks(torn)) {
      uint32_t trailing;
      std::memcpy(&trailing, torn.data() + b.offset + b.length - 4, 4);
      if (trailing != b.length) break;
      keep = b.offset + b.length;
      packets += b.type == 6;
    }
    ASSERT_LE(keep, cut + 3);
    auto r = SalvagePartial(DefaultFs(), *h.catalog, partial, UINT64_MAX, StorageArea::kSpool,
                            PartialKind::kCrashedRun);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->stats.packets, packets);
    EXPECT_EQ((*r)->file_bytes, keep);
    EXPECT_EQ(static_cast<uint64_t>(FileSize((*r)->path)), keep);
    ASSERT_TRUE(h.catalog->DeleteSegment((*r)->id).ok());
  }
}

TEST_F(SegmentRecoveryTest, LimitCutsAtTheDurablePrefix) {
  Harness h;
  const SegmentRecord orig = OneSegment(h, 20);
  ASSERT_TRUE(h.catalog->DeleteSegment(orig.id).ok());
  const Bytes file = ReadAll(orig.path);
  const auto blocks = WalkBlocks(file);
  // Durable up to the end of the 7th EPB (blocks: SHB, IDB, EPB...).
  const uint64_t limit = blocks[8].offset + blocks[8].length;
  const std::string partial = orig.path + ".partial";
  std::filesystem::rename(orig.path, partial);
  auto r = SalvagePartial(DefaultFs(), *h.catalog, partial, limit, StorageArea::kPrimary,
                          PartialKind::kCrashedRun);
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status().ToString();
  EXPECT_EQ((*r)->stats.packets, 7u);
  EXPECT_EQ((*r)->file_bytes, limit);
  EXPECT_EQ(FileSize(orig.path), static_cast<int64_t>(limit));
  EXPECT_EQ((*r)->stats.last_ts_ns, blocks[8].ts_ns);
  EXPECT_EQ(ReadWithTcpdump(orig.path).ts.size(), 7u);
  // A limit inside a block keeps only the blocks before it.
  ASSERT_TRUE(h.catalog->DeleteSegment((*r)->id).ok());
  std::filesystem::rename(orig.path, partial);
  r = SalvagePartial(DefaultFs(), *h.catalog, partial, limit - 5, StorageArea::kPrimary,
                     PartialKind::kCrashedRun);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->stats.packets, 6u);
  EXPECT_EQ((*r)->file_bytes, blocks[7].offset + blocks[7].length);
}

TEST_F(SegmentRecoveryTest, CrashedWriterLeavesASalvageablePartial) {
  // A real crash: the writer is destroyed without Close(). What reached the
  // file (whole write chunks) is salvaged; the packets are the first ones
  // appended, in order.
  Harness h;
  // With this seed the 60th append flushes a write chunk; the 61st (< 1 KiB)
  // stays in memory and dies with the writer.
  auto pkts = UdpStream(61, kBaseTs, 1'000'000, 250, 2);
  {
    SegmentWriter w(TestWriterOptions(), *h.router, *h.catalog);
    for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
  }
  EXPECT_TRUE(h.Segments().empty());
  const auto partials = FindFiles(h.primary, ".pcapng.partial");
  ASSERT_EQ(partials.size(), 1u);
  const Bytes file = ReadAll(partials[0]);
  const Expected want = ExpectedFor(file, file.size());
  ASSERT_FALSE(want.ts.empty());
  ASSERT_LT(want.ts.size(), pkts.size());  // the unwritten tail is gone
  for (size_t i = 0; i < want.ts.size(); ++i) EXPECT_EQ(want.ts[i], pkts[i].ts_ns);

  auto n =
      RecoverLinkPartials(DefaultFs(), *h.catalog, h.primary, StorageArea::kPrimary, "default");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  auto recs = h.Segments();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].stats.packets, want.ts.size());
  EXPECT_EQ(recs[0].file_bytes, want.keep);
  EXPECT_EQ(recs[0].sha256, Sha256Sum(recs[0].path));
  EXPECT_EQ(ReadWithTcpdump(recs[0].path).ts, want.ts);
  EXPECT_TRUE(FindFiles(h.dir.path(), ".partial").empty());
  // Nothing left to do the second time.
  n = RecoverLinkPartials(DefaultFs(), *h.catalog, h.primary, StorageArea::kPrimary, "default");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

TEST_F(SegmentRecoveryTest, RecoverLinkPartialsSkipsOtherLinksAndStrandedPrefixes) {
  Harness h;
  const SegmentRecord a = OneSegment(h, 5, 3);
  ASSERT_TRUE(h.catalog->DeleteSegment(a.id).ok());
  std::filesystem::rename(a.path, a.path + ".partial");
  // Another link's partial and a stranded one of this link.
  const std::string other = h.primary + "/other/2026/11/22/x.pcapng.partial";
  std::filesystem::create_directories(DirName(other));
  std::filesystem::copy_file(a.path + ".partial", other);
  const std::string stranded = h.primary + "/default/2026/11/22/s.pcapng.partial";
  std::filesystem::copy_file(a.path + ".partial", stranded);
  StrandedPartial sp;
  sp.path = stranded;
  sp.link = "default";
  sp.durable_bytes = 100;
  ASSERT_TRUE(h.catalog->AddStranded(&sp).ok());

  auto n =
      RecoverLinkPartials(DefaultFs(), *h.catalog, h.primary, StorageArea::kPrimary, "default");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE(Exists(a.path));
  EXPECT_TRUE(Exists(other));
  EXPECT_TRUE(Exists(stranded));
  EXPECT_EQ(h.Segments().size(), 1u);
}

TEST_F(SegmentRecoveryTest, PartialWithOnlyAHeaderIsRemoved) {
  Harness h;
  const SegmentRecord orig = OneSegment(h, 3);
  ASSERT_TRUE(h.catalog->DeleteSegment(orig.id).ok());
  const Bytes file = ReadAll(orig.path);
  const auto blocks = WalkBlocks(file);
  const size_t header_end = blocks[2].offset;
  TempDir d;
  for (size_t cut : {header_end, header_end + 31}) {  // header only; header + a cut EPB
    const std::string partial = d / "p.pcapng.partial";
    WriteAll(partial, file.data(), cut);
    auto r = SalvagePartial(DefaultFs(), *h.catalog, partial, UINT64_MAX, StorageArea::kPrimary,
                            PartialKind::kCrashedRun);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(r->has_value());
    EXPECT_FALSE(Exists(partial));
    EXPECT_FALSE(Exists(d / "p.pcapng"));
  }
  EXPECT_TRUE(h.Segments().empty());
}

TEST_F(SegmentRecoveryTest, PartialCutInsideItsHeaderIsRemoved) {
  // kill -9 between creating the partial and writing its header blocks.
  Harness h;
  const SegmentRecord orig = OneSegment(h, 3);
  ASSERT_TRUE(h.catalog->DeleteSegment(orig.id).ok());
  const Bytes file = ReadAll(orig.path);
  const auto blocks = WalkBlocks(file);
  TempDir d;
  const size_t idb = blocks[1].offset;
  for (size_t cut : {size_t{0}, size_t{2}, size_t{11}, idb - 1, idb, idb + 9}) {
    const std::string partial = d / "p.pcapng.partial";
    WriteAll(partial, file.data(), cut);
    auto r = SalvagePartial(DefaultFs(), *h.catalog, partial, UINT64_MAX, StorageArea::kPrimary,
                            PartialKind::kCrashedRun);
    ASSERT_TRUE(r.ok()) << cut << ": " << r.status().ToString();
    EXPECT_FALSE(r->has_value()) << cut;
    EXPECT_FALSE(Exists(partial)) << cut;
  }
  EXPECT_TRUE(h.Segments().empty());
}

TEST_F(SegmentRecoveryTest, CrashedDerivedPartialIsRemovedAFailoverPrefixKept) {
  Harness h;
  SegmentWriterOptions o = segtest::TestWriterOptions();
  o.level = "scrubbed";
  o.parent_name = "parent-x";
  o.name_suffix = ".scrubbed";
  auto recs =
      segtest::WriteSegments(*h.catalog, *h.router, segtest::UdpStream(5, kBaseTs, 1000), o);
  ASSERT_EQ(recs.size(), 1u);
  ASSERT_TRUE(h.catalog->DeleteSegment(recs[0].id).ok());
  const Bytes file = ReadAll(recs[0].path);
  TempDir d;
  const std::string partial = d / "parent-x.scrubbed.pcapng.partial";
  WriteAll(partial, file.data(), file.size());
  auto r = SalvagePartial(DefaultFs(), *h.catalog, partial, UINT64_MAX, StorageArea::kPrimary,
                          PartialKind::kCrashedRun);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->has_value());
  EXPECT_FALSE(Exists(partial));
  WriteAll(partial, file.data(), file.size());
  r = SalvagePartial(DefaultFs(), *h.catalog, partial, UINT64_MAX, StorageArea::kPrimary,
                     PartialKind::kDurablePrefix);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->level, "scrubbed");
  EXPECT_EQ((*r)->stats.packets, 5u);
}

TEST_F(SegmentRecoveryTest, ForeignOrMissingPartialsAreLeftAlone) {
  Harness h;
  TempDir d;
  // A valid pcapng that trove did not write (no trove.* comments).
  ByteBuffer b;
  AppendSectionHeader(&b, SectionInfo{});
  InterfaceInfo i;
  i.linktype = 1;
  AppendInterfaceDescription(&b, i);
  const Bytes frame = UdpFrame(1, 2, 10);
  AppendEnhancedPacket(&b, 0, kBaseTs, static_cast<uint32_t>(frame.size()),
                       static_cast<uint32_t>(frame.size()), frame.data());
  const std::string foreign = d / "foreign.pcapng.partial";
  WriteAll(foreign, b.data(), b.size());
  auto r = SalvagePartial(DefaultFs(), *h.catalog, foreign, UINT64_MAX, StorageArea::kPrimary,
                          PartialKind::kCrashedRun);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(FileSize(foreign), static_cast<int64_t>(b.size()));
  // Not pcapng at all.
  const std::string junk = d / "junk.pcapng.partial";
  WriteAll(junk, Bytes(500, 0x42));
  r = SalvagePartial(DefaultFs(), *h.catalog, junk, UINT64_MAX, StorageArea::kPrimary,
                     PartialKind::kCrashedRun);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(FileSize(junk), 500);
  // Missing.
  r = SalvagePartial(DefaultFs(), *h.catalog, d / "none.pcapng.partial", UINT64_MAX,
                     StorageArea::kPrimary, PartialKind::kCrashedRun);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(h.Segments().empty());
}

// -------------------------------------------------------------- adopt

TEST_F(SegmentRecoveryTest, AdoptSegmentRecomputesTheRecordFromTheFile) {
  Harness h;
  // A mix with drops, so adoption has something to read from the trailer.
  std::vector<TestPacket> pkts = UdpStream(8, kBaseTs, kSec, 200, 4);
  TestPacket t;
  t.bytes = TcpFrame(1, 2, 0x02, 0);
  t.ts_ns = kBaseTs + 20 * kSec;
  t.wirelen = 1500;
  pkts.push_back(t);
  SegmentRecord orig;
  {
    SegmentWriter w(TestWriterOptions("wan"), *h.router, *h.catalog);
    w.SetDropSampler([] { return DropCounters{11, 4, 0}; });
    for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
    ASSERT_TRUE(w.Close().ok());
    orig = h.Segments().at(0);
  }
  // A crash between rename and insert: the file exists, the row does not.
  ASSERT_TRUE(h.catalog->DeleteSegment(orig.id).ok());
  auto r = AdoptSegment(*h.catalog, orig.path, StorageArea::kPrimary);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectSameContent(*r, orig);
  EXPECT_EQ(r->drops.kernel, 11u);
  EXPECT_EQ(r->drops.ring, 4u);
  EXPECT_EQ(r->sha256, Sha256Sum(orig.path));
  auto got = h.catalog->GetSegment(orig.name);
  ASSERT_TRUE(got.ok());
  ExpectSameContent(*got, orig);
  // Adopting twice is refused by the catalogue.
  auto again = AdoptSegment(*h.catalog, orig.path, StorageArea::kPrimary);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
}

TEST_F(SegmentRecoveryTest, AdoptRefusesDamagedForeignAndMissingFiles) {
  Harness h;
  const SegmentRecord orig = OneSegment(h, 10);
  ASSERT_TRUE(h.catalog->DeleteSegment(orig.id).ok());
  const Bytes file = ReadAll(orig.path);
  TempDir d;
  const std::string cut = d / (orig.name + ".pcapng");
  WriteAll(cut, file.data(), file.size() - 10);  // complete name, truncated content
  auto r = AdoptSegment(*h.catalog, cut, StorageArea::kPrimary);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  // A damaged block length in the middle.
  Bytes bad = file;
  const auto blocks = WalkBlocks(file);
  bad[blocks[4].offset + 4] ^= 0x01;  // leading length no longer matches the trailing one
  WriteAll(cut, bad);
  r = AdoptSegment(*h.catalog, cut, StorageArea::kPrimary);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  WriteAll(cut, Bytes(64, 0));
  EXPECT_FALSE(AdoptSegment(*h.catalog, cut, StorageArea::kPrimary).ok());
  EXPECT_EQ(AdoptSegment(*h.catalog, d / "missing.pcapng", StorageArea::kPrimary).status().code(),
            Status::Code::kNotFound);
  EXPECT_TRUE(h.Segments().empty());
}

// ----------------------------------------------------------- stranded

TEST_F(SegmentRecoveryTest, FinishStrandedSalvagesReachablePrefixesOnly) {
  Harness h;
  const SegmentRecord orig = OneSegment(h, 15);
  ASSERT_TRUE(h.catalog->DeleteSegment(orig.id).ok());
  const Bytes file = ReadAll(orig.path);
  const auto blocks = WalkBlocks(file);
  const std::string partial = orig.path + ".partial";
  std::filesystem::rename(orig.path, partial);
  StrandedPartial reachable;
  reachable.path = partial;
  reachable.link = "default";
  reachable.durable_bytes = blocks[6].offset + blocks[6].length;  // 5 packets
  ASSERT_TRUE(h.catalog->AddStranded(&reachable).ok());
  StrandedPartial gone;
  gone.path = h.primary + "/default/2026/11/22/gone.pcapng.partial";
  gone.link = "default";
  gone.durable_bytes = 4096;
  ASSERT_TRUE(h.catalog->AddStranded(&gone).ok());

  auto n = FinishStranded(DefaultFs(), *h.catalog);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  auto recs = h.Segments();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].stats.packets, 5u);
  EXPECT_EQ(recs[0].area, StorageArea::kPrimary);
  EXPECT_EQ(recs[0].file_bytes, reachable.durable_bytes);
  EXPECT_EQ(recs[0].path, orig.path);
  auto left = h.catalog->ListStranded();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].path, gone.path);
}

TEST_F(SegmentRecoveryTest, ScanSegmentFileMatchesTheWriter) {
  Harness h;
  const SegmentRecord orig = OneSegment(h, 25, 9);
  auto s = ScanSegmentFile(orig.path);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->has_header);
  EXPECT_TRUE(s->has_trailer);
  EXPECT_FALSE(s->truncated);
  EXPECT_TRUE(s->error.ok());
  EXPECT_EQ(s->file_bytes, static_cast<uint64_t>(FileSize(orig.path)));
  EXPECT_EQ(s->complete_bytes, s->file_bytes);
  EXPECT_EQ(s->header.name, orig.name);
  EXPECT_EQ(s->header.link, "default");
  EXPECT_EQ(s->header.location, "lab rack 7");
  EXPECT_EQ(s->header.interface, "eth9");
  EXPECT_EQ(s->header.capture_filter, "udp or tcp");
  EXPECT_EQ(s->header.start_ns, orig.stats.first_ts_ns);
  EXPECT_EQ(s->stats.packets, 25u);
  EXPECT_EQ(s->stats.cap_bytes, orig.stats.cap_bytes);
  EXPECT_EQ(s->stats.flows, orig.stats.flows);
}

}  // namespace
}  // namespace trove
