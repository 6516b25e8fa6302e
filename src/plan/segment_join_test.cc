// plan/segment_join.h: hand-made rows of connections split across segments.
#include "plan/segment_join.h"

#include <gtest/gtest.h>

namespace trove {
namespace {

constexpr int64_t kS = 1000000000;

PlanConn Row(int64_t ts_s, int64_t dur_s, uint64_t bytes, const std::string& key,
             const std::string& seg) {
  return PlanConn{ts_s * kS, dur_s * kS, bytes, key, seg};
}

TEST(SegmentJoinTest, JoinsPiecesOfOneConnectionAcrossSegments) {
  const std::string k = ConnKey("tcp", "10.0.0.1", "1025", "10.0.0.2", "80");
  // Both directions give the same key.
  EXPECT_EQ(k, ConnKey("tcp", "10.0.0.2", "80", "10.0.0.1", "1025"));
  auto out = JoinSegmentRows({
      Row(100, 50, 1000, k, "s1"),   // 100..150 in s1
      Row(150, 30, 500, k, "s2"),    // continues in s2
      Row(120, 0, 7, ConnKey("udp", "a", "1", "b", "2"), "s1"),
      Row(1000, 1, 9, k, "s3"),      // 820 s after the end: a new connection
      Row(110, 0, 3, "", ""),        // Zeek row: untouched
  });
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].ts_ns, 100 * kS);
  EXPECT_EQ(out[0].duration_ns, 80 * kS);
  EXPECT_EQ(out[0].bytes, 1500u);
  EXPECT_EQ(out[1].bytes, 3u);
  EXPECT_EQ(out[2].bytes, 7u);
  EXPECT_EQ(out[3].ts_ns, 1000 * kS);
  EXPECT_EQ(out[3].bytes, 9u);
}

TEST(SegmentJoinTest, SameSegmentRowsAndUdpGap) {
  const std::string u = ConnKey("udp", "10.0.0.1", "53", "10.0.0.2", "53");
  auto out = JoinSegmentRows({
      Row(0, 10, 1, u, "s1"),
      Row(20, 0, 2, u, "s1"),   // same segment: two connections in the index
      Row(70, 0, 4, u, "s2"),   // 50 s after 20: within UDP's 60 s
      Row(200, 0, 8, u, "s3"),  // 130 s later: new
  });
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].bytes, 1u);
  EXPECT_EQ(out[1].bytes, 6u);
  EXPECT_EQ(out[1].duration_ns, 50 * kS);
  EXPECT_EQ(out[2].bytes, 8u);
}

}  // namespace
}  // namespace trove
