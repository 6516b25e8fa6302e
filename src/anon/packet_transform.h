#pragma once
// PacketTransform: derives the L1 (scrubbed) or L2 (scrambled) copy of one
// packet from the raw packet and its DecodedPacket (decoder.h). The outer
// headers are located through the DecodedPacket; headers the decoder does
// not describe (IPv4 options, IPv6 extension headers, the IP header quoted in
// an ICMP error, tunnelled IP, ARP and NDP bodies) are walked by small
// bounds-checked helpers in packet_transform.cc.
//
// The output is always a prefix of the input in length (caplen_out <=
// caplen_in) with some bytes rewritten in place; no byte moves. wirelen is
// kept (out_wirelen = max(in.wirelen, caplen_out)), and no IP total length,
// IPv6 payload length or UDP length is changed: they keep describing the
// original packet, so readers see a headers-only capture truncated by a
// snaplen (caplen < len is normal; tshark does not call it malformed).
//
// ---- What is kept (scrub) ----------------------------------------------
// Fail safe: what is not understood is cut off, never copied. Unless the
// policy keeps payloads (scrub_payload = false), the output ends right after
// the last header understood:
//  - Link: Ethernet (with 802.1Q/802.1ad/QinQ tags, MPLS label stacks and
//    LLC/SNAP), Linux SLL and SLL2, BSD NULL/LOOP, raw IP. SLL/SLL2 link
//    addresses that are not 6 bytes long are zeroed (not understood); so are
//    the bytes past a 6-byte address in the 8-byte field.
//  - Unknown ethertype / non-IP link payload (EoMPLS, PPPoE, LLC, ...): the
//    link header only. A link header cut short by the capture (e.g. inside a
//    VLAN tag): the base header (Ethernet 14, SLL 16, SLL2 20, NULL 4) if it
//    is complete. Nothing understood at all (unsupported link type, base
//    header incomplete, raw IP that is not IP): the packet is DROPPED, Apply()
//    returns false.
//  - ARP: the 8-byte fixed part; then, for hardware length 6 and protocol
//    IPv4/length 4, the sender/target hardware and protocol addresses, each
//    only if completely captured. Other ARP variants: fixed part only. ATM
//    ARP (hardware type 19, another layout) and an ARP whose declared
//    addresses run past the frame's wire length: the link header only.
//  - IPv4: the header with its options. Options: EOL, NOP, Router Alert,
//    Record Route, Loose/Strict Source Route and Timestamp are kept (Record
//    Route slots past the pointer are zeroed, bytes after EOL are zeroed);
//    any other or malformed option is overwritten with NOP (0x01). A header
//    whose options were cut by the capture: the fixed 20 bytes only, with
//    header checksum 0 (it cannot be computed).
//  - IPv6: the fixed header and the extension headers. Hop-by-hop and
//    destination options: Pad1/PadN (PadN contents zeroed), Router Alert,
//    Jumbo Payload and Home Address are kept, any other option is replaced
//    by padding of the same length. Routing header type 0 and 2: kept
//    (addresses scrambled); any other routing type: the first 4 bytes kept,
//    the rest zeroed. Fragment header: kept. AH: the first 12 bytes kept, the
//    ICV zeroed. Mobility header: the first 4 bytes kept, the rest (incl.
//    its checksum) zeroed. An extension header cut by the capture ends the
//    output before it.
//  - Non-first IP fragments: the IP header (and IPv6 extension headers up to
//    the fragment header) only.
//  - Unknown IP protocols (ESP, SCTP, OSPF, ...): the IP header(s) only. (We
//    keep the IP header rather than only the link header: the addresses and
//    protocol are header information and carry no payload.)
//  - TCP: the header with its option area, options per LevelPolicy (see
//    level_policy.h). UDP: the 8-byte header. ICMP / ICMPv6: the 8-byte
//    header for known types (4 bytes for unknown types); ICMP errors (v4
//    types 3, 4, 5, 11, 12; v6 types 1-4) also keep the quoted IP header
//    (processed like any IP header) plus the first 8 bytes of its transport
//    header. ICMP redirect (5): the gateway address is scrambled. ICMPv6 NDP
//    (133-137): the fixed body (RA 16, NS/NA 24, redirect 40 bytes; targets
//    and destinations scrambled) and the options source/target link-layer
//    address (6-byte MACs), prefix information (prefix scrambled, bits past
//    the prefix length zeroed), MTU and RDNSS (addresses scrambled); the
//    option list is cut at the first other or malformed option. MLD: the
//    8-byte header only (the group address is cut).
//  - A transport header cut by the capture (or with an impossible length):
//    only fields before its checksum (TCP first 16 bytes, UDP 6, ICMP 2); a
//    TCP header with its fixed 20 bytes but options cut: the fixed 20 bytes.
//  - Tunnels: IPv4/IPv6 in IPv4/IPv6 (protocols 4 and 41) and GRE (47,
//    version 0 with C/K/S fields, protocol IPv4 or IPv6) are followed: the
//    inner IP header and transport header are kept as above. GRE version 1
//    (PPTP): the GRE header only. Other GRE payloads (e.g. transparent
//    Ethernet bridging): the GRE header only. Nesting is limited to 4
//    levels of tunnels/quotes; deeper content is cut.
//  - Ethernet padding and trailers after the IP datagram are always cut.
//
// ---- What is scrambled (scramble) ---------------------------------------
// With scramble_addresses, every IPv4/IPv6 address in what is kept goes
// through the AddressMapper: outer and inner IP source/destination, ARP
// protocol addresses, IPv4 route/timestamp option addresses, IPv6 routing
// header type 0/2 addresses and the Home Address option, ICMP redirect
// gateway, the quoted header of ICMP errors, NDP target/destination, prefix
// and RDNSS addresses. With scramble_macs, every MAC: Ethernet source and
// destination, SLL/SLL2 6-byte link addresses, ARP hardware addresses, NDP
// link-layer address options. Scrambling changes nothing else: with an
// IdentityMapper the scrambled output equals the scrubbed output.
//
// ---- Checksums ------------------------------------------------------------
// IPv4 header checksums (outer, tunnelled and quoted) are always recomputed
// over the output header, so they always verify (the original value, right
// or wrong, is not kept).
//
// Every other checksum that is kept (TCP, UDP, ICMP, ICMPv6, GRE; outer,
// tunnelled and quoted) follows one rule. "Covered bytes" are the bytes of
// its message that are kept plus its pseudo-header addresses (the final
// destination when an IPv6 type 0/2 routing header or IPv4 source route is
// present; the Home Address as source when that option is present).
//  1. No covered byte changed: the checksum is kept as captured.
//  2. Some changed, and the whole original message was captured (IP
//     datagram complete within caplen, length field non-zero, not a
//     fragment): the checksum is updated incrementally (RFC 1624) from the
//     captured value by the change in the covered bytes. It is then the
//     checksum of the original message (payload included, even where the
//     payload is cut) with the new addresses and headers: correct if the
//     original was correct, wrong by the same amount if it was wrong.
//  3. Some changed, and the message was not wholly captured: 0. For UDP over
//     IPv4 that means "no checksum"; elsewhere it is a marker for "not
//     computed".
// A UDP checksum of 0 stays 0; an updated UDP checksum that comes out as
// 0x0000 is written as 0xFFFF. So no checksum computed over an original
// address is ever left next to a rewritten address.
// Known limits: for IPv6 segment routing headers (type 4) and other
// unhandled routing types the pseudo-header destination is taken to be the
// IPv6 destination field.
//
// ---- Properties -------------------------------------------------------------
// Never reads outside [in.data, in.data + in.caplen) whatever the bytes or
// the DecodedPacket say; never writes outside the output. Deterministic for a
// deterministic mapper. Allocates only when the output buffer must grow.
// Not thread-safe (the mapper and the stats are per instance): use one
// PacketTransform per thread.

