#include "synth/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace trove::synth {
namespace {

TEST(SynthRng, Log2MatchesLibm) {
  std::vector<uint64_t> xs = {
      1, 2, 3, 5, 7, 1000, 65535, 1ull << 40, (1ull << 53) - 1, 1ull << 53, ~uint64_t{0}};
  Rng r(9);
  for (int i = 0; i < 1000; ++i) xs.push_back((r.Next() >> r.Below(60)) | 1);
  for (uint64_t x : xs) {
    const double got = static_cast<double>(Log2Q32(x)) / 4294967296.0;
    EXPECT_NEAR(got, std::log2(static_cast<double>(x)), 2e-9) << x;
  }
}

TEST(SynthRng, MulPow2MatchesExp2) {
  Rng r(10);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t y = r.Below(40ull << 32);
    const uint64_t base = 1 + r.Below(1'000'000);
    const double want =
        static_cast<double>(base) * std::exp2(static_cast<double>(y) / 4294967296.0);
    const uint64_t got = MulPow2Q32(base, y, ~uint64_t{0});
    EXPECT_NEAR(static_cast<double>(got), want, want * 1e-8 + 1.0) << base << " " << y;
  }
  EXPECT_EQ(MulPow2Q32(5, uint64_t{70} << 32, 123), 123u);  // saturates at cap
  EXPECT_EQ(MulPow2Q32(5, 0, 1000), 5u);
}

// The generators are a file format: these values must never change, on any
// platform. (If a change is intended, every golden value in the synth tests
// changes with it.)
TEST(SynthRng, GoldenValues) {
  Rng r(1, 0);
  EXPECT_EQ(r.Next(), 0xa6a3174ff34082e1ull);
  EXPECT_EQ(r.Next(), 0x41928b7a58854e22ull);
  EXPECT_EQ(r.Next(), 0x5d72b0438e2033e2ull);
  Rng q(42, 7);
  EXPECT_EQ(q.Exponential(5'000'000), 958716u);
  EXPECT_EQ(q.Pareto(500, ToQ32(1.2), 50'000'000), 727u);
  EXPECT_EQ(q.LogUniform(1000, 1'000'000), 1383u);
  EXPECT_EQ(q.ZipfCount(ToQ32(0.9), 1000), 8u);
}

TEST(SynthRng, StreamsAreIndependent) {
  Rng a(1, 0), b(1, 1), c(2, 0), a2(1, 0);
  const uint64_t va = a.Next();
  EXPECT_NE(va, b.Next());
  EXPECT_NE(va, c.Next());
  EXPECT_EQ(va, a2.Next());
}

TEST(SynthRng, ExponentialMean) {
  Rng r(3);
  const int n = 200'000;
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += static_cast<double>(r.Exponential(1'000'000));
  EXPECT_NEAR(sum / n, 1'000'000.0, 10'000.0);
}

TEST(SynthRng, ParetoTail) {
  Rng r(4);
  const uint64_t alpha = ToQ32(1.2);
  const int n = 200'000;
  int above10x = 0, above100x = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t v = r.Pareto(500, alpha, 50'000'000);
    ASSERT_GE(v, 500u);
    ASSERT_LE(v, 50'000'000u);
    above10x += v > 5000;
    above100x += v > 50000;
  }
  // P(X > k * xm) = k^-alpha.
  EXPECT_NEAR(static_cast<double>(above10x) / n, std::pow(10.0, -1.2), 0.003);
  EXPECT_NEAR(static_cast<double>(above100x) / n, std::pow(100.0, -1.2), 0.0007);
}

TEST(SynthRng, ZipfCountTail) {
  Rng r(5);
  const int n = 200'000;
  int ge10 = 0, ge100 = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t k = r.ZipfCount(ToQ32(1.0), 1000);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, 1000u);
    ge10 += k >= 10;
    ge100 += k >= 100;
  }
  EXPECT_NEAR(static_cast<double>(ge10) / n, 0.1, 0.003);
  EXPECT_NEAR(static_cast<double>(ge100) / n, 0.01, 0.001);
}

TEST(SynthRng, LogUniformRangeAndMedian) {
  Rng r(6);
  std::vector<uint64_t> v;
  for (int i = 0; i < 20'001; ++i) {
    v.push_back(r.LogUniform(1000, 1'000'000));
    ASSERT_GE(v.back(), 1000u);
    ASSERT_LE(v.back(), 1'000'000u);
  }
  std::nth_element(v.begin(), v.begin() + 10'000, v.end());
  EXPECT_NEAR(static_cast<double>(v[10'000]), 31'623.0, 2'000.0);  // sqrt(lo * hi)
}

TEST(SynthRng, Probabilities) {
  EXPECT_EQ(ProbabilityQ53(0), 0u);
  EXPECT_EQ(ProbabilityQ53(-1), 0u);
  EXPECT_EQ(ProbabilityQ53(1), uint64_t{1} << 53);
  EXPECT_EQ(ProbabilityQ53(0.5), uint64_t{1} << 52);
  EXPECT_EQ(ToQ32(1.5), uint64_t{3} << 31);
  Rng r(7);
  int hits = 0;
  for (int i = 0; i < 100'000; ++i) hits += r.ChanceQ53(ProbabilityQ53(0.2));
  EXPECT_NEAR(hits / 100'000.0, 0.2, 0.005);
}

}  // namespace
}  // namespace trove::synth
