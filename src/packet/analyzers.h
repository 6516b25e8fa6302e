#pragma once
// Internal to src/packet: the per-layer analyzers behind Decode() and the
// three dispatchers that chain them (link type -> ethertype -> IP protocol).
// Nothing outside src/packet includes this header.
//
// Contract shared by every analyzer: it is handed the Frame and the offset
// `off` where its header starts, with off <= frame.end. It reads only bytes in
// [off, frame.end) (transport analyzers: [off, ip.end)), checking every
// length before the read; it fills the DecodedPacket fields of its own layer
// and then either sets d->stop and returns, or hands the next offset to the
// dispatcher for the next layer. No analyzer allocates, throws or recurses
// without bound (tag and label stacks are loops, not recursion).

#include <cstdint>

#include "packet/decoded.h"

namespace trove::packet_internal {

// The captured bytes as the analyzers see them.
struct Frame {
  const uint8_t* data;  // first captured byte
  uint32_t end;         // parse limit: min(caplen, kMaxParse); every offset fits uint16_t
  uint32_t caplen;      // the real caplen (only used for IP total length 0, see ipv4.cc)
};

// Offsets are uint16_t, so only the first 65535 bytes are parsed. Headers
// never reach that far in practice; a header crossing the limit is reported
// as kTruncated.
inline constexpr uint32_t kMaxParse = 65535;

// Where an IP datagram's payload may be parsed, for the transport analyzers.
struct IpPayload {
  uint32_t end;     // min(frame.end, ip_end): Ethernet padding is never payload
  uint32_t ip_end;  // end of the datagram as the IP header claims it (may pass caplen)
};

// Ethertypes and IP protocol numbers the dispatchers know.
inline constexpr uint16_t kEthIPv4 = 0x0800;
inline constexpr uint16_t kEthArp = 0x0806;
inline constexpr uint16_t kEthIPv6 = 0x86DD;
inline constexpr uint16_t kEthVlan = 0x8100;     // 802.1Q
inline constexpr uint16_t kEthQinQ = 0x88A8;     // 802.1ad
inline constexpr uint16_t kEthQinQOld = 0x9100;  // pre-standard QinQ
inline constexpr uint16_t kEthMpls = 0x8847;
inline constexpr uint16_t kEthMplsMcast = 0x8848;
inline constexpr uint16_t kMax8023Length = 1500;  // type <= this: 802.3 length, LLC follows

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpv6 = 58;

// Big-endian loads. Callers have already checked that the bytes exist.
inline uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | static_cast<uint32_t>(p[3]);
}
inline uint16_t Off16(uint32_t off) { return static_cast<uint16_t>(off); }  // off <= kMaxParse

// Why a header that needs bytes up to `need_end` cannot be read: the IP
// header itself says the datagram ends before it (kMalformed) or the capture
// ended first (kTruncated).
inline DecodeStop ShortStop(uint32_t need_end, uint32_t ip_end) {
  return need_end > ip_end ? DecodeStop::kMalformed : DecodeStop::kTruncated;
}

// Records where the payload starts (off <= ip.end) and how many of its bytes
// were captured: up to the datagram end, never into link-layer padding.
inline void SetPayload(const Frame& f, const IpPayload& ip, uint32_t off, DecodedPacket* d) {
  d->payload_off = Off16(off);
  d->payload_len = (ip.ip_end < f.caplen ? ip.ip_end : f.caplen) - off;
}

// ---- Dispatchers (decoder.cc) ----

// Ethertype -> analyzer. Peels 802.1Q/802.1ad/QinQ tags, MPLS label stacks
// and LLC/SNAP headers (a type <= 1500 is an 802.3 length) in a loop,
// records the final ethertype and l3_off, then runs the network analyzer
// (IPv4, IPv6, ARP) or stops with kNonIpL3.
void DispatchEthertype(const Frame& f, uint32_t off, uint16_t type, DecodedPacket* d);

// IP protocol -> transport analyzer (TCP, UDP, ICMP, ICMPv6); any other
// protocol stops with kUnknownL4 and payload_off = off.
void DispatchIpProto(const Frame& f, const IpPayload& ip, uint32_t off, uint8_t proto,
                     DecodedPacket* d);

// ---- Link layer (link_layer.cc); each starts at offset 0 ----

void DecodeEthernet(const Frame& f, DecodedPacket* d);  // DLT_EN10MB (1)
void DecodeSll(const Frame& f, DecodedPacket* d);       // DLT_LINUX_SLL (113)
void DecodeSll2(const Frame& f, DecodedPacket* d);      // DLT_LINUX_SLL2 (276)
// DLT_NULL (0, AF in the capturing host's byte order: both accepted) and
// DLT_LOOP (108, AF in network byte order).
void DecodeNull(const Frame& f, bool network_order_only, DecodedPacket* d);
// Raw IP: DLT_RAW (12 / 14), LINKTYPE_RAW (101), by the version nibble.
void DecodeRawIp(const Frame& f, DecodedPacket* d);

// ---- Shim layers (link_layer.cc), used by DispatchEthertype ----
// Each consumes one tag / one label stack / one LLC+SNAP header at *off, advancing *off and
// replacing *type with the encapsulated ethertype. On failure it sets
// d->stop (and l3 fields as appropriate) and returns false.

bool DecodeVlanTag(const Frame& f, uint32_t* off, uint16_t* type, DecodedPacket* d);
bool DecodeMplsStack(const Frame& f, uint32_t* off, uint16_t* type, DecodedPacket* d);
bool DecodeLlcSnap(const Frame& f, uint32_t* off, uint16_t* type, DecodedPacket* d);

// ---- Network layer; each starts at d->l3_off == off ----

void DecodeIPv4(const Frame& f, uint32_t off, DecodedPacket* d);  // ipv4.cc
void DecodeIPv6(const Frame& f, uint32_t off, DecodedPacket* d);  // ipv6.cc
void DecodeArp(const Frame& f, uint32_t off, DecodedPacket* d);   // arp.cc

// ---- Transport layer; off <= ip.end ----

void DecodeTcp(const Frame& f, const IpPayload& ip, uint32_t off, DecodedPacket* d);  // tcp.cc
void DecodeUdp(const Frame& f, const IpPayload& ip, uint32_t off, DecodedPacket* d);  // udp.cc
// ICMP (v6 = false) and ICMPv6 (v6 = true): type, code, echo id.
void DecodeIcmp(const Frame& f, const IpPayload& ip, uint32_t off, bool v6,
                DecodedPacket* d);  // icmp.cc

}  // namespace trove::packet_internal
