// ConnectionTable: keys join both directions, timeouts in packet time per
// protocol, bounded memory with the documented eviction order, and index
// consistency under churn (backward-shift deletion).
#include "flow/connection_table.h"

#include <gtest/gtest.h>

#include <random>

#include "flow/flow_test_util.h"

namespace trove {
namespace {

using namespace flow_test;

FlowKey KeyOf(const Pkt& p, bool* hi) {
  FlowKey k;
  EXPECT_TRUE(MakeFlowKey(p.ref, p.d, &k, hi));
  return k;
}

// A distinct UDP key per i (10.x.y.z:i%60000 -> 192.0.2.1:53).
FlowKey UdpKey(uint32_t i, uint8_t proto = 17) {
  FlowKey k;
  k.addr_lo[10] = k.addr_lo[11] = 0xff;
  k.addr_lo[12] = 10;
  k.addr_lo[13] = static_cast<uint8_t>(i >> 16);
  k.addr_lo[14] = static_cast<uint8_t>(i >> 8);
  k.addr_lo[15] = static_cast<uint8_t>(i);
  k.addr_hi[10] = k.addr_hi[11] = 0xff;
  k.addr_hi[12] = 192;
  k.addr_hi[15] = 1;
  k.port_lo = static_cast<uint16_t>(1024 + i % 60000);
  k.port_hi = 53;
  k.proto = proto;
  k.ip_version = 4;
  return k;
}

TEST(FlowConnectionTable, BothDirectionsAreOneConnection) {
  ConnectionTable t({});
  bool hi1, hi2, created;
  Pkt a = Tcp(kA, 40000, kB, 80, synth::kTcpSyn, 0, 1 * kSec);
  Pkt b = Tcp(kB, 80, kA, 40000, synth::kTcpSyn | synth::kTcpAck, 0, 1 * kSec + 10);
  FlowKey ka = KeyOf(a, &hi1), kb = KeyOf(b, &hi2);
  Connection* c1 = t.Touch(ka, hi1, a.ref.ts_ns, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(c1->tier, ConnTier::kOnePacket);
  Connection* c2 = t.Touch(kb, hi2, b.ref.ts_ns, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(c1, c2);
  EXPECT_EQ(c2->packets, 2u);
  EXPECT_EQ(c2->tier, ConnTier::kTwoSided);
  EXPECT_EQ(c2->first_ts_ns, 1 * kSec);
  EXPECT_EQ(c2->last_ts_ns, 1 * kSec + 10);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(ConnectionTable::GroupOf(ka), ProtoGroup::kTcp);
}

TEST(FlowConnectionTable, VlanTagDoesNotChangeTheKey) {
  ConnectionTable t({});
  bool hi, created;
  Pkt a = Tcp(kA, 40000, kB, 80, synth::kTcpAck, 10, kSec);
  Pkt b = Vlan(Tcp(kB, 80, kA, 40000, synth::kTcpAck, 10, kSec + 1), 42);
  ASSERT_EQ(b.d.vlan_depth, 1);
  const FlowKey key_a = KeyOf(a, &hi);
  Connection* c1 = t.Touch(key_a, hi, kSec, &created);
  const FlowKey key_b = KeyOf(b, &hi);
  Connection* c2 = t.Touch(key_b, hi, kSec + 1, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(c1, c2);
}

TEST(FlowConnectionTable, IcmpKeyedByTypeCodeAndId) {
  ConnectionTable t({});
  bool hi, created;
  Pkt req = Echo(kA, kB, false, 7, 56, kSec);
  Pkt rep = Echo(kB, kA, true, 7, 56, kSec + 1);
  Pkt other = Echo(kA, kB, false, 8, 56, kSec + 2);
  const FlowKey key_req = KeyOf(req, &hi);
  Connection* c1 = t.Touch(key_req, hi, kSec, &created);
  EXPECT_EQ(ConnectionTable::GroupOf(c1->key), ProtoGroup::kIcmp);
  const FlowKey key_rep = KeyOf(rep, &hi);
  Connection* c2 = t.Touch(key_rep, hi, kSec + 1, &created);
  EXPECT_EQ(c1, c2);
  {
    const FlowKey k = KeyOf(other, &hi);
    t.Touch(k, hi, kSec + 2, &created);
  }
  EXPECT_TRUE(created);
  EXPECT_EQ(t.size(), 2u);
}

TEST(FlowConnectionTable, TimeoutIsPacketTimePerProtocol) {
  ConnectionTableOptions o;
  o.timeout_ns = {10 * kSec, 2 * kSec, 3 * kSec, 4 * kSec};
  ConnectionTable t(o);
  bool created;
  const FlowKey udp = UdpKey(1), tcp = UdpKey(2, 6);
  t.Touch(udp, false, 100 * kSec, &created);
  t.Touch(tcp, false, 100 * kSec, &created);
  // Exactly the timeout later: the same connection (timeout means "more than").
  t.Touch(udp, false, 102 * kSec, &created);
  EXPECT_FALSE(created);
  // One ns more than the timeout after the last packet: a new UDP connection.
  t.Touch(udp, true, 104 * kSec + 1, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(t.counters().expired, 1u);
  // TCP (10 s) is still alive 4 s later.
  Connection* c = t.Touch(tcp, true, 104 * kSec + 2, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(c->packets, 2u);
  // A packet older by at most the largest timeout (10 s) does not move the
  // clock back (older by more starts an epoch: tests below).
  t.Touch(UdpKey(3), false, 95 * kSec, &created);
  EXPECT_EQ(t.now_ns(), 104 * kSec + 2);
  EXPECT_EQ(t.counters().time_steps, 0u);
}

TEST(FlowConnectionTable, SweepExpiresIdleAndKeepsOthersFindable) {
  ConnectionTableOptions o;
  o.max_connections = 1000;
  o.timeout_ns = {60 * kSec, 60 * kSec, 60 * kSec, 60 * kSec};
  ConnectionTable t(o);
  bool created;
  for (uint32_t i = 0; i < 500; ++i) t.Touch(UdpKey(i), false, 0, &created);
  for (uint32_t i = 500; i < 1000; ++i) t.Touch(UdpKey(i), false, 30 * kSec, &created);
  ASSERT_EQ(t.size(), 1000u);
  t.Touch(UdpKey(5000), false, 61 * kSec, &created);  // sweeps the first 500
  EXPECT_EQ(t.size(), 501u);
  EXPECT_EQ(t.counters().expired, 500u);
  EXPECT_EQ(t.counters().evicted_early, 0u);
  for (uint32_t i = 0; i < 500; ++i) EXPECT_EQ(t.Find(UdpKey(i)), nullptr) << i;
  for (uint32_t i = 500; i < 1000; ++i) ASSERT_NE(t.Find(UdpKey(i)), nullptr) << i;
}

TEST(FlowConnectionTable, ChurnMatchesAReferenceSet) {
  // Random touches over a small universe in a table that never fills:
  // every key touched within the timeout must be found, every other not.
  ConnectionTableOptions o;
  o.max_connections = 4096;
  o.timeout_ns = {kSec, kSec, kSec, kSec};
  ConnectionTable t(o);
  std::mt19937 rng(7);
  std::vector<int64_t> last(3000, INT64_MIN);
  int64_t now = 0;
  bool created;
  for (int step = 0; step < 200000; ++step) {
    now += rng() % 2000;  // up to 2 µs per packet
    const uint32_t i = rng() % 3000;
    t.Touch(UdpKey(i), false, now, &created);
    EXPECT_EQ(created, last[i] == INT64_MIN || now - last[i] > kSec) << step;
    last[i] = now;
    if (step % 20000 == 0) {
      for (uint32_t j = 0; j < 3000; ++j)
        ASSERT_EQ(t.Find(UdpKey(j)) != nullptr, last[j] != INT64_MIN && now - last[j] <= kSec);
    }
  }
}

TEST(FlowConnectionTable, FloodOfOneSidedConnectionsStaysBounded) {
  ConnectionTableOptions o;
  o.max_connections = 10000;
  ConnectionTable t(o);
  bool created;
  // 100 two-sided connections that stay active during the flood.
  std::vector<FlowKey> keep;
  for (uint32_t i = 0; i < 100; ++i) {
    keep.push_back(UdpKey(2'000'000 + i, 6));
    t.Touch(keep.back(), false, 0, &created);
    t.Touch(keep.back(), true, 1, &created);
  }
  const size_t max_mem = t.MaxMemoryBytes();
  EXPECT_LE(max_mem, 10000u * sizeof(Connection) + 32768u * 8);
  const uint32_t kFlood = 1'200'000;  // one SYN each, all within 1.2 s
  for (uint32_t i = 0; i < kFlood; ++i) {
    t.Touch(UdpKey(i, 6), false, 2 + i * 1000, &created);
    ASSERT_TRUE(created);
    if (i % 100000 == 0)
      for (const auto& k : keep) t.Touch(k, false, 2 + i * 1000, &created);
    ASSERT_LE(t.size(), 10000u);
    if (i % 65536 == 0) {
      ASSERT_LE(t.MemoryBytes(), max_mem);
    }
  }
  EXPECT_EQ(t.size(), 10000u);
  EXPECT_EQ(t.MemoryBytes(), max_mem);  // grown to its bound, not beyond
  EXPECT_EQ(t.counters().created, 200u / 2 + kFlood);
  EXPECT_EQ(t.counters().evicted_early, 100u + kFlood - 10000u);
  EXPECT_EQ(t.counters().evicted_early_by_tier[0], 100u + kFlood - 10000u);
  EXPECT_EQ(t.counters().evicted_early_by_tier[2], 0u);
  for (const auto& k : keep) EXPECT_NE(t.Find(k), nullptr);
  // The survivors of the flood are its newest connections.
  for (uint32_t i = kFlood - 9900; i < kFlood; ++i) ASSERT_NE(t.Find(UdpKey(i, 6)), nullptr);
  EXPECT_EQ(t.Find(UdpKey(kFlood - 9901, 6)), nullptr);
}

TEST(FlowConnectionTable, EvictionOrderOnePacketThenOneSidedThenTwoSided) {
  ConnectionTableOptions o;
  o.max_connections = 6;
  ConnectionTable t(o);
  bool created;
  // Two of each tier, the two-sided and one-sided ones created first.
  for (uint32_t i = 0; i < 2; ++i) {
    t.Touch(UdpKey(i), false, 1, &created);
    t.Touch(UdpKey(i), true, 2, &created);
  }
  for (uint32_t i = 2; i < 4; ++i) {
    t.Touch(UdpKey(i), false, 3, &created);
    t.Touch(UdpKey(i), false, 4, &created);
  }
  for (uint32_t i = 4; i < 6; ++i) t.Touch(UdpKey(i), false, 5, &created);
  auto present = [&](uint32_t i) { return t.Find(UdpKey(i)) != nullptr; };
  t.Touch(UdpKey(10), false, 6, &created);  // evicts one-packet 4
  EXPECT_FALSE(present(4));
  EXPECT_TRUE(present(5));
  t.Touch(UdpKey(11), false, 7, &created);  // evicts one-packet 5
  EXPECT_FALSE(present(5));
  t.Touch(UdpKey(10), false, 8, &created);  // 10 and 11 become one-sided...
  t.Touch(UdpKey(11), false, 8, &created);
  t.Touch(UdpKey(12), false, 9, &created);  // ...so one-sided 2 goes
  EXPECT_FALSE(present(2));
  EXPECT_TRUE(present(0) && present(1) && present(3));
  EXPECT_EQ(t.counters().evicted_early_by_tier[0], 2u);
  EXPECT_EQ(t.counters().evicted_early_by_tier[1], 1u);
  EXPECT_EQ(t.counters().evicted_early_by_tier[2], 0u);
}

TEST(FlowConnectionTable, PerClassCounts) {
  ConnectionTableOptions o;
  o.max_connections = 2;
  ConnectionTable t(o);
  bool created;
  t.SetClass(t.Touch(UdpKey(1), false, 1, &created), 3);
  t.SetClass(t.Touch(UdpKey(2), false, 2, &created), 3);
  EXPECT_EQ(t.active_in_class(3), 2u);
  t.SetClass(t.Touch(UdpKey(3), false, 3, &created), 4);
  EXPECT_EQ(t.active_in_class(3), 1u);
  EXPECT_EQ(t.active_in_class(4), 1u);
  EXPECT_EQ(t.evicted_early_in_class(3), 1u);
}

}  // namespace
}  // namespace trove

namespace trove {
namespace {

// Time stepping back (connection_table.h): by more than the largest
// timeout (TCP, 300 s by default) a new epoch; by less, a reordering.
TEST(FlowConnectionTable, StepBackLargerThanTheTimeoutStartsAnEpoch) {
  ConnectionTable t({});
  ASSERT_EQ(t.max_timeout_ns(), 300 * kSec);
  bool created;
  t.Touch(UdpKey(1, 6), false, 1000 * kSec, &created);
  t.Touch(UdpKey(2, 6), false, 1000 * kSec, &created);
  ASSERT_EQ(t.size(), 2u);
  // 301 s back: both open connections end as timed out, the clock restarts.
  Connection* c = t.Touch(UdpKey(1, 6), true, 699 * kSec, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(t.counters().time_steps, 1u);
  EXPECT_EQ(t.counters().expired, 2u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.now_ns(), 699 * kSec);
  // The old trace's connection goes on in its own time, as if alone.
  Connection* c2 = t.Touch(UdpKey(1, 6), false, 700 * kSec, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(c, c2);
  EXPECT_EQ(c2->packets, 2u);
  // Forward again: no step.
  t.Touch(UdpKey(1, 6), false, 1500 * kSec, &created);
  EXPECT_EQ(t.counters().time_steps, 1u);
}

TEST(FlowConnectionTable, SmallReorderingKeepsTheClock) {
  ConnectionTable t({});
  bool created;
  t.Touch(UdpKey(1, 6), false, 1000 * kSec, &created);
  Connection* c = t.Touch(UdpKey(1, 6), true, 700 * kSec, &created);  // exactly 300 s back
  EXPECT_FALSE(created);
  EXPECT_EQ(c->last_ts_ns, 1000 * kSec);
  EXPECT_EQ(t.now_ns(), 1000 * kSec);
  EXPECT_TRUE(t.AdvanceClock(700 * kSec - 1));  // one ns more is a step
  EXPECT_EQ(t.last_epoch_ended(), 1u);
  EXPECT_EQ(t.counters().time_steps, 1u);
  EXPECT_EQ(t.counters().expired, 1u);
}

}  // namespace
}  // namespace trove
