// PacketTransform on hand-built packets. The oracle for every case is an
// expected packet built independently: the full input packet with the
// expected rewrites applied by hand (addresses through the same mapper,
// options as the policy says), every checksum recomputed from scratch by a
// plain RFC 1071 loop over the whole original message, then cut where the
// rules say. So "incremental update" is checked against "what a full
// recomputation over the original payload with the new headers gives".
// Every packet is also run from an exactly-sized heap copy at every caplen
// (ASan sees any read past the end), twice (determinism).

#include "anon/packet_transform.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "packet/decoder.h"
#include "packet/packet_test_util.h"

namespace trove::anon {
namespace {

using testing_util::Bytes;
using testing_util::Cat;
using testing_util::Eth;
using testing_util::Hi;
using testing_util::Icmp;
using testing_util::Ipv4;
using testing_util::Ipv6;
using testing_util::Lo;
using testing_util::Mpls;
using testing_util::Payload;
using testing_util::Tag;
using testing_util::Tcp;
using testing_util::Udp;

// ---- Oracles -----------------------------------------------------------------

uint32_t Words(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) s += static_cast<uint32_t>(p[n - 1]) << 8;
  return s;
}
uint16_t Fold(uint32_t s) {
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<uint16_t>(s);
}
void Put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = Hi(v);
  b[at + 1] = Lo(v);
}
uint16_t Get16(const Bytes& b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }

void SetIpv4Csum(Bytes& p, size_t ip) {
  const size_t ihl = (p[ip] & 0x0F) * 4u;
  Put16(p, ip + 10, 0);
  Put16(p, ip + 10, static_cast<uint16_t>(~Fold(Words(p.data() + ip, ihl))));
}

// Pseudo-header sum for an upper-layer message of `len` bytes.
uint32_t Pseudo(const uint8_t* src, const uint8_t* dst, size_t alen, uint8_t proto, size_t len) {
  uint32_t s = Words(src, alen) + Words(dst, alen) + proto;
  s += static_cast<uint32_t>(len >> 16) + static_cast<uint32_t>(len & 0xFFFF);
  return s;
}

// Recomputes the checksum at p[l4 + rel] over [l4, l4 + len) (+ pseudo-header
// when src is given).
void SetL4Csum(Bytes& p, size_t l4, size_t len, size_t rel, const uint8_t* src = nullptr,
               const uint8_t* dst = nullptr, size_t alen = 0, uint8_t proto = 0) {
  Put16(p, l4 + rel, 0);
  uint32_t s = Words(p.data() + l4, len);
  if (src) s += Pseudo(src, dst, alen, proto, len);
  uint16_t c = static_cast<uint16_t>(~Fold(s));
  if (proto == 17 && c == 0) c = 0xFFFF;
  Put16(p, l4 + rel, c);
}
// The same, addresses taken from the IPv4/IPv6 header at ip.
void SetL4CsumIp(Bytes& p, size_t ip, size_t l4, size_t len, size_t rel, uint8_t proto) {
  const bool v6 = (p[ip] >> 4) == 6;
  if (v6) {
    SetL4Csum(p, l4, len, rel, p.data() + ip + 8, p.data() + ip + 24, 16, proto);
  } else {
    SetL4Csum(p, l4, len, rel, p.data() + ip + 12, p.data() + ip + 16, 4, proto);
  }
}

Bytes Prefix(const Bytes& b, size_t n) {
  return Bytes(b.begin(), b.begin() + std::min(n, b.size()));
}

Bytes V4(uint32_t a) {
  return {static_cast<uint8_t>(a >> 24), static_cast<uint8_t>(a >> 16),
          static_cast<uint8_t>(a >> 8), static_cast<uint8_t>(a)};
}
Bytes V6(uint8_t last, uint8_t first = 0x20) {
  Bytes b(16, 0);
  b[0] = first;
  b[1] = first == 0x20 ? 0x01 : 0x80;
  b[2] = 0x0d;
  b[3] = 0xb8;
  b[15] = last;
  return b;
}
Bytes Mac(uint8_t last) { return {0x02, 0x00, 0x5e, 0x10, 0x20, last}; }

// In-place rewrites with the test mapper (expected values).
XorMapper g_xor;
void X4(Bytes& b, size_t at) {
  uint8_t t[4];
  std::memcpy(t, &b[at], 4);
  g_xor.Map4(t, &b[at]);
}
void X6(Bytes& b, size_t at) {
  uint8_t t[16];
  std::memcpy(t, &b[at], 16);
  g_xor.Map6(t, &b[at]);
}
void XMac(Bytes& b, size_t at) {
  uint8_t t[6];
  std::memcpy(t, &b[at], 6);
  g_xor.MapMac(t, &b[at]);
}

// ---- Running the transform -------------------------------------------------

struct Out {
  bool kept = false;
  Bytes bytes;
  uint32_t wirelen = 0;
};

LevelPolicy Scrub(TcpOptions t = TcpOptions::kKeep) {
  LevelPolicy p = PolicyForLevel(PrivacyLevel::kScrubbed);
  p.tcp_options = t;
  return p;
}
LevelPolicy Scramble(TcpOptions t = TcpOptions::kNormalize) {
  LevelPolicy p = PolicyForLevel(PrivacyLevel::kScrambled);
  p.tcp_options = t;
  return p;
}

Out RunOnce(const Bytes& pkt, uint16_t linktype, const LevelPolicy& pol, AddressMapper* m,
            size_t caplen, uint32_t wirelen) {
  caplen = std::min(caplen, pkt.size());
  std::unique_ptr<uint8_t[]> copy(caplen ? new uint8_t[caplen] : nullptr);
  if (caplen) std::memcpy(copy.get(), pkt.data(), caplen);
  PacketRef ref;
  ref.caplen = static_cast<uint32_t>(caplen);
  ref.wirelen = wirelen;
  ref.linktype = linktype;
  ref.data = copy.get();
  DecodedPacket d;
  Decode(ref, &d);
  PacketTransform t(pol, m);
  ByteBuffer buf;
  Out o;
  o.kept = t.Apply(ref, d, &buf, &o.wirelen);
  o.bytes.assign(buf.data(), buf.data() + buf.size());
  return o;
}

