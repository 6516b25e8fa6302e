#pragma once
// TrafficSeries: the packets and wire bytes of stored segments over time
// (`trove stats`), as a RateSeries (util/rate_series.h) whose intervals
// follow the data.
//
// The catalogue gives each segment's first and last packet and totals; a
// segment's counts are spread evenly over that range. That is too coarse
// when a segment spans many intervals with gaps inside (one import of two
// traces years apart is one segment): such a segment — one covering more
// than two intervals of the series — is refined with its index's connection
// records (each spread over its own first..last packet; its packets and
// captured bytes weigh the segment's packet and wire-byte totals). With the
// automatic interval this repeats until no segment needs refining (each is
// refined at most once), so a store of many short segments reads no index
// at all. A segment whose index is missing, unreadable or stale keeps the
// even spread (`trove fsck` rebuilds it). The totals stay exact.
// Reads index files (blocks on I/O); thread-safe (no shared state).

#include <cstdint>
#include <vector>

#include "catalog/segment_record.h"
#include "util/rate_series.h"
#include "util/status.h"

namespace trove {

struct TrafficSeriesCounters {
  uint64_t segments_refined = 0;   // spread by their connection records
  uint64_t indexes_unusable = 0;   // wanted refining, index missing/bad/stale
};

// width_ns = 0: automatic (AutoRateInterval). Errors as ComputeRateSeries.
Result<RateSeries> ComputeTrafficSeries(const std::vector<SegmentRecord>& segments,
                                        int64_t width_ns,
                                        TrafficSeriesCounters* counters = nullptr);

}  // namespace trove
