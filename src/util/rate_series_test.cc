#include "util/rate_series.h"

#include <gtest/gtest.h>

namespace trove {
namespace {

RateSpan Seg(int64_t first, int64_t last, uint64_t packets, uint64_t bytes) {
  return RateSpan{first, last, packets, bytes};
}

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kYear = 365 * 86400 * kS;

uint64_t SumPackets(const RateSeries& s) {
  uint64_t n = 0;
  for (const auto& i : s.intervals) n += i.packets;
  return n;
}
uint64_t SumBytes(const RateSeries& s) {
  uint64_t n = 0;
  for (const auto& i : s.intervals) n += i.bytes;
  return n;
}

TEST(RateSeries, EmptyInputHasNoIntervals) {
  auto s = ComputeRateSeries({}, 0);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->width_ns, 0);
  EXPECT_TRUE(s->intervals.empty());
  EXPECT_TRUE(s->gaps.empty());
}

// The case: two traces 13 years apart. The old fixed 50 buckets over
// the whole span gave 48 zero rows; now the width comes from the 200 s the
// data covers (250 s / 50 = 5 s, already "nice").
TEST(RateSeries, TracesYearsApartGetAboutFiftyRowsAndOneGap) {
  const int64_t t2013 = 43 * kYear, t2026 = 56 * kYear;  // multiples of 5 s
  std::vector<RateSpan> v = {Seg(t2013, t2013 + 125 * kS - 1, 1000, 100000),
                                  Seg(t2026, t2026 + 125 * kS - 1, 3000, 900000)};
  auto s = ComputeRateSeries(v, 0);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->width_ns, 5 * kS);
  EXPECT_EQ(s->intervals.size(), 50u);  // 25 per trace
  ASSERT_EQ(s->gaps.size(), 1u);
  EXPECT_EQ(s->gaps[0].start_ns, t2013 + 125 * kS);
  EXPECT_EQ(s->gaps[0].end_ns, t2026);
  EXPECT_EQ(s->gaps[0].intervals, static_cast<uint64_t>((t2026 - t2013 - 125 * kS) / (5 * kS)));
  EXPECT_EQ(s->first_ns, t2013);
  EXPECT_EQ(s->last_ns, t2026 + 125 * kS - 1);
  // Spread evenly: 1000 packets over 25 intervals = 40 each, exactly.
  for (size_t i = 0; i < 25; ++i) EXPECT_EQ(s->intervals[i].packets, 40u) << i;
  for (size_t i = 25; i < 50; ++i) EXPECT_EQ(s->intervals[i].packets, 120u) << i;
  EXPECT_EQ(SumPackets(*s), 4000u);
  EXPECT_EQ(SumBytes(*s), 1000000u);
}

TEST(RateSeries, SharesAddUpExactlyWithUnevenSplits) {
  // 7 packets and 1001 bytes over 3 intervals of 1 s, starting mid-interval.
  std::vector<RateSpan> v = {Seg(kS / 3, 2 * kS + kS / 2, 7, 1001),
                                  Seg(5 * kS, 5 * kS, 1, 60)};  // one packet
  auto s = ComputeRateSeries(v, kS);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->intervals.size(), 4u);
  EXPECT_EQ(s->intervals[0].start_ns, 0);
  EXPECT_EQ(s->intervals[3].start_ns, 5 * kS);
  EXPECT_EQ(s->intervals[3].packets, 1u);
  EXPECT_EQ(s->intervals[3].bytes, 60u);
  ASSERT_EQ(s->gaps.size(), 1u);
  EXPECT_EQ(s->gaps[0].intervals, 2u);  // [3 s, 5 s)
  EXPECT_EQ(s->empty_intervals(), 2u);
  EXPECT_EQ(SumPackets(*s), 8u);
  EXPECT_EQ(SumBytes(*s), 1061u);
}

TEST(RateSeries, OverlappingSegmentsAddUp) {
  std::vector<RateSpan> v = {Seg(0, 10 * kS - 1, 100, 1000), Seg(0, 10 * kS - 1, 50, 500),
                                  Seg(3 * kS, 3 * kS, 0, 0)};  // empty segment ignored
  auto s = ComputeRateSeries(v, 2 * kS);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->intervals.size(), 5u);
  for (const auto& i : s->intervals) EXPECT_EQ(i.packets, 30u);
  EXPECT_TRUE(s->gaps.empty());
}

TEST(RateSeries, AutoWidthIsNiceAndAtLeastOneMillisecond) {
  auto s = ComputeRateSeries({Seg(0, 1000, 5, 500)}, 0);  // 1 µs of data
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->width_ns, 1'000'000);
  EXPECT_EQ(s->intervals.size(), 1u);
  s = ComputeRateSeries({Seg(0, 7 * kS, 5, 500)}, 0);  // 7 s / 50 = 140 ms -> 200 ms
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->width_ns, 200'000'000);
  EXPECT_EQ(s->intervals.size(), 36u);  // [0, 7 s] inclusive: 35 full + the last ns
}

TEST(RateSeries, RejectsNegativeWidthAndTooManyIntervals) {
  std::vector<RateSpan> v = {Seg(0, 10 * kS, 10, 100)};
  EXPECT_FALSE(ComputeRateSeries(v, -1).ok());
  auto s = ComputeRateSeries(v, 1000, /*max_intervals=*/100);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("over 100 intervals"), std::string::npos);
  // The limit counts only where the data is, not the years between.
  std::vector<RateSpan> far = {Seg(0, kS - 1, 10, 100), Seg(50 * kYear, 50 * kYear, 1, 1)};
  EXPECT_TRUE(ComputeRateSeries(far, kS / 100, 101).ok());
}

}  // namespace
}  // namespace trove
