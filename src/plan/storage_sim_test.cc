// Hand-computed storage curves (plan/storage_sim.h). Bins of 10 s.
#include "plan/storage_sim.h"

#include <gtest/gtest.h>

namespace trove {
namespace {

constexpr int64_t kS = 1000000000;

std::vector<PlanConn> ThreeConns() {
  return {
      {100 * kS, 0, 500},        // A: at 100 s
      {105 * kS, 10 * kS, 2000}, // B: 105..115 s, 200 B/s
      {125 * kS, 0, 300},        // C: at 125 s
  };
}

SimOptions Opts(std::optional<uint64_t> cutoff, std::optional<int64_t> te) {
  SimOptions o;
  o.bin_ns = 10 * kS;
  o.cutoff = cutoff;
  o.retention_ns = te;
  return o;
}

std::vector<double> Volumes(const SimResult& r) {
  std::vector<double> v;
  for (const SimBin& b : r.bins) v.push_back(b.volume);
  return v;
}
std::vector<double> Storage(const SimResult& r) {
  std::vector<double> v;
  for (const SimBin& b : r.bins) v.push_back(b.storage);
  return v;
}

TEST(StorageSimTest, NoCutoffSpreadsOverLifetimeAndEvictsAfterTe) {
  auto r = SimulateStorage(ThreeConns(), Opts(std::nullopt, 20 * kS));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->bins.size(), 3u);  // [100,110) [110,120) [120,130)
  EXPECT_EQ(r->bins[0].start_ns, 100 * kS);
  EXPECT_EQ(r->bins[2].start_ns, 120 * kS);
  // B: 1000 bytes in [105,110), 1000 in [110,115).
  EXPECT_EQ(Volumes(*r), (std::vector<double>{1500, 1000, 300}));
  // Te = 2 bins: storage(i) = v(i-1) + v(i).
  EXPECT_EQ(Storage(*r), (std::vector<double>{1500, 2500, 1300}));
  EXPECT_EQ(r->peak_storage, 2500);
  EXPECT_EQ(r->peak_end_ns, 120 * kS);
  EXPECT_EQ(r->final_storage, 1300);
  EXPECT_EQ(r->total_bytes, 2800u);
  EXPECT_EQ(r->kept_bytes, 2800u);
  EXPECT_EQ(r->connections, 3u);
  EXPECT_EQ(r->connections_whole, 3u);
}

TEST(StorageSimTest, CutoffKeepsTheFirstBytesOfTheLifetime) {
  // cutoff 1000: B keeps 1000 of 2000 bytes, its first half: [105,110).
  auto r = SimulateStorage(ThreeConns(), Opts(1000, 20 * kS));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Volumes(*r), (std::vector<double>{1500, 0, 300}));
  EXPECT_EQ(Storage(*r), (std::vector<double>{1500, 1500, 300}));
  EXPECT_EQ(r->peak_storage, 1500);
  EXPECT_EQ(r->peak_end_ns, 110 * kS);  // first reached
  EXPECT_EQ(r->kept_bytes, 1800u);
  EXPECT_EQ(r->total_bytes, 2800u);
  EXPECT_EQ(r->connections_whole, 2u);
  // cutoff 500: A (500 <= 500) and C whole; B keeps [105,107.5).
  r = SimulateStorage(ThreeConns(), Opts(500, 20 * kS));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Volumes(*r), (std::vector<double>{1000, 0, 300}));
  EXPECT_EQ(r->connections_whole, 2u);
  EXPECT_EQ(r->kept_bytes, 1300u);
}

TEST(StorageSimTest, NoRetentionIsCumulative) {
  auto r = SimulateStorage(ThreeConns(), Opts(std::nullopt, std::nullopt));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Storage(*r), (std::vector<double>{1500, 2500, 2800}));
  EXPECT_EQ(r->final_storage, 2800);
}

TEST(StorageSimTest, LongConnectionSpansBinsFromAlignedOrigin) {
  // 3000 bytes over [95,125): 5 s, 10 s, 10 s, 5 s in the bins from 90 s.
  auto r = SimulateStorage({{95 * kS, 30 * kS, 3000}}, Opts(std::nullopt, 10 * kS));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->bins.size(), 4u);
  EXPECT_EQ(r->bins[0].start_ns, 90 * kS);
  EXPECT_EQ(Volumes(*r), (std::vector<double>{500, 1000, 1000, 500}));
  EXPECT_EQ(Storage(*r), Volumes(*r));  // Te = one bin
}

TEST(StorageSimTest, RejectsRetentionNotAMultipleOfTheBin) {
  EXPECT_FALSE(SimulateStorage(ThreeConns(), Opts(std::nullopt, 15 * kS)).ok());
  EXPECT_FALSE(SimulateStorage(ThreeConns(), Opts(std::nullopt, 0)).ok());
  auto r = SimulateStorage({}, Opts(std::nullopt, 20 * kS));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->bins.empty());
}

}  // namespace
}  // namespace trove
