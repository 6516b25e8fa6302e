// ARP analyzer: recognised, not decoded further; trove tracks no ARP fields.

#include "packet/analyzers.h"

namespace trove::packet_internal {

void DecodeArp(const Frame& /*f*/, uint32_t /*off*/, DecodedPacket* d) {
  d->l3 = L3::kArp;
  d->stop = DecodeStop::kNonIpL3;
}

}  // namespace trove::packet_internal
