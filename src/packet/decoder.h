#pragma once
// Decode(): layered packet analysis in the style of Zeek's packet analyzers.
// One analyzer per layer (link: Ethernet + 802.1Q/QinQ + MPLS, Linux SLL and
// SLL2, BSD NULL/LOOP, raw IP; network: IPv4, IPv6 with extension headers,
// ARP; transport: TCP, UDP, ICMP, ICMPv6), dispatched by link type,
// ethertype and IP protocol number. Adding a layer means adding one
// analyzer file and one dispatch entry.
//
// Contract: Decode never reads outside [data, data + caplen), never
// allocates, never throws, and is deterministic. Thread-safe (pure).

#include <cstdint>

#include "packet/decoded.h"
#include "packet/link_type.h"
#include "packet/packet.h"

namespace trove {

// Fills *out (which is reset first) and returns out->stop == kNone.
//
// What the fields mean beyond decoded.h:
//  - Only the first 65535 captured bytes are parsed (offsets are uint16_t);
//    a header crossing that limit is reported as kTruncated.
//  - ethertype is the final one after tags and labels. Link types without an
//    ethertype (NULL/LOOP, raw IP, MPLS bottom of stack) get the equivalent
//    0x0800 / 0x86DD; 0 for 802.3 frames that are not LLC/SNAP and for
//    unknown address families. l3_off is set whenever the link layer was
//    decoded (also for ARP and kNonIpL3).
//  - l3 is kIPv4/kIPv6 only once the fixed IP header is captured and valid:
//    has_ip() guarantees that src_off/dst_off + addr_len lie inside caplen.
//    A truncated or malformed fixed header leaves l3 == kNone.
//  - IPv4: frag_id is the IP id (also when not fragmented). Total length
//    0 is taken as TCP segmentation offload (as Zeek and Wireshark do): the
//    datagram is assumed to run to the end of the capture. Otherwise the
//    datagram ends at min(caplen, l3_off + total length), so Ethernet padding
//    is never payload. IPv6 payload length 0 (jumbogram / offload) likewise.
//  - is_fragment: MF set or offset != 0 (an IPv6 atomic fragment is not a
//    fragment, but its frag_id is kept). first_fragment: is_fragment and
//    offset == 0. A non-first fragment stops with kFragment, l4_off = 0,
//    ip_proto = the protocol it carries, payload_off = start of its data.
//  - ip_proto is the protocol after IPv6 extension headers (hop-by-hop,
//    routing, fragment, destination options, mobility, AH). ESP, "no next
//    header" and all other protocols stop with kUnknownL4, payload_off =
//    start of the IP payload. If decoding stops inside the extension header
//    chain, ip_proto is the header type it stopped in.
//  - l4_off != 0 means the transport header starts there and at least the
//    ports (TCP/UDP) or type and code (ICMP) were captured; stop == kNone
//    means the whole header (TCP incl. options) was. payload_off is the first
//    byte after it (0 unless stop is kNone, kFragment or kUnknownL4), and
//    payload_len the captured bytes from there to min(caplen, datagram end).
//  - tcp_flags is the whole flags byte (also URG 0x20, ECE 0x40, CWR 0x80).
//    icmp_id is set for echo request/reply only (ICMP 8/0, ICMPv6 128/129).
//  - A header that needs bytes past the datagram end the IP header declares
//    is kMalformed; past the captured bytes, kTruncated.
bool Decode(const PacketRef& pkt, DecodedPacket* out);

// The view of a packet after it was cut short. *d is Decode() (and, if it
// was computed, the flow: packet_flow.h) of the same packet before it was
// cut to cut.caplen bytes (cut.data unchanged); afterwards *d equals what
// Decode() and ComputeFlow() give for the cut packet. Decodes again only
// where it must: a cut in the payload or inside a TCP header after its
// ports changes a few fields; a cut anywhere else re-decodes.
void ClampDecoded(const PacketRef& cut, DecodedPacket* d);

}  // namespace trove
