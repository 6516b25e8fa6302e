#include "segment/pcapng_format.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace trove {
namespace {

using Bytes = std::vector<uint8_t>;

// ------------------------------------------------------------ helpers

// Everything a parse reported, copied out of the span.
struct Parsed {
  struct Pkt {
    uint32_t ifid = 0;
    int64_t ts_ns = 0;
    uint32_t caplen = 0;
    uint32_t wirelen = 0;
    Bytes data;
    uint64_t offset = 0;
  };
  std::vector<SectionInfo> sections;
  std::vector<uint64_t> section_offsets;
  std::vector<InterfaceInfo> interfaces;
  std::vector<uint64_t> interface_offsets;
  std::vector<Pkt> packets;
  std::vector<InterfaceStats> stats;
  std::vector<uint64_t> stats_offsets;
  PcapngParseResult result;
};

Parsed Parse(const uint8_t* data, size_t len) {
  Parsed p;
  PcapngVisitor v;
  v.on_section = [&](const SectionInfo& s, uint64_t off) {
    p.sections.push_back(s);
    p.section_offsets.push_back(off);
    return true;
  };
  v.on_interface = [&](const InterfaceInfo& i, uint64_t off) {
    p.interfaces.push_back(i);
    p.interface_offsets.push_back(off);
    return true;
  };
  v.on_packet = [&](const PcapngPacket& pk) {
    EXPECT_GE(pk.data, data);
    EXPECT_LE(pk.data + pk.caplen, data + len);
    p.packets.push_back({pk.interface_id, pk.ts_ns, pk.caplen, pk.wirelen,
                         Bytes(pk.data, pk.data + pk.caplen), pk.block_offset});
    return true;
  };
  v.on_stats = [&](const InterfaceStats& s, uint64_t off) {
    p.stats.push_back(s);
    p.stats_offsets.push_back(off);
    return true;
  };
  p.result = ParsePcapng(data, len, v);
  return p;
}
Parsed Parse(const Bytes& b) { return Parse(b.data(), b.size()); }
Parsed Parse(const ByteBuffer& b) { return Parse(b.data(), b.size()); }

Bytes ToBytes(const ByteBuffer& b) { return Bytes(b.data(), b.data() + b.size()); }

Bytes Pattern(size_t n, uint8_t seed = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// Hand-built blocks in an explicit byte order (for big-endian sections and
// malformed input). Body sizes must be multiples of 4.
struct Enc {
  bool big = false;
  void Put(Bytes* v, uint64_t x, int n) const {
    for (int i = 0; i < n; ++i) {
      const int shift = big ? (n - 1 - i) * 8 : i * 8;
      v->push_back(static_cast<uint8_t>(x >> shift));
    }
  }
  Bytes U16(uint16_t x) const {
    Bytes v;
    Put(&v, x, 2);
    return v;
  }
  Bytes U32(uint32_t x) const {
    Bytes v;
    Put(&v, x, 4);
    return v;
  }
  Bytes U64(uint64_t x) const {
    Bytes v;
    Put(&v, x, 8);
    return v;
  }
  Bytes Ticks(uint64_t t) const {
    Bytes v;
    Put(&v, t >> 32, 4);
    Put(&v, t & 0xFFFFFFFF, 4);
    return v;
  }
  Bytes Opt(uint16_t code, const Bytes& val) const {
    Bytes v;
    Put(&v, code, 2);
    Put(&v, val.size(), 2);
    v.insert(v.end(), val.begin(), val.end());
    while (v.size() % 4) v.push_back(0);
    return v;
  }
  Bytes Opt(uint16_t code, const std::string& s) const {
    return Opt(code, Bytes(s.begin(), s.end()));
  }
  Bytes EndOpt() const { return Bytes(4, 0); }
  Bytes Block(uint32_t type, const Bytes& body) const {
    EXPECT_EQ(body.size() % 4, 0u);
    const uint32_t total = static_cast<uint32_t>(body.size() + 12);
    Bytes v;
    Put(&v, type, 4);
    Put(&v, total, 4);
    v.insert(v.end(), body.begin(), body.end());
    Put(&v, total, 4);
    return v;
  }
  Bytes Shb(const Bytes& opts = {}, uint16_t major = 1) const {
    Bytes body;
    Put(&body, kByteOrderMagic, 4);
    Put(&body, major, 2);
    Put(&body, 0, 2);
    Put(&body, ~0ULL, 8);
    body.insert(body.end(), opts.begin(), opts.end());
    return Block(kBlockSHB, body);
  }
  Bytes Idb(uint16_t linktype, uint32_t snaplen, const Bytes& opts = {}) const {
    Bytes body;
    Put(&body, linktype, 2);
    Put(&body, 0, 2);
    Put(&body, snaplen, 4);
    body.insert(body.end(), opts.begin(), opts.end());
    return Block(kBlockIDB, body);
  }
  Bytes Epb(uint32_t ifid, uint64_t ticks, const Bytes& data, uint32_t wirelen,
            const Bytes& opts = {}) const {
    Bytes body;
    Put(&body, ifid, 4);
    Put(&body, ticks >> 32, 4);
    Put(&body, ticks & 0xFFFFFFFF, 4);
    Put(&body, data.size(), 4);
    Put(&body, wirelen, 4);
    body.insert(body.end(), data.begin(), data.end());
    while (body.size() % 4) body.push_back(0);
    body.insert(body.end(), opts.begin(), opts.end());
    return Block(kBlockEPB, body);
  }
  Bytes Spb(uint32_t wirelen, const Bytes& data) const {
    Bytes body;
    Put(&body, wirelen, 4);
    body.insert(body.end(), data.begin(), data.end());
    while (body.size() % 4) body.push_back(0);
    return Block(kBlockSPB, body);
  }
  Bytes Isb(uint32_t ifid, uint64_t ticks, const Bytes& opts = {}) const {
    Bytes body;
    Put(&body, ifid, 4);
    Put(&body, ticks >> 32, 4);
    Put(&body, ticks & 0xFFFFFFFF, 4);
    body.insert(body.end(), opts.begin(), opts.end());
    return Block(kBlockISB, body);
  }
};

constexpr Enc kLE{false};
constexpr Enc kBE{true};

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void PutLE32(Bytes* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// ------------------------------------------------------------ oracle helpers

struct CmdResult {
  int exit_code = -1;
  std::string out;
};

CmdResult RunCommand(const std::string& cmd) {
  CmdResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

bool HaveTool(const std::string& tool) {
  return RunCommand("command -v " + tool + " >/dev/null 2>&1").exit_code == 0;
}

#define REQUIRE_TOOL(t) \
  if (!HaveTool(t)) GTEST_SKIP() << t " is not installed"

std::string Quote(const std::string& s) { return "'" + s + "'"; }

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t t = line.find('\t', start);
    out.push_back(line.substr(start, t == std::string::npos ? std::string::npos : t - start));
    if (t == std::string::npos) break;
    start = t + 1;
  }
  return out;
}

// "1382197969.322823000" -> ns. An empty field (SPB: no timestamp) -> 0.
int64_t EpochToNs(const std::string& s) {
  if (s.empty()) return 0;
  const size_t dot = s.find('.');
  const int64_t sec = std::stoll(s.substr(0, dot));
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  EXPECT_LE(frac.size(), 9u) << s;
  frac.resize(9, '0');
  return sec * 1000000000LL + std::stoll(frac);
}

struct OracleFrame {
  int64_t ts_ns = 0;
  std::string ts_text;
  uint32_t len = 0;
  uint32_t caplen = 0;
};

std::vector<OracleFrame> TsharkFrames(const std::string& path) {
  const CmdResult r = RunCommand("tshark -r " + Quote(path) +
                                 " -T fields -e frame.time_epoch -e frame.len -e frame.cap_len"
                                 " 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0) << "tshark failed on " << path;
  std::vector<OracleFrame> out;
  for (const std::string& line : Lines(r.out)) {
    const auto f = SplitTabs(line);
    if (f.size() != 3) {
      ADD_FAILURE() << "unexpected tshark line: " << line;
      continue;
    }
    out.push_back({EpochToNs(f[0]), f[0], static_cast<uint32_t>(std::stoul(f[1])),
                   static_cast<uint32_t>(std::stoul(f[2]))});
  }
  return out;
}

std::string NsToEpochText(int64_t ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(ns / 1000000000),
                static_cast<long long>(ns % 1000000000));
  return buf;
}

std::string Trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

// True if some line of `out` reads "<key><spaces><value>" (ignoring the
// alignment whitespace capinfos puts around them).
bool HasLine(const std::string& out, const std::string& key, const std::string& value) {
  for (const std::string& line : Lines(out)) {
    const std::string t = Trim(line);
    if (t.rfind(key, 0) == 0 && Trim(t.substr(key.size())) == value) return true;
  }
  return false;
}

// The value of the first line starting with `key`, or "".
std::string LineValue(const std::string& out, const std::string& key) {
  for (const std::string& line : Lines(out)) {
    const std::string t = Trim(line);
    if (t.rfind(key, 0) == 0) return Trim(t.substr(key.size()));
  }
  return "";
}

// "1700000000.123456789 ..." -> "1700000000.123456789"; "" if the line does
// not start with a seconds.nanoseconds stamp.
std::string LeadingNanoStamp(const std::string& line) {
  const size_t sp = line.find(' ');
  if (sp == std::string::npos) return "";
  const std::string t = line.substr(0, sp);
  const size_t dot = t.find('.');
  if (dot == std::string::npos || dot == 0 || t.size() - dot - 1 != 9) return "";
  for (size_t i = 0; i < t.size(); ++i) {
    if (i != dot && !isdigit(static_cast<unsigned char>(t[i]))) return "";
  }
  return t;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pcapng_test.XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void WriteFile(const std::string& path, const uint8_t* data, size_t n) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n));
  ASSERT_TRUE(f.good()) << path;
}

