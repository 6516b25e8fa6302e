#include "segment/decoded_packets.h"

#include <utility>
#include <vector>

#include "packet/decoder.h"

namespace trove {

PcapngParseResult ForEachDecodedPacket(const uint8_t* data, size_t len, PcapngVisitor also,
                                       const DecodedPacketFn& fn) {
  std::vector<uint16_t> linktypes;
  PcapngVisitor v;
  v.on_section = [&](const SectionInfo& s, uint64_t off) {
    linktypes.clear();
    return also.on_section ? also.on_section(s, off) : true;
  };
  v.on_interface = [&](const InterfaceInfo& i, uint64_t off) {
    linktypes.push_back(i.linktype);
    return also.on_interface ? also.on_interface(i, off) : true;
  };
  v.on_stats = std::move(also.on_stats);
  v.on_packet = [&](const PcapngPacket& p) {
    PacketRef r;
    r.ts_ns = p.ts_ns;
    r.caplen = p.caplen;
    r.wirelen = p.wirelen;
    r.linktype = p.interface_id < linktypes.size() ? linktypes[p.interface_id] : 0;
    r.data = p.data;
    DecodedPacket d;
    Decode(r, &d);
    return fn(r, d, p.block_offset);
  };
  return ParsePcapng(data, len, v);
}

}  // namespace trove
