// Decode() on hand-built packets: every link type, tags and labels, IPv4,
// IPv6 extension headers and fragments, transports, malformed fields,
// truncation at every length, and caplen beyond the 16-bit offset range.
// Expected offsets are computed by hand in the comments.

#include "packet/decoder.h"

#include <gtest/gtest.h>

#include <vector>

#include "packet/packet_test_util.h"

namespace trove {
namespace {

using testing_util::Bytes;
using testing_util::Cat;
using testing_util::DecodeBytes;
using testing_util::Dump;
using testing_util::Eth;
using testing_util::Icmp;
using testing_util::Ipv4;
using testing_util::Ipv6;
using testing_util::Mpls;
using testing_util::Payload;
using testing_util::Tag;
using testing_util::Tcp;
using testing_util::Udp;

constexpr uint16_t kEth = kLinkEthernet;

// Ethernet(14) IPv4(20) TCP(20) + 5 payload bytes = 59 bytes.
Bytes EthIpv4Tcp() {
  return Cat({Eth(0x0800), Ipv4(6, 20 + 20 + 5), Tcp(12345, 80, 0x18), Payload(5)});
}

// Ethernet(14) IPv6(40) UDP(8) + 4 payload bytes = 66 bytes.
Bytes EthIpv6Udp() { return Cat({Eth(0x86DD), Ipv6(17, 8 + 4), Udp(5353, 53, 12), Payload(4)}); }

TEST(DecoderTest, EthernetIpv4Tcp) {
  const DecodedPacket d = DecodeBytes(EthIpv4Tcp(), kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.l2_off, 0);
  EXPECT_EQ(d.l3_off, 14);
  EXPECT_EQ(d.ethertype, 0x0800);
  EXPECT_EQ(d.vlan_depth, 0);
  EXPECT_EQ(d.vlan_id, 0);
  EXPECT_EQ(d.mpls_depth, 0);
  EXPECT_EQ(d.l3, L3::kIPv4);
  EXPECT_TRUE(d.has_ip());
  EXPECT_EQ(d.addr_len, 4);
  EXPECT_EQ(d.src_off, 14 + 12);
  EXPECT_EQ(d.dst_off, 14 + 16);
  EXPECT_EQ(d.ip_proto, 6);
  EXPECT_EQ(d.ttl, 64);
  EXPECT_FALSE(d.is_fragment);
  EXPECT_FALSE(d.first_fragment);
  EXPECT_EQ(d.frag_id, 0x1234u);
  EXPECT_EQ(d.l4_off, 34);
  EXPECT_TRUE(d.has_l4());
  EXPECT_EQ(d.sport, 12345);
  EXPECT_EQ(d.dport, 80);
  EXPECT_EQ(d.tcp_flags, 0x18);
  EXPECT_EQ(d.payload_off, 54);
  EXPECT_EQ(d.payload_len, 5u);
  EXPECT_EQ(d.icmp_type, 0);
  EXPECT_EQ(d.icmp_id, 0);
}

TEST(DecoderTest, ReturnValueMatchesStop) {
  const Bytes b = EthIpv4Tcp();
  PacketRef ref{0, static_cast<uint32_t>(b.size()), static_cast<uint32_t>(b.size()), kEth,
                b.data()};
  DecodedPacket d;
  d.sport = 999;  // Decode resets the output first
  EXPECT_TRUE(Decode(ref, &d));
  EXPECT_EQ(d.sport, 12345);
  ref.caplen = 40;
  EXPECT_FALSE(Decode(ref, &d));
  EXPECT_EQ(d.stop, DecodeStop::kTruncated);
  ref.linktype = 4242;
  EXPECT_FALSE(Decode(ref, &d));
  EXPECT_EQ(d.stop, DecodeStop::kUnsupportedL2);
  EXPECT_EQ(d.l3, L3::kNone);
  EXPECT_EQ(d.l3_off, 0);
}

TEST(DecoderTest, TcpOptionsAndFlagsByte) {
  // TCP doff 8 = 32-byte header: payload at 14 + 20 + 32 = 66.
  const Bytes b = Cat({Eth(0x0800), Ipv4(6, 20 + 32 + 3), Tcp(1, 2, 0xC2, 8), Payload(3)});
  const DecodedPacket d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.tcp_flags, 0xC2);  // CWR|ECE|SYN: the whole byte
  EXPECT_EQ(d.payload_off, 66);
  EXPECT_EQ(d.payload_len, 3u);
}

TEST(DecoderTest, Ipv4OptionsMoveL4) {
  // IHL 6: 4 bytes of options, UDP at 14 + 24 = 38.
  Bytes ip = Ipv4(17, 24 + 8);
  ip[0] = 0x46;
  const Bytes b = Cat({Eth(0x0800), ip, {1, 1, 1, 1}, Udp(1000, 2000, 8)});
  const DecodedPacket d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.l4_off, 38);
  EXPECT_EQ(d.sport, 1000);
  EXPECT_EQ(d.dport, 2000);
  EXPECT_EQ(d.payload_off, 46);
  EXPECT_EQ(d.payload_len, 0u);
}