Bytes ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::string SharedPcap(const std::string& name) {
#ifdef TROVE_SHARED_PCAPS
  return std::string(TROVE_SHARED_PCAPS) + "/" + name;
#else
  return "";
#endif
}

// ================================================== 1. hand-computed bytes

class PcapngHandBytes : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::endian::native != std::endian::little) {
      GTEST_SKIP() << "expected bytes are written for a little-endian host";
    }
  }
};

TEST_F(PcapngHandBytes, SectionHeader) {
  ByteBuffer b;
  SectionInfo s;
  s.userappl = "abc";
  s.comments = {"hello"};
  AppendSectionHeader(&b, s);
  const Bytes expected = {
      0x0A, 0x0D, 0x0D, 0x0A,                          // block type SHB
      0x34, 0x00, 0x00, 0x00,                          // total length 52
      0x4D, 0x3C, 0x2B, 0x1A,                          // byte-order magic (LE)
      0x01, 0x00, 0x00, 0x00,                          // version 1.0
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // section length -1
      0x04, 0x00, 0x03, 0x00, 'a',  'b',  'c',  0x00,  // shb_userappl "abc" + pad
      0x01, 0x00, 0x05, 0x00, 'h',  'e',  'l',  'l',   // opt_comment "hello"
      'o',  0x00, 0x00, 0x00,                          //   + 3 pad
      0x00, 0x00, 0x00, 0x00,                          // opt_endofopt
      0x34, 0x00, 0x00, 0x00,                          // total length 52
  };
  EXPECT_EQ(ToBytes(b), expected);
}

TEST_F(PcapngHandBytes, SectionHeaderWithoutOptionsIs28Bytes) {
  ByteBuffer b;
  AppendSectionHeader(&b, SectionInfo{});  // empty strings are skipped
  const Bytes expected = {0x0A, 0x0D, 0x0D, 0x0A, 0x1C, 0x00, 0x00, 0x00, 0x4D, 0x3C,
                          0x2B, 0x1A, 0x01, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
                          0xFF, 0xFF, 0xFF, 0xFF, 0x1C, 0x00, 0x00, 0x00};
  EXPECT_EQ(ToBytes(b), expected);
}

TEST_F(PcapngHandBytes, InterfaceDescription) {
  ByteBuffer b;
  InterfaceInfo i;
  i.linktype = 1;
  i.snaplen = 65535;
  i.name = "eth0";
  i.filter = "ip";
  AppendInterfaceDescription(&b, i);
  const Bytes expected = {
      0x01, 0x00, 0x00, 0x00,                          // block type IDB
      0x30, 0x00, 0x00, 0x00,                          // total length 48
      0x01, 0x00, 0x00, 0x00,                          // linktype 1 (Ethernet), reserved
      0xFF, 0xFF, 0x00, 0x00,                          // snaplen 65535
      0x02, 0x00, 0x04, 0x00, 'e',  't',  'h',  '0',   // if_name "eth0"
      0x09, 0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00,  // if_tsresol 9 + pad
      0x0B, 0x00, 0x03, 0x00, 0x00, 'i',  'p',  0x00,  // if_filter: type 0, "ip", pad
      0x00, 0x00, 0x00, 0x00,                          // opt_endofopt
      0x30, 0x00, 0x00, 0x00,                          // total length 48
  };
  EXPECT_EQ(ToBytes(b), expected);
}

TEST_F(PcapngHandBytes, EnhancedPacket) {
  ByteBuffer b;
  const uint8_t data[5] = {1, 2, 3, 4, 5};
  // 1700000000123456789 ns = 0x17979CFE'3D85CD15
  AppendEnhancedPacket(&b, 0, 1700000000123456789LL, 5, 60, data);
  const Bytes expected = {
      0x06, 0x00, 0x00, 0x00,  // block type EPB
      0x28, 0x00, 0x00, 0x00,  // total length 40
      0x00, 0x00, 0x00, 0x00,  // interface id 0
      0xFE, 0x9C, 0x97, 0x17,  // timestamp high
      0x15, 0xCD, 0x85, 0x3D,  // timestamp low
      0x05, 0x00, 0x00, 0x00,  // captured length 5
      0x3C, 0x00, 0x00, 0x00,  // original length 60
      0x01, 0x02, 0x03, 0x04,  // data
      0x05, 0x00, 0x00, 0x00,  //   + 3 pad
      0x28, 0x00, 0x00, 0x00,  // total length 40
  };
  EXPECT_EQ(ToBytes(b), expected);
}

TEST_F(PcapngHandBytes, EnhancedPacketEdgeSizes) {
  ByteBuffer b;
  AppendEnhancedPacket(&b, 3, 7, 0, 0, nullptr);  // empty packet: 32 bytes
  const Bytes empty = {0x06, 0, 0, 0, 0x20, 0, 0, 0, 3, 0, 0, 0, 0,    0, 0, 0,
                       7,    0, 0, 0, 0,    0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0};
  EXPECT_EQ(ToBytes(b), empty);
  b.clear();
  const uint8_t four[4] = {9, 8, 7, 6};
  AppendEnhancedPacket(&b, 0, -5, 4, 4, four);  // no padding; negative ts clamps to 0
  const Bytes aligned = {0x06, 0, 0, 0, 0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    0, 0, 0,
                         0,    0, 4, 0, 0,    0, 4, 0, 0, 0, 9, 8, 7, 6, 0x24, 0, 0, 0};
  EXPECT_EQ(ToBytes(b), aligned);
}

TEST_F(PcapngHandBytes, InterfaceStatistics) {
  ByteBuffer b;
  InterfaceStats st;
  st.interface_id = 0;
  st.timestamp_ns = 2000000000;  // 0x00000000'77359400
  st.start_ns = 1000000000;      // 0x00000000'3B9ACA00
  st.end_ns = 0x100000002LL;     // 0x00000001'00000002: high word first
  st.ifrecv = 10;
  st.ifdrop = 1;
  st.osdrop = 2;
  st.usrdeliv = 7;
  st.comments = {"x"};
  AppendInterfaceStatistics(&b, st);
  const Bytes expected = {
      0x05, 0x00, 0x00, 0x00,                                      // block type ISB
      0x6C, 0x00, 0x00, 0x00,                                      // total length 108
      0x00, 0x00, 0x00, 0x00,                                      // interface id
      0x00, 0x00, 0x00, 0x00,                                      // timestamp high
      0x00, 0x94, 0x35, 0x77,                                      // timestamp low
      0x01, 0x00, 0x01, 0x00, 'x',  0x00, 0x00, 0x00,              // opt_comment "x" + pad
      0x02, 0x00, 0x08, 0x00,                                      // isb_starttime
      0x00, 0x00, 0x00, 0x00, 0x00, 0xCA, 0x9A, 0x3B,              //   high, low
      0x03, 0x00, 0x08, 0x00,                                      // isb_endtime
      0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,              //   high, low
      0x04, 0x00, 0x08, 0x00, 10,   0,    0,    0,    0, 0, 0, 0,  // isb_ifrecv 10
      0x05, 0x00, 0x08, 0x00, 1,    0,    0,    0,    0, 0, 0, 0,  // isb_ifdrop 1
      0x07, 0x00, 0x08, 0x00, 2,    0,    0,    0,    0, 0, 0, 0,  // isb_osdrop 2
      0x08, 0x00, 0x08, 0x00, 7,    0,    0,    0,    0, 0, 0, 0,  // isb_usrdeliv 7
      0x00, 0x00, 0x00, 0x00,                                      // opt_endofopt
      0x6C, 0x00, 0x00, 0x00,                                      // total length 108
  };
  EXPECT_EQ(ToBytes(b), expected);
}

