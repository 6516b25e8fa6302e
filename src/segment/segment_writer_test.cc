// Tests for segment/segment_writer.h on a real SQLite catalogue and real
// files: size and time rotation (checked against a hand simulation of the
// rotation rule and against tcpdump's reading of every file), link-type
// rotation, catalogue fields (sha256sum, stat, hand-counted protocol mix
// and flows, sqlite3 CLI), and failover driven by a fault-injecting Fs
// (FaultFs below) and by the primary marker disappearing.

#include "segment/segment_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "segment/pcapng_format.h"
#include "segment/segment_recovery.h"
#include "segment/segment_test_util.h"
#include "util/time_util.h"

namespace trove {
namespace {

using namespace segtest;  // NOLINT

// ------------------------------------------------------------ FaultFs

// Wraps another Fs. Files created under an area's prefix can be made to
// fail: Append after `append_budget` bytes (the bytes that still fit are
// written first, like a real short write before ENOSPC), Sync after
// `sync_budget` successful syncs, and every operation when the area is
// `gone` (a vanished network mount).
class FaultFs final : public Fs {
 public:
  struct Area {
    std::string prefix;
    int64_t append_budget = -1;  // bytes; -1 = unlimited
    int append_errno = ENOSPC;
    int sync_budget = -1;  // successful syncs; -1 = unlimited
    int sync_errno = EIO;
    bool gone = false;
    // While set, Sync() waits (from the flusher thread) until it is cleared.
    std::atomic<bool> hold_syncs{false};
    std::atomic<int> syncs_held{0};  // Sync() calls that waited
    // Observed.
    int64_t appended = 0;
    int syncs = 0;
    int append_failures = 0;
  };

  explicit FaultFs(Fs& base) : base_(base) {}
  Area primary, spool;

  Area* AreaOf(const std::string& path) {
    for (Area* a : {&primary, &spool})
      if (!a->prefix.empty() && path.rfind(a->prefix, 0) == 0) return a;
    return nullptr;
  }
  Status GoneError(const std::string& what) { return Status::FromErrno(ENOTCONN, what); }
  bool Gone(const std::string& path) {
    Area* a = AreaOf(path);
    return a && a->gone;
  }

  class File final : public WritableFile {
   public:
    File(FaultFs* fs, Area* area, std::unique_ptr<WritableFile> base)
        : fs_(fs), area_(area), base_(std::move(base)) {}
    Status Append(const void* data, size_t len) override {
      if (area_->gone) return fs_->GoneError("writing " + path());
      if (area_->append_budget >= 0 &&
          area_->appended + static_cast<int64_t>(len) > area_->append_budget) {
        const size_t fits = static_cast<size_t>(area_->append_budget - area_->appended);
        if (fits > 0) (void)base_->Append(data, fits);
        area_->appended = area_->append_budget;
        ++area_->append_failures;
        return Status::FromErrno(area_->append_errno, "writing " + path());
      }
      Status s = base_->Append(data, len);
      if (s.ok()) area_->appended += static_cast<int64_t>(len);
      return s;
    }
    Status Sync() override {
      if (area_->hold_syncs) {
        ++area_->syncs_held;
        while (area_->hold_syncs) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (area_->gone) return fs_->GoneError("fsync " + path());
      if (area_->sync_budget >= 0 && area_->syncs >= area_->sync_budget)
        return Status::FromErrno(area_->sync_errno, "fsync " + path());
      ++area_->syncs;
      return base_->Sync();
    }
    void StartWriteback() override { base_->StartWriteback(); }
    Status Truncate(uint64_t size) override { return base_->Truncate(size); }
    Status Close() override { return base_->Close(); }
    uint64_t Size() const override { return base_->Size(); }
    uint64_t DeviceId() const override { return base_->DeviceId(); }
    const std::string& path() const override { return base_->path(); }

   private:
    FaultFs* fs_;
    Area* area_;
    std::unique_ptr<WritableFile> base_;
  };

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    if (Gone(path)) return GoneError("creating " + path);
    auto f = base_.NewWritableFile(path);
    if (!f.ok()) return f.status();
    Area* a = AreaOf(path);
    if (!a) return std::move(f).value();
    return std::unique_ptr<WritableFile>(new File(this, a, std::move(f).value()));
  }
  Status RenameDurable(const std::string& from, const std::string& to) override {
    if (Gone(from) || Gone(to)) return GoneError("renaming " + from);
    return base_.RenameDurable(from, to);
  }
  Status Remove(const std::string& path) override {
    if (Gone(path)) return GoneError("removing " + path);
    return base_.Remove(path);
  }
  Status SyncDir(const std::string& dir) override {
    if (Gone(dir)) return GoneError("fsync " + dir);
    return base_.SyncDir(dir);
  }
  Status SyncFile(const std::string& path) override {
    if (Gone(path)) return GoneError("fsync " + path);
    return base_.SyncFile(path);
  }
  Status CreateDirs(const std::string& dir) override {
    if (Gone(dir)) return GoneError("mkdir " + dir);
    return base_.CreateDirs(dir);
  }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (Gone(path)) return GoneError("truncating " + path);
    return base_.TruncateFile(path, size);
  }
  Result<FsStat> Stat(const std::string& path) override {
    if (Gone(path)) return GoneError("stat " + path);
    return base_.Stat(path);
  }
  Result<uint64_t> FreeBytes(const std::string& path) override {
    if (Gone(path)) return GoneError("statvfs " + path);
    return base_.FreeBytes(path);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    if (Gone(dir)) return GoneError("listing " + dir);
    return base_.ListDir(dir);
  }

 private:
  Fs& base_;
};

// ------------------------------------------------------------ helpers

std::multiset<int64_t> TimestampsOf(const std::vector<TestPacket>& pkts) {
  std::multiset<int64_t> s;
  for (const auto& p : pkts) s.insert(p.ts_ns);
  return s;
}

// Everything a catalogued segment must satisfy on disk, checked with the
// external tools. Returns the timestamps tcpdump read.
std::vector<int64_t> CheckPublished(const SegmentRecord& r) {
  SCOPED_TRACE(r.name + " at " + r.path);
  EXPECT_EQ(BaseName(r.path), r.name + ".pcapng");
  EXPECT_EQ(FileSize(r.path), static_cast<int64_t>(r.file_bytes));
  EXPECT_EQ(Sha256Sum(r.path), r.sha256);
  EXPECT_EQ(r.state, SegmentState::kStored);
  TcpdumpRead t = ReadWithTcpdump(r.path);
  EXPECT_TRUE(t.ok) << t.error;
  EXPECT_EQ(t.error, "");
  EXPECT_EQ(t.ts.size(), r.stats.packets);
  if (!t.ts.empty()) {
    EXPECT_EQ(*std::min_element(t.ts.begin(), t.ts.end()), r.stats.first_ts_ns);
    EXPECT_EQ(*std::max_element(t.ts.begin(), t.ts.end()), r.stats.last_ts_ns);
  }
  return t.ts;
}

// All catalogued segments read back: the multiset of packet timestamps.
std::multiset<int64_t> AllStored(const std::vector<SegmentRecord>& recs) {
  std::multiset<int64_t> s;
  for (const auto& r : recs)
    for (int64_t t : CheckPublished(r)) s.insert(t);
  return s;
}

bool Under(const std::string& path, const std::string& dir) {
  return path.rfind(dir + "/", 0) == 0;
}

// A 64-bit option of an ISB (options start after interface id and the
// two timestamp words); ~0 if absent.
uint64_t IsbOption(const Bytes& file, const RawBlock& isb, uint16_t code) {
  size_t off = isb.offset + 20;
  const size_t end = isb.offset + isb.length - 4;
  while (off + 4 <= end) {
    uint16_t c, len;
    std::memcpy(&c, file.data() + off, 2);
    std::memcpy(&len, file.data() + off + 2, 2);
    if (c == 0) break;
    if (c == code && len == 8) {
      uint64_t v;
      std::memcpy(&v, file.data() + off + 4, 8);
      return v;
    }
    off += 4 + (len + 3u) / 4 * 4;
  }
  return ~uint64_t{0};
}

class SegmentWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTool("tcpdump") || !HaveTool("sha256sum"))
      GTEST_SKIP() << "tcpdump and sha256sum are the oracles here";
  }
};

