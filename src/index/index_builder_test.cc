// SegmentIndexBuilder's postings against an oracle computed independently
// from its own connection records: every address (port) of every IP record,
// each record listed once, lists ascending, keys in (version, address) and
// port order.

#include "index/index_builder.h"

#include <gtest/gtest.h>

#include <array>
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
