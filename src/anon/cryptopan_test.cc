// CryptoPAn against the textbook bit-by-bit implementation
// (anon/cryptopan_reference.h) and its properties: prefix preservation,
// bijectivity, determinism across objects, clones and threads, key
// separation. The external oracles (traceanon, published vectors) are in
// cryptopan_oracle_test.cc.

#include "anon/cryptopan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <random>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "anon/cryptopan_reference.h"
#include "anon/cryptopan_test_util.h"
#include "anon/key_schedule.h"

namespace trove {
namespace {

using namespace cryptopan_test;

int CommonPrefix4(uint32_t a, uint32_t b) { return std::countl_zero(a ^ b); }

int CommonPrefix6(const Ipv6Bytes& a, const Ipv6Bytes& b) {
  for (int i = 0; i < 16; ++i) {
    const uint8_t x = a[i] ^ b[i];
    if (x) return 8 * i + std::countl_zero(x);
  }
  return 128;
}

// ---------------------------------------------------------------- reference

TEST(CryptoPAnTest, FastPathsEqualBitByBitReference) {
  std::mt19937_64 rng(11);
  for (int cache_bits : {4, 12}) {  // 4: constant evictions and slot collisions
    const std::vector<uint8_t> key = RandomKey(rng);
    CryptoPAn c = Make(key, {.cache_bits = cache_bits});
    CryptoPAnReference ref(key);
    std::vector<uint32_t> v4 = {0, 1, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0x0A000001};
    for (int i = 0; i < 3000; ++i) v4.push_back(static_cast<uint32_t>(rng()));
    for (int i = 0; i < 3000; ++i) v4.push_back(v4[rng() % v4.size()]);  // cache hits
    for (const uint32_t a : v4) ASSERT_EQ(c.Anonymize4(a), ref.Anonymize4(a)) << Str4(a);

    std::vector<Ipv6Bytes> v6 = {Ipv6Bytes{},
                                 Ip6("::1"),
                                 Ip6("ffff:ffff:ffff:ffff::"),
                                 Ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
                                 Ip6("2001:db8::1"),
                                 Ip6("fe80::1")};
    for (int i = 0; i < 400; ++i) v6.push_back(Random6(rng));
    for (int i = 0; i < 300; ++i) {  // new hosts in known /64s
      Ipv6Bytes a = v6[rng() % v6.size()];
      for (int k = 8; k < 16; ++k) a[k] = static_cast<uint8_t>(rng());
      v6.push_back(a);
    }
    for (int i = 0; i < 300; ++i) v6.push_back(v6[rng() % v6.size()]);
    for (const Ipv6Bytes& a : v6) ASSERT_EQ(c.Anonymize6(a), ref.Anonymize6(a)) << Str6(a);
  }
}

TEST(CryptoPAnTest, PrefixTableMatchesReferenceForEvery16BitPrefix) {
  std::mt19937_64 rng(12);
  const std::vector<uint8_t> key = RandomKey(rng);
  CryptoPAn c = Make(key);
  CryptoPAnReference ref(key);
  for (uint32_t p = 0; p < (1u << 16); ++p) {
    const uint32_t a = p << 16 | static_cast<uint32_t>(rng() & 0xFFFF);
    ASSERT_EQ(c.Anonymize4(a), ref.Anonymize4(a)) << Str4(a);
  }
}

TEST(CryptoPAnTest, Ipv4IsTheTopOfIpv6) {
  CryptoPAn c = Make(kSampleKey);
  std::mt19937_64 rng(13);
  for (int i = 0; i < 1000; ++i) {
    const uint32_t a = static_cast<uint32_t>(rng());
    Ipv6Bytes six{};
    for (int k = 0; k < 4; ++k) six[k] = static_cast<uint8_t>(a >> (24 - 8 * k));
    const Ipv6Bytes r = c.Anonymize6(six);
    const uint32_t top = static_cast<uint32_t>(r[0]) << 24 | r[1] << 16 | r[2] << 8 | r[3];
    ASSERT_EQ(top, c.Anonymize4(a));
  }
}

// ---------------------------------------------------------------- properties

TEST(CryptoPAnTest, PrefixPreservingIpv4) {
  std::mt19937_64 rng(21);
  CryptoPAn c = Make(RandomKey(rng));
  for (int i = 0; i < 100000; ++i) {
    // Every common prefix length 0..32 is exercised.
    const uint32_t a = static_cast<uint32_t>(rng());
    const int k = static_cast<int>(rng() % 33);
    uint32_t b = a;
    if (k < 32) {
      const uint32_t flip = 0x80000000u >> k;
      b = (a & ~(flip | (flip - 1))) | ((~a) & flip) | (static_cast<uint32_t>(rng()) & (flip - 1));
    }
    ASSERT_EQ(CommonPrefix4(a, b), k);
    ASSERT_EQ(CommonPrefix4(c.Anonymize4(a), c.Anonymize4(b)), k) << Str4(a) << " " << Str4(b);
  }
}

TEST(CryptoPAnTest, PrefixPreservingIpv6) {
  std::mt19937_64 rng(22);
  CryptoPAn c = Make(RandomKey(rng));
  for (int i = 0; i < 100000; ++i) {
    const Ipv6Bytes a = Random6(rng);
    const int k = static_cast<int>(rng() % 129);
    Ipv6Bytes b = a;
    if (k < 128) {
      const Ipv6Bytes r = Random6(rng);
      b[k / 8] ^= static_cast<uint8_t>(0x80 >> (k % 8));
      for (int bit = k + 1; bit < 128; ++bit) {
        const uint8_t m = static_cast<uint8_t>(0x80 >> (bit % 8));
        b[bit / 8] = static_cast<uint8_t>((b[bit / 8] & ~m) | (r[bit / 8] & m));
      }
    }
    ASSERT_EQ(CommonPrefix6(a, b), k);
    ASSERT_EQ(CommonPrefix6(c.Anonymize6(a), c.Anonymize6(b)), k) << Str6(a) << " " << Str6(b);
  }
}

TEST(CryptoPAnTest, BijectiveIpv4) {
  std::mt19937_64 rng(31);
  CryptoPAn c = Make(RandomKey(rng));
  // Exhaustively over a /16: distinct images, all in one anonymized /16.
  std::vector<uint32_t> img;
  const uint32_t base = Ip4("10.1.0.0");
  for (uint32_t x = 0; x < (1u << 16); ++x) img.push_back(c.Anonymize4(base | x));
  for (const uint32_t y : img) ASSERT_EQ(y >> 16, img[0] >> 16);
  std::sort(img.begin(), img.end());
  EXPECT_EQ(std::adjacent_find(img.begin(), img.end()), img.end());
  // A large random set.
  std::unordered_set<uint32_t> in, out;
  while (in.size() < 100000) in.insert(static_cast<uint32_t>(rng()));
  for (const uint32_t a : in) out.insert(c.Anonymize4(a));
  EXPECT_EQ(out.size(), in.size());
}

struct Hash6 {
  size_t operator()(const Ipv6Bytes& a) const {
    uint64_t h = 0;
    for (const uint8_t b : a) h = h * 1099511628211ull ^ b;
    return static_cast<size_t>(h);
  }
};

TEST(CryptoPAnTest, BijectiveIpv6) {
  std::mt19937_64 rng(32);
  CryptoPAn c = Make(RandomKey(rng));
  std::unordered_set<Ipv6Bytes, Hash6> in, out;
  Ipv6Bytes net = Ip6("2001:db8:1:2::");
  while (in.size() < 100000) {
    Ipv6Bytes a = Random6(rng);
    if (in.size() % 2) {  // half of them within one /64, differing little
      a = net;
      a[14] = static_cast<uint8_t>(rng());
      a[15] = static_cast<uint8_t>(rng());
      a[13] = static_cast<uint8_t>(rng() & 3);
    }
    in.insert(a);
  }
  for (const Ipv6Bytes& a : in) out.insert(c.Anonymize6(a));
  EXPECT_EQ(out.size(), in.size());
}

TEST(CryptoPAnTest, DeterministicAcrossObjectsClonesAndThreads) {
  std::mt19937_64 rng(41);
  const std::vector<uint8_t> key = RandomKey(rng);
  std::vector<uint32_t> v4;
  std::vector<Ipv6Bytes> v6;
  for (int i = 0; i < 20000; ++i) v4.push_back(static_cast<uint32_t>(rng() % 50000) * 86243u);
  for (int i = 0; i < 2000; ++i) v6.push_back(Random6(rng));

  CryptoPAn first = Make(key);
  std::vector<uint32_t> want4;
  std::vector<Ipv6Bytes> want6;
  for (const uint32_t a : v4) want4.push_back(first.Anonymize4(a));
  for (const Ipv6Bytes& a : v6) want6.push_back(first.Anonymize6(a));

  CryptoPAn second = Make(key, {.cache_bits = 6});
  for (size_t i = 0; i < v4.size(); ++i) ASSERT_EQ(second.Anonymize4(v4[i]), want4[i]);

  // Four threads, two with Clone()s (shared table) and two with their own
  // objects, each in its own order.
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Result<CryptoPAn> r = t < 2 ? first.Clone() : CryptoPAn::Create(key);
      if (!r.ok()) {
        bad[t] = -1;
        return;
      }
      CryptoPAn& c = r.value();
      for (size_t n = 0; n < v4.size(); ++n) {
        const size_t i = t % 2 ? v4.size() - 1 - n : n;
        bad[t] += c.Anonymize4(v4[i]) != want4[i];
      }
      for (size_t i = 0; i < v6.size(); ++i) bad[t] += c.Anonymize6(v6[i]) != want6[i];
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[t], 0) << "thread " << t;
}

TEST(CryptoPAnTest, DifferentDerivedKeysGiveDifferentMappings) {
  std::vector<uint8_t> master(32, 0x5a);
  const std::vector<std::pair<std::string, std::string>> level_epoch = {
      {"scrambled", "2026"}, {"scrambled", "2027"}, {"research", "2026"}};
  std::vector<CryptoPAn> objs;
  for (const auto& [level, epoch] : level_epoch) {
    Result<SecretBytes> k = DeriveKey(master, "ip", level, epoch);
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    objs.push_back(Make(k->span()));
  }
  std::mt19937_64 rng(51);
  for (size_t i = 0; i < objs.size(); ++i) {
    for (size_t j = i + 1; j < objs.size(); ++j) {
      int same4 = 0, same6 = 0;
      for (int n = 0; n < 1000; ++n) {
        const uint32_t a = static_cast<uint32_t>(rng());
        const Ipv6Bytes b = Random6(rng);
        same4 += objs[i].Anonymize4(a) == objs[j].Anonymize4(a);
        same6 += objs[i].Anonymize6(b) == objs[j].Anonymize6(b);
      }
      EXPECT_LE(same4, 2) << i << " vs " << j;  // ~1000 / 2^32 by chance
      EXPECT_EQ(same6, 0) << i << " vs " << j;
    }
  }
}

TEST(CryptoPAnTest, RejectsBadKeyAndOptions) {
  const uint8_t key[33] = {};
  Result<CryptoPAn> r = CryptoPAn::Create(std::span<const uint8_t>(key, 31));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("32 bytes, got 31"), std::string::npos);
  EXPECT_FALSE(CryptoPAn::Create(key).ok());
  EXPECT_FALSE(CryptoPAn::Create(std::span<const uint8_t>(key, 32), {.cache_bits = 3}).ok());
  EXPECT_FALSE(CryptoPAn::Create(std::span<const uint8_t>(key, 32), {.cache_bits = 21}).ok());
}

TEST(CryptoPAnTest, MovedObjectKeepsWorking) {
  CryptoPAn a = Make(kSampleKey);
  const uint32_t x = a.Anonymize4(Ip4("128.11.68.132"));
  CryptoPAn b = std::move(a);
  EXPECT_EQ(b.Anonymize4(Ip4("128.11.68.132")), x);
  CryptoPAn c = Make(kSampleKey, {.cache_bits = 4});
  c = std::move(b);
  EXPECT_EQ(Str4(c.Anonymize4(Ip4("24.5.0.80"))), "100.9.15.210");
}

}  // namespace
}  // namespace trove
