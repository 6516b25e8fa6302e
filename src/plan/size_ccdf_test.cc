// Hand-computed CCDF points and quantiles (plan/size_ccdf.h).
#include "plan/size_ccdf.h"

#include <gtest/gtest.h>

namespace trove {
namespace {

TEST(SizeCcdfTest, OnePointPerDistinctSize) {
  SizeDistribution d({1000, 100, 0, 5000, 100});
  auto c = d.Ccdf();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].size, 0u);
  EXPECT_DOUBLE_EQ(c[0].p_greater, 0.8);
  EXPECT_EQ(c[1].size, 100u);
  EXPECT_DOUBLE_EQ(c[1].p_greater, 0.4);
  EXPECT_EQ(c[2].size, 1000u);
  EXPECT_DOUBLE_EQ(c[2].p_greater, 0.2);
  EXPECT_EQ(c[3].size, 5000u);
  EXPECT_DOUBLE_EQ(c[3].p_greater, 0.0);
  EXPECT_DOUBLE_EQ(d.FractionGreater(99), 0.8);  // 100, 100, 1000, 5000
  EXPECT_DOUBLE_EQ(d.FractionGreater(100), 0.4);
  EXPECT_DOUBLE_EQ(d.FractionGreater(20000), 0.0);
}

TEST(SizeCcdfTest, NearestRankQuantiles) {
  SizeDistribution d({1000, 100, 0, 5000, 100});
  EXPECT_EQ(d.Quantile(0.2), 0u);    // 1st of 5
  EXPECT_EQ(d.Quantile(0.5), 100u);  // ceil(2.5) = 3rd
  EXPECT_EQ(d.Quantile(0.8), 1000u); // 4th
  EXPECT_EQ(d.Quantile(0.9), 5000u); // ceil(4.5) = 5th
  EXPECT_EQ(d.Quantile(1.0), 5000u);
  SizeDistribution empty({});
  EXPECT_EQ(empty.Quantile(0.5), 0u);
  EXPECT_TRUE(empty.Ccdf().empty());
}

}  // namespace
}  // namespace trove