// Runs at the given caplen (default: all) and checks the invariants.
Out Xf(const Bytes& pkt, uint16_t linktype, const LevelPolicy& pol, size_t caplen = SIZE_MAX) {
  AddressMapper* m = pol.needs_mapper() ? &g_xor : nullptr;
  const uint32_t wirelen = static_cast<uint32_t>(pkt.size());
  Out o = RunOnce(pkt, linktype, pol, m, caplen, wirelen);
  Out again = RunOnce(pkt, linktype, pol, m, caplen, wirelen);
  EXPECT_EQ(o.bytes, again.bytes) << "not deterministic";
  EXPECT_LE(o.bytes.size(), std::min(caplen, pkt.size()));
  EXPECT_EQ(o.wirelen, wirelen);
  EXPECT_EQ(o.kept, !o.bytes.empty());
  return o;
}

std::string Hex(const Bytes& b) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < b.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    s += buf;
    if (i % 16 == 15)
      s += '\n';
    else if (i % 2)
      s += ' ';
  }
  return s;
}
#define EXPECT_BYTES(actual, expected) EXPECT_EQ(Hex(actual), Hex(expected))

// ---- Builders ------------------------------------------------------------------

// Ethernet/IPv4/TCP with `n` payload bytes, all checksums correct.
Bytes TcpV4(size_t n, Bytes tcp = Tcp(40000, 80, 0x18)) {
  Bytes p =
      Cat({Eth(0x0800), Ipv4(6, static_cast<uint16_t>(20 + tcp.size() + n)), tcp, Payload(n, 'P')});
  SetIpv4Csum(p, 14);
  SetL4CsumIp(p, 14, 34, tcp.size() + n, 16, 6);
  return p;
}

// Applies the scramble rewrites of an Ethernet/IPv4 packet's outer headers.
void XEthV4(Bytes& p) {
  XMac(p, 0);
  XMac(p, 6);
  X4(p, 26);
  X4(p, 30);
}

// ---- Scrub -----------------------------------------------------------------------

TEST(Scrub, TcpKeepsHeadersOnlyAndChangesNothingElse) {
  Bytes p = TcpV4(100);
  Out o = Xf(p, 1, Scrub());
  ASSERT_TRUE(o.kept);
  EXPECT_BYTES(o.bytes, Prefix(p, 54));
}

TEST(Scrub, UdpIcmpKeepTheirHeaders) {
  Bytes u = Cat({Eth(0x0800), Ipv4(17, 20 + 8 + 30), Udp(5353, 53, 38), Payload(30)});
  SetIpv4Csum(u, 14);
  SetL4CsumIp(u, 14, 34, 38, 6, 17);
  EXPECT_BYTES(Xf(u, 1, Scrub()).bytes, Prefix(u, 42));

  Bytes e = Cat({Eth(0x0800), Ipv4(1, 20 + 8 + 56), Icmp(8, 0, 0x1234, 7), Payload(56)});
  SetIpv4Csum(e, 14);
  SetL4Csum(e, 34, 64, 2);
  EXPECT_BYTES(Xf(e, 1, Scrub()).bytes, Prefix(e, 42));
  // ICMP has no pseudo-header and nothing it covers changes: the checksum
  // stays as captured also when scrambling.
  Bytes x = e;
  XEthV4(x);
  SetIpv4Csum(x, 14);
  EXPECT_BYTES(Xf(e, 1, Scramble()).bytes, Prefix(x, 42));
}

TEST(Scrub, Ipv4HeaderChecksumIsAlwaysRecomputed) {
  Bytes p = TcpV4(10);
  Put16(p, 24, 0xdead);  // wrong IPv4 header checksum
  Out o = Xf(p, 1, Scrub());
  Bytes want = Prefix(p, 54);
  SetIpv4Csum(want, 14);
  EXPECT_BYTES(o.bytes, want);
}

TEST(Scrub, UnknownEthertypeKeepsLinkHeaderOnly) {
  Bytes p = Cat({Eth(0x88cc), Payload(40, 'L')});  // LLDP
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, Prefix(p, 14));
  Bytes x = Prefix(p, 14);
  XMac(x, 0);
  XMac(x, 6);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, x);
}

TEST(Scrub, NothingUnderstoodIsDropped) {
  Bytes p = TcpV4(10);
  EXPECT_FALSE(Xf(p, 1, Scrub(), 13).kept);               // Ethernet header cut
  EXPECT_FALSE(Xf(p, 147, Scrub()).kept);                 // unsupported link type
  EXPECT_FALSE(Xf(Payload(30, 0x55), 12, Scrub()).kept);  // raw "IP" version 5
  // A VLAN tag cut short: the base Ethernet header is still understood.
  Bytes v = Cat({Eth(0x8100), Tag(5, 0x0800)});
  EXPECT_BYTES(Xf(v, 1, Scrub(), 16).bytes, Prefix(v, 14));
}

TEST(Scrub, UnknownIpProtocolKeepsIpHeaderOnly) {
  Bytes p = Cat({Eth(0x0800), Ipv4(50, 20 + 60), Payload(60, 'E')});  // ESP
  SetIpv4Csum(p, 14);
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, Prefix(p, 34));
}

TEST(Scrub, NonFirstIpv4FragmentKeepsIpHeaderOnly) {
  Bytes p = Cat({Eth(0x0800), Ipv4(17, 20 + 80, 0x77, 0x00b9), Payload(80, 'F')});
  SetIpv4Csum(p, 14);
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, Prefix(p, 34));
}

TEST(Scrub, EthernetPaddingIsCut) {
  // A 40-byte TCP ACK in a 60-byte frame: the 6 padding bytes are not IP.
  Bytes p = Cat({TcpV4(0), Payload(6, 0xEE)});
  Out o = Xf(p, 1, Scrub());
  EXPECT_BYTES(o.bytes, Prefix(p, 54));
  EXPECT_EQ(o.wirelen, 60u);
}

TEST(Scrub, TruncatedTransportKeepsOnlyWholeFieldsBeforeTheChecksum) {
  Bytes p = TcpV4(10);
  EXPECT_BYTES(Xf(p, 1, Scrub(), 34 + 10).bytes, Prefix(p, 34 + 10));
  EXPECT_BYTES(Xf(p, 1, Scrub(), 34 + 19).bytes, Prefix(p, 34 + 16));
  Bytes u = Cat({Eth(0x0800), Ipv4(17, 20 + 8 + 30), Udp(1, 2, 38), Payload(30)});
  SetIpv4Csum(u, 14);
  EXPECT_BYTES(Xf(u, 1, Scrub(), 34 + 7).bytes, Prefix(u, 34 + 6));
  // TCP options cut by the capture: the fixed header.
  Bytes t = TcpV4(0, Tcp(1, 2, 0x02, 8));
  EXPECT_BYTES(Xf(t, 1, Scrub(), 34 + 24).bytes, Prefix(t, 34 + 20));
}

