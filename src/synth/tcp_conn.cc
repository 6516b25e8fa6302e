// TCP connections for `trove synth`.
//
// Model (capture point = the clients' edge router): each endpoint has a
// round-trip time to the tap (rtt_[0] client, small; rtt_[1] server, large).
// A packet from X seen at the tap at t reaches the peer Y and Y's reaction
// is seen at the tap at t + rtt_[Y] + Y's turnaround. The flow is a small
// discrete-event simulation over the events not yet emitted:
//   handshake  SYN (MSS, SACK-permitted, timestamps, window scale 7),
//              SYN-ACK, ACK
//   messages   the application script (TLS, HTTP, SSH, SMTP, DNS) is a list
//              of alternating messages; a message is cut into MSS-sized
//              segments sent under a congestion window (initial 10, slow
//              start, capped by 256 segments and the peer's receive window)
//              and paced by a per-connection bottleneck rate; the receiver
//              ACKs every second segment and the message's last segment.
//              The next message starts once every event of the previous one
//              has been emitted (so ACK numbers only grow and no pure ACK
//              repeats: tshark sees no duplicate ACKs or window updates).
//   teardown   FIN from the closer, FIN/ACK (or ACK, then FIN) from the
//              peer, final ACK; 3% of connections end with RST instead.
// Sequence and acknowledgment numbers are exact; nothing is lost or
// reordered, so tshark's TCP analysis finds nothing to flag.

#include <algorithm>
#include <string>
#include <vector>

#include "synth/flow.h"
#include "synth/packet_builder.h"

namespace trove::synth {
namespace {

constexpr uint8_t kWindowScale = 7;
constexpr uint32_t kInitialCwnd = 10;
constexpr uint32_t kMaxCwnd = 256;
constexpr uint64_t kMaxExchanges = 1000;
// Request/response exchanges per connection: P(K >= k) = k^-0.9.
constexpr uint64_t kExchangesBetaQ32 = (uint64_t{9} << 32) / 10;

enum EvType : uint8_t {
  kEvSyn,
  kEvSynAck,
  kEvHsAck,
  kEvData,
  kEvDataAck,
  kEvFin,
  kEvFinAck,  // pure ACK of the closer's FIN (the peer's FIN follows)
  kEvLastAck,
  kEvRst,
};

struct Ev {
  uint64_t ts;
  uint32_t order;
  uint8_t type;
  uint8_t from;   // 0 client, 1 server
  uint8_t flags;  // TCP flags
  uint8_t last;   // data: last segment of the message; FIN: 1 = the reply FIN
  uint32_t seq, ack;
  uint32_t len;  // data: payload bytes; data ACK: segments acknowledged
  uint64_t msg_off;
};

struct EvLater {
  bool operator()(const Ev& a, const Ev& b) const {
    return a.ts != b.ts ? a.ts > b.ts : a.order > b.order;
  }
};

struct Endpoint {
  Host host;
  uint16_t port = 0;
  uint32_t isn = 0, snd_nxt = 0, rcv_nxt = 0;
  uint16_t ip_id = 0;
  uint32_t flow_label = 0;
  uint32_t ts_offset = 0;
  uint32_t ts_recent = 0;  // last TSval seen from the peer
  uint16_t syn_window = 0;
  uint16_t window = 0;  // scaled by 2^kWindowScale after the handshake
  uint16_t mss = 0;
  uint32_t cwnd = kInitialCwnd, cwnd_cap = kMaxCwnd, inflight = 0;
  uint64_t next_free = 0;  // when the bottleneck can take this sender's next frame
  uint32_t pending_segs = 0;
};

enum class Phase : uint8_t { kHandshake, kData, kClosing, kDone };

class TcpFlow final : public Flow {
 public:
  TcpFlow(const FlowContext& ctx, const FlowSpec& spec);
  size_t Emit(uint8_t* buf, uint64_t* ts) override;
  bool reset() const override { return rst_; }

