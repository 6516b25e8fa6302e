// SegmentIndexBuilder's postings against an oracle computed independently
// from its own connection records: every address (port) of every IP record,
// each record listed once, lists ascending, keys in (version, address) and
// port order.

#include "index/index_builder.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <map>
#include <set>

#include "index/index_test_util.h"

namespace trove {
namespace {

using AddrKey = std::pair<uint8_t, std::array<uint8_t, 16>>;

TEST(SegmentIndexBuilder, PostingsMatchTheRecords) {
  const auto seg = testing_util::MakeSynthSegment(30000, 11);
  const SegmentIndex& ix = seg.index;
  std::map<AddrKey, std::set<uint32_t>> want_addr;
  std::map<uint16_t, std::set<uint32_t>> want_port;
  for (uint32_t i = 0; i < ix.conns.size(); ++i) {
    const ConnRecord& c = ix.conns[i];
    if (c.has(ConnRecord::kNonIp)) continue;
    for (const uint8_t* a : {c.key.addr_lo, c.key.addr_hi}) {
      AddrKey k{c.key.ip_version, {}};
      std::copy(a, a + 16, k.second.begin());
      want_addr[k].insert(i);
    }
    if (c.key.kind == FlowKind::kTransport && (c.key.proto == 6 || c.key.proto == 17)) {
      want_port[c.key.port_lo].insert(i);
      want_port[c.key.port_hi].insert(i);
    }
  }
  std::set<uint8_t> versions;
  for (const auto& [k, v] : want_addr) versions.insert(k.first);
  ASSERT_EQ(versions, (std::set<uint8_t>{4, 6}))
      << "the synthetic segment should mix IPv4 and IPv6";
  ASSERT_GT(want_port.size(), 100u);

  ASSERT_EQ(ix.addresses.size(), want_addr.size());
  auto a = ix.addresses.begin();
  for (const auto& [k, conns] : want_addr) {  // std::map order: (version, memcmp of the bytes)
    EXPECT_EQ(a->ip_version, k.first);
    EXPECT_TRUE(std::equal(k.second.begin(), k.second.end(), a->addr));
    EXPECT_EQ(a->conns, std::vector<uint32_t>(conns.begin(), conns.end()));
    ++a;
  }
  ASSERT_EQ(ix.ports.size(), want_port.size());
  auto p = ix.ports.begin();
  for (const auto& [port, conns] : want_port) {
    EXPECT_EQ(p->port, port);
    EXPECT_EQ(p->conns, std::vector<uint32_t>(conns.begin(), conns.end()));
    ++p;
  }
}

}  // namespace
}  // namespace trove

