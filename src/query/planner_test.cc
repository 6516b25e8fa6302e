// Planner: parsing of the indexable subset (hand-computed trees), and the
// property that matters — libpcap (the oracle) never matches a packet the
// index judged False, always matches one judged True, and every matching
// packet is among the candidates — over random expressions on synth data.

#include "query/planner.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "index/index_codec.h"
#include "index/index_test_util.h"
#include "index/segment_summary.h"
#include "query/filter_expr.h"
#include "query/query_filter.h"

namespace trove {
namespace {

std::string Plan(const std::string& e) {
  std::string why;
  auto p = ParseIndexableFilter(e, &why);
  return p ? p->ToString() : "SCAN: " + why;
}

TEST(FilterParse, IndexableSubset) {
  EXPECT_EQ(Plan("host 10.0.0.1"), "host 10.0.0.1");
  EXPECT_EQ(Plan("src host 10.0.0.1"), "src host 10.0.0.1");
  EXPECT_EQ(Plan("dst 10.0.0.1"), "dst host 10.0.0.1");
  EXPECT_EQ(Plan("src and dst host 10.0.0.1"), "src and dst host 10.0.0.1");
  EXPECT_EQ(Plan("src or dst port 53"), "port 53");
  EXPECT_EQ(Plan("net 10.0.0.0/8"), "net 10.0.0.0/8");
  EXPECT_EQ(Plan("ip6 host 2001:db8::1"), "(ip6 and host 2001:db8::1)");
  EXPECT_EQ(Plan("tcp port 80"), "(tcp and port 80)");
  EXPECT_EQ(Plan("udp src port 53"), "(udp and src port 53)");
  // libpcap: and/or have equal precedence, left-associative; not binds tightest.
  EXPECT_EQ(Plan("tcp or udp and port 53"), "((tcp or udp) and port 53)");
  EXPECT_EQ(Plan("not tcp and udp"), "(not tcp and udp)");
  EXPECT_EQ(Plan("!(tcp || udp) && icmp"), "(not (tcp or udp) and icmp)");
  // A bare value repeats the previous qualifiers.
  EXPECT_EQ(Plan("host 10.0.0.1 or 10.0.0.2"), "(host 10.0.0.1 or host 10.0.0.2)");
  EXPECT_EQ(Plan("tcp port 80 or 443"), "((tcp and port 80) or (tcp and port 443))");
  EXPECT_EQ(Plan("ip and not ip6"), "(ip and not ip6)");
}

TEST(FilterParse, EverythingElseScans) {
  for (const char* e :
       {"len > 100", "tcp[13] & 2 != 0", "host example.com", "port http", "net 10",
        "net 10.0.0.0 mask 255.0.0.0", "portrange 1-100", "ether host 1:2:3:4:5:6", "vlan 1 or 2",
        "ip proto 6", "(tcp", "tcp)", "host", "greater 100", "tcp host 10.0.0.1"}) {
    std::string why;
    EXPECT_FALSE(ParseIndexableFilter(e, &why).has_value()) << e;
    EXPECT_FALSE(why.empty()) << e;
  }
}

std::string V4(const uint8_t* mapped) {
  char b[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, mapped + 12, b, sizeof b);
  return b;
}
std::string V6(const uint8_t* a) {
  char b[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a, b, sizeof b);
  return b;
}

TEST(Planner, NeverContradictsLibpcapOnRandomExpressions) {
  auto seg = testing_util::MakeSynthSegment(4000, 11);
  // Vocabulary from the data, plus values that occur nowhere.
  std::vector<std::string> hosts = {"192.0.2.254", "2001:db8:ffff::9"}, ports = {"1", "65000"};
  for (const auto& c : seg.index.conns) {
    if (c.has(ConnRecord::kNonIp)) continue;
    const auto* a = c.key.addr_lo;
    hosts.push_back(c.key.ip_version == 4 ? V4(a) : V6(a));
    if (c.key.proto == 6 || c.key.proto == 17) ports.push_back(std::to_string(c.key.port_hi));
  }
  std::mt19937_64 rng(5);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const int k = static_cast<int>(rng() % (depth > 0 ? 9 : 6));
    const char* dirs[] = {"", "src ", "dst ", "src and dst "};
    switch (k) {
      case 0:
        return std::string(dirs[rng() % 4]) + "host " + pick(hosts);
      case 1:
        return std::string(dirs[rng() % 4]) + "port " + pick(ports);
      case 2:
        return std::vector<std::string>{"tcp", "udp", "icmp", "icmp6", "ip", "ip6"}[rng() % 6];
      case 3: {
        std::string h = pick(hosts);
        return "net " + h + (h.find(':') != std::string::npos ? "/64" : "/24");
      }
      case 4:
        return "tcp port " + pick(ports);
      case 5:
        return "udp dst port " + pick(ports);
      case 6:
        return "not " + gen(depth - 1);
      case 7:
        return "(" + gen(depth - 1) + " and " + gen(depth - 1) + ")";
      default:
        return "(" + gen(depth - 1) + " or " + gen(depth - 1) + ")";
    }
  };
  // Which record each offset belongs to.
  std::map<uint64_t, const ConnRecord*> rec_of;
  for (const auto& c : seg.index.conns)
    for (uint64_t o : c.offsets) rec_of[o] = &c;
  const SegmentSummary sum = SummarizeIndex(seg.index);
  // The same index as a version-3 file read through the view, and without
  // postings (every record judged): the postings must never lose a
  // candidate, and must narrow what is read.
  const std::string file = EncodeSegmentIndex(seg.index);
  auto fview =
      IndexView::Open(nullptr, reinterpret_cast<const uint8_t*>(file.data()), file.size(), "p.idx");
  ASSERT_TRUE(fview.ok()) << fview.status().ToString();
  SegmentIndex bare = seg.index;
  bare.addresses.clear();
  bare.ports.clear();
  auto bare_view = IndexView::Of(&bare);
  ASSERT_FALSE(bare_view->has_postings());
  int tested = 0, narrowed = 0, posting_narrowed = 0;
  for (int iter = 0; iter < 150; ++iter) {
    const std::string expr = gen(3);
    std::string why;
    auto e = ParseIndexableFilter(expr, &why);
    ASSERT_TRUE(e.has_value()) << expr << ": " << why;
    QueryFilter bpf(expr);
    Status ps = bpf.Prepare(1);
    if (!ps.ok()) continue;  // e.g. `src and dst host` of the other family: libpcap refuses
    ++tested;
    auto cand_or = SelectCandidates(seg.index, e, TimeRange{});
    ASSERT_TRUE(cand_or.ok()) << cand_or.status().message();
    const CandidateSet& cand = *cand_or;
    auto from_file = SelectCandidates(**fview, e, TimeRange{});
    auto judged_all = SelectCandidates(*bare_view, e, TimeRange{});
    ASSERT_TRUE(from_file.ok() && judged_all.ok());
    ASSERT_EQ(from_file->offsets, judged_all->offsets) << expr;
    ASSERT_EQ(cand.offsets, judged_all->offsets) << expr;
    auto ids = PostingCandidates(**fview, *e);
    ASSERT_TRUE(ids.ok());
    if (*ids && (*ids)->size() < seg.index.conns.size()) ++posting_narrowed;
    const std::set<uint64_t> cset(cand.offsets.begin(), cand.offsets.end());
    if (cand.offsets.size() < seg.packets.size()) ++narrowed;
    bool any_match = false;
    for (const auto& p : seg.packets) {
      const bool m = bpf.Matches(1, static_cast<uint32_t>(p.bytes.size()),
                                 static_cast<uint32_t>(p.bytes.size()), p.bytes.data());
      const Tri t = EvalOnRecord(*e, *rec_of.at(p.offset));
      any_match = any_match || m;
      if (t == Tri::kFalse) {
        ASSERT_FALSE(m) << expr << " at " << p.offset;
      }
      if (t == Tri::kTrue) {
        ASSERT_TRUE(m) << expr << " at " << p.offset;
      }
      if (m) {
        ASSERT_TRUE(cset.count(p.offset))
            << expr << ": match at " << p.offset << " not a candidate";
      }
    }
    if (EvalOnSummary(*e, sum) == Tri::kFalse) {
      EXPECT_FALSE(any_match) << expr;
    }
  }
  EXPECT_GT(tested, 100);
  EXPECT_GT(narrowed, 50);
  EXPECT_GT(posting_narrowed, 30);
}

TEST(Planner, TimeRangeSkipsBlocksAndRecords) {
  auto seg = testing_util::MakeSynthSegment(5000, 3);
  const auto& tm = seg.index.time_map;
  ASSERT_GE(tm.size(), 4u);
  TimeRange r;
  r.since_ns = tm[2].min_ts_ns;
  r.until_ns = tm[2].max_ts_ns + 1;
  auto c_or = SelectCandidates(seg.index, std::nullopt, r);
  ASSERT_TRUE(c_or.ok());
  const CandidateSet& c = *c_or;
  EXPECT_GE(c.blocks_skipped, 2u);
  // Every packet inside the range is a candidate (hand check against the list).
  std::set<uint64_t> cset(c.offsets.begin(), c.offsets.end());
  for (const auto& p : seg.packets)
    if (r.Contains(p.ts_ns)) {
      EXPECT_TRUE(cset.count(p.offset)) << p.offset;
    }
  EXPECT_LT(c.offsets.size(), seg.packets.size());
}

}  // namespace
}  // namespace trove
