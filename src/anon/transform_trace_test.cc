// PacketTransform on whole traces, judged by independent oracles:
//  - tshark reads every scrubbed and scrambled copy of the shared traces
//    (TROVE_SHARED_PCAPS) without a single _ws.malformed, every IPv4 header
//    checksum verifies, and no TCP/UDP/ICMP/ICMPv6 checksum is bad unless it
//    was already bad in the input (checksum validation on);
//  - canary: a unique string planted in every payload (a synthetic trace of
//    many encapsulations, and copies of the shared traces with the string
//    written over each decoded payload) never appears in a scrubbed file, not
//    even 8 bytes of it;
//  - leaks: every address tshark finds in an input (IPv4, IPv6, MAC, in
//    headers, quoted headers, NDP, ARP, DHCP and DNS payloads) is absent
//    from the scrambled file, both as tshark reads it and as raw bytes,
//    except addresses that are themselves pseudonyms of some input address
//    and the broadcast MAC (kept by design);
//  - with the identity mapper, scrambling equals scrubbing on every packet.
// Skips (not fails) when tshark or the traces are missing.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "anon/cryptopan_mapper.h"
#include "anon/packet_transform.h"
#include "capture/file_source.h"
#include "packet/decoder.h"
#include "packet/packet_test_util.h"
#include "util/test_files.h"

#ifndef TROVE_SHARED_PCAPS
#define TROVE_SHARED_PCAPS "../shared/pcaps"
#endif

namespace trove::anon {
namespace {

namespace fs = std::filesystem;
using testing_util::Bytes;
using testing_util::Cat;
using testing_util::Eth;
using testing_util::Icmp;
using testing_util::Ipv4;
using testing_util::Ipv6;
using testing_util::Mpls;
using testing_util::Tag;
using testing_util::Tcp;
using testing_util::Udp;

const std::string kCanary = "TROVE-CANARY-5f1d2e";

struct Pkt {
  int64_t ts_ns = 0;
  uint32_t wirelen = 0;
  Bytes data;
  size_t source_index = 0;  // index of the input packet it came from
};

struct Trace {
  uint16_t dlt = 0;
  std::vector<Pkt> pkts;
};

bool HaveTshark() { return std::system("tshark -v >/dev/null 2>&1") == 0; }

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> v;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      v.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  v.push_back(cur);
  return v;
}

// All packets libpcap can read (stops quietly at a damaged record).
bool ReadTrace(const std::string& path, Trace* t) {
  auto src = FileSource::Open(path);
  if (!src.ok()) return false;
  t->dlt = (*src)->linktype();
  PacketRef r;
  while ((*src)->Read(&r) == PacketSource::ReadResult::kPacket) {
    Pkt p;
    p.ts_ns = r.ts_ns;
    p.wirelen = r.wirelen;
    p.data.assign(r.data, r.data + r.caplen);
    p.source_index = t->pkts.size();
    t->pkts.push_back(std::move(p));
  }
  return true;
}

void WriteTrace(const std::string& path, const Trace& t) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(t.dlt, 262144, PCAP_TSTAMP_PRECISION_NANO);
  ASSERT_NE(dead, nullptr);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(d, nullptr) << pcap_geterr(dead);
  for (const Pkt& p : t.pkts) {
    pcap_pkthdr h{};
    h.ts.tv_sec = p.ts_ns / 1'000'000'000;
    h.ts.tv_usec = p.ts_ns % 1'000'000'000;
    h.caplen = static_cast<uint32_t>(p.data.size());
    h.len = p.wirelen;
    pcap_dump(reinterpret_cast<u_char*>(d), &h, p.data.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
}

Trace Transform(const Trace& in, const LevelPolicy& pol, AddressMapper* m) {
  Trace out;
  out.dlt = in.dlt;
  PacketTransform xf(pol, m);
  ByteBuffer buf;
  for (size_t i = 0; i < in.pkts.size(); ++i) {
    const Pkt& p = in.pkts[i];
    PacketRef r;
    r.ts_ns = p.ts_ns;
    r.caplen = static_cast<uint32_t>(p.data.size());
    r.wirelen = p.wirelen;
    r.linktype = in.dlt;
    r.data = p.data.data();
    DecodedPacket d;
    Decode(r, &d);
    Pkt o;
    if (!xf.Apply(r, d, &buf, &o.wirelen)) continue;
    o.ts_ns = p.ts_ns;
    o.data.assign(buf.data(), buf.data() + buf.size());
    o.source_index = i;
    out.pkts.push_back(std::move(o));
  }
  return out;
}

Bytes FileBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

size_t Count(const Bytes& hay, const Bytes& needle) {
  size_t n = 0;
  for (auto it = hay.begin();
       (it = std::search(it, hay.end(), needle.begin(), needle.end())) != hay.end(); ++it) {
    ++n;
  }
  return n;
}

using testing_util::TempDir;

std::vector<std::string> SharedTraces() {
  std::vector<std::string> v;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(TROVE_SHARED_PCAPS, ec)) {
    const std::string p = e.path().string();
    if (p.ends_with(".pcap") || p.ends_with(".pcapng")) v.push_back(p);
  }
  std::sort(v.begin(), v.end());
  return v;
}

std::unique_ptr<CryptoPAnMapper> TestMapper() {
  uint8_t key[32];
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(0xa0 + 7 * i);
  auto m = CryptoPAnMapper::FromCryptoPAnKey(key);
  if (!m.ok()) std::abort();
  return std::move(m).value();
}

LevelPolicy Level(PrivacyLevel l) { return PolicyForLevel(l); }

// ---- tshark ---------------------------------------------------------------------------

// Per frame: malformed?, and the checksum status lists (comma-separated,
// one per occurrence; 0 = bad, 1 = good, 2 = unverified).
struct FrameChecks {
  bool malformed = false;
  std::string ip, tcp, udp, icmp, icmpv6;
};

// Ordered element by element: std::less<Bytes> (vector's operator<=>, a
// memcmp) draws a false -Wstringop-overread from GCC 12 at -O3.
struct BytesLess {
  bool operator()(const Bytes& a, const Bytes& b) const {
    if (a.size() != b.size()) return a.size() < b.size();
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) return a[i] < b[i];
    return false;
  }
};
using ByteSet = std::set<Bytes, BytesLess>;