TEST(DecoderTest, EthernetPaddingIsNotPayload) {
  // IPv4 total 28 (UDP, no data) in a 60-byte frame: 18 bytes of padding.
  const Bytes udp = Cat({Eth(0x0800), Ipv4(17, 28), Udp(53, 1024, 8), Payload(18, 0)});
  ASSERT_EQ(udp.size(), 60u);
  DecodedPacket d = DecodeBytes(udp, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.payload_off, 42);
  EXPECT_EQ(d.payload_len, 0u);

  // IPv4 total 40 (bare TCP ACK) padded to 60: no payload either.
  const Bytes ack = Cat({Eth(0x0800), Ipv4(6, 40), Tcp(1, 2, 0x10), Payload(6, 0)});
  d = DecodeBytes(ack, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.payload_off, 54);
  EXPECT_EQ(d.payload_len, 0u);

  // IPv4 total 30 claims only 10 TCP bytes; the padding after it must not
  // complete the TCP header: malformed, but the ports (inside) are kept.
  const Bytes cut = Cat({Eth(0x0800), Ipv4(6, 30), Tcp(7, 8, 0x02), Payload(6, 0)});
  d = DecodeBytes(cut, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kMalformed) << Dump(d);
  EXPECT_EQ(d.l3, L3::kIPv4);
  EXPECT_EQ(d.l4_off, 34);
  EXPECT_EQ(d.sport, 7);
  EXPECT_EQ(d.dport, 8);
  EXPECT_EQ(d.payload_off, 0);
}

TEST(DecoderTest, Vlan8021Q) {
  // TPID 0x8100 at 12, TCI vid 100, inner 0x0800 at 16; IPv4 at 18.
  const Bytes b = Cat({Eth(0x8100), Tag(100, 0x0800), Ipv4(17, 28), Udp(67, 68, 8)});
  const DecodedPacket d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.vlan_depth, 1);
  EXPECT_EQ(d.vlan_id, 100);
  EXPECT_EQ(d.ethertype, 0x0800);
  EXPECT_EQ(d.l3_off, 18);
  EXPECT_EQ(d.src_off, 30);
  EXPECT_EQ(d.l4_off, 38);
  EXPECT_EQ(d.sport, 67);
}

TEST(DecoderTest, QinQStacks) {
  // 802.1ad outer (vid 10, PCP bits set to check masking) + 802.1Q inner (vid 20): IPv6 at 22.
  Bytes outer = Tag(10, 0x8100);
  outer[0] |= 0xE0;  // PCP 7
  const Bytes ad = Cat({Eth(0x88A8), outer, Tag(20, 0x86DD), Ipv6(17, 8), Udp(1, 2, 8)});
  DecodedPacket d = DecodeBytes(ad, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.vlan_depth, 2);
  EXPECT_EQ(d.vlan_id, 10);
  EXPECT_EQ(d.ethertype, 0x86DD);
  EXPECT_EQ(d.l3_off, 22);
  EXPECT_EQ(d.src_off, 30);
  EXPECT_EQ(d.dst_off, 46);
  EXPECT_EQ(d.l4_off, 62);

  // Old-style 0x9100 outer, three tags deep, then ARP at 26.
  const Bytes old =
      Cat({Eth(0x9100), Tag(4095, 0x9100), Tag(2, 0x8100), Tag(3, 0x0806), Payload(28, 0)});
  d = DecodeBytes(old, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNonIpL3) << Dump(d);
  EXPECT_EQ(d.l3, L3::kArp);
  EXPECT_EQ(d.vlan_depth, 3);
  EXPECT_EQ(d.vlan_id, 4095);
  EXPECT_EQ(d.ethertype, 0x0806);
  EXPECT_EQ(d.l3_off, 26);
}

TEST(DecoderTest, MplsStacks) {
  // Two labels, bottom-of-stack on the second: IPv4 at 14 + 8 = 22.
  const Bytes v4 =
      Cat({Eth(0x8847), Mpls(16, false), Mpls(17, true), Ipv4(6, 40), Tcp(443, 5555, 0x12)});
  DecodedPacket d = DecodeBytes(v4, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.mpls_depth, 2);
  EXPECT_EQ(d.ethertype, 0x0800);
  EXPECT_EQ(d.l3_off, 22);
  EXPECT_EQ(d.src_off, 34);
  EXPECT_EQ(d.l4_off, 42);
  EXPECT_EQ(d.sport, 443);
  EXPECT_EQ(d.tcp_flags, 0x12);

  // VLAN then multicast MPLS (one label) then IPv6 at 14 + 4 + 4 = 22.
  const Bytes v6 =
      Cat({Eth(0x8100), Tag(7, 0x8848), Mpls(99, true), Ipv6(58, 8), Icmp(128, 0, 0xbeef, 1)});
  d = DecodeBytes(v6, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.vlan_depth, 1);
  EXPECT_EQ(d.vlan_id, 7);
  EXPECT_EQ(d.mpls_depth, 1);
  EXPECT_EQ(d.ethertype, 0x86DD);
  EXPECT_EQ(d.l3_off, 22);
  EXPECT_EQ(d.l4_off, 62);
  EXPECT_EQ(d.icmp_id, 0xbeef);

  // Payload after the stack is neither IPv4 nor IPv6 (PW control word 0x0...).
  const Bytes pw = Cat({Eth(0x8847), Mpls(5, true), Payload(30, 0)});
  d = DecodeBytes(pw, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNonIpL3) << Dump(d);
  EXPECT_EQ(d.l3, L3::kOther);
  EXPECT_EQ(d.l3_off, 18);
  EXPECT_EQ(d.ethertype, 0x8847);

  // A label stack that never reaches bottom-of-stack runs out of bytes.
  Bytes endless = Eth(0x8847);
  for (int i = 0; i < 10; ++i) endless = Cat({endless, Mpls(1, false)});
  d = DecodeBytes(endless, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kTruncated) << Dump(d);
  EXPECT_EQ(d.mpls_depth, 10);
  EXPECT_EQ(d.l3, L3::kNone);
}

