// IPv6 analyzer: fixed header, then the extension header chain (hop-by-hop,
// routing, fragment, destination options, mobility, AH) up to the transport
// protocol. ESP and unknown headers end the chain as an unknown L4.

#include "packet/analyzers.h"
#include "packet/ipv6_ext.h"

namespace trove::packet_internal {

void DecodeIPv6(const Frame& f, uint32_t off, DecodedPacket* d) {
  constexpr uint32_t kFixed = 40;
  const uint32_t avail = f.end - off;
  const uint8_t* p = f.data + off;
  if (avail >= 1 && (p[0] >> 4) != 6) {
    d->stop = DecodeStop::kMalformed;  // however short
    return;
  }
  if (avail < kFixed) {
    d->stop = DecodeStop::kTruncated;
    return;
  }
  const uint32_t plen = Load16(p + 4);
  // Payload length 0: jumbogram or segmentation offload; use the capture.
  const uint32_t ip_end = plen == 0 ? f.caplen : off + kFixed + plen;
  const IpPayload ip{ip_end < f.end ? ip_end : f.end, ip_end};

  d->l3 = L3::kIPv6;
  d->addr_len = 16;
  d->src_off = Off16(off + 8);
  d->dst_off = Off16(off + 24);
  d->ttl = p[7];

  uint8_t nh = p[6];
  uint32_t cur = off + kFixed;
  for (;;) {
    const uint8_t type = nh;
    d->ip_proto = type;
    if (!IsIpv6Extension(type)) {
      DispatchIpProto(f, ip, cur, type, d);  // TCP, UDP, ICMPv6, ESP, ...
      return;
    }
    const uint32_t hlen = Ipv6ExtensionLength(type, f.data + cur, ip.end - cur);
    if (hlen == 0) {
      d->stop = ShortStop(cur + 2, ip.ip_end);
      return;
    }
    if (ip.end - cur < hlen) {
      d->stop = ShortStop(cur + hlen, ip.ip_end);
      return;
    }
    const uint8_t* h = f.data + cur;
    nh = h[0];
    cur += hlen;
    if (type == kIpv6Fragment) {
      // next(1) reserved(1) offset(13) res(2) M(1) id(4)
      const uint16_t frag = Load16(h + 2);
      const uint16_t frag_off = frag >> 3;
      d->frag_id = Load32(h + 4);
      d->is_fragment = (frag & 0x1) != 0 || frag_off != 0;
      d->first_fragment = d->is_fragment && frag_off == 0;
      if (frag_off != 0) {
        d->ip_proto = nh;
        SetPayload(f, ip, cur, d);
        d->stop = DecodeStop::kFragment;
        return;
      }
    }
  }
}

}  // namespace trove::packet_internal
