#pragma once
// Flows of `trove synth` (internal header).
// Contract: a Flow is one connection (TCP) or exchange (DNS, NTP, ping)
// that produces its packets lazily, one per Emit(), in non-decreasing
// timestamp order; next_ts() is the timestamp of the packet the next Emit()
// will produce, or kNever once the flow is finished. A flow's packets are a
// pure function of (seed, flow serial, shared FlowContext), never of how it
// interleaves with other flows. TCP flows keep at most a congestion
// window's worth of pending events, so memory per flow is bounded.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "synth/content.h"
#include "synth/hosts.h"
#include "synth/rng.h"

namespace trove::synth {

inline constexpr uint64_t kNever = ~uint64_t{0};
// Scratch space handed to Emit(); every frame fits (MTU 1500 + Ethernet).
inline constexpr size_t kMaxFrame = 2048;

enum class FlowKind : uint8_t {
  kHttps,    // TLS 1.3 on 443
  kImaps,    // TLS 1.3 on 993
  kHttp,     // HTTP/1.1 on 80
  kHttpAlt,  // HTTP/1.1 on 8080
  kSsh,      // 22
  kSmtp,     // 25
  kDnsTcp,   // 53/tcp
  kDnsUdp,   // 53/udp
  kNtp,      // 123/udp
  kPing,     // ICMP / ICMPv6 echo
};
inline constexpr int kFlowKinds = 10;
const char* FlowKindName(FlowKind k);
bool FlowKindIsTcp(FlowKind k);

// Shared, mostly read-only state for all flows of one run.
struct FlowContext {
  uint64_t seed = 1;
  uint64_t pareto_alpha_q32 = 0;
  uint64_t pareto_min = 500;
  uint64_t pareto_cap = 50'000'000;
  uint64_t ipv6_q53 = 0;
  Network* net = nullptr;
  const ContentPools* pools = nullptr;
};

// Per-flow facts fixed at creation.
struct FlowSpec {
  uint64_t serial = 0;
  uint64_t start_ns = 0;
  FlowKind kind = FlowKind::kHttps;
  bool v6 = false;
  uint32_t client = 0;
  uint32_t server = 0;
};

class Flow {
 public:
  virtual ~Flow() = default;
  uint64_t next_ts() const { return next_ts_; }
  // Builds the next packet into buf (kMaxFrame bytes); returns its length
  // and sets *ts to next_ts() as it was before the call.
  virtual size_t Emit(uint8_t* buf, uint64_t* ts) = 0;
  // True if the flow ended (or will end) with a TCP reset.
  virtual bool reset() const { return false; }

 protected:
  uint64_t next_ts_ = kNever;
};

// A flow whose few packets are built up front (DNS, NTP, ping).
class PrebuiltFlow : public Flow {
 public:
  // Adds a frame; packets may be added in any order, Seal() sorts them.
  void Add(uint64_t ts, const uint8_t* frame, size_t len);
  void Seal();
  size_t Emit(uint8_t* buf, uint64_t* ts) override;

 private:
  struct Pkt {
    uint64_t ts;
    uint32_t off, len;
  };
  std::vector<Pkt> pkts_;
  std::vector<uint8_t> bytes_;
  size_t next_ = 0;
};

// A DNS query for a name in the synthetic network and its response (an
// A/AAAA answer matching the server's address, sometimes via a CNAME, or
// NXDOMAIN with an SOA), both as DNS messages without transport framing.
void DrawDnsExchange(const FlowContext& ctx, Rng& rng, std::string* query, std::string* response);

// Draws the kind, endpoints and address family of flow `serial`.
FlowSpec DrawFlowSpec(const FlowContext& ctx, uint64_t serial, uint64_t start_ns);
std::unique_ptr<Flow> MakeFlow(const FlowContext& ctx, const FlowSpec& spec);

std::unique_ptr<Flow> MakeTcpFlow(const FlowContext& ctx, const FlowSpec& spec);
std::unique_ptr<Flow> MakeDnsUdpFlow(const FlowContext& ctx, const FlowSpec& spec);
std::unique_ptr<Flow> MakeNtpFlow(const FlowContext& ctx, const FlowSpec& spec);
std::unique_ptr<Flow> MakePingFlow(const FlowContext& ctx, const FlowSpec& spec);

}  // namespace trove::synth