TEST(DecoderTest, ArpAndOtherEthertypes) {
  DecodedPacket d = DecodeBytes(Cat({Eth(0x0806), Payload(28, 0)}), kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNonIpL3);
  EXPECT_EQ(d.l3, L3::kArp);
  EXPECT_EQ(d.l3_off, 14);
  EXPECT_EQ(d.ethertype, 0x0806);
  EXPECT_FALSE(d.has_ip());

  d = DecodeBytes(Cat({Eth(0x88CC), Payload(30, 0)}), kEth);  // LLDP
  EXPECT_EQ(d.stop, DecodeStop::kNonIpL3);
  EXPECT_EQ(d.l3, L3::kOther);
  EXPECT_EQ(d.ethertype, 0x88CC);
  EXPECT_EQ(d.l3_off, 14);
}

TEST(DecoderTest, Ieee8023Llc) {
  // 802.3 length 46 with STP LLC (42 42 03): not IP.
  DecodedPacket d = DecodeBytes(Cat({Eth(46), {0x42, 0x42, 0x03}, Payload(43, 0)}), kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNonIpL3) << Dump(d);
  EXPECT_EQ(d.l3, L3::kOther);
  EXPECT_EQ(d.ethertype, 0);
  EXPECT_EQ(d.l3_off, 14);

  // LLC/SNAP with the Ethernet OUI carries an ethertype: IPv4 at 14 + 8 = 22.
  const Bytes snap =
      Cat({Eth(8 + 28), {0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00}, Ipv4(17, 28), Udp(9, 9, 8)});
  d = DecodeBytes(snap, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.l3_off, 22);
  EXPECT_EQ(d.ethertype, 0x0800);
  EXPECT_EQ(d.l4_off, 42);

  // 802.3 inside an 802.1Q tag: IPv6 at 14 + 4 + 8 = 26.
  const Bytes vlan_snap = Cat({Eth(0x8100),
                               Tag(9, 8 + 48),
                               {0xAA, 0xAA, 0x03, 0, 0, 0, 0x86, 0xDD},
                               Ipv6(17, 8),
                               Udp(9, 9, 8)});
  d = DecodeBytes(vlan_snap, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.vlan_id, 9);
  EXPECT_EQ(d.l3_off, 26);
  EXPECT_EQ(d.ethertype, 0x86DD);

  // SNAP with a non-Ethernet OUI (Cisco 00 00 0c): not IP.
  d = DecodeBytes(Cat({Eth(8 + 28), {0xAA, 0xAA, 0x03, 0, 0, 0x0c, 0x20, 0x00}, Payload(28, 0)}),
                  kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNonIpL3) << Dump(d);
  EXPECT_EQ(d.ethertype, 0);

  // Cut inside the SNAP header: cannot tell yet.
  EXPECT_EQ(DecodeBytes(snap, kEth, 14 + 5).stop, DecodeStop::kTruncated);
  EXPECT_EQ(DecodeBytes(snap, kEth, 14 + 1).stop, DecodeStop::kTruncated);
}

TEST(DecoderTest, LinuxSll) {
  // SLL: pkttype 0, ARPHRD_ETHER 1, addr len 6, addr(8), protocol 0x0800; IP at 16.
  const Bytes sll = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  const Bytes b = Cat({sll, Ipv4(17, 28, 0x0001, 0, 128), Udp(4000, 53, 8)});
  DecodedPacket d = DecodeBytes(b, kLinkLinuxSll);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.l3_off, 16);
  EXPECT_EQ(d.ethertype, 0x0800);
  EXPECT_EQ(d.src_off, 28);
  EXPECT_EQ(d.l4_off, 36);
  EXPECT_EQ(d.ttl, 128);
  EXPECT_EQ(d.sport, 4000);

  // A VLAN tag left in the payload (no offload) is still peeled: IP at 20.
  const Bytes sll_vlan = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x81, 0x00};
  d = DecodeBytes(Cat({sll_vlan, Tag(33, 0x0800), Ipv4(17, 28), Udp(1, 2, 8)}), kLinkLinuxSll);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.vlan_id, 33);
  EXPECT_EQ(d.l3_off, 20);

  // ARPHRD_NETLINK (824): the protocol field is a netlink family, not IP.
  const Bytes nl = {0, 4, 0x03, 0x38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00};
  d = DecodeBytes(Cat({nl, Payload(20, 0)}), kLinkLinuxSll);
  EXPECT_EQ(d.stop, DecodeStop::kNonIpL3) << Dump(d);
  EXPECT_EQ(d.l3, L3::kOther);

  d = DecodeBytes(sll, kLinkLinuxSll, 15);
  EXPECT_EQ(d.stop, DecodeStop::kTruncated);

  // Protocol 0x0004: an 802.2 LLC frame follows (here SNAP -> IPv4 at 24).
  const Bytes sll_llc = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x00, 0x04};
  d = DecodeBytes(
      Cat({sll_llc, {0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00}, Ipv4(17, 28), Udp(1, 2, 8)}),
      kLinkLinuxSll);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.l3_off, 24);
  // Protocol 0x0001 (Novell 802.3) and other small values: not IP.
  const Bytes sll_novell = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x00, 0x01};
  d = DecodeBytes(Cat({sll_novell, Payload(30, 0xff)}), kLinkLinuxSll);
  EXPECT_EQ(d.stop, DecodeStop::kNonIpL3) << Dump(d);
  EXPECT_EQ(d.l3_off, 16);
}

