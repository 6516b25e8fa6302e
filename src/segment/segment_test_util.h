#pragma once
// Test-only helpers for the segment / store tests (segment_writer_test,
// segment_recovery_test, store/fsck_test, store/mover_test): temporary
// directories, hand-built Ethernet/IPv4/UDP (and friends) frames, a
// SegmentWriter harness on a real SQLite catalogue, an independent pcapng
// block walker (a few lines, not the parser under test) and the external
// oracles (tcpdump, capinfos, sha256sum, sqlite3) through popen. Header
// only; not part of trove_core.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "packet/decoder.h"
#include "packet/packet_test_util.h"
#include "segment/segment_writer.h"
#include "segment/storage_router.h"
#include "util/fs.h"
#include "util/test_files.h"

namespace trove::segtest {

using Bytes = std::vector<uint8_t>;
using testing_util::Cat;
using testing_util::Eth;
using testing_util::Icmp;
using testing_util::Ipv4;
using testing_util::Ipv6;
using testing_util::Payload;
using testing_util::ReadAll;
using testing_util::TempDir;
using testing_util::WriteAll;
using testing_util::Tcp;
using testing_util::Udp;

constexpr int64_t kSec = 1'000'000'000;
// 2026-11-22T07:00:00Z (date -u -d 2026-11-22T07:00:00Z +%s).
constexpr int64_t kBaseTs = 1795330800 * kSec;
// The primary directory of segments starting on that day.
constexpr const char* kBaseDay = "2026/11/22";

// ------------------------------------------------------------ files

inline bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

inline bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Regular files under dir (recursive) whose name ends with suffix, sorted.
inline std::vector<std::string> FindFiles(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return out;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file() && EndsWith(it->path().filename().string(), suffix))
      out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --------------------------------------------------------- oracles

inline std::string Shell(const std::string& cmd, int* exit_code = nullptr) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) {
    if (exit_code) *exit_code = -1;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int st = ::pclose(f);
  if (exit_code) *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

inline bool HaveTool(const char* tool) {
  return Shell(std::string("command -v ") + tool + " >/dev/null 2>&1 && echo yes") == "yes\n";
}

// What tcpdump reads from a file: the link type it reports and the
// timestamp (ns) of every packet, in file order.
struct TcpdumpRead {
  bool ok = false;       // exit status 0
  std::string linktype;  // e.g. "EN10MB", "LINUX_SLL"
  std::vector<int64_t> ts;
  std::string error;
};

inline int64_t ParseSecNano(const std::string& tok, bool* ok) {
  *ok = false;
  size_t dot = tok.find('.');
  if (dot == std::string::npos || tok.size() - dot - 1 != 9) return 0;
  try {
    const int64_t s = std::stoll(tok.substr(0, dot));
    const int64_t ns = std::stoll(tok.substr(dot + 1));
    *ok = true;
    return s * kSec + ns;
  } catch (...) {
    return 0;
  }
}

inline TcpdumpRead ReadWithTcpdump(const std::string& path) {
  TcpdumpRead r;
  int rc = 0;
  const std::string out = Shell("tcpdump -nn -tt --nano -r " + Quote(path) + " 2>&1", &rc);
  r.ok = rc == 0;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("reading from file", 0) == 0) {
      const size_t lt = line.find("link-type ");
      if (lt != std::string::npos) {
        r.linktype = line.substr(lt + 10);
        r.linktype = r.linktype.substr(0, r.linktype.find(' '));
      }
      continue;
    }
    bool ok = false;
    const int64_t ts = ParseSecNano(line.substr(0, line.find(' ')), &ok);
    if (ok) {
      r.ts.push_back(ts);
    } else {
      r.error += line + "\n";
    }
  }
  return r;
}

inline std::string Sha256Sum(const std::string& path) {
  const std::string out = Shell("sha256sum " + Quote(path));
  return out.substr(0, out.find(' '));
}

// capinfos -c -M -T: "file\tpackets"; -1 if it could not read the file.
inline int64_t CapinfosCount(const std::string& path) {
  int rc = 0;
  const std::string out = Shell("capinfos -T -r -c -M " + Quote(path) + " 2>/dev/null", &rc);
  const size_t tab = out.rfind('\t');
  if (rc != 0 || tab == std::string::npos) return -1;
  return std::stoll(out.substr(tab + 1));
}

// ------------------------------------------- independent block walk

struct RawBlock {
  uint32_t type = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
  // EPB only
  int64_t ts_ns = 0;
  uint32_t caplen = 0;
  uint32_t wirelen = 0;
};

