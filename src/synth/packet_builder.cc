#include "synth/packet_builder.h"

#include <cstring>

namespace trove::synth {
namespace {

constexpr uint8_t kProtoTcp = 6, kProtoUdp = 17, kProtoIcmp = 1, kProtoIcmpv6 = 58;

// Writes Ethernet + IP headers for an L4 segment of l4_len bytes.
void WriteL2L3(uint8_t* buf, const IpParams& ip, uint8_t proto, size_t l4_len) {
  std::memcpy(buf, ip.dst_mac, 6);
  std::memcpy(buf + 6, ip.src_mac, 6);
  uint8_t* h = buf + kEthHeader;
  if (!ip.v6) {
    Put16(buf + 12, 0x0800);
    h[0] = 0x45;
    h[1] = ip.tos;
    Put16(h + 2, static_cast<uint16_t>(kIpv4Header + l4_len));
    Put16(h + 4, ip.ip_id);
    Put16(h + 6, ip.dont_fragment ? 0x4000 : 0);
    h[8] = ip.ttl;
    h[9] = proto;
    h[10] = h[11] = 0;
    Put32(h + 12, ip.src4);
    Put32(h + 16, ip.dst4);
    StoreChecksum(h + 10, ChecksumFinish(ChecksumAdd(0, h, kIpv4Header)));
  } else {
    Put16(buf + 12, 0x86DD);
    Put32(h, (uint32_t{6} << 28) | (uint32_t{ip.tos} << 20) | (ip.flow_label & 0xFFFFF));
    Put16(h + 4, static_cast<uint16_t>(l4_len));
    h[6] = proto;
    h[7] = ip.ttl;
    std::memcpy(h + 8, ip.src6, 16);
    std::memcpy(h + 24, ip.dst6, 16);
  }
}

// Pseudo-header sum (addresses are already in the frame).
uint64_t PseudoSum(const uint8_t* buf, bool v6, uint8_t proto, size_t l4_len) {
  const uint8_t* h = buf + kEthHeader;
  uint64_t acc = v6 ? ChecksumAdd(0, h + 8, 32) : ChecksumAdd(0, h + 12, 8);
  uint8_t tail[8] = {};
  if (v6) {
    Put32(tail, static_cast<uint32_t>(l4_len));
    tail[7] = proto;
  } else {
    tail[1] = proto;
    Put16(tail + 2, static_cast<uint16_t>(l4_len));
  }
  return ChecksumAdd(acc, tail, 8);
}

size_t Finish(uint8_t* buf, size_t len) {
  if (len < kMinFrame) {
    std::memset(buf + len, 0, kMinFrame - len);
    return kMinFrame;
  }
  return len;
}

}  // namespace

uint64_t ChecksumAdd(uint64_t acc, const uint8_t* p, size_t n) {
  // Sum 32-bit native words into a 64-bit accumulator (no carry loss for
  // < 2^32 words); four independent lanes for throughput.
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  while (n >= 16) {
    uint32_t w[4];
    std::memcpy(w, p, 16);
    a0 += w[0];
    a1 += w[1];
    a2 += w[2];
    a3 += w[3];
    p += 16;
    n -= 16;
  }
  while (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    a0 += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    a1 += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    uint8_t last[2] = {p[0], 0};
    uint16_t w;
    std::memcpy(&w, last, 2);
    a2 += w;
  }
  // Fold to keep headroom for further additions.
  uint64_t s = (a0 & 0xFFFFFFFF) + (a0 >> 32) + (a1 & 0xFFFFFFFF) + (a1 >> 32) + (a2 & 0xFFFFFFFF) +
               (a2 >> 32) + (a3 & 0xFFFFFFFF) + (a3 >> 32);
  acc = (acc & 0xFFFFFFFF) + (acc >> 32) + s;
  return acc;
}

uint16_t ChecksumFinish(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

uint16_t InternetChecksum(const uint8_t* p, size_t n) {
  uint16_t native = ChecksumFinish(ChecksumAdd(0, p, n));
  uint8_t b[2];
  std::memcpy(b, &native, 2);
  return Get16(b);
}

size_t BuildTcpFrame(uint8_t* buf, const IpParams& ip, const TcpParams& t, size_t payload_len) {
  const size_t l4 = L4Offset(ip.v6);
  const size_t tcp_len = kTcpHeader + t.opt_len + payload_len;
  WriteL2L3(buf, ip, kProtoTcp, tcp_len);
  uint8_t* h = buf + l4;
  Put16(h, t.sport);
  Put16(h + 2, t.dport);
  Put32(h + 4, t.seq);
  Put32(h + 8, (t.flags & kTcpAck) ? t.ack : 0);
  h[12] = static_cast<uint8_t>(((kTcpHeader + t.opt_len) / 4) << 4);
  h[13] = t.flags;
  Put16(h + 14, t.window);
  h[16] = h[17] = 0;
  h[18] = h[19] = 0;
  if (t.opt_len) std::memcpy(h + kTcpHeader, t.options, t.opt_len);
  const uint64_t acc = ChecksumAdd(PseudoSum(buf, ip.v6, kProtoTcp, tcp_len), h, tcp_len);
  StoreChecksum(h + 16, ChecksumFinish(acc));
  return Finish(buf, l4 + tcp_len);
}

size_t BuildUdpFrame(uint8_t* buf, const IpParams& ip, uint16_t sport, uint16_t dport,
                     size_t payload_len) {
  const size_t l4 = L4Offset(ip.v6);
  const size_t udp_len = kUdpHeader + payload_len;
  WriteL2L3(buf, ip, kProtoUdp, udp_len);
  uint8_t* h = buf + l4;
  Put16(h, sport);
  Put16(h + 2, dport);
  Put16(h + 4, static_cast<uint16_t>(udp_len));
  h[6] = h[7] = 0;
  uint16_t c = ChecksumFinish(ChecksumAdd(PseudoSum(buf, ip.v6, kProtoUdp, udp_len), h, udp_len));
  if (c == 0) c = 0xFFFF;  // 0 means "no checksum" in UDP
  StoreChecksum(h + 6, c);
  return Finish(buf, l4 + udp_len);
}

size_t BuildEchoFrame(uint8_t* buf, const IpParams& ip, bool reply, uint16_t id, uint16_t seq,
                      size_t payload_len) {
  const size_t l4 = L4Offset(ip.v6);
  const size_t len = kIcmpEchoHeader + payload_len;
  const uint8_t proto = ip.v6 ? kProtoIcmpv6 : kProtoIcmp;
  WriteL2L3(buf, ip, proto, len);
  uint8_t* h = buf + l4;
  h[0] = ip.v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
  h[1] = 0;
  h[2] = h[3] = 0;
  Put16(h + 4, id);
  Put16(h + 6, seq);
  const uint64_t acc = ip.v6 ? PseudoSum(buf, true, proto, len) : 0;
  StoreChecksum(h + 2, ChecksumFinish(ChecksumAdd(acc, h, len)));
  return Finish(buf, l4 + len);
}

}  // namespace trove::synth
