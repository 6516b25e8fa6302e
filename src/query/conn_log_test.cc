// ConnLogRow from a ConnRecord: directions, the wire and stored columns and
// the `sizes` provenance (hand-built records, hand-computed expectations).

#include "query/conn_log.h"

#include <gtest/gtest.h>

namespace trove {
namespace {

ConnRecord Record() {
  ConnRecord r;
  r.key.ip_version = 4;
  r.key.proto = 17;
  r.key.kind = FlowKind::kTransport;
  r.key.addr_lo[10] = r.key.addr_lo[11] = 0xff;
  r.key.addr_hi[10] = r.key.addr_hi[11] = 0xff;
  r.key.addr_lo[12] = 10, r.key.addr_lo[15] = 1;  // 10.0.0.1
  r.key.addr_hi[12] = 10, r.key.addr_hi[15] = 2;  // 10.0.0.2
  r.key.port_lo = 53;
  r.key.port_hi = 40000;
  r.flags = ConnRecord::kOrigIsHi;  // 10.0.0.2:40000 spoke first
  r.first_ts_ns = 1'000'000'000;
  r.last_ts_ns = 3'500'000'000;
  r.packets[0] = 1, r.packets[1] = 2;  // [0] lo -> hi = resp -> orig
  r.bytes[0] = 64, r.bytes[1] = 164;
  r.wire_packets[0] = 5, r.wire_packets[1] = 2;
  r.wire_bytes[0] = 7000, r.wire_bytes[1] = 164;
  r.ip_bytes[0] = 6930, r.ip_bytes[1] = 136;
  return r;
}

TEST(ConnLog, WireAndStoredColumnsPerDirection) {
  ConnLogRow row;
  ASSERT_TRUE(MakeConnLogRow(Record(), "seg", &row));
  EXPECT_EQ(row.orig_h, "10.0.0.2");
  EXPECT_EQ(row.orig_p, 40000u);
  EXPECT_EQ(row.resp_h, "10.0.0.1");
  EXPECT_EQ(row.orig_pkts, 2u);
  EXPECT_EQ(row.resp_pkts, 5u);
  EXPECT_EQ(row.orig_wire_bytes, 164u);
  EXPECT_EQ(row.resp_wire_bytes, 7000u);
  EXPECT_EQ(row.orig_ip_bytes, 136u);
  EXPECT_EQ(row.resp_ip_bytes, 6930u);
  EXPECT_EQ(row.orig_stored_pkts, 2u);
  EXPECT_EQ(row.resp_stored_pkts, 1u);
  EXPECT_EQ(row.orig_stored_bytes, 164u);
  EXPECT_EQ(row.resp_stored_bytes, 64u);
  EXPECT_EQ(row.duration_ns, 2'500'000'000);
  EXPECT_EQ(row.conn_state, "SF");
  EXPECT_EQ(row.sizes, "wire");
}

TEST(ConnLog, SizesSayWhereTheCountsComeFrom) {
  ConnLogRow row;
  ASSERT_TRUE(MakeConnLogRow(Record(), "seg", &row, 4));
  EXPECT_EQ(row.sizes, "wire");
  for (uint32_t v : {1u, 2u, 3u}) {
    ASSERT_TRUE(MakeConnLogRow(Record(), "seg", &row, v));
    EXPECT_EQ(row.sizes, "stored") << v;
  }
}

// Every packet dropped past the cutoff: a row with wire packets only;
// conn_state counts the wire packets (the responder was heard).
TEST(ConnLog, RecordWithoutStoredPackets) {
  ConnRecord r = Record();
  r.packets[0] = r.packets[1] = r.bytes[0] = r.bytes[1] = 0;
  ConnLogRow row;
  ASSERT_TRUE(MakeConnLogRow(r, "seg", &row));
  EXPECT_EQ(row.orig_stored_pkts + row.resp_stored_pkts, 0u);
  EXPECT_EQ(row.orig_pkts + row.resp_pkts, 7u);
  EXPECT_EQ(row.conn_state, "SF");
}

}  // namespace
}  // namespace trove