struct Addrs {
  ByteSet v4, v6, mac;
};

struct Scan {
  std::vector<FrameChecks> frames;
  Addrs addrs;  // every address tshark shows in the file, in binary form
};

void AddAddress(const std::string& tok, Addrs* a) {
  uint8_t buf[16];
  if (tok.empty()) return;
  if (inet_pton(AF_INET, tok.c_str(), buf) == 1) {
    a->v4.insert(Bytes(buf, buf + 4));
  } else if (inet_pton(AF_INET6, tok.c_str(), buf) == 1) {
    a->v6.insert(Bytes(buf, buf + 16));
  } else if (tok.size() == 17 && tok[2] == ':') {
    unsigned v[6];
    if (std::sscanf(tok.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) ==
        6) {
      Bytes m(6);
      for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
      a->mac.insert(m);
    }
  }
}

// One tshark run per distinct file content (memoized: the tests share
// inputs), checksum validation on.
const Scan& ScanFile(const std::string& path) {
  static const char* kChecks[] = {"_ws.malformed",        "ip.checksum.status",
                                  "tcp.checksum.status",  "udp.checksum.status",
                                  "icmp.checksum.status", "icmpv6.checksum.status"};
  static const char* kAddrs[] = {"ip.addr",
                                 "ipv6.addr",
                                 "eth.addr",
                                 "arp.src.hw_mac",
                                 "arp.src.proto_ipv4",
                                 "arp.dst.hw_mac",
                                 "arp.dst.proto_ipv4",
                                 "icmp.redir_gw",
                                 "icmpv6.nd.ns.target_address",
                                 "icmpv6.nd.na.target_address",
                                 "icmpv6.nd.rd.target_address",
                                 "icmpv6.opt.linkaddr",
                                 "icmpv6.opt.prefix",
                                 "icmpv6.opt.rdnss",
                                 "icmpv6.mld.multicast_address",
                                 "icmpv6.mldr.mar.multicast_address",
                                 "icmpv6.mldr.mar.source_address",
                                 "ip.rec_rt",
                                 "ip.src_rt",
                                 "sll.src.eth",
                                 "dhcp.hw.mac_addr",
                                 "dhcp.ip.client",
                                 "dhcp.ip.your",
                                 "dhcp.ip.server",
                                 "dhcp.ip.relay",
                                 "dns.a",
                                 "dns.aaaa"};
  static std::map<std::string, Scan> memo;
  const Bytes content = FileBytes(path);
  const std::string key(content.begin(), content.end());
  auto it = memo.find(key);
  if (it != memo.end()) return it->second;
  std::string cmd = "tshark -n -r '" + path +
                    "' -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "
                    "-o udp.check_checksum:TRUE -T fields -E occurrence=a -E aggregator=,";
  for (const char* f : kChecks) cmd += std::string(" -e ") + f;
  for (const char* f : kAddrs) cmd += std::string(" -e ") + f;
  cmd += " 2>/dev/null";
  Scan scan;
  std::istringstream in(Shell(cmd));
  std::string line;
  while (std::getline(in, line)) {
    auto f = Split(line, '\t');
    f.resize(6 + std::size(kAddrs));
    scan.frames.push_back({!f[0].empty(), f[1], f[2], f[3], f[4], f[5]});
    for (size_t i = 6; i < f.size(); ++i) {
      for (const std::string& tok : Split(f[i], ',')) AddAddress(tok, &scan.addrs);
    }
  }
  return memo.emplace(key, std::move(scan)).first->second;
}