TEST(PcapngWriter, StatisticsBlockSizeDependsOnlyOnComments) {
  // segment_header relies on this: the trailer ISB is sized before the
  // segment's real counters and timestamps are known.
  ByteBuffer zero, full;
  InterfaceStats a;
  a.comments = {"c1", "c2"};
  AppendInterfaceStatistics(&zero, a);
  InterfaceStats b = a;
  b.interface_id = 3;
  b.timestamp_ns = b.start_ns = b.end_ns = std::numeric_limits<int64_t>::max();
  b.ifrecv = b.ifdrop = b.osdrop = b.usrdeliv = ~0ULL;
  AppendInterfaceStatistics(&full, b);
  EXPECT_EQ(zero.size(), full.size());
  if constexpr (std::endian::native != std::endian::little) return;  // kLE blocks below
  Parsed p = Parse(Cat({kLE.Shb(), kLE.Idb(1, 0), ToBytes(zero)}));
  ASSERT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  ASSERT_EQ(p.stats.size(), 1u);
  EXPECT_EQ(p.stats[0].start_ns, 0);
  EXPECT_EQ(p.stats[0].end_ns, 0);
}

TEST(PcapngWriter, PaddingIsZeroEvenInADirtyReusedBuffer) {
  // ByteBuffer::Grow leaves new bytes uninitialised and clear() keeps the old
  // contents, so every padding byte must be written explicitly.
  ByteBuffer b;
  const Bytes junk(4096, 0xEE);
  b.Append(junk.data(), junk.size());
  b.clear();
  const uint8_t data[5] = {1, 2, 3, 4, 5};
  AppendEnhancedPacket(&b, 0, 0, 5, 5, data);
  AppendEnhancedPacket(&b, 0, 0, 0, 0, nullptr);
  SectionInfo s;
  s.os = "abcde";
  s.comments = {"x"};
  AppendSectionHeader(&b, s);
  InterfaceInfo i;
  i.name = "e";
  i.filter = "ip";
  AppendInterfaceDescription(&b, i);
  const Bytes out = ToBytes(b);
  for (size_t k = 0; k < out.size(); ++k) EXPECT_NE(out[k], 0xEE) << "offset " << k;
  EXPECT_EQ(out[33], 0);  // EPB padding after the 5 data bytes
  EXPECT_EQ(out[34], 0);
  EXPECT_EQ(out[35], 0);
}

TEST(PcapngWriter, AppendsAtAnUnalignedBufferOffsetPadRelativeToBlock) {
  // Blocks are self-contained: padding is computed from the block start.
  ByteBuffer b;
  b.AppendU8(0xAA);
  SectionInfo s;
  s.os = "x";
  AppendSectionHeader(&b, s);
  ASSERT_EQ(b.size(), 1u + 28 + 8 + 4);
  Parsed p = Parse(b.data() + 1, b.size() - 1);
  ASSERT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  ASSERT_EQ(p.sections.size(), 1u);
  EXPECT_EQ(p.sections[0].os, "x");
}

// ================================================== round trip, no oracle

ByteBuffer SampleFile() {
  ByteBuffer b;
  SectionInfo s;
  s.hardware = "x86_64 test rig";
  s.os = "Linux 6.1";
  s.userappl = "trove 0.1.0";
  s.comments = {"first comment", "second comment: ünïcødé"};
  AppendSectionHeader(&b, s);
  InterfaceInfo i;
  i.linktype = 1;
  i.snaplen = 64;
  i.name = "eth7";
  i.description = "uplink port";
  i.filter = "tcp port 80";
  i.comments = {"if comment"};
  AppendInterfaceDescription(&b, i);
  return b;
}

// Packets used by the oracle tests: (ts_ns, caplen, wirelen).
struct SamplePacket {
  int64_t ts_ns;
  uint32_t caplen;
  uint32_t wirelen;
};
const std::vector<SamplePacket>& SamplePackets() {
  static const std::vector<SamplePacket> kPackets = {
      {1700000000123456789LL, 60, 60}, {1700000000000000001LL, 64, 1514},
      {1700000001999999999LL, 14, 14}, {1700000002100000000LL, 64, 65535},
      {1700000002100000007LL, 63, 63},
  };
  return kPackets;
}

ByteBuffer SampleFileWithPackets(InterfaceStats* stats_out = nullptr) {
  ByteBuffer b = SampleFile();
  for (const SamplePacket& sp : SamplePackets()) {
    const Bytes data = Pattern(sp.caplen, static_cast<uint8_t>(sp.caplen));
    AppendEnhancedPacket(&b, 0, sp.ts_ns, sp.caplen, sp.wirelen, data.data());
  }
  InterfaceStats st;
  st.interface_id = 0;
  st.timestamp_ns = 1700000003000000000LL;
  st.start_ns = 1700000000000000000LL;
  st.end_ns = 1700000003000000000LL;
  st.ifrecv = 9;
  st.ifdrop = 2;
  st.osdrop = 1;
  st.usrdeliv = 5;
  st.comments = {"final stats"};
  AppendInterfaceStatistics(&b, st);
  if (stats_out) *stats_out = st;
  return b;
}

TEST(PcapngRoundTrip, WriterOutputParsesBackExactly) {
  InterfaceStats st;
  ByteBuffer b = SampleFileWithPackets(&st);
  Parsed p = Parse(b);
  ASSERT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  EXPECT_FALSE(p.result.truncated);
  EXPECT_FALSE(p.result.stopped);
  EXPECT_EQ(p.result.complete_bytes, b.size());

  ASSERT_EQ(p.sections.size(), 1u);
  EXPECT_EQ(p.section_offsets[0], 0u);
  EXPECT_EQ(p.sections[0].hardware, "x86_64 test rig");
  EXPECT_EQ(p.sections[0].os, "Linux 6.1");
  EXPECT_EQ(p.sections[0].userappl, "trove 0.1.0");
  EXPECT_EQ(p.sections[0].comments,
            (std::vector<std::string>{"first comment", "second comment: ünïcødé"}));

  ASSERT_EQ(p.interfaces.size(), 1u);
  const InterfaceInfo& i = p.interfaces[0];
  EXPECT_EQ(i.linktype, 1);
  EXPECT_EQ(i.snaplen, 64u);
  EXPECT_EQ(i.name, "eth7");
  EXPECT_EQ(i.description, "uplink port");
  EXPECT_EQ(i.filter, "tcp port 80");
  EXPECT_EQ(i.tsresol, 9);
  EXPECT_EQ(i.comments, std::vector<std::string>{"if comment"});

  ASSERT_EQ(p.packets.size(), SamplePackets().size());
  for (size_t k = 0; k < p.packets.size(); ++k) {
    const SamplePacket& sp = SamplePackets()[k];
    EXPECT_EQ(p.packets[k].ifid, 0u);
    EXPECT_EQ(p.packets[k].ts_ns, sp.ts_ns);
    EXPECT_EQ(p.packets[k].caplen, sp.caplen);
    EXPECT_EQ(p.packets[k].wirelen, sp.wirelen);
    EXPECT_EQ(p.packets[k].data, Pattern(sp.caplen, static_cast<uint8_t>(sp.caplen)));
  }

  ASSERT_EQ(p.stats.size(), 1u);
  EXPECT_EQ(p.stats[0].interface_id, st.interface_id);
  EXPECT_EQ(p.stats[0].timestamp_ns, st.timestamp_ns);
  EXPECT_EQ(p.stats[0].start_ns, st.start_ns);
  EXPECT_EQ(p.stats[0].end_ns, st.end_ns);
  EXPECT_EQ(p.stats[0].ifrecv, st.ifrecv);
  EXPECT_EQ(p.stats[0].ifdrop, st.ifdrop);
  EXPECT_EQ(p.stats[0].osdrop, st.osdrop);
  EXPECT_EQ(p.stats[0].usrdeliv, st.usrdeliv);
  EXPECT_EQ(p.stats[0].comments, st.comments);
}

