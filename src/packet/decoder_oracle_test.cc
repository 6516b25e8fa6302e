// Oracle test: Decode() against tshark on the shared real-world traces
// (TROVE_SHARED_PCAPS). Each trace is read with libpcap; tshark prints the
// outermost value of each field (-E occurrence=f; reassembly and
// defragmentation off so every frame stands alone). Where the decoder got
// through the IP header (stop kNone / kFragment / kUnknownL4) the L3 fields
// must agree, and where it reached kNone the transport fields too. Skips
// (not fails) when tshark or the traces are missing.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "packet/decoder.h"
#include "packet/packet_flow.h"
#include "packet/packet_test_util.h"

#ifndef TROVE_SHARED_PCAPS
#define TROVE_SHARED_PCAPS "../shared/pcaps"
#endif

namespace trove {
namespace {

// tshark -e fields, in this order.
enum Field {
  kFrameNo,
  kProtocols,
  kVlanId,
  kAdId,
  kIpSrc,
  kIpDst,
  kIpProto,
  kIpTtl,
  kIpId,
  kIpMf,
  kIpFragOff,
  kIp6Src,
  kIp6Dst,
  kIp6Hlim,
  kIp6FragOff,
  kIp6FragMore,
  kIp6FragId,
  kTcpSport,
  kTcpDport,
  kTcpFlags,
  kUdpSport,
  kUdpDport,
  kIcmpType,
  kIcmpCode,
  kIcmpId,
  kIcmp6Type,
  kIcmp6Code,
  kIcmp6Id,
  kNumFields
};
const char* const kFieldNames[kNumFields] = {"frame.number",
                                             "frame.protocols",
                                             "vlan.id",
                                             "ieee8021ad.id",
                                             "ip.src",
                                             "ip.dst",
                                             "ip.proto",
                                             "ip.ttl",
                                             "ip.id",
                                             "ip.flags.mf",
                                             "ip.frag_offset",
                                             "ipv6.src",
                                             "ipv6.dst",
                                             "ipv6.hlim",
                                             "ipv6.fraghdr.offset",
                                             "ipv6.fraghdr.more",
                                             "ipv6.fraghdr.ident",
                                             "tcp.srcport",
                                             "tcp.dstport",
                                             "tcp.flags",
                                             "udp.srcport",
                                             "udp.dstport",
                                             "icmp.type",
                                             "icmp.code",
                                             "icmp.ident",
                                             "icmpv6.type",
                                             "icmpv6.code",
                                             "icmpv6.echo.identifier"};

using Row = std::vector<std::string>;

bool HaveTshark() { return std::system("tshark -v >/dev/null 2>&1") == 0; }

std::vector<Row> RunTshark(const std::string& path) {
  std::string cmd =
      "tshark -n -r '" + path +
      "' -o tcp.desegment_tcp_streams:FALSE -o ip.defragment:FALSE -o ipv6.defragment:FALSE"
      " -o tcp.check_checksum:FALSE -T fields -E occurrence=f -E separator=/t -E header=n";
  for (const char* f : kFieldNames) cmd += std::string(" -e ") + f;
  cmd += " 2>/dev/null";
  std::vector<Row> rows;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return rows;
  std::string line;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) {
    line += buf;
    if (line.empty() || line.back() != '\n') continue;
    line.pop_back();
    Row row;
    size_t start = 0;
    for (;;) {
      const size_t tab = line.find('\t', start);
      row.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    row.resize(kNumFields);
    rows.push_back(std::move(row));
    line.clear();
  }
  pclose(p);
  return rows;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) return out;
    start = pos + 1;
  }
}

bool Has(const std::vector<std::string>& v, const char* s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string Addr(const uint8_t* p, int len) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(len == 4 ? AF_INET : AF_INET6, p, buf, sizeof(buf));
  return buf;
}

std::string Num(uint64_t v) { return std::to_string(v); }
uint64_t ParseNum(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 0); }

struct Stats {
  size_t packets = 0, l3_compared = 0, l4_compared = 0, arp = 0, skipped = 0;
};

