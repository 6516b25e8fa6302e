// Internet checksum: the RFC 1071 worked example, and the incremental
// update (RFC 1624) against full recomputation by a plain reference loop on
// random data, including the 0x0000/0xFFFF corner RFC 1624 is about.

#include "anon/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace trove::anon {
namespace {

// Reference: RFC 1071 section 4.1, word by word, fold at the end.
uint16_t Reference(const std::vector<uint8_t>& b) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < b.size(); i += 2) sum += static_cast<uint32_t>(b[i] << 8 | b[i + 1]);
  if (b.size() % 2) sum += static_cast<uint32_t>(b.back()) << 8;
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 1.2: 00 01 f2 03 f4 f5 f6 f7 sums (folded) to ddf2.
  const std::vector<uint8_t> b = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ChecksumFold(ChecksumAdd(b.data(), b.size())), 0xddf2);
  EXPECT_EQ(InternetChecksum(b.data(), b.size()), static_cast<uint16_t>(~0xddf2));
}

TEST(Checksum, Ipv4HeaderVerifiesToZero) {
  // A real IPv4 header (from Wikipedia's worked example) with checksum b861.
  const std::vector<uint8_t> h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(InternetChecksum(h.data(), h.size()), 0);
  std::vector<uint8_t> z = h;
  z[10] = z[11] = 0;
  EXPECT_EQ(InternetChecksum(z.data(), z.size()), 0xb861);
}

TEST(Checksum, MatchesReferenceOnRandomLengths) {
  std::mt19937 rng(7);
  for (int n = 0; n < 200; ++n) {
    std::vector<uint8_t> b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    EXPECT_EQ(InternetChecksum(b.data(), b.size()), Reference(b)) << n;
  }
}

TEST(Checksum, SumOddIsTheByteSwappedSum) {
  std::mt19937 rng(11);
  for (int n = 1; n < 64; ++n) {
    std::vector<uint8_t> b(n + 1);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    // Sum of the whole buffer = first byte as a high byte + the rest at an
    // odd offset.
    const uint16_t whole = ChecksumFold(ChecksumAdd(b.data(), b.size()));
    const uint16_t parts =
        ChecksumFold((static_cast<uint64_t>(b[0]) << 8) + SumOdd(b.data() + 1, n));
    EXPECT_EQ(whole == 0xFFFF ? 0 : whole, parts == 0xFFFF ? 0 : parts) << n;
  }
}

TEST(Checksum, IncrementalUpdateEqualsRecomputation) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 5000; ++trial) {
    std::vector<uint8_t> b(2 + 2 * (rng() % 30));
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    b[0] = b[1] = 0;  // the checksum field
    const uint16_t c = Reference(b);
    std::vector<uint8_t> after = b;
    const size_t at = 2 + 2 * (rng() % ((b.size() - 2) / 2 + 1));
    const size_t n = std::min<size_t>(b.size() - at, 2 * (1 + rng() % 8));
    for (size_t i = 0; i < n; ++i) after[at + i] = static_cast<uint8_t>(rng());
    if (trial % 7 == 0) {  // force data that sums to all ones / zeros
      for (size_t i = 2; i < after.size(); ++i) after[i] = trial % 2 ? 0xFF : 0x00;
      const size_t m = after.size() - 2;
      const uint16_t u = ChecksumUpdateBytes(c, b.data() + 2, after.data() + 2, m);
      const uint16_t full = Reference(after);
      // 0xFFFF where a recomputation gives 0x0000 (both verify), and for
      // all-zero data, where only 0xFFFF verifies.
      EXPECT_TRUE(u == full || (u == 0xFFFF && full == 0)) << trial;
      after[0] = static_cast<uint8_t>(u >> 8);
      after[1] = static_cast<uint8_t>(u);
      EXPECT_EQ(Reference(after), 0) << trial;
      continue;
    }
    const uint16_t u = ChecksumUpdateBytes(c, b.data() + at, after.data() + at, n);
    const uint16_t full = Reference(after);
    EXPECT_TRUE(u == full || (u == 0xFFFF && full == 0)) << trial;
    EXPECT_NE(u, 0);
    // The updated field verifies: the whole message then sums to zero.
    after[0] = static_cast<uint8_t>(u >> 8);
    after[1] = static_cast<uint8_t>(u);
    EXPECT_EQ(Reference(after), 0) << trial;
  }
}

TEST(Checksum, WrongChecksumStaysWrongBySameAmount) {
  std::vector<uint8_t> b = {0, 0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
  const uint16_t good = Reference(b);
  const uint16_t bad = static_cast<uint16_t>(good + 5);
  std::vector<uint8_t> after = b;
  after[4] = 0xde;
  after[5] = 0xad;
  const uint16_t u_good = ChecksumUpdateBytes(good, b.data() + 4, after.data() + 4, 2);
  const uint16_t u_bad = ChecksumUpdateBytes(bad, b.data() + 4, after.data() + 4, 2);
  EXPECT_EQ(static_cast<uint16_t>(u_bad - u_good), 5);
}

}  // namespace
}  // namespace trove::anon