// ---------------------------------------------------- size rotation

struct StoredAt {
  uint64_t serial;
  std::string name;
  int64_t ts;
  uint64_t offset;
};
class Recorder : public SegmentObserver {
 public:
  void OnPacketStored(uint64_t serial, const std::string& name, const PacketRef& p,
                      const DecodedPacket&, uint64_t offset) override {
    stored.push_back({serial, name, p.ts_ns, offset});
  }
  void OnSegmentPublished(const SegmentRecord& r) override { published.push_back(r); }
  std::vector<StoredAt> stored;
  std::vector<SegmentRecord> published;
};

TEST_F(SegmentWriterTest, SizeRotation) {
  Harness h;
  auto pkts = UdpStream(300, kBaseTs + 123, 1'000'003, 700, 7);
  SegmentWriterOptions o = TestWriterOptions();
  o.policy.max_bytes = 10000;
  Recorder rec;
  {
    SegmentWriter w(o, *h.router, *h.catalog);
    w.AddObserver(&rec);
    for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
    ASSERT_TRUE(w.Close().ok());
    EXPECT_EQ(w.counters().packets_stored, pkts.size());
    EXPECT_EQ(w.counters().store_drops, 0u);
    EXPECT_EQ(w.counters().failovers, 0u);
    EXPECT_EQ(w.published_ids().size(), w.counters().segments_published);
  }
  auto recs = h.Segments();
  ASSERT_GT(recs.size(), 5u);
  EXPECT_EQ(rec.published.size(), recs.size());

  uint64_t largest_epb = 0, sum_cap = 0;
  for (const auto& p : pkts) {
    largest_epb = std::max(largest_epb, EpbSize(p.caplen()));
    sum_cap += p.caplen();
  }
  // The layout of the first file gives the header and trailer sizes.
  const Bytes first = ReadAll(recs[0].path);
  const auto blocks0 = WalkBlocks(first);
  ASSERT_GE(blocks0.size(), 4u);
  ASSERT_EQ(blocks0[0].type, 0x0A0D0D0Au);
  ASSERT_EQ(blocks0[1].type, 1u);
  ASSERT_EQ(blocks0.back().type, 5u);
  const uint64_t header = blocks0[2].offset, trailer = blocks0.back().length;

  // Hand simulation of "rotate before a file would exceed max_bytes".
  std::vector<size_t> want_counts;
  uint64_t size = header;
  size_t count = 0;
  for (const auto& p : pkts) {
    const uint64_t e = EpbSize(p.caplen());
    if (count > 0 && size + e + trailer > 10000) {
      want_counts.push_back(count);
      size = header;
      count = 0;
    }
    size += e;
    ++count;
  }
  want_counts.push_back(count);
  ASSERT_EQ(recs.size(), want_counts.size());

  std::vector<int64_t> all_ts;
  uint64_t packets = 0, cap = 0;
  for (size_t i = 0; i < recs.size(); ++i) {
    SCOPED_TRACE("segment " + std::to_string(i));
    const auto& r = recs[i];
    EXPECT_EQ(r.area, StorageArea::kPrimary);
    EXPECT_TRUE(Under(r.path, h.primary + "/default/" + kBaseDay)) << r.path;
    const int64_t fsize = FileSize(r.path);
    EXPECT_LE(fsize, 10000);
    if (i + 1 < recs.size()) {
      EXPECT_GT(fsize, static_cast<int64_t>(10000 - largest_epb));
    }
    EXPECT_EQ(r.stats.packets, want_counts[i]);
    const Bytes b = ReadAll(r.path);
    const auto blocks = WalkBlocks(b);
    EXPECT_EQ(blocks.back().offset + blocks.back().length, b.size()) << "trailing garbage";
    EXPECT_EQ(blocks[2].offset, header);
    EXPECT_EQ(blocks.back().type, 5u);
    // header + EPBs + trailer, EPBs hand-sized from the appended caplens.
    uint64_t epb_bytes = 0;
    for (size_t k = 0; k < r.stats.packets; ++k) epb_bytes += EpbSize(pkts[packets + k].caplen());
    EXPECT_EQ(static_cast<uint64_t>(fsize), header + epb_bytes + trailer);
    const auto ts = CheckPublished(r);
    all_ts.insert(all_ts.end(), ts.begin(), ts.end());
    packets += r.stats.packets;
    cap += r.stats.cap_bytes;
  }
  EXPECT_EQ(packets, pkts.size());
  EXPECT_EQ(cap, sum_cap);
  // tcpdump reads back exactly the appended timestamps, in order.
  std::vector<int64_t> want_ts;
  for (const auto& p : pkts) want_ts.push_back(p.ts_ns);
  EXPECT_EQ(all_ts, want_ts);

  // The observer's offsets point at the EPB of that packet in the file.
  ASSERT_EQ(rec.stored.size(), pkts.size());
  std::map<std::string, Bytes> files;
  for (const auto& r : recs) files[r.name] = ReadAll(r.path);
  for (size_t i = 0; i < rec.stored.size(); ++i) {
    const auto& s = rec.stored[i];
    ASSERT_TRUE(files.count(s.name)) << s.name;
    const Bytes& f = files[s.name];
    ASSERT_LT(s.offset + 32, f.size());
    const auto one = WalkBlocks(f.data() + s.offset, f.size() - s.offset);
    ASSERT_FALSE(one.empty());
    EXPECT_EQ(one[0].type, 6u);
    EXPECT_EQ(one[0].ts_ns, pkts[i].ts_ns);
  }
  // One serial per segment: the same for all its packets, distinct across
  // segments (observers key their per-segment state by it).
  std::map<std::string, std::set<uint64_t>> serials_of;
  std::map<uint64_t, std::set<std::string>> names_of;
  for (const auto& s : rec.stored) {
    serials_of[s.name].insert(s.serial);
    names_of[s.serial].insert(s.name);
  }
  EXPECT_EQ(serials_of.size(), recs.size());
  EXPECT_EQ(names_of.size(), recs.size());
  for (const auto& [name, ss] : serials_of) EXPECT_EQ(ss.size(), 1u) << name;
  // No partials left behind.
  EXPECT_TRUE(FindFiles(h.dir.path(), ".partial").empty());
}