bool HasBad(const std::string& statuses) {
  for (const auto& s : Split(statuses, ','))
    if (s == "0") return true;
  return false;
}

TEST(TransformTrace, TsharkReadsEveryOutputWithoutMalformedOrNewBadChecksums) {
  if (!HaveTshark()) GTEST_SKIP() << "tshark not installed";
  auto traces = SharedTraces();
  if (traces.empty()) GTEST_SKIP() << "no shared traces in " << TROVE_SHARED_PCAPS;
  TempDir dir;
  auto mapper = TestMapper();
  int checked = 0;
  for (const std::string& path : traces) {
    Trace in;
    if (!ReadTrace(path, &in) || in.pkts.empty()) continue;
    const std::string in_copy = dir / "in.pcap";  // as libpcap read it (drops damaged tails)
    WriteTrace(in_copy, in);
    const auto& before = ScanFile(in_copy).frames;
    ASSERT_EQ(before.size(), in.pkts.size()) << path;
    for (PrivacyLevel level : {PrivacyLevel::kScrubbed, PrivacyLevel::kScrambled}) {
      Trace out = Transform(in, Level(level), mapper.get());
      const std::string out_path = dir / "out.pcap";
      WriteTrace(out_path, out);
      const auto& after = ScanFile(out_path).frames;
      ASSERT_EQ(after.size(), out.pkts.size()) << path;
      const std::string what = path + " " + ToString(level) + " frame ";
      for (size_t i = 0; i < after.size(); ++i) {
        const FrameChecks& a = after[i];
        const FrameChecks& b = before[out.pkts[i].source_index];
        const std::string at = what + std::to_string(i + 1);
        EXPECT_FALSE(a.malformed) << at;
        EXPECT_FALSE(HasBad(a.ip)) << at << ": IPv4 header checksum " << a.ip;
        EXPECT_FALSE(HasBad(a.tcp) && !HasBad(b.tcp)) << at << ": TCP " << a.tcp;
        EXPECT_FALSE(HasBad(a.udp) && !HasBad(b.udp)) << at << ": UDP " << a.udp;
        EXPECT_FALSE(HasBad(a.icmp) && !HasBad(b.icmp)) << at << ": ICMP " << a.icmp;
        EXPECT_FALSE(HasBad(a.icmpv6) && !HasBad(b.icmpv6)) << at << ": ICMPv6 " << a.icmpv6;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

// ---- Canary ----------------------------------------------------------------------

Bytes CanaryBytes(size_t n) {
  Bytes b;
  while (b.size() < n) b.insert(b.end(), kCanary.begin(), kCanary.end());
  b.resize(n);
  return b;
}

// Every 8-byte window of the canary, for partial leaks.
void ExpectNoCanary(const Bytes& file, const std::string& what) {
  for (size_t i = 0; i + 8 <= kCanary.size(); ++i) {
    const Bytes w(kCanary.begin() + i, kCanary.begin() + i + 8);
    ASSERT_EQ(Count(file, w), 0u) << what << ": canary bytes \"" << std::string(w.begin(), w.end())
                                  << "\" found";
  }
}

// Many encapsulations, each carrying the canary where nothing may survive.
Trace SyntheticCanaryTrace() {
  const Bytes c = CanaryBytes(40);
  const Bytes c19(kCanary.begin(), kCanary.end());
  std::vector<Bytes> eth;
  auto v4 = [](uint8_t proto, const Bytes& body) {
    return Cat({Eth(0x0800), Ipv4(proto, static_cast<uint16_t>(20 + body.size())), body});
  };
  auto v6 = [](uint8_t nh, const Bytes& body) {
    return Cat({Eth(0x86dd), Ipv6(nh, static_cast<uint16_t>(body.size())), body});
  };
  eth.push_back(v4(6, Cat({Tcp(1, 80, 0x18), c})));
  eth.push_back(v4(17, Cat({Udp(53, 53, 48), c})));
  eth.push_back(v4(1, Cat({Icmp(8, 0, 1, 1), c})));
  eth.push_back(v4(1, Cat({Icmp(0, 0, 1, 1), c})));
  eth.push_back(v4(1, Cat({Icmp(13, 0, 1, 1), c})));  // timestamp: payload cut
  eth.push_back(v4(1, Cat({Icmp(99, 0, 1, 1), c})));  // unknown type
  eth.push_back(v6(6, Cat({Tcp(1, 443, 0x18), c})));
  eth.push_back(v6(17, Cat({Udp(1, 2, 48), c})));
  eth.push_back(v6(58, Cat({Icmp(128, 0, 1, 1), c})));
  // Fragments: first (UDP) and non-first.
  eth.push_back(Cat({Eth(0x0800), Ipv4(17, 20 + 48, 5, 0x2000), Udp(1, 2, 500), c}));
  eth.push_back(Cat({Eth(0x0800), Ipv4(17, 20 + 40, 5, 0x0010), c}));
  eth.push_back(v6(44, Cat({Bytes{17, 0, 0x01, 0x00, 0, 0, 0, 9}, c})));
  // Tunnels.
  eth.push_back(v4(47, Cat({Bytes{0, 0, 8, 0}, Ipv4(6, 60), Tcp(1, 2, 0x18), c})));
  eth.push_back(v4(47, Cat({Bytes{0x30, 0, 0x86, 0xdd, 0, 0, 0, 1, 0, 0, 0, 2}, Ipv6(17, 48),
                            Udp(1, 2, 48), c})));
  eth.push_back(v4(47, Cat({Bytes{0, 0, 0x65, 0x58}, Eth(0x0800), c})));  // TEB
  eth.push_back(v4(
      47, Cat({Bytes{0x30, 0x81, 0x88, 0x0b, 0, 40, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2}, c})));  // PPTP
  eth.push_back(v4(47, Cat({Bytes{0, 0, 0x88, 0xbe}, c})));                                // ERSPAN
  eth.push_back(v4(4, Cat({Ipv4(17, 68), Udp(1, 2, 48), c})));
  eth.push_back(v4(41, Cat({Ipv6(6, 60), Tcp(1, 2, 0x18), c})));
  eth.push_back(v6(41, Cat({Ipv6(58, 48), Icmp(128, 0, 1, 2), c})));
  eth.push_back(v4(4, Cat({Ipv4(47, 64), Bytes{0, 0, 8, 0}, Ipv4(17, 68), Udp(1, 2, 48), c})));
  // ICMP errors quoting datagrams whose payload is the canary.
  eth.push_back(v4(1, Cat({Icmp(3, 3, 0, 0), Ipv4(17, 68), Udp(1, 53, 48), c})));
  eth.push_back(v4(1, Cat({Icmp(11, 0, 0, 0), Ipv4(6, 80), Tcp(1, 2, 0x18), c})));
  eth.push_back(v4(1, Cat({Icmp(3, 4, 0, 0), Ipv4(1, 68), Icmp(8, 0, 1, 1), c})));
  eth.push_back(v6(58, Cat({Icmp(1, 4, 0, 0), Ipv6(17, 48), Udp(1, 2, 48), c})));
  eth.push_back(v6(58, Cat({Icmp(3, 0, 0, 0), Ipv6(58, 48), Icmp(128, 0, 1, 1), c})));
  // Non-IP.
  eth.push_back(Cat({Eth(0x88cc), c}));
  eth.push_back(Cat({Eth(40), Bytes{0x42, 0x42, 0x03}, c}));  // 802.3 + LLC (STP)
  eth.push_back(Cat({Eth(0x0806), Bytes{0, 1, 8, 0, 6, 4, 0, 1}, Bytes(20, 1), c}));
  eth.push_back(Cat({Eth(0x0806), Bytes{0, 1, 8, 0, 9, 4, 0, 1}, c}));
  eth.push_back(Cat({Eth(0x0806), Bytes{0, 19, 8, 0, 6, 4, 0, 1}, c}));  // ATM ARP
  eth.push_back(Cat({Eth(0x8847), Mpls(5, true), Eth(0x0800), c}));      // EoMPLS
  eth.push_back(Cat({Eth(0x8100), Tag(7, 0x0800), Ipv4(17, 68), Udp(1, 2, 48), c}));
  eth.push_back(Cat({Eth(0x8864), c}));  // PPPoE
  // Unknown IP protocols.
  eth.push_back(v4(50, Cat({Bytes{0, 0, 1, 0, 0, 0, 0, 1}, c})));  // ESP
  eth.push_back(v6(132, c));                                       // SCTP
  eth.push_back(v6(59, c));                                        // no next header
  // Options and extension headers carrying the canary.
  {
    Bytes ip = Ipv4(17, 20 + 24 + 8 + 40);
    ip[0] = 0x4b;  // IHL 11: 24 bytes of options
    eth.push_back(Cat({Eth(0x0800), ip, Bytes{0x99, 21}, c19, Bytes{0, 0, 0}, Udp(1, 2, 48), c}));
  }
  eth.push_back(v6(60, Cat({Bytes{17, 2, 0x1e, 19}, c19, Bytes{1, 1, 0}, Udp(1, 2, 48), c})));
  eth.push_back(v6(0, Cat({Bytes{17, 2, 0x1e, 19}, c19, Bytes{0, 0, 0}, Udp(1, 2, 48), c})));
  eth.push_back(v6(43, Cat({Bytes{17, 4, 4, 1, 0, 0, 0, 0}, CanaryBytes(32), Udp(1, 2, 48), c})));
  eth.push_back(v6(43, Cat({Bytes{17, 2, 3, 1, 0, 0, 0, 0}, CanaryBytes(16), Udp(1, 2, 48), c})));
  eth.push_back(v6(51, Cat({Bytes{17, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 9}, CanaryBytes(12),
                            Udp(1, 2, 48), c})));                      // AH ICV
  eth.push_back(v6(135, Cat({Bytes{59, 2, 5, 0}, CanaryBytes(20)})));  // mobility
  // NDP: unknown option and redirected-header option with the canary.
  eth.push_back(v6(58, Cat({Bytes{134, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Bytes{31, 3},
                            CanaryBytes(22)})));
  eth.push_back(v6(58, Cat({Bytes{137, 0, 0, 0, 0, 0, 0, 0}, Bytes(32, 0x20), Bytes{4, 6},
                            Bytes(6, 0), Ipv6(17, 48), c})));
  // MLD with a canary group "address".
  eth.push_back(v6(58, Cat({Bytes{131, 0, 0, 0, 0, 0, 0, 0}, CanaryBytes(16)})));
  Trace t;
  t.dlt = kLinkEthernet;
  int64_t ts = 1'700'000'000'000'000'000;
  for (Bytes& b : eth) {
    Pkt p;
    p.ts_ns = ts += 1000;
    p.wirelen = static_cast<uint32_t>(b.size());
    p.data = std::move(b);
    t.pkts.push_back(std::move(p));
  }
  return t;
}

TEST(TransformTrace, CanaryNeverSurvivesScrubbingSynthetic) {
  TempDir dir;
  Trace in = SyntheticCanaryTrace();
  // TCP with an unknown option carrying the canary: removed when options are
  // normalized or stripped (kept by design under --tcp-options keep).
  Bytes tcp = Tcp(1, 2, 0x18, 11);
  tcp[20] = 0xfd;  // experimental option, length 23
  tcp[21] = 23;
  std::copy(kCanary.begin(), kCanary.end(), tcp.begin() + 22);
  Bytes opt_pkt = Cat({Eth(0x0800), Ipv4(6, static_cast<uint16_t>(20 + tcp.size())), tcp});
  // SLL, SLL2, NULL and raw copies of the first Ethernet packets.
  Trace sll = in, null = in, raw = in;
  sll.dlt = kLinkLinuxSll;
  null.dlt = kLinkNull;
  raw.dlt = kLinkRaw;
  for (auto* t : {&sll, &null, &raw}) {
    for (Pkt& p : t->pkts) {
      Bytes body(p.data.begin() + 14, p.data.end());
      const uint16_t type = static_cast<uint16_t>(p.data[12] << 8 | p.data[13]);
      if (t == &sll) {
        p.data = Cat({Bytes{0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, testing_util::Hi(type),
                            testing_util::Lo(type)},
                      body});
      } else if (t == &null) {
        p.data = Cat({Bytes{static_cast<uint8_t>(type == 0x86dd ? 30 : 2), 0, 0, 0}, body});
      } else {
        p.data = body;
      }
      p.wirelen = static_cast<uint32_t>(p.data.size());
    }
  }
  auto mapper = TestMapper();
  int files = 0;
  for (Trace* t : {&in, &sll, &null, &raw}) {
    const std::string raw_path = dir / "raw.pcap";
    WriteTrace(raw_path, *t);
    ASSERT_GE(Count(FileBytes(raw_path), Bytes(kCanary.begin(), kCanary.end())), t->pkts.size());
    for (PrivacyLevel level : {PrivacyLevel::kScrubbed, PrivacyLevel::kScrambled}) {
      Trace out = Transform(*t, Level(level), mapper.get());
      if (t == &in) {
        Trace o2 = in;
        o2.pkts.resize(1);
        o2.pkts[0].data = opt_pkt;
        o2.pkts[0].wirelen = static_cast<uint32_t>(opt_pkt.size());
        LevelPolicy p = Level(level);
        p.tcp_options = TcpOptions::kNormalize;
        out.pkts.push_back(Transform(o2, p, mapper.get()).pkts.at(0));
        p.tcp_options = TcpOptions::kStrip;
        out.pkts.push_back(Transform(o2, p, mapper.get()).pkts.at(0));
      }
      // Also every prefix of every packet (captures cut anywhere).
      Trace cut;
      cut.dlt = t->dlt;
      for (const Pkt& p : t->pkts) {
        for (size_t n = 0; n < p.data.size(); n += 7) {
          Pkt q = p;
          q.data.resize(n);
          cut.pkts.push_back(q);
        }
      }
      Trace cut_out = Transform(cut, Level(level), mapper.get());
      out.pkts.insert(out.pkts.end(), cut_out.pkts.begin(), cut_out.pkts.end());
      const std::string out_path = dir / "out.pcap";
      WriteTrace(out_path, out);
      ExpectNoCanary(FileBytes(out_path),
                     std::string(ToString(level)) + " dlt " + std::to_string(t->dlt));
      ++files;
    }
  }
  EXPECT_EQ(files, 8);
}

// Writes the canary over every payload the decoder finds (and over
// everything after the link header of non-IP frames, and after ARP's fixed
// 28 bytes) in a copy of each shared trace; none may survive scrubbing.
TEST(TransformTrace, CanaryNeverSurvivesScrubbingSharedTraces) {
  auto traces = SharedTraces();
  if (traces.empty()) GTEST_SKIP() << "no shared traces";
  TempDir dir;
  auto mapper = TestMapper();
  size_t planted = 0;
  for (const std::string& path : traces) {
    Trace in;
    if (!ReadTrace(path, &in) || in.pkts.empty()) continue;
    for (Pkt& p : in.pkts) {
      PacketRef r;
      r.caplen = static_cast<uint32_t>(p.data.size());
      r.wirelen = p.wirelen;
      r.linktype = in.dlt;
      r.data = p.data.data();
      DecodedPacket d;
      Decode(r, &d);
      size_t from = 0, len = 0;
      if (d.payload_off != 0) {
        from = d.payload_off;
        len = d.payload_len;
        // NDP messages have no payload: after their fixed body (RFC 4861)
        // come options. Plant there.
        const uint32_t ndp_body[] = {8, 16, 24, 24, 40};  // types 133..137
        if (d.ip_proto == 58 && d.icmp_type >= 133 && d.icmp_type <= 137) {
          const size_t skip = ndp_body[d.icmp_type - 133] - 8;
          from += std::min<size_t>(skip, len);
          len -= std::min<size_t>(skip, len);
        }
      } else if (d.l3 == L3::kArp && p.data.size() > d.l3_off + 28u) {
        from = d.l3_off + 28u;
        len = p.data.size() - from;
      } else if (d.l3 == L3::kOther) {
        from = d.l3_off;
        len = p.data.size() - from;
      }
      if (len < kCanary.size()) continue;
      const Bytes c = CanaryBytes(len);
      std::copy(c.begin(), c.end(), p.data.begin() + from);
      ++planted;
    }
    const std::string planted_path = dir / "planted.pcap";
    WriteTrace(planted_path, in);
    for (PrivacyLevel level : {PrivacyLevel::kScrubbed, PrivacyLevel::kScrambled}) {
      const std::string out_path = dir / "out.pcap";
      WriteTrace(out_path, Transform(in, Level(level), mapper.get()));
      ExpectNoCanary(FileBytes(out_path), path + " " + ToString(level));
    }
  }
  EXPECT_GT(planted, 5000u);
}

// ---- Address leaks -------------------------------------------------------------------

// IPv4 or MAC with at least two bytes that are 0x00 or 0xff.
bool LowEntropy(const Bytes& a) {
  if (a.size() == 16) return false;
  return std::count_if(a.begin(), a.end(), [](uint8_t b) { return b == 0 || b == 0xff; }) >= 2;
}

TEST(TransformTrace, NoInputAddressSurvivesScrambling) {
  if (!HaveTshark()) GTEST_SKIP() << "tshark not installed";
  auto traces = SharedTraces();
  if (traces.empty()) GTEST_SKIP() << "no shared traces";
  TempDir dir;
  auto mapper = TestMapper();
  size_t searched = 0, searched_raw = 0;
  for (const std::string& path : traces) {
    Trace in;
    if (!ReadTrace(path, &in) || in.pkts.empty()) continue;
    const std::string in_copy = dir / "in.pcap";
    WriteTrace(in_copy, in);
    const Addrs& inputs = ScanFile(in_copy).addrs;
    // Pseudonyms of input addresses may legitimately equal other input
    // addresses; the broadcast MAC is its own pseudonym by design.
    Addrs images;
    for (const Bytes& a : inputs.v4) {
      Bytes m(4);
      mapper->Map4(a.data(), m.data());
      images.v4.insert(m);
    }
    for (const Bytes& a : inputs.v6) {
      Bytes m(16);
      mapper->Map6(a.data(), m.data());
      images.v6.insert(m);
    }
    for (const Bytes& a : inputs.mac) {
      Bytes m(6);
      mapper->MapMac(a.data(), m.data());
      images.mac.insert(m);
    }
    const Bytes broadcast(6, 0xff);

    const std::string out_path = dir / "out.pcap";
    WriteTrace(out_path, Transform(in, Level(PrivacyLevel::kScrambled), mapper.get()));
    const Bytes file = FileBytes(out_path);
    const Addrs& seen = ScanFile(out_path).addrs;
    auto check = [&](const ByteSet& in_set, const ByteSet& img, const ByteSet& out_set,
                     const char* kind) {
      for (const Bytes& a : in_set) {
        if (img.count(a) || a == broadcast) continue;
        ++searched;
        EXPECT_EQ(out_set.count(a), 0u) << path << ": tshark finds input " << kind << " "
                                        << testing::PrintToString(a) << " in the output";
        // Raw bytes: only for addresses with enough entropy that a chance
        // match is implausible. A 4- or 6-byte pattern made mostly of 00/ff
        // bytes turns up by coincidence (zeroed fields, NOP runs, a
        // broadcast MAC next to a pseudonym starting with the right byte):
        // those are left to the positional (tshark) check above.
        if (LowEntropy(a)) continue;
        ++searched_raw;
        EXPECT_EQ(Count(file, a), 0u) << path << ": input " << kind << " "
                                      << testing::PrintToString(a) << " in the output bytes";
      }
    };
    check(inputs.v4, images.v4, seen.v4, "IPv4");
    check(inputs.v6, images.v6, seen.v6, "IPv6");
    check(inputs.mac, images.mac, seen.mac, "MAC");
  }
  EXPECT_GT(searched, 300u);
  EXPECT_GT(searched_raw, 250u);
}

// ---- IPv4 pseudonyms against traceanon -------------------------------------------------

// libtrace's traceanon (Crypto-PAn, IPv4 source and destination) with the
// same key must give the same outer IPv4 addresses, frame by frame.
TEST(TransformTrace, Ipv4PseudonymsMatchTraceanon) {
  if (!HaveTshark() || std::system("command -v traceanon >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "tshark or traceanon not installed";
  TempDir dir;
  const std::string key = dir / "key";
  {
    std::ofstream k(key, std::ios::binary);
    for (int i = 0; i < 32; ++i) k.put(static_cast<char>(0xa0 + 7 * i));  // no zero byte
  }
  auto mapper = TestMapper();  // the same key
  auto outer_ips = [](const std::string& path) {
    return Split(Shell("tshark -n -r '" + path +
                       "' -T fields -E occurrence=f -e ip.src -e ip.dst 2>/dev/null"),
                 '\n');
  };
  size_t compared = 0;
  // Untagged Ethernet only: traceanon leaves SLL, QinQ and raw-IP frames
  // alone ("Unknown ARPHRD", "Unable to determine linktype").
  for (const char* name : {"ndpi_ftp.pcap", "tcpdump_afs.pcap", "ndpi_teams.pcap",
                           "tcpdump_ssh.pcap", "ndpi_dns_fragmented.pcap"}) {
    Trace in;
    if (!ReadTrace(std::string(TROVE_SHARED_PCAPS) + "/" + name, &in)) continue;
    const std::string in_copy = dir / "in.pcap", ta = dir / "ta.pcap", ours = dir / "ours.pcap";
    WriteTrace(in_copy, in);
    ASSERT_EQ(std::system(("traceanon -s -d -f '" + key + "' 'pcapfile:" + in_copy +
                           "' 'pcapfile:" + ta + "' >/dev/null 2>&1")
                              .c_str()),
              0)
        << name;
    Trace out = Transform(in, Level(PrivacyLevel::kScrambled), mapper.get());
    WriteTrace(ours, out);
    const auto want = outer_ips(ta), got = outer_ips(ours);
    ASSERT_EQ(got.size(), out.pkts.size() + 1) << name;  // + the empty string after the last \n
    for (size_t i = 0; i < out.pkts.size(); ++i) {
      const std::string& w = want.at(out.pkts[i].source_index);
      if (w.empty() || w == "\t") continue;
      EXPECT_EQ(got[i], w) << name << " frame " << i + 1;
      ++compared;
    }
  }
  EXPECT_GT(compared, 4000u);
}

// ---- Identity property ------------------------------------------------------------------

TEST(TransformTrace, IdentityMapperScrambleEqualsScrubOnSharedTraces) {
  auto traces = SharedTraces();
  if (traces.empty()) GTEST_SKIP() << "no shared traces";
  IdentityMapper id;
  size_t packets = 0;
  for (const std::string& path : traces) {
    Trace in;
    if (!ReadTrace(path, &in)) continue;
    for (TcpOptions t : {TcpOptions::kKeep, TcpOptions::kNormalize}) {
      LevelPolicy scrub = Level(PrivacyLevel::kScrubbed),
                  scramble = Level(PrivacyLevel::kScrambled);
      scrub.tcp_options = scramble.tcp_options = t;
      Trace a = Transform(in, scrub, nullptr), b = Transform(in, scramble, &id);
      ASSERT_EQ(a.pkts.size(), b.pkts.size()) << path;
      for (size_t i = 0; i < a.pkts.size(); ++i) {
        ASSERT_EQ(a.pkts[i].data, b.pkts[i].data) << path << " packet " << i;
        ASSERT_EQ(a.pkts[i].wirelen, b.pkts[i].wirelen);
      }
      packets += a.pkts.size();
    }
  }
  EXPECT_GT(packets, 10000u);
}

// ---- The CLI (once the lead has registered it) -------------------------------------------

#ifdef TROVE_BINARY
TEST(TransformTrace, CliMatchesLibraryAndReportsErrors) {
  const std::string bin = TROVE_BINARY;
  if (std::system(("'" + bin + "' anon --help >/dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << bin << " has no anon command yet";
  TempDir dir;
  const std::string trace = std::string(TROVE_SHARED_PCAPS) + "/tcpdump_QinQpacket.pcap";
  Trace in;
  if (!ReadTrace(trace, &in)) GTEST_SKIP() << "no " << trace;
  // Key file: 64 hex digits, mode 0600.
  const std::string key = dir / "key";
  {
    std::ofstream k(key);
    for (int i = 0; i < 32; ++i) {
      char b[3];
      std::snprintf(b, sizeof b, "%02x", (0xa0 + 7 * i) & 0xff);
      k << b;
    }
    k << "\n";
  }
  ::chmod(key.c_str(), 0600);
  const std::string out = dir / "out.pcap";
  const std::string json = Shell("'" + bin + "' anon --level scrambled --cryptopan-key '" + key +
                                 "' --json '" + trace + "' '" + out + "'");
  EXPECT_NE(json.find("\"packets_out\": " + std::to_string(in.pkts.size())), std::string::npos)
      << json;
  Trace got;
  ASSERT_TRUE(ReadTrace(out, &got));
  auto mapper = TestMapper();
  Trace want = Transform(in, Level(PrivacyLevel::kScrambled), mapper.get());
  ASSERT_EQ(got.pkts.size(), want.pkts.size());
  for (size_t i = 0; i < got.pkts.size(); ++i) {
    EXPECT_EQ(got.pkts[i].data, want.pkts[i].data) << i;
    EXPECT_EQ(got.pkts[i].ts_ns, want.pkts[i].ts_ns) << i;
    EXPECT_EQ(got.pkts[i].wirelen, want.pkts[i].wirelen) << i;
  }
  // pcapng output reads back the same.
  const std::string ng = dir / "out.pcapng";
  ASSERT_EQ(std::system(("'" + bin + "' anon --level scrubbed --format pcapng '" + trace + "' '" +
                         ng + "' >/dev/null")
                            .c_str()),
            0);
  Trace got_ng;
  ASSERT_TRUE(ReadTrace(ng, &got_ng));
  Trace want_ng = Transform(in, Level(PrivacyLevel::kScrubbed), nullptr);
  ASSERT_EQ(got_ng.pkts.size(), want_ng.pkts.size());
  for (size_t i = 0; i < got_ng.pkts.size(); ++i)
    EXPECT_EQ(got_ng.pkts[i].data, want_ng.pkts[i].data);
  // Usage errors: exit 2.
  EXPECT_EQ(WEXITSTATUS(std::system(
                ("'" + bin + "' anon --level scrambled '" + trace + "' '" + out + "' 2>/dev/null")
                    .c_str())),
            2);
  // A damaged input: exit 2, the message names the file and the offset.
  const std::string bad = std::string(TROVE_SHARED_PCAPS) + "/dpkt_truncated_dns_2.pcap";
  const std::string err =
      Shell("'" + bin + "' anon --level scrubbed '" + bad + "' '" + out + "' 2>&1 >/dev/null");
  EXPECT_NE(err.find("dpkt_truncated_dns_2.pcap: offset 240"), std::string::npos) << err;
}
#endif

}  // namespace
}  // namespace trove::anon
