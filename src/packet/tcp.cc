// TCP analyzer: ports, flags, data offset (options included in the header).

#include "packet/analyzers.h"

namespace trove::packet_internal {

void DecodeTcp(const Frame& f, const IpPayload& ip, uint32_t off, DecodedPacket* d) {
  constexpr uint32_t kFixed = 20;
  const uint32_t avail = ip.end - off;
  if (avail < 4) {
    d->stop = ShortStop(off + 4, ip.ip_end);
    return;
  }
  const uint8_t* p = f.data + off;
  d->l4_off = Off16(off);
  d->sport = Load16(p);
  d->dport = Load16(p + 2);
  if (avail < kFixed) {
    d->stop = ShortStop(off + kFixed, ip.ip_end);
    return;
  }
  d->tcp_flags = p[13];
  const uint32_t hlen = (p[12] >> 4) * 4u;
  if (hlen < kFixed) {
    d->stop = DecodeStop::kMalformed;
    return;
  }
  if (avail < hlen) {
    d->stop = ShortStop(off + hlen, ip.ip_end);
    return;
  }
  SetPayload(f, ip, off + hlen, d);
}

}  // namespace trove::packet_internal
