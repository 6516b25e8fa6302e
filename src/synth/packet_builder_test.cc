#include "synth/packet_builder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace trove::synth {
namespace {

// Independent, byte-at-a-time RFC 1071 sum (big-endian words).
uint32_t SlowSum(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i < n; i += 2) {
    acc += static_cast<uint32_t>(p[i] << 8) | (i + 1 < n ? p[i + 1] : 0);
  }
  return acc;
}
uint16_t Fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

TEST(SynthChecksum, Rfc1071Example) {
  const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InternetChecksum(b, sizeof(b)), 0x220d);
}

TEST(SynthChecksum, KnownIpv4Header) {
  uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(InternetChecksum(h, sizeof(h)), 0xb861);
}

TEST(SynthChecksum, MatchesSlowSumAnyLengthAndAlignment) {
  std::vector<uint8_t> buf(3000);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i * 131 + 7);
  for (size_t off : {0, 1, 2, 3}) {
    for (size_t n : {0, 1, 2, 3, 15, 16, 17, 63, 1448, 1449, 2999}) {
      if (off + n > buf.size()) continue;
      EXPECT_EQ(InternetChecksum(buf.data() + off, n),
                static_cast<uint16_t>(~Fold(SlowSum(buf.data() + off, n))))
          << off << " " << n;
    }
  }
}

const uint8_t kMacA[6] = {0x3c, 0x22, 0xfb, 1, 2, 3};
const uint8_t kMacB[6] = {0x00, 0x00, 0x0c, 0x07, 0xac, 0x01};
const uint8_t kV6A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x42};
const uint8_t kV6B[16] = {0x20, 0x01, 0x0d, 0xb8, 0xf0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1};

IpParams Params(bool v6) {
  IpParams ip;
  ip.v6 = v6;
  ip.src_mac = kMacA;
  ip.dst_mac = kMacB;
  ip.src4 = 0x0A000102;
  ip.dst4 = 0xC0000205;
  ip.src6 = kV6A;
  ip.dst6 = kV6B;
  ip.ttl = 64;
  ip.ip_id = 0x1234;
  ip.flow_label = 0xABCDE;
  return ip;
}

// Verifies the L3 header and the L4 checksum (with pseudo-header) of a frame
// the independent way; returns the L4 length.
size_t CheckFrame(const std::vector<uint8_t>& f, size_t len, bool v6, uint8_t proto) {
  EXPECT_GE(len, kMinFrame);
  const uint8_t* ip = f.data() + 14;
  size_t l4_len;
  uint32_t pseudo;
  if (!v6) {
    EXPECT_EQ(Get16(f.data() + 12), 0x0800);
    EXPECT_EQ(Fold(SlowSum(ip, 20)), 0xFFFF) << "IPv4 header checksum";
    l4_len = Get16(ip + 2) - 20u;
    EXPECT_EQ(ip[9], proto);
    pseudo = SlowSum(ip + 12, 8) + proto + static_cast<uint32_t>(l4_len);
  } else {
    EXPECT_EQ(Get16(f.data() + 12), 0x86DD);
    EXPECT_EQ(Get32(ip) & 0xFFFFF, 0xABCDEu);
    l4_len = Get16(ip + 4);
    EXPECT_EQ(ip[6], proto);
    pseudo = SlowSum(ip + 8, 32) + proto + static_cast<uint32_t>(l4_len);
  }
  const size_t l4 = v6 ? 54 : 34;
  EXPECT_EQ(std::max(kMinFrame, l4 + l4_len), len);
  for (size_t i = l4 + l4_len; i < len; ++i) EXPECT_EQ(f[i], 0) << "padding must be zero";
  if (proto == 1) pseudo = 0;  // ICMPv4 has no pseudo-header
  EXPECT_EQ(Fold(SlowSum(f.data() + l4, l4_len, pseudo)), 0xFFFF) << "L4 checksum";
  return l4_len;
}

TEST(SynthFrames, TcpIpv4WithPaddingAndOptions) {
  for (size_t payload : {0, 1, 7, 1448}) {
    std::vector<uint8_t> f(2048, 0xEE);
    const uint8_t opts[12] = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
    for (size_t i = 0; i < payload; ++i)
      f[TcpPayloadOffset(false, 12) + i] = static_cast<uint8_t>(i);
    TcpParams t;
    t.sport = 40000;
    t.dport = 443;
    t.seq = 0xDEADBEEF;
    t.ack = 0x01020304;
    t.flags = kTcpAck | kTcpPsh;
    t.window = 1000;
    t.options = opts;
    t.opt_len = 12;
    const size_t len = BuildTcpFrame(f.data(), Params(false), t, payload);
    EXPECT_EQ(CheckFrame(f, len, false, 6), 32 + payload);
    EXPECT_EQ(Get32(f.data() + 34 + 4), 0xDEADBEEFu);
    EXPECT_EQ(f[34 + 12] >> 4, 8);  // data offset: 32 bytes
  }
}

TEST(SynthFrames, RstWithoutOptionsIsPaddedTo60) {
  std::vector<uint8_t> f(2048, 0xEE);
  TcpParams t;
  t.flags = kTcpRst;
  const size_t len = BuildTcpFrame(f.data(), Params(false), t, 0);
  EXPECT_EQ(len, 60u);
  EXPECT_EQ(Get16(f.data() + 16), 40);  // IPv4 total length excludes padding
  CheckFrame(f, len, false, 6);
  EXPECT_EQ(Get32(f.data() + 34 + 8), 0u);  // no ACK flag: ack field zero
}

TEST(SynthFrames, TcpIpv6) {
  std::vector<uint8_t> f(2048, 0);
  for (size_t i = 0; i < 1427; ++i) f[TcpPayloadOffset(true, 0) + i] = static_cast<uint8_t>(i * 7);
  TcpParams t;
  t.flags = kTcpAck;
  const size_t len = BuildTcpFrame(f.data(), Params(true), t, 1427);
  EXPECT_EQ(CheckFrame(f, len, true, 6), 20u + 1427);
}

TEST(SynthFrames, UdpBothFamilies) {
  for (bool v6 : {false, true}) {
    std::vector<uint8_t> f(2048, 0);
    for (size_t i = 0; i < 33; ++i) f[UdpPayloadOffset(v6) + i] = static_cast<uint8_t>(0x80 + i);
    const size_t len = BuildUdpFrame(f.data(), Params(v6), 53000, 53, 33);
    EXPECT_EQ(CheckFrame(f, len, v6, 17), 41u);
    const uint8_t* udp = f.data() + (v6 ? 54 : 34);
    EXPECT_EQ(Get16(udp + 4), 41);
    EXPECT_NE(Get16(udp + 6), 0) << "UDP checksum present";
  }
}

TEST(SynthFrames, EchoBothFamilies) {
  for (bool v6 : {false, true}) {
    for (bool reply : {false, true}) {
      std::vector<uint8_t> f(2048, 0);
      for (size_t i = 0; i < 56; ++i) f[IcmpPayloadOffset(v6) + i] = static_cast<uint8_t>(i);
      const size_t len = BuildEchoFrame(f.data(), Params(v6), reply, 0x4242, 3, 56);
      EXPECT_EQ(CheckFrame(f, len, v6, v6 ? 58 : 1), 64u);
      const uint8_t type = f[v6 ? 54 : 34];
      EXPECT_EQ(type, v6 ? (reply ? 129 : 128) : (reply ? 0 : 8));
    }
  }
}

}  // namespace
}  // namespace trove::synth
