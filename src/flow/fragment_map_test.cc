// FragmentMap: non-first fragments find the connection of their first
// fragment by (src, dst, IP id) within the timeout; otherwise the
// per-host-pair pseudo-connection.
#include "flow/fragment_map.h"

#include <gtest/gtest.h>

#include "flow/flow_test_util.h"

namespace trove {
namespace {

using namespace flow_test;

TEST(FlowFragmentMap, NonFirstFragmentFindsItsConnection) {
  Pkt first = Fragment(Udp(kA, 5353, kB, 53, 1000, kSec), 0x77, /*more=*/true, 0);
  Pkt second = Fragment(Udp(kA, 5353, kB, 53, 1000, kSec + 5), 0x77, false, 100);
  Pkt stranger = Fragment(Udp(kA, 5353, kB, 53, 1000, kSec + 6), 0x78, false, 100);
  ASSERT_TRUE(first.d.first_fragment);
  ASSERT_EQ(second.d.stop, DecodeStop::kFragment);
  FlowKey conn, f2, f3, got;
  ASSERT_TRUE(MakeFlowKey(first.ref, first.d, &conn));
  ASSERT_EQ(conn.kind, FlowKind::kTransport);
  EXPECT_EQ(conn.port_lo, 5353);  // 10.0.0.1 < 10.0.0.2
  EXPECT_EQ(conn.port_hi, 53);
  ASSERT_TRUE(MakeFlowKey(second.ref, second.d, &f2));
  ASSERT_TRUE(MakeFlowKey(stranger.ref, stranger.d, &f3));
  ASSERT_EQ(f2.kind, FlowKind::kFragment);

  FragmentMap m(64, 30 * kSec);
  EXPECT_FALSE(m.Lookup(f2, kSec + 5, &got));  // first fragment not seen yet
  m.RememberFirst(conn, first.d.frag_id, kSec);
  ASSERT_TRUE(m.Lookup(f2, kSec + 5, &got));
  EXPECT_TRUE(got == conn);
  EXPECT_FALSE(m.Lookup(f3, kSec + 6, &got));              // other IP id
  EXPECT_FALSE(m.Lookup(f2, kSec + 30 * kSec + 1, &got));  // too late

  // The fallback pseudo-connection is per host pair: every IP id shares it.
  const FlowKey hp2 = FragmentMap::HostPairKey(f2), hp3 = FragmentMap::HostPairKey(f3);
  EXPECT_TRUE(hp2 == hp3);
  EXPECT_EQ(hp2.kind, FlowKind::kFragment);
  EXPECT_EQ(hp2.frag_id, 0u);
  EXPECT_EQ(hp2.proto, 0);
}

}  // namespace
}  // namespace trove