TEST_F(SegmentWriterTest, OversizedPacketGetsItsOwnSegment) {
  Harness h;
  SegmentWriterOptions o = TestWriterOptions();
  o.policy.max_bytes = 3000;
  std::vector<TestPacket> pkts = UdpStream(3, kBaseTs, kSec, 100);
  TestPacket big;
  big.bytes = UdpFrame(9, 9, 5000);
  big.ts_ns = kBaseTs + 10 * kSec;
  pkts.insert(pkts.begin() + 1, big);
  auto recs = WriteSegments(*h.catalog, *h.router, pkts, o);
  // [p0] [big] [p1 p2]: the big one alone exceeds max_bytes; nothing else does.
  ASSERT_EQ(recs.size(), 3u);
  std::sort(recs.begin(), recs.end(),
            [](const auto& a, const auto& b) { return a.stats.first_ts_ns < b.stats.first_ts_ns; });
  EXPECT_EQ(recs[0].stats.packets, 1u);
  EXPECT_EQ(recs[1].stats.packets, 2u);
  EXPECT_EQ(recs[2].stats.packets, 1u);
  EXPECT_EQ(recs[2].stats.first_ts_ns, big.ts_ns);
  EXPECT_GT(FileSize(recs[2].path), 3000);
  EXPECT_LE(FileSize(recs[0].path), 3000);
  EXPECT_LE(FileSize(recs[1].path), 3000);
  EXPECT_EQ(AllStored(recs), TimestampsOf(pkts));
}

// ---------------------------------------------------- time rotation

TEST_F(SegmentWriterTest, TimeRotationUsesAlignedWindows) {
  Harness h;
  SegmentWriterOptions o = TestWriterOptions();
  o.policy.max_duration_ns = 10 * kSec;
  // kBaseTs is a multiple of 10 s. Packets every 0.7 s from +3 s, one
  // exactly on a boundary, and one late packet from an earlier window.
  std::vector<TestPacket> pkts = UdpStream(60, kBaseTs + 3 * kSec, 700'000'000, 200);
  pkts[24].ts_ns = kBaseTs + 20 * kSec;  // +19.8 s -> +20.0 s: exactly on a boundary
  pkts[40].ts_ns = kBaseTs + 5 * kSec;   // late: window [0, 10)
  auto recs = WriteSegments(*h.catalog, *h.router, pkts, o);

  // Expected: a new segment whenever the window index changes.
  std::vector<std::vector<int64_t>> want;
  int64_t cur = INT64_MIN;
  for (const auto& p : pkts) {
    const int64_t k = p.ts_ns / (10 * kSec);
    if (k != cur) want.emplace_back();
    cur = k;
    want.back().push_back(p.ts_ns);
  }
  // +3..+9.3 | +10..+19.1 | +20.0 (boundary), +20.5..+29.6 | +30..+30.3 | +5 | +31..+39.9 | ...
  ASSERT_EQ(recs.size(), want.size());
  // The catalogue orders by first timestamp; reorder want the same way.
  std::stable_sort(want.begin(), want.end(),
                   [](const auto& a, const auto& b) { return a.front() < b.front(); });
  for (size_t i = 0; i < recs.size(); ++i) {
    SCOPED_TRACE(i);
    const auto ts = CheckPublished(recs[i]);
    EXPECT_EQ(ts, want[i]);
    const int64_t k = ts.front() / (10 * kSec);
    for (int64_t t : ts) {
      EXPECT_GE(t, k * 10 * kSec);
      EXPECT_LT(t, (k + 1) * 10 * kSec);
    }
  }
  EXPECT_EQ(AllStored(recs), TimestampsOf(pkts));
}

// ------------------------------------------------- link-type change

TEST_F(SegmentWriterTest, LinkTypeChangeRotates) {
  Harness h;
  std::vector<TestPacket> pkts;
  for (int i = 0; i < 12; ++i) {
    TestPacket p;
    const bool sll = i >= 5 && i < 9;
    p.bytes = sll ? SllUdpFrame(7, 8, 20 + i) : UdpFrame(7, 8, 20 + i);
    p.linktype = sll ? 113 : 1;
    p.ts_ns = kBaseTs + i * kSec;
    pkts.push_back(p);
  }
  auto recs = WriteSegments(*h.catalog, *h.router, pkts);
  ASSERT_EQ(recs.size(), 3u);
  const uint16_t lt[] = {1, 113, 1};
  const char* names[] = {"EN10MB", "LINUX_SLL", "EN10MB"};
  const uint64_t counts[] = {5, 4, 3};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(recs[i].linktype, lt[i]);
    EXPECT_EQ(recs[i].stats.packets, counts[i]);
    EXPECT_EQ(ReadWithTcpdump(recs[i].path).linktype, names[i]);
    // One interface per file.
    int idbs = 0;
    for (const auto& b : WalkBlocks(ReadAll(recs[i].path))) idbs += b.type == 1;
    EXPECT_EQ(idbs, 1);
  }
  EXPECT_EQ(AllStored(recs), TimestampsOf(pkts));
}

// -------------------------------------------------- catalogue record

