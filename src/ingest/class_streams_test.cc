// ClassStreams: each class's packets land in that class's own segments
// (checked with tcpdump over the files), names and headers carry the
// class, source drops are counted once, and a store without classes keeps
// one stream.
#include "ingest/class_streams.h"

#include <cctype>

#include "packet/decoder.h"
#include "segment/segment_scan.h"
#include "segment/segment_test_util.h"

namespace trove {
namespace {

using namespace segtest;

Status Put(ClassStreams& s, const TestPacket& p, uint8_t k) {
  const PacketRef ref = p.Ref();
  DecodedPacket d;
  Decode(ref, &d);
  return s.Append(ref, d, k);
}

// Packets to port 53 are class 0 ("dns"), the others class 1 ("rest").
std::vector<std::pair<TestPacket, uint8_t>> Mixed(size_t n) {
  std::vector<std::pair<TestPacket, uint8_t>> out;
  for (size_t i = 0; i < n; ++i) {
    TestPacket p;
    const bool dns = i % 3 == 0;
    p.bytes = UdpFrame(static_cast<uint16_t>(2000 + i), dns ? 53 : 8080, 40 + i % 50);
    p.ts_ns = kBaseTs + static_cast<int64_t>(i) * 1'000'000;
    out.push_back({std::move(p), dns ? 0 : 1});
  }
  return out;
}

int64_t TcpdumpCount(const std::string& path, const std::string& filter) {
  return std::stoll(
      Shell("tcpdump -r " + Quote(path) + " -nn " + Quote(filter) + " 2>/dev/null | wc -l"));
}

TEST(ClassStreams, RoutesEachClassToItsOwnSegments) {
  Harness h;
  SegmentWriterOptions o = TestWriterOptions("uplink");
  o.policy.max_bytes = 4000;  // several segments per class
  ClassStreams s(o, {"dns", "rest"}, *h.router, *h.catalog);
  const auto pkts = Mixed(300);
  for (const auto& [p, k] : pkts) ASSERT_TRUE(Put(s, p, k).ok());
  ASSERT_TRUE(s.Close().ok());
  EXPECT_EQ(s.counters().packets_stored, 300u);
  const auto segs = h.Segments();
  ASSERT_EQ(segs.size(), s.published_ids().size());
  uint64_t per_class[2] = {0, 0};
  size_t dns_segments = 0;
  for (const auto& r : segs) {
    SCOPED_TRACE(r.name);
    ASSERT_TRUE(r.klass == "dns" || r.klass == "rest") << r.klass;
    EXPECT_EQ(r.name.rfind("uplink-" + r.klass + "-", 0), 0u);
    // The header says so too (what fsck --rebuild-catalog reads).
    auto scan = ScanSegmentFile(r.path);
    ASSERT_TRUE(scan.ok()) << scan.status().ToString();
    EXPECT_EQ(scan->header.klass, r.klass);
    per_class[r.klass == "dns" ? 0 : 1] += r.stats.packets;
    dns_segments += r.klass == "dns";
    if (HaveTool("tcpdump")) {
      const std::string other = r.klass == "dns" ? "not udp dst port 53" : "udp dst port 53";
      EXPECT_EQ(TcpdumpCount(r.path, other), 0);
      EXPECT_EQ(TcpdumpCount(r.path, ""), static_cast<int64_t>(r.stats.packets));
    }
  }
  EXPECT_EQ(per_class[0], 100u);
  EXPECT_EQ(per_class[1], 200u);
  EXPECT_GE(dns_segments, 2u);
  EXPECT_GE(segs.size() - dns_segments, 2u);
}

TEST(ClassStreams, SourceDropsAreAttributedToOneStream) {
  Harness h;
  ClassStreams s(TestWriterOptions(), {"dns", "rest"}, *h.router, *h.catalog);
  s.SetDropSampler([] {
    DropCounters d;
    d.kernel = 5;
    d.ring = 2;
    return d;
  });
  for (const auto& [p, k] : Mixed(30)) ASSERT_TRUE(Put(s, p, k).ok());
  ASSERT_TRUE(s.Close().ok());
  uint64_t kernel = 0, ring = 0;
  const auto segs = h.Segments();
  ASSERT_EQ(segs.size(), 2u);
  for (const auto& r : segs) {
    kernel += r.drops.kernel;
    ring += r.drops.ring;
  }
  EXPECT_EQ(kernel, 5u);
  EXPECT_EQ(ring, 2u);
}

TEST(ClassStreams, WithoutClassesOneStreamAsBefore) {
  Harness h;
  ClassStreams s(TestWriterOptions("uplink"), {}, *h.router, *h.catalog);
  for (const auto& [p, k] : Mixed(20)) ASSERT_TRUE(Put(s, p, k).ok());
  ASSERT_TRUE(s.Close().ok());
  const auto segs = h.Segments();
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].klass, "");
  EXPECT_EQ(segs[0].stats.packets, 20u);
  // LINK-YYYYMMDDTHHMMSS.nnnnnnnnnZ-XXXXXX: the second field is the time.
  EXPECT_EQ(segs[0].name.substr(0, 7), "uplink-");
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(segs[0].name[7]))) << segs[0].name;
  auto scan = ScanSegmentFile(segs[0].path);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->header.klass, "");
}