TEST(Scrub, TruncatedIpv4OptionsKeepFixedHeaderWithZeroChecksum) {
  Bytes ip = Ipv4(6, 24 + 20);
  ip[0] = 0x46;
  Bytes p = Cat({Eth(0x0800), ip, Payload(4, 1), Tcp(1, 2, 0x10)});
  SetIpv4Csum(p, 14);
  Bytes want = Prefix(p, 34);
  Put16(want, 24, 0);
  EXPECT_BYTES(Xf(p, 1, Scrub(), 36).bytes, want);
}

TEST(Scrub, RawPolicyCopiesEverything) {
  Bytes p = TcpV4(100);
  EXPECT_BYTES(Xf(p, 1, PolicyForLevel(PrivacyLevel::kRaw)).bytes, p);
}

// ---- TCP options -------------------------------------------------------------------

Bytes TcpWithOptions(const Bytes& opts) {
  Bytes t = Tcp(40000, 443, 0x02, static_cast<uint8_t>(5 + opts.size() / 4));
  std::copy(opts.begin(), opts.end(), t.begin() + 20);
  return t;
}

TEST(TcpOptionsPolicy, KeepNormalizeStrip) {
  const Bytes opts = {2, 4,  0x05, 0xb4,                    // MSS 1460
                      4, 2,                                 // SACK permitted
                      8, 10, 1,    2,    3, 4, 5, 6, 7, 8,  // timestamps
                      1,                                    // NOP
                      3, 3,  7};                            // window scale 7
  const Bytes norm = {2, 4, 0x05, 0xb4, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 7};
  Bytes p = TcpV4(20, TcpWithOptions(opts));
  const size_t cut = 14 + 20 + 40;

  EXPECT_BYTES(Xf(p, 1, Scrub(TcpOptions::kKeep)).bytes, Prefix(p, cut));

  Bytes n = p;
  std::copy(norm.begin(), norm.end(), n.begin() + 54);
  SetL4CsumIp(n, 14, 34, 60, 16, 6);  // full segment: checksum over the original payload
  EXPECT_BYTES(Xf(p, 1, Scrub(TcpOptions::kNormalize)).bytes, Prefix(n, cut));

  Bytes s = p;
  std::fill(s.begin() + 54, s.begin() + 74, 1);
  SetL4CsumIp(s, 14, 34, 60, 16, 6);
  EXPECT_BYTES(Xf(p, 1, Scrub(TcpOptions::kStrip)).bytes, Prefix(s, cut));

  // Segment not wholly captured and options rewritten: checksum 0.
  Bytes z = Prefix(n, cut);
  Put16(z, 50, 0);
  EXPECT_BYTES(Xf(p, 1, Scrub(TcpOptions::kNormalize), cut + 5).bytes, z);
  // ... but kept when nothing it covers changed.
  EXPECT_BYTES(Xf(p, 1, Scrub(TcpOptions::kKeep), cut + 5).bytes, Prefix(p, cut));
}

TEST(TcpOptionsPolicy, MalformedAndEol) {
  // MSS, then an option whose length runs past the area: NOP from there.
  Bytes p = TcpV4(0, TcpWithOptions({2, 4, 0x05, 0xb4, 30, 9, 0xaa, 0xbb}));
  Bytes want = p;
  for (size_t i = 58; i < 62; ++i) want[i] = 1;
  SetL4CsumIp(want, 14, 34, 28, 16, 6);
  EXPECT_BYTES(Xf(p, 1, Scrub(TcpOptions::kNormalize)).bytes, want);
  // Length 0 / 1 are malformed too.
  Bytes q = TcpV4(0, TcpWithOptions({5, 1, 0xaa, 0xbb}));
  Bytes qw = q;
  for (size_t i = 54; i < 58; ++i) qw[i] = 1;
  SetL4CsumIp(qw, 14, 34, 24, 16, 6);
  EXPECT_BYTES(Xf(q, 1, Scrub(TcpOptions::kNormalize)).bytes, qw);
  // EOL: what follows it is zeroed.
  Bytes e = TcpV4(0, TcpWithOptions({3, 3, 2, 0, 0xc0, 0xff, 0xee, 0x11}));
  Bytes ew = e;
  for (size_t i = 58; i < 62; ++i) ew[i] = 0;
  SetL4CsumIp(ew, 14, 34, 28, 16, 6);
  EXPECT_BYTES(Xf(e, 1, Scrub(TcpOptions::kNormalize)).bytes, ew);
}

// ---- Scramble and checksums ----------------------------------------------------------

TEST(Scramble, TcpFullSegmentChecksumOverOriginalPayload) {
  Bytes p = TcpV4(100);
  Bytes x = p;
  XEthV4(x);
  SetIpv4Csum(x, 14);
  SetL4CsumIp(x, 14, 34, 120, 16, 6);  // over the whole original payload
  Out o = Xf(p, 1, Scramble());
  EXPECT_BYTES(o.bytes, Prefix(x, 54));
  EXPECT_EQ(o.wirelen, p.size());
}

TEST(Scramble, WrongChecksumStaysWrongBySameAmount) {
  Bytes p = TcpV4(33);
  Put16(p, 50, static_cast<uint16_t>(Get16(p, 50) + 3));
  Bytes x = p;
  XEthV4(x);
  SetIpv4Csum(x, 14);
  SetL4CsumIp(x, 14, 34, 53, 16, 6);
  Put16(x, 50, static_cast<uint16_t>(Get16(x, 50) + 3));
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, Prefix(x, 54));
}

TEST(Scramble, TruncatedSegmentGetsZeroChecksum) {
  Bytes p = TcpV4(100);
  Bytes x = Prefix(p, 54);
  XEthV4(x);
  SetIpv4Csum(x, 14);
  Put16(x, 50, 0);
  EXPECT_BYTES(Xf(p, 1, Scramble(), 80).bytes, x);
  // TSO: total length 0, real length unknown: not "full".
  Bytes t = p;
  Put16(t, 16, 0);
  SetIpv4Csum(t, 14);
  Bytes tx = Prefix(t, 54);
  XEthV4(tx);
  SetIpv4Csum(tx, 14);
  Put16(tx, 50, 0);
  EXPECT_BYTES(Xf(t, 1, Scramble()).bytes, tx);
}

