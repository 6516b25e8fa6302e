// The scheduler of `trove synth`: Poisson flow arrivals, a min-heap of
// active flows keyed by (next packet time, flow serial), stop conditions,
// and the pcap file front end.

#include "synth/synth.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <vector>

#include "packet/link_type.h"
#include "segment/capture_output.h"
#include "synth/flow.h"

namespace trove::synth {
namespace {

constexpr uint64_t kArrivalStream = ~uint64_t{0};
constexpr uint64_t kSpecStreamBit = uint64_t{1} << 63;

struct KindWeight {
  FlowKind kind;
  uint32_t weight;  // per mille
};
// Roughly an enterprise edge: mostly TLS, a good deal of DNS.
constexpr KindWeight kMix[] = {
    {FlowKind::kHttps, 540}, {FlowKind::kHttp, 80},    {FlowKind::kHttpAlt, 10},
    {FlowKind::kImaps, 20},  {FlowKind::kSsh, 30},     {FlowKind::kSmtp, 20},
    {FlowKind::kDnsTcp, 10}, {FlowKind::kDnsUdp, 210}, {FlowKind::kNtp, 30},
    {FlowKind::kPing, 50},
};

Role RoleOf(FlowKind k) {
  switch (k) {
    case FlowKind::kImaps:
    case FlowKind::kSmtp:
      return Role::kMail;
    case FlowKind::kSsh:
      return Role::kSsh;
    case FlowKind::kDnsTcp:
    case FlowKind::kDnsUdp:
      return Role::kDns;
    case FlowKind::kNtp:
      return Role::kNtp;
    default:
      return Role::kWeb;
  }
}

struct Active {
  uint64_t ts;
  uint64_t serial;
  Flow* flow;
  bool operator<(const Active& o) const { return ts != o.ts ? ts < o.ts : serial < o.serial; }
};

// Binary min-heap of active flows keyed by (next packet time, serial). The
// hot path re-keys the top after each packet with one sift-down instead of
// a pop + push. Owns the flows.
class ActiveHeap {
 public:
  ~ActiveHeap() {
    for (Active& a : v_) delete a.flow;
  }
  bool empty() const { return v_.empty(); }
  const Active& top() const { return v_[0]; }
  void Push(std::unique_ptr<Flow> f, uint64_t serial) {
    v_.push_back(Active{f->next_ts(), serial, f.release()});
    size_t i = v_.size() - 1;
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!(v_[i] < v_[parent])) break;
      std::swap(v_[i], v_[parent]);
      i = parent;
    }
  }
  // The top flow's next_ts() changed (it may be kNever: then it is removed).
  void UpdateTop() {
    if (v_[0].flow->next_ts() == kNever) {
      delete v_[0].flow;
      v_[0] = v_.back();
      v_.pop_back();
      if (v_.empty()) return;
    } else {
      v_[0].ts = v_[0].flow->next_ts();
    }
    const size_t n = v_.size();
    size_t i = 0;
    for (;;) {
      const size_t l = 2 * i + 1, r = l + 1;
      size_t m = i;
      if (l < n && v_[l] < v_[m]) m = l;
      if (r < n && v_[r] < v_[m]) m = r;
      if (m == i) break;
      std::swap(v_[i], v_[m]);
      i = m;
    }
  }

 private:
  std::vector<Active> v_;
};

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

const char* FlowKindName(FlowKind k) {
  switch (k) {
    case FlowKind::kHttps:
      return "https";
    case FlowKind::kImaps:
      return "imaps";
    case FlowKind::kHttp:
      return "http";
    case FlowKind::kHttpAlt:
      return "http-alt";
    case FlowKind::kSsh:
      return "ssh";
    case FlowKind::kSmtp:
      return "smtp";
    case FlowKind::kDnsTcp:
      return "dns-tcp";
    case FlowKind::kDnsUdp:
      return "dns";
    case FlowKind::kNtp:
      return "ntp";
    case FlowKind::kPing:
      return "ping";
  }
  return "?";
}

bool FlowKindIsTcp(FlowKind k) {
  return k != FlowKind::kDnsUdp && k != FlowKind::kNtp && k != FlowKind::kPing;
}

const char* StopReasonName(StopReason r) {
  switch (r) {
    case StopReason::kNone:
      return "none";
    case StopReason::kPackets:
      return "packets";
    case StopReason::kFileBytes:
      return "bytes";
    case StopReason::kDuration:
      return "duration";
    case StopReason::kConnections:
      return "connections";
    case StopReason::kSink:
      return "sink";
  }
  return "?";
}