TEST(DecoderTest, LinuxSll2) {
  // SLL2: protocol 0x86DD, reserved, ifindex 2, ARPHRD 1, pkttype 4, addr len 6, addr(8).
  const Bytes sll2 = {0x86, 0xDD, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  const Bytes b = Cat({sll2, Ipv6(6, 20, 255), Tcp(22, 60000, 0x11)});
  const DecodedPacket d = DecodeBytes(b, kLinkLinuxSll2);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.l3_off, 20);
  EXPECT_EQ(d.ethertype, 0x86DD);
  EXPECT_EQ(d.src_off, 28);
  EXPECT_EQ(d.dst_off, 44);
  EXPECT_EQ(d.ttl, 255);
  EXPECT_EQ(d.l4_off, 60);
  EXPECT_EQ(d.sport, 22);
  EXPECT_EQ(d.dport, 60000);
  EXPECT_EQ(d.tcp_flags, 0x11);
  EXPECT_EQ(d.payload_off, 80);
}

TEST(DecoderTest, BsdNullAndLoop) {
  const Bytes v4 = Cat({Ipv4(17, 28), Udp(1, 2, 8)});
  const Bytes v6 = Cat({Ipv6(17, 8), Udp(1, 2, 8)});
  struct Case {
    uint16_t linktype;
    Bytes af;
    DecodeStop stop;
    L3 l3;
  };
  const std::vector<Case> cases = {
      {kLinkNull, {2, 0, 0, 0}, DecodeStop::kNone, L3::kIPv4},      // little-endian host
      {kLinkNull, {0, 0, 0, 2}, DecodeStop::kNone, L3::kIPv4},      // big-endian host
      {kLinkNull, {24, 0, 0, 0}, DecodeStop::kNone, L3::kIPv6},     // NetBSD/OpenBSD
      {kLinkNull, {0, 0, 0, 28}, DecodeStop::kNone, L3::kIPv6},     // FreeBSD, big-endian
      {kLinkNull, {30, 0, 0, 0}, DecodeStop::kNone, L3::kIPv6},     // Darwin
      {kLinkNull, {7, 0, 0, 0}, DecodeStop::kNonIpL3, L3::kOther},  // unknown AF
      {kLinkLoop, {0, 0, 0, 2}, DecodeStop::kNone, L3::kIPv4},      // network order
      {kLinkLoop, {0, 0, 0, 30}, DecodeStop::kNone, L3::kIPv6},
      {kLinkLoop, {2, 0, 0, 0}, DecodeStop::kNonIpL3, L3::kOther},  // host order: not LOOP
  };
  for (const Case& c : cases) {
    const Bytes& ip = c.l3 == L3::kIPv6 ? v6 : v4;
    const DecodedPacket d = DecodeBytes(Cat({c.af, ip}), c.linktype);
    SCOPED_TRACE(std::to_string(c.linktype) + " af[0]=" + std::to_string(c.af[0]) +
                 " af[3]=" + std::to_string(c.af[3]));
    EXPECT_EQ(d.stop, c.stop) << Dump(d);
    EXPECT_EQ(d.l3, c.l3);
    EXPECT_EQ(d.l3_off, 4);
    if (c.stop == DecodeStop::kNone) {
      EXPECT_EQ(d.ethertype, c.l3 == L3::kIPv4 ? 0x0800 : 0x86DD);
      EXPECT_EQ(d.l4_off, c.l3 == L3::kIPv4 ? 24 : 44);
    }
  }
  EXPECT_EQ(DecodeBytes({2, 0, 0}, kLinkNull).stop, DecodeStop::kTruncated);
}

TEST(DecoderTest, RawIpLinkTypes) {
  const Bytes v4 = Cat({Ipv4(1, 28), Icmp(8, 0, 0x4242, 7)});
  const Bytes v6 = Cat({Ipv6(58, 8), Icmp(129, 0, 0x0102, 7)});
  for (uint16_t lt : {kLinkRaw, kLinkRawBsdOs, kLinkTypeRaw}) {
    SCOPED_TRACE(lt);
    DecodedPacket d = DecodeBytes(v4, lt);
    EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
    EXPECT_EQ(d.l3_off, 0);
    EXPECT_EQ(d.l3, L3::kIPv4);
    EXPECT_EQ(d.ethertype, 0x0800);
    EXPECT_EQ(d.src_off, 12);
    EXPECT_EQ(d.l4_off, 20);
    EXPECT_EQ(d.icmp_type, 8);
    EXPECT_EQ(d.icmp_id, 0x4242);
    EXPECT_EQ(d.payload_off, 28);
    d = DecodeBytes(v6, lt);
    EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
    EXPECT_EQ(d.l3, L3::kIPv6);
    EXPECT_EQ(d.src_off, 8);
    EXPECT_EQ(d.dst_off, 24);
    EXPECT_EQ(d.l4_off, 40);
    EXPECT_EQ(d.icmp_type, 129);
    EXPECT_EQ(d.icmp_id, 0x0102);
    EXPECT_EQ(DecodeBytes({0x50, 0, 0, 20}, lt).stop, DecodeStop::kMalformed);
    EXPECT_EQ(DecodeBytes({}, lt).stop, DecodeStop::kTruncated);
  }
  EXPECT_EQ(DecodeBytes(v4, kLinkIPv4).stop, DecodeStop::kNone);
  EXPECT_EQ(DecodeBytes(v6, kLinkIPv6).stop, DecodeStop::kNone);
  // DLT_IPV4 / DLT_IPV6 do not guess: the other version is malformed.
  EXPECT_EQ(DecodeBytes(v6, kLinkIPv4).stop, DecodeStop::kMalformed);
  EXPECT_EQ(DecodeBytes(v4, kLinkIPv6).stop, DecodeStop::kMalformed);
}

