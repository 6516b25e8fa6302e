#pragma once
// Test-only helpers for src/flow tests: owned packets built with
// synth/packet_builder.h (every length and checksum filled in), decoded
// once. Header only, included by *_test.cc.

#include <cstdint>
#include <vector>

#include "packet/decoder.h"
#include "packet/packet.h"
#include "flow/class_config.h"
#include "synth/packet_builder.h"

namespace trove::flow_test {

inline constexpr uint8_t kMacA[6] = {0x02, 0, 0, 0, 0, 0x0a};
inline constexpr uint8_t kMacB[6] = {0x02, 0, 0, 0, 0, 0x0b};

// Owns its bytes; copies point ref.data at their own copy.
struct Pkt {
  std::vector<uint8_t> bytes;
  PacketRef ref;
  DecodedPacket d;

  Pkt() = default;
  Pkt(const Pkt& o) : bytes(o.bytes), ref(o.ref), d(o.d) { ref.data = bytes.data(); }
  Pkt& operator=(const Pkt& o) {
    bytes = o.bytes;
    ref = o.ref;
    d = o.d;
    ref.data = bytes.data();
    return *this;
  }
  Pkt(Pkt&&) = default;  // a moved vector keeps its buffer
  Pkt& operator=(Pkt&&) = default;
};

inline synth::IpParams Ip(uint32_t src, uint32_t dst) {
  synth::IpParams ip;
  ip.src_mac = kMacA;
  ip.dst_mac = kMacB;
  ip.src4 = src;
  ip.dst4 = dst;
  return ip;
}

inline Pkt Finish(std::vector<uint8_t> bytes, size_t len, int64_t ts_ns) {
  Pkt p;
  bytes.resize(len);
  p.bytes = std::move(bytes);
  p.ref.ts_ns = ts_ns;
  p.ref.caplen = p.ref.wirelen = static_cast<uint32_t>(p.bytes.size());
  p.ref.linktype = 1;
  p.ref.data = p.bytes.data();
  Decode(p.ref, &p.d);
  return p;
}

// A TCP segment src:sport -> dst:dport with `payload` bytes (frame
// 54 + payload, at least 60).
inline Pkt Tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags,
               size_t payload, int64_t ts_ns) {
  std::vector<uint8_t> b(std::max<size_t>(60, synth::TcpPayloadOffset(false, 0) + payload));
  synth::TcpParams t;
  t.sport = sport;
  t.dport = dport;
  t.flags = flags;
  t.window = 1000;
  const size_t n = synth::BuildTcpFrame(b.data(), Ip(src, dst), t, payload);
  return Finish(std::move(b), n, ts_ns);
}

inline Pkt Udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, size_t payload,
               int64_t ts_ns) {
  std::vector<uint8_t> b(std::max<size_t>(60, synth::UdpPayloadOffset(false) + payload));
  const size_t n = synth::BuildUdpFrame(b.data(), Ip(src, dst), sport, dport, payload);
  return Finish(std::move(b), n, ts_ns);
}

inline Pkt Echo(uint32_t src, uint32_t dst, bool reply, uint16_t id, size_t payload,
                int64_t ts_ns) {
  std::vector<uint8_t> b(std::max<size_t>(60, synth::IcmpPayloadOffset(false) + payload));
  const size_t n = synth::BuildEchoFrame(b.data(), Ip(src, dst), reply, id, 1, payload);
  return Finish(std::move(b), n, ts_ns);
}

// Rewrites the IPv4 id and fragment field (flags|offset in 8-byte units) of
// an IPv4 frame and decodes it again (checksums are not re-computed: the
// decoder does not verify them).
inline Pkt Fragment(Pkt p, uint16_t id, bool more, uint16_t offset8) {
  uint8_t* ip = p.bytes.data() + synth::kEthHeader;
  synth::Put16(ip + 4, id);
  synth::Put16(ip + 6, static_cast<uint16_t>((more ? 0x2000 : 0) | offset8));
  p.ref.data = p.bytes.data();
  Decode(p.ref, &p.d);
  return p;
}

// Inserts an 802.1Q tag with `vid` after the MAC addresses.
inline Pkt Vlan(Pkt p, uint16_t vid) {
  std::vector<uint8_t> b(p.bytes.begin(), p.bytes.begin() + 12);
  b.insert(b.end(), {0x81, 0x00, static_cast<uint8_t>(vid >> 8), static_cast<uint8_t>(vid)});
  b.insert(b.end(), p.bytes.begin() + 12, p.bytes.end());
  return Finish(std::move(b), p.bytes.size() + 4, p.ref.ts_ns);
}

// A storage class; cutoff < 0 means "none".
inline ClassConfig Class(std::string name, std::string filter, int64_t precedence, int64_t cutoff,
                         AfterCutoff after = AfterCutoff::kHeaders, uint32_t snaplen = 0) {
  ClassConfig c;
  c.name = std::move(name);
  c.filter = std::move(filter);
  c.precedence = precedence;
  c.has_cutoff = cutoff >= 0;
  c.cutoff_bytes = cutoff >= 0 ? static_cast<uint64_t>(cutoff) : 0;
  c.after_cutoff = after;
  c.snaplen = snaplen;
  return c;
}

inline constexpr uint32_t kA = 0x0a000001;  // 10.0.0.1
inline constexpr uint32_t kB = 0x0a000002;  // 10.0.0.2
inline constexpr int64_t kSec = 1'000'000'000;

}  // namespace trove::flow_test
