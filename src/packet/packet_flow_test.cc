// ComputeFlow() / FlowOf(): the one flow key + hash per packet equals what
// MakeFlowKey() and FlowKey::Hash() give, cached or not, and Decode()
// resets the cache.

#include "packet/packet_flow.h"

#include <gtest/gtest.h>

#include "packet/decoder.h"
#include "packet/packet_test_util.h"

namespace trove {
namespace {

using testing_util::Bytes;
using testing_util::Cat;
using testing_util::Eth;
using testing_util::Ipv4;
using testing_util::Tcp;

PacketRef RefOf(const Bytes& b) {
  return PacketRef{0, static_cast<uint32_t>(b.size()), static_cast<uint32_t>(b.size()),
                   kLinkEthernet, b.data()};
}

TEST(PacketFlowTest, CachedAndComputedFlowsAgreeWithMakeFlowKey) {
  const Bytes b = Cat({Eth(0x0800), Ipv4(6, 40, 1, 0x4000, 64, 0xc0a80102, 0x0a000001),
                       Tcp(443, 40000, 0x10)});
  const PacketRef p = RefOf(b);
  DecodedPacket d;
  Decode(p, &d);
  EXPECT_EQ(d.flow.state, FlowState::kUnknown);
  FlowKey k;
  bool hi = false;
  ASSERT_TRUE(MakeFlowKey(p, d, &k, &hi));

  FlowRef scratch;
  const FlowRef* lazy = FlowOf(p, d, &scratch);
  ASSERT_EQ(lazy, &scratch);
  EXPECT_TRUE(lazy->key == k);
  EXPECT_EQ(lazy->hash, k.Hash());
  EXPECT_EQ(lazy->src_is_hi, hi);

  ComputeFlow(p, &d);
  ASSERT_EQ(d.flow.state, FlowState::kValid);
  FlowRef unused;
  const FlowRef* cached = FlowOf(p, d, &unused);
  ASSERT_EQ(cached, &d.flow);
  EXPECT_TRUE(cached->key == k);
  EXPECT_EQ(cached->hash, k.Hash());
  EXPECT_EQ(cached->src_is_hi, hi);

  Decode(p, &d);
  EXPECT_EQ(d.flow.state, FlowState::kUnknown) << "Decode() resets the cache";
}

TEST(PacketFlowTest, NonIpHasNoFlow) {
  const Bytes b = Cat({Eth(0x0806), Bytes(28, 0)});  // ARP
  const PacketRef p = RefOf(b);
  DecodedPacket d;
  Decode(p, &d);
  FlowRef scratch;
  EXPECT_EQ(FlowOf(p, d, &scratch), nullptr);
  ComputeFlow(p, &d);
  EXPECT_EQ(d.flow.state, FlowState::kNone);
  EXPECT_EQ(FlowOf(p, d, &scratch), nullptr);
}

}  // namespace
}  // namespace trove
