// CaptureOutput and SegmentReader against libpcap as the oracle: what trove
// writes, libpcap reads back packet for packet at nanosecond precision;
// SegmentReader finds the packets at the offsets the parser reports and
// rejects offsets that are not packet blocks with the file and offset.

#include "segment/capture_output.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdio>

#include "query/segment_reader.h"
#include "segment/segment_test_util.h"

namespace trove {
namespace {

struct Pk {
  int64_t ts;
  std::vector<uint8_t> data;
  uint32_t wire;
};

std::vector<Pk> Sample() {
  std::vector<Pk> v;
  for (int i = 0; i < 5; ++i) {
    std::vector<uint8_t> d(60 + static_cast<size_t>(i) * 7);
    for (size_t j = 0; j < d.size(); ++j) d[j] = static_cast<uint8_t>(i * 31 + static_cast<int>(j));
    v.push_back({1700000000'123456789LL + i * 1001, d, static_cast<uint32_t>(d.size() + i)});
  }
  return v;
}

std::vector<Pk> ReadWithLibpcap(const std::string& path, int* linktype) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  EXPECT_NE(p, nullptr) << err;
  std::vector<Pk> out;
  if (!p) return out;
  *linktype = pcap_datalink(p);
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1)
    out.push_back({static_cast<int64_t>(h->ts.tv_sec) * 1000000000 + h->ts.tv_usec,
                   std::vector<uint8_t>(d, d + h->caplen), h->len});
  pcap_close(p);
  return out;
}

void WriteAndCheck(CaptureFormat f, const std::string& path) {
  auto pk = Sample();
  auto o = CaptureOutput::Open(path, f, {113});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  for (const auto& p : pk)
    ASSERT_TRUE(
        (*o)->Write(113, p.ts, static_cast<uint32_t>(p.data.size()), p.wire, p.data.data()).ok());
  ASSERT_TRUE((*o)->Close().ok());
  int lt = 0;
  auto back = ReadWithLibpcap(path, &lt);
  EXPECT_EQ(lt, 113);
  ASSERT_EQ(back.size(), pk.size());
  for (size_t i = 0; i < pk.size(); ++i) {
    EXPECT_EQ(back[i].ts, pk[i].ts);
    EXPECT_EQ(back[i].data, pk[i].data);
    EXPECT_EQ(back[i].wire, pk[i].wire);
  }
}

TEST(CaptureOutput, PcapReadByLibpcapAtNanoseconds) {
  segtest::TempDir dir;
  WriteAndCheck(CaptureFormat::kPcap, dir / "a.pcap");
}

TEST(CaptureOutput, PcapngReadByLibpcapAtNanoseconds) {
  segtest::TempDir dir;
  WriteAndCheck(CaptureFormat::kPcapng, dir / "a.pcapng");
}

TEST(CaptureOutput, PcapHoldsOneLinkType) {
  segtest::TempDir dir;
  EXPECT_EQ(CaptureOutput::Open(dir / "x.pcap", CaptureFormat::kPcap, {1, 113}).status().code(),
            Status::Code::kInvalidArgument);
  auto o = CaptureOutput::Open(dir / "y.pcap", CaptureFormat::kPcap, {1});
  ASSERT_TRUE(o.ok());
  uint8_t b[20] = {};
  EXPECT_FALSE((*o)->Write(113, 0, 20, 20, b).ok());
  EXPECT_TRUE((*o)->Write(1, 0, 20, 20, b).ok());
  EXPECT_TRUE((*o)->Close().ok());
}

TEST(SegmentReader, PacketsAtParserOffsetsAndBadOffsetsRejected) {
  segtest::TempDir dir;
  const std::string path = dir / "s.pcapng";
  auto pk = Sample();
  {
    auto o = CaptureOutput::Open(path, CaptureFormat::kPcapng, {1});
    ASSERT_TRUE(o.ok());
    for (const auto& p : pk)
      ASSERT_TRUE(
          (*o)->Write(1, p.ts, static_cast<uint32_t>(p.data.size()), p.wire, p.data.data()).ok());
    ASSERT_TRUE((*o)->Close().ok());
  }
  auto r = SegmentReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->linktype(), 1);
  auto offs = (*r)->AllPacketOffsets();
  ASSERT_TRUE(offs.ok());
  ASSERT_EQ(offs->size(), pk.size());
  for (size_t i = 0; i < pk.size(); ++i) {
    auto p = (*r)->PacketAt((*offs)[i]);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->ts_ns, pk[i].ts);
    EXPECT_EQ(std::vector<uint8_t>(p->data, p->data + p->caplen), pk[i].data);
  }
  for (uint64_t bad : {uint64_t{0}, (*offs)[0] + 4, uint64_t{1} << 40}) {
    auto p = (*r)->PacketAt(bad);
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.status().message().find(path), std::string::npos);
    EXPECT_NE(p.status().message().find("offset " + std::to_string(bad)), std::string::npos)
        << p.status().message();
  }
}

}  // namespace
}  // namespace trove
