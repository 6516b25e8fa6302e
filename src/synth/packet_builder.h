#pragma once
// Frame construction for `trove synth` (internal header).
// Contract: the Build*Frame functions write a complete Ethernet II frame
// (IPv4 or IPv6, then TCP/UDP/ICMP/ICMPv6) into `buf`, whose L4 payload the
// caller has ALREADY placed at the matching *PayloadOffset(). They fill in
// every length and checksum (IPv4 header; TCP/UDP/ICMPv6 with the
// pseudo-header; ICMP over its message), zero-pad frames shorter than 60
// bytes like a NIC capture (IP lengths exclude the padding) and return the
// frame length. `buf` must hold max(60, offset + payload) bytes.
// Checksums are computed over the bytes in memory in native order (RFC 1071
// byte-order independence), so the code is endian-neutral.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace trove::synth {

inline constexpr size_t kEthHeader = 14;
inline constexpr size_t kIpv4Header = 20;
inline constexpr size_t kIpv6Header = 40;
inline constexpr size_t kTcpHeader = 20;
inline constexpr size_t kUdpHeader = 8;
inline constexpr size_t kIcmpEchoHeader = 8;
inline constexpr size_t kMinFrame = 60;

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08,
                         kTcpAck = 0x10;

inline void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t Get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// One's-complement sum helpers (native word order, unfolded accumulator).
uint64_t ChecksumAdd(uint64_t acc, const uint8_t* p, size_t n);
// Folds and complements; the result is stored with StoreChecksum.
uint16_t ChecksumFinish(uint64_t acc);
inline void StoreChecksum(uint8_t* p, uint16_t native) { std::memcpy(p, &native, 2); }
// The RFC 1071 Internet checksum of a buffer (as a big-endian value).
uint16_t InternetChecksum(const uint8_t* p, size_t n);

struct IpParams {
  bool v6 = false;
  const uint8_t* src_mac = nullptr;  // 6 bytes
  const uint8_t* dst_mac = nullptr;
  uint32_t src4 = 0, dst4 = 0;    // host order
  const uint8_t* src6 = nullptr;  // 16 bytes, when v6
  const uint8_t* dst6 = nullptr;
  uint8_t ttl = 64;           // hop limit for IPv6
  uint16_t ip_id = 0;         // IPv4 only
  bool dont_fragment = true;  // IPv4 only
  uint8_t tos = 0;            // DSCP/ECN or traffic class
  uint32_t flow_label = 0;    // IPv6 only, 20 bits
};

inline size_t L3Offset() { return kEthHeader; }
inline size_t L4Offset(bool v6) { return kEthHeader + (v6 ? kIpv6Header : kIpv4Header); }
inline size_t TcpPayloadOffset(bool v6, size_t opt_len) {
  return L4Offset(v6) + kTcpHeader + opt_len;
}
inline size_t UdpPayloadOffset(bool v6) { return L4Offset(v6) + kUdpHeader; }
inline size_t IcmpPayloadOffset(bool v6) { return L4Offset(v6) + kIcmpEchoHeader; }

struct TcpParams {
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  const uint8_t* options = nullptr;  // opt_len bytes, a multiple of 4
  size_t opt_len = 0;
};

size_t BuildTcpFrame(uint8_t* buf, const IpParams& ip, const TcpParams& tcp, size_t payload_len);
size_t BuildUdpFrame(uint8_t* buf, const IpParams& ip, uint16_t sport, uint16_t dport,
                     size_t payload_len);
// ICMP (IPv4) or ICMPv6 echo request/reply.
size_t BuildEchoFrame(uint8_t* buf, const IpParams& ip, bool reply, uint16_t id, uint16_t seq,
                      size_t payload_len);

}  // namespace trove::synth
