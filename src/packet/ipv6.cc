// IPv6 analyzer: fixed header, then the extension header chain (hop-by-hop,
// routing, fragment, destination options, mobility, AH) up to the transport
// protocol. ESP and unknown headers end the chain as an unknown L4.

#include "packet/analyzers.h"

namespace trove::packet_internal {
namespace {

constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kAuth = 51;
constexpr uint8_t kDestOpts = 60;
constexpr uint8_t kMobility = 135;

}  // namespace

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
    uint32_t hlen;
    switch (type) {
      case kHopByHop:
      case kRouting:
      case kDestOpts:
      case kMobility:
      case kAuth:
        if (ip.end - cur < 2) {
          d->stop = ShortStop(cur + 2, ip.ip_end);
          return;
        }
        // AH counts 4-byte units minus 2; the others 8-byte units minus 1.
        hlen = type == kAuth ? (f.data[cur + 1] + 2u) * 4 : (f.data[cur + 1] + 1u) * 8;
        break;
      case kFragment:
        hlen = 8;
        break;
      default:
        DispatchIpProto(f, ip, cur, type, d);  // TCP, UDP, ICMPv6, ESP, ...
        return;
    }
    if (ip.end - cur < hlen) {
      d->stop = ShortStop(cur + hlen, ip.ip_end);
      return;
    }
    const uint8_t* h = f.data + cur;
    nh = h[0];
    cur += hlen;
    if (type == kFragment) {
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