TEST(DecoderTest, Ipv4Malformed) {
  Bytes b = EthIpv4Tcp();
  b[14] = 0x55;  // version 5
  EXPECT_EQ(DecodeBytes(b, kEth).stop, DecodeStop::kMalformed);
  b[14] = 0x44;  // IHL 4 < 5
  DecodedPacket d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kMalformed);
  EXPECT_EQ(d.l3, L3::kNone);  // no usable addresses from an impossible header
  EXPECT_EQ(d.l3_off, 14);
  EXPECT_EQ(d.ethertype, 0x0800);

  b = EthIpv4Tcp();
  b[16] = 0;
  b[17] = 19;  // total length 19 < 20
  EXPECT_EQ(DecodeBytes(b, kEth).stop, DecodeStop::kMalformed);
  b[14] = 0x46;
  b[17] = 22;  // total length 22 < IHL*4 = 24
  EXPECT_EQ(DecodeBytes(b, kEth).stop, DecodeStop::kMalformed);
}

TEST(DecoderTest, Ipv4TotalLengthZeroIsOffload) {
  // TSO: total length 0, the datagram runs to the end of the capture.
  Bytes b = EthIpv4Tcp();
  b[16] = b[17] = 0;
  const DecodedPacket d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.payload_off, 54);
  EXPECT_EQ(d.payload_len, 5u);
}

TEST(DecoderTest, TcpMalformedDataOffset) {
  Bytes b = EthIpv4Tcp();
  b[34 + 12] = 0x40;  // doff 4
  DecodedPacket d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kMalformed) << Dump(d);
  EXPECT_EQ(d.l3, L3::kIPv4);
  EXPECT_EQ(d.sport, 12345);  // the layers decoded so far stay
  EXPECT_EQ(d.payload_off, 0);
  b[34 + 12] = 0x00;  // doff 0
  EXPECT_EQ(DecodeBytes(b, kEth).stop, DecodeStop::kMalformed);
  b[34 + 12] = 0xF0;  // doff 15 = 60 bytes, more than the 25-byte datagram
  EXPECT_EQ(DecodeBytes(b, kEth).stop, DecodeStop::kMalformed);
  // The same header with the datagram claiming enough bytes, but a short capture.
  b[16] = 0;
  b[17] = 20 + 60;
  EXPECT_EQ(DecodeBytes(b, kEth).stop, DecodeStop::kTruncated);
}

TEST(DecoderTest, Ipv4Fragments) {
  // First fragment: MF, offset 0. UDP header present and decoded.
  const Bytes first =
      Cat({Eth(0x0800), Ipv4(17, 20 + 8 + 16, 0xabcd, 0x2000), Udp(53, 9999, 1400), Payload(16)});
  DecodedPacket d = DecodeBytes(first, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_TRUE(d.is_fragment);
  EXPECT_TRUE(d.first_fragment);
  EXPECT_EQ(d.frag_id, 0xabcdu);
  EXPECT_EQ(d.l4_off, 34);
  EXPECT_EQ(d.sport, 53);

  // Middle fragment: MF, offset 3 (24 bytes): no L4 here.
  const Bytes mid = Cat({Eth(0x0800), Ipv4(17, 20 + 24, 0xabcd, 0x2003), Payload(24)});
  d = DecodeBytes(mid, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kFragment) << Dump(d);
  EXPECT_TRUE(d.is_fragment);
  EXPECT_FALSE(d.first_fragment);
  EXPECT_EQ(d.ip_proto, 17);
  EXPECT_EQ(d.l4_off, 0);
  EXPECT_FALSE(d.has_l4());
  EXPECT_EQ(d.sport, 0);
  EXPECT_EQ(d.payload_off, 34);
  EXPECT_EQ(d.payload_len, 24u);
  EXPECT_TRUE(d.has_ip());

  // Last fragment: MF clear, offset 6.
  const Bytes last = Cat({Eth(0x0800), Ipv4(17, 20 + 5, 0xabcd, 0x0006), Payload(5)});
  d = DecodeBytes(last, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kFragment) << Dump(d);
  EXPECT_TRUE(d.is_fragment);
  EXPECT_FALSE(d.first_fragment);

  // DF alone is not a fragment.
  d = DecodeBytes(EthIpv4Tcp(), kEth);
  EXPECT_FALSE(d.is_fragment);
}

TEST(DecoderTest, Ipv6ExtensionHeaders) {
  // IPv6(40) hop-by-hop(8) routing(24: len 2) dest-opts(16: len 1) AH(16: len 2) TCP(20).
  const Bytes hbh = {43, 0, 1, 4, 0, 0, 0, 0};
  Bytes rt(24, 0);
  rt[0] = 60;
  rt[1] = 2;
  Bytes dst(16, 0);
  dst[0] = 51;
  dst[1] = 1;
  Bytes ah(16, 0);  // (2 + 2) * 4 = 16 bytes
  ah[0] = 6;
  ah[1] = 2;
  const Bytes b = Cat({Eth(0x86DD), Ipv6(0, 8 + 24 + 16 + 16 + 20 + 2, 1), hbh, rt, dst, ah,
                       Tcp(80, 40000, 0x10), Payload(2)});
  const DecodedPacket d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.l3, L3::kIPv6);
  EXPECT_EQ(d.ip_proto, 6);
  EXPECT_EQ(d.ttl, 1);
  EXPECT_EQ(d.l4_off, 14 + 40 + 8 + 24 + 16 + 16);  // 118
  EXPECT_EQ(d.sport, 80);
  EXPECT_EQ(d.payload_off, 138);
  EXPECT_EQ(d.payload_len, 2u);
  EXPECT_FALSE(d.is_fragment);

  // Mobility header (135) with a (synthetic) upper layer after it.
  Bytes mob(8, 0);
  mob[0] = 17;
  const DecodedPacket m = DecodeBytes(Cat({Eth(0x86DD), Ipv6(135, 16), mob, Udp(1, 2, 8)}), kEth);
  EXPECT_EQ(m.stop, DecodeStop::kNone) << Dump(m);
  EXPECT_EQ(m.l4_off, 62);

  // Extension header length pointing past the datagram: malformed.
  Bytes big = hbh;
  big[1] = 10;  // 88 bytes
  DecodedPacket e = DecodeBytes(Cat({Eth(0x86DD), Ipv6(0, 8 + 8), big, Udp(1, 2, 8)}), kEth);
  EXPECT_EQ(e.stop, DecodeStop::kMalformed) << Dump(e);
  EXPECT_EQ(e.l3, L3::kIPv6);
  EXPECT_EQ(e.ip_proto, 0);  // stopped inside the hop-by-hop header
  // ... and past the capture while the datagram claims it: truncated.
  e = DecodeBytes(Cat({Eth(0x86DD), Ipv6(0, 88 + 8), big, Udp(1, 2, 8)}), kEth);
  EXPECT_EQ(e.stop, DecodeStop::kTruncated) << Dump(e);
}

