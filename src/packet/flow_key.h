#pragma once
// FlowKey: the bidirectional identity of a flow, built from a decoded packet
// by MakeFlowKey(). Both directions of a conversation produce the same key:
// the endpoint with the smaller (address, port) is stored first ("lo").
// Keys compare with == and hash with FlowKey::Hash(), a fixed 64-bit mix
// that is deterministic and the same on every platform. Plain value; copy
// freely; 44 bytes, no padding (memcmp/memcpy-safe).
//
// What a key holds, by kind:
//  - kTransport: proto = IP protocol (after IPv6 extension headers), the two
//    addresses and TCP/UDP ports. Protocols without ports (GRE, ESP, ...) and
//    packets cut before the ports have ports 0.
//  - kIcmp: ICMP and ICMPv6 are keyed by type, code and id:
//    port_lo = type << 8 | code, port_hi = echo id (0 for other types). Echo
//    reply is mapped to echo request (ICMP 0 -> 8, ICMPv6 129 -> 128) so both
//    directions of a ping join. Endpoints are ordered by address only.
//  - kFragment: a non-first IP fragment carries no ports, so it is keyed as a
//    pseudo-connection (src, dst, frag_id) with proto 0 and ports 0; all the
//    non-first fragments of one datagram share a key (the first fragment,
//    which has the ports, keys as kTransport). Ordered by address only.
// Addresses are 16 bytes: IPv6 as is, IPv4 as v4-mapped (::ffff:a.b.c.d);
// ip_version (4 or 6) keeps the two families apart regardless.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "packet/packet.h"

namespace trove {

struct DecodedPacket;

enum class FlowKind : uint8_t { kTransport = 0, kIcmp = 1, kFragment = 2 };

struct FlowKey {
  uint8_t addr_lo[16] = {};
  uint8_t addr_hi[16] = {};
  uint16_t port_lo = 0;  // host order
  uint16_t port_hi = 0;
  uint32_t frag_id = 0;  // kFragment only
  uint8_t proto = 0;
  uint8_t ip_version = 0;  // 4 or 6
  FlowKind kind = FlowKind::kTransport;
  uint8_t reserved = 0;  // always 0

  uint64_t Hash() const;
  bool operator==(const FlowKey& o) const { return std::memcmp(this, &o, sizeof(*this)) == 0; }
};
static_assert(sizeof(FlowKey) == 44 && std::has_unique_object_representations_v<FlowKey>);

// For std::unordered_map / absl-style tables.
struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const { return static_cast<size_t>(k.Hash()); }
};

// The flow of one packet as the writer thread's consumers share it: the key
// MakeFlowKey() gives for the decoded view, that key's Hash() and the
// direction. It is computed once per packet (ComputeFlow(),
// packet/packet_flow.h) and carried in DecodedPacket::flow, so the cutoff
// stage, the segment statistics and the index builder do not each rebuild
// and rehash the key. `state` says whether it was computed for the view it
// sits in (Decode() resets it to kUnknown).
enum class FlowState : uint8_t {
  kUnknown = 0,  // not computed (yet) for this view
  kNone,         // computed: the packet has no flow (MakeFlowKey false)
  kValid,        // computed: key, hash and src_is_hi are set
};
struct FlowRef {
  FlowKey key;
  uint64_t hash = 0;  // key.Hash()
  bool src_is_hi = false;
  FlowState state = FlowState::kUnknown;
};

// Fills *key from a packet decoded by Decode(). Returns false (and leaves
// *key untouched) for packets without an IP layer (d.has_ip() false: non-IP,
// unsupported link, IP header truncated or malformed). If src_is_hi is
// given, it is set to true when the packet travels hi -> lo.
bool MakeFlowKey(const PacketRef& pkt, const DecodedPacket& d, FlowKey* key,
                 bool* src_is_hi = nullptr);

}  // namespace trove