TEST(PcapngRoundTrip, OverlongStringsAreClippedAtAUtf8Boundary) {
  ByteBuffer b;
  SectionInfo s;
  std::string two_byte_chars;
  for (int k = 0; k < 40000; ++k) two_byte_chars += "\xC3\xA9";  // 80000 bytes of 'é'
  s.comments = {two_byte_chars};
  AppendSectionHeader(&b, s);
  InterfaceInfo i;
  i.filter = std::string(70000, 'f');
  AppendInterfaceDescription(&b, i);
  Parsed p = Parse(b);
  ASSERT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  ASSERT_EQ(p.sections.size(), 1u);
  ASSERT_EQ(p.sections[0].comments.size(), 1u);
  EXPECT_EQ(p.sections[0].comments[0].size(), 65534u);  // 65535 would split a character
  EXPECT_EQ(p.sections[0].comments[0], two_byte_chars.substr(0, 65534));
  ASSERT_EQ(p.interfaces.size(), 1u);
  EXPECT_EQ(p.interfaces[0].filter, std::string(65534, 'f'));  // + 1 type byte = 65535
}

// ================================================== 2. oracle round trips

class PcapngOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    b_ = SampleFileWithPackets();
    path_ = dir_.File("trove.pcapng");
    WriteFile(path_, b_.data(), b_.size());
  }
  TempDir dir_;
  ByteBuffer b_;
  std::string path_;
};

TEST_F(PcapngOracle, TsharkReadsTimestampsAndLengths) {
  REQUIRE_TOOL("tshark");
  const std::vector<OracleFrame> frames = TsharkFrames(path_);
  ASSERT_EQ(frames.size(), SamplePackets().size());
  for (size_t k = 0; k < frames.size(); ++k) {
    const SamplePacket& sp = SamplePackets()[k];
    EXPECT_EQ(frames[k].ts_text, NsToEpochText(sp.ts_ns)) << "frame " << k;  // all 9 digits
    EXPECT_EQ(frames[k].ts_ns, sp.ts_ns);
    EXPECT_EQ(frames[k].len, sp.wirelen);
    EXPECT_EQ(frames[k].caplen, sp.caplen);
  }
}

TEST_F(PcapngOracle, TsharkSeesInterfaceNameAndDescription) {
  REQUIRE_TOOL("tshark");
  const CmdResult r = RunCommand("tshark -r " + Quote(path_) +
                                 " -T fields -e frame.interface_id -e frame.interface_name"
                                 " -e frame.interface_description 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0);
  const auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), SamplePackets().size());
  for (const std::string& line : lines) EXPECT_EQ(line, "0\teth7\tuplink port");
}

