// UDP flows of `trove synth`: DNS lookups (A, AAAA, or both back to back
// like glibc, against a resolver near the tap) and NTPv4 client polls.

#include <algorithm>
#include <cstring>

#include "synth/flow.h"
#include "synth/packet_builder.h"

namespace trove::synth {

void PrebuiltFlow::Add(uint64_t ts, const uint8_t* frame, size_t len) {
  pkts_.push_back(Pkt{ts, static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(len)});
  bytes_.insert(bytes_.end(), frame, frame + len);
}

void PrebuiltFlow::Seal() {
  std::stable_sort(pkts_.begin(), pkts_.end(),
                   [](const Pkt& a, const Pkt& b) { return a.ts < b.ts; });
  next_ = 0;
  next_ts_ = pkts_.empty() ? kNever : pkts_[0].ts;
}

size_t PrebuiltFlow::Emit(uint8_t* buf, uint64_t* ts) {
  const Pkt p = pkts_[next_++];  // a copy: the last Emit frees pkts_
  *ts = p.ts;
  std::memcpy(buf, bytes_.data() + p.off, p.len);
  next_ts_ = next_ < pkts_.size() ? pkts_[next_].ts : kNever;
  if (next_ts_ == kNever) {
    pkts_.clear();
    pkts_.shrink_to_fit();
    bytes_.clear();
    bytes_.shrink_to_fit();
  }
  return p.len;
}

namespace {

IpParams Ip(const Host& src, const Host& dst, bool v6, Rng& rng) {
  IpParams ip;
  ip.v6 = v6;
  ip.src_mac = src.mac;
  ip.dst_mac = dst.mac;
  ip.src4 = src.v4;
  ip.dst4 = dst.v4;
  ip.src6 = src.v6;
  ip.dst6 = dst.v6;
  ip.ttl = src.ttl;
  ip.ip_id = static_cast<uint16_t>(rng.Next());
  ip.dont_fragment = false;
  ip.flow_label = static_cast<uint32_t>(rng.Next()) & 0xFFFFF;
  return ip;
}

std::string Addr(const Host& h, bool v6) {
  if (v6) return std::string(reinterpret_cast<const char*>(h.v6), 16);
  const char b[4] = {static_cast<char>(h.v4 >> 24), static_cast<char>((h.v4 >> 16) & 0xFF),
                     static_cast<char>((h.v4 >> 8) & 0xFF), static_cast<char>(h.v4 & 0xFF)};
  return std::string(b, 4);
}

uint16_t RandomEphemeral(Rng& rng) { return static_cast<uint16_t>(rng.Range(32768, 60999)); }

}  // namespace

void DrawDnsExchange(const FlowContext& ctx, Rng& rng, std::string* query, std::string* response) {
  const Network& net = *ctx.net;
  const uint16_t id = static_cast<uint16_t>(rng.Next());
  const bool aaaa = rng.Chance(4, 10);
  const uint16_t qtype = aaaa ? kDnsAAAA : kDnsA;
  DnsAnswer a;
  std::string name;
  if (rng.Chance(5, 100)) {  // a name that does not exist
    static constexpr const char* kMiss[] = {"wpad",     "_ldap._tcp.dc", "printer",
                                            "intranet", "isatap",        "old-portal"};
    a.nxdomain = true;
    a.zone = "corp.example.net";
    name = std::string(kMiss[rng.Below(6)]) + "." + a.zone;
  } else {
    const uint64_t r = rng.Below(100);
    const Role role = r < 85 ? Role::kWeb : (r < 95 ? Role::kMail : Role::kSsh);
    const uint32_t j = net.PickServer(rng, role);
    name = net.ServerName(j);
    a.ttl = static_cast<uint32_t>(rng.Range(30, 3600));
    if (role == Role::kWeb && rng.Chance(25, 100)) {
      a.cname = "edge-" + std::to_string(j % 97) + ".cdn.example.net";
    }
    a.addrs.push_back(Addr(net.Server(j), aaaa));
    if (!a.cname.empty() && rng.Chance(1, 2)) {
      a.addrs.push_back(Addr(net.Server(net.PickServer(rng, Role::kWeb)), aaaa));
    }
  }
  *query = DnsQuery(id, name, qtype);
  *response = DnsResponse(id, name, qtype, a);
}

std::unique_ptr<Flow> MakeDnsUdpFlow(const FlowContext& ctx, const FlowSpec& spec) {
  Rng rng(ctx.seed, spec.serial);
  auto flow = std::make_unique<PrebuiltFlow>();
  const Host client = ctx.net->Client(spec.client);
  const Host server = ctx.net->Server(spec.server);
  const uint16_t sport = RandomEphemeral(rng);
  const uint64_t rtt = std::max<uint64_t>(400'000, server.rtt_ns / 12);  // resolvers are near
  const int queries = rng.Chance(1, 2) ? 2 : 1;
  uint8_t buf[kMaxFrame];
  uint64_t t = spec.start_ns;
  for (int i = 0; i < queries; ++i) {
    std::string q, r;
    DrawDnsExchange(ctx, rng, &q, &r);
    const size_t off = UdpPayloadOffset(spec.v6);
    std::memcpy(buf + off, q.data(), q.size());
    size_t n = BuildUdpFrame(buf, Ip(client, server, spec.v6, rng), sport, 53, q.size());
    flow->Add(t, buf, n);
    const uint64_t proc =
        rng.Chance(8, 10) ? rng.Range(30'000, 200'000) : rng.LogUniform(5'000'000, 80'000'000);
    std::memcpy(buf + off, r.data(), r.size());
    n = BuildUdpFrame(buf, Ip(server, client, spec.v6, rng), 53, sport, r.size());
    flow->Add(t + rtt + proc, buf, n);
    t += rng.Range(20'000, 300'000);
  }
  flow->Seal();
  return flow;
}

std::unique_ptr<Flow> MakeNtpFlow(const FlowContext& ctx, const FlowSpec& spec) {
  Rng rng(ctx.seed, spec.serial);
  auto flow = std::make_unique<PrebuiltFlow>();
  const Host client = ctx.net->Client(spec.client);
  const Host server = ctx.net->Server(spec.server);
  const uint16_t sport = RandomEphemeral(rng);
  uint8_t buf[kMaxFrame];
  const size_t off = UdpPayloadOffset(spec.v6);
  const uint64_t t0 = spec.start_ns;
  NtpRequest(buf + off, t0);
  uint8_t req[kNtpLen];
  std::memcpy(req, buf + off, kNtpLen);
  flow->Add(t0, buf, BuildUdpFrame(buf, Ip(client, server, spec.v6, rng), sport, 123, kNtpLen));
  const uint64_t recv = t0 + server.rtt_ns / 2, xmit = recv + rng.Range(10'000, 40'000);
  NtpResponse(buf + off, req, recv, xmit, 0xCB00717B /* 203.0.113.123 */);
  flow->Add(xmit + server.rtt_ns / 2, buf,
            BuildUdpFrame(buf, Ip(server, client, spec.v6, rng), 123, sport, kNtpLen));
  flow->Seal();
  return flow;
}

}  // namespace trove::synth
