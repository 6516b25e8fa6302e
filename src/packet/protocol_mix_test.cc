// AccountPacket(): each packet lands in exactly one of tcp/udp/icmp/other
// and, when it has an IP layer, in ipv4 or ipv6; bytes are wire bytes.

#include "packet/protocol_mix.h"

#include <gtest/gtest.h>

#include "packet/packet_test_util.h"

namespace trove {
namespace {

using testing_util::Bytes;
using testing_util::Cat;
using testing_util::DecodeBytes;
using testing_util::Eth;
using testing_util::Icmp;
using testing_util::Ipv4;
using testing_util::Ipv6;
using testing_util::Payload;
using testing_util::Tcp;
using testing_util::Udp;

TEST(ProtocolMixTest, CountsByL3AndL4) {
  ProtocolMix mix;
  auto add = [&mix](const Bytes& b, uint32_t wirelen, size_t caplen = SIZE_MAX) {
    AccountPacket(DecodeBytes(b, kLinkEthernet, caplen), wirelen, &mix);
  };
  add(Cat({Eth(0x0800), Ipv4(6, 40), Tcp(1, 2, 2)}), 100);                // v4 tcp
  add(Cat({Eth(0x86DD), Ipv6(6, 20), Tcp(1, 2, 2)}), 200);                // v6 tcp
  add(Cat({Eth(0x0800), Ipv4(17, 28), Udp(1, 2, 8)}), 300);               // v4 udp
  add(Cat({Eth(0x0800), Ipv4(17, 28, 1, 0x0010), Payload(8)}), 400);      // v4 udp fragment
  add(Cat({Eth(0x0800), Ipv4(1, 28), Icmp(8, 0, 1, 1)}), 500);            // v4 icmp
  add(Cat({Eth(0x86DD), Ipv6(58, 8), Icmp(128, 0, 1, 1)}), 600);          // v6 icmpv6
  add(Cat({Eth(0x0800), Ipv4(47, 24), Payload(4)}), 700);                 // v4 gre: other
  add(Cat({Eth(0x0806), Payload(28, 0)}), 800);                           // arp: other
  add(Cat({Eth(0x0800), Ipv4(6, 40), Tcp(1, 2, 2)}), 900, 14 + 20 + 10);  // v4 tcp, cut
  add(Cat({Eth(0x0800), Ipv4(6, 40), Tcp(1, 2, 2)}), 1000, 14 + 10);      // ip cut: other
  AccountPacket(DecodeBytes({1, 2, 3}, 9999), 1100, &mix);                // bad link: other

  EXPECT_EQ(mix.ipv4.packets, 6u);
  EXPECT_EQ(mix.ipv4.bytes, 100u + 300 + 400 + 500 + 700 + 900);
  EXPECT_EQ(mix.ipv6.packets, 2u);
  EXPECT_EQ(mix.ipv6.bytes, 200u + 600);
  EXPECT_EQ(mix.tcp.packets, 3u);
  EXPECT_EQ(mix.tcp.bytes, 100u + 200 + 900);
  EXPECT_EQ(mix.udp.packets, 2u);
  EXPECT_EQ(mix.udp.bytes, 300u + 400);
  EXPECT_EQ(mix.icmp.packets, 2u);
  EXPECT_EQ(mix.icmp.bytes, 500u + 600);
  EXPECT_EQ(mix.other.packets, 4u);
  EXPECT_EQ(mix.other.bytes, 700u + 800 + 1000 + 1100);
  EXPECT_EQ(mix.tcp.packets + mix.udp.packets + mix.icmp.packets + mix.other.packets, 11u);
}

}  // namespace
}  // namespace trove