TEST_F(SegmentWriterTest, CatalogueRecordFields) {
  Harness h;
  // A hand-made mix. Flows (bidirectional 5-tuples):
  //   UDP 10.0.0.1:1000 <-> 10.0.0.2:53   packets 0,1(reply),2
  //   UDP 10.0.0.1:1001 <-> 10.0.0.2:53   packets 3,4
  //   TCP 10.0.0.1:40000 <-> 10.0.0.3:80  packets 5,6(reply),7
  //   ICMP echo id 77 10.0.0.1 <-> 10.0.0.2 packets 8, 9(reply)
  //   UDP [2001:db8::1]:5000 <-> [2001:db8::2]:6000  packets 11, 12
  // ARP (packet 10) has no flow: 5 flows.
  std::vector<TestPacket> pkts;
  auto add = [&](Bytes b, uint32_t extra_wire = 0) {
    TestPacket p;
    p.bytes = std::move(b);
    p.ts_ns = kBaseTs + 1000 + static_cast<int64_t>(pkts.size()) * 250'000'000;
    p.wirelen = extra_wire ? static_cast<uint32_t>(p.bytes.size()) + extra_wire : 0;
    pkts.push_back(std::move(p));
  };
  add(UdpFrame(1000, 53, 30));
  add(UdpFrame(53, 1000, 90, 2, 1));
  add(UdpFrame(1000, 53, 31));
  add(UdpFrame(1001, 53, 32));
  add(UdpFrame(1001, 53, 33));
  add(TcpFrame(40000, 80, 0x02, 0, 1, 3), 100);  // cut by a snaplen: wire > cap
  add(TcpFrame(80, 40000, 0x12, 0, 3, 1), 100);
  add(TcpFrame(40000, 80, 0x10, 500, 1, 3), 1000);
  add(IcmpEchoFrame(false, 77, 1));
  add(IcmpEchoFrame(true, 77, 1, 2, 1));
  add(ArpFrame());
  add(Udp6Frame(5000, 6000, 40));
  add(Udp6Frame(6000, 5000, 41, 2, 1));

  uint64_t wire[6] = {};  // ipv4, ipv6, tcp, udp, icmp, other
  uint64_t cap = 0, wire_total = 0;
  for (size_t i = 0; i < pkts.size(); ++i) {
    const uint64_t w = pkts[i].Ref().wirelen;
    cap += pkts[i].caplen();
    wire_total += w;
    if (i <= 9) wire[0] += w;
    if (i >= 11) wire[1] += w;
    if (i >= 5 && i <= 7) wire[2] += w;
    if (i <= 4 || i >= 11) wire[3] += w;
    if (i == 8 || i == 9) wire[4] += w;
    if (i == 10) wire[5] += w;
  }

  SegmentWriterOptions o = TestWriterOptions("edge-1");
  o.snaplen = 1600;
  uint64_t samples = 0;
  const int64_t before = WallClockNs();
  {
    SegmentWriter w(o, *h.router, *h.catalog);
    // Cumulative counters of the source: the record gets the difference.
    w.SetDropSampler([&] {
      ++samples;
      return DropCounters{7 * samples, 3 * samples, 0};
    });
    for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
    ASSERT_TRUE(w.Close().ok());
    ASSERT_EQ(w.published_ids().size(), 1u);
  }
  const int64_t after = WallClockNs();
  auto recs = h.Segments();
  ASSERT_EQ(recs.size(), 1u);
  const SegmentRecord& r = recs[0];
  EXPECT_EQ(r.link, "edge-1");
  EXPECT_EQ(r.location, "lab rack 7");
  EXPECT_EQ(r.level, "raw");
  EXPECT_EQ(r.area, StorageArea::kPrimary);
  EXPECT_EQ(r.state, SegmentState::kStored);
  EXPECT_EQ(r.snaplen, 1600u);
  EXPECT_EQ(r.linktype, 1);
  EXPECT_EQ(r.capture_host, "testhost");
  EXPECT_EQ(r.capture_filter, "udp or tcp");
  EXPECT_FALSE(r.trove_version.empty());
  EXPECT_GE(r.closed_at_ns, before);
  EXPECT_LE(r.closed_at_ns, after);
  EXPECT_EQ(r.path, h.primary + "/edge-1/" + kBaseDay + "/" + r.name + ".pcapng");
  EXPECT_EQ(r.name.rfind("edge-1-20261122T070000.000001000Z-", 0), 0u) << r.name;
  EXPECT_EQ(r.stats.packets, 13u);
  EXPECT_EQ(r.stats.cap_bytes, cap);
  EXPECT_EQ(r.stats.wire_bytes, wire_total);
  EXPECT_EQ(r.stats.first_ts_ns, kBaseTs + 1000);
  EXPECT_EQ(r.stats.last_ts_ns, kBaseTs + 1000 + 12 * 250'000'000LL);
  EXPECT_EQ(r.duration_ns(), 12 * 250'000'000LL);
  EXPECT_EQ(r.stats.flows, 5u);
  EXPECT_EQ(r.stats.mix.ipv4.packets, 10u);
  EXPECT_EQ(r.stats.mix.ipv6.packets, 2u);
  EXPECT_EQ(r.stats.mix.tcp.packets, 3u);
  EXPECT_EQ(r.stats.mix.udp.packets, 7u);
  EXPECT_EQ(r.stats.mix.icmp.packets, 2u);
  EXPECT_EQ(r.stats.mix.other.packets, 1u);
  EXPECT_EQ(r.stats.mix.ipv4.bytes, wire[0]);
  EXPECT_EQ(r.stats.mix.ipv6.bytes, wire[1]);
  EXPECT_EQ(r.stats.mix.tcp.bytes, wire[2]);
  EXPECT_EQ(r.stats.mix.udp.bytes, wire[3]);
  EXPECT_EQ(r.stats.mix.icmp.bytes, wire[4]);
  EXPECT_EQ(r.stats.mix.other.bytes, wire[5]);
  // Sampled once, at close, against a zero baseline.
  EXPECT_EQ(samples, 1u);
  EXPECT_EQ(r.drops.kernel, 7u);
  EXPECT_EQ(r.drops.ring, 3u);
  EXPECT_EQ(r.drops.store, 0u);
  // The file: sha256sum, size, tcpdump, capinfos.
  EXPECT_EQ(r.sha256, Sha256Sum(r.path));
  EXPECT_EQ(r.sha256.size(), 64u);
  EXPECT_EQ(static_cast<int64_t>(r.file_bytes), FileSize(r.path));
  CheckPublished(r);
  if (HaveTool("capinfos")) {
    EXPECT_EQ(CapinfosCount(r.path), 13);
    // The file describes itself (what --rebuild-catalog relies on).
    const std::string info = Shell("capinfos " + Quote(r.path) + " 2>&1");
    for (const std::string& want :
         {"trove.segment=" + r.name, std::string("trove.link=edge-1"),
          std::string("trove.location=lab rack 7"), std::string("trove.capture_host=testhost"),
          std::string("trove.snaplen=1600"), std::string("Name = eth9"),
          std::string("Filter string = udp or tcp"), std::string("Encapsulation = Ethernet"),
          std::string("Time precision = nanoseconds (9)"), std::string("Number of packets:   13")})
      EXPECT_NE(info.find(want), std::string::npos) << want << "\n" << info;
  }
  // What the catalogue stored, read with the sqlite3 CLI.
  if (HaveTool("sqlite3")) {
    const std::string row = Shell(
        "sqlite3 -separator '|' " + Quote(h.dir / "catalog.db") +
        " 'SELECT name, packets, cap_bytes, wire_bytes, flows, sha256, file_bytes, area, state, "
        "udp_packets, tcp_bytes, kernel_drops FROM segments'");
    EXPECT_EQ(row, r.name + "|13|" + std::to_string(cap) + "|" + std::to_string(wire_total) +
                       "|5|" + Sha256Sum(r.path) + "|" + std::to_string(FileSize(r.path)) +
                       "|primary|stored|7|" + std::to_string(wire[2]) + "|7\n");
  }
}

