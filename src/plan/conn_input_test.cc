// Connection-record parsing (plan/conn_input.h): hand-written inputs of
// each format and their hand-read values; malformed lines name line and field.
#include "plan/conn_input.h"

#include <gtest/gtest.h>

namespace trove {
namespace {

// Lines from Zeek's own conn.log format (as Zeek 6 writes it).
const char kZeekTsv[] =
    "#separator \\x09\n"
    "#set_separator\t,\n"
    "#empty_field\t(empty)\n"
    "#unset_field\t-\n"
    "#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
    "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
    "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\t"
    "bool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n"
    "1300475167.096535\tCXWv6p3arKYeMETxOg\t141.142.220.202\t5353\t224.0.0.251\t5353\tudp\tdns\t-\t"
    "-\t-\tS0\t-\t-\t0\tD\t1\t73\t0\t0\t-\n"
    "1300475168.853899\tCmES5u32sYpV7JYN\t141.142.220.118\t43927\t141.142.2.2\t53\tudp\tdns\t"
    "0.000435\t38\t89\tSF\t-\t-\t0\tDd\t1\t66\t1\t117\t-\n"
    "#close\t2011-03-18-19-06-13\n";

TEST(ConnInputTest, ZeekTsvPayloadAndIpBytes) {
  auto p = ParseConnRecords(kZeekTsv, "conn.log", {});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->format, ConnFormat::kZeekTsv);
  ASSERT_EQ(p->conns.size(), 2u);
  EXPECT_EQ(p->conns[0].ts_ns, 1300475167096535000);
  EXPECT_EQ(p->conns[0].duration_ns, 0);  // unset
  EXPECT_EQ(p->conns[0].bytes, 0u);
  EXPECT_EQ(p->conns[1].ts_ns, 1300475168853899000);
  EXPECT_EQ(p->conns[1].duration_ns, 435000);
  EXPECT_EQ(p->conns[1].bytes, 38u + 89u);
  ConnParseOptions ip;
  ip.zeek_bytes = ZeekBytes::kIp;
  p = ParseConnRecords(kZeekTsv, "conn.log", ip);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->conns[0].bytes, 73u);
  EXPECT_EQ(p->conns[1].bytes, 66u + 117u);
}

TEST(ConnInputTest, ZeekTsvMalformedLinesNameLineAndField) {
  std::string text = kZeekTsv;
  text += "1300475169.1\tCx\t1.2.3.4\t1\t5.6.7.8\t2\ttcp\t-\t1.5\n";  // truncated: line 11
  auto p = ParseConnRecords(text, "conn.log", {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("conn.log:11"), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("'orig_bytes' is missing"), std::string::npos) << p.status().message();
  ConnParseOptions skip;
  skip.skip_bad = true;
  p = ParseConnRecords(text, "conn.log", skip);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->conns.size(), 2u);
  EXPECT_EQ(p->skipped, 1u);

  std::string bad = kZeekTsv;
  bad.replace(bad.find("\t38\t"), 4, "\tx8\t");
  p = ParseConnRecords(bad, "c.log", {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("c.log:9: field 'orig_bytes'"), std::string::npos)
      << p.status().message();
}

TEST(ConnInputTest, ZeekJsonLines) {
  const char text[] =
      "{\"ts\":1300475168.853899,\"uid\":\"C1\",\"duration\":0.000435,\"orig_bytes\":38,"
      "\"resp_bytes\":89,\"orig_ip_bytes\":66,\"resp_ip_bytes\":117}\n"
      "{\"ts\":1300475167.096535,\"uid\":\"C2\"}\n";
  auto p = ParseConnRecords(text, "conn.json", {});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->format, ConnFormat::kZeekJson);
  ASSERT_EQ(p->conns.size(), 2u);
  EXPECT_EQ(p->conns[0].ts_ns, 1300475168853899000);
  EXPECT_EQ(p->conns[0].duration_ns, 435000);
  EXPECT_EQ(p->conns[0].bytes, 127u);
  EXPECT_EQ(p->conns[1].bytes, 0u);
  p = ParseConnRecords("{\"ts\":\"2011-03-18T19:06:08.853899Z\",\"orig_bytes\":1}\n", "iso.json", {});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->conns[0].ts_ns, 1300475168853899000);  // date -u -d 2011-03-18T19:06:08Z +%s
  p = ParseConnRecords(std::string(text) + "{\"ts\":1,\"orig_bytes\":\"many\"}\n", "conn.json", {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("conn.json:3: field 'orig_bytes'"), std::string::npos)
      << p.status().message();
}

