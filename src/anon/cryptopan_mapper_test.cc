// CryptoPAnMapper against independent oracles: IP addresses against the
// textbook Crypto-PAn (cryptopan_reference.h, one AES per bit); the MAC key
// against `openssl kdf ... HKDF` run as a separate program (the derivation
// documented in cryptopan_mapper.h), the MAC pseudonyms then against
// MacPseudonym under that key.

#include "anon/cryptopan_mapper.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "anon/cryptopan_reference.h"

namespace trove::anon {
namespace {

std::array<uint8_t, 32> Key() {
  std::array<uint8_t, 32> k;
  for (int i = 0; i < 32; ++i) k[i] = static_cast<uint8_t>(0x3c + 11 * i);
  return k;
}

std::string Hex(const uint8_t* p, size_t n) {
  std::string s;
  char b[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    s += b;
  }
  return s;
}

TEST(CryptoPAnMapper, IpAddressesMatchTheReferenceAlgorithm) {
  const auto key = Key();
  auto m = CryptoPAnMapper::FromCryptoPAnKey(key);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  CryptoPAnReference ref(key);
  uint32_t a = 0x0a000001;
  for (int i = 0; i < 200; ++i, a = a * 2654435761u + 12345) {
    const uint8_t in[4] = {static_cast<uint8_t>(a >> 24), static_cast<uint8_t>(a >> 16),
                           static_cast<uint8_t>(a >> 8), static_cast<uint8_t>(a)};
    uint8_t out[4];
    (*m)->Map4(in, out);
    const uint32_t want = ref.Anonymize4(a);
    EXPECT_EQ(Hex(out, 4), Hex(std::array<uint8_t, 4>{static_cast<uint8_t>(want >> 24),
                                                      static_cast<uint8_t>(want >> 16),
                                                      static_cast<uint8_t>(want >> 8),
                                                      static_cast<uint8_t>(want)}
                                   .data(),
                               4));
  }
  std::array<uint8_t, 16> v6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  for (int i = 0; i < 20; ++i) {
    v6[15 - i % 8] = static_cast<uint8_t>(v6[15 - i % 8] * 7 + i);
    uint8_t out[16];
    (*m)->Map6(v6.data(), out);
    const auto want = ref.Anonymize6(v6);
    EXPECT_EQ(Hex(out, 16), Hex(want.data(), 16));
  }
}

TEST(CryptoPAnMapper, MacKeyIsTheDocumentedHkdf) {
  if (std::system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl";
  const auto key = Key();
  const std::string cmd =
      "openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:" + Hex(key.data(), 32) +
      " -kdfopt salt:trove-anon-v1 -kdfopt info:mac/scrambled/all HKDF 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char line[256] = "";
  ASSERT_NE(std::fgets(line, sizeof line, p), nullptr);
  ::pclose(p);
  std::array<uint8_t, 32> mac_key{};
  unsigned v;
  const char* s = line;
  for (int i = 0; i < 32; ++i, s += 3) {
    ASSERT_EQ(std::sscanf(s, "%2x", &v), 1) << line;
    mac_key[i] = static_cast<uint8_t>(v);
  }
  auto mac = MacPseudonym::Create(mac_key);
  ASSERT_TRUE(mac.ok());
  auto m = CryptoPAnMapper::FromCryptoPAnKey(key);
  ASSERT_TRUE(m.ok());
  uint8_t in[6] = {0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5d};
  for (int i = 0; i < 50; ++i) {
    in[5 - i % 6] = static_cast<uint8_t>(in[5 - i % 6] * 13 + i);
    uint8_t got[6], want[6];
    (*m)->MapMac(in, got);
    mac->Pseudonymize(in, want);
    EXPECT_EQ(Hex(got, 6), Hex(want, 6));
  }
  // The clone maps identically.
  auto c = (*m)->Clone();
  ASSERT_TRUE(c.ok());
  uint8_t a[6], b[6];
  (*m)->MapMac(in, a);
  (*c)->MapMac(in, b);
  EXPECT_EQ(Hex(a, 6), Hex(b, 6));
}

TEST(CryptoPAnMapper, RejectsWrongKeySizes) {
  const std::array<uint8_t, 16> short_key{};
  EXPECT_FALSE(CryptoPAnMapper::FromCryptoPAnKey(short_key).ok());
  const auto key = Key();
  EXPECT_FALSE(CryptoPAnMapper::Create(key, short_key).ok());
  EXPECT_FALSE(CryptoPAnMapper::Create(short_key, key).ok());
}

}  // namespace
}  // namespace trove::anon
