// BloomFilter and SegmentSummary: no false negatives (property over random
// key sets), a false-positive rate near the design value, encoding round
// trip, bounds-checked decoding, and the summary of a synth segment holding
// every address and port its index holds.

#include "index/bloom_filter.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "index/index_test_util.h"
#include "index/segment_summary.h"

namespace trove {
namespace {

std::string RandomKey(std::mt19937_64& rng) {
  std::string k(1 + rng() % 20, '\0');
  for (char& c : k) c = static_cast<char>(rng());
  return k;
}

TEST(BloomFilter, NoFalseNegativesAnyKeySet) {
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 50; ++trial) {
    const size_t n = 1 + rng() % 2000;
    BloomFilter f(n);
    std::vector<std::string> keys;
    for (size_t i = 0; i < n; ++i) keys.push_back(RandomKey(rng));
    for (const auto& k : keys) f.Add(k);
    auto g = BloomFilter::Decode(f.Encode());
    ASSERT_TRUE(g.ok());
    for (const auto& k : keys) {
      ASSERT_TRUE(f.MayContain(k));
      ASSERT_TRUE(g->MayContain(k));
    }
  }
}

TEST(BloomFilter, FalsePositiveRateNearDesign) {
  std::mt19937_64 rng(2);
  BloomFilter f(10000);
  std::set<std::string> in;
  while (in.size() < 10000) in.insert(RandomKey(rng));
  for (const auto& k : in) f.Add(k);
  int fp = 0, probes = 0;
  while (probes < 20000) {
    std::string k = RandomKey(rng);
    if (in.count(k)) continue;
    ++probes;
    fp += f.MayContain(k);
  }
  EXPECT_LT(fp, probes * 3 / 100);  // design ≈ 0.8% at 10 bits/key, k = 7
}

TEST(BloomFilter, DecodeRejectsDamage) {
  BloomFilter f(10);
  f.Add("x");
  std::string e = f.Encode();
  EXPECT_FALSE(BloomFilter::Decode(e.substr(0, 3)).ok());
  EXPECT_FALSE(BloomFilter::Decode(e.substr(0, e.size() - 1)).ok());
  std::string z = e;
  z[0] = 0;
  EXPECT_FALSE(BloomFilter::Decode(z).ok());
  EXPECT_FALSE(BloomFilter().MayContain("x"));
}

TEST(SegmentSummary, HoldsEveryAddressPortAndProtocol) {
  auto seg = testing_util::MakeSynthSegment(3000, 9);
  const SegmentSummary s = SummarizeIndex(seg.index);
  auto back = SegmentSummary::Decode(s.Encode(), 1, 2);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->has_uncertain, s.has_uncertain);
  for (const auto& c : seg.index.conns) {
    if (c.has(ConnRecord::kNonIp)) continue;
    EXPECT_TRUE(back->keys.MayContain(AddressKey(c.key.ip_version, c.key.addr_lo)));
    EXPECT_TRUE(back->keys.MayContain(AddressKey(c.key.ip_version, c.key.addr_hi)));
    EXPECT_TRUE(back->keys.MayContain(ProtoKey(c.key.proto)));
    EXPECT_TRUE(back->keys.MayContain(VersionKey(c.key.ip_version)));
    if (c.key.proto == 6 || c.key.proto == 17) {
      EXPECT_TRUE(back->keys.MayContain(PortKey(c.key.port_lo)));
      EXPECT_TRUE(back->keys.MayContain(PortKey(c.key.port_hi)));
    }
  }
  // The postings agree with the records (hand-checked relation).
  for (const auto& a : seg.index.addresses)
    for (uint32_t id : a.conns) {
      const FlowKey& k = seg.index.conns[id].key;
      EXPECT_TRUE(std::memcmp(k.addr_lo, a.addr, 16) == 0 ||
                  std::memcmp(k.addr_hi, a.addr, 16) == 0);
    }
  ASSERT_FALSE(seg.index.ports.empty());
  std::set<uint16_t> have;
  for (const auto& pp : seg.index.ports) {
    have.insert(pp.port);
    const PortPosting* f = seg.index.FindPort(pp.port);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->port, pp.port);
  }
  uint16_t absent = 1;
  while (have.count(absent)) ++absent;
  EXPECT_EQ(seg.index.FindPort(absent), nullptr);
}

TEST(IndexBuilder, SnapshotIsIndependentOfLaterPackets) {
  auto seg = testing_util::MakeSynthSegment(100, 4);
  uint64_t in_records = 0;
  for (const auto& c : seg.index.conns) in_records += c.offsets.size();
  EXPECT_EQ(in_records, 100u);
  EXPECT_EQ(seg.index.packets, 100u);
  for (const auto& c : seg.index.conns) {
    EXPECT_EQ(c.total_packets(), c.offsets.size());
    EXPECT_LE(c.first_ts_ns, c.last_ts_ns);
  }
}

}  // namespace
}  // namespace trove