FlowSpec DrawFlowSpec(const FlowContext& ctx, uint64_t serial, uint64_t start_ns) {
  Rng rng(ctx.seed, serial | kSpecStreamBit);
  FlowSpec s;
  s.serial = serial;
  s.start_ns = start_ns;
  uint64_t w = rng.Below(1000);
  for (const KindWeight& kw : kMix) {
    if (w < kw.weight) {
      s.kind = kw.kind;
      break;
    }
    w -= kw.weight;
  }
  s.v6 = rng.ChanceQ53(ctx.ipv6_q53);
  s.client = ctx.net->PickClient(rng);
  s.server = ctx.net->PickServer(rng, RoleOf(s.kind));
  return s;
}

std::unique_ptr<Flow> MakeFlow(const FlowContext& ctx, const FlowSpec& spec) {
  switch (spec.kind) {
    case FlowKind::kDnsUdp:
      return MakeDnsUdpFlow(ctx, spec);
    case FlowKind::kNtp:
      return MakeNtpFlow(ctx, spec);
    case FlowKind::kPing:
      return MakePingFlow(ctx, spec);
    default:
      return MakeTcpFlow(ctx, spec);
  }
}

Status ValidateOptions(const SynthOptions& o) {
  if (o.hosts < 1 || o.hosts > Network::kMaxClients) {
    return Status::InvalidArgument("--hosts must be in 1.." + std::to_string(Network::kMaxClients));
  }
  if (o.servers < 1 || o.servers > Network::kMaxServers) {
    return Status::InvalidArgument("--servers must be in 1.." +
                                   std::to_string(Network::kMaxServers));
  }
  if (!(o.ipv6_fraction >= 0 && o.ipv6_fraction <= 1)) {
    return Status::InvalidArgument("--ipv6-fraction must be in [0, 1]");
  }
  if (!(o.rate > 0 && o.rate <= 1e7)) {
    return Status::InvalidArgument("--rate must be in (0, 10000000] flows per second");
  }
  if (!(o.pareto_alpha > 0 && o.pareto_alpha <= 100)) {
    return Status::InvalidArgument("--pareto-alpha must be in (0, 100]");
  }
  if (o.pareto_min < 1 || o.pareto_cap < o.pareto_min || o.pareto_cap > (uint64_t{1} << 40)) {
    return Status::InvalidArgument(
        "--pareto-min must be >= 1 and <= --pareto-cap, and --pareto-cap <= 1 TiB");
  }
  if (o.max_packets == 0 && o.max_file_bytes == 0 && o.max_duration_ns == 0 &&
      o.max_connections == 0) {
    return Status::InvalidArgument(
        "no limit: set one of --packets, --bytes, --duration or --connections");
  }
  if (o.max_file_bytes != 0 && o.max_file_bytes < 24) {
    return Status::InvalidArgument("--bytes must be at least 24 (the pcap file header)");
  }
  if (o.max_duration_ns != 0 && o.start_ns + o.max_duration_ns < o.start_ns) {
    return Status::InvalidArgument("--start + --duration overflows");
  }
  return Status::Ok();
}

Status Synthesize(const SynthOptions& opts, const PacketSink& sink, SynthStats* stats_out) {
  TROVE_RETURN_IF_ERROR(ValidateOptions(opts));
  SynthStats local;
  SynthStats& st = stats_out ? *stats_out : local;
  st = SynthStats();
  st.file_bytes = 24;

  Network net(opts.hosts, opts.servers);
  const ContentPools pools(opts.seed);
  FlowContext ctx;
  ctx.seed = opts.seed;
  ctx.pareto_alpha_q32 = ToQ32(opts.pareto_alpha);
  ctx.pareto_min = opts.pareto_min;
  ctx.pareto_cap = opts.pareto_cap;
  ctx.ipv6_q53 = ProbabilityQ53(opts.ipv6_fraction);
  ctx.net = &net;
  ctx.pools = &pools;

  Rng arrivals(opts.seed, kArrivalStream);
  // Mean inter-arrival in ns (IEEE division is exact-rounded: deterministic).
  const uint64_t mean_gap =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(1e9 / opts.rate)));
  const uint64_t end_ts = opts.max_duration_ns ? opts.start_ns + opts.max_duration_ns : kNever;
  uint64_t next_arrival = opts.start_ns;
  bool arrivals_open = next_arrival < end_ts;
  uint64_t serial = 0;

  ActiveHeap heap;
  uint8_t buf[kMaxFrame];
  PacketRef ref;
  ref.linktype = 1;
  ref.data = buf;

  for (;;) {
    if (arrivals_open && (heap.empty() || next_arrival <= heap.top().ts)) {
      const FlowSpec spec = DrawFlowSpec(ctx, serial, next_arrival);
      std::unique_ptr<Flow> flow = MakeFlow(ctx, spec);
      ++st.flows;
      ++st.flows_by_kind[FlowKindName(spec.kind)];
      if (spec.v6) ++st.ipv6_flows;
      if (flow->next_ts() != kNever) heap.Push(std::move(flow), serial);
      ++serial;
      next_arrival += 1 + arrivals.Exponential(mean_gap);
      if ((opts.max_connections && serial >= opts.max_connections) || next_arrival >= end_ts) {
        arrivals_open = false;
      }
      continue;
    }
    if (heap.empty()) {
      st.stop = opts.max_connections ? StopReason::kConnections : StopReason::kDuration;
      break;
    }
    if (heap.top().ts >= end_ts) {
      st.stop = StopReason::kDuration;
      break;
    }
    Flow* flow = heap.top().flow;
    uint64_t ts = 0;
    const size_t len = flow->Emit(buf, &ts);
    if (opts.max_file_bytes && st.file_bytes + 16 + len > opts.max_file_bytes) {
      st.stop = StopReason::kFileBytes;
      break;
    }
    ref.ts_ns = static_cast<int64_t>(ts);
    ref.caplen = ref.wirelen = static_cast<uint32_t>(len);
    if (st.packets == 0) st.first_ts_ns = ts;
    st.last_ts_ns = ts;
    ++st.packets;
    st.frame_bytes += len;
    st.file_bytes += 16 + len;
    Status s = sink(ref);
    if (!s.ok()) {
      st.stop = StopReason::kSink;
      return s;
    }
    if (flow->next_ts() == kNever && flow->reset()) ++st.tcp_resets;
    heap.UpdateTop();
    if (opts.max_packets && st.packets >= opts.max_packets) {
      st.stop = StopReason::kPackets;
      break;
    }
  }
  return Status::Ok();
}

