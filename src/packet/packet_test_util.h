#pragma once
// Test-only helpers for src/packet tests: hand-built header bytes (every
// field spelled out, network order) and a Decode() wrapper that copies the
// packet into an exactly-sized heap buffer so ASan flags any read past
// caplen. Not part of trove_core (header only, included by *_test.cc).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "packet/decoder.h"

namespace trove::testing_util {

using Bytes = std::vector<uint8_t>;

inline Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline uint8_t Hi(uint32_t v) { return static_cast<uint8_t>(v >> 8); }
inline uint8_t Lo(uint32_t v) { return static_cast<uint8_t>(v); }

// Ethernet: dst 00:11:22:33:44:55, src 66:77:88:99:aa:bb, type. 14 bytes.
inline Bytes Eth(uint16_t type) {
  return {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,     0x66,
          0x77, 0x88, 0x99, 0xaa, 0xbb, Hi(type), Lo(type)};
}

// 802.1Q-style tag as it follows a TPID: TCI (PCP 0, DEI 0, vid), inner type. 4 bytes.
inline Bytes Tag(uint16_t vid, uint16_t inner_type) {
  return {Hi(vid), Lo(vid), Hi(inner_type), Lo(inner_type)};
}

// MPLS label stack entry: label 20 bits, TC 0, S, TTL 64. 4 bytes.
inline Bytes Mpls(uint32_t label, bool bottom) {
  return {static_cast<uint8_t>(label >> 12), static_cast<uint8_t>(label >> 4),
          static_cast<uint8_t>((label & 0xF) << 4 | (bottom ? 1 : 0)), 64};
}

// IPv4 header, IHL 5 (20 bytes): 10.0.0.1 -> 10.0.0.2 unless given.
// frag = flags(3) | offset(13) as on the wire (0x4000 = DF).
inline Bytes Ipv4(uint8_t proto, uint16_t total_len, uint16_t id = 0x1234, uint16_t frag = 0x4000,
                  uint8_t ttl = 64, uint32_t src = 0x0a000001, uint32_t dst = 0x0a000002) {
  return {0x45,
          0x00,
          Hi(total_len),
          Lo(total_len),
          Hi(id),
          Lo(id),
          Hi(frag),
          Lo(frag),
          ttl,
          proto,
          0x00,
          0x00,
          static_cast<uint8_t>(src >> 24),
          static_cast<uint8_t>(src >> 16),
          static_cast<uint8_t>(src >> 8),
          static_cast<uint8_t>(src),
          static_cast<uint8_t>(dst >> 24),
          static_cast<uint8_t>(dst >> 16),
          static_cast<uint8_t>(dst >> 8),
          static_cast<uint8_t>(dst)};
}

// IPv6 header (40 bytes): 2001:db8::1 -> 2001:db8::2 unless last bytes given.
inline Bytes Ipv6(uint8_t next_header, uint16_t payload_len, uint8_t hop_limit = 64,
                  uint8_t src_last = 1, uint8_t dst_last = 2) {
  Bytes b = {0x60, 0x00, 0x00, 0x00, Hi(payload_len), Lo(payload_len), next_header, hop_limit};
  Bytes src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, src_last};
  Bytes dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, dst_last};
  return Cat({b, src, dst});
}

// TCP header with doff 32-bit words (options zero-filled: NOP-free EOL).
inline Bytes Tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint8_t doff = 5) {
  const uint8_t head[20] = {Hi(sport),
                            Lo(sport),
                            Hi(dport),
                            Lo(dport),
                            0,
                            0,
                            0,
                            1,
                            0,
                            0,
                            0,
                            0,
                            static_cast<uint8_t>(doff << 4),
                            flags,
                            0xff,
                            0xff,
                            0,
                            0,
                            0,
                            0};
  // Sized once, then filled: growing a 20-byte vector (resize) draws a false
  // -Warray-bounds from GCC 12 at -O3.
  Bytes b(static_cast<size_t>(std::max<uint8_t>(doff, 5)) * 4, 0);
  std::copy(head, head + 20, b.begin());
  return b;
}

inline Bytes Udp(uint16_t sport, uint16_t dport, uint16_t len) {
  return {Hi(sport), Lo(sport), Hi(dport), Lo(dport), Hi(len), Lo(len), 0, 0};
}

inline Bytes Icmp(uint8_t type, uint8_t code, uint16_t id, uint16_t seq) {
  return {type, code, 0, 0, Hi(id), Lo(id), Hi(seq), Lo(seq)};
}

inline Bytes Payload(size_t n, uint8_t fill = 0xab) { return Bytes(n, fill); }

// Decodes the first `caplen` bytes of b (all of them by default) from an
// exactly-sized heap copy, so any read past caplen is an ASan error.
inline DecodedPacket DecodeBytes(const Bytes& b, uint16_t linktype, size_t caplen = SIZE_MAX) {
  if (caplen > b.size()) caplen = b.size();
  std::unique_ptr<uint8_t[]> copy(caplen ? new uint8_t[caplen] : nullptr);
  for (size_t i = 0; i < caplen; ++i) copy[i] = b[i];
  PacketRef ref;
  ref.caplen = static_cast<uint32_t>(caplen);
  ref.wirelen = static_cast<uint32_t>(b.size());
  ref.linktype = linktype;
  ref.data = copy.get();
  DecodedPacket d;
  const bool ok = Decode(ref, &d);
  if (ok != (d.stop == DecodeStop::kNone)) std::abort();
  return d;
}

// Every field, for equality checks with readable failure messages.
inline std::string Dump(const DecodedPacket& d) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "l2=%u l3_off=%u et=0x%04x vlan=%u/%u mpls=%u l3=%d alen=%u src=%u dst=%u "
                "proto=%u ttl=%u frag=%d/%d id=%u l4=%u ports=%u/%u flags=0x%02x icmp=%u/%u/%u "
                "payload=%u stop=%d",
                d.l2_off, d.l3_off, d.ethertype, d.vlan_depth, d.vlan_id, d.mpls_depth,
                static_cast<int>(d.l3), d.addr_len, d.src_off, d.dst_off, d.ip_proto, d.ttl,
                d.is_fragment, d.first_fragment, d.frag_id, d.l4_off, d.sport, d.dport, d.tcp_flags,
                d.icmp_type, d.icmp_code, d.icmp_id, d.payload_off, static_cast<int>(d.stop));
  return buf;
}

}  // namespace trove::testing_util