// Complete blocks of a host-order pcapng span (stops at the first block
// that does not fit). Reads only type, length and the EPB fixed fields.
inline std::vector<RawBlock> WalkBlocks(const uint8_t* d, size_t n) {
  std::vector<RawBlock> out;
  size_t off = 0;
  while (n - off >= 12) {
    RawBlock b;
    std::memcpy(&b.type, d + off, 4);
    std::memcpy(&b.length, d + off + 4, 4);
    if (b.length < 12 || b.length % 4 != 0 || b.length > n - off) break;
    b.offset = off;
    if (b.type == 6 && b.length >= 32) {
      uint32_t hi, lo;
      std::memcpy(&hi, d + off + 12, 4);
      std::memcpy(&lo, d + off + 16, 4);
      std::memcpy(&b.caplen, d + off + 20, 4);
      std::memcpy(&b.wirelen, d + off + 24, 4);
      b.ts_ns = static_cast<int64_t>((static_cast<uint64_t>(hi) << 32) | lo);
    }
    out.push_back(b);
    off += b.length;
  }
  return out;
}
inline std::vector<RawBlock> WalkBlocks(const Bytes& b) { return WalkBlocks(b.data(), b.size()); }

inline std::vector<RawBlock> Epbs(const std::vector<RawBlock>& blocks) {
  std::vector<RawBlock> out;
  for (const auto& b : blocks)
    if (b.type == 6) out.push_back(b);
  return out;
}

// On-disk size of one EPB without options: 32 + caplen rounded up to 4.
constexpr uint64_t EpbSize(uint32_t caplen) { return 32 + (uint64_t{caplen} + 3) / 4 * 4; }

// ----------------------------------------------------------- frames

// Ethernet / IPv4 / UDP with `payload` bytes, 10.0.0.src -> 10.0.0.dst.
inline Bytes UdpFrame(uint16_t sport, uint16_t dport, size_t payload, uint8_t src = 1,
                      uint8_t dst = 2, uint8_t fill = 0xab) {
  const uint16_t udp_len = static_cast<uint16_t>(8 + payload);
  return Cat({Eth(0x0800),
              Ipv4(17, static_cast<uint16_t>(20 + udp_len), 0x1234, 0x4000, 64, 0x0a000000u | src,
                   0x0a000000u | dst),
              Udp(sport, dport, udp_len), Payload(payload, fill)});
}

inline Bytes TcpFrame(uint16_t sport, uint16_t dport, uint8_t flags, size_t payload,
                      uint8_t src = 1, uint8_t dst = 2) {
  return Cat({Eth(0x0800),
              Ipv4(6, static_cast<uint16_t>(40 + payload), 0x1234, 0x4000, 64, 0x0a000000u | src,
                   0x0a000000u | dst),
              Tcp(sport, dport, flags), Payload(payload, 0x5c)});
}

inline Bytes IcmpEchoFrame(bool reply, uint16_t id, uint16_t seq, uint8_t src = 1,
                           uint8_t dst = 2) {
  return Cat({Eth(0x0800),
              Ipv4(1, 20 + 8 + 32, 0x1234, 0x4000, 64, 0x0a000000u | src, 0x0a000000u | dst),
              Icmp(reply ? 0 : 8, 0, id, seq), Payload(32, 0x11)});
}

inline Bytes Udp6Frame(uint16_t sport, uint16_t dport, size_t payload, uint8_t src_last = 1,
                       uint8_t dst_last = 2) {
  const uint16_t udp_len = static_cast<uint16_t>(8 + payload);
  return Cat({Eth(0x86DD), Ipv6(17, udp_len, 64, src_last, dst_last), Udp(sport, dport, udp_len),
              Payload(payload, 0x66)});
}

inline Bytes ArpFrame() {
  Bytes arp = {0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
               10,   0,    0,    1,    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10,   0,    0,    2};
  return Cat({Eth(0x0806), arp});
}

// Linux cooked (SLL, 16 bytes) / IPv4 / UDP.
inline Bytes SllUdpFrame(uint16_t sport, uint16_t dport, size_t payload) {
  const uint16_t udp_len = static_cast<uint16_t>(8 + payload);
  Bytes sll = {0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x66, 0x77,
               0x88, 0x99, 0xaa, 0xbb, 0x00, 0x00, 0x08, 0x00};
  return Cat({sll, Ipv4(17, static_cast<uint16_t>(20 + udp_len)), Udp(sport, dport, udp_len),
              Payload(payload, 0x77)});
}

// One packet to append: owns its bytes.
struct TestPacket {
  Bytes bytes;
  int64_t ts_ns = 0;
  uint16_t linktype = 1;
  uint32_t wirelen = 0;  // 0: same as caplen

  PacketRef Ref() const {
    PacketRef p;
    p.ts_ns = ts_ns;
    p.caplen = static_cast<uint32_t>(bytes.size());
    p.wirelen = wirelen ? wirelen : static_cast<uint32_t>(bytes.size());
    p.linktype = linktype;
    p.data = bytes.data();
    return p;
  }
  uint32_t caplen() const { return static_cast<uint32_t>(bytes.size()); }
};

