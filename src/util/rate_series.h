#pragma once
// RateSeries: packets and bytes over time, for `trove stats`. The intervals
// follow the data: only intervals holding packets are listed, and each run of
// empty ones between them is one gap, so a store with traces years apart gets
// a short table, not thousands of zero rows.
//
// Input: spans of time with their packet and byte counts (a segment, or a
// connection within one; query/traffic_series.h picks them). Each span's
// counts are spread evenly over [first_ns, last_ns]; the integer shares of a
// span add up exactly to its counts, so the series' sums equal the input's.
// Pure functions of their arguments: thread-safe, no I/O, never block.

#include <cstdint>
#include <vector>

#include "util/status.h"

namespace trove {

struct RateSpan {
  int64_t first_ns = 0, last_ns = 0;  // first and last packet (inclusive)
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct RateInterval {
  int64_t start_ns = 0;  // [start_ns, start_ns + width_ns)
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// A run of consecutive empty intervals between two listed ones.
struct RateGap {
  int64_t start_ns = 0;  // start of the first empty interval
  int64_t end_ns = 0;    // end of the last one (= start of the next listed interval)
  uint64_t intervals = 0;
};

struct RateSeries {
  int64_t width_ns = 0;  // 0 when there are no packets
  int64_t first_ns = 0, last_ns = 0;  // first and last packet
  std::vector<RateInterval> intervals;  // non-empty, ascending, on a grid of width_ns
  std::vector<RateGap> gaps;            // ascending; gaps[i] lies between two intervals
  uint64_t empty_intervals() const;     // sum of gaps[].intervals
};

// The automatic interval: the time the spans cover (their union: the gaps
// between traces do not count) / 50, rounded up to 1, 2 or 5 times a power
// of ten nanoseconds, at least 1 ms; so about 50 rows, whatever the gaps.
// 0 when no span has packets.
int64_t AutoRateInterval(const std::vector<RateSpan>& spans);

// Intervals are [k*width, (k+1)*width) since the epoch; width_ns = 0:
// AutoRateInterval. Spans without packets are ignored. InvalidArgument when
// width_ns < 0 or the data would fill more than max_intervals intervals.
Result<RateSeries> ComputeRateSeries(const std::vector<RateSpan>& spans, int64_t width_ns,
                                     uint64_t max_intervals = 100000);

}  // namespace trove
