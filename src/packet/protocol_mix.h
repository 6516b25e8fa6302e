#pragma once
// ProtocolMix: per-protocol packet and wire-byte counters (part of every
// segment's catalog/segment_stats.h). AccountPacket() adds one decoded
// packet to it. Every packet counts (packets += 1, bytes += wirelen) in
// exactly one of tcp / udp / icmp / other, and additionally in
// ipv4 or ipv6 when it has an IP layer (d.has_ip()). The transport bucket
// comes from ip_proto, so non-first fragments and packets cut inside the
// transport header still count as TCP/UDP/ICMP; ICMP and ICMPv6 both count
// as icmp. "other" is everything else, including non-IP (ARP, unknown
// ethertypes, unsupported link types) and IP packets whose header could not
// be decoded. Pure and allocation-free; the caller serialises access to mix.

#include <cstdint>

#include "packet/decoded.h"

namespace trove {

struct ProtoCounter {
  uint64_t packets = 0;
  uint64_t bytes = 0;  // wire bytes
};

struct ProtocolMix {
  ProtoCounter ipv4, ipv6, tcp, udp, icmp, other;
};

void AccountPacket(const DecodedPacket& d, uint32_t wirelen, ProtocolMix* mix);

}  // namespace trove
