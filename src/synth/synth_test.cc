// In-memory properties of Synthesize(): determinism, limits, ordering, TCP
// sequence/ack consistency (checked by an independent frame parser here),
// the heavy tail of connection sizes and the address-family mix.

#include "synth/synth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace trove::synth {
namespace {

struct Pkt {
  uint64_t ts = 0;
  size_t len = 0;
  bool v6 = false;
  uint8_t proto = 0;
  std::string src, dst;  // raw address bytes
  uint16_t sport = 0, dport = 0;
  uint8_t flags = 0;
  uint32_t seq = 0, ack = 0;
  uint32_t payload = 0;
};

uint16_t U16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t U32(const uint8_t* p) { return (uint32_t{U16(p)} << 16) | U16(p + 2); }

// Parses Ethernet/IPv4|IPv6/TCP|UDP|ICMP the plain way; fails the test on
// anything inconsistent.
Pkt Parse(const PacketRef& r) {
  Pkt k;
  k.ts = static_cast<uint64_t>(r.ts_ns);
  k.len = r.caplen;
  EXPECT_EQ(r.caplen, r.wirelen);
  EXPECT_GE(r.caplen, 60u);
  EXPECT_LE(r.caplen, 1514u);
  const uint8_t* d = r.data;
  const uint16_t et = U16(d + 12);
  size_t l4, ip_end;
  if (et == 0x0800) {
    EXPECT_EQ(d[14], 0x45);
    k.proto = d[23];
    k.src.assign(reinterpret_cast<const char*>(d + 26), 4);
    k.dst.assign(reinterpret_cast<const char*>(d + 30), 4);
    l4 = 34;
    ip_end = 14 + U16(d + 16);
  } else {
    EXPECT_EQ(et, 0x86DD);
    k.v6 = true;
    k.proto = d[20];
    k.src.assign(reinterpret_cast<const char*>(d + 22), 16);
    k.dst.assign(reinterpret_cast<const char*>(d + 38), 16);
    l4 = 54;
    ip_end = 54 + U16(d + 18);
  }
  EXPECT_LE(ip_end, r.caplen);
  if (ip_end < 60) {
    EXPECT_EQ(r.caplen, 60u);
  }
  if (ip_end >= 60) {
    EXPECT_EQ(ip_end, r.caplen);
  }
  if (k.proto == 6 || k.proto == 17) {
    k.sport = U16(d + l4);
    k.dport = U16(d + l4 + 2);
  }
  if (k.proto == 6) {
    k.seq = U32(d + l4 + 4);
    k.ack = U32(d + l4 + 8);
    k.flags = d[l4 + 13];
    k.payload = static_cast<uint32_t>(ip_end - l4 - (d[l4 + 12] >> 4) * 4);
  }
  return k;
}

std::string ConnKey(const Pkt& p) {
  const bool fwd = std::make_pair(p.src, p.sport) < std::make_pair(p.dst, p.dport);
  const std::string a = p.src + char(p.sport >> 8) + char(p.sport & 0xFF);
  const std::string b = p.dst + char(p.dport >> 8) + char(p.dport & 0xFF);
  return fwd ? a + b : b + a;
}

uint64_t Fnv(uint64_t h, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

uint64_t HashRun(const SynthOptions& o, SynthStats* st = nullptr) {
  uint64_t h = 0xcbf29ce484222325ull;
  Status s = Synthesize(
      o,
      [&](const PacketRef& r) {
        h = Fnv(h, &r.ts_ns, sizeof(r.ts_ns));
        h = Fnv(h, r.data, r.caplen);
        return Status::Ok();
      },
      st);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return h;
}

std::vector<Pkt> Collect(const SynthOptions& o, SynthStats* st) {
  std::vector<Pkt> v;
  Status s = Synthesize(
      o,
      [&](const PacketRef& r) {
        v.push_back(Parse(r));
        return Status::Ok();
      },
      st);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return v;
}

SynthOptions Packets(uint64_t n, uint64_t seed = 1) {
  SynthOptions o;
  o.seed = seed;
  o.max_packets = n;
  return o;
}

TEST(Synthesize, SameSeedSameBytesOtherSeedOtherBytes) {
  const uint64_t a = HashRun(Packets(20'000, 1));
  EXPECT_EQ(a, HashRun(Packets(20'000, 1)));
  EXPECT_NE(a, HashRun(Packets(20'000, 2)));
  SynthOptions o = Packets(20'000, 1);
  o.hosts = 999;
  EXPECT_NE(a, HashRun(o));
}

// Guards "byte-identical on any machine": if this fails on a new platform
// the generator is not deterministic there; if it fails after an intended
// change of the traffic model, update the constant.
TEST(Synthesize, GoldenHash) {
  SynthStats st;
  const uint64_t h = HashRun(Packets(3000, 1), &st);
  EXPECT_EQ(st.packets, 3000u);
  EXPECT_EQ(h, 0xda6bb1b13982bf28ull) << std::hex << "got 0x" << h;
}

TEST(Synthesize, OrderedTimestampsAndConsistentStats) {
  SynthStats st;
  SynthOptions o = Packets(30'000);
  const std::vector<Pkt> v = Collect(o, &st);
  ASSERT_EQ(v.size(), 30'000u);
  EXPECT_EQ(st.stop, StopReason::kPackets);
  uint64_t prev = o.start_ns, bytes = 0;
  for (const Pkt& p : v) {
    EXPECT_GE(p.ts, prev);
    prev = p.ts;
    bytes += p.len;
  }
  EXPECT_EQ(v.front().ts, o.start_ns) << "the first flow starts at --start";
  EXPECT_EQ(st.first_ts_ns, v.front().ts);
  EXPECT_EQ(st.last_ts_ns, v.back().ts);
  EXPECT_EQ(st.frame_bytes, bytes);
  EXPECT_EQ(st.file_bytes, 24 + 16 * st.packets + bytes);
  uint64_t kinds = 0;
  for (const auto& [k, n] : st.flows_by_kind) kinds += n;
  EXPECT_EQ(kinds, st.flows);
  for (const char* k : {"https", "http", "ssh", "smtp", "dns", "ntp", "ping"}) {
    EXPECT_GT(st.flows_by_kind[k], 0u) << k;
  }
}

TEST(Synthesize, FileByteLimitWithinOnePacket) {
  SynthOptions o;
  o.max_file_bytes = 3'000'000;
  SynthStats st;
  HashRun(o, &st);
  EXPECT_EQ(st.stop, StopReason::kFileBytes);
  EXPECT_LE(st.file_bytes, 3'000'000u);
  EXPECT_GT(st.file_bytes, 3'000'000u - 16 - 1514);
}

TEST(Synthesize, DurationLimit) {
  SynthOptions o;
  o.max_duration_ns = 1'500'000'000;
  SynthStats st;
  const std::vector<Pkt> v = Collect(o, &st);
  EXPECT_EQ(st.stop, StopReason::kDuration);
  ASSERT_FALSE(v.empty());
  EXPECT_LT(v.back().ts, o.start_ns + o.max_duration_ns);
  EXPECT_GT(v.back().ts, o.start_ns + o.max_duration_ns - 50'000'000);
  // Poisson arrivals at 200/s over 1.5 s.
  EXPECT_NEAR(static_cast<double>(st.flows), 300.0, 60.0);
}

// Every flow runs to completion: each TCP connection shows the handshake and
// a FIN exchange (or an RST); sequence and ack numbers are exact.
TEST(Synthesize, ConnectionsRunToCompletionWithExactSequenceNumbers) {
  SynthOptions o;
  o.max_connections = 400;
  o.pareto_cap = 200'000;  // keep the test small
  SynthStats st;
  const std::vector<Pkt> v = Collect(o, &st);
  EXPECT_EQ(st.stop, StopReason::kConnections);
  EXPECT_EQ(st.flows, 400u);

  struct Dir {
    bool seen = false;
    uint32_t next = 0;  // next expected sequence number
    uint32_t last_ack = 0;
    bool acked = false;
    int fins = 0, syns = 0, rsts = 0;
  };
  struct Conn {
    std::string client;
    Dir d[2];  // 0 = client -> server
    bool synack = false, final_ack = false;
  };
  std::map<std::string, Conn> conns;
  int udp = 0, icmp = 0;
  for (const Pkt& p : v) {
    if (p.proto == 17) ++udp;
    if (p.proto == 1 || p.proto == 58) ++icmp;
    if (p.proto != 6) continue;
    Conn& c = conns[ConnKey(p)];
    const bool syn = p.flags & 0x02, ackf = p.flags & 0x10, fin = p.flags & 0x01,
               rst = p.flags & 0x04;
    if (syn && !ackf) {
      ASSERT_TRUE(c.client.empty()) << "one SYN per connection (no port reuse)";
      c.client = p.src + char(p.sport >> 8) + char(p.sport & 0xFF);
    }
    ASSERT_FALSE(c.client.empty()) << "a connection starts with a SYN";
    const int dir = (p.src + char(p.sport >> 8) + char(p.sport & 0xFF)) == c.client ? 0 : 1;
    Dir& me = c.d[dir];
    Dir& peer = c.d[1 - dir];
    if (syn) {
      ASSERT_FALSE(me.seen);
      me.seen = true;
      me.next = p.seq + 1;
      ++me.syns;
      if (dir == 1) {
        c.synack = true;
        EXPECT_TRUE(ackf);
      }
    } else {
      ASSERT_TRUE(me.seen);
      EXPECT_EQ(p.seq, me.next) << "no gaps, overlaps or retransmissions";
      me.next += p.payload + (fin ? 1 : 0);
      me.fins += fin;
      me.rsts += rst;
      if (!fin && !rst && p.payload == 0) {
        EXPECT_TRUE(!me.acked || p.ack != me.last_ack) << "no duplicate pure ACKs";
        if (c.d[0].fins == 1 && c.d[1].fins == 1) c.final_ack = true;
      }
    }
    if (ackf) {
      ASSERT_TRUE(peer.seen);
      EXPECT_LT(peer.next - p.ack, 0x80000000u) << "acks only data seen";
      if (me.acked) {
        EXPECT_LT(p.ack - me.last_ack, 0x80000000u) << "acks never go backwards";
      }
      me.last_ack = p.ack;
      me.acked = true;
    }
  }
  uint64_t tcp_flows = 0;
  for (const auto& [k, n] : st.flows_by_kind) {
    if (k != "dns" && k != "ntp" && k != "ping") tcp_flows += n;
  }
  EXPECT_EQ(conns.size(), tcp_flows);
  int resets = 0;
  for (const auto& [k, c] : conns) {
    EXPECT_TRUE(c.synack);
    const int rsts = c.d[0].rsts + c.d[1].rsts;
    if (rsts) {
      ++resets;
      EXPECT_EQ(rsts, 1);
      EXPECT_EQ(c.d[0].fins + c.d[1].fins, 0);
    } else {
      EXPECT_EQ(c.d[0].fins, 1);
      EXPECT_EQ(c.d[1].fins, 1);
      EXPECT_TRUE(c.final_ack) << "the last FIN is acknowledged";
    }
  }
  EXPECT_EQ(static_cast<uint64_t>(resets), st.tcp_resets);
  EXPECT_LT(resets, static_cast<int>(conns.size()) / 10);
  EXPECT_GT(udp, 0);
  EXPECT_GT(icmp, 0);
}

// Over 5000 flows, the biggest 15% of TCP connections carry > 80% of bytes.
TEST(Synthesize, ConnectionSizesAreHeavyTailed) {
  SynthOptions o;
  o.max_connections = 5000;
  std::map<std::string, uint64_t> bytes;
  SynthStats st;
  Status s = Synthesize(
      o,
      [&](const PacketRef& r) {
        const uint8_t* d = r.data;
        const bool v6 = U16(d + 12) == 0x86DD;
        if (d[v6 ? 20 : 23] != 6) return Status::Ok();
        Pkt p;
        p.src.assign(reinterpret_cast<const char*>(d + (v6 ? 22 : 26)), v6 ? 16 : 4);
        p.dst.assign(reinterpret_cast<const char*>(d + (v6 ? 38 : 30)), v6 ? 16 : 4);
        p.sport = U16(d + (v6 ? 54 : 34));
        p.dport = U16(d + (v6 ? 56 : 36));
        bytes[ConnKey(p)] += r.caplen;
        return Status::Ok();
      },
      &st);
  ASSERT_TRUE(s.ok());
  std::vector<uint64_t> sizes;
  uint64_t total = 0;
  for (const auto& [k, b] : bytes) {
    sizes.push_back(b);
    total += b;
  }
  ASSERT_GT(sizes.size(), 3000u);
  std::sort(sizes.rbegin(), sizes.rend());
  uint64_t top = 0;
  for (size_t i = 0; i < sizes.size() * 15 / 100; ++i) top += sizes[i];
  const double share = static_cast<double>(top) / static_cast<double>(total);
  EXPECT_GT(share, 0.80) << "top 15% of " << sizes.size() << " connections carry " << share;
  EXPECT_LT(share, 0.99);
  EXPECT_LT(sizes.back(), 3000u) << "small connections exist";
}

TEST(Synthesize, Ipv6Fraction) {
  for (double f : {0.0, 0.2, 1.0}) {
    SynthOptions o = Packets(40'000);
    o.ipv6_fraction = f;
    SynthStats st;
    int v6 = 0, n = 0;
    Status s = Synthesize(
        o,
        [&](const PacketRef& r) {
          v6 += U16(r.data + 12) == 0x86DD;
          ++n;
          return Status::Ok();
        },
        &st);
    ASSERT_TRUE(s.ok());
    const double flows6 = static_cast<double>(st.ipv6_flows) / static_cast<double>(st.flows);
    EXPECT_NEAR(flows6, f, 0.04) << st.flows << " flows";
    if (f == 0.0) {
      EXPECT_EQ(v6, 0);
    }
    if (f == 1.0) {
      EXPECT_EQ(v6, n);
    }
  }
}

TEST(Synthesize, SinkErrorStopsGeneration) {
  int n = 0;
  SynthStats st;
  Status s = Synthesize(
      Packets(1000),
      [&](const PacketRef&) { return ++n == 10 ? Status::Internal("enough") : Status::Ok(); }, &st);
  EXPECT_EQ(s.code(), Status::Code::kInternal);
  EXPECT_EQ(n, 10);
  EXPECT_EQ(st.stop, StopReason::kSink);
}

TEST(Synthesize, RejectsBadOptions) {
  auto bad = [](auto mutate) {
    SynthOptions o = Packets(10);
    mutate(o);
    return Synthesize(o, [](const PacketRef&) { return Status::Ok(); }).code();
  };
  const auto kInvalid = Status::Code::kInvalidArgument;
  EXPECT_EQ(bad([](SynthOptions& o) { o.max_packets = 0; }), kInvalid);  // no limit at all
  EXPECT_EQ(bad([](SynthOptions& o) { o.hosts = 0; }), kInvalid);
  EXPECT_EQ(bad([](SynthOptions& o) { o.servers = 200'000; }), kInvalid);
  EXPECT_EQ(bad([](SynthOptions& o) { o.ipv6_fraction = 1.5; }), kInvalid);
  EXPECT_EQ(bad([](SynthOptions& o) { o.rate = 0; }), kInvalid);
  EXPECT_EQ(bad([](SynthOptions& o) { o.pareto_alpha = -1; }), kInvalid);
  EXPECT_EQ(bad([](SynthOptions& o) { o.pareto_min = 0; }), kInvalid);
  EXPECT_EQ(bad([](SynthOptions& o) { o.pareto_cap = 10; }), kInvalid);
  EXPECT_EQ(bad([](SynthOptions& o) { o.max_file_bytes = 10; }), kInvalid);
  EXPECT_EQ(bad([](SynthOptions& o) { o.hosts = 1, o.servers = 1; }), Status::Code::kOk);
}

TEST(Synthesize, ParseStartTime) {
  EXPECT_EQ(ParseStartTime("2026-01-01T00:00:00Z").value(), 1'767'225'600'000'000'000ull);
  EXPECT_EQ(ParseStartTime("1970-01-01T00:00:01.5Z").value(), 1'500'000'000ull);
  EXPECT_EQ(ParseStartTime("2000-02-29T12:34:56.000000001Z").value(), 951'827'696'000'000'001ull);
  EXPECT_EQ(ParseStartTime("123").value(), 123u);
  EXPECT_FALSE(ParseStartTime("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseStartTime("2026-01-01").ok());
  EXPECT_FALSE(ParseStartTime("yesterday").ok());
  EXPECT_FALSE(ParseStartTime("").ok());
}

}  // namespace
}  // namespace trove::synth