TEST_F(SegmentWriterTest, DropCountersAreDeltasPerSegment) {
  Harness h;
  SegmentWriterOptions o = TestWriterOptions();
  o.policy.max_duration_ns = 10 * kSec;
  std::vector<TestPacket> pkts = UdpStream(3, kBaseTs, 8 * kSec, 50);  // windows 0, 0|1, 2
  uint64_t kernel = 0;
  {
    SegmentWriter w(o, *h.router, *h.catalog);
    w.SetDropSampler([&] { return DropCounters{kernel, kernel * 2, 0}; });
    kernel = 5;
    ASSERT_TRUE(AppendPacket(w, pkts[0]).ok());
    ASSERT_TRUE(AppendPacket(w, pkts[1]).ok());  // +8 s: same window
    kernel = 12;
    ASSERT_TRUE(AppendPacket(w, pkts[2]).ok());  // +16 s: rotates, samples 12
    kernel = 20;
    ASSERT_TRUE(w.Close().ok());  // samples 20
  }
  auto recs = h.Segments();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].drops.kernel, 12u);
  EXPECT_EQ(recs[0].drops.ring, 24u);
  EXPECT_EQ(recs[1].drops.kernel, 8u);
  EXPECT_EQ(recs[1].drops.ring, 16u);
  // The drops are also in each file's trailer: isb_ifdrop (option 5) holds
  // the kernel drops, isb_osdrop (7) ring + store.
  for (size_t i = 0; i < 2; ++i) {
    const Bytes b = ReadAll(recs[i].path);
    const auto blocks = WalkBlocks(b);
    ASSERT_EQ(blocks.back().type, 5u);
    EXPECT_EQ(IsbOption(b, blocks.back(), 5), recs[i].drops.kernel);
    EXPECT_EQ(IsbOption(b, blocks.back(), 7), recs[i].drops.ring);
    EXPECT_EQ(IsbOption(b, blocks.back(), 8), recs[i].stats.packets);  // isb_usrdeliv
  }
}

// ------------------------------------------------------------- failover

struct FaultHarness {
  FaultFs fs{DefaultFs()};
  std::unique_ptr<Harness> h;
  explicit FaultHarness(int64_t probe_interval_ns = 3600 * kSec) {
    h = std::make_unique<Harness>(fs, probe_interval_ns);
    fs.primary.prefix = h->primary;
    fs.spool.prefix = h->spool;
  }
};

// Every appended packet is in exactly one catalogued segment, nothing is
// left as a partial, and the counters agree.
void ExpectNoLoss(Harness& h, const std::vector<TestPacket>& pkts, const WriterCounters& c) {
  auto recs = h.Segments();
  EXPECT_EQ(AllStored(recs), TimestampsOf(pkts));
  uint64_t n = 0;
  for (const auto& r : recs) n += r.stats.packets;
  EXPECT_EQ(n, pkts.size());
  EXPECT_EQ(c.packets_stored, pkts.size());
  EXPECT_EQ(c.store_drops, 0u);
  EXPECT_EQ(c.segments_published, recs.size());
  EXPECT_TRUE(FindFiles(h.dir.path(), ".partial").empty());
  auto stranded = h.catalog->ListStranded();
  ASSERT_TRUE(stranded.ok());
  EXPECT_TRUE(stranded->empty());
}

TEST_F(SegmentWriterTest, FailoverOnPrimaryNoSpace) {
  FaultHarness f;
  Harness& h = *f.h;
  f.fs.primary.append_budget = 20000;  // ENOSPC after 20000 bytes (a short write first)
  SegmentWriterOptions o = TestWriterOptions();
  o.policy.max_bytes = 30000;
  auto pkts = UdpStream(400, kBaseTs, 10'000'000, 300, 3);
  WriterCounters c;
  {
    SegmentWriter w(o, *h.router, *h.catalog);
    for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
    ASSERT_TRUE(w.Close().ok());
    c = w.counters();
  }
  EXPECT_EQ(f.fs.primary.append_failures, 1);
  EXPECT_EQ(c.failovers, 1u);
  ExpectNoLoss(h, pkts, c);

  auto recs = h.Segments();
  // Before the failure: whole segments and then the fsynced prefix on the
  // primary; after it: the spool (the primary is not retried within the
  // probe interval).
  std::vector<SegmentRecord> primary, spool;
  for (const auto& r : recs) {
    (r.area == StorageArea::kPrimary ? primary : spool).push_back(r);
    EXPECT_TRUE(Under(r.path, r.area == StorageArea::kPrimary ? h.primary : h.spool)) << r.path;
  }
  ASSERT_GE(primary.size(), 1u);
  ASSERT_GE(spool.size(), 1u);
  EXPECT_LT(primary.back().stats.last_ts_ns, spool.front().stats.first_ts_ns);
  // The prefix: cut at a checkpoint (a multiple of the 4096-byte window
  // rounded to whole blocks), no trailer, within what the disk took.
  const SegmentRecord& prefix = primary.back();
  const Bytes pb = ReadAll(prefix.path);
  const auto blocks = WalkBlocks(pb);
  EXPECT_EQ(blocks.back().type, 6u) << "a salvaged prefix has no trailer";
  EXPECT_EQ(blocks.back().offset + blocks.back().length, pb.size());
  uint64_t primary_bytes = 0;
  for (const auto& r : primary) primary_bytes += r.file_bytes;
  EXPECT_LE(primary_bytes, 20000u);
  // Every packet went to the primary until the failure, then the spool:
  // timestamps split cleanly.
  for (const auto& r : spool) EXPECT_GT(r.stats.first_ts_ns, prefix.stats.last_ts_ns);
}

TEST_F(SegmentWriterTest, FailoverOnPrimarySyncError) {
  FaultHarness f;
  Harness& h = *f.h;
  f.fs.primary.sync_budget = 2;  // two checkpoints succeed, the third fsync fails (EIO)
  auto pkts = UdpStream(200, kBaseTs, 10'000'000, 300, 4);
  WriterCounters c;
  {
    SegmentWriter w(TestWriterOptions(), *h.router, *h.catalog);
    for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
    ASSERT_TRUE(w.Close().ok());
    c = w.counters();
  }
  EXPECT_EQ(c.failovers, 1u);
  ExpectNoLoss(h, pkts, c);
  auto recs = h.Segments();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].area, StorageArea::kPrimary);
  EXPECT_EQ(recs[1].area, StorageArea::kSpool);
  // The prefix holds exactly the two fsynced checkpoint windows.
  const auto blocks = WalkBlocks(ReadAll(recs[0].path));
  EXPECT_EQ(blocks.back().type, 6u);
  EXPECT_GE(recs[0].file_bytes, 2 * 4096u);
  EXPECT_LT(recs[0].file_bytes, 2 * (4096u + 1024 + 400));
}