TEST(ConnInputTest, TroveCsvAndJson) {
  const char csv[] =
      "ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,duration,orig_bytes,resp_bytes,"
      "orig_pkts,resp_pkts,conn_state,cut,segment\n"
      "1795330800.500000000,Cabc,10.0.0.1,1234,10.0.0.2,80,tcp,2.250000000,100,200,3,4,SF,false,s1\n";
  auto p = ParseConnRecords(csv, "f.csv", {});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->format, ConnFormat::kTroveCsv);
  ASSERT_EQ(p->conns.size(), 1u);
  EXPECT_EQ(p->conns[0].ts_ns, 1795330800500000000);
  EXPECT_EQ(p->conns[0].duration_ns, 2250000000);
  EXPECT_EQ(p->conns[0].bytes, 300u);
  const char json[] =
      "[\n  {\"ts\": \"1795330800.500000000\", \"ts_ns\": 1795330800500000001, \"duration\": "
      "\"2.250000000\", \"orig_bytes\": 100, \"resp_bytes\": 200}\n]\n";
  p = ParseConnRecords(json, "f.json", {});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->format, ConnFormat::kTroveJson);
  EXPECT_EQ(p->conns[0].ts_ns, 1795330800500000001);  // ts_ns wins
  EXPECT_EQ(p->conns[0].bytes, 300u);
  p = ParseConnRecords("[{\"ts_ns\": 1, \"duration\": \"0\", \"orig_bytes\": 1}]", "f.json", {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("record 1: field 'resp_bytes'"), std::string::npos)
      << p.status().message();
}

// Since index format 4 trove's rows carry wire bytes; simulate takes those,
// not the stored bytes (the old layout above is recognised by its header).
TEST(ConnInputTest, TroveWireLayoutUsesWireBytes) {
  const char csv[] =
      "ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,duration,orig_pkts,resp_pkts,"
      "orig_ip_bytes,resp_ip_bytes,orig_wire_bytes,resp_wire_bytes,orig_stored_pkts,"
      "resp_stored_pkts,orig_stored_bytes,resp_stored_bytes,conn_state,cut,sizes,segment\n"
      "1.5,Cabc,10.0.0.1,1234,10.0.0.2,80,tcp,2,30,40,5000,900000,5420,900560,3,4,400,1200,SF,"
      "true,wire,s1\n";
  auto p = ParseConnRecords(csv, "f.csv", {});
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->conns.size(), 1u);
  EXPECT_EQ(p->conns[0].bytes, 5420u + 900560u);
  EXPECT_EQ(p->conns[0].segment, "s1");
  const char json[] =
      "[{\"ts_ns\": 1, \"duration\": \"0\", \"orig_wire_bytes\": 70, \"resp_wire_bytes\": 80, "
      "\"orig_stored_bytes\": 7, \"resp_stored_bytes\": 8}]";
  p = ParseConnRecords(json, "f.json", {});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->conns[0].bytes, 150u);
  // A wire-layout record without resp_wire_bytes names that field.
  p = ParseConnRecords("[{\"ts_ns\": 1, \"duration\": \"0\", \"orig_wire_bytes\": 1}]", "g.json", {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("record 1: field 'resp_wire_bytes'"), std::string::npos)
      << p.status().message();
}

TEST(ConnInputTest, UnknownFormatAndEmptyInput) {
  EXPECT_FALSE(ParseConnRecords("hello world\n", "x", {}).ok());
  EXPECT_FALSE(ParseConnRecords("  \n", "x", {}).ok());
}

TEST(ConnInputTest, DecimalSeconds) {
  int64_t ns = 0;
  ASSERT_TRUE(ParseDecimalSecondsNs("12", &ns));
  EXPECT_EQ(ns, 12000000000);
  ASSERT_TRUE(ParseDecimalSecondsNs("0.000435", &ns));
  EXPECT_EQ(ns, 435000);
  ASSERT_TRUE(ParseDecimalSecondsNs("1.1234567899", &ns));
  EXPECT_EQ(ns, 1123456789);
  ASSERT_TRUE(ParseDecimalSecondsNs("-0.5", &ns));
  EXPECT_EQ(ns, -500000000);
  EXPECT_FALSE(ParseDecimalSecondsNs("", &ns));
  EXPECT_FALSE(ParseDecimalSecondsNs("1.2x", &ns));
  EXPECT_FALSE(ParseDecimalSecondsNs("-", &ns));
}

}  // namespace
}  // namespace trove