TEST(Scramble, UdpChecksumZeroStaysZero) {
  Bytes u = Cat({Eth(0x0800), Ipv4(17, 20 + 8 + 30), Udp(68, 67, 38), Payload(30)});
  SetIpv4Csum(u, 14);
  Bytes x = Prefix(u, 42);
  XEthV4(x);
  SetIpv4Csum(x, 14);
  EXPECT_BYTES(Xf(u, 1, Scramble()).bytes, x);  // checksum 0 in the input
  SetL4CsumIp(u, 14, 34, 38, 6, 17);
  Bytes y = u;
  XEthV4(y);
  SetIpv4Csum(y, 14);
  SetL4CsumIp(y, 14, 34, 38, 6, 17);
  EXPECT_BYTES(Xf(u, 1, Scramble()).bytes, Prefix(y, 42));
}

TEST(Scramble, Ipv6Tcp) {
  Bytes p = Cat({Eth(0x86dd), Ipv6(6, 20 + 50), Tcp(1, 2, 0x18), Payload(50)});
  SetL4CsumIp(p, 14, 54, 70, 16, 6);
  Bytes x = p;
  XMac(x, 0);
  XMac(x, 6);
  X6(x, 22);
  X6(x, 38);
  SetL4CsumIp(x, 14, 54, 70, 16, 6);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, Prefix(x, 74));
}

TEST(Scramble, VlanQinQAndMplsFrames) {
  Bytes q = Cat({Eth(0x88a8), Tag(10, 0x8100), Tag(20, 0x0800), Ipv4(17, 28), Udp(1, 2, 8)});
  SetIpv4Csum(q, 22);
  SetL4CsumIp(q, 22, 42, 8, 6, 17);
  Bytes qx = q;
  XMac(qx, 0);
  XMac(qx, 6);
  X4(qx, 34);
  X4(qx, 38);
  SetIpv4Csum(qx, 22);
  SetL4CsumIp(qx, 22, 42, 8, 6, 17);
  EXPECT_BYTES(Xf(q, 1, Scramble()).bytes, qx);

  Bytes m = Cat({Eth(0x8847), Mpls(100, false), Mpls(200, true), Ipv4(50, 40), Payload(20)});
  SetIpv4Csum(m, 22);
  Bytes mx = Prefix(m, 42);
  XMac(mx, 0);
  XMac(mx, 6);
  X4(mx, 34);
  X4(mx, 38);
  SetIpv4Csum(mx, 22);
  EXPECT_BYTES(Xf(m, 1, Scramble()).bytes, mx);

  // Ethernet over MPLS: the inner Ethernet header (MACs!) is not kept.
  Bytes eo = Cat({Eth(0x8847), Mpls(300, true), Eth(0x0800), Ipv4(6, 40), Tcp(1, 2, 0)});
  EXPECT_BYTES(Xf(eo, 1, Scrub()).bytes, Prefix(eo, 18));
}

TEST(Scramble, LinuxCookedNullAndRaw) {
  // SLL: type(2) ARPHRD(2) halen(2) addr(8) protocol(2)
  Bytes sll = {0, 0, 0, 1, 0, 6, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0xaa, 0xbb, 0x08, 0x00};
  Bytes p = Cat({sll, Ipv4(50, 20)});
  SetIpv4Csum(p, 16);
  Bytes x = p;
  XMac(x, 6);
  x[12] = x[13] = 0;  // past the 6-byte address
  X4(x, 28);
  X4(x, 32);
  SetIpv4Csum(x, 16);
  EXPECT_BYTES(Xf(p, 113, Scramble()).bytes, x);
  // halen 0 (e.g. loopback, tun): the field is not an address: zeroed at
  // every level.
  Bytes s0 = p;
  s0[5] = 0;
  Bytes s0w = s0;
  std::fill(s0w.begin() + 6, s0w.begin() + 14, 0);
  EXPECT_BYTES(Xf(s0, 113, Scrub()).bytes, s0w);

  // SLL2: protocol(2) res(2) ifindex(4) ARPHRD(2) type(1) halen(1) addr(8)
  Bytes sll2 = {0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0};
  Bytes p2 = Cat({sll2, Ipv6(59, 0)});
  Bytes x2 = p2;
  XMac(x2, 12);
  X6(x2, 28);
  X6(x2, 44);
  EXPECT_BYTES(Xf(p2, 276, Scramble()).bytes, x2);

  Bytes n = Cat({Bytes{2, 0, 0, 0}, Ipv4(50, 20)});
  SetIpv4Csum(n, 4);
  Bytes nx = n;
  X4(nx, 16);
  X4(nx, 20);
  SetIpv4Csum(nx, 4);
  EXPECT_BYTES(Xf(n, 0, Scramble()).bytes, nx);

  Bytes r = Ipv4(50, 20);
  SetIpv4Csum(r, 0);
  Bytes rx = r;
  X4(rx, 12);
  X4(rx, 16);
  SetIpv4Csum(rx, 0);
  for (uint16_t lt : {12, 14, 101, 228}) EXPECT_BYTES(Xf(r, lt, Scramble()).bytes, rx) << lt;
}

// ---- ARP ---------------------------------------------------------------------------

Bytes ArpBody(uint16_t ptype = 0x0800, uint8_t hlen = 6, uint8_t plen = 4) {
  return Cat({{0, 1, Hi(ptype), Lo(ptype), hlen, plen, 0, 1},
              Mac(0x11),
              V4(0xc0a80001),
              Bytes(6, 0),
              V4(0xc0a80002)});
}

TEST(Arp, FixedPartAndAddresses) {
  Bytes p = Cat({Eth(0x0806), ArpBody(), Payload(18, 0)});
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, Prefix(p, 42));
  Bytes x = Prefix(p, 42);
  XMac(x, 0);
  XMac(x, 6);
  XMac(x, 22);
  X4(x, 28);
  XMac(x, 32);
  X4(x, 38);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, x);
  // Cut inside the target hardware address: up to the last whole field.
  EXPECT_BYTES(Xf(p, 1, Scramble(), 14 + 20).bytes, Prefix(x, 14 + 18));
  // Other hardware/protocol sizes: the fixed part only.
  Bytes o = Cat({Eth(0x0806), ArpBody(0x0800, 8, 4), Payload(18, 0)});
  EXPECT_BYTES(Xf(o, 1, Scrub()).bytes, Prefix(o, 22));
  // Declared addresses longer than the frame, and ATM ARP (another layout):
  // not understood, the link header only.
  Bytes m = Cat({Eth(0x0806), ArpBody(0x0800, 8, 4)});
  EXPECT_BYTES(Xf(m, 1, Scrub()).bytes, Prefix(m, 14));
  Bytes atm = Cat({Eth(0x0806), ArpBody(), Payload(18, 0)});
  atm[15] = 19;
  EXPECT_BYTES(Xf(atm, 1, Scrub()).bytes, Prefix(atm, 14));
  Bytes o2 = Cat({Eth(0x0806), ArpBody(0x86dd, 6, 4)});
  EXPECT_BYTES(Xf(o2, 1, Scrub()).bytes, Prefix(o2, 22));
}

