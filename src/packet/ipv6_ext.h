#pragma once
// IPv6 extension headers: the one definition of the chain trove walks
// (hop-by-hop, routing, fragment, destination options, mobility, AH) and
// of each header's length, shared by the decoder (packet/ipv6.cc) and the
// anonymiser (anon/packet_transform.cc). ESP and anything else end the
// chain. Pure; thread-safe.

#include <cstdint>

namespace trove {

inline constexpr uint8_t kIpv6HopByHop = 0;
inline constexpr uint8_t kIpv6Routing = 43;
inline constexpr uint8_t kIpv6Fragment = 44;
inline constexpr uint8_t kIpv6Auth = 51;
inline constexpr uint8_t kIpv6DestOpts = 60;
inline constexpr uint8_t kIpv6Mobility = 135;

// True for the extension headers the chain walks through.
constexpr bool IsIpv6Extension(uint8_t nh) {
  return nh == kIpv6HopByHop || nh == kIpv6Routing || nh == kIpv6Fragment || nh == kIpv6Auth ||
         nh == kIpv6DestOpts || nh == kIpv6Mobility;
}

// The length of the extension header of type `nh` (IsIpv6Extension) that
// starts at `h`, of which `avail` bytes are present: AH counts 4-byte units
// minus 2, the fragment header is 8 bytes, the others count 8-byte units
// minus 1. 0 when its length byte is not present.
inline uint32_t Ipv6ExtensionLength(uint8_t nh, const uint8_t* h, uint32_t avail) {
  if (nh == kIpv6Fragment) return 8;
  if (avail < 2) return 0;
  return nh == kIpv6Auth ? (h[1] + 2u) * 4 : (h[1] + 1u) * 8;
}

}  // namespace trove
