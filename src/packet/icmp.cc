// ICMP and ICMPv6 analyzer: type, code, and the identifier of echo
// request/reply (ICMP 8/0, ICMPv6 128/129). Other types keep icmp_id 0.

#include "packet/analyzers.h"

namespace trove::packet_internal {

void DecodeIcmp(const Frame& f, const IpPayload& ip, uint32_t off, bool v6, DecodedPacket* d) {
  constexpr uint32_t kHeader = 8;  // type code checksum + 4 type-specific bytes
  const uint32_t avail = ip.end - off;
  if (avail < 2) {
    d->stop = ShortStop(off + 2, ip.ip_end);
    return;
  }
  const uint8_t* p = f.data + off;
  d->l4_off = Off16(off);
  d->icmp_type = p[0];
  d->icmp_code = p[1];
  if (avail < kHeader) {
    d->stop = ShortStop(off + kHeader, ip.ip_end);
    return;
  }
  const bool echo = v6 ? (p[0] == 128 || p[0] == 129) : (p[0] == 8 || p[0] == 0);
  if (echo) d->icmp_id = Load16(p + 4);
  SetPayload(f, ip, off + kHeader, d);
}

}  // namespace trove::packet_internal
