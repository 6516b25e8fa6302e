// MakeFlowKey(): canonical bidirectional keys for TCP/UDP, ICMP echo
// pairing, fragment pseudo-connections, address layout, hashing.

#include "packet/flow_key.h"

#include <gtest/gtest.h>

#include <unordered_set>

#include "packet/packet_test_util.h"

namespace trove {
namespace {

using testing_util::Bytes;
using testing_util::Cat;
using testing_util::Eth;
using testing_util::Icmp;
using testing_util::Ipv4;
using testing_util::Ipv6;
using testing_util::Payload;
using testing_util::Tcp;
using testing_util::Udp;

struct Keyed {
  bool ok = false;
  bool src_is_hi = false;
  FlowKey key;
};

Keyed KeyOf(const Bytes& b, uint16_t linktype = kLinkEthernet) {
  PacketRef ref{0, static_cast<uint32_t>(b.size()), static_cast<uint32_t>(b.size()), linktype,
                b.data()};
  DecodedPacket d;
  Decode(ref, &d);
  Keyed k;
  k.ok = MakeFlowKey(ref, d, &k.key, &k.src_is_hi);
  return k;
}

constexpr uint32_t kA = 0x0a000001;  // 10.0.0.1
constexpr uint32_t kB = 0xc0a80102;  // 192.168.1.2

Bytes V4Tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  return Cat({Eth(0x0800), Ipv4(6, 40, 1, 0x4000, 64, src, dst), Tcp(sport, dport, 0x10)});
}

TEST(FlowKeyTest, TcpBothDirectionsShareOneKey) {
  const Keyed ab = KeyOf(V4Tcp(kA, kB, 40000, 443));
  const Keyed ba = KeyOf(V4Tcp(kB, kA, 443, 40000));
  ASSERT_TRUE(ab.ok);
  ASSERT_TRUE(ba.ok);
  EXPECT_TRUE(ab.key == ba.key);
  EXPECT_EQ(ab.key.Hash(), ba.key.Hash());
  EXPECT_FALSE(ab.src_is_hi);  // 10.0.0.1 < 192.168.1.2
  EXPECT_TRUE(ba.src_is_hi);
  EXPECT_EQ(ab.key.kind, FlowKind::kTransport);
  EXPECT_EQ(ab.key.proto, 6);
  EXPECT_EQ(ab.key.ip_version, 4);
  EXPECT_EQ(ab.key.port_lo, 40000);  // ports travel with their address
  EXPECT_EQ(ab.key.port_hi, 443);
  // IPv4 is stored v4-mapped: ::ffff:10.0.0.1.
  const uint8_t mapped_a[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
  EXPECT_EQ(std::memcmp(ab.key.addr_lo, mapped_a, 16), 0);
  EXPECT_EQ(ab.key.addr_hi[12], 192);
  EXPECT_EQ(ab.key.frag_id, 0u);
  EXPECT_EQ(ab.key.reserved, 0);

  // Different port, proto or address: different key.
  EXPECT_FALSE(KeyOf(V4Tcp(kA, kB, 40001, 443)).key == ab.key);
  const Bytes udp = Cat({Eth(0x0800), Ipv4(17, 28, 1, 0x4000, 64, kA, kB), Udp(40000, 443, 8)});
  EXPECT_FALSE(KeyOf(udp).key == ab.key);
  EXPECT_FALSE(KeyOf(V4Tcp(kA, kB + 1, 40000, 443)).key == ab.key);
}

TEST(FlowKeyTest, SameAddressOrdersByPort) {
  const Keyed a = KeyOf(V4Tcp(kA, kA, 9000, 80));
  const Keyed b = KeyOf(V4Tcp(kA, kA, 80, 9000));
  EXPECT_TRUE(a.key == b.key);
  EXPECT_EQ(a.key.port_lo, 80);
  EXPECT_EQ(a.key.port_hi, 9000);
  EXPECT_TRUE(a.src_is_hi);
  EXPECT_FALSE(b.src_is_hi);
}

TEST(FlowKeyTest, Ipv6UsesFullAddresses) {
  const Keyed a = KeyOf(Cat({Eth(0x86DD), Ipv6(17, 8, 64, 9, 3), Udp(53, 5353, 8)}));
  const Keyed b = KeyOf(Cat({Eth(0x86DD), Ipv6(17, 8, 64, 3, 9), Udp(5353, 53, 8)}));
  ASSERT_TRUE(a.ok);
  EXPECT_TRUE(a.key == b.key);
  EXPECT_EQ(a.key.ip_version, 6);
  EXPECT_EQ(a.key.addr_lo[0], 0x20);
  EXPECT_EQ(a.key.addr_lo[15], 3);
  EXPECT_EQ(a.key.addr_hi[15], 9);
  EXPECT_EQ(a.key.port_lo, 5353);
  EXPECT_EQ(a.key.port_hi, 53);
  EXPECT_TRUE(a.src_is_hi);
}

TEST(FlowKeyTest, IcmpEchoRequestAndReplyJoin) {
  const Bytes req = Cat({Eth(0x0800), Ipv4(1, 28, 1, 0, 64, kA, kB), Icmp(8, 0, 0x77, 1)});
  const Bytes rep = Cat({Eth(0x0800), Ipv4(1, 28, 2, 0, 64, kB, kA), Icmp(0, 0, 0x77, 1)});
  const Keyed a = KeyOf(req);
  const Keyed b = KeyOf(rep);
  ASSERT_TRUE(a.ok);
  EXPECT_TRUE(a.key == b.key);
  EXPECT_EQ(a.key.kind, FlowKind::kIcmp);
  EXPECT_EQ(a.key.proto, 1);
  EXPECT_EQ(a.key.port_lo, 8 << 8);  // type 8, code 0
  EXPECT_EQ(a.key.port_hi, 0x77);
  EXPECT_FALSE(a.src_is_hi);
  EXPECT_TRUE(b.src_is_hi);
  // Another echo id is another flow.
  const Bytes other = Cat({Eth(0x0800), Ipv4(1, 28, 1, 0, 64, kA, kB), Icmp(8, 0, 0x78, 1)});
  EXPECT_FALSE(KeyOf(other).key == a.key);
  // Unreachable (type 3 code 1) is keyed by type and code, id 0.
  const Bytes unreach = Cat({Eth(0x0800), Ipv4(1, 28, 1, 0, 64, kB, kA), Icmp(3, 1, 0x77, 1)});
  const Keyed u = KeyOf(unreach);
  EXPECT_EQ(u.key.port_lo, 3 << 8 | 1);
  EXPECT_EQ(u.key.port_hi, 0);
  EXPECT_FALSE(u.key == a.key);

  // ICMPv6 128/129.
  const Keyed r6 = KeyOf(Cat({Eth(0x86DD), Ipv6(58, 8, 64, 1, 2), Icmp(128, 0, 5, 1)}));
  const Keyed p6 = KeyOf(Cat({Eth(0x86DD), Ipv6(58, 8, 64, 2, 1), Icmp(129, 0, 5, 1)}));
  EXPECT_TRUE(r6.key == p6.key);
  EXPECT_EQ(r6.key.proto, 58);
  EXPECT_EQ(r6.key.port_lo, 128 << 8);
  EXPECT_EQ(r6.key.port_hi, 5);
}

TEST(FlowKeyTest, NonFirstFragmentsKeyByFragmentId) {
  const Bytes f1 = Cat({Eth(0x0800), Ipv4(17, 20 + 16, 0x5555, 0x2002, 64, kB, kA), Payload(16)});
  const Bytes f2 = Cat({Eth(0x0800), Ipv4(17, 20 + 8, 0x5555, 0x0004, 64, kB, kA), Payload(8)});
  const Keyed a = KeyOf(f1);
  const Keyed b = KeyOf(f2);
  ASSERT_TRUE(a.ok);
  EXPECT_TRUE(a.key == b.key);
  EXPECT_EQ(a.key.kind, FlowKind::kFragment);
  EXPECT_EQ(a.key.proto, 0);
  EXPECT_EQ(a.key.port_lo, 0);
  EXPECT_EQ(a.key.port_hi, 0);
  EXPECT_EQ(a.key.frag_id, 0x5555u);
  EXPECT_TRUE(a.src_is_hi);  // src 192.168.1.2 > dst 10.0.0.1
  const Bytes f3 = Cat({Eth(0x0800), Ipv4(17, 20 + 8, 0x5556, 0x0004, 64, kB, kA), Payload(8)});
  EXPECT_FALSE(KeyOf(f3).key == a.key);

  // The first fragment has the ports: a normal transport key.
  const Bytes first =
      Cat({Eth(0x0800), Ipv4(17, 20 + 8, 0x5555, 0x2000, 64, kB, kA), Udp(53, 1000, 100)});
  const Keyed k = KeyOf(first);
  EXPECT_EQ(k.key.kind, FlowKind::kTransport);
  EXPECT_EQ(k.key.port_lo, 1000);

  // IPv6 non-first fragment: 32-bit id.
  const Bytes fh = {17, 0, 0x00, 0x68, 0xde, 0xad, 0xbe, 0xef};
  const Keyed v6 = KeyOf(Cat({Eth(0x86DD), Ipv6(44, 16), fh, Payload(8)}));
  EXPECT_EQ(v6.key.kind, FlowKind::kFragment);
  EXPECT_EQ(v6.key.frag_id, 0xdeadbeefu);
}

TEST(FlowKeyTest, NoPortsAndNonIp) {
  // GRE: keyed by addresses and protocol.
  const Keyed gre = KeyOf(Cat({Eth(0x0800), Ipv4(47, 24, 1, 0, 64, kA, kB), {0, 0, 8, 0}}));
  ASSERT_TRUE(gre.ok);
  EXPECT_EQ(gre.key.proto, 47);
  EXPECT_EQ(gre.key.port_lo, 0);
  // TCP cut after the ports still has them.
  Bytes cut = V4Tcp(kA, kB, 1234, 80);
  cut.resize(14 + 20 + 6);
  const Keyed c = KeyOf(cut);
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.key.port_lo, 1234);
  EXPECT_EQ(c.key.port_hi, 80);

  FlowKey untouched;
  untouched.proto = 99;
  const Bytes arp = Cat({Eth(0x0806), Payload(28, 0)});
  PacketRef ref{0, static_cast<uint32_t>(arp.size()), static_cast<uint32_t>(arp.size()),
                kLinkEthernet, arp.data()};
  DecodedPacket d;
  Decode(ref, &d);
  EXPECT_FALSE(MakeFlowKey(ref, d, &untouched));
  EXPECT_EQ(untouched.proto, 99);
  // IPv4 header itself truncated: no key.
  Bytes short_ip = V4Tcp(kA, kB, 1, 2);
  short_ip.resize(14 + 19);
  EXPECT_FALSE(KeyOf(short_ip).ok);
  // A DecodedPacket that does not belong to the packet is rejected, not read.
  d = DecodedPacket{};
  d.l3 = L3::kIPv6;
  d.addr_len = 16;
  d.src_off = 30;
  d.dst_off = 46;
  EXPECT_FALSE(MakeFlowKey(ref, d, &untouched));
}

TEST(FlowKeyTest, HashSpreadsAndIsStable) {
  // Golden value: the hash is part of what later stages may persist; it must
  // not change by accident or by platform.
  const Keyed k = KeyOf(V4Tcp(kA, kB, 40000, 443));
  EXPECT_EQ(k.key.Hash(), 0x069998d4a40058b2ull);
  EXPECT_EQ(FlowKey{}.Hash(), 0xc475dcdf067563daull);
  std::unordered_set<uint64_t> hashes;
  std::unordered_set<uint64_t> low16;
  for (uint32_t host = 0; host < 256; ++host) {
    for (uint16_t port = 1000; port < 1256; ++port) {
      const Keyed h = KeyOf(V4Tcp(kA, kB + host, port, 443));
      hashes.insert(h.key.Hash());
      low16.insert(h.key.Hash() & 0xFFFF);
    }
  }
  EXPECT_EQ(hashes.size(), 256u * 256u);  // no full 64-bit collision
  EXPECT_GT(low16.size(), 40000u);        // ~41427 expected for 65536 random draws
  std::unordered_set<FlowKey, FlowKeyHash> set;
  set.insert(k.key);
  set.insert(KeyOf(V4Tcp(kB, kA, 443, 40000)).key);
  EXPECT_EQ(set.size(), 1u);
}

}  // namespace
}  // namespace trove
