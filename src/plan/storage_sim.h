#pragma once
// The Time Machine planning method (Kornexl et al., IMC 2005): what a
// per-connection cutoff and a retention Te would store over time.
//
// A connection (start ts, duration d, total bytes B of both directions) keeps
// K = min(B, cutoff) bytes. Its bytes are taken to flow at a constant rate
// over [ts, ts+d], so the kept ones (the first K) flow over
// [ts, ts + d*K/B] and are spread over the bins proportionally to the
// overlap (a connection with d = 0 or B = 0 puts them at ts). Bins are
// [origin + i*bin, origin + (i+1)*bin) with origin = floor(min ts / bin)*bin
// (multiples of bin since the epoch); the series runs to the bin holding the
// latest connection end (the same bins for every cutoff). The storage at the
// end t of bin i is the volume in (t - Te, t], i.e. of bins i-Te/bin+1 .. i:
// what a FIFO that evicts data Te after it arrived holds. Te must be a
// positive multiple of bin; no retention: nothing is evicted (cumulative).
// At most 10 million bins (else InvalidArgument: choose a larger bin).
// Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <vector>

#include "plan/conn_input.h"
#include "util/status.h"

namespace trove {

struct SimOptions {
  int64_t bin_ns = 3600LL * 1000000000;
  std::optional<int64_t> retention_ns;  // nullopt: keep forever
  std::optional<uint64_t> cutoff;       // nullopt: keep connections whole
};

struct SimBin {
  int64_t start_ns = 0;
  double volume = 0;   // kept bytes arriving in this bin
  double storage = 0;  // bytes held at the end of this bin
};

struct SimResult {
  std::optional<uint64_t> cutoff;
  uint64_t connections = 0;
  uint64_t connections_whole = 0;  // B <= cutoff
  uint64_t total_bytes = 0;        // sum of B
  uint64_t kept_bytes = 0;         // sum of min(B, cutoff)
  double peak_storage = 0;
  int64_t peak_end_ns = 0;  // end of the bin where the peak is first reached
  double final_storage = 0;
  std::vector<SimBin> bins;
};

Result<SimResult> SimulateStorage(const std::vector<PlanConn>& conns, const SimOptions& opts);

}  // namespace trove