// ---- ICMP errors ----------------------------------------------------------------------

// Ethernet/IPv4/ICMP type/code quoting an IPv4/UDP datagram of which
// `quoted_payload` bytes are included; the inner datagram claims
// `inner_payload` payload bytes.
Bytes IcmpErrorV4(uint8_t type, uint8_t code, size_t inner_payload, size_t quoted_payload) {
  Bytes inner =
      Cat({Ipv4(17, static_cast<uint16_t>(28 + inner_payload), 0x4242, 0x4000, 63, 0x0a000001,
                0xc6336407),
           Udp(5353, 53, static_cast<uint16_t>(8 + inner_payload)), Payload(inner_payload, 'Q')});
  SetIpv4Csum(inner, 0);
  SetL4CsumIp(inner, 0, 20, 8 + inner_payload, 6, 17);
  inner.resize(28 + quoted_payload);
  Bytes p =
      Cat({Eth(0x0800),
           Ipv4(1, static_cast<uint16_t>(20 + 8 + inner.size()), 1, 0, 64, 0xc0000201, 0x0a000001),
           Icmp(type, code, 0, 0), inner});
  SetIpv4Csum(p, 14);
  SetL4Csum(p, 34, 8 + inner.size(), 2);
  return p;
}

TEST(IcmpError, QuotedHeaderScrambledAndChecksumsFollow) {
  // The whole inner datagram is quoted: inner UDP checksum updated.
  Bytes p = IcmpErrorV4(3, 3, 20, 20);
  Bytes x = p;
  XEthV4(x);
  X4(x, 42 + 12);
  X4(x, 42 + 16);
  SetIpv4Csum(x, 42);
  SetL4CsumIp(x, 42, 62, 28, 6, 17);
  SetL4Csum(x, 34, x.size() - 34, 2);
  SetIpv4Csum(x, 14);
  Out o = Xf(p, 1, Scramble());
  EXPECT_BYTES(o.bytes, Prefix(x, 70));
  // Scrub: the quote is cut after 8 transport bytes, nothing else changes.
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, Prefix(p, 70));
}

TEST(IcmpError, PartialQuoteZeroesInnerChecksum) {
  // Inner datagram claims 500 payload bytes, 0 quoted: inner UDP checksum 0;
  // the ICMP message itself is whole, so its checksum must verify.
  Bytes p = IcmpErrorV4(11, 0, 500, 0);
  ASSERT_EQ(p.size(), 70u);
  Out o = Xf(p, 1, Scramble());
  ASSERT_EQ(o.bytes.size(), 70u);
  Bytes x = p;
  XEthV4(x);
  X4(x, 54);
  X4(x, 58);
  SetIpv4Csum(x, 42);
  Put16(x, 68, 0);
  SetL4Csum(x, 34, 36, 2);
  SetIpv4Csum(x, 14);
  EXPECT_BYTES(o.bytes, x);
  EXPECT_EQ(Fold(Words(o.bytes.data() + 34, 36)), 0xFFFF);  // verifies
}

TEST(IcmpError, RedirectGatewayAndUnknownType) {
  Bytes p = IcmpErrorV4(5, 1, 4, 4);
  p[38] = 10, p[39] = 0, p[40] = 0, p[41] = 254;  // gateway 10.0.0.254
  SetL4Csum(p, 34, p.size() - 34, 2);
  Bytes x = p;
  XEthV4(x);
  X4(x, 38);
  X4(x, 54);
  X4(x, 58);
  SetIpv4Csum(x, 42);
  SetL4CsumIp(x, 42, 62, 12, 6, 17);
  SetL4Csum(x, 34, x.size() - 34, 2);
  SetIpv4Csum(x, 14);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, Prefix(x, 70));

  // Unknown ICMP type 42: type, code, checksum only.
  Bytes u = Cat({Eth(0x0800), Ipv4(1, 20 + 16), Icmp(42, 0, 1, 2), Payload(8)});
  SetIpv4Csum(u, 14);
  SetL4Csum(u, 34, 16, 2);
  EXPECT_BYTES(Xf(u, 1, Scrub()).bytes, Prefix(u, 38));
}

TEST(IcmpError, Icmpv6QuotingIpv6) {
  Bytes inner = Cat({Ipv6(17, 8 + 300, 64, 1, 9), Udp(4000, 443, 308)});
  Bytes p = Cat({Eth(0x86dd), Ipv6(58, static_cast<uint16_t>(8 + inner.size()), 64, 7, 1),
                 Bytes{1, 4, 0, 0, 0, 0, 0, 0}, inner});
  Put16(p, 54 + 8 + 40 + 6, 0x1234);  // inner UDP checksum (not verifiable)
  SetL4CsumIp(p, 14, 54, 8 + inner.size(), 2, 58);
  Bytes x = p;
  XMac(x, 0);
  XMac(x, 6);
  X6(x, 22);
  X6(x, 38);
  X6(x, 62 + 8);
  X6(x, 62 + 24);
  Put16(x, 62 + 40 + 6, 0);  // inner not whole: zero
  SetL4CsumIp(x, 14, 54, 8 + inner.size(), 2, 58);
  Out o = Xf(p, 1, Scramble());
  EXPECT_BYTES(o.bytes, x);
}

// ---- ICMPv6 NDP ------------------------------------------------------------------------

Bytes Ndp(uint8_t type, const Bytes& body_after_csum, const Bytes& options) {
  Bytes icmp = Cat({Bytes{type, 0, 0, 0}, body_after_csum, options});
  Bytes p = Cat({Eth(0x86dd), Ipv6(58, static_cast<uint16_t>(icmp.size()), 255, 1, 2), icmp});
  SetL4CsumIp(p, 14, 54, icmp.size(), 2, 58);
  return p;
}