// UDP packets of varied sizes (payload 0..max_payload), one every step_ns.
inline std::vector<TestPacket> UdpStream(size_t n, int64_t first_ts, int64_t step_ns,
                                         size_t max_payload = 600, uint32_t seed = 1) {
  std::vector<TestPacket> out;
  uint32_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    TestPacket p;
    p.bytes = UdpFrame(static_cast<uint16_t>(1000 + i % 7), 53, (x >> 8) % (max_payload + 1), 1, 2,
                       static_cast<uint8_t>(i));
    p.ts_ns = first_ts + static_cast<int64_t>(i) * step_ns;
    out.push_back(std::move(p));
  }
  return out;
}

inline Status AppendPacket(SegmentWriter& w, const TestPacket& p) {
  const PacketRef ref = p.Ref();
  DecodedPacket d;
  Decode(ref, &d);
  return w.Append(ref, d);
}

// --------------------------------------------------- writer harness

inline void CreateMarker(const std::string& primary) {
  std::filesystem::create_directories(primary);
  WriteAll(JoinPath(primary, kPrimaryMarker), Bytes{'t', '\n'});
}

inline SegmentWriterOptions TestWriterOptions(const std::string& link = "default") {
  SegmentWriterOptions o;
  o.link = link;
  o.location = "lab rack 7";
  o.interface = "eth9";
  o.source = "capture";
  o.capture_filter = "udp or tcp";
  o.capture_host = "testhost";
  o.snaplen = 0;
  o.policy.max_bytes = 0;
  o.policy.max_duration_ns = 0;
  o.checkpoint_bytes = 4096;
  o.write_chunk_bytes = 1024;
  return o;
}

// A real SQLite catalogue and a router over DIR/primary and DIR/spool.
struct Harness {
  TempDir dir;
  std::string primary, spool;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<StorageRouter> router;

  explicit Harness(Fs& fs = DefaultFs(), int64_t probe_interval_ns = 3600 * kSec,
                   bool marker = true) {
    primary = dir / "primary";
    spool = dir / "spool";
    std::filesystem::create_directories(primary);
    std::filesystem::create_directories(spool);
    if (marker) CreateMarker(primary);
    auto c = OpenCatalog("sqlite:catalog.db", dir.path(), true);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (c.ok()) catalog = std::move(c).value();
    router = std::make_unique<StorageRouter>(fs, primary, spool, probe_interval_ns);
  }

  std::vector<SegmentRecord> Segments() {
    auto l = catalog->ListSegments(SegmentQuery{});
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? *l : std::vector<SegmentRecord>{};
  }
};

// Writes `pkts` with a fresh writer and closes it; returns the records.
inline std::vector<SegmentRecord> WriteSegments(Catalog& cat, StorageRouter& router,
                                                const std::vector<TestPacket>& pkts,
                                                SegmentWriterOptions opts = TestWriterOptions()) {
  SegmentWriter w(std::move(opts), router, cat);
  for (const auto& p : pkts) EXPECT_TRUE(AppendPacket(w, p).ok());
  EXPECT_TRUE(w.Close().ok());
  auto l = cat.ListSegments(SegmentQuery{});
  EXPECT_TRUE(l.ok());
  return l.ok() ? *l : std::vector<SegmentRecord>{};
}

// The fields a catalogue rebuild / adoption must reproduce from the file.
inline void ExpectSameContent(const SegmentRecord& a, const SegmentRecord& b) {
  SCOPED_TRACE(a.name);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.link, b.link);
  EXPECT_EQ(a.location, b.location);
  EXPECT_EQ(a.level, b.level);
  EXPECT_EQ(a.klass, b.klass);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.area, b.area);
  EXPECT_EQ(a.snaplen, b.snaplen);
  EXPECT_EQ(a.linktype, b.linktype);
  EXPECT_EQ(a.file_bytes, b.file_bytes);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.capture_host, b.capture_host);
  EXPECT_EQ(a.capture_filter, b.capture_filter);
  EXPECT_EQ(a.trove_version, b.trove_version);
  EXPECT_EQ(a.stats.first_ts_ns, b.stats.first_ts_ns);
  EXPECT_EQ(a.stats.last_ts_ns, b.stats.last_ts_ns);
  EXPECT_EQ(a.stats.packets, b.stats.packets);
  EXPECT_EQ(a.stats.cap_bytes, b.stats.cap_bytes);
  EXPECT_EQ(a.stats.wire_bytes, b.stats.wire_bytes);
  EXPECT_EQ(a.stats.flows, b.stats.flows);
  EXPECT_EQ(a.stats.mix.ipv4.packets, b.stats.mix.ipv4.packets);
  EXPECT_EQ(a.stats.mix.udp.bytes, b.stats.mix.udp.bytes);
  EXPECT_EQ(a.stats.mix.tcp.packets, b.stats.mix.tcp.packets);
  EXPECT_EQ(a.stats.mix.other.packets, b.stats.mix.other.packets);
  EXPECT_EQ(a.drops.kernel, b.drops.kernel);
  EXPECT_EQ(a.drops.ring, b.drops.ring);
  EXPECT_EQ(a.drops.store, b.drops.store);
}

}  // namespace trove::segtest
