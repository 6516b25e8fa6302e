#pragma once
// ForEachDecodedPacket: walks a pcapng span with ParsePcapng and hands each
// packet to `fn` as a PacketRef carrying its interface's link type (per
// section, as the format defines; 0 for an unknown interface id), decoded
// once, with the offset of its block in the span. The one loop that every
// re-reader of a segment shares: scanning (fsck, salvage, rebuild),
// index rebuilds and level derivation. Section, interface and statistics
// callbacks in `also` are called too (its on_packet is ignored).

#include <cstdint>
#include <functional>

#include "packet/decoded.h"
#include "packet/packet.h"
#include "segment/pcapng_format.h"

namespace trove {

using DecodedPacketFn =
    std::function<bool(const PacketRef&, const DecodedPacket&, uint64_t block_offset)>;

PcapngParseResult ForEachDecodedPacket(const uint8_t* data, size_t len, PcapngVisitor also,
                                       const DecodedPacketFn& fn);

}  // namespace trove
