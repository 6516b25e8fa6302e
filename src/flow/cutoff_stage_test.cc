// CutoffStage: the cutoff arithmetic to the byte on hand-built connections
// (every expected length below is computed by hand from the frame sizes),
// control packets past the cutoff, drop/headers/snaplen, class choice by
// precedence and by first packet, unmatched counting, fragments, and the
// decoded view of a shortened packet.
#include "flow/cutoff_stage.h"

#include <gtest/gtest.h>

#include "flow/flow_test_util.h"

namespace trove {
namespace {

using namespace flow_test;
using synth::kTcpAck;
using synth::kTcpFin;
using synth::kTcpPsh;
using synth::kTcpRst;
using synth::kTcpSyn;

// Runs the packets through the stage; returns the stored caplen of each
// (-1 = not stored).
std::vector<int> StoredLengths(CutoffStage& s, std::vector<Pkt>& pkts) {
  std::vector<int> out;
  for (auto& p : pkts) {
    PacketRef r = p.ref;
    DecodedPacket d = p.d;
    out.push_back(s.Process(&r, &d) ? static_cast<int>(r.caplen) : -1);
  }
  return out;
}

// Frames: 60 60 60 520 154 60 254 60 354 (54-byte headers + payload,
// padded to 60). Running totals: 60 120 180 700 854 914 1168 1228 1582.
std::vector<Pkt> Conversation() {
  int64_t t = 10 * kSec;
  return {Tcp(kA, 40000, kB, 80, kTcpSyn, 0, t),
          Tcp(kB, 80, kA, 40000, kTcpSyn | kTcpAck, 0, t + 1),
          Tcp(kA, 40000, kB, 80, kTcpAck, 0, t + 2),
          Tcp(kA, 40000, kB, 80, kTcpPsh | kTcpAck, 466, t + 3),
          Tcp(kB, 80, kA, 40000, kTcpPsh | kTcpAck, 100, t + 4),
          Tcp(kA, 40000, kB, 80, kTcpAck, 0, t + 5),
          Tcp(kA, 40000, kB, 80, kTcpFin | kTcpAck, 200, t + 6),
          Tcp(kB, 80, kA, 40000, kTcpRst, 0, t + 7),
          Tcp(kB, 80, kA, 40000, kTcpPsh | kTcpAck, 300, t + 8)};
}

TEST(FlowCutoff, FramesAreWhatTheTestAssumes) {
  std::vector<int> len;
  for (auto& p : Conversation()) len.push_back(static_cast<int>(p.ref.caplen));
  EXPECT_EQ(len, (std::vector<int>{60, 60, 60, 520, 154, 60, 254, 60, 354}));
}

TEST(FlowCutoff, TotalEqualToCutoffIsKeptOneByteMoreIsNot) {
  auto pkts = Conversation();
  CutoffStage s({Class("c", "", 0, 700)}, {});
  // 4th packet brings the total to exactly 700: kept. 5th (854): headers.
  // 6th is 60 bytes past the cutoff: "cut" to min(60, 64) = 60. FIN and RST
  // past the cutoff are kept whole; the last data packet is cut to 64.
  EXPECT_EQ(StoredLengths(s, pkts), (std::vector<int>{60, 60, 60, 520, 64, 60, 254, 60, 64}));
  const ClassCounters& c = s.counters()[0];
  EXPECT_EQ(c.packets_seen, 9u);
  EXPECT_EQ(c.bytes_seen, 1582u);
  EXPECT_EQ(c.packets_stored, 9u);
  EXPECT_EQ(c.bytes_stored, 1202u);
  EXPECT_EQ(c.packets_cut, 3u);
  EXPECT_EQ(c.bytes_cut, 90u + 0u + 290u);
  EXPECT_EQ(c.bytes_seen, c.bytes_stored + c.bytes_cut + c.bytes_snapped);
  EXPECT_EQ(c.connections, 1u);
  EXPECT_EQ(s.table().active_in_class(0), 1u);

  auto pkts2 = Conversation();
  CutoffStage s2({Class("c", "", 0, 699)}, {});
  EXPECT_EQ(StoredLengths(s2, pkts2), (std::vector<int>{60, 60, 60, 64, 64, 60, 254, 60, 64}));
}

// past_cutoff marks the stored packets whose connection total (including
// them) is over the cutoff: from the 5th packet on (854 > 700), the FIN and
// RST kept whole included; with a 699 cutoff from the 4th (700 > 699).
TEST(FlowCutoff, PastCutoffMarksEveryStoredPacketOverTheCutoff) {
  for (int64_t cutoff : {700, 699}) {
    auto pkts = Conversation();
    CutoffStage s({Class("c", "", 0, cutoff)}, {});
    std::vector<bool> past;
    for (auto& p : pkts) {
      PacketRef r = p.ref;
      DecodedPacket d = p.d;
      d.past_cutoff = !d.past_cutoff;  // the stage sets it either way
      ASSERT_TRUE(s.Process(&r, &d));
      past.push_back(d.past_cutoff);
    }
    const size_t first = cutoff == 700 ? 4 : 3;
    for (size_t i = 0; i < past.size(); ++i) EXPECT_EQ(past[i], i >= first) << cutoff << " " << i;
  }
  auto pkts = Conversation();
  CutoffStage none({Class("c", "", 0, -1)}, {});
  for (auto& p : pkts) {
    PacketRef r = p.ref;
    DecodedPacket d = p.d;
    ASSERT_TRUE(none.Process(&r, &d));
    EXPECT_FALSE(d.past_cutoff);
  }
}

TEST(FlowCutoff, ControlPacketsPastTheCutoffAreKeptEvenWithDrop) {
  auto pkts = Conversation();
  CutoffStage s({Class("c", "", 0, 100, AfterCutoff::kDrop)}, {});
  // Total after the SYN-ACK is 120 > 100: the ACK is dropped, SYNs, FIN
  // and RST are kept.
  EXPECT_EQ(StoredLengths(s, pkts), (std::vector<int>{60, 60, -1, -1, -1, -1, 254, 60, -1}));
  const ClassCounters& c = s.counters()[0];
  EXPECT_EQ(c.packets_dropped, 5u);
  EXPECT_EQ(c.packets_cut, 5u);
  EXPECT_EQ(c.bytes_stored, 434u);
  EXPECT_EQ(c.bytes_cut, 60u + 520 + 154 + 60 + 354);
}

TEST(FlowCutoff, NoCutoffKeepsEverythingAndSnaplenAppliesBeforeTheCutoff) {
  auto pkts = Conversation();
  CutoffStage none({Class("c", "", 0, -1)}, {});
  EXPECT_EQ(StoredLengths(none, pkts), (std::vector<int>{60, 60, 60, 520, 154, 60, 254, 60, 354}));
  CutoffStage snap({Class("c", "", 0, 700, AfterCutoff::kHeaders, 100)}, {});
  EXPECT_EQ(StoredLengths(snap, pkts), (std::vector<int>{60, 60, 60, 100, 64, 60, 100, 60, 64}));
  EXPECT_EQ(snap.counters()[0].bytes_snapped, 420u + 154u);
  CutoffStage tiny({Class("c", "", 0, 700, AfterCutoff::kHeaders, 40)}, {});
  EXPECT_EQ(StoredLengths(tiny, pkts), (std::vector<int>{40, 40, 40, 40, 40, 40, 40, 40, 40}));
}

TEST(FlowCutoff, SuspendedCutoffKeepsTheConnectionWhole) {
  auto pkts = Conversation();
  CutoffStage s({Class("c", "", 0, 100)}, {});
  PacketRef r = pkts[0].ref;
  DecodedPacket d = pkts[0].d;
  ASSERT_TRUE(s.Process(&r, &d));
  FlowKey k;
  ASSERT_TRUE(MakeFlowKey(pkts[0].ref, pkts[0].d, &k));
  Connection* c = s.mutable_table().Find(k);
  ASSERT_NE(c, nullptr);
  c->flags |= Connection::kCutoffSuspended;
  std::vector<Pkt> rest(pkts.begin() + 1, pkts.end());
  EXPECT_EQ(StoredLengths(s, rest), (std::vector<int>{60, 60, 520, 154, 60, 254, 60, 354}));
}

TEST(FlowCutoff, ShortenedPacketHasAMatchingDecodedView) {
  auto pkts = Conversation();
  CutoffStage s({Class("c", "", 0, 0)}, {});
  PacketRef r = pkts[4].ref;  // 154 bytes of data, past a 0-byte cutoff
  DecodedPacket d = pkts[4].d;
  ASSERT_TRUE(s.Process(&r, &d));
  ASSERT_EQ(r.caplen, 64u);
  DecodedPacket fresh;
  Decode(r, &fresh);
  EXPECT_EQ(d.payload_off, fresh.payload_off);
  EXPECT_EQ(d.payload_len, 10u);  // 64 - 54
  EXPECT_EQ(d.payload_len, fresh.payload_len);
  EXPECT_EQ(d.sport, fresh.sport);
  EXPECT_EQ(d.stop, fresh.stop);
  // A cut inside the headers (snaplen 40) decodes the prefix again.
  CutoffStage t({Class("c", "", 0, -1, AfterCutoff::kHeaders, 40)}, {});
  r = pkts[4].ref;
  d = pkts[4].d;
  ASSERT_TRUE(t.Process(&r, &d));
  Decode(r, &fresh);
  EXPECT_EQ(d.stop, DecodeStop::kTruncated);
  EXPECT_EQ(d.stop, fresh.stop);
  EXPECT_EQ(d.l4_off, fresh.l4_off);
  EXPECT_EQ(d.payload_len, 0u);
}

TEST(FlowCutoff, HighestPrecedenceWinsAndTheFirstPacketDecides) {
  // "low" is defined first with a lower precedence than "web".
  CutoffStage s({Class("low", "tcp", 1, 0), Class("web", "tcp port 80", 10, -1),
                 Class("big", "greater 300", 5, -1), Class("default", "", 0, 0)},
                {});
  std::vector<Pkt> pkts = {
      Tcp(kA, 40000, kB, 80, kTcpAck, 600, kSec),      // web (not big: web is higher)
      Tcp(kA, 40001, kB, 22, kTcpAck, 10, kSec),       // low
      Tcp(kA, 40001, kB, 22, kTcpAck, 600, kSec + 1),  // same connection: stays low
      Udp(kA, 5000, kB, 53, 10, kSec),                 // default
      Udp(kA, 5001, kB, 53, 600, kSec),                // big
  };
  // The 60-byte UDP frame past a 0-byte cutoff keeps min(60, 64) = 60.
  EXPECT_EQ(StoredLengths(s, pkts), (std::vector<int>{654, 64, 64, 60, 642}));
  EXPECT_EQ(s.counters()[0].packets_seen, 2u);  // low
  EXPECT_EQ(s.counters()[1].packets_seen, 1u);  // web
  EXPECT_EQ(s.counters()[2].packets_seen, 1u);  // big
  EXPECT_EQ(s.counters()[3].packets_seen, 1u);  // default
  EXPECT_EQ(s.counters()[0].connections, 1u);
}

TEST(FlowCutoff, UnmatchedPacketsAreCountedNotStored) {
  CutoffStage s({Class("tcp", "tcp", 0, -1)}, {});
  std::vector<Pkt> pkts = {Udp(kA, 5000, kB, 53, 10, kSec), Tcp(kA, 1, kB, 2, kTcpSyn, 0, kSec)};
  EXPECT_EQ(StoredLengths(s, pkts), (std::vector<int>{-1, 60}));
  EXPECT_EQ(s.unmatched().packets_seen, 1u);
  EXPECT_EQ(s.unmatched().bytes_seen, 60u);
  EXPECT_EQ(s.table().active_in_class(kNoClass), 1u);
}

TEST(FlowCutoff, NonIpPacketsAreClassifiedOneByOneAndNeverCut) {
  std::vector<uint8_t> arp(60, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  Pkt a = Finish(arp, arp.size(), kSec);
  CutoffStage s({Class("c", "", 0, 0)}, {});
  PacketRef r = a.ref;
  DecodedPacket d = a.d;
  EXPECT_TRUE(s.Process(&r, &d));
  EXPECT_EQ(r.caplen, 60u);
  EXPECT_EQ(s.table().size(), 0u);
  CutoffStage ip_only({Class("c", "ip", 0, -1)}, {});
  r = a.ref;
  EXPECT_FALSE(ip_only.Process(&r, &d));
}

TEST(FlowCutoff, FragmentsCountAgainstTheirConnection) {
  // A 1000-byte UDP datagram in two fragments of 1042 bytes each, and a
  // fragment of another datagram whose first fragment was never seen.
  Pkt f1 = Fragment(Udp(kA, 5000, kB, 53, 1000, kSec), 0x99, true, 0);
  Pkt f2 = Fragment(Udp(kA, 5000, kB, 53, 1000, kSec + 1), 0x99, false, 126);
  Pkt orphan = Fragment(Udp(kA, 5000, kB, 53, 1000, kSec + 2), 0x55, false, 126);
  ASSERT_EQ(f1.ref.caplen, 1042u);
  std::vector<Pkt> pkts = {f1, f2, orphan};
  CutoffStage s({Class("c", "", 0, 1500)}, {});
  // f2 brings its connection to 2084 > 1500: headers. The orphan starts the
  // host-pair pseudo-connection at 1042 <= 1500: whole.
  EXPECT_EQ(StoredLengths(s, pkts), (std::vector<int>{1042, 64, 1042}));
  EXPECT_EQ(s.table().size(), 2u);
  EXPECT_EQ(s.counters()[0].connections, 2u);
}

// The writer routes each stored packet by last_class(): the class of the
// packet's connection, decided by its first packet, also for later packets
// that match another class's filter.
TEST(FlowCutoff, LastClassIsTheConnectionsClass) {
  CutoffStage s({Class("default", "", 0, -1), Class("dns", "udp port 53", 10, -1)}, {});
  auto run = [&](Pkt p) {
    EXPECT_TRUE(s.Process(&p.ref, &p.d));
    return s.last_class();
  };
  EXPECT_EQ(run(Udp(kA, 4000, kB, 53, 30, 1)), 1);
  EXPECT_EQ(run(Tcp(kA, 4001, kB, 80, synth::kTcpSyn, 0, 2)), 0);
  EXPECT_EQ(run(Udp(kB, 53, kA, 4000, 90, 3)), 1);  // the reply: same connection
  // A packet of no class is not stored and has no class.
  CutoffStage only_dns({Class("dns", "udp port 53", 0, -1)}, {});
  Pkt web = Tcp(kA, 4001, kB, 80, synth::kTcpSyn, 0, 4);
  EXPECT_FALSE(only_dns.Process(&web.ref, &web.d));
  EXPECT_EQ(only_dns.last_class(), kNoClass);
}

}  // namespace
}  // namespace trove

namespace trove {
namespace {

// An older conversation after a newer one is cut exactly as if it came
// alone (the epoch of connection_table.h); before, each of its packets
// started a connection of its own and nothing was cut.
TEST(FlowCutoff, OlderTraceAfterANewerOneIsCutTheSame) {
  std::vector<Pkt> newer = Conversation();
  for (auto& p : newer) p.ref.ts_ns += 100'000 * kSec;
  auto older = Conversation();
  CutoffStage s({Class("c", "", 0, 700)}, {});
  StoredLengths(s, newer);
  EXPECT_EQ(StoredLengths(s, older), (std::vector<int>{60, 60, 60, 520, 64, 60, 254, 60, 64}));
  EXPECT_EQ(s.table().counters().time_steps, 1u);
  EXPECT_EQ(s.counters()[0].connections, 2u);
  EXPECT_EQ(s.counters()[0].packets_cut, 6u);
}

// At the epoch the first fragments are forgotten and a dynamic class keeps
// the packet time it had left (60 s from 1000 s: after the step to 10 s it
// runs to 70 s).
TEST(FlowCutoff, EpochForgetsFragmentsAndShiftsDynamicClasses) {
  CutoffStage s({Class("c", "", 0, 1500), Class("alarm", "", -1, -1)}, {});
  auto run = [&](Pkt p) {
    PacketRef r = p.ref;
    DecodedPacket d = p.d;
    EXPECT_TRUE(s.Process(&r, &d));
    return s.last_class();
  };
  Pkt f1 = Fragment(Udp(kA, 5000, kB, 53, 1000, 1000 * kSec), 0x99, true, 0);
  EXPECT_EQ(run(f1), 0);
  const uint8_t addr[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};  // kA
  s.AddDynamicClass(addr, 1, 60 * kSec);
  EXPECT_EQ(run(Udp(kA, 6000, kB, 53, 10, 10 * kSec)), 1);  // the step; alarm until 70 s
  EXPECT_EQ(s.table().counters().time_steps, 1u);
  EXPECT_EQ(run(Udp(kA, 6001, kB, 53, 10, 69 * kSec)), 1);
  EXPECT_EQ(run(Udp(kA, 6002, kB, 53, 10, 71 * kSec)), 0);  // unshifted it would run to 1060 s
  // Forward again to f1's time: its second fragment is not attributed to
  // f1's connection (forgotten) but to the host pair.
  Pkt f2 = Fragment(Udp(kA, 5000, kB, 53, 1000, 1000 * kSec + 1), 0x99, false, 126);
  run(f2);
  FlowKey port_key;
  bool hi;
  ASSERT_TRUE(MakeFlowKey(f1.ref, f1.d, &port_key, &hi));
  EXPECT_NE(s.mutable_table().Find(FragmentMap::HostPairKey(port_key)), nullptr);
  EXPECT_EQ(s.mutable_table().Find(port_key), nullptr);
}

}  // namespace
}  // namespace trove