#include <cstdint>

#include "anon/address_mapper.h"
#include "anon/level_policy.h"
#include "packet/decoded.h"
#include "packet/packet.h"
#include "util/byte_buffer.h"

namespace trove::anon {

struct TransformStats {
  uint64_t packets = 0;            // Apply() calls
  uint64_t dropped = 0;            // Apply() returned false
  uint64_t bytes_in = 0;           // captured bytes given
  uint64_t bytes_out = 0;          // captured bytes produced
  uint64_t link_only = 0;          // only the link header kept (non-IP, non-ARP, or an
                                   // IP header too damaged to understand)
  uint64_t checksums_updated = 0;  // rule 2 (incremental update)
  uint64_t checksums_zeroed = 0;   // rule 3 (set to 0)
};

class PacketTransform {
 public:
  // `mapper` is not owned and must outlive the transform. It may be null
  // only when the policy scrambles nothing (aborts otherwise: a bug).
  PacketTransform(const LevelPolicy& policy, AddressMapper* mapper);

  // Writes the derived packet to *out_bytes (cleared first) and its wire
  // length to *out_wirelen. `d` must be Decode(in). Returns false when the
  // packet is dropped (nothing understood; *out_bytes is then empty). A
  // policy that is_identity() copies the packet unchanged.
  bool Apply(const PacketRef& in, const DecodedPacket& d, ByteBuffer* out_bytes,
             uint32_t* out_wirelen);

  const LevelPolicy& policy() const { return policy_; }
  const TransformStats& stats() const { return stats_; }

 private:
  LevelPolicy policy_;
  AddressMapper* mapper_;
  TransformStats stats_;
};

}  // namespace trove::anon