 private:
  void Push(const Ev& e) {
    q_.push_back(e);
    q_.back().order = order_++;
    std::push_heap(q_.begin(), q_.end(), EvLater());
  }
  Ev MakeEv(uint64_t ts, uint8_t type, int from, uint8_t flags) const {
    Ev e{};
    e.ts = ts;
    e.type = type;
    e.from = static_cast<uint8_t>(from);
    e.flags = flags;
    e.seq = ep_[from].snd_nxt;
    e.ack = ep_[from].rcv_nxt;
    return e;
  }
  size_t Build(const Ev& e, uint8_t* buf);
  void AfterEmit(const Ev& e);
  void Advance(const Ev& last);
  void ScheduleData(uint64_t earliest);
  uint64_t Turnaround(int who) { return delta_[who]; }
  // Application script: fills msg_ and quick_ (a protocol step rather than
  // a new request after user think time); false at the end.
  bool NextMessage(uint64_t now);
  void Exchange(bool from_server, BodyKind kind, uint64_t now);
  uint64_t DrawSize() {
    return rng_.Pareto(ctx_.pareto_min, ctx_.pareto_alpha_q32, ctx_.pareto_cap);
  }

  const FlowContext& ctx_;
  FlowSpec spec_;
  Rng rng_;
  Endpoint ep_[2];
  uint64_t rtt_[2] = {};
  uint64_t delta_[2] = {};
  uint64_t ps_per_byte_ = 0;
  uint32_t seg_payload_ = 0;
  std::vector<Ev> q_;
  uint32_t order_ = 0;
  Phase phase_ = Phase::kHandshake;

  Message msg_;
  uint64_t msg_sent_ = 0;
  int sender_ = 0;
  bool quick_ = true;

