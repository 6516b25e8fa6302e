// AccountPacket(): protocol mix accounting from a decoded packet.

#include "packet/protocol_mix.h"

namespace trove {
namespace {

inline void Add(ProtoCounter* c, uint32_t wirelen) {
  c->packets += 1;
  c->bytes += wirelen;
}

}  // namespace

void AccountPacket(const DecodedPacket& d, uint32_t wirelen, ProtocolMix* mix) {
  if (d.l3 == L3::kIPv4) {
    Add(&mix->ipv4, wirelen);
  } else if (d.l3 == L3::kIPv6) {
    Add(&mix->ipv6, wirelen);
  } else {
    Add(&mix->other, wirelen);
    return;
  }
  switch (d.ip_proto) {
    case 6:
      Add(&mix->tcp, wirelen);
      break;
    case 17:
      Add(&mix->udp, wirelen);
      break;
    case 1:
    case 58:
      Add(&mix->icmp, wirelen);
      break;
    default:
      Add(&mix->other, wirelen);
      break;
  }
}

}  // namespace trove