TEST_F(SegmentWriterTest, FailoverBeforeAnyCheckpointLeavesNothingOnPrimary) {
  FaultHarness f;
  Harness& h = *f.h;
  f.fs.primary.sync_budget = 0;  // the first fsync fails
  auto pkts = UdpStream(100, kBaseTs, 10'000'000, 300, 5);
  WriterCounters c;
  {
    SegmentWriter w(TestWriterOptions(), *h.router, *h.catalog);
    for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
    ASSERT_TRUE(w.Close().ok());
    c = w.counters();
  }
  ExpectNoLoss(h, pkts, c);
  for (const auto& r : h.Segments()) EXPECT_EQ(r.area, StorageArea::kSpool);
  EXPECT_TRUE(FindFiles(h.primary, ".pcapng").empty());
}

TEST_F(SegmentWriterTest, FailureWhilePublishingFailsOver) {
  // The fsync at close is the one that fails: the whole unsynced window,
  // minus the trailer, moves to the spool.
  FaultHarness f;
  Harness& h = *f.h;
  auto pkts = UdpStream(5, kBaseTs, kSec, 100, 6);  // < one checkpoint
  f.fs.primary.sync_budget = 0;
  WriterCounters c;
  {
    SegmentWriter w(TestWriterOptions(), *h.router, *h.catalog);
    for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
    ASSERT_TRUE(w.Close().ok());
    c = w.counters();
  }
  ExpectNoLoss(h, pkts, c);
  auto recs = h.Segments();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].area, StorageArea::kSpool);
  const auto blocks = WalkBlocks(ReadAll(recs[0].path));
  int isbs = 0;
  for (const auto& b : blocks) isbs += b.type == 5;
  EXPECT_EQ(isbs, 1) << "exactly one trailer, the spool segment's own";
}

TEST_F(SegmentWriterTest, BothAreasFullCountsStoreDropsAndCataloguesNothingCorrupt) {
  FaultHarness f;
  Harness& h = *f.h;
  f.fs.primary.append_budget = 9000;
  f.fs.spool.append_budget = 15000;
  SegmentWriterOptions o = TestWriterOptions();
  o.policy.max_bytes = 6000;
  auto pkts = UdpStream(400, kBaseTs, 10'000'000, 300, 8);
  WriterCounters c;
  {
    SegmentWriter w(o, *h.router, *h.catalog);
    for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
    ASSERT_TRUE(w.Close().ok());
    c = w.counters();
  }
  EXPECT_GT(c.store_drops, 0u);
  EXPECT_EQ(c.packets_stored + c.store_drops, pkts.size());
  auto recs = h.Segments();
  ASSERT_FALSE(recs.empty());
  // Every catalogued file is intact (size, sha256sum, tcpdump) and the
  // stored packets are distinct appended packets, as many as counted.
  std::multiset<int64_t> stored = AllStored(recs);
  EXPECT_EQ(stored.size(), c.packets_stored);
  const auto all = TimestampsOf(pkts);
  EXPECT_TRUE(std::includes(all.begin(), all.end(), stored.begin(), stored.end()));
  EXPECT_EQ(std::set<int64_t>(stored.begin(), stored.end()).size(), stored.size());
  uint64_t n = 0;
  for (const auto& r : recs) n += r.stats.packets;
  EXPECT_EQ(n, c.packets_stored);
  EXPECT_TRUE(FindFiles(h.dir.path(), ".partial").empty());
  // Nothing past what each area took.
  uint64_t on_primary = 0, on_spool = 0;
  for (const auto& r : recs)
    (r.area == StorageArea::kPrimary ? on_primary : on_spool) += r.file_bytes;
  EXPECT_LE(on_primary, 9000u);
  EXPECT_LE(on_spool, 15000u);
}

TEST_F(SegmentWriterTest, AfterBothAreasFailWritingResumesAndDropsAreRecorded) {
  FaultHarness f;
  Harness& h = *f.h;
  f.fs.primary.append_budget = 5000;
  f.fs.spool.append_budget = 5000;
  auto pkts = UdpStream(150, kBaseTs, 10'000'000, 300, 11);
  WriterCounters c;
  std::vector<TestPacket> kept;
  {
    SegmentWriter w(TestWriterOptions(), *h.router, *h.catalog);
    for (size_t i = 0; i < 100; ++i) ASSERT_TRUE(AppendPacket(w, pkts[i]).ok());
    const uint64_t dropped = w.counters().store_drops;
    EXPECT_GT(dropped, 0u);
    // Space is freed. Writing resumes within the retry interval (1 s, or
    // the probe interval): everything appended after that is stored.
    f.fs.primary.append_budget = -1;
    f.fs.spool.append_budget = -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    w.Tick(WallClockNs());
    for (size_t i = 100; i < pkts.size(); ++i) ASSERT_TRUE(AppendPacket(w, pkts[i]).ok());
    ASSERT_TRUE(w.Close().ok());
    c = w.counters();
    EXPECT_EQ(c.store_drops, dropped) << "packets dropped after space came back";
  }
  EXPECT_EQ(c.packets_stored + c.store_drops, pkts.size());
  auto recs = h.Segments();
  const auto stored = AllStored(recs);
  EXPECT_EQ(stored.size(), c.packets_stored);
  for (size_t i = 100; i < pkts.size(); ++i) EXPECT_EQ(stored.count(pkts[i].ts_ns), 1u) << i;
  // The drops are not lost from the record: the next published segment
  // reports them (catalogue and its trailer).
  uint64_t recorded = 0;
  for (const auto& r : recs) recorded += r.drops.store;
  EXPECT_EQ(recorded, c.store_drops);
}

TEST_F(SegmentWriterTest, VanishedPrimaryStrandsThePrefixUntilItReturns) {
  // The primary mount disappears mid-write: nothing on it answers, so the
  // fsynced prefix cannot be published and is recorded as stranded.
  FaultHarness f;
  Harness& h = *f.h;
  auto pkts = UdpStream(200, kBaseTs, 10'000'000, 300, 9);
  WriterCounters c;
  {
    SegmentWriter w(TestWriterOptions(), *h.router, *h.catalog);
    for (size_t i = 0; i < pkts.size(); ++i) {
      if (i == 120) f.fs.primary.gone = true;
      ASSERT_TRUE(AppendPacket(w, pkts[i]).ok());
    }
    ASSERT_TRUE(w.Close().ok());
    c = w.counters();
  }
  EXPECT_EQ(c.failovers, 1u);
  EXPECT_EQ(c.store_drops, 0u);
  auto stranded = h.catalog->ListStranded();
  ASSERT_TRUE(stranded.ok());
  ASSERT_EQ(stranded->size(), 1u);
  const StrandedPartial sp = (*stranded)[0];
  EXPECT_EQ(sp.link, "default");
  EXPECT_TRUE(EndsWith(sp.path, ".pcapng.partial"));
  EXPECT_TRUE(Under(sp.path, h.primary));
  EXPECT_GT(sp.durable_bytes, 0u);
  EXPECT_EQ(sp.durable_bytes % 4, 0u);
  // The mount comes back: the prefix is finished up to its durable bytes.
  f.fs.primary.gone = false;
  auto done = FinishStranded(f.fs, *h.catalog);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(*done, 1);
  auto recs = h.Segments();
  EXPECT_EQ(AllStored(recs), TimestampsOf(pkts));
  bool found = false;
  for (const auto& r : recs)
    if (r.path + ".partial" == sp.path) {
      found = true;
      EXPECT_EQ(r.area, StorageArea::kPrimary);
      EXPECT_LE(r.file_bytes, sp.durable_bytes);
    }
  EXPECT_TRUE(found);
  EXPECT_TRUE(h.catalog->ListStranded()->empty());
  EXPECT_TRUE(FindFiles(h.dir.path(), ".partial").empty());
}

