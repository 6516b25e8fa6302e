#include "anon/level_policy.h"

#include <gtest/gtest.h>

namespace trove::anon {
namespace {

TEST(LevelPolicy, Defaults) {
  const LevelPolicy raw = PolicyForLevel(PrivacyLevel::kRaw);
  EXPECT_TRUE(raw.is_identity());
  EXPECT_FALSE(raw.needs_mapper());

  const LevelPolicy l1 = PolicyForLevel(PrivacyLevel::kScrubbed);
  EXPECT_TRUE(l1.scrub_payload);
  EXPECT_EQ(l1.tcp_options, TcpOptions::kKeep);
  EXPECT_FALSE(l1.needs_mapper());
  EXPECT_FALSE(l1.is_identity());

  const LevelPolicy l2 = PolicyForLevel(PrivacyLevel::kScrambled);
  EXPECT_TRUE(l2.scrub_payload);
  EXPECT_EQ(l2.tcp_options, TcpOptions::kNormalize);
  EXPECT_TRUE(l2.scramble_addresses);
  EXPECT_TRUE(l2.scramble_macs);
}

TEST(LevelPolicy, Parse) {
  EXPECT_EQ(ParsePrivacyLevel("scrubbed").value(), PrivacyLevel::kScrubbed);
  EXPECT_EQ(ParsePrivacyLevel("L2").value(), PrivacyLevel::kScrambled);
  EXPECT_EQ(ParsePrivacyLevel("0").value(), PrivacyLevel::kRaw);
  auto bad = ParsePrivacyLevel("secret");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("scrubbed"), std::string::npos);
  EXPECT_EQ(ParseTcpOptions("normalize").value(), TcpOptions::kNormalize);
  EXPECT_FALSE(ParseTcpOptions("drop").ok());
  for (auto l : {PrivacyLevel::kRaw, PrivacyLevel::kScrubbed, PrivacyLevel::kScrambled})
    EXPECT_EQ(ParsePrivacyLevel(ToString(l)).value(), l);
  for (auto t : {TcpOptions::kKeep, TcpOptions::kNormalize, TcpOptions::kStrip})
    EXPECT_EQ(ParseTcpOptions(ToString(t)).value(), t);
  EXPECT_EQ(Describe(PolicyForLevel(PrivacyLevel::kScrambled)),
            "scrambled (payload cut, tcp options normalize, addresses scrambled, macs scrambled)");
}

}  // namespace
}  // namespace trove::anon