// Compares one packet, counting what was compared in *st.
void ComparePacket(const PacketRef& ref, const DecodedPacket& d, const Row& r, Stats* st) {
  const std::vector<std::string> protos = Split(r[kProtocols], ':');
  const std::string where =
      "frame " + r[kFrameNo] + " [" + r[kProtocols] + "] " + testing_util::Dump(d);
  if (d.l3 == L3::kArp) {
    EXPECT_TRUE(Has(protos, "arp")) << where;
    ++st->arp;
  }
  if (d.vlan_depth > 0) {
    // The outermost tag: whichever tag protocol tshark lists first.
    const auto vlan = std::find(protos.begin(), protos.end(), "vlan");
    const auto ad = std::find(protos.begin(), protos.end(), "ieee8021ad");
    ASSERT_TRUE(vlan != protos.end() || ad != protos.end()) << where;
    EXPECT_EQ(Num(d.vlan_id), ad < vlan ? r[kAdId] : r[kVlanId]) << where;
  }
  const bool l3_ok = d.stop == DecodeStop::kNone || d.stop == DecodeStop::kFragment ||
                     d.stop == DecodeStop::kUnknownL4;
  if (!d.has_ip() || !l3_ok) {
    ++st->skipped;
    return;
  }
  ++st->l3_compared;
  const std::string src = Addr(ref.data + d.src_off, d.addr_len);
  const std::string dst = Addr(ref.data + d.dst_off, d.addr_len);
  if (d.l3 == L3::kIPv4) {
    EXPECT_EQ(src, r[kIpSrc]) << where;
    EXPECT_EQ(dst, r[kIpDst]) << where;
    EXPECT_EQ(Num(d.ttl), r[kIpTtl]) << where;
    EXPECT_EQ(Num(d.ip_proto), r[kIpProto]) << where;
    EXPECT_EQ(d.frag_id, ParseNum(r[kIpId])) << where;
    const bool mf = r[kIpMf] == "1" || r[kIpMf] == "True";
    const uint64_t off = ParseNum(r[kIpFragOff]);
    EXPECT_EQ(d.is_fragment, mf || off != 0) << where;
    EXPECT_EQ(d.first_fragment, mf && off == 0) << where;
  } else {
    EXPECT_EQ(src, r[kIp6Src]) << where;
    EXPECT_EQ(dst, r[kIp6Dst]) << where;
    EXPECT_EQ(Num(d.ttl), r[kIp6Hlim]) << where;
    if (d.is_fragment || d.frag_id != 0) {
      const bool more = r[kIp6FragMore] == "1" || r[kIp6FragMore] == "True";
      const uint64_t off = ParseNum(r[kIp6FragOff]);
      EXPECT_EQ(d.frag_id, ParseNum(r[kIp6FragId])) << where;
      EXPECT_EQ(d.is_fragment, more || off != 0) << where;
      EXPECT_EQ(d.first_fragment, more && off == 0) << where;
    }
  }
  if (d.stop != DecodeStop::kNone) return;
  ++st->l4_compared;
  switch (d.ip_proto) {
    case 6:
      EXPECT_EQ(Num(d.sport), r[kTcpSport]) << where;
      EXPECT_EQ(Num(d.dport), r[kTcpDport]) << where;
      EXPECT_EQ(d.tcp_flags, ParseNum(r[kTcpFlags]) & 0xFF) << where;
      break;
    case 17:
      EXPECT_EQ(Num(d.sport), r[kUdpSport]) << where;
      EXPECT_EQ(Num(d.dport), r[kUdpDport]) << where;
      break;
    case 1:
      EXPECT_EQ(Num(d.icmp_type), r[kIcmpType]) << where;
      EXPECT_EQ(Num(d.icmp_code), r[kIcmpCode]) << where;
      if (d.icmp_type == 0 || d.icmp_type == 8) {
        EXPECT_EQ(Num(d.icmp_id), r[kIcmpId]) << where;
      }
      break;
    case 58:
      EXPECT_EQ(Num(d.icmp_type), r[kIcmp6Type]) << where;
      EXPECT_EQ(Num(d.icmp_code), r[kIcmp6Code]) << where;
      if (d.icmp_type == 128 || d.icmp_type == 129) {
        EXPECT_EQ(Num(d.icmp_id), r[kIcmp6Id]) << where;
      }
      break;
    default:
      ADD_FAILURE() << "kNone with protocol " << int{d.ip_proto} << " " << where;
  }
}