// ------------------------------------------------------ flusher bound

// The writer hands checkpoint buffers to its flusher thread and keeps at
// most flush_buffers of them not durable: with the flusher stuck in an
// fsync, the writer stops taking packets once that many buffers are full.
class FlushBoundTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(FlushBoundTest, FlushBuffersBoundTheBytesNotYetDurable) {
  struct EndObserver : SegmentObserver {
    std::atomic<uint64_t> end{0};
    void OnPacketStored(uint64_t, const std::string&, const PacketRef& p, const DecodedPacket&,
                        uint64_t offset) override {
      end = offset + kEpbOverhead + ((p.caplen + 3u) & ~3u);
    }
  };
  FaultHarness f;
  Harness& h = *f.h;
  SegmentWriterOptions o = TestWriterOptions();  // 4096-byte checkpoints, 1024-byte writes
  o.flush_buffers = GetParam();
  auto pkts = UdpStream(200, kBaseTs, 10'000'000, 300, 12);  // ~65 KB: 16 checkpoints
  EndObserver obs;
  f.fs.primary.hold_syncs = true;
  WriterCounters c;
  {
    SegmentWriter w(o, *h.router, *h.catalog);
    w.AddObserver(&obs);
    std::thread appender([&] {
      for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
    });
    while (f.fs.primary.syncs_held == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the writer runs ahead ...
    const uint64_t accepted = obs.end;
    // ... by at most flush_buffers buffers: each ends with the block that
    // took it to 4096 bytes or more (a packet here is < 400 bytes).
    EXPECT_GE(accepted, 4096u * GetParam());
    EXPECT_LT(accepted, (4096u + 400) * GetParam());
    EXPECT_EQ(f.fs.primary.syncs, 0);
    f.fs.primary.hold_syncs = false;
    appender.join();
    ASSERT_TRUE(w.Close().ok());
    c = w.counters();
  }
  auto recs = h.Segments();
  ASSERT_EQ(recs.size(), 1u);
  auto sum = Sha256File(recs[0].path);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(recs[0].sha256, *sum) << "the hash the flusher computed is the file's";
  EXPECT_EQ(c.failovers, 0u);
  ExpectNoLoss(h, pkts, c);
}

INSTANTIATE_TEST_SUITE_P(Buffers, FlushBoundTest, ::testing::Values(1u, 2u, 3u));

// ------------------------------------------------------ probe failover

TEST_F(SegmentWriterTest, ProbeFailureFailsOverAndPrimaryComesBack) {
  const int64_t probe = 20'000'000;  // 20 ms
  Harness h(DefaultFs(), probe);
  SegmentWriterOptions o = TestWriterOptions();
  o.policy.max_bytes = 8000;
  o.checkpoint_bytes = 2048;
  o.write_chunk_bytes = 512;
  auto pkts = UdpStream(240, kBaseTs, 10'000'000, 200, 10);
  const std::string marker = JoinPath(h.primary, kPrimaryMarker);
  auto wait_probe = [&] { std::this_thread::sleep_for(std::chrono::milliseconds(30)); };
  WriterCounters c;
  std::vector<int64_t> ids_before_restore;
  {
    SegmentWriter w(o, *h.router, *h.catalog);
    for (size_t i = 0; i < pkts.size(); ++i) {
      if (i == 70) {
        ASSERT_EQ(::unlink(marker.c_str()), 0);
        wait_probe();
        w.Tick(WallClockNs());
        EXPECT_EQ(w.counters().failovers, 1u);
      }
      if (i == 150) {
        CreateMarker(h.primary);
        wait_probe();
        w.Tick(WallClockNs());  // the open segment is in the spool: no change
        ids_before_restore = w.published_ids();
      }
      ASSERT_TRUE(AppendPacket(w, pkts[i]).ok());
    }
    ASSERT_TRUE(w.Close().ok());
    c = w.counters();
  }
  EXPECT_EQ(c.failovers, 1u);
  ExpectNoLoss(h, pkts, c);
  auto recs = h.Segments();
  // In time order: primary ..., primary prefix, spool ..., primary ...
  std::string areas;
  for (const auto& r : recs) areas += r.area == StorageArea::kPrimary ? 'P' : 'S';
  SCOPED_TRACE(areas);
  const size_t first_s = areas.find('S'), last_s = areas.rfind('S');
  ASSERT_NE(first_s, std::string::npos);
  EXPECT_GE(first_s, 1u);
  EXPECT_EQ(areas.substr(first_s, last_s - first_s + 1), std::string(last_s - first_s + 1, 'S'));
  EXPECT_LT(last_s, areas.size() - 1) << "no segment went back to the primary";
  // The failover split is at packet 70: the last primary segment before the
  // spool ends at packet 69 at the latest (its unsynced tail was re-appended
  // to the spool) and the spool starts no later than packet 70.
  EXPECT_LE(recs[first_s - 1].stats.last_ts_ns, pkts[69].ts_ns);
  EXPECT_LE(recs[first_s].stats.first_ts_ns, pkts[70].ts_ns);
  // The first segment back on the primary starts after the marker returned.
  EXPECT_GT(recs[last_s + 1].stats.first_ts_ns, pkts[149].ts_ns);
}

TEST_F(SegmentWriterTest, NoMarkerMeansSpoolFromTheStart) {
  Harness h(DefaultFs(), 3600 * kSec, /*marker=*/false);
  auto pkts = UdpStream(20, kBaseTs, kSec, 100);
  auto recs = WriteSegments(*h.catalog, *h.router, pkts);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].area, StorageArea::kSpool);
  EXPECT_EQ(recs[0].path, h.spool + "/default/" + kBaseDay + "/" + recs[0].name + ".pcapng");
  EXPECT_EQ(AllStored(recs), TimestampsOf(pkts));
}

TEST_F(SegmentWriterTest, LiveIdleRotationByWallClock) {
  // A live writer publishes an idle segment once the wall clock is a
  // second past the end of its window, without waiting for a packet.
  Harness h;
  SegmentWriterOptions o = TestWriterOptions();
  o.live = true;
  o.policy.max_duration_ns = 10 * kSec;
  auto pkts = UdpStream(3, kBaseTs + 2 * kSec, kSec, 60);  // window [kBaseTs, kBaseTs + 10 s)
  SegmentWriter w(o, *h.router, *h.catalog);
  for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
  w.Tick(kBaseTs + 10 * kSec + 500'000'000);  // 0.5 s past the boundary: keep it open
  EXPECT_TRUE(h.Segments().empty());
  w.Tick(kBaseTs + 11 * kSec);
  auto recs = h.Segments();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].stats.packets, 3u);
  EXPECT_EQ(AllStored(recs), TimestampsOf(pkts));
  ASSERT_TRUE(w.Close().ok());
  EXPECT_EQ(h.Segments().size(), 1u);
}

