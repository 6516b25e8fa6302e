// Planner on cut and tagged packets, against libpcap (the oracle): hand-built
// packets behind every tag stack trove narrows (802.1Q, 802.1ad, 0x9100,
// QinQ, one and two MPLS labels, VLAN + MPLS) and the ones it must not
// (LLC/SNAP, multicast MPLS), each TCP/UDP/IPv6/ICMP flow cut at every
// length through its headers, at 64 bytes, and mixed (whole packets, then
// 64-byte tails: a connection past its cutoff). Over random expressions with
// `vlan`/`mpls` anywhere: libpcap never matches a packet the index judged
// False, every match is a candidate (records, file view, postings), and a
// summary judged False has no match; and the records the model says are
// certain really are (not vacuous).

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>
#include <set>

#include "index/index_builder.h"
#include "index/index_codec.h"
#include "index/segment_summary.h"
#include "packet/packet_test_util.h"
#include "query/filter_expr.h"
#include "query/planner.h"
#include "query/query_filter.h"
#include "segment/pcapng_format.h"

namespace trove {
namespace {

using testing_util::Bytes;
using testing_util::Cat;

struct Layout {
  const char* name;
  std::function<Bytes(uint16_t)> link;  // link header + tags before a given ethertype
  bool certain;                         // the model narrows it
  int vlans, mpls;
};

std::vector<Layout> Layouts() {
  using namespace testing_util;
  return {
      {"plain", [](uint16_t et) { return Eth(et); }, true, 0, 0},
      {"vlan", [](uint16_t et) { return Cat({Eth(0x8100), Tag(100, et)}); }, true, 1, 0},
      {"vlan9100", [](uint16_t et) { return Cat({Eth(0x9100), Tag(7, et)}); }, true, 1, 0},
      {"qinq",
       [](uint16_t et) { return Cat({Eth(0x88a8), Tag(10, 0x8100), Tag(100, et)}); }, true, 2, 0},
      {"mpls", [](uint16_t) { return Cat({Eth(0x8847), Mpls(16, true)}); }, true, 0, 1},
      {"mpls2", [](uint16_t) { return Cat({Eth(0x8847), Mpls(16, false), Mpls(17, true)}); },
       true, 0, 2},
      {"vlan-mpls", [](uint16_t) { return Cat({Eth(0x8100), Tag(100, 0x8847), Mpls(16, true)}); },
       true, 1, 1},
      {"qinq-mpls2",
       [](uint16_t) {
         return Cat({Eth(0x88a8), Tag(10, 0x8100), Tag(100, 0x8847), Mpls(16, false),
                     Mpls(17, true)});
       },
       true, 2, 2},
      {"snap",
       [](uint16_t et) {
         return Cat({Eth(0x0100), Bytes{0xaa, 0xaa, 0x03, 0, 0, 0, Hi(et), Lo(et)}});
       },
       false, 0, 0},
      {"mpls-mcast", [](uint16_t) { return Cat({Eth(0x8848), Mpls(16, true)}); }, false, 0, 1},
  };
}

struct Pkt {
  Bytes bytes;       // the stored bytes (caplen = size)
  uint32_t wirelen;  // the original length
  uint64_t offset;
  std::string what;
  size_t l4_off = 0;  // where the transport header starts
};

struct Built {
  std::vector<Pkt> packets;
  SegmentIndex index;
  std::vector<std::string> hosts, ports;
};

Built Build() {
  using namespace testing_util;
  Built b;
  SegmentIndexBuilder ib("tags-seg", kLinkEthernet);
  uint64_t off = 200;
  int64_t ts = 1'000'000'000;
  auto add = [&](const Bytes& whole, size_t caplen, const std::string& what, size_t l4_off) {
    Pkt p{Bytes(whole.begin(), whole.begin() + static_cast<long>(std::min(caplen, whole.size()))),
          static_cast<uint32_t>(whole.size()), off, what, l4_off};
    PacketRef r;
    r.linktype = kLinkEthernet;
    r.caplen = static_cast<uint32_t>(p.bytes.size());
    r.wirelen = p.wirelen;
    r.ts_ns = ts += 1000;
    r.data = p.bytes.data();
    DecodedPacket d;
    Decode(r, &d);
    ib.Add(r, d, off);
    off += kEpbOverhead + ((r.caplen + 3u) & ~3u);
    b.packets.push_back(std::move(p));
  };
  const auto layouts = Layouts();
  for (uint32_t li = 0; li < layouts.size(); ++li) {
    const Layout& L = layouts[li];
    const uint32_t net = 0x0a000000 | li << 16;  // 10.li.0.x
    b.hosts.push_back("10." + std::to_string(li) + ".0.1");
    b.hosts.push_back("10." + std::to_string(li) + ".0.2");
    char v6[32];
    std::snprintf(v6, sizeof v6, "2001:db8::%x", 16 + li);
    b.hosts.push_back(v6);
    // One flow per protocol; `key` varies the source port (ICMP: id) so
    // every cut length is a record of its own.
    auto flows = [&](uint16_t key) -> std::vector<std::pair<std::string, Bytes>> {
      return {
          {"tcp4", Cat({L.link(0x0800), Ipv4(6, 20 + 32 + 100, 1, 0x4000, 64, net | 1, net | 2),
                        Tcp(key, 80, 0x10, 8), Payload(100)})},
          {"udp4", Cat({L.link(0x0800), Ipv4(17, 20 + 8 + 50, 1, 0x4000, 64, net | 1, net | 3),
                        Udp(key, 53, 58), Payload(50)})},
          {"tcp6", Cat({L.link(0x86dd), Ipv6(6, 20 + 40, 64, static_cast<uint8_t>(16 + li), 2),
                        Tcp(key, 443, 0x10), Payload(40)})},
          {"icmp4", Cat({L.link(0x0800), Ipv4(1, 20 + 8 + 20, 1, 0x4000, 64, net | 1, net | 4),
                         Icmp(8, 0, key, 1), Payload(20)})},
          // IPv4 fragments: the first (MF, offset 0) with the ports, a later
          // one (offset 128) without; `key` is the IP id.
          {"frag-first", Cat({L.link(0x0800), Ipv4(6, 20 + 20 + 40, key, 0x2000, 64, net | 1, net | 5),
                              Tcp(key, 80, 0x10), Payload(40)})},
          {"frag-later", Cat({L.link(0x0800), Ipv4(17, 20 + 60, key, 0x0010, 64, net | 1, net | 5),
                              Payload(60)})},
      };
    };
    for (size_t fi = 0; fi < 6; ++fi) {
      const size_t whole = flows(0)[fi].second.size();
      // What a certain record's packets must hold: 4 transport bytes (a
      // later fragment: its IP header).
      const size_t l4 = L.link(fi == 2 ? 0x86dd : 0x0800).size() + (fi == 2 ? 40 : 20) -
                        (fi == 5 ? 4 : 0);
      for (size_t cut = 14; cut <= whole; ++cut) {
        const uint16_t key = static_cast<uint16_t>(1000 + cut);
        const auto f = flows(key)[fi];
        add(f.second, cut, std::string(L.name) + "/" + f.first + " cut " + std::to_string(cut), l4);
      }
      // A connection past its cutoff: whole packets, then 64-byte tails.
      const auto f = flows(999)[fi];
      for (int i = 0; i < 6; ++i)
        add(f.second, i < 3 ? f.second.size() : 64, std::string(L.name) + "/" + f.first + " mixed",
            l4);
    }
  }
  // Non-IP frames, untagged and tagged: ARP (10.0.0.1 asks for 10.0.0.9),
  // RARP, LLDP, an 802.3/LLC (STP) frame.
  const Bytes arp = {0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
                     0, 0, 0, 0, 0, 0, 10, 0, 0, 9};
  for (const Layout& L : {layouts[0], layouts[1]}) {
    for (uint16_t et : {0x0806, 0x8035, 0x88cc})
      for (size_t cut : {size_t{14}, size_t{30}, size_t{64}})
        add(Cat({L.link(et), arp, Payload(30)}), cut, std::string(L.name) + "/non-ip", 0);
  }
  add(Cat({testing_util::Eth(0x0026), Bytes{0x42, 0x42, 0x03}, Payload(35)}), 64, "plain/llc", 0);
  b.hosts.push_back("10.0.0.9");
  for (int p : {80, 53, 443, 999, 1030, 1050, 1066, 1070, 1074, 7, 2000})
    b.ports.push_back(std::to_string(p));
  b.hosts.push_back("192.0.2.254");
  b.index = ib.Snapshot(off);
  return b;
}

TEST(PlannerTags, CutAndTaggedRecordsAreCertainExactlyWhereTheModelSaysSo) {
  const Built b = Build();
  const auto layouts = Layouts();
  std::map<uint64_t, const ConnRecord*> rec_of;
  for (const auto& c : b.index.conns)
    for (uint64_t o : c.offsets) rec_of[o] = &c;
  // Certain: a layout libpcap reads like the decoder, and every packet of
  // the record stored up to 4 bytes into its transport header. (Cuts before
  // the ports, or before an ICMP id, share a record with port/id 0.)
  auto layout_of = [&](const Pkt& p) {
    for (const auto& l : layouts)
      if (p.what.rfind(std::string(l.name) + "/", 0) == 0) return &l;
    return static_cast<const Layout*>(nullptr);
  };
  std::map<const ConnRecord*, bool> want;
  for (const Pkt& p : b.packets) {
    if (p.l4_off == 0) continue;  // non-IP
    const ConnRecord* r = rec_of.at(p.offset);
    const Layout* L = layout_of(p);
    ASSERT_NE(L, nullptr);
    const bool ok = L->certain && p.bytes.size() >= p.l4_off + 4;
    auto [it, fresh] = want.emplace(r, ok);
    if (!fresh) it->second = it->second && ok;
  }
  int certain_cut = 0;
  for (const Pkt& p : b.packets) {
    if (p.l4_off == 0) continue;
    const ConnRecord& r = *rec_of.at(p.offset);
    const Layout* L = layout_of(p);
    EXPECT_EQ(!r.has(ConnRecord::kUncertain), want.at(&r)) << p.what;
    if (!r.has(ConnRecord::kUncertain)) {
      EXPECT_TRUE(L->certain) << p.what;
      EXPECT_EQ(r.vlan_depth(), L->vlans) << p.what;
      EXPECT_EQ(r.mpls_depth(), L->mpls) << p.what;
      if (p.bytes.size() < p.wirelen) ++certain_cut;
    }
  }
  // Per flow and layout, the cuts from the first 4 transport bytes on are
  // certain: dozens in all.
  EXPECT_GT(certain_cut, 8 * 3 * 20);
}

TEST(PlannerTags, NeverContradictsLibpcapOnCutAndTaggedPackets) {
  const Built b = Build();
  std::map<uint64_t, const ConnRecord*> rec_of;
  for (const auto& c : b.index.conns)
    for (uint64_t o : c.offsets) rec_of[o] = &c;
  const SegmentSummary sum = SummarizeIndex(b.index);
  const std::string file = EncodeSegmentIndex(b.index);
  auto fview =
      IndexView::Open(nullptr, reinterpret_cast<const uint8_t*>(file.data()), file.size(), "t.idx");
  ASSERT_TRUE(fview.ok()) << fview.status().ToString();
  SegmentIndex bare = b.index;
  bare.addresses.clear();
  bare.ports.clear();
  auto bare_view = IndexView::Of(&bare);

  std::mt19937_64 rng(17);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  const std::vector<std::string> tags = {"vlan", "vlan 100", "vlan 7", "vlan 10",
                                         "mpls", "mpls 16",  "mpls 17"};
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const int k = static_cast<int>(rng() % (depth > 0 ? 10 : 7));
    const char* dirs[] = {"", "src ", "dst ", "src and dst "};
    switch (k) {
      case 0:
        return std::string(dirs[rng() % 4]) + "host " + pick(b.hosts);
      case 1:
        return std::string(dirs[rng() % 4]) + "port " + pick(b.ports);
      case 2:
        return std::vector<std::string>{"tcp", "udp", "icmp", "ip", "ip6"}[rng() % 5];
      case 3: {
        std::string h = pick(b.hosts);
        return "net " + h + (h.find(':') != std::string::npos ? "/120" : "/24");
      }
      case 4:
        return "tcp port " + pick(b.ports);
      case 5:
      case 6:
        return pick(tags);
      case 7:
        return "not " + gen(depth - 1);
      case 8:
        return "(" + gen(depth - 1) + " and " + gen(depth - 1) + ")";
      default:
        return "(" + gen(depth - 1) + " or " + gen(depth - 1) + ")";
    }
  };
  const std::vector<std::string> prefixes = {"",
                                             "",
                                             "vlan and ",
                                             "vlan and vlan and ",
                                             "mpls and ",
                                             "mpls and mpls and ",
                                             "vlan and mpls and ",
                                             "vlan and vlan and mpls and mpls and ",
                                             "vlan 100 and "};
  int tested = 0, judged_false = 0, tagged_false = 0, cut_false = 0;
  for (int iter = 0; iter < 400; ++iter) {
    const std::string expr = pick(prefixes) + gen(3);
    std::string why;
    auto e = ParseIndexableFilter(expr, &why);
    if (!e) {
      // Only `vlan` after `mpls` (libpcap refuses it too) falls outside.
      ASSERT_EQ(why, "vlan after mpls") << expr;
      continue;
    }
    QueryFilter bpf(expr);
    if (!bpf.Prepare(kLinkEthernet).ok()) continue;
    ++tested;
    auto cand = SelectCandidates(b.index, e, TimeRange{});
    auto from_file = SelectCandidates(**fview, e, TimeRange{});
    auto judged_all = SelectCandidates(*bare_view, e, TimeRange{});
    ASSERT_TRUE(cand.ok() && from_file.ok() && judged_all.ok()) << expr;
    ASSERT_EQ(from_file->offsets, judged_all->offsets) << expr;
    ASSERT_EQ(cand->offsets, judged_all->offsets) << expr;
    const std::set<uint64_t> cset(cand->offsets.begin(), cand->offsets.end());
    bool any_match = false;
    for (const Pkt& p : b.packets) {
      const bool m = bpf.Matches(kLinkEthernet, static_cast<uint32_t>(p.bytes.size()), p.wirelen,
                                 p.bytes.data());
      const ConnRecord& r = *rec_of.at(p.offset);
      const Tri t = EvalOnRecord(*e, r);
      any_match = any_match || m;
      if (m) {
        ASSERT_NE(t, Tri::kFalse) << expr << ": " << p.what;
        ASSERT_TRUE(cset.count(p.offset)) << expr << ": " << p.what << " not a candidate";
      }
      // True is exact for whole packets (a cut one may read past its bytes).
      if (t == Tri::kTrue && p.bytes.size() == p.wirelen) {
        ASSERT_TRUE(m) << expr << ": " << p.what;
      }
      if (t == Tri::kFalse) {
        ++judged_false;
        if (r.vlan_depth() + r.mpls_depth() > 0) ++tagged_false;
        if (p.bytes.size() < p.wirelen) ++cut_false;
      }
    }
    if (EvalOnSummary(*e, sum) == Tri::kFalse) {
      EXPECT_FALSE(any_match) << expr;
    }
  }
  EXPECT_GT(tested, 300);
  EXPECT_GT(tagged_false, judged_false / 10);
  EXPECT_GT(cut_false, judged_false / 10);
}

TEST(PlannerTags, ParsesTagContexts) {
  std::string why;
  auto e = ParseIndexableFilter("host 10.0.0.1 or vlan 100 and mpls and (tcp or vlan)", &why);
  EXPECT_FALSE(e.has_value());
  EXPECT_EQ(why, "vlan after mpls");
  e = ParseIndexableFilter("host 10.0.0.1 or vlan 100 and (mpls 16 or port 80) and tcp", &why);
  ASSERT_TRUE(e.has_value()) << why;
  EXPECT_EQ(e->ToString(), "(((host 10.0.0.1 or vlan 100) and (mpls 16 or port 80)) and tcp)");
  // Each primitive carries the vlan/mpls keywords before it in the text.
  const FilterExpr& host = e->kids[0].kids[0].kids[0];
  const FilterExpr& vlan = e->kids[0].kids[0].kids[1];
  const FilterExpr& mpls = e->kids[0].kids[1].kids[0];
  const FilterExpr& port = e->kids[0].kids[1].kids[1];
  const FilterExpr& tcp = e->kids[1];
  EXPECT_EQ(host.vlans_before + host.mpls_before, 0);
  EXPECT_EQ(vlan.vlans_before + vlan.mpls_before, 0);
  EXPECT_TRUE(vlan.has_tag_id);
  EXPECT_EQ(vlan.tag_id, 100u);
  EXPECT_EQ(mpls.vlans_before, 1);
  EXPECT_EQ(mpls.mpls_before, 0);
  EXPECT_EQ(port.vlans_before, 1);
  EXPECT_EQ(port.mpls_before, 1);
  EXPECT_EQ(tcp.vlans_before, 1);
  EXPECT_EQ(tcp.mpls_before, 1);
  EXPECT_FALSE(ParseIndexableFilter("vlan 4096", &why).has_value());
  EXPECT_FALSE(ParseIndexableFilter("vlan 100 or 200", &why).has_value());
}

}  // namespace
}  // namespace trove
