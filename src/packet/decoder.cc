// Decode() and the dispatch tables: link type -> ethertype -> IP protocol.
// Adding a layer = one analyzer in its own file + one case here.

#include "packet/decoder.h"

#include <algorithm>

#include "packet/analyzers.h"
#include "packet/packet_flow.h"

namespace trove {
namespace packet_internal {

void DispatchEthertype(const Frame& f, uint32_t off, uint16_t type, DecodedPacket* d) {
  // Shim layers first: VLAN tags, MPLS label stacks and LLC/SNAP (an 802.3
  // length in place of the ethertype), any number, any mix.
  for (;;) {
    if (type == kEthVlan || type == kEthQinQ || type == kEthQinQOld) {
      if (!DecodeVlanTag(f, &off, &type, d)) return;
    } else if (type == kEthMpls || type == kEthMplsMcast) {
      if (!DecodeMplsStack(f, &off, &type, d)) return;
    } else if (type <= kMax8023Length) {
      if (!DecodeLlcSnap(f, &off, &type, d)) return;
    } else {
      break;
    }
  }
  d->ethertype = type;
  d->l3_off = Off16(off);
  switch (type) {
    case kEthIPv4:
      DecodeIPv4(f, off, d);
      return;
    case kEthIPv6:
      DecodeIPv6(f, off, d);
      return;
    case kEthArp:
      DecodeArp(f, off, d);
      return;
    default:
      d->l3 = L3::kOther;
      d->stop = DecodeStop::kNonIpL3;
      return;
  }
}

void DispatchIpProto(const Frame& f, const IpPayload& ip, uint32_t off, uint8_t proto,
                     DecodedPacket* d) {
  switch (proto) {
    case kProtoTcp:
      DecodeTcp(f, ip, off, d);
      return;
    case kProtoUdp:
      DecodeUdp(f, ip, off, d);
      return;
    case kProtoIcmp:
      DecodeIcmp(f, ip, off, /*v6=*/false, d);
      return;
    case kProtoIcmpv6:
      DecodeIcmp(f, ip, off, /*v6=*/true, d);
      return;
    default:
      // GRE, ESP, SCTP, IP-in-IP, ...: the IP payload starts here.
      SetPayload(f, ip, off, d);
      d->stop = DecodeStop::kUnknownL4;
      return;
  }
}

}  // namespace packet_internal

bool Decode(const PacketRef& pkt, DecodedPacket* out) {
  using namespace packet_internal;
  *out = DecodedPacket{};
  Frame f{pkt.data, pkt.caplen < kMaxParse ? pkt.caplen : kMaxParse, pkt.caplen};
  if (pkt.data == nullptr) f.end = f.caplen = 0;
  switch (pkt.linktype) {
    case kLinkEthernet:
      DecodeEthernet(f, out);
      break;
    case kLinkLinuxSll:
      DecodeSll(f, out);
      break;
    case kLinkLinuxSll2:
      DecodeSll2(f, out);
      break;
    case kLinkNull:
      DecodeNull(f, /*network_order_only=*/false, out);
      break;
    case kLinkLoop:
      DecodeNull(f, /*network_order_only=*/true, out);
      break;
    case kLinkRaw:
    case kLinkRawBsdOs:
    case kLinkTypeRaw:
      DecodeRawIp(f, out);
      break;
    case kLinkIPv4:
      DispatchEthertype(f, 0, kEthIPv4, out);
      break;
    case kLinkIPv6:
      DispatchEthertype(f, 0, kEthIPv6, out);
      break;
    default:
      out->stop = DecodeStop::kUnsupportedL2;
      break;
  }
  return out->stop == DecodeStop::kNone;
}

void ClampDecoded(const PacketRef& cut, DecodedPacket* d) {
  if (d->payload_off != 0 && cut.caplen >= d->payload_off) {
    // SetPayload's length, min(datagram end, caplen) - payload_off, with
    // the smaller caplen.
    d->payload_len = std::min<uint32_t>(d->payload_len, cut.caplen - d->payload_off);
    return;
  }
  // Inside a whole TCP header, after its ports: the decoder would stop with
  // kTruncated at the fixed header (flags unread) or at the options (the
  // whole header lay within the datagram, so never kMalformed), keeping
  // everything before. The flow key (addresses, ports) is unchanged.
  if (d->stop == DecodeStop::kNone && d->ip_proto == 6 && d->l4_off != 0 &&
      cut.caplen >= d->l4_off + 4u && cut.caplen < d->payload_off) {
    if (cut.caplen < d->l4_off + 20u) d->tcp_flags = 0;
    d->payload_off = 0;
    d->payload_len = 0;
    d->stop = DecodeStop::kTruncated;
    return;
  }
  const FlowState flow = d->flow.state;
  Decode(cut, d);
  if (flow != FlowState::kUnknown) ComputeFlow(cut, d);
}

}  // namespace trove