// A packet the cutoff dropped reaches the observers of its class's open
// segment (never another class's), and nothing when that class has no
// open segment; it is never stored.
TEST(ClassStreams, NotStoredPacketsGoToTheirClassesOpenSegment) {
  struct Seen : SegmentObserver {
    std::vector<std::string> stored, not_stored;
    void OnPacketStored(uint64_t, const std::string& n, const PacketRef&, const DecodedPacket&,
                        uint64_t) override {
      stored.push_back(n);
    }
    void OnPacketNotStored(uint64_t, const std::string& n, const PacketRef&,
                           const DecodedPacket&) override {
      not_stored.push_back(n);
    }
  } seen;
  Harness h;
  ClassStreams s(TestWriterOptions("uplink"), {"dns", "rest"}, *h.router, *h.catalog);
  s.AddObserver(&seen);
  const auto pkts = Mixed(3);  // dns, rest, rest
  DecodedPacket d;
  Decode(pkts[0].first.Ref(), &d);
  s.NoteNotStored(pkts[0].first.Ref(), d, 0);  // no dns segment open yet: ignored
  EXPECT_TRUE(seen.not_stored.empty());
  ASSERT_TRUE(Put(s, pkts[0].first, 0).ok());
  ASSERT_TRUE(Put(s, pkts[1].first, 1).ok());
  s.NoteNotStored(pkts[2].first.Ref(), d, 1);
  s.NoteNotStored(pkts[2].first.Ref(), d, 0);
  ASSERT_EQ(seen.stored.size(), 2u);
  ASSERT_EQ(seen.not_stored.size(), 2u);
  EXPECT_EQ(seen.not_stored[0], seen.stored[1]);  // rest's open segment
  EXPECT_EQ(seen.not_stored[1], seen.stored[0]);  // dns's open segment
  ASSERT_TRUE(s.Close().ok());
  EXPECT_EQ(s.counters().packets_stored, 2u);
}

// A trace interleaving two link types (a multi-interface pcapng) writes one
// stream per link type of the class, not a segment per change; each
// segment's packets equal, in order, the packets of its link type (read
// back with tcpdump's link-type line and with the segment scanner).
TEST(ClassStreams, InterleavedLinkTypesGetOneStreamEach) {
  Harness h;
  ClassStreams s(TestWriterOptions("uplink"), {}, *h.router, *h.catalog);
  std::vector<TestPacket> sent;
  for (size_t i = 0; i < 40; ++i) {
    TestPacket p;
    p.bytes = UdpFrame(static_cast<uint16_t>(3000 + i), 53, 40);
    p.ts_ns = kBaseTs + static_cast<int64_t>(i) * 1'000'000;
    if (i % 2 == 1) {  // raw IPv4 (DLT_RAW 12... LINKTYPE 101 on disk): strip Ethernet
      p.bytes.erase(p.bytes.begin(), p.bytes.begin() + 14);
      p.linktype = 12;
    }
    sent.push_back(p);
    ASSERT_TRUE(Put(s, p, 0).ok());
  }
  EXPECT_EQ(s.size(), 2u);
  ASSERT_TRUE(s.Close().ok());
  const auto segs = h.Segments();
  ASSERT_EQ(segs.size(), 2u);
  for (const auto& r : segs) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(r.stats.packets, 20u);
    const bool raw = r.linktype == 12;
    EXPECT_TRUE(raw || r.linktype == 1) << r.linktype;
    auto scan = ScanSegmentFile(r.path);
    ASSERT_TRUE(scan.ok()) << scan.status().ToString();
    EXPECT_EQ(scan->header.linktype, r.linktype);
    if (HaveTool("tcpdump")) {
      const std::string first = Shell("tcpdump -r " + Quote(r.path) + " -c 1 2>&1 >/dev/null");
      EXPECT_NE(first.find(raw ? "RAW" : "EN10MB"), std::string::npos) << first;
      EXPECT_EQ(TcpdumpCount(r.path, "udp dst port 53"), 20);
    }
  }
}

TEST(ClassStreams, AClassIndexOutOfRangeIsAnError) {
  Harness h;
  ClassStreams s(TestWriterOptions(), {"only"}, *h.router, *h.catalog);
  const auto pkts = Mixed(1);
  EXPECT_EQ(Put(s, pkts[0].first, 3).code(), Status::Code::kInternal);
  EXPECT_TRUE(s.Close().ok());
  EXPECT_TRUE(h.Segments().empty());
}

}  // namespace
}  // namespace trove
