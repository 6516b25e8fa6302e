#pragma once
// trove synth: deterministic, realistic synthetic traffic.
// Contracts:
//  * Determinism: the packets (bytes and timestamps) are a pure function of
//    SynthOptions. Randomness is our own xoshiro256** and integer-only
//    samplers, so the same options give byte-identical output on any
//    compiler, libc or CPU.
//  * Realism: Ethernet II frames as captured at a client network's edge
//    router: TCP connections (TLS 1.3, HTTP/1.1, SSH, SMTP, DNS over TCP)
//    with handshake, MSS-sized data under a congestion window, delayed ACKs,
//    RTT-spaced timing and FIN (or RST) teardown; DNS and NTP over UDP;
//    ICMP/ICMPv6 echo. All checksums are valid, frames are padded to 60
//    bytes, sequence/ack numbers are exact (no tshark analysis flags).
//    Message sizes are Pareto(alpha, min) capped; a TCP connection carries a
//    Zipf-distributed number of request/response exchanges (P(K >= k) =
//    k^-0.9, at most 1000). Pareto sizes alone put only ~60-70% of bytes in
//    the top 15% of connections (headers and handshakes dilute the tail);
//    with the exchange count they carry 80-90%, closer to measured traffic.
//  * Order: packets reach the sink in non-decreasing timestamp order.
//  * Memory is bounded by the number of concurrently active flows (Poisson
//    arrivals at `rate` times the flow duration), never by output size.
//  * Synthesize stops at the first limit reached (packets, file bytes,
//    traffic duration, connections); at least one must be set.
// Thread safety: Synthesize is reentrant; one call uses one thread
// (WritePcap adds one writer thread). Needs a 64-bit target (__int128).

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "packet/packet.h"
#include "util/status.h"

namespace trove::synth {

struct SynthOptions {
  uint64_t seed = 1;
  uint32_t hosts = 1000;                          // client hosts (10.0.0.0/8, 2001:db8:0::/48)
  uint32_t servers = 100;                         // server pool (documentation ranges)
  double ipv6_fraction = 0.2;                     // of flows, in [0, 1]
  double rate = 200;                              // new flows per second (Poisson), > 0
  double pareto_alpha = 1.2;                      // shape of message sizes, in (0, 10]
  uint64_t pareto_min = 500;                      // bytes, >= 1
  uint64_t pareto_cap = 50'000'000;               // bytes, >= pareto_min
  uint64_t start_ns = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z

  // Limits (0 = unlimited); generation stops at the first one reached.
  uint64_t max_packets = 0;
  uint64_t max_file_bytes = 0;   // pcap file size: 24 + sum(16 + frame length)
  uint64_t max_duration_ns = 0;  // no packet at or after start_ns + this
  uint64_t max_connections = 0;  // start this many flows, then drain them all

  // Only used by the pcap writer: nanosecond (0xa1b23c4d) or microsecond
  // (0xa1b2c3d4) timestamps.
  bool nanosecond_pcap = true;
};

enum class StopReason { kNone, kPackets, kFileBytes, kDuration, kConnections, kSink };
const char* StopReasonName(StopReason r);

struct SynthStats {
  uint64_t packets = 0;
  uint64_t frame_bytes = 0;  // sum of frame lengths
  uint64_t file_bytes = 0;   // size of the equivalent classic pcap file
  uint64_t first_ts_ns = 0;
  uint64_t last_ts_ns = 0;
  uint64_t flows = 0;  // flows started (all kinds)
  uint64_t ipv6_flows = 0;
  uint64_t tcp_resets = 0;                        // TCP connections ending in RST
  std::map<std::string, uint64_t> flows_by_kind;  // "https", "dns", "ping", ...
  StopReason stop = StopReason::kNone;
};

// Receives each packet (Ethernet II frame, caplen == wirelen). Returning a
// non-ok Status aborts generation with that status; returning
// Status::Ok() continues.
using PacketSink = std::function<Status(const PacketRef&)>;

// Checks option ranges; InvalidArgument names the offending option.
Status ValidateOptions(const SynthOptions& opts);

// Generates packets into sink. `stats` (optional) is kept current while
// running (the sink may read it) and final on return.
Status Synthesize(const SynthOptions& opts, const PacketSink& sink, SynthStats* stats = nullptr);

// Called every few thousand packets with the stats so far.
using ProgressFn = std::function<void(const SynthStats&)>;

// Synthesize into a classic pcap file (LINKTYPE_ETHERNET, snaplen 262144);
// path "-" writes to stdout. The file is written with large buffered
// writes; on error a partially written file is left in place.
Status WritePcap(const SynthOptions& opts, const std::string& path, SynthStats* stats = nullptr,
                 const ProgressFn& progress = {});

// Parses "2026-01-01T00:00:00Z" (optionally with .fraction) or an integer
// of epoch nanoseconds.
Result<uint64_t> ParseStartTime(const std::string& s);

}  // namespace trove::synth
