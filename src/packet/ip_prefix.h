#pragma once
// IpPrefix: an IPv4 or IPv6 CIDR prefix ("10.1.0.0/16", "2001:db8:1::/48")
// used for owner address space. Plain data; thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace trove {

struct IpPrefix {
  int family = 4;                  // 4 or 6
  std::array<uint8_t, 16> addr{};  // network byte order; first 4 bytes for IPv4
  int length = 0;                  // prefix length in bits

  // True when `a` (4 or 16 bytes, matching family) lies inside the prefix.
  bool Contains(int fam, const uint8_t* a) const;
  std::string ToString() const;
};

// "ADDR/LEN" or a bare address (full length). Host bits must be zero.
// InvalidArgument naming the text otherwise.
Result<IpPrefix> ParseIpPrefix(std::string_view text);

// An IPv4 or IPv6 address in text form; *family is 4 or 6, out gets 4 or 16 bytes.
bool ParseIpAddress(std::string_view text, int* family, uint8_t out[16]);
std::string FormatIpAddress(int family, const uint8_t* a);

}  // namespace trove
