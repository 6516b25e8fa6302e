#include "query/traffic_series.h"

#include <gtest/gtest.h>

namespace trove {
namespace {

constexpr int64_t kS = 1'000'000'000;

SegmentRecord Seg(const std::string& path, int64_t first, int64_t last, uint64_t packets,
                  uint64_t wire) {
  SegmentRecord r;
  r.path = path;
  r.stats.first_ts_ns = first;
  r.stats.last_ts_ns = last;
  r.stats.packets = packets;
  r.stats.wire_bytes = wire;
  return r;
}

// Segments within two intervals need no index: none is read (the paths do
// not exist, and nothing is counted as unusable).
TEST(TrafficSeries, ShortSegmentsReadNoIndex) {
  std::vector<SegmentRecord> v;
  for (int i = 0; i < 100; ++i)
    v.push_back(Seg("/nonexistent/s" + std::to_string(i), i * 60 * kS, (i + 1) * 60 * kS - 1, 10,
                    1000));
  TrafficSeriesCounters c;
  auto s = ComputeTrafficSeries(v, 0, &c);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(c.segments_refined, 0u);
  EXPECT_EQ(c.indexes_unusable, 0u);
  uint64_t p = 0, b = 0;
  for (const auto& i : s->intervals) p += i.packets, b += i.bytes;
  EXPECT_EQ(p, 1000u);
  EXPECT_EQ(b, 100000u);
}

// A long segment whose index is missing keeps the even spread, exactly.
TEST(TrafficSeries, MissingIndexKeepsTheEvenSpread) {
  std::vector<SegmentRecord> v = {Seg("/nonexistent/long", 0, 100 * kS - 1, 1000, 7000)};
  TrafficSeriesCounters c;
  auto s = ComputeTrafficSeries(v, 10 * kS, &c);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(c.segments_refined, 0u);
  EXPECT_EQ(c.indexes_unusable, 1u);
  ASSERT_EQ(s->intervals.size(), 10u);
  for (const auto& i : s->intervals) {
    EXPECT_EQ(i.packets, 100u);
    EXPECT_EQ(i.bytes, 700u);
  }
  EXPECT_FALSE(ComputeTrafficSeries(v, -1).ok());
}

}  // namespace
}  // namespace trove
