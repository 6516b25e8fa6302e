#pragma once
// Helpers shared by the CryptoPAn tests: address parsing and printing,
// object creation that fails the test on error, random keys and addresses.

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <bit>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "anon/cryptopan.h"

namespace trove::cryptopan_test {

// The key of the sample in the Crypto-PAn 1.0 source distribution.
inline constexpr uint8_t kSampleKey[32] = {21,  34, 23,  141, 51, 164, 207, 128, 19,  10,  91,
                                           22,  73, 144, 125, 16, 216, 152, 143, 131, 121, 121,
                                           101, 39, 98,  87,  76, 45,  42,  132, 34,  2};

inline uint32_t Ip4(const char* s) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, s, &a), 1) << s;
  return ntohl(a.s_addr);
}

inline Ipv6Bytes Ip6(const char* s) {
  Ipv6Bytes b{};
  EXPECT_EQ(inet_pton(AF_INET6, s, b.data()), 1) << s;
  return b;
}

inline std::string Str4(uint32_t a) {
  char buf[INET_ADDRSTRLEN];
  const uint32_t n = htonl(a);
  inet_ntop(AF_INET, &n, buf, sizeof(buf));
  return buf;
}

inline std::string Str6(const Ipv6Bytes& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a.data(), buf, sizeof(buf));
  return buf;
}

inline CryptoPAn Make(std::span<const uint8_t> key, CryptoPAnOptions opts = {}) {
  Result<CryptoPAn> r = CryptoPAn::Create(key, opts);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

inline std::vector<uint8_t> RandomKey(std::mt19937_64& rng) {
  std::vector<uint8_t> k(32);
  for (uint8_t& b : k) b = static_cast<uint8_t>(rng());
  return k;
}

inline Ipv6Bytes Random6(std::mt19937_64& rng) {
  Ipv6Bytes a;
  for (uint8_t& b : a) b = static_cast<uint8_t>(rng());
  return a;
}

}  // namespace trove::cryptopan_test
