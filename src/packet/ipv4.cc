// IPv4 analyzer: validates version, IHL and total length, records addresses,
// TTL and fragmentation, bounds the datagram and dispatches on the protocol.

#include "packet/analyzers.h"

namespace trove::packet_internal {

void DecodeIPv4(const Frame& f, uint32_t off, DecodedPacket* d) {
  constexpr uint32_t kFixed = 20;
  const uint32_t avail = f.end - off;
  const uint8_t* p = f.data + off;
  // Version and IHL first: an impossible header is malformed however short.
  const uint32_t ihl = avail >= 1 ? (p[0] & 0x0Fu) * 4 : 0;
  if (avail >= 1 && ((p[0] >> 4) != 4 || ihl < kFixed)) {
    d->stop = DecodeStop::kMalformed;
    return;
  }
  if (avail < kFixed) {
    d->stop = DecodeStop::kTruncated;
    return;
  }
  const uint32_t total = Load16(p + 2);
  if (total != 0 && total < ihl) {
    d->stop = DecodeStop::kMalformed;
    return;
  }
  // Total length 0: TCP segmentation offload zeroes it on the capturing
  // host; take the datagram to run to the end of the capture.
  const uint32_t ip_end = total == 0 ? f.caplen : off + total;

  d->l3 = L3::kIPv4;
  d->addr_len = 4;
  d->src_off = Off16(off + 12);
  d->dst_off = Off16(off + 16);
  d->ttl = p[8];
  d->ip_proto = p[9];
  d->frag_id = Load16(p + 4);
  const uint16_t frag = Load16(p + 6);
  const bool more = (frag & 0x2000) != 0;
  const uint16_t frag_off = frag & 0x1FFF;
  d->is_fragment = more || frag_off != 0;
  d->first_fragment = d->is_fragment && frag_off == 0;

  const uint32_t l4 = off + ihl;
  if (l4 > f.end) {  // options cut by the capture (ip_end >= l4 by the check above)
    d->stop = DecodeStop::kTruncated;
    return;
  }
  const IpPayload ip{ip_end < f.end ? ip_end : f.end, ip_end};
  if (frag_off != 0) {
    SetPayload(f, ip, l4, d);
    d->stop = DecodeStop::kFragment;
    return;
  }
  DispatchIpProto(f, ip, l4, d->ip_proto, d);
}

}  // namespace trove::packet_internal