TEST(DecoderTest, Ipv6Fragments) {
  // Fragment header: next 17, offset 0, M=1, id 0x01020304. UDP follows.
  const Bytes fh_first = {17, 0, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04};
  DecodedPacket d = DecodeBytes(
      Cat({Eth(0x86DD), Ipv6(44, 8 + 8 + 100), fh_first, Udp(53, 5000, 500), Payload(100)}), kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_TRUE(d.is_fragment);
  EXPECT_TRUE(d.first_fragment);
  EXPECT_EQ(d.frag_id, 0x01020304u);
  EXPECT_EQ(d.ip_proto, 17);
  EXPECT_EQ(d.l4_off, 62);
  EXPECT_EQ(d.sport, 53);
  EXPECT_EQ(d.payload_off, 70);

  // Non-first: offset 13 (104 bytes) -> (13 << 3) = 0x0068, M=0.
  const Bytes fh_last = {17, 0, 0x00, 0x68, 0x01, 0x02, 0x03, 0x04};
  d = DecodeBytes(Cat({Eth(0x86DD), Ipv6(44, 8 + 50), fh_last, Payload(50)}), kEth);
  EXPECT_EQ(d.stop, DecodeStop::kFragment) << Dump(d);
  EXPECT_TRUE(d.is_fragment);
  EXPECT_FALSE(d.first_fragment);
  EXPECT_EQ(d.frag_id, 0x01020304u);
  EXPECT_EQ(d.ip_proto, 17);
  EXPECT_EQ(d.l4_off, 0);
  EXPECT_EQ(d.payload_off, 62);
  EXPECT_EQ(d.payload_len, 50u);

  // Atomic fragment (offset 0, M=0): not a fragment, id kept, L4 decoded.
  const Bytes fh_atomic = {6, 0, 0, 0, 0, 0, 0, 9};
  d = DecodeBytes(Cat({Eth(0x86DD), Ipv6(44, 8 + 20), fh_atomic, Tcp(1, 2, 2)}), kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_FALSE(d.is_fragment);
  EXPECT_FALSE(d.first_fragment);
  EXPECT_EQ(d.frag_id, 9u);
  EXPECT_EQ(d.sport, 1);
}

TEST(DecoderTest, Ipv6EspAndNoNextHeaderAreUnknownL4) {
  // ESP after a destination options header: stop at the ESP header (14+40+8 = 62).
  const Bytes dst = {50, 0, 1, 4, 0, 0, 0, 0};
  DecodedPacket d = DecodeBytes(Cat({Eth(0x86DD), Ipv6(60, 8 + 24), dst, Payload(24)}), kEth);
  EXPECT_EQ(d.stop, DecodeStop::kUnknownL4) << Dump(d);
  EXPECT_EQ(d.ip_proto, 50);
  EXPECT_EQ(d.l4_off, 0);
  EXPECT_EQ(d.payload_off, 62);
  EXPECT_EQ(d.payload_len, 24u);

  d = DecodeBytes(Cat({Eth(0x86DD), Ipv6(59, 0)}), kEth);
  EXPECT_EQ(d.stop, DecodeStop::kUnknownL4) << Dump(d);
  EXPECT_EQ(d.ip_proto, 59);

  // IPv4 carrying GRE.
  d = DecodeBytes(Cat({Eth(0x0800), Ipv4(47, 20 + 4), {0, 0, 0x08, 0x00}}), kEth);
  EXPECT_EQ(d.stop, DecodeStop::kUnknownL4) << Dump(d);
  EXPECT_EQ(d.ip_proto, 47);
  EXPECT_EQ(d.payload_off, 34);
  EXPECT_EQ(d.payload_len, 4u);
}

TEST(DecoderTest, Ipv6Malformed) {
  Bytes b = EthIpv6Udp();
  b[14] = 0x40;  // version 4 in an 0x86DD frame
  DecodedPacket d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kMalformed);
  EXPECT_EQ(d.l3, L3::kNone);

  // Payload length 4 cannot hold the 8-byte UDP header.
  b = EthIpv6Udp();
  b[18] = 0;
  b[19] = 4;
  d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kMalformed) << Dump(d);
  EXPECT_EQ(d.sport, 5353);

  // Payload length 0 (jumbogram / offload): use the capture.
  b[19] = 0;
  d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.payload_len, 4u);
}

