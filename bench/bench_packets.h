#pragma once
// Packets shared by the micro-benchmarks: hand-built frames of typical
// traffic, and a PacketRef over them (captured whole, Ethernet).

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <vector>

#include "packet/decoder.h"

namespace trove::bench {

// clang-format off

// Ethernet / IPv4 (10.0.0.1 -> 10.0.0.2) / TCP 40000 -> 443 ACK|PSH, doff 8
// (timestamps option), 100 payload bytes; TCP checksum field `csum`.
inline std::vector<uint8_t> EthIpv4Tcp(uint16_t csum = 0) {
  const uint8_t hi = static_cast<uint8_t>(csum >> 8), lo = static_cast<uint8_t>(csum);
  // A fixed header copied into a vector sized once: resizing an
  // initializer-list vector trips GCC 12's -Warray-bounds at -O3 (a false
  // positive, GCC bug 105651).
  const uint8_t hdr[] = {
      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,  // eth
      0x45, 0x00, 0x00, 0xb4, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,              // ip
      0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
      0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 1, 0x80, 0x18, 0xff, 0xff, hi, lo, 0, 0,  // tcp
      0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2};                                       // opts
  std::vector<uint8_t> b(sizeof hdr + 100, 0x61);
  std::copy(std::begin(hdr), std::end(hdr), b.begin());
  return b;
}

// Ethernet / 802.1Q / IPv6 (2001:db8::1 -> 2001:db8::2) / UDP 5353 -> 53,
// 40 bytes; UDP checksum field `csum`.
inline std::vector<uint8_t> EthVlanIpv6Udp(uint16_t csum = 0) {
  const uint8_t hi = static_cast<uint8_t>(csum >> 8), lo = static_cast<uint8_t>(csum);
  const uint8_t hdr[] = {  // sized once, as in EthIpv4Tcp
      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,  // eth
      0x81, 0x00, 0x00, 0x64, 0x86, 0xdd,                                      // tag
      0x60, 0x00, 0x00, 0x00, 0x00, 0x30, 0x11, 0x40,                          // ipv6
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
      0x14, 0xe9, 0x00, 0x35, 0x00, 0x30, hi, lo};                             // udp
  std::vector<uint8_t> b(sizeof hdr + 40, 0x62);
  std::copy(std::begin(hdr), std::end(hdr), b.begin());
  return b;
}

// clang-format on

inline PacketRef Ref(const std::vector<uint8_t>& b) {
  return PacketRef{0, static_cast<uint32_t>(b.size()), static_cast<uint32_t>(b.size()),
                   kLinkEthernet, b.data()};
}

}  // namespace trove::bench