TEST(Ndp, NeighbourSolicitationTargetAndLinkLayerOption) {
  Bytes p = Ndp(135, Cat({Bytes(4, 0), V6(0x22)}), Cat({Bytes{1, 1}, Mac(0x33)}));
  Bytes x = p;
  XMac(x, 0);
  XMac(x, 6);
  X6(x, 22);
  X6(x, 38);
  X6(x, 62);
  XMac(x, 80);
  SetL4CsumIp(x, 14, 54, 32, 2, 58);
  Out o = Xf(p, 1, Scramble());
  EXPECT_BYTES(o.bytes, x);
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, p);
}

TEST(Ndp, RouterAdvertisementOptionsCutAtFirstUnknown) {
  Bytes prefix =
      Cat({Bytes{3, 4, 64, 0xc0, 0, 0, 0x1c, 0x20, 0, 0, 0x0e, 0x10, 0, 0, 0, 0}, V6(0)});
  prefix[16 + 9] = 0x77;  // a host bit set past /64: zeroed
  Bytes rdnss = Cat({Bytes{25, 3, 0, 0, 0, 0, 0x0e, 0x10}, V6(0x53)});
  Bytes mtu = {5, 1, 0, 0, 0, 0, 0x05, 0xdc};
  Bytes dnssl = {31, 2, 0, 0, 0, 0, 0x0e, 0x10, 7, 'c', 'a', 'n', 'a', 'r', 'y', 0};
  Bytes body = {64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0};  // hop, flags, lifetime, timers
  Bytes p = Ndp(134, body, Cat({Bytes{1, 1}, Mac(0x44), prefix, mtu, rdnss, dnssl}));
  const size_t opts = 14 + 40 + 16;
  const size_t cut = opts + 8 + 32 + 8 + 24;
  Bytes want = p;  // scrub: only the prefix host bits change
  want[opts + 8 + 16 + 9] = 0;
  SetL4CsumIp(want, 14, 54, p.size() - 54, 2, 58);
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, Prefix(want, cut));

  Bytes x = p;
  XMac(x, 0);
  XMac(x, 6);
  X6(x, 22);
  X6(x, 38);
  XMac(x, opts + 2);
  X6(x, opts + 8 + 16);
  std::fill(x.begin() + opts + 8 + 16 + 8, x.begin() + opts + 8 + 32, 0);  // mask /64
  X6(x, opts + 8 + 32 + 8 + 8);
  SetL4CsumIp(x, 14, 54, p.size() - 54, 2, 58);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, Prefix(x, cut));
}

TEST(Ndp, MldKeepsHeaderOnly) {
  Bytes p = Ndp(131, Cat({Bytes(4, 0), V6(0x16, 0xff)}), {});
  Bytes want = Prefix(p, 62);
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, want);
}

// ---- Tunnels ----------------------------------------------------------------------------

// Outer Ethernet/IPv4 with protocol `proto` around `inner_with_gre`.
Bytes OuterV4(uint8_t proto, const Bytes& inner) {
  Bytes p = Cat(
      {Eth(0x0800),
       Ipv4(proto, static_cast<uint16_t>(20 + inner.size()), 9, 0x4000, 64, 0xcb007101, 0xcb007102),
       inner});
  SetIpv4Csum(p, 14);
  return p;
}

Bytes InnerTcpV4(size_t n) {
  Bytes b = Cat({Ipv4(6, static_cast<uint16_t>(40 + n), 3, 0x4000, 64, 0xac100001, 0xac100002),
                 Tcp(1000, 2000, 0x18), Payload(n, 'T')});
  SetIpv4Csum(b, 0);
  SetL4CsumIp(b, 0, 20, 20 + n, 16, 6);
  return b;
}

TEST(Tunnel, GreWithKeyAndSequence) {
  Bytes gre = {0x30, 0x00, 0x08, 0x00, 0, 0, 0, 42, 0, 0, 0, 7};
  Bytes p = OuterV4(47, Cat({gre, InnerTcpV4(30)}));
  const size_t in = 34 + 12;
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, Prefix(p, in + 40));
  Bytes x = p;
  XEthV4(x);
  SetIpv4Csum(x, 14);
  X4(x, in + 12);
  X4(x, in + 16);
  SetIpv4Csum(x, in);
  SetL4CsumIp(x, in, in + 20, 50, 16, 6);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, Prefix(x, in + 40));
}

TEST(Tunnel, GreChecksumIsUpdated) {
  Bytes gre = {0x80, 0x00, 0x86, 0xdd, 0, 0, 0, 0};
  Bytes inner6 = Cat({Ipv6(17, 8 + 10, 64, 3, 4), Udp(7, 9, 18), Payload(10)});
  SetL4CsumIp(inner6, 0, 40, 18, 6, 17);
  Bytes p = OuterV4(47, Cat({gre, inner6}));
  SetL4Csum(p, 34, p.size() - 34, 4);
  Bytes x = p;
  XEthV4(x);
  SetIpv4Csum(x, 14);
  X6(x, 42 + 8);
  X6(x, 42 + 24);
  SetL4CsumIp(x, 42, 82, 18, 6, 17);
  SetL4Csum(x, 34, x.size() - 34, 4);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, Prefix(x, 90));
}

TEST(Tunnel, GreOtherPayloadsKeepGreHeaderOnly) {
  // Transparent Ethernet bridging: the inner Ethernet header is cut.
  Bytes teb = OuterV4(47, Cat({Bytes{0, 0, 0x65, 0x58}, Eth(0x0800), Payload(20)}));
  EXPECT_BYTES(Xf(teb, 1, Scrub()).bytes, Prefix(teb, 38));
  // PPTP (version 1, K S A): 16-byte header kept, PPP cut.
  Bytes pptp = OuterV4(47, Cat({Bytes{0x30, 0x81, 0x88, 0x0b, 0, 20, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2},
                                Payload(20, 'p')}));
  EXPECT_BYTES(Xf(pptp, 1, Scrub()).bytes, Prefix(pptp, 50));
}

