#include "packet/ip_prefix.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace trove {

bool ParseIpAddress(std::string_view text, int* family, uint8_t out[16]) {
  std::string s(text);
  std::memset(out, 0, 16);
  if (inet_pton(AF_INET, s.c_str(), out) == 1) {
    *family = 4;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out) == 1) {
    *family = 6;
    return true;
  }
  return false;
}

std::string FormatIpAddress(int family, const uint8_t* a) {
  char buf[INET6_ADDRSTRLEN] = "";
  inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, sizeof buf);
  return buf;
}

bool IpPrefix::Contains(int fam, const uint8_t* a) const {
  if (fam != family) return false;
  int full = length / 8, rest = length % 8;
  if (std::memcmp(a, addr.data(), static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (addr[static_cast<size_t>(full)] & mask);
}

std::string IpPrefix::ToString() const {
  return FormatIpAddress(family, addr.data()) + "/" + std::to_string(length);
}

Result<IpPrefix> ParseIpPrefix(std::string_view text) {
  IpPrefix p;
  // Error messages concatenate onto this lvalue. `"literal" + std::string(x)`
  // (operator+(const char*, string&&), inlined to insert(0, ...)) draws a false
  // -Werror=restrict from GCC 12 at -O3 (GCC bug 105329).
  std::string quoted = "'";
  quoted.append(text).append("'");
  std::string_view a = text;
  int len = -1;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    a = text.substr(0, slash);
    std::string_view l = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
    if (ec != std::errc() || ptr != l.data() + l.size() || l.empty())
      return Status::InvalidArgument("bad prefix length in " + quoted);
  }
  if (!ParseIpAddress(a, &p.family, p.addr.data()))
    return Status::InvalidArgument(quoted +
                                   " is not an IPv4 or IPv6 prefix (e.g. 10.1.0.0/16)");
  const int bits = p.family == 4 ? 32 : 128;
  if (len < 0) len = bits;
  if (len > bits)
    return Status::InvalidArgument("prefix length of " + quoted + " exceeds " +
                                   std::to_string(bits));
  p.length = len;
  for (int i = len; i < bits; ++i)
    if (p.addr[static_cast<size_t>(i / 8)] & (0x80 >> (i % 8)))
      return Status::InvalidArgument(quoted + " has host bits set past the prefix length");
  return p;
}

}  // namespace trove
