#pragma once
// DecodedPacket: the one decoded view of a packet that every stage after the
// decoder reads (accounting, flow keys, later classification, cutoff,
// indexing, anonymization). A packet is decoded once, by Decode() in
// decoder.h; nothing re-parses. The view is a small struct of offsets into
// the captured bytes plus the few scalar fields stages need; it never points
// outside [0, caplen). Fields past the layer where decoding stopped are zero.

#include <cstdint>

#include "packet/flow_key.h"

namespace trove {

enum class L3 : uint8_t { kNone = 0, kIPv4, kIPv6, kArp, kOther };

// Why decoding stopped early (or kNone when it reached L4 or beyond).
enum class DecodeStop : uint8_t {
  kNone = 0,       // decoded through the transport header
  kUnsupportedL2,  // unknown link type
  kNonIpL3,        // ARP or another ethertype: no L3 we track
  kTruncated,      // captured bytes ended inside a header (snaplen or damage)
  kMalformed,      // a header field is impossible (bad IHL, length, version)
  kFragment,       // a non-first IP fragment: no L4 header in this packet
  kUnknownL4,      // IP protocol other than TCP/UDP/ICMP/ICMPv6
};

struct DecodedPacket {
  // Layer 2
  uint16_t l2_off = 0;     // start of the link header (always 0 today)
  uint16_t l3_off = 0;     // start of the network header
  uint16_t ethertype = 0;  // after VLAN/QinQ/MPLS stripping (0 if none; see decoder.h)
  uint8_t vlan_depth = 0;  // number of 802.1Q/802.1ad tags seen
  uint8_t mpls_depth = 0;  // number of MPLS labels seen
  uint16_t vlan_id = 0;    // outermost VLAN id, 0 if untagged

  // Layer 3
  L3 l3 = L3::kNone;
  uint8_t addr_len = 0;         // 4 or 16 when l3 is IPv4/IPv6
  uint16_t src_off = 0;         // offset of the source address
  uint16_t dst_off = 0;         // offset of the destination address
  uint8_t ip_proto = 0;         // final protocol after IPv6 extension headers
  uint8_t ttl = 0;              // TTL / hop limit
  bool is_fragment = false;     // MF set or offset != 0
  bool first_fragment = false;  // is_fragment and fragment offset == 0
  uint32_t frag_id = 0;         // IPv4 id (16 bits) or IPv6 fragment id
  uint16_t l4_off = 0;          // start of the transport header (0 if none)

  // Layer 4
  uint16_t sport = 0;  // TCP/UDP ports (host order)
  uint16_t dport = 0;
  uint8_t tcp_flags = 0;  // FIN=0x01 SYN=0x02 RST=0x04 PSH=0x08 ACK=0x10
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  uint16_t icmp_id = 0;      // echo identifier where the type has one
  uint16_t payload_off = 0;  // first byte after the transport header
  uint32_t payload_len = 0;  // captured payload bytes at payload_off, up to the
                             // IP datagram end (never link padding)

  DecodeStop stop = DecodeStop::kNone;

  // Not from the bytes: set by the cutoff stage (flow/cutoff_stage.h) on a
  // stored packet of a connection past its class's cutoff, for the index.
  bool past_cutoff = false;

  // Not from the bytes: the packet's flow (key, hash, direction) for this
  // view, computed once by ComputeFlow() (packet/packet_flow.h) and read
  // through FlowOf(); state kUnknown until then.
  FlowRef flow;

  bool has_ip() const { return l3 == L3::kIPv4 || l3 == L3::kIPv6; }
  bool has_l4() const { return l4_off != 0; }
};

}  // namespace trove
