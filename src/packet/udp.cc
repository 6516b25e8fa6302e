// UDP analyzer: ports. The UDP length field is not trusted for bounds (the
// IP datagram already bounds the payload).

#include "packet/analyzers.h"

namespace trove::packet_internal {

void DecodeUdp(const Frame& f, const IpPayload& ip, uint32_t off, DecodedPacket* d) {
  constexpr uint32_t kHeader = 8;
  const uint32_t avail = ip.end - off;
  if (avail < 4) {
    d->stop = ShortStop(off + 4, ip.ip_end);
    return;
  }
  const uint8_t* p = f.data + off;
  d->l4_off = Off16(off);
  d->sport = Load16(p);
  d->dport = Load16(p + 2);
  if (avail < kHeader) {
    d->stop = ShortStop(off + kHeader, ip.ip_end);
    return;
  }
  SetPayload(f, ip, off + kHeader, d);
}

}  // namespace trove::packet_internal