namespace trove {
namespace {

// Ethernet + IPv4 (total length 86) + UDP 1000 -> 53, 100 bytes on the
// wire; `from_b` swaps the addresses and ports.
std::vector<uint8_t> Udp4Frame(bool from_b) {
  std::vector<uint8_t> f(100, 0);
  f[12] = 0x08;  // IPv4
  f[14] = 0x45;
  f[16] = 0;
  f[17] = 86;  // total length: 20 + 8 + 58
  f[22] = 64;
  f[23] = 17;
  const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
  std::memcpy(&f[26], from_b ? b : a, 4);
  std::memcpy(&f[30], from_b ? a : b, 4);
  const uint16_t sp = from_b ? 53 : 1000, dp = from_b ? 1000 : 53;
  f[34] = sp >> 8, f[35] = sp & 0xff, f[36] = dp >> 8, f[37] = dp & 0xff;
  f[38] = 0, f[39] = 66;  // UDP length
  return f;
}

// Ethernet + IPv6 (payload length 20) + UDP, 74 bytes on the wire.
std::vector<uint8_t> Udp6Frame() {
  std::vector<uint8_t> f(74, 0);
  f[12] = 0x86, f[13] = 0xdd;
  f[14] = 0x60;
  f[18] = 0, f[19] = 20;  // payload length
  f[20] = 17, f[21] = 64;
  f[22 + 15] = 1, f[38 + 15] = 2;  // ::1 -> ::2
  f[54] = 0x04, f[55] = 0x00, f[56] = 0, f[57] = 53, f[59] = 20;
  return f;
}

struct Pkt {
  std::vector<uint8_t> bytes;
  PacketRef p;
  DecodedPacket d;
  Pkt(std::vector<uint8_t> b, int64_t ts, uint32_t caplen = 0) : bytes(std::move(b)) {
    p.ts_ns = ts;
    p.wirelen = static_cast<uint32_t>(bytes.size());
    p.caplen = caplen ? caplen : p.wirelen;
    p.linktype = 1;
    p.data = bytes.data();
    Decode(p, &d);
  }
};

// Wire counts (hand-computed from the frames above) include packets
// stored shortened and packets not stored at all; stored counts do not.
TEST(SegmentIndexBuilder, WireCountsIncludeShortenedAndDroppedPackets) {
  SegmentIndexBuilder b("s", 1);
  Pkt whole(Udp4Frame(false), 100), cut(Udp4Frame(true), 200, 64), dropped(Udp4Frame(true), 300),
      v6(Udp6Frame(), 150);
  b.Add(whole.p, whole.d, 64);
  b.Add(cut.p, cut.d, 200);
  b.AddNotStored(dropped.p, dropped.d);
  b.AddNotStored(v6.p, v6.d);  // a record with no stored packet
  const SegmentIndex ix = b.Snapshot(400);
  ASSERT_EQ(ix.conns.size(), 2u);
  const ConnRecord& r = ix.conns[0];
  const int o = r.has(ConnRecord::kOrigIsHi) ? 1 : 0, p = 1 - o;
  EXPECT_EQ(r.packets[o], 1u);
  EXPECT_EQ(r.packets[p], 1u);
  EXPECT_EQ(r.bytes[o], 100u);
  EXPECT_EQ(r.bytes[p], 64u);
  EXPECT_EQ(r.wire_packets[o], 1u);
  EXPECT_EQ(r.wire_packets[p], 2u);
  EXPECT_EQ(r.wire_bytes[o], 100u);
  EXPECT_EQ(r.wire_bytes[p], 200u);
  EXPECT_EQ(r.ip_bytes[o], 86u);
  EXPECT_EQ(r.ip_bytes[p], 172u);
  EXPECT_EQ(r.first_ts_ns, 100);
  EXPECT_EQ(r.last_ts_ns, 300);  // the dropped packet is part of the connection
  const ConnRecord& r6 = ix.conns[1];
  EXPECT_EQ(r6.total_packets(), 0u);
  EXPECT_TRUE(r6.offsets.empty());
  EXPECT_EQ(r6.wire_packets[0] + r6.wire_packets[1], 1u);
  EXPECT_EQ(r6.wire_bytes[0] + r6.wire_bytes[1], 74u);
  EXPECT_EQ(r6.ip_bytes[0] + r6.ip_bytes[1], 60u);  // payload length + 40
  EXPECT_EQ(ix.packets, 2u);                         // stored packets only
  EXPECT_EQ(ix.first_ts_ns, 100);
  EXPECT_EQ(ix.last_ts_ns, 200);
}

// The IP length field, not the frame: a frame padded past the IP packet
// (Ethernet minimum size) counts the IP length; an IP header not captured
// whole is no IP layer (0).
TEST(SegmentIndexBuilder, IpBytesAreTheIpLengthField) {
  std::vector<uint8_t> f = Udp4Frame(false);
  f[17] = 46;  // total length 46 in a 100-byte frame: 40 bytes of padding
  Pkt padded(f, 1);
  EXPECT_EQ(IpBytesOf(padded.p, padded.d), 46u);
  Pkt v6(Udp6Frame(), 1);
  EXPECT_EQ(IpBytesOf(v6.p, v6.d), 60u);
  Pkt cut(Udp4Frame(false), 1, 30);
  EXPECT_EQ(IpBytesOf(cut.p, cut.d), 0u);
}

}  // namespace
}  // namespace trove

namespace trove {
namespace {

// A VLAN-tagged flow whose first packet was not stored (dropped past the
// cutoff): the record takes its tags from its first stored packet and
// stays certain.
TEST(SegmentIndexBuilder, TagsComeFromTheFirstStoredPacket) {
  std::vector<uint8_t> f = Udp4Frame(false);
  f.insert(f.begin() + 12, {0x81, 0x00, 0x00, 0x05});  // 802.1Q, VLAN 5
  Pkt dropped(f, 100), stored(f, 200);
  ASSERT_EQ(stored.d.vlan_depth, 1);
  SegmentIndexBuilder b("s", 1);
  b.AddNotStored(dropped.p, dropped.d);
  b.Add(stored.p, stored.d, 64);
  const SegmentIndex ix = b.Snapshot(400);
  ASSERT_EQ(ix.conns.size(), 1u);
  const ConnRecord& r = ix.conns[0];
  EXPECT_FALSE(r.has(ConnRecord::kUncertain));
  EXPECT_EQ(r.flags & ConnRecord::kTagMask, ConnRecord::TagBits(1, 0));
  EXPECT_EQ(r.wire_packets[0] + r.wire_packets[1], 2u);
  EXPECT_EQ(r.total_packets(), 1u);
}

}  // namespace
}  // namespace trove