std::vector<std::string> TraceFiles() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(TROVE_SHARED_PCAPS, ec)) {
    const std::string ext = e.path().extension().string();
    if (ext == ".pcap" || ext == ".pcapng") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class DecoderOracleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DecoderOracleTest, MatchesTshark) {
  const std::string path = std::string(TROVE_SHARED_PCAPS) + "/" + GetParam();
  if (!HaveTshark()) GTEST_SKIP() << "tshark not installed";
  char err[PCAP_ERRBUF_SIZE];
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> pc(pcap_open_offline(path.c_str(), err), pcap_close);
  if (!pc) GTEST_SKIP() << "libpcap cannot read " << path << ": " << err;
  const std::vector<Row> rows = RunTshark(path);
  const uint16_t linktype = static_cast<uint16_t>(pcap_datalink(pc.get()));

  Stats st;
  pcap_pkthdr* hdr;
  const u_char* data;
  while (pcap_next_ex(pc.get(), &hdr, &data) == 1) {
    ASSERT_LT(st.packets, rows.size()) << "tshark printed fewer frames than libpcap read";
    // Exactly-sized copy: any read past caplen is an ASan error.
    const std::vector<uint8_t> copy(data, data + hdr->caplen);
    PacketRef ref;
    ref.caplen = hdr->caplen;
    ref.wirelen = hdr->len;
    ref.linktype = linktype;
    ref.data = copy.data();
    DecodedPacket d;
    Decode(ref, &d);
    ComparePacket(ref, d, rows[st.packets], &st);
    ++st.packets;
    if (HasFailure()) return;  // one frame's worth of diagnostics is enough
  }
  EXPECT_EQ(st.packets, rows.size());
  std::printf(
      "%s: linktype %u, %zu packets, L3 compared %zu, L4 compared %zu, arp %zu, "
      "not compared %zu\n",
      GetParam().c_str(), linktype, st.packets, st.l3_compared, st.l4_compared, st.arp, st.skipped);
  // A trace with IP traffic in it must actually be compared.
  size_t tshark_ip = 0;
  for (const Row& r : rows) tshark_ip += !r[kIpSrc].empty() || !r[kIp6Src].empty();
  if (tshark_ip > 0) {
    EXPECT_GT(st.l3_compared, 0u);
  }
}

// ClampDecoded (what the cutoff stage does to a packet it cuts) against
// decoding the cut packet again, for every cut length up to 160 bytes and
// the last one, of every packet: every field, the payload length and the
// flow must agree.
TEST_P(DecoderOracleTest, ClampDecodedEqualsDecodingTheCutPacket) {
  const std::string path = std::string(TROVE_SHARED_PCAPS) + "/" + GetParam();
  char err[PCAP_ERRBUF_SIZE];
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> pc(pcap_open_offline(path.c_str(), err), pcap_close);
  if (!pc) GTEST_SKIP() << "libpcap cannot read " << path << ": " << err;
  const uint16_t linktype = static_cast<uint16_t>(pcap_datalink(pc.get()));
  pcap_pkthdr* hdr;
  const u_char* data;
  size_t packets = 0, fast = 0;
  while (pcap_next_ex(pc.get(), &hdr, &data) == 1) {
    ++packets;
    const std::vector<uint8_t> copy(data, data + hdr->caplen);
    PacketRef full{0, hdr->caplen, hdr->len, linktype, copy.data()};
    DecodedPacket whole;
    Decode(full, &whole);
    ComputeFlow(full, &whole);
    for (uint32_t cut = 0; cut < hdr->caplen; cut = cut < 160 ? cut + 1 : hdr->caplen - 1) {
      PacketRef r = full;
      r.caplen = cut;
      DecodedPacket clamped = whole, redone;
      ClampDecoded(r, &clamped);
      Decode(r, &redone);
      ComputeFlow(r, &redone);
      fast += whole.stop == DecodeStop::kNone && whole.ip_proto == 6 && whole.l4_off != 0 &&
              cut >= whole.l4_off + 4u && cut < whole.payload_off;  // the cut inside TCP
      const std::string where = GetParam() + " packet " + std::to_string(packets) + " cut to " +
                                std::to_string(cut) + " of " + std::to_string(hdr->caplen);
      ASSERT_EQ(testing_util::Dump(clamped), testing_util::Dump(redone)) << where;
      ASSERT_EQ(clamped.payload_len, redone.payload_len) << where;
      ASSERT_EQ(clamped.flow.state, redone.flow.state) << where;
      if (redone.flow.state == FlowState::kValid) {
        ASSERT_TRUE(clamped.flow.key == redone.flow.key) << where;
        ASSERT_EQ(clamped.flow.hash, redone.flow.hash) << where;
        ASSERT_EQ(clamped.flow.src_is_hi, redone.flow.src_is_hi) << where;
      }
      if (cut == hdr->caplen - 1) break;
    }
  }
  std::printf("%s: %zu packets, %zu cuts inside a TCP header after its ports\n", GetParam().c_str(),
              packets, fast);
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(SharedTraces, DecoderOracleTest, ::testing::ValuesIn(TraceFiles()),
                         TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DecoderOracleTest);

}  // namespace
}  // namespace trove