TEST(DecoderTest, IcmpTypes) {
  struct Case {
    bool v6;
    uint8_t type;
    uint16_t want_id;
  };
  for (const Case& c : std::vector<Case>{{false, 8, 0x1111},
                                         {false, 0, 0x1111},
                                         {false, 3, 0},
                                         {false, 13, 0},
                                         {true, 128, 0x1111},
                                         {true, 129, 0x1111},
                                         {true, 134, 0},
                                         {true, 1, 0}}) {
    const Bytes icmp = Icmp(c.type, 4, 0x1111, 0x2222);
    const Bytes b =
        c.v6 ? Cat({Eth(0x86DD), Ipv6(58, 8), icmp}) : Cat({Eth(0x0800), Ipv4(1, 28), icmp});
    const DecodedPacket d = DecodeBytes(b, kEth);
    SCOPED_TRACE(std::string(c.v6 ? "v6 " : "v4 ") + std::to_string(c.type));
    EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
    EXPECT_EQ(d.icmp_type, c.type);
    EXPECT_EQ(d.icmp_code, 4);
    EXPECT_EQ(d.icmp_id, c.want_id);
    EXPECT_EQ(d.sport, 0);
    EXPECT_EQ(d.l4_off, c.v6 ? 54 : 34);
    EXPECT_EQ(d.payload_off, c.v6 ? 62 : 42);
  }
}

// Invariants every decode must satisfy, whatever the input.
void CheckInvariants(const DecodedPacket& d, size_t caplen) {
  const size_t lim = caplen < 65535 ? caplen : 65535;
  EXPECT_LE(d.l3_off, lim);
  EXPECT_LE(d.l4_off, lim);
  EXPECT_LE(d.payload_off, lim);
  EXPECT_LE(static_cast<size_t>(d.payload_off) + d.payload_len, caplen);
  if (d.has_ip()) {
    EXPECT_TRUE(d.addr_len == 4 || d.addr_len == 16);
    EXPECT_LE(d.src_off + d.addr_len, lim);
    EXPECT_LE(d.dst_off + d.addr_len, lim);
  } else {
    EXPECT_EQ(d.addr_len, 0);
    EXPECT_EQ(d.l4_off, 0);
  }
  if (d.has_l4()) {
    EXPECT_GT(d.l4_off, d.l3_off);
    EXPECT_LE(d.l4_off + 2u, lim);
  }
  if (d.stop == DecodeStop::kNone) {
    EXPECT_TRUE(d.has_l4());
    EXPECT_GE(d.payload_off, d.l4_off + 8);
  }
  if (d.stop == DecodeStop::kFragment) {
    EXPECT_TRUE(d.is_fragment);
    EXPECT_FALSE(d.first_fragment);
    EXPECT_FALSE(d.has_l4());
  }
}

struct Sample {
  const char* name;
  uint16_t linktype;
  Bytes bytes;
};

std::vector<Sample> ValidSamples() {
  const Bytes hbh = {44, 0, 1, 4, 0, 0, 0, 0};
  const Bytes fh = {6, 0, 0, 1, 0, 0, 0, 7};
  const Bytes sll = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x88, 0xA8};
  const Bytes sll2 = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  return {
      {"eth-ipv4-tcp", kEth, EthIpv4Tcp()},
      {"eth-ipv6-udp", kEth, EthIpv6Udp()},
      {"eth-ipv4-tcp-opts", kEth,
       Cat({Eth(0x0800), Ipv4(6, 20 + 40 + 1), Tcp(1, 2, 2, 10), Payload(1)})},
      {"qinq-mpls-ipv4-icmp", kEth,
       Cat({Eth(0x88A8), Tag(5, 0x8100), Tag(6, 0x8847), Mpls(1, false), Mpls(2, true), Ipv4(1, 28),
            Icmp(8, 0, 1, 1)})},
      {"eth-ipv6-ext-frag-tcp", kEth,
       Cat({Eth(0x86DD), Ipv6(0, 8 + 8 + 20 + 3), hbh, fh, Tcp(5, 6, 0x18), Payload(3)})},
      {"eth-ipv4-nonfirst-frag", kEth, Cat({Eth(0x0800), Ipv4(17, 20 + 8, 9, 0x0010), Payload(8)})},
      {"eth-snap-ipv4-udp", kEth,
       Cat({Eth(8 + 28), {0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00}, Ipv4(17, 28), Udp(9, 9, 8)})},
      {"sll-qinq-ipv6-icmpv6", kLinkLinuxSll,
       Cat({sll, Tag(1, 0x8100), Tag(2, 0x86DD), Ipv6(58, 8), Icmp(128, 0, 3, 4)})},
      {"sll2-ipv4-udp", kLinkLinuxSll2, Cat({sll2, Ipv4(17, 28 + 2), Udp(1, 2, 10), Payload(2)})},
      {"null-ipv6-tcp", kLinkNull, Cat({{30, 0, 0, 0}, Ipv6(6, 20), Tcp(1, 2, 2)})},
      {"loop-ipv4-udp", kLinkLoop, Cat({{0, 0, 0, 2}, Ipv4(17, 28), Udp(1, 2, 8)})},
      {"raw-ipv4-tcp", kLinkRaw, Cat({Ipv4(6, 40), Tcp(1, 2, 2)})},
      {"raw101-ipv6-udp", kLinkTypeRaw, Cat({Ipv6(17, 8), Udp(1, 2, 8)})},
      {"ipv4-228-icmp", kLinkIPv4, Cat({Ipv4(1, 28), Icmp(0, 0, 1, 1)})},
      {"ipv6-229-udp", kLinkIPv6, Cat({Ipv6(17, 8), Udp(1, 2, 8)})},
  };
}