Status WritePcap(const SynthOptions& opts, const std::string& path, SynthStats* stats,
                 const ProgressFn& progress) {
  TROVE_RETURN_IF_ERROR(ValidateOptions(opts));
  SynthStats local;
  SynthStats* st = stats ? stats : &local;
  CaptureOutputOptions co;
  co.nanosecond = opts.nanosecond_pcap;
  TROVE_ASSIGN_OR_RETURN(auto w,
                         CaptureOutput::Open(path, CaptureFormat::kPcap, {kLinkEthernet}, co));
  uint64_t n = 0;
  Status s = Synthesize(
      opts,
      [&](const PacketRef& p) -> Status {
        TROVE_RETURN_IF_ERROR(w->Write(kLinkEthernet, p.ts_ns, p.caplen, p.caplen, p.data));
        if (progress && (++n & 8191) == 0) progress(*st);
        return Status::Ok();
      },
      st);
  Status c = w->Close();
  if (!s.ok()) return s;
  if (progress) progress(*st);
  return c;
}

Result<uint64_t> ParseStartTime(const std::string& s) {
  if (s.empty()) return Status::InvalidArgument("--start: empty");
  if (std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (s.size() > 19) return Status::InvalidArgument("--start: epoch nanoseconds out of range");
    return static_cast<uint64_t>(std::stoull(s));
  }
  // YYYY-MM-DDTHH:MM:SS[.fffffffff]Z
  auto num = [&](size_t at, size_t n, unsigned* out) {
    if (at + n > s.size()) return false;
    unsigned v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    *out = v;
    return true;
  };
  unsigned y, mo, d, h, mi, se;
  const bool shape = s.size() >= 20 && s[4] == '-' && s[7] == '-' &&
                     (s[10] == 'T' || s[10] == ' ') && s[13] == ':' && s[16] == ':' &&
                     s.back() == 'Z';
  if (!shape || !num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) ||
      !num(14, 2, &mi) || !num(17, 2, &se) || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
      h > 23 || mi > 59 || se > 60) {
    return Status::InvalidArgument(
        "--start: expected YYYY-MM-DDTHH:MM:SS[.fraction]Z or epoch ns, got '" + s + "'");
  }
  uint64_t frac_ns = 0;
  size_t at = 19;
  if (s[at] == '.') {
    uint64_t scale = 100'000'000;
    for (++at; at + 1 < s.size(); ++at) {
      if (!std::isdigit(static_cast<unsigned char>(s[at]))) {
        return Status::InvalidArgument("--start: bad fraction in '" + s + "'");
      }
      frac_ns += static_cast<uint64_t>(s[at] - '0') * scale;
      scale /= 10;
    }
  }
  if (at + 1 != s.size()) return Status::InvalidArgument("--start: trailing text in '" + s + "'");
  const int64_t days = DaysFromCivil(y, mo, d);
  const uint64_t secs = static_cast<uint64_t>(days) * 86400 + h * 3600 + mi * 60 + se;
  if (secs > 18'000'000'000ull) return Status::InvalidArgument("--start: out of range");
  return secs * 1'000'000'000 + frac_ns;
}

}  // namespace trove::synth