// A live writer lets readers of its partial file (query --include-open)
// see every stored packet within visible_within_ns of wall time, even when
// far less than a write chunk has been appended: before the tick the file
// holds none of the packets, after it all of them (an independent block
// walk of the file). A non-live writer (import) leaves them in memory.
TEST_F(SegmentWriterTest, LiveWriterMakesEveryPacketVisibleWithinTheInterval) {
  for (const bool live : {true, false}) {
    SCOPED_TRACE(live ? "live" : "import");
    Harness h;
    SegmentWriterOptions o = TestWriterOptions();
    o.live = live;
    o.visible_within_ns = kSec;
    auto pkts = UdpStream(5, kBaseTs, 1000, 120);
    SegmentWriter w(o, *h.router, *h.catalog);
    for (const auto& p : pkts) ASSERT_TRUE(AppendPacket(w, p).ok());
    auto partials = FindFiles(h.dir.path(), ".partial");
    ASSERT_EQ(partials.size(), 1u);
    auto stored = [&] { return Epbs(WalkBlocks(ReadAll(partials[0]))).size(); };
    EXPECT_EQ(stored(), 0u) << "a few packets stay in the writer's buffer";
    w.Tick(WallClockNs());
    size_t n = stored();
    for (int i = 0; i < 500 && live && n < pkts.size(); ++i) {  // the flusher acts on its own
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      n = stored();
    }
    EXPECT_EQ(n, live ? pkts.size() : 0u);
    ASSERT_TRUE(w.Close().ok());
    EXPECT_EQ(AllStored(h.Segments()), TimestampsOf(pkts));
  }
}

TEST_F(SegmentWriterTest, CloseWithoutPacketsPublishesNothing) {
  Harness h;
  {
    SegmentWriter w(TestWriterOptions(), *h.router, *h.catalog);
    EXPECT_TRUE(w.Close().ok());
    EXPECT_EQ(w.counters().segments_published, 0u);
  }
  EXPECT_TRUE(h.Segments().empty());
  EXPECT_TRUE(FindFiles(h.dir.path(), ".pcapng").empty());
}

TEST(MakeSegmentName, FormatAndUniqueness) {
  const std::string a = MakeSegmentName("wan", kBaseTs + 123456789, 1);
  EXPECT_EQ(a.rfind("wan-20261122T070000.123456789Z-", 0), 0u) << a;
  EXPECT_EQ(a.size(), std::string("wan-20261122T070000.123456789Z-").size() + 6);
  std::set<std::string> names;
  for (uint32_t i = 0; i < 1000; ++i) names.insert(MakeSegmentName("wan", kBaseTs, i));
  EXPECT_GT(names.size(), 995u);  // 24 random bits: collisions are rare
}

}  // namespace
}  // namespace trove

namespace trove {
namespace {

using namespace segtest;

// Packets naming their interfaces (a multi-interface pcapng import): each
// segment has one IDB per interface seen so far (name, snaplen, link type),
// every EPB names its packet's interface, a new interface rotates once; read
// back with the parser and, where installed, tshark's interface names.
TEST(SegmentWriterInterfaces, EachPacketKeepsItsInterface) {
  Harness h;
  PacketInterface eth0, eth1;
  eth0.uid = 1001;
  eth0.linktype = 1;
  eth0.name = "eth0";
  eth1.uid = 1002;
  eth1.linktype = 1;
  eth1.snaplen = 128;
  eth1.name = "eth1";
  eth1.description = "second NIC";
  std::vector<TestPacket> pkts;
  std::vector<const PacketInterface*> ifs;
  for (int i = 0; i < 20; ++i) {
    TestPacket p;
    p.bytes = UdpFrame(7, 8, 20 + i);
    p.ts_ns = kBaseTs + i * 1000;
    pkts.push_back(p);
    ifs.push_back(i < 4 || i % 2 == 0 ? &eth0 : &eth1);  // eth1 from packet 5 on
  }
  {
    SegmentWriter w(TestWriterOptions(), *h.router, *h.catalog);
    for (size_t i = 0; i < pkts.size(); ++i) {
      PacketRef r = pkts[i].Ref();
      r.iface = ifs[i];
      DecodedPacket d;
      Decode(r, &d);
      ASSERT_TRUE(w.Append(r, d).ok());
    }
    ASSERT_TRUE(w.Close().ok());
  }
  auto recs = h.Segments();
  ASSERT_EQ(recs.size(), 2u);  // [eth0] until eth1's first packet, then [eth0, eth1]
  std::sort(recs.begin(), recs.end(),
            [](const SegmentRecord& a, const SegmentRecord& b) { return a.stats.first_ts_ns < b.stats.first_ts_ns; });
  std::vector<std::string> got_names;
  for (size_t s = 0; s < recs.size(); ++s) {
    const Bytes file = ReadAll(recs[s].path);
    std::vector<InterfaceInfo> idbs;
    PcapngVisitor v;
    v.on_interface = [&](const InterfaceInfo& i, uint64_t) {
      idbs.push_back(i);
      return true;
    };
    v.on_packet = [&](const PcapngPacket& p) {
      EXPECT_LT(p.interface_id, idbs.size());
      if (p.interface_id < idbs.size()) got_names.push_back(idbs[p.interface_id].name);
      return true;
    };
    const PcapngParseResult r = ParsePcapng(file.data(), file.size(), v);
    ASSERT_TRUE(r.error.ok()) << r.error.ToString();
    ASSERT_EQ(idbs.size(), s + 1);
    EXPECT_EQ(idbs[0].name, "eth0");
    if (s == 1) {
      EXPECT_EQ(idbs[1].name, "eth1");
      EXPECT_EQ(idbs[1].snaplen, 128u);
      EXPECT_EQ(idbs[1].description, "second NIC");
      EXPECT_EQ(idbs[1].linktype, 1);
    }
    if (HaveTool("tshark")) {
      const std::string t = Shell("tshark -r " + Quote(recs[s].path) +
                                  " -T fields -e frame.interface_name 2>/dev/null | tr '\\n' ,");
      std::string want;
      for (size_t i = 0; i < pkts.size(); ++i) {
        const bool in_first = i < 5;
        if (in_first == (s == 0)) want += ifs[i]->name + ",";
      }
      EXPECT_EQ(t, want);
    }
  }
  std::vector<std::string> want_names;
  for (const auto* i : ifs) want_names.push_back(i->name);
  EXPECT_EQ(got_names, want_names);
}

}  // namespace
}  // namespace trove