// Every prefix of a valid packet: no out-of-bounds read (ASan), invariants
// hold, kTruncated until the headers are complete, and everything decoded
// from a prefix agrees with the full decode.
TEST(DecoderTest, TruncationAtEveryLength) {
  for (const Sample& s : ValidSamples()) {
    SCOPED_TRACE(s.name);
    const DecodedPacket full = DecodeBytes(s.bytes, s.linktype);
    ASSERT_TRUE(full.stop == DecodeStop::kNone || full.stop == DecodeStop::kFragment) << Dump(full);
    for (size_t len = 0; len <= s.bytes.size(); ++len) {
      SCOPED_TRACE(len);
      const DecodedPacket d = DecodeBytes(s.bytes, s.linktype, len);
      CheckInvariants(d, len);
      if (len < full.payload_off) {
        ASSERT_EQ(d.stop, DecodeStop::kTruncated) << Dump(d);
        EXPECT_EQ(d.payload_off, 0);
      } else {
        ASSERT_EQ(d.stop, full.stop) << Dump(d);
        EXPECT_EQ(d.payload_off, full.payload_off);
        EXPECT_EQ(d.payload_len, len - full.payload_off);
      }
      // Whatever was decoded matches the full decode.
      if (d.l3_off != 0) {
        EXPECT_EQ(d.l3_off, full.l3_off);
      }
      if (d.has_ip()) {
        EXPECT_EQ(d.src_off, full.src_off);
        EXPECT_EQ(d.dst_off, full.dst_off);
        EXPECT_EQ(d.ttl, full.ttl);
      }
      if (d.has_l4()) {
        EXPECT_EQ(d.l4_off, full.l4_off);
        EXPECT_EQ(d.sport, full.sport);
        EXPECT_EQ(d.dport, full.dport);
        EXPECT_EQ(d.icmp_type, full.icmp_type);
      }
      // The IP layer survives a cut inside the transport header.
      if (full.l4_off != 0 && len >= full.l4_off) {
        EXPECT_EQ(d.l3, full.l3);
        EXPECT_EQ(d.ip_proto, full.ip_proto);
      }
    }
  }
}

// Deterministic pseudo-random byte flips on the valid samples: invariants hold.
TEST(DecoderTest, CorruptedBytesKeepInvariants) {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (const Sample& s : ValidSamples()) {
    for (int iter = 0; iter < 3000; ++iter) {
      Bytes b = s.bytes;
      const int flips = 1 + static_cast<int>(next() % 4);
      for (int i = 0; i < flips; ++i) b[next() % b.size()] = static_cast<uint8_t>(next());
      const size_t len = next() % (b.size() + 1);
      const DecodedPacket d = DecodeBytes(b, s.linktype, len);
      CheckInvariants(d, len);
      if (HasFailure()) {
        ADD_FAILURE() << s.name << " iter " << iter << " " << Dump(d);
        return;
      }
    }
  }
}

TEST(DecoderTest, DeterministicAndIdempotent) {
  for (const Sample& s : ValidSamples()) {
    EXPECT_EQ(Dump(DecodeBytes(s.bytes, s.linktype)), Dump(DecodeBytes(s.bytes, s.linktype)));
  }
}

TEST(DecoderTest, NullDataAndZeroCaplen) {
  for (uint16_t lt : {kLinkNull, kLinkEthernet, kLinkRaw, kLinkLoop, kLinkLinuxSll, kLinkIPv4,
                      kLinkIPv6, kLinkLinuxSll2, kLinkTypeRaw}) {
    PacketRef ref;
    ref.linktype = lt;
    DecodedPacket d;
    EXPECT_FALSE(Decode(ref, &d));
    EXPECT_EQ(d.stop, DecodeStop::kTruncated) << lt;
    ref.caplen = 100;  // a lying caplen with no data must not be read
    EXPECT_FALSE(Decode(ref, &d));
    EXPECT_EQ(d.stop, DecodeStop::kTruncated) << lt;
  }
}

TEST(DecoderTest, CaplenBeyond16BitOffsets) {
  // A 70000-byte frame (TSO-style IPv4 total length 0): the headers decode,
  // payload_len covers the whole capture past the headers.
  Bytes b = Cat({Eth(0x0800), Ipv4(6, 0), Tcp(1, 2, 0x10)});
  b.resize(70000, 0x5a);
  DecodedPacket d = DecodeBytes(b, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kNone) << Dump(d);
  EXPECT_EQ(d.payload_off, 54);
  EXPECT_EQ(d.payload_len, 70000u - 54);
  CheckInvariants(d, b.size());

  // 70000 bytes of 0x8100 tags: the tag loop stops at the parse limit.
  Bytes tags(70000, 0);
  for (size_t i = 12; i + 1 < tags.size(); i += 4) {
    tags[i] = 0x81;
    tags[i + 1] = 0x00;
    tags[i + 2] = 0x81;
    tags[i + 3] = 0x00;
  }
  d = DecodeBytes(tags, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kTruncated) << Dump(d);
  EXPECT_EQ(d.vlan_depth, 255);  // saturates
  CheckInvariants(d, tags.size());

  // IPv6 extension headers marching past 65535: truncated at the limit.
  Bytes ext = Cat({Eth(0x86DD), Ipv6(60, 0)});
  while (ext.size() < 70000) ext = Cat({ext, {60, 255}, Payload(2046, 0)});
  d = DecodeBytes(ext, kEth);
  EXPECT_EQ(d.stop, DecodeStop::kTruncated) << Dump(d);
  EXPECT_EQ(d.l3, L3::kIPv6);
  CheckInvariants(d, ext.size());
}

}  // namespace
}  // namespace trove
