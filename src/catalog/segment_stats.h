#pragma once
// SegmentStats: what the writer accounts per segment while appending, and
// what ScanSegment() recomputes from a file alone (rebuild, salvage). Both
// paths go through StatsAccumulator (segment/) so the numbers agree by
// construction. It lives in catalog/ because every catalogue row carries
// one; plain data.

#include <cstdint>

#include "packet/protocol_mix.h"

namespace trove {

struct SegmentStats {
  int64_t first_ts_ns = 0;   // timestamp of the first packet (0 if empty)
  int64_t last_ts_ns = 0;    // timestamp of the last packet
  uint64_t packets = 0;
  uint64_t cap_bytes = 0;    // captured (stored) packet bytes
  uint64_t wire_bytes = 0;   // original lengths
  uint64_t flows = 0;        // distinct bidirectional 5-tuples
  ProtocolMix mix;
};

// Drops reported for the interval a segment covers.
struct DropCounters {
  uint64_t kernel = 0;  // pcap_stats ps_drop + ps_ifdrop deltas
  uint64_t ring = 0;    // capture ring overflow
  uint64_t store = 0;   // packets that could not be stored (both disks full)
};

}  // namespace trove
