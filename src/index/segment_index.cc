#include "index/segment_index.h"

#include <algorithm>
#include <cstring>

namespace trove {

const AddressPosting* SegmentIndex::FindAddress(uint8_t ip_version, const uint8_t addr[16]) const {
  auto less = [](const AddressPosting& a, std::pair<uint8_t, const uint8_t*> b) {
    if (a.ip_version != b.first) return a.ip_version < b.first;
    return std::memcmp(a.addr, b.second, 16) < 0;
  };
  auto it =
      std::lower_bound(addresses.begin(), addresses.end(), std::make_pair(ip_version, addr), less);
  if (it == addresses.end() || it->ip_version != ip_version || std::memcmp(it->addr, addr, 16) != 0)
    return nullptr;
  return &*it;
}

const PortPosting* SegmentIndex::FindPort(uint16_t port) const {
  auto it = std::lower_bound(ports.begin(), ports.end(), port,
                             [](const PortPosting& p, uint16_t v) { return p.port < v; });
  if (it == ports.end() || it->port != port) return nullptr;
  return &*it;
}

}  // namespace trove