  int step_ = 0;
  uint64_t exchanges_ = 0;  // messages left in the request/response phase
  std::string client_hello_;
  std::string server_name_;
  int closer_ = 0;
  bool rst_ = false;
  bool split_fin_ = false;
  bool resume_ = false;
};

uint16_t ServerPort(FlowKind k) {
  switch (k) {
    case FlowKind::kHttps:
      return 443;
    case FlowKind::kImaps:
      return 993;
    case FlowKind::kHttp:
      return 80;
    case FlowKind::kHttpAlt:
      return 8080;
    case FlowKind::kSsh:
      return 22;
    case FlowKind::kSmtp:
      return 25;
    default:
      return 53;
  }
}

TcpFlow::TcpFlow(const FlowContext& ctx, const FlowSpec& spec)
    : ctx_(ctx), spec_(spec), rng_(ctx.seed, spec.serial) {
  Network& net = *ctx.net;
  ep_[0].host = net.Client(spec.client);
  ep_[1].host = net.Server(spec.server);
  ep_[0].port = net.NextEphemeralPort(spec.client);
  ep_[1].port = ServerPort(spec.kind);
  server_name_ = net.ServerName(spec.server);
  const bool v6 = spec.v6;
  for (int i = 0; i < 2; ++i) {
    Endpoint& e = ep_[i];
    e.isn = static_cast<uint32_t>(rng_.Next());
    e.snd_nxt = e.isn;
    e.ip_id = static_cast<uint16_t>(rng_.Next());
    e.flow_label = static_cast<uint32_t>(rng_.Next()) & 0xFFFFF;
    e.ts_offset = static_cast<uint32_t>(rng_.Next());
    e.mss = v6 ? 1440 : 1460;
    e.window = static_cast<uint16_t>(rng_.Range(1000, 24000));
    // Jitter the host's base RTT by +-10% per connection.
    rtt_[i] = e.host.rtt_ns * rng_.Range(90, 110) / 100;
    delta_[i] = rng_.Range(5'000, 60'000);
  }
  ep_[0].syn_window = v6 ? 64800 : 64240;
  ep_[1].syn_window = v6 ? 64260 : 65160;
  seg_payload_ = std::min(ep_[0].mss, ep_[1].mss) - 12u;  // timestamps option
  for (int i = 0; i < 2; ++i) {
    const uint32_t peer_wnd = uint32_t{ep_[1 - i].window} << kWindowScale;
    ep_[i].cwnd_cap = std::min<uint32_t>(kMaxCwnd, peer_wnd / seg_payload_ - 2);
  }
  const uint64_t bw_bps = rng_.LogUniform(10'000'000, 1'000'000'000);
  ps_per_byte_ = 8'000'000'000'000ull / bw_bps;

  switch (spec.kind) {
    case FlowKind::kSsh:
    case FlowKind::kDnsTcp:
    case FlowKind::kImaps:
      closer_ = 0;
      break;
    case FlowKind::kSmtp:
      closer_ = 1;
      break;
    default:
      closer_ = rng_.Chance(6, 10) ? 0 : 1;
  }
  rst_ = rng_.Chance(3, 100);
  split_fin_ = rng_.Chance(3, 10);

  Push(MakeEv(spec.start_ns, kEvSyn, 0, kTcpSyn));
  ep_[0].snd_nxt = ep_[0].isn + 1;
  next_ts_ = q_.front().ts;
}

size_t TcpFlow::Build(const Ev& e, uint8_t* buf) {
  Endpoint& s = ep_[e.from];
  Endpoint& d = ep_[1 - e.from];
  IpParams ip;
  ip.v6 = spec_.v6;
  ip.src_mac = s.host.mac;
  ip.dst_mac = d.host.mac;
  ip.src4 = s.host.v4;
  ip.dst4 = d.host.v4;
  ip.src6 = s.host.v6;
  ip.dst6 = d.host.v6;
  ip.ttl = s.host.ttl;
  ip.ip_id = s.ip_id++;
  ip.flow_label = s.flow_label;

  const uint32_t tsval = static_cast<uint32_t>(e.ts / 1'000'000) + s.ts_offset;
  const bool syn = (e.flags & kTcpSyn) != 0;
  uint8_t opts[20];
  size_t opt_len;
  if (syn) {
    const uint8_t o[20] = {2,
                           4,
                           static_cast<uint8_t>(s.mss >> 8),
                           static_cast<uint8_t>(s.mss),
                           4,
                           2,
                           8,
                           10,
                           0,
                           0,
                           0,
                           0,
                           0,
                           0,
                           0,
                           0,
                           1,
                           3,
                           3,
                           kWindowScale};
    std::copy(o, o + 20, opts);
    Put32(opts + 8, tsval);
    Put32(opts + 12, (e.flags & kTcpAck) ? s.ts_recent : 0);
    opt_len = 20;
  } else {
    opts[0] = opts[1] = 1;
    opts[2] = 8;
    opts[3] = 10;
    Put32(opts + 4, tsval);
    Put32(opts + 8, s.ts_recent);
    opt_len = 12;
  }
  d.ts_recent = tsval;

  TcpParams t;
  t.sport = s.port;
  t.dport = d.port;
  t.seq = e.seq;
  t.ack = e.ack;
  t.flags = e.flags;
  t.window = syn ? s.syn_window : s.window;
  t.options = opts;
  t.opt_len = opt_len;
  size_t payload = 0;
  if (e.type == kEvData) {
    payload = e.len;
    ctx_.pools->Copy(msg_, e.msg_off, payload, buf + TcpPayloadOffset(ip.v6, opt_len));
  }
  return BuildTcpFrame(buf, ip, t, payload);
}

size_t TcpFlow::Emit(uint8_t* buf, uint64_t* ts) {
  std::pop_heap(q_.begin(), q_.end(), EvLater());
  const Ev e = q_.back();
  q_.pop_back();
  *ts = e.ts;
  const size_t n = Build(e, buf);
  AfterEmit(e);
  if (q_.empty()) Advance(e);
  next_ts_ = q_.empty() ? kNever : q_.front().ts;
  return n;
}

void TcpFlow::AfterEmit(const Ev& e) {
  const int from = e.from, peer = 1 - e.from;
  switch (e.type) {
    case kEvSyn: {
      ep_[1].rcv_nxt = e.seq + 1;
      Push(MakeEv(e.ts + rtt_[1] + Turnaround(1), kEvSynAck, 1, kTcpSyn | kTcpAck));
      ep_[1].snd_nxt = ep_[1].isn + 1;
      break;
    }
    case kEvSynAck:
      ep_[0].rcv_nxt = e.seq + 1;
      Push(MakeEv(e.ts + rtt_[0] + Turnaround(0), kEvHsAck, 0, kTcpAck));
      break;
    case kEvHsAck:
      phase_ = Phase::kData;
      break;
    case kEvData: {
      Endpoint& r = ep_[peer];
      r.rcv_nxt = e.seq + e.len;
      ++r.pending_segs;
      if (r.pending_segs >= 2 || e.last) {
        Ev a = MakeEv(e.ts + rtt_[peer] + Turnaround(peer), kEvDataAck, peer, kTcpAck);
        a.len = r.pending_segs;
        r.pending_segs = 0;
        Push(a);
      }
      break;
    }
    case kEvDataAck: {
      Endpoint& s = ep_[peer];
      s.inflight -= std::min(s.inflight, e.len);
      s.cwnd = std::min(s.cwnd + e.len, s.cwnd_cap);
      ScheduleData(e.ts + rtt_[peer]);
      break;
    }
    case kEvFin:
      ep_[peer].rcv_nxt = e.seq + 1;
      if (e.last) {
        Push(MakeEv(e.ts + rtt_[peer] + Turnaround(peer), kEvLastAck, peer, kTcpAck));
      } else if (split_fin_) {
        Push(MakeEv(e.ts + rtt_[peer] + Turnaround(peer), kEvFinAck, peer, kTcpAck));
      } else {
        Ev f = MakeEv(e.ts + rtt_[peer] + Turnaround(peer), kEvFin, peer, kTcpFin | kTcpAck);
        f.last = 1;
        ep_[peer].snd_nxt += 1;
        Push(f);
      }
      break;
    case kEvFinAck: {
      Ev f = MakeEv(e.ts + 50'000 + rng_.Exponential(2'000'000), kEvFin, from, kTcpFin | kTcpAck);
      f.last = 1;
      ep_[from].snd_nxt += 1;
      Push(f);
      break;
    }
    case kEvLastAck:
    case kEvRst:
      phase_ = Phase::kDone;
      break;
  }
}

void TcpFlow::Advance(const Ev& last) {
  if (phase_ == Phase::kDone || phase_ == Phase::kHandshake) return;
  if (phase_ == Phase::kData) {
    if (NextMessage(last.ts)) {
      const int a = msg_.from_server ? 1 : 0;
      uint64_t think;
      if (quick_) {
        think = a == 1 ? 20'000 + rng_.Exponential(1'500'000) : 10'000 + rng_.Exponential(200'000);
      } else {
        think = 20'000 + rng_.Exponential(a == 1 ? 2'000'000 : 150'000'000);
      }
      const uint64_t start = last.ts + (last.from != a ? rtt_[a] : 0) + think;
      sender_ = a;
      msg_sent_ = 0;
      ScheduleData(start);
      return;
    }
    phase_ = Phase::kClosing;
    const int c = closer_;
    const uint64_t t = last.ts + (last.from != c ? rtt_[c] : 0) + 30'000 +
                       rng_.Exponential(c == 1 ? 1'000'000 : 20'000'000);
    if (rst_) {
      Push(MakeEv(t, kEvRst, c, kTcpRst | kTcpAck));
    } else {
      Push(MakeEv(t, kEvFin, c, kTcpFin | kTcpAck));
      ep_[c].snd_nxt += 1;
    }
  }
}

void TcpFlow::ScheduleData(uint64_t earliest) {
  Endpoint& s = ep_[sender_];
  const uint64_t total = msg_.size();
  const size_t overhead = TcpPayloadOffset(spec_.v6, 12) + 24;  // + preamble/IFG/FCS
  while (msg_sent_ < total && s.inflight < s.cwnd) {
    const uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(seg_payload_, total - msg_sent_));
    const bool last = msg_sent_ + len == total;
    const uint64_t t = std::max(earliest, s.next_free);
    s.next_free = t + (overhead + len) * ps_per_byte_ / 1000;
    Ev e = MakeEv(t, kEvData, sender_, static_cast<uint8_t>(kTcpAck | (last ? kTcpPsh : 0)));
    e.len = len;
    e.msg_off = msg_sent_;
    e.last = last;
    Push(e);
    s.snd_nxt += len;
    msg_sent_ += len;
    ++s.inflight;
  }
}

void TcpFlow::Exchange(bool from_server, BodyKind kind, uint64_t now) {
  msg_ = Message();
  msg_.from_server = from_server;
  msg_.kind = kind;
  const uint64_t want = DrawSize();
  const bool http = spec_.kind == FlowKind::kHttp || spec_.kind == FlowKind::kHttpAlt;
  if (http && !from_server) {
    msg_.head = HttpRequestHead(rng_, *ctx_.pools, server_name_, want, &msg_.body_len);
  } else if (http) {
    const uint64_t body = want > 180 ? want - 180 : 0;
    msg_.head = HttpResponseHead(now, body);
    msg_.body_len = body;
  } else if (kind == BodyKind::kTlsRecords) {
    msg_.body_len = TlsBodyLen(want);
  } else {
    msg_.body_len = want;
    if (spec_.kind == FlowKind::kSsh) {
      // Wireshark dissects each encrypted SSH segment as a whole packet
      // (length + ciphertext + 16-byte MAC): keep every segment >= 36 bytes.
      const uint64_t tail = want % seg_payload_;
      if (tail != 0 && tail < 36) msg_.body_len += 36 - tail;
    }
  }
  msg_.pool_base = ctx_.pools->RandomBase(rng_, kind);
}

bool TcpFlow::NextMessage(uint64_t now) {
  const int step = step_++;
  quick_ = true;
  auto simple = [&](bool from_server, std::string head) {
    msg_ = Message();
    msg_.from_server = from_server;
    msg_.head = std::move(head);
  };
  switch (spec_.kind) {
    case FlowKind::kHttps:
    case FlowKind::kImaps:
      if (step == 0) {
        resume_ = rng_.Chance(1, 2);  // browsers resume about half their sessions
        client_hello_ = TlsClientHello(rng_, server_name_, spec_.kind == FlowKind::kHttps, resume_);
        simple(false, client_hello_);
        return true;
      }
      if (step == 1) {
        simple(true, TlsServerHello(rng_, client_hello_, resume_));
        // Encrypted handshake: EncryptedExtensions (+ Certificate chain and
        // CertificateVerify unless resuming) + Finished.
        msg_.kind = BodyKind::kTlsRecords;
        msg_.body_len = TlsBodyLen(resume_ ? rng_.Range(90, 160) : rng_.Range(1800, 4800));
        msg_.pool_base = ctx_.pools->RandomBase(rng_, msg_.kind);
        client_hello_.clear();
        client_hello_.shrink_to_fit();
        return true;
      }
      if (step == 2) {
        simple(false, TlsChangeCipherSpec());
        msg_.kind = BodyKind::kTlsRecords;  // client Finished
        msg_.body_len = 5 + 53;
        msg_.pool_base = ctx_.pools->RandomBase(rng_, msg_.kind);
        exchanges_ = 2 * rng_.ZipfCount(kExchangesBetaQ32, kMaxExchanges);
        return true;
      }
      if (exchanges_ == 0) return false;
      quick_ = step == 3 || (exchanges_ % 2) == 1;
      Exchange((exchanges_-- % 2) == 1, BodyKind::kTlsRecords, now);
      return true;

    case FlowKind::kHttp:
    case FlowKind::kHttpAlt:
      if (step == 0) exchanges_ = 2 * rng_.ZipfCount(kExchangesBetaQ32, kMaxExchanges);
      if (exchanges_ == 0) return false;
      quick_ = step == 0 || (exchanges_ % 2) == 1;
      Exchange((exchanges_-- % 2) == 1, BodyKind::kBinary, now);
      return true;

    case FlowKind::kSsh:
      switch (step) {
        case 0:
          simple(true, SshBanner(true));
          return true;
        case 1:
          simple(false, SshBanner(false) + SshKexInit(rng_, false));
          return true;
        case 2:
          simple(true, SshKexInit(rng_, true));
          return true;
        case 3:
          simple(false, SshEcdhInit(rng_));
          return true;
        case 4: {
          std::string reply = SshEcdhReply(rng_);  // sequenced: both draw from rng_
          reply += SshNewKeys(rng_);
          simple(true, std::move(reply));
          return true;
        }
        case 5:
          simple(false, SshNewKeys(rng_));
          msg_.kind = BodyKind::kBinary;  // encrypted SERVICE_REQUEST
          msg_.body_len = 44;
          msg_.pool_base = ctx_.pools->RandomBase(rng_, msg_.kind);
          exchanges_ = 2 * rng_.ZipfCount(kExchangesBetaQ32, kMaxExchanges);
          return true;
        default:
          if (exchanges_ == 0) return false;
          quick_ = (exchanges_ % 2) == 0;
          Exchange((exchanges_-- % 2) == 0, BodyKind::kBinary, now);
          return true;
      }

    case FlowKind::kSmtp: {
      const std::string mx = server_name_;
      switch (step) {
        case 0:
          simple(true, "220 " + mx + " ESMTP Postfix (Debian/GNU)\r\n");
          return true;
        case 1:
          simple(false, "EHLO " + ctx_.net->ClientName(spec_.client) + "\r\n");
          return true;
        case 2:
          simple(true,
                 "250-" + mx +
                     "\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-ETRN\r\n"
                     "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8\r\n");
          return true;
        case 3:
          simple(false,
                 "MAIL FROM:<user" + std::to_string(spec_.client) + "@corp.example.net>\r\n");
          return true;
        case 4:
          simple(true, "250 2.1.0 Ok\r\n");
          return true;
        case 5:
          simple(false, "RCPT TO:<postmaster@" + mx.substr(mx.find('.') + 1) + ">\r\n");
          return true;
        case 6:
          simple(true, "250 2.1.5 Ok\r\n");
          return true;
        case 7:
          simple(false, "DATA\r\n");
          return true;
        case 8:
          simple(true, "354 End data with <CR><LF>.<CR><LF>\r\n");
          return true;
        case 9: {
          const uint64_t id = rng_.Next();
          simple(false, "From: user" + std::to_string(spec_.client) +
                            "@corp.example.net\r\nTo: postmaster@" + mx.substr(mx.find('.') + 1) +
                            "\r\nSubject: report " + std::to_string(id % 100000) +
                            "\r\nDate: " + HttpDate(now).replace(26, 3, "+0000") +
                            "\r\nMessage-ID: <" + std::to_string(id) +
                            "@corp.example.net>\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
          msg_.kind = BodyKind::kText;
          msg_.body_len = DrawSize();
          msg_.pool_base = ctx_.pools->RandomBase(rng_, msg_.kind);
          msg_.tail = "\r\n.\r\n";
          return true;
        }
        case 10: {
          static constexpr char kHex[] = "0123456789ABCDEF";
          std::string qid;
          for (int i = 0; i < 10; ++i) qid += kHex[rng_.Below(16)];
          simple(true, "250 2.0.0 Ok: queued as " + qid + "\r\n");
          return true;
        }
        case 11:
          simple(false, "QUIT\r\n");
          return true;
        case 12:
          simple(true, "221 2.0.0 Bye\r\n");
          return true;
        default:
          return false;
      }
    }

    case FlowKind::kDnsTcp: {
      if (step == 0) exchanges_ = 2 * (rng_.Chance(8, 10) ? 1 : rng_.Range(2, 3));
      if (exchanges_ == 0) return false;
      if ((exchanges_-- % 2) == 0) {
        std::string q, r;
        DrawDnsExchange(ctx_, rng_, &q, &r);
        std::string head;
        head.push_back(static_cast<char>(q.size() >> 8));
        head.push_back(static_cast<char>(q.size() & 0xFF));
        simple(false, head + q);
        client_hello_ = std::move(r);  // the pending response
      } else {
        std::string head;
        head.push_back(static_cast<char>(client_hello_.size() >> 8));
        head.push_back(static_cast<char>(client_hello_.size() & 0xFF));
        simple(true, head + client_hello_);
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

std::unique_ptr<Flow> MakeTcpFlow(const FlowContext& ctx, const FlowSpec& spec) {
  return std::make_unique<TcpFlow>(ctx, spec);
}

}  // namespace trove::synth
