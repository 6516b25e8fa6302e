#include "plan/storage_sim.h"

#include <algorithm>
#include <string>

namespace trove {
namespace {

constexpr int64_t kMaxBins = 10'000'000;

int64_t FloorTo(int64_t v, int64_t step) {
  int64_t q = v / step;
  if (v % step != 0 && v < 0) --q;
  return q * step;
}

}  // namespace

Result<SimResult> SimulateStorage(const std::vector<PlanConn>& conns, const SimOptions& opts) {
  if (opts.bin_ns <= 0) return Status::InvalidArgument("the bin must be a positive duration");
  int64_t window_bins = 0;  // 0: no eviction
  if (opts.retention_ns) {
    if (*opts.retention_ns <= 0 || *opts.retention_ns % opts.bin_ns != 0)
      return Status::InvalidArgument("the retention must be a positive multiple of the bin");
    window_bins = *opts.retention_ns / opts.bin_ns;
  }
  SimResult r;
  r.cutoff = opts.cutoff;
  if (conns.empty()) return r;
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (const PlanConn& c : conns) {
    first = std::min(first, c.ts_ns);
    last = std::max(last, c.ts_ns + c.duration_ns);
  }
  const int64_t origin = FloorTo(first, opts.bin_ns);
  const int64_t span_bins = (last - origin) / opts.bin_ns + 1;
  if (span_bins > kMaxBins)
    return Status::InvalidArgument("the records span " + std::to_string(span_bins) +
                                   " bins (at most " + std::to_string(kMaxBins) +
                                   "): choose a larger bin");
  const size_t nbins = static_cast<size_t>(span_bins);
  r.bins.resize(nbins);
  for (size_t i = 0; i < nbins; ++i) r.bins[i].start_ns = origin + static_cast<int64_t>(i) * opts.bin_ns;
  const double bin = static_cast<double>(opts.bin_ns);
  for (const PlanConn& c : conns) {
    const uint64_t kept = opts.cutoff ? std::min(c.bytes, *opts.cutoff) : c.bytes;
    ++r.connections;
    r.connections_whole += kept == c.bytes;
    r.total_bytes += c.bytes;
    r.kept_bytes += kept;
    if (kept == 0) continue;
    const double s = static_cast<double>(c.ts_ns - origin);  // relative: keeps precision
    const double len = c.duration_ns > 0 && c.bytes > 0
                           ? static_cast<double>(c.duration_ns) * static_cast<double>(kept) /
                                 static_cast<double>(c.bytes)
                           : 0.0;
    const size_t b0 = static_cast<size_t>((c.ts_ns - origin) / opts.bin_ns);
    if (len <= 0) {
      r.bins[b0].volume += static_cast<double>(kept);
      continue;
    }
    const double e = s + len;
    for (size_t b = b0; b < nbins; ++b) {
      const double lo = static_cast<double>(b) * bin, hi = lo + bin;
      if (lo >= e) break;
      const double overlap = std::min(hi, e) - std::max(lo, s);
      if (overlap > 0) r.bins[b].volume += static_cast<double>(kept) * overlap / len;
    }
  }
  // storage(i) = prefix(i) - prefix(i - window): long double keeps the
  // subtraction exact for integer volumes far beyond any trace's total.
  std::vector<long double> prefix(nbins + 1, 0.0L);
  for (size_t i = 0; i < nbins; ++i) prefix[i + 1] = prefix[i] + static_cast<long double>(r.bins[i].volume);
  const size_t w = static_cast<size_t>(window_bins);
  for (size_t i = 0; i < nbins; ++i) {
    const size_t from = w == 0 || i + 1 < w ? 0 : i + 1 - w;
    const double held = std::max(0.0, static_cast<double>(prefix[i + 1] - prefix[from]));
    r.bins[i].storage = held;
    if (held > r.peak_storage) {
      r.peak_storage = held;
      r.peak_end_ns = r.bins[i].start_ns + opts.bin_ns;
    }
  }
  r.final_storage = r.bins.back().storage;
  return r;
}

}  // namespace trove