TEST(Tunnel, IpInIpAnd6in4) {
  Bytes p = OuterV4(4, InnerTcpV4(10));
  Bytes x = p;
  XEthV4(x);
  SetIpv4Csum(x, 14);
  X4(x, 34 + 12);
  X4(x, 34 + 16);
  SetIpv4Csum(x, 34);
  SetL4CsumIp(x, 34, 54, 30, 16, 6);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, Prefix(x, 74));

  Bytes in6 = Cat({Ipv6(17, 8 + 5, 64, 5, 6), Udp(1, 2, 13), Payload(5)});
  SetL4CsumIp(in6, 0, 40, 13, 6, 17);
  Bytes q = OuterV4(41, in6);
  Bytes y = q;
  XEthV4(y);
  SetIpv4Csum(y, 14);
  X6(y, 34 + 8);
  X6(y, 34 + 24);
  SetL4CsumIp(y, 34, 74, 13, 6, 17);
  EXPECT_BYTES(Xf(q, 1, Scramble()).bytes, Prefix(y, 82));
  // The inner header cut by the capture: not kept at all.
  EXPECT_BYTES(Xf(q, 1, Scrub(), 34 + 30).bytes, Prefix(q, 34));
}

// ---- IP options and IPv6 extension headers ---------------------------------------------------

TEST(Ipv4Options, RecordRouteSourceRouteUnknown) {
  // RR (2 slots, 1 filled) + stream id (unknown) + EOL = 16 bytes.
  Bytes opts =
      Cat({Bytes{7, 11, 8}, V4(0xc0a80101), V4(0x01020304), Bytes{0x88, 4, 0x12, 0x34}, Bytes{0}});
  Bytes ip = Ipv4(17, 20 + 16 + 8);
  ip[0] = 0x49;
  Bytes p = Cat({Eth(0x0800), ip, opts, Udp(1, 2, 8)});
  SetIpv4Csum(p, 14);
  SetL4CsumIp(p, 14, 50, 8, 6, 17);
  Bytes s = p;
  // Index loops, not std::fill: GCC 12 reports a false -Warray-bounds there.
  for (size_t i = 34 + 7; i < 34 + 11; ++i) s[i] = 0;   // unfilled slot
  for (size_t i = 34 + 11; i < 34 + 15; ++i) s[i] = 1;  // unknown option: NOPs
  SetIpv4Csum(s, 14);
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, s);
  Bytes x = s;
  XEthV4(x);
  X4(x, 34 + 3);
  SetIpv4Csum(x, 14);
  SetL4CsumIp(x, 14, 50, 8, 6, 17);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, x);
}

TEST(Ipv4Options, LooseSourceRouteFinalDestinationInPseudoHeader) {
  Bytes opts = Cat({Bytes{1, 131, 11, 4}, V4(0xc0a80101), V4(0xc0a80202)});  // NOP + LSRR
  Bytes ip = Ipv4(17, 20 + 12 + 8);
  ip[0] = 0x48;
  Bytes p = Cat({Eth(0x0800), ip, opts, Udp(1, 2, 8)});
  SetIpv4Csum(p, 14);
  // Pseudo-header destination: the last route entry.
  SetL4Csum(p, 46, 8, 6, &p[26], &p[34 + 8], 4, 17);
  Bytes x = p;
  XEthV4(x);
  X4(x, 34 + 4);
  X4(x, 34 + 8);
  SetIpv4Csum(x, 14);
  SetL4Csum(x, 46, 8, 6, &x[26], &x[34 + 8], 4, 17);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, x);
}

TEST(Ipv6Ext, HopByHopRoutingType0Fragment) {
  // HBH: router alert + unknown option (becomes PadN).
  Bytes hbh = {43, 0, 5, 2, 0, 0, 0x3e, 0};
  // Routing type 0, 2 addresses, 1 segment left: the pseudo-header uses the last.
  Bytes rh = Cat({Bytes{6, 4, 0, 1, 0, 0, 0, 0}, V6(0x71), V6(0x72)});
  Bytes p = Cat({Eth(0x86dd), Ipv6(0, static_cast<uint16_t>(8 + 40 + 20 + 6)), hbh, rh,
                 Tcp(5, 6, 0x10), Payload(6)});
  const size_t tcp = 54 + 48;
  SetL4Csum(p, tcp, 26, 16, &p[22], &p[54 + 8 + 8 + 16], 16, 6);
  Bytes s = p;
  s[54 + 6] = 1;  // unknown option -> PadN length 0
  s[54 + 7] = 0;
  // Nothing the TCP checksum covers changed: kept.
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, Prefix(s, tcp + 20));

  Bytes x = s;
  XMac(x, 0);
  XMac(x, 6);
  X6(x, 22);
  X6(x, 38);
  X6(x, 54 + 8 + 8);
  X6(x, 54 + 8 + 24);
  SetL4Csum(x, tcp, 26, 16, &x[22], &x[54 + 8 + 8 + 16], 16, 6);
  EXPECT_BYTES(Xf(p, 1, Scramble()).bytes, Prefix(x, tcp + 20));
}

TEST(Ipv6Ext, FragmentsAndUnknownRoutingType) {
  Bytes frag_nonfirst = {17, 0, 0x05, 0x39, 0, 0, 0, 1};  // offset 167
  Bytes p = Cat({Eth(0x86dd), Ipv6(44, 8 + 30), frag_nonfirst, Payload(30, 'F')});
  EXPECT_BYTES(Xf(p, 1, Scrub()).bytes, Prefix(p, 62));

  Bytes frag_first = {17, 0, 0x00, 0x01, 0, 0, 0, 1};  // offset 0, M
  Bytes f = Cat({Eth(0x86dd), Ipv6(44, 8 + 8 + 30), frag_first, Udp(1, 2, 200), Payload(30)});
  Put16(f, 62 + 6, 0xabcd);
  Bytes fx = Prefix(f, 70);
  XMac(fx, 0);
  XMac(fx, 6);
  X6(fx, 22);
  X6(fx, 38);
  Put16(fx, 68, 0);  // a fragment is never the whole segment
  EXPECT_BYTES(Xf(f, 1, Scramble()).bytes, fx);

  // Segment routing header (type 4): contents after the first 4 bytes zeroed.
  Bytes srh = Cat({Bytes{59, 2, 4, 0, 0, 0, 0, 0}, V6(0x99)});
  Bytes r = Cat({Eth(0x86dd), Ipv6(43, 24), srh});
  Bytes rw = r;
  std::fill(rw.begin() + 58, rw.end(), 0);
  EXPECT_BYTES(Xf(r, 1, Scrub()).bytes, rw);
}

// ---- Properties over all the packets above ------------------------------------------------------