TEST_F(PcapngOracle, CapinfosSeesSectionAndInterfaceMetadata) {
  REQUIRE_TOOL("capinfos");
  const CmdResult r = RunCommand("capinfos -M " + Quote(path_) + " 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string& o = r.out;
  EXPECT_TRUE(HasLine(o, "File type:", "pcapng")) << o;
  EXPECT_TRUE(HasLine(o, "File timestamp precision:", "nanoseconds (9)")) << o;
  EXPECT_TRUE(HasLine(o, "Number of packets:", "5")) << o;
  EXPECT_TRUE(HasLine(o, "Capture hardware:", "x86_64 test rig")) << o;
  EXPECT_TRUE(HasLine(o, "Capture oper-sys:", "Linux 6.1")) << o;
  EXPECT_TRUE(HasLine(o, "Capture application:", "trove 0.1.0")) << o;
  EXPECT_TRUE(HasLine(o, "Capture comment:", "first comment")) << o;
  EXPECT_TRUE(HasLine(o, "Capture comment:", "second comment: ünïcødé")) << o;
  EXPECT_TRUE(HasLine(o, "Number of interfaces in file:", "1")) << o;
  EXPECT_TRUE(HasLine(o, "Name =", "eth7")) << o;
  EXPECT_TRUE(HasLine(o, "Description =", "uplink port")) << o;
  EXPECT_TRUE(HasLine(o, "Encapsulation =", "Ethernet (1 - ether)")) << o;
  EXPECT_TRUE(HasLine(o, "Capture length =", "64")) << o;
  EXPECT_TRUE(HasLine(o, "Time precision =", "nanoseconds (9)")) << o;
  EXPECT_TRUE(HasLine(o, "Time ticks per second =", "1000000000")) << o;
  EXPECT_TRUE(HasLine(o, "Filter string =", "tcp port 80")) << o;
  EXPECT_TRUE(HasLine(o, "Comment =", "if comment")) << o;
  EXPECT_TRUE(HasLine(o, "Number of stat entries =", "1")) << o;  // our ISB
  EXPECT_TRUE(HasLine(o, "Number of packets =", "5")) << o;
  // Earliest sample packet is 1700000000.000000001 (local-time date, so only
  // the fraction is compared).
  const std::string first = LineValue(o, "First packet time:");
  ASSERT_GE(first.size(), 10u) << o;
  EXPECT_EQ(first.substr(first.size() - 10), ".000000001") << o;
}

TEST_F(PcapngOracle, TcpdumpReadsAllPacketsAtNanosecondPrecision) {
  REQUIRE_TOOL("tcpdump");
  const CmdResult r = RunCommand("tcpdump -r " + Quote(path_) + " -nn --nano -tt 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("link-type EN10MB (Ethernet), snapshot length 64"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("tcpdump:"), std::string::npos) << r.out;  // no error line
  std::vector<std::string> stamps;
  for (const std::string& line : Lines(r.out)) {
    const std::string t = LeadingNanoStamp(line);
    if (!t.empty()) stamps.push_back(t);
  }
  ASSERT_EQ(stamps.size(), SamplePackets().size()) << r.out;
  for (size_t k = 0; k < stamps.size(); ++k) {
    EXPECT_EQ(stamps[k], NsToEpochText(SamplePackets()[k].ts_ns));
  }
}

// ================================================== 3. real files vs tshark

class PcapngRealFile : public ::testing::TestWithParam<const char*> {};

TEST_P(PcapngRealFile, MatchesTshark) {
  const std::string path = SharedPcap(GetParam());
  if (path.empty()) GTEST_SKIP() << "TROVE_SHARED_PCAPS not defined";
  REQUIRE_TOOL("tshark");
  const Bytes file = ReadFile(path);
  ASSERT_FALSE(file.empty()) << path;
  Parsed p = Parse(file);
  ASSERT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  EXPECT_FALSE(p.result.truncated);
  EXPECT_FALSE(p.result.stopped);
  EXPECT_EQ(p.result.complete_bytes, file.size());
  EXPECT_GE(p.sections.size(), 1u);
  EXPECT_GE(p.interfaces.size(), 1u);

  const std::vector<OracleFrame> frames = TsharkFrames(path);
  ASSERT_EQ(p.packets.size(), frames.size());
  for (size_t k = 0; k < frames.size(); ++k) {
    EXPECT_EQ(p.packets[k].ts_ns, frames[k].ts_ns)
        << "packet " << k << " tshark " << frames[k].ts_text;
    EXPECT_EQ(p.packets[k].wirelen, frames[k].len) << "packet " << k;
    EXPECT_EQ(p.packets[k].caplen, frames[k].caplen) << "packet " << k;
  }

  // Every prefix of a real file parses without error, too.
  for (size_t cut : {size_t{1}, file.size() / 3, file.size() / 2, file.size() - 1}) {
    if (cut >= file.size()) continue;
    Parsed q = Parse(file.data(), cut);
    EXPECT_TRUE(q.result.error.ok()) << cut << ": " << q.result.error.ToString();
    EXPECT_TRUE(q.result.truncated) << cut;
    EXPECT_LE(q.result.complete_bytes, cut);
  }
}

INSTANTIATE_TEST_SUITE_P(SharedTraces, PcapngRealFile,
                         ::testing::Values("gopacket_be_test010.pcapng",
                                           "tcpdump_of13_ericsson.pcapng",
                                           "wireshark_dhcp-nanosecond.pcapng",
                                           "tcpdump_empty.pcapng"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(PcapngRealFileDetails, BigEndianFileMetadataAndSimplePackets) {
  const std::string path = SharedPcap("gopacket_be_test010.pcapng");
  if (path.empty()) GTEST_SKIP() << "TROVE_SHARED_PCAPS not defined";
  const Bytes file = ReadFile(path);
  Parsed p = Parse(file);
  ASSERT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  // Values as capinfos -M prints them for this file.
  ASSERT_EQ(p.sections.size(), 1u);
  EXPECT_EQ(p.sections[0].hardware, "Apple MBP");
  EXPECT_EQ(p.sections[0].os, "OS-X 10.10.5");
  EXPECT_EQ(p.sections[0].userappl, "pcap_writer.lua");
  EXPECT_EQ(p.sections[0].comments, std::vector<std::string>{"test010"});
  ASSERT_EQ(p.interfaces.size(), 1u);
  EXPECT_EQ(p.interfaces[0].name, "eth0");
  EXPECT_EQ(p.interfaces[0].linktype, 1);
  EXPECT_EQ(p.interfaces[0].snaplen, 0u);
  EXPECT_EQ(p.interfaces[0].tsresol, 6);   // absent -> spec default
  ASSERT_EQ(p.packets.size(), 4u);         // simple packet blocks
  EXPECT_EQ(p.packets[0].data[12], 0x08);  // Ethernet type IPv4
  EXPECT_EQ(p.packets[0].data[13], 0x00);
}

TEST(PcapngRealFileDetails, NanosecondFileReportsTsresol9) {
  const std::string path = SharedPcap("wireshark_dhcp-nanosecond.pcapng");
  if (path.empty()) GTEST_SKIP() << "TROVE_SHARED_PCAPS not defined";
  Parsed p = Parse(ReadFile(path));
  ASSERT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  ASSERT_EQ(p.interfaces.size(), 1u);
  EXPECT_EQ(p.interfaces[0].tsresol, 9);
  EXPECT_EQ(p.interfaces[0].snaplen, 65535u);
  ASSERT_EQ(p.packets.size(), 4u);
  EXPECT_EQ(p.packets[0].ts_ns, 1102274184317453000LL);  // capinfos: 19:16:24.317453000
}

// ================================================== 4. truncation and corruption

// A multi-block span with every block kind, recording each block boundary.
struct MultiBlock {
  Bytes bytes;
  std::vector<size_t> ends;  // end offset of each block
  size_t packets_before(size_t end) const {
    size_t n = 0;
    for (size_t k = 0; k < packet_ends.size(); ++k) n += packet_ends[k] <= end;
    return n;
  }
  std::vector<size_t> packet_ends;
  void Add(const Bytes& b, bool is_packet = false) {
    bytes.insert(bytes.end(), b.begin(), b.end());
    ends.push_back(bytes.size());
    if (is_packet) packet_ends.push_back(bytes.size());
  }
};

MultiBlock BuildMultiBlock() {
  MultiBlock m;
  m.Add(kLE.Shb(Cat({kLE.Opt(4, std::string("gen")), kLE.Opt(1, std::string("c")), kLE.EndOpt()})));
  m.Add(kLE.Idb(1, 0, Cat({kLE.Opt(2, std::string("if0")), kLE.Opt(9, Bytes{9}), kLE.EndOpt()})));
  m.Add(kLE.Epb(0, 1000, {}, 0), true);
  m.Add(kLE.Epb(0, 2000, Pattern(5), 5), true);
  m.Add(kLE.Block(4, Cat({kLE.U16(1), kLE.U16(4), Bytes{10, 0, 0, 1}, kLE.U16(0), kLE.U16(0)})));
  m.Add(kLE.Block(0xBAD, Cat({kLE.U32(32473), Pattern(8)})));  // custom block
  m.Add(kLE.Epb(0, 3000, Pattern(64), 100, Cat({kLE.Opt(2, kLE.U32(1)), kLE.EndOpt()})), true);
  m.Add(kLE.Spb(7, Pattern(7)), true);
  m.Add(kLE.Isb(0, 4000, Cat({kLE.Opt(4, kLE.U64(3)), kLE.EndOpt()})));
  m.Add(kBE.Shb());
  m.Add(kBE.Idb(1, 0));
  m.Add(kBE.Epb(0, 5000, Pattern(3), 3), true);
  return m;
}

TEST(PcapngTruncation, EveryPrefixReportsTheLastCompleteBlock) {
  const MultiBlock m = BuildMultiBlock();
  {
    Parsed full = Parse(m.bytes);
    ASSERT_TRUE(full.result.error.ok()) << full.result.error.ToString();
    ASSERT_EQ(full.packets.size(), 5u);
    ASSERT_EQ(full.result.complete_bytes, m.bytes.size());
  }
  for (size_t len = 0; len <= m.bytes.size(); ++len) {
    // Copy into an exactly-sized heap buffer so ASan flags any over-read.
    std::unique_ptr<uint8_t[]> buf(new uint8_t[len == 0 ? 1 : len]);
    if (len) std::memcpy(buf.get(), m.bytes.data(), len);
    Parsed p = Parse(buf.get(), len);
    size_t boundary = 0;
    for (size_t e : m.ends) {
      if (e <= len) boundary = e;
    }
    ASSERT_TRUE(p.result.error.ok()) << "prefix " << len << ": " << p.result.error.ToString();
    EXPECT_EQ(p.result.complete_bytes, boundary) << "prefix " << len;
    EXPECT_LE(p.result.complete_bytes, len);
    EXPECT_EQ(p.result.truncated, boundary != len) << "prefix " << len;
    EXPECT_FALSE(p.result.stopped);
    EXPECT_EQ(p.packets.size(), m.packets_before(len)) << "prefix " << len;
  }
}

TEST(PcapngTruncation, EmptySpanIsNotAnError) {
  Parsed p = Parse(nullptr, 0);
  EXPECT_TRUE(p.result.error.ok());
  EXPECT_FALSE(p.result.truncated);
  EXPECT_EQ(p.result.complete_bytes, 0u);
}

// Expects a Corruption error naming `offset`, with complete_bytes at `good`.
void ExpectCorruptAt(const Bytes& b, uint64_t offset, uint64_t good, const std::string& what) {
  Parsed p = Parse(b);
  ASSERT_FALSE(p.result.error.ok()) << "expected corruption: " << what;
  EXPECT_EQ(p.result.error.code(), Status::Code::kCorruption) << p.result.error.ToString();
  const std::string prefix = "pcapng block at offset " + std::to_string(offset) + ": ";
  EXPECT_EQ(p.result.error.message().rfind(prefix, 0), 0u) << p.result.error.message();
  EXPECT_NE(p.result.error.message().find(what), std::string::npos) << p.result.error.message();
  EXPECT_EQ(p.result.complete_bytes, good) << p.result.error.message();
  EXPECT_FALSE(p.result.truncated);
}

class PcapngCorruption : public ::testing::Test {
 protected:
  // SHB (28) + IDB (20) + EPB at offset 48.
  Bytes Head() const { return Cat({kLE.Shb(), kLE.Idb(1, 0)}); }
  static constexpr size_t kEpbAt = 48;
};

TEST_F(PcapngCorruption, BadTrailingLength) {
  Bytes b = Cat({Head(), kLE.Epb(0, 1, Pattern(8), 8)});
  PutLE32(&b, b.size() - 4, 44);  // real length 40
  ExpectCorruptAt(b, kEpbAt, kEpbAt, "trailing block length 44 != leading block length 40");
}

TEST_F(PcapngCorruption, LengthNotMultipleOf4) {
  Bytes b = Cat({Head(), kLE.Epb(0, 1, Pattern(8), 8)});
  PutLE32(&b, kEpbAt + 4, 42);
  ExpectCorruptAt(b, kEpbAt, kEpbAt, "not a multiple of 4");
}

TEST_F(PcapngCorruption, LengthNotMultipleOf4IsReportedEvenIfTheSpanEndsInside) {
  Bytes b = Cat({Head(), kLE.Epb(0, 1, Pattern(8), 8)});
  PutLE32(&b, kEpbAt + 4, 4002);
  ExpectCorruptAt(b, kEpbAt, kEpbAt, "not a multiple of 4");
}

TEST_F(PcapngCorruption, LengthBelowMinimum) {
  Bytes b = Cat({Head(), kLE.U32(kBlockEPB), kLE.U32(8), kLE.U32(8)});
  ExpectCorruptAt(b, kEpbAt, kEpbAt, "block total length 8 < 12");
  // A zero-filled tail (typical after a crash on some filesystems) is corrupt
  // at its first byte, and complete_bytes still marks the good prefix.
  Bytes z = Cat({Head(), Bytes(64, 0)});
  ExpectCorruptAt(z, kEpbAt, kEpbAt, "block total length 0 < 12");
}

TEST_F(PcapngCorruption, BlockTooShortForItsType) {
  Bytes b = Cat({Head(), kLE.Block(kBlockEPB, Bytes(16, 0))});  // 28 < 32
  ExpectCorruptAt(b, kEpbAt, kEpbAt, "enhanced packet block total length 28 < minimum 32");
  Bytes i = Cat({kLE.Shb(), kLE.Block(kBlockIDB, Bytes(4, 0))});
  ExpectCorruptAt(i, 28, 28, "interface description block total length 16 < minimum 20");
  Bytes s = Cat({kLE.Shb(), kLE.Block(kBlockSHB, Bytes{0x4D, 0x3C, 0x2B, 0x1A})});
  ExpectCorruptAt(s, 28, 28, "section header block total length 16 < minimum 28");
}

TEST_F(PcapngCorruption, CaplenBeyondBlock) {
  Bytes b = Cat({Head(), kLE.Epb(0, 1, Pattern(8), 8)});
  PutLE32(&b, kEpbAt + 20, 9);  // room is 8
  ExpectCorruptAt(b, kEpbAt, kEpbAt, "captured length 9 exceeds the 8 bytes");
  PutLE32(&b, kEpbAt + 20, 0xFFFFFFFF);
  ExpectCorruptAt(b, kEpbAt, kEpbAt, "captured length 4294967295");
}

TEST_F(PcapngCorruption, UnknownInterfaceId) {
  Bytes b = Cat({Head(), kLE.Epb(0, 1, Pattern(8), 8), kLE.Epb(1, 1, Pattern(8), 8)});
  ExpectCorruptAt(b, kEpbAt + 40, kEpbAt + 40, "interface id 1 but the section has 1 interface");
  Bytes s = Cat({Head(), kLE.Isb(7, 0)});
  ExpectCorruptAt(s, kEpbAt, kEpbAt, "interface id 7");
  Bytes spb = Cat({kLE.Shb(), kLE.Spb(4, Pattern(4))});
  ExpectCorruptAt(spb, 28, 28, "simple packet block needs interface id 0");
}

TEST_F(PcapngCorruption, FirstBlockIsNotASectionHeader) {
  ExpectCorruptAt(kLE.Idb(1, 0), 0, 0, "first block is not a Section Header Block");
  // Only 4 bytes are needed to know.
  ExpectCorruptAt(kLE.U32(kBlockEPB), 0, 0, "(type 0x00000006)");
  // Fewer than 4 bytes: cannot tell yet, so it is a truncated span.
  Parsed p = Parse(Bytes{0x01, 0x00});
  EXPECT_TRUE(p.result.error.ok());
  EXPECT_TRUE(p.result.truncated);
}

TEST_F(PcapngCorruption, BadMagicAndVersion) {
  Bytes b = kLE.Shb();
  PutLE32(&b, 8, 0x12345678);
  ExpectCorruptAt(b, 0, 0, "bad byte-order magic 0x12345678");
  ExpectCorruptAt(Cat({kLE.Shb(), kLE.Shb({}, 2)}), 28, 28, "unsupported pcapng version 2.0");
}

TEST_F(PcapngCorruption, OptionRunsPastTheBlock) {
  // if_name claims 9 bytes (12 padded) but only 8 are left before the trailer.
  Bytes idb = kLE.Idb(1, 0, Cat({kLE.U16(2), kLE.U16(9), Pattern(4)}));
  ExpectCorruptAt(Cat({kLE.Shb(), idb}), 28, 28, "option 2 of length 9 runs past");
  Bytes epb = kLE.Epb(0, 1, Pattern(3), 3, Cat({kLE.U16(1), kLE.U16(0xFFFF)}));
  ExpectCorruptAt(Cat({Head(), epb}), kEpbAt, kEpbAt, "option 1 of length 65535");
}

TEST_F(PcapngCorruption, ErrorsNameTheOffsetInALaterSection) {
  Bytes b = Cat({Head(), kBE.Shb(), kBE.Idb(1, 0), kBE.Epb(1, 0, {}, 0)});
  // The second section has one interface (ids restart per section).
  ExpectCorruptAt(b, kEpbAt + 28 + 20, kEpbAt + 28 + 20, "interface id 1 but the section has 1");
}

// ================================================== 5. multiple sections, both byte orders

Bytes MixedEndianFile() {
  ByteBuffer le;
  SectionInfo s;
  s.userappl = "le section";
  AppendSectionHeader(&le, s);
  InterfaceInfo a;
  a.linktype = 1;
  a.name = "a";
  AppendInterfaceDescription(&le, a);
  InterfaceInfo b = a;
  b.name = "b";
  b.snaplen = 100;
  AppendInterfaceDescription(&le, b);
  const Bytes d = Pattern(60);
  AppendEnhancedPacket(&le, 1, 1700000000123456789LL, 60, 60, d.data());
  AppendEnhancedPacket(&le, 0, 1700000000223456789LL, 60, 70, d.data());
  Bytes out = ToBytes(le);
  if constexpr (std::endian::native == std::endian::big) {
    ADD_FAILURE() << "this test builds its second section big-endian by hand";
  }
  const Bytes be = Cat({
      kBE.Shb(Cat(
          {kBE.Opt(4, std::string("be section")), kBE.Opt(1, std::string("hi")), kBE.EndOpt()})),
      kBE.Idb(1, 65535,
              Cat({kBE.Opt(2, std::string("be0")), kBE.Opt(9, Bytes{6}),
                   kBE.Opt(11, Bytes{0, 'u', 'd', 'p'}), kBE.EndOpt()})),
      kBE.Epb(0, 1600000000654321ULL, Pattern(42, 1), 42),
      kBE.Isb(0, 1600000001000000ULL,
              Cat({kBE.Opt(2, kBE.Ticks(1600000000000000ULL)), kBE.Opt(4, kBE.U64(12)),
                   kBE.Opt(5, kBE.U64(3)), kBE.Opt(7, kBE.U64(0x0102030405060708ULL)),
                   kBE.Opt(8, kBE.U64(9)), kBE.Opt(1, std::string("isb")), kBE.EndOpt()})),
      kBE.Epb(0, 1600000001500000ULL, Pattern(14, 2), 1514),
  });
  out.insert(out.end(), be.begin(), be.end());
  return out;
}

TEST(PcapngMultiSection, DifferingByteOrdersAndPerSectionInterfaceIds) {
  const Bytes file = MixedEndianFile();
  Parsed p = Parse(file);
  ASSERT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  EXPECT_EQ(p.result.complete_bytes, file.size());

  ASSERT_EQ(p.sections.size(), 2u);
  EXPECT_EQ(p.sections[0].userappl, "le section");
  EXPECT_EQ(p.sections[1].userappl, "be section");
  EXPECT_EQ(p.sections[1].comments, std::vector<std::string>{"hi"});
  EXPECT_EQ(p.section_offsets[0], 0u);
  EXPECT_GT(p.section_offsets[1], 0u);

  ASSERT_EQ(p.interfaces.size(), 3u);
  EXPECT_EQ(p.interfaces[2].name, "be0");
  EXPECT_EQ(p.interfaces[2].linktype, 1);
  EXPECT_EQ(p.interfaces[2].snaplen, 65535u);
  EXPECT_EQ(p.interfaces[2].tsresol, 6);
  EXPECT_EQ(p.interfaces[2].filter, "udp");

  ASSERT_EQ(p.packets.size(), 4u);
  EXPECT_EQ(p.packets[0].ifid, 1u);
  EXPECT_EQ(p.packets[0].ts_ns, 1700000000123456789LL);
  EXPECT_EQ(p.packets[1].ifid, 0u);
  EXPECT_EQ(p.packets[1].wirelen, 70u);
  EXPECT_EQ(p.packets[2].ifid, 0u);  // interface 0 of the second section
  EXPECT_EQ(p.packets[2].ts_ns, 1600000000654321000LL);
  EXPECT_EQ(p.packets[2].caplen, 42u);
  EXPECT_EQ(p.packets[2].data, Pattern(42, 1));
  EXPECT_EQ(p.packets[3].ts_ns, 1600000001500000000LL);
  EXPECT_EQ(p.packets[3].wirelen, 1514u);
  EXPECT_GT(p.packets[2].offset, p.section_offsets[1]);

  ASSERT_EQ(p.stats.size(), 1u);
  EXPECT_EQ(p.stats[0].timestamp_ns, 1600000001000000000LL);
  EXPECT_EQ(p.stats[0].start_ns, 1600000000000000000LL);
  EXPECT_EQ(p.stats[0].end_ns, 0);
  EXPECT_EQ(p.stats[0].ifrecv, 12u);
  EXPECT_EQ(p.stats[0].ifdrop, 3u);
  EXPECT_EQ(p.stats[0].osdrop, 0x0102030405060708ULL);
  EXPECT_EQ(p.stats[0].usrdeliv, 9u);
  EXPECT_EQ(p.stats[0].comments, std::vector<std::string>{"isb"});
}

TEST(PcapngMultiSection, TsharkAgreesOnTheMixedEndianFile) {
  REQUIRE_TOOL("tshark");
  // libpcap (tcpdump) refuses a byte-order change between sections, so
  // tshark is the oracle here.
  TempDir dir;
  const Bytes file = MixedEndianFile();
  const std::string path = dir.File("mixed.pcapng");
  WriteFile(path, file.data(), file.size());
  const std::vector<OracleFrame> frames = TsharkFrames(path);
  Parsed p = Parse(file);
  ASSERT_EQ(frames.size(), p.packets.size());
  for (size_t k = 0; k < frames.size(); ++k) {
    EXPECT_EQ(p.packets[k].ts_ns, frames[k].ts_ns) << frames[k].ts_text;
    EXPECT_EQ(p.packets[k].wirelen, frames[k].len);
    EXPECT_EQ(p.packets[k].caplen, frames[k].caplen);
  }
}

// ================================================== timestamps, SPB, unknown blocks, stop

// Parses one EPB with `ticks` on an interface with the given options.
int64_t TsFor(const Bytes& idb_opts, uint64_t ticks) {
  const Bytes b = Cat({kLE.Shb(), kLE.Idb(1, 0, idb_opts), kLE.Epb(0, ticks, Pattern(4), 4)});
  Parsed p = Parse(b);
  EXPECT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  if (p.packets.size() != 1) {
    ADD_FAILURE() << "no packet";
    return 0;
  }
  return p.packets[0].ts_ns;
}
Bytes Resol(uint8_t r) { return Cat({kLE.Opt(9, Bytes{r}), kLE.EndOpt()}); }

TEST(PcapngTimestamps, ResolutionsConvertToNanoseconds) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(TsFor({}, 1500000), 1500000000LL);  // default: microseconds
  EXPECT_EQ(TsFor(Resol(6), 1700000000123456ULL), 1700000000123456000LL);
  EXPECT_EQ(TsFor(Resol(9), 1700000000123456789ULL), 1700000000123456789LL);
  EXPECT_EQ(TsFor(Resol(3), 1700000000123ULL), 1700000000123000000LL);
  EXPECT_EQ(TsFor(Resol(0), 1700000000ULL), 1700000000000000000LL);
  EXPECT_EQ(TsFor(Resol(12), 17000000001234567891ULL), 17000000001234567LL);  // picoseconds
  EXPECT_EQ(TsFor(Resol(12), 1999), 1);   // truncates toward zero
  EXPECT_EQ(TsFor(Resol(28), ~0ULL), 1);  // 2^64-1 / 10^19
  EXPECT_EQ(TsFor(Resol(29), ~0ULL), 0);  // 10^20 > 2^64
  EXPECT_EQ(TsFor(Resol(127), ~0ULL), 0);
  // Power-of-two resolutions (high bit set): 2^-20 s units.
  EXPECT_EQ(TsFor(Resol(0x80 | 20), (5ULL << 20) + (1ULL << 19)), 5500000000LL);  // tshark: 5.5
  EXPECT_EQ(TsFor(Resol(0x80 | 0), 3), 3000000000LL);
  EXPECT_EQ(TsFor(Resol(0x80 | 127), ~0ULL), 0);
  EXPECT_EQ(TsFor(Resol(0x80 | 30), 1ULL << 30), 1000000000LL);
  EXPECT_EQ(TsFor(Resol(9), (1ULL << 63) - 1), kMax);  // the last representable ns
}

// A packet whose time does not fit in int64 ns is refused at its block's
// offset; the blocks before it are complete (the prefix is kept).
void ExpectTimeRefused(const Bytes& idb_opts, uint64_t ticks, bool first_ok = true) {
  const Bytes head = first_ok ? Cat({kLE.Shb(), kLE.Idb(1, 0, idb_opts), kLE.Epb(0, 1, Pattern(4), 4)})
                              : Cat({kLE.Shb(), kLE.Idb(1, 0, idb_opts)});
  const Bytes b = Cat({head, kLE.Epb(0, ticks, Pattern(4), 4)});
  Parsed p = Parse(b);
  ASSERT_FALSE(p.result.error.ok()) << ticks;
  EXPECT_EQ(p.result.error.code(), Status::Code::kCorruption);
  EXPECT_NE(p.result.error.message().find("offset " + std::to_string(head.size())),
            std::string::npos)
      << p.result.error.message();
  EXPECT_NE(p.result.error.message().find("time range"), std::string::npos);
  EXPECT_EQ(p.result.complete_bytes, head.size());
  EXPECT_EQ(p.packets.size(), first_ok ? 1u : 0u);
}

TEST(PcapngTimestamps, OverflowIsRefusedWithTheOffset) {
  ExpectTimeRefused(Resol(0), ~0ULL);
  ExpectTimeRefused(Resol(6), 1ULL << 62);
  ExpectTimeRefused(Resol(9), ~0ULL);
  ExpectTimeRefused(Resol(9), 1ULL << 63);
  // 2^63 ns is 9223372036.854775808 s: one tick past the end at 1 ns.
  ExpectTimeRefused(Cat({kLE.Opt(9, Bytes{0}), kLE.Opt(14, kLE.U64(1)), kLE.EndOpt()}),
                    9223372036ULL);
  ExpectTimeRefused(
      Cat({kLE.Opt(9, Bytes{9}),
           kLE.Opt(14, kLE.U64(static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))),
           kLE.EndOpt()}),
      1, false);
  ExpectTimeRefused(
      Cat({kLE.Opt(14, kLE.U64(static_cast<uint64_t>(std::numeric_limits<int64_t>::min()))),
           kLE.EndOpt()}),
      1, false);
  int64_t ns = 0;
  EXPECT_TRUE(PcapngTicksToNs(9223372035ULL, 0, 1, &ns));
  EXPECT_EQ(ns, 9223372036000000000LL);
  EXPECT_FALSE(PcapngTicksToNs(9223372036ULL, 0, 1, &ns));
}

TEST(PcapngTimestamps, TsoffsetIsAddedInSeconds) {
  // if_tsoffset = 1000 s, tsresol 6: tshark and tcpdump both print 1001.500000000.
  const Bytes opts = Cat({kLE.Opt(9, Bytes{6}), kLE.Opt(14, kLE.U64(1000)), kLE.EndOpt()});
  EXPECT_EQ(TsFor(opts, 1500000), 1001500000000LL);
  const Bytes neg = Cat({kLE.Opt(14, kLE.U64(static_cast<uint64_t>(-2))), kLE.EndOpt()});
  EXPECT_EQ(TsFor(neg, 500000), -1500000000LL);
}

TEST(PcapngTimestamps, TsoffsetMatchesTshark) {
  REQUIRE_TOOL("tshark");
  TempDir dir;
  const Bytes b = Cat(
      {kLE.Shb(),
       kLE.Idb(1, 0, Cat({kLE.Opt(9, Bytes{0x80 | 20}), kLE.Opt(14, kLE.U64(1000)), kLE.EndOpt()})),
       kLE.Epb(0, (5ULL << 20) + (1ULL << 18), Pattern(60), 60)});
  const std::string path = dir.File("tsoffset.pcapng");
  WriteFile(path, b.data(), b.size());
  const auto frames = TsharkFrames(path);
  ASSERT_EQ(frames.size(), 1u);
  Parsed p = Parse(b);
  ASSERT_EQ(p.packets.size(), 1u);
  EXPECT_EQ(p.packets[0].ts_ns, 1005250000000LL);
  EXPECT_EQ(frames[0].ts_ns, p.packets[0].ts_ns) << frames[0].ts_text;
}

TEST(PcapngSimplePacket, CaplenIsMinOfWirelenSnaplenAndRoom) {
  // snaplen 0 = unlimited: caplen = wirelen.
  Parsed a = Parse(Cat({kLE.Shb(), kLE.Idb(1, 0), kLE.Spb(5, Pattern(5))}));
  ASSERT_TRUE(a.result.error.ok()) << a.result.error.ToString();
  ASSERT_EQ(a.packets.size(), 1u);
  EXPECT_EQ(a.packets[0].caplen, 5u);
  EXPECT_EQ(a.packets[0].wirelen, 5u);
  EXPECT_EQ(a.packets[0].ts_ns, 0);
  EXPECT_EQ(a.packets[0].data, Pattern(5));
  // snaplen 16, wire 1500, block holds 16 bytes.
  Parsed b = Parse(Cat({kLE.Shb(), kLE.Idb(1, 16), kLE.Spb(1500, Pattern(16))}));
  ASSERT_EQ(b.packets.size(), 1u);
  EXPECT_EQ(b.packets[0].caplen, 16u);
  EXPECT_EQ(b.packets[0].wirelen, 1500u);
  // Block room smaller than both (a writer that lied): room wins, no over-read.
  Parsed c = Parse(Cat({kLE.Shb(), kLE.Idb(1, 0), kLE.Spb(1500, Pattern(8))}));
  ASSERT_TRUE(c.result.error.ok());
  ASSERT_EQ(c.packets.size(), 1u);
  EXPECT_EQ(c.packets[0].caplen, 8u);
  // Room includes the padding: 7 data bytes + 1 pad, wirelen 100 -> 8.
  Parsed d = Parse(Cat({kLE.Shb(), kLE.Idb(1, 0), kLE.Spb(100, Pattern(7))}));
  ASSERT_EQ(d.packets.size(), 1u);
  EXPECT_EQ(d.packets[0].caplen, 8u);
}

TEST(PcapngUnknownBlocks, AreSkipped) {
  const Bytes b = Cat({
      kLE.Shb(),
      kLE.Idb(1, 0),
      kLE.Block(4, Cat({kLE.U16(1), kLE.U16(4), Bytes{10, 0, 0, 1}, kLE.U32(0)})),  // NRB
      kLE.Block(10, Cat({kLE.U32(0x544c534b), kLE.U32(4), Pattern(4)})),            // DSB
      kLE.Block(0xBAD, Cat({kLE.U32(32473), Pattern(12)})),                         // custom
      kLE.Block(0x40000BAD, Cat({kLE.U32(32473)})),  // custom, do not copy
      kLE.Block(0x12345678, {}),                     // unassigned, empty body
      kLE.Epb(0, 1, Pattern(4), 4),
  });
  Parsed p = Parse(b);
  ASSERT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  EXPECT_EQ(p.result.complete_bytes, b.size());
  ASSERT_EQ(p.packets.size(), 1u);
  EXPECT_EQ(p.packets[0].offset, b.size() - 36);
}

TEST(PcapngVisitor, FalseStopsAfterTheBlockAndNullCallbacksAreSkipped) {
  ByteBuffer b = SampleFileWithPackets();
  PcapngVisitor v;
  int seen = 0;
  uint64_t second_end = 0;
  v.on_packet = [&](const PcapngPacket& p) {
    ++seen;
    if (seen == 2) {
      second_end = p.block_offset + kEpbOverhead + ((p.caplen + 3) & ~3u);
      return false;
    }
    return true;
  };
  PcapngParseResult r = ParsePcapng(b.data(), b.size(), v);
  EXPECT_TRUE(r.error.ok());
  EXPECT_TRUE(r.stopped);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(r.complete_bytes, second_end);

  PcapngParseResult none = ParsePcapng(b.data(), b.size(), PcapngVisitor{});
  EXPECT_TRUE(none.error.ok());
  EXPECT_EQ(none.complete_bytes, b.size());

  PcapngVisitor stop_section;
  stop_section.on_section = [](const SectionInfo&, uint64_t) { return false; };
  PcapngParseResult s = ParsePcapng(b.data(), b.size(), stop_section);
  EXPECT_TRUE(s.stopped);
  uint32_t shb_len;
  std::memcpy(&shb_len, b.data() + 4, 4);
  EXPECT_EQ(s.complete_bytes, shb_len);
}

// ================================================== robustness (mini fuzz)

TEST(PcapngRobustness, RandomMutationsNeverCrash) {
  const Bytes base = BuildMultiBlock().bytes;
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = base;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k) {
      const size_t at = rng() % b.size();
      switch (rng() % 4) {
        case 0:
          b[at] = static_cast<uint8_t>(rng());
          break;
        case 1:
          b[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          b[at] = 0xFF;
          break;
        default:
          b[at] = 0;
          break;
      }
    }
    b.resize(rng() % (b.size() + 1));
    std::unique_ptr<uint8_t[]> buf(new uint8_t[b.size() + 1]);
    std::memcpy(buf.get(), b.data(), b.size());
    uint64_t sum = 0;
    PcapngVisitor v;
    v.on_packet = [&](const PcapngPacket& p) {
      for (uint32_t i = 0; i < p.caplen; ++i) sum += p.data[i];
      return true;
    };
    PcapngParseResult r = ParsePcapng(buf.get(), b.size(), v);
    ASSERT_LE(r.complete_bytes, b.size());
    if (!r.error.ok()) {
      ASSERT_EQ(r.error.code(), Status::Code::kCorruption);
      ASSERT_EQ(r.error.message().rfind("pcapng block at offset ", 0), 0u);
    }
    (void)sum;
  }
}

}  // namespace
}  // namespace trove

