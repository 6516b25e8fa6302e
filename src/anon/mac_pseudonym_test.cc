// MacPseudonym: flag bits kept, broadcast fixed, one-to-one (and
// invertible), not a constant XOR, deterministic, key-separated.

#include "anon/mac_pseudonym.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "anon/key_schedule.h"

namespace trove {

// Reaches the transposition that keeps ff:ff:ff:ff:ff:ff fixed.
struct MacPseudonymTestPeer {
  // The one MAC whose plain Feistel image is ff:ff:ff:ff:ff:ff.
  static uint64_t PreimageOfBroadcast(MacPseudonym& m) {
    const uint64_t x = m.Unpermute(3, (uint64_t{1} << 46) - 1);
    return (x >> 40) << 42 | uint64_t{3} << 40 | (x & ((uint64_t{1} << 40) - 1));
  }
  static uint64_t BroadcastImage(MacPseudonym& m) {
    const uint64_t y = m.broadcast_image_;
    return (y >> 40) << 42 | uint64_t{3} << 40 | (y & ((uint64_t{1} << 40) - 1));
  }
};

namespace {

constexpr uint64_t kMask48 = 0xFFFFFFFFFFFFull;
constexpr uint64_t kFlags = uint64_t{3} << 40;  // I/G and U/L of the first octet

MacPseudonym Make(std::span<const uint8_t> key) {
  Result<MacPseudonym> r = MacPseudonym::Create(key);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

std::vector<uint8_t> Key(uint8_t seed) {
  std::vector<uint8_t> k(32);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  return k;
}

TEST(MacPseudonymTest, KeepsFlagBitsAndBroadcast) {
  MacPseudonym m = Make(Key(1));
  EXPECT_EQ(m.Pseudonymize(MacPseudonym::kBroadcast), MacPseudonym::kBroadcast);
  const std::array<uint8_t, 6> bc = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(m.Pseudonymize(bc), bc);
  std::mt19937_64 rng(1);
  int changed = 0;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t mac = rng() & kMask48;
    const uint64_t p = m.Pseudonymize(mac);
    ASSERT_EQ(p & ~kMask48, 0u);
    ASSERT_EQ(p & kFlags, mac & kFlags) << std::hex << mac;
    changed += p != mac;
  }
  EXPECT_GE(changed, 99990);
  // Multicast (I/G set) stays multicast, locally administered stays so.
  EXPECT_EQ(m.Pseudonymize(0x01005E0000FBull) >> 40 & 3, 1u);
  EXPECT_EQ(m.Pseudonymize(0x020000000001ull) >> 40 & 3, 2u);
  EXPECT_EQ(m.Pseudonymize(0x001122334455ull) >> 40 & 3, 0u);
}

TEST(MacPseudonymTest, OneToOneAndInvertible) {
  MacPseudonym m = Make(Key(2));
  std::mt19937_64 rng(2);
  std::unordered_set<uint64_t> in, out;
  while (in.size() < 100000) in.insert(rng() & kMask48);
  // Dense corners too: the 2^16 MACs ff:ff:ff:ff:xx:xx next to broadcast,
  // and 00:00:00:00:xx:xx.
  for (uint64_t x = 0; x < (1u << 16); ++x) {
    in.insert(0xFFFFFFFF0000ull | x);
    in.insert(x);
  }
  for (const uint64_t mac : in) {
    const uint64_t p = m.Pseudonymize(mac);
    out.insert(p);
    ASSERT_EQ(m.Reverse(p), mac) << std::hex << mac;
    if (mac != MacPseudonym::kBroadcast) {
      ASSERT_NE(p, MacPseudonym::kBroadcast);
    }
  }
  EXPECT_EQ(out.size(), in.size());
}

TEST(MacPseudonymTest, TranspositionKeepsBroadcastFixedAndMapOneToOne) {
  for (uint8_t seed = 0; seed < 8; ++seed) {
    MacPseudonym m = Make(Key(seed));
    const uint64_t x = MacPseudonymTestPeer::PreimageOfBroadcast(m);
    const uint64_t b = MacPseudonymTestPeer::BroadcastImage(m);
    if (x == MacPseudonym::kBroadcast) continue;  // the Feistel fixed it already
    EXPECT_EQ(m.Pseudonymize(x), b);              // takes broadcast's would-be image
    EXPECT_NE(b, MacPseudonym::kBroadcast);
    EXPECT_EQ(m.Reverse(b), x);
    EXPECT_EQ(m.Reverse(MacPseudonym::kBroadcast), MacPseudonym::kBroadcast);
  }
}

TEST(MacPseudonymTest, NotAConstantXor) {
  MacPseudonym m = Make(Key(3));
  std::mt19937_64 rng(3);
  std::unordered_map<uint64_t, int> deltas;
  int equal_pairs = 0;
  uint64_t prev_delta = 0;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t mac = rng() & kMask48;
    const uint64_t d = mac ^ m.Pseudonymize(mac);
    equal_pairs += i > 0 && d == prev_delta;
    prev_delta = d;
    ++deltas[d];
  }
  EXPECT_EQ(equal_pairs, 0);
  EXPECT_GE(deltas.size(), 19990u);
  // Flipping one input bit flips about half of the 46 free output bits.
  double flipped = 0;
  for (int i = 0; i < 2000; ++i) {
    const uint64_t mac = rng() & kMask48 & ~kFlags;
    const int bit = static_cast<int>(rng() % 40);
    flipped += __builtin_popcountll(m.Pseudonymize(mac) ^ m.Pseudonymize(mac ^ (1ull << bit)));
  }
  EXPECT_GT(flipped / 2000, 20.0);
  EXPECT_LT(flipped / 2000, 26.0);
}

TEST(MacPseudonymTest, DeterministicAndKeySeparated) {
  const std::vector<uint8_t> master(48, 0xA7);
  Result<SecretBytes> k1 = DeriveKey(master, "mac", "scrambled", "2026-11");
  Result<SecretBytes> k2 = DeriveKey(master, "mac", "scrambled", "2026-12");
  Result<SecretBytes> k3 = DeriveKey(master, "ip", "scrambled", "2026-11");
  ASSERT_TRUE(k1.ok() && k2.ok() && k3.ok());
  MacPseudonym a = Make(k1->span()), b = Make(k1->span()), c = Make(k2->span()),
               d = Make(k3->span());
  Result<MacPseudonym> clone = a.Clone();
  ASSERT_TRUE(clone.ok());
  std::mt19937_64 rng(4);
  int same_c = 0, same_d = 0;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t mac = rng() & kMask48;
    const uint64_t p = a.Pseudonymize(mac);
    ASSERT_EQ(b.Pseudonymize(mac), p);
    ASSERT_EQ(clone->Pseudonymize(mac), p);
    ASSERT_EQ(a.Pseudonymize(mac), p);  // cached
    same_c += c.Pseudonymize(mac) == p;
    same_d += d.Pseudonymize(mac) == p;
  }
  EXPECT_EQ(same_c, 0);
  EXPECT_EQ(same_d, 0);
}

TEST(MacPseudonymTest, ByteFormMatchesIntegerForm) {
  MacPseudonym m = Make(Key(5));
  const std::array<uint8_t, 6> mac = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  const std::array<uint8_t, 6> p = m.Pseudonymize(mac);
  uint64_t v = 0;
  for (const uint8_t x : p) v = v << 8 | x;
  EXPECT_EQ(v, m.Pseudonymize(0x001122334455ull));
  EXPECT_EQ(m.Pseudonymize(0xABCD001122334455ull), v);  // bits above 48 ignored
  std::array<uint8_t, 6> inplace = mac;
  m.Pseudonymize(inplace.data(), inplace.data());
  EXPECT_EQ(inplace, p);
}

TEST(MacPseudonymTest, RejectsBadKey) {
  const uint8_t key[16] = {};
  Result<MacPseudonym> r = MacPseudonym::Create(key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace trove