std::vector<std::pair<Bytes, uint16_t>> Corpus() {
  std::vector<std::pair<Bytes, uint16_t>> c;
  c.push_back({TcpV4(100), 1});
  c.push_back(
      {TcpV4(20, TcpWithOptions({2, 4, 5, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7})),
       1});
  c.push_back({Cat({Eth(0x0806), ArpBody(), Payload(18, 0)}), 1});
  c.push_back({IcmpErrorV4(3, 3, 20, 20), 1});
  c.push_back({IcmpErrorV4(5, 0, 100, 10), 1});
  c.push_back({Ndp(135, Cat({Bytes(4, 0), V6(0x22)}), Cat({Bytes{1, 1}, Mac(0x33)})), 1});
  c.push_back(
      {OuterV4(47, Cat({Bytes{0xb0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2}, InnerTcpV4(10)})),
       1});
  c.push_back({OuterV4(4, OuterV4(47, InnerTcpV4(3))), 1});
  c.push_back(
      {Cat({Eth(0x88a8), Tag(1, 0x8100), Tag(2, 0x86dd), Ipv6(17, 12), Udp(1, 2, 12), Payload(4)}),
       1});
  Bytes inner = Cat({Ipv6(17, 8 + 300, 64, 1, 9), Udp(4000, 443, 308)});
  c.push_back({Cat({Eth(0x86dd), Ipv6(58, static_cast<uint16_t>(8 + inner.size())),
                    Bytes{1, 4, 0, 0, 0, 0, 0, 0}, inner}),
               1});
  c.push_back({Cat({Eth(0x86dd), Ipv6(0, 8 + 40 + 20), Bytes{43, 0, 0xc9, 4, 1, 2, 3, 4},
                    Bytes{6, 4, 0, 1, 0, 0, 0, 0}, V6(1), V6(2), Tcp(1, 2, 0)}),
               1});
  c.push_back({Cat({Eth(0x86dd), Ipv6(60, 8 + 24 + 8), Bytes{17, 2, 0xc9, 16}, V6(0x31),
                    Bytes{1, 2, 0, 0}, Udp(1, 2, 8)}),
               1});
  c.push_back({Cat({Eth(0x86dd), Ipv6(51, 24 + 8), Bytes{17, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 9},
                    Payload(12, 0xa1), Udp(3, 4, 8)}),
               1});
  Bytes opt_ip = Ipv4(6, 20 + 20 + 20);
  opt_ip[0] = 0x4a;
  c.push_back({Cat({Eth(0x0800), opt_ip,
                    Bytes{68, 20, 13, 1, 10, 0, 0, 1, 0, 0, 0, 5, 10, 0, 0, 2, 0, 0, 0, 0},
                    Tcp(1, 2, 0x12)}),
               1});
  c.push_back({Cat({Bytes{0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x06}, ArpBody()}), 113});
  c.push_back({Ipv4(1, 28), 228});
  return c;
}

TEST(Properties, IdentityMapperScrambleEqualsScrub) {
  IdentityMapper id;
  for (const auto& [pkt, lt] : Corpus()) {
    for (TcpOptions t : {TcpOptions::kKeep, TcpOptions::kNormalize, TcpOptions::kStrip}) {
      for (size_t cap = 0; cap <= pkt.size(); ++cap) {
        const uint32_t wl = static_cast<uint32_t>(pkt.size());
        Out a = RunOnce(pkt, lt, Scrub(t), nullptr, cap, wl);
        Out b = RunOnce(pkt, lt, Scramble(t), &id, cap, wl);
        ASSERT_EQ(Hex(a.bytes), Hex(b.bytes)) << Hex(pkt) << " caplen " << cap;
      }
    }
  }
}

TEST(Properties, EveryCaplenBothLevelsInBoundsAndDeterministic) {
  for (const auto& [pkt, lt] : Corpus()) {
    for (size_t cap = 0; cap <= pkt.size(); ++cap) {
      for (const LevelPolicy& pol : {Scrub(), Scramble(), Scramble(TcpOptions::kStrip)}) {
        Out o = Xf(pkt, lt, pol, cap);
        // The output is the input cut somewhere, bytes rewritten in place:
        // it never grows.
        EXPECT_LE(o.bytes.size(), cap);
      }
    }
  }
}

TEST(Properties, ScrambleRewritesEveryAddressOfTheCorpus) {
  // With the XOR mapper every byte of every address changes, so an input
  // address found anywhere in the output means one was missed.
  for (const auto& [pkt, lt] : Corpus()) {
    Out o = Xf(pkt, lt, Scramble());
    const Bytes addrs[] = {V4(0x0a000001),
                           V4(0x0a000002),
                           V4(0xc0a80001),
                           V4(0xc0a80002),
                           V4(0xac100001),
                           V4(0xac100002),
                           V4(0xcb007101),
                           V4(0xcb007102),
                           V4(0xc6336407),
                           V6(1),
                           V6(2),
                           V6(9),
                           V6(0x22),
                           V6(0x31),
                           Mac(0x11),
                           Mac(0x33),
                           Bytes{0x00, 0x11, 0x22, 0x33, 0x44, 0x55},
                           Bytes{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}};
    for (const Bytes& a : addrs) {
      auto it = std::search(o.bytes.begin(), o.bytes.end(), a.begin(), a.end());
      EXPECT_EQ(it, o.bytes.end()) << "leaked " << Hex(a) << " in\n" << Hex(o.bytes);
    }
  }
}

TEST(Stats, CountsDropsAndChecksums) {
  PacketTransform t(Scramble(), &g_xor);
  ByteBuffer buf;
  uint32_t wl;
  auto apply = [&](const Bytes& b, uint16_t lt, size_t cap) {
    PacketRef r;
    r.data = b.data();
    r.caplen = static_cast<uint32_t>(std::min(cap, b.size()));
    r.wirelen = static_cast<uint32_t>(b.size());
    r.linktype = lt;
    DecodedPacket d;
    Decode(r, &d);
    return t.Apply(r, d, &buf, &wl);
  };
  EXPECT_TRUE(apply(TcpV4(10), 1, 1000));
  EXPECT_TRUE(apply(TcpV4(10), 1, 60));
  EXPECT_FALSE(apply(TcpV4(10), 1, 5));
  EXPECT_TRUE(apply(Cat({Eth(0x88cc), Payload(10)}), 1, 100));
  EXPECT_EQ(t.stats().packets, 4u);
  EXPECT_EQ(t.stats().dropped, 1u);
  EXPECT_EQ(t.stats().checksums_updated, 1u);
  EXPECT_EQ(t.stats().checksums_zeroed, 1u);
  EXPECT_EQ(t.stats().link_only, 1u);
  EXPECT_EQ(t.stats().bytes_out, 54u + 54u + 14u);
}

}  // namespace
}  // namespace trove::anon