namespace trove {
namespace {

// ================================================== obsolete packet block, resumable parser

// Obsolete Packet Block (type 2): u16 interface id, u16 drops count, then
// the EPB layout. tshark reads it; the parser must agree.
Bytes ObsoletePb(const Enc& e, uint16_t ifid, uint64_t ticks, const Bytes& data,
                 uint32_t wirelen) {
  Bytes body;
  e.Put(&body, ifid, 2);
  e.Put(&body, 0, 2);
  e.Put(&body, ticks >> 32, 4);
  e.Put(&body, ticks & 0xFFFFFFFF, 4);
  e.Put(&body, data.size(), 4);
  e.Put(&body, wirelen, 4);
  body.insert(body.end(), data.begin(), data.end());
  while (body.size() % 4) body.push_back(0);
  return e.Block(kBlockPB, body);
}

TEST(PcapngObsoletePacketBlock, ReadLikeTshark) {
  const Enc be{true};
  const Bytes b = Cat({be.Shb(), be.Idb(1, 0), be.Idb(101, 0, Cat({be.Opt(9, Bytes{9}), be.EndOpt()})),
                       ObsoletePb(be, 1, 1700000000123456789ULL, Pattern(42), 60),
                       ObsoletePb(be, 0, 1700000001000001ULL, Pattern(13), 13)});
  Parsed p = Parse(b);
  ASSERT_TRUE(p.result.error.ok()) << p.result.error.ToString();
  ASSERT_EQ(p.packets.size(), 2u);
  EXPECT_EQ(p.packets[0].ifid, 1u);
  EXPECT_EQ(p.packets[0].ts_ns, 1700000000123456789LL);
  EXPECT_EQ(p.packets[0].caplen, 42u);
  EXPECT_EQ(p.packets[0].wirelen, 60u);
  EXPECT_EQ(p.packets[0].data, Pattern(42));
  EXPECT_EQ(p.packets[1].ts_ns, 1700000001000001000LL);
  // A PB naming an interface the section lacks is malformed.
  Parsed bad = Parse(Cat({be.Shb(), be.Idb(1, 0), ObsoletePb(be, 3, 1, Pattern(4), 4)}));
  EXPECT_FALSE(bad.result.error.ok());

  REQUIRE_TOOL("tshark");
  TempDir dir;
  const std::string path = dir.File("pb.pcapng");
  WriteFile(path, b.data(), b.size());
  const auto frames = TsharkFrames(path);
  ASSERT_EQ(frames.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(frames[k].ts_ns, p.packets[k].ts_ns) << frames[k].ts_text;
    EXPECT_EQ(frames[k].caplen, p.packets[k].caplen);
    EXPECT_EQ(frames[k].len, p.packets[k].wirelen);
  }
}

TEST(PcapngParserResumable, OnePacketPerCallEqualsOneParse) {
  // Two sections of opposite byte order, two link types in the first.
  const Enc be{true};
  const Bytes b = Cat({kLE.Shb(), kLE.Idb(1, 0), kLE.Idb(113, 64), kLE.Epb(1, 5, Pattern(9), 9),
                       kLE.Epb(0, 6, Pattern(4), 70), be.Shb(), be.Idb(101, 0),
                       be.Epb(0, 7, Pattern(20), 20)});
  Parsed whole = Parse(b);
  ASSERT_TRUE(whole.result.error.ok());
  PcapngParser parser;
  std::vector<PcapngPacket> got;
  PcapngVisitor v;
  v.on_packet = [&](const PcapngPacket& p) {
    got.push_back(p);
    return false;
  };
  // The span grows block by block, as a file being appended to would.
  for (size_t len = 0; len <= b.size(); len += 4) {
    PcapngParseResult r;
    do {
      r = parser.Parse(b.data(), len, v);
      ASSERT_TRUE(r.error.ok()) << r.error.ToString();
    } while (r.stopped);
  }
  EXPECT_EQ(parser.offset(), b.size());
  ASSERT_EQ(got.size(), whole.packets.size());
  const uint16_t want_lt[3] = {113, 1, 101};
  for (size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k].ts_ns, whole.packets[k].ts_ns);
    EXPECT_EQ(got[k].block_offset, whole.packets[k].offset);
    EXPECT_EQ(got[k].linktype, want_lt[k]);
  }
  ASSERT_EQ(parser.interfaces().size(), 1u);  // the second section's
  EXPECT_EQ(parser.interfaces()[0].linktype, 101);
  // An error sticks.
  Bytes broken = b;
  broken[b.size() - 1] ^= 0x40;  // trailing length of the last block
  PcapngParser p2;
  EXPECT_FALSE(p2.Parse(broken.data(), broken.size(), PcapngVisitor{}).error.ok());
  EXPECT_FALSE(p2.Parse(b.data(), b.size(), PcapngVisitor{}).error.ok());
}

}  // namespace
}  // namespace trove
