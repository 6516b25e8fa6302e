#pragma once
// SegmentPolicy: when a segment writer rotates to a new segment (a link's
// [link.segment] in trove.toml, docs/CONFIG.md). Plain data; copy freely.

#include <cstdint>

namespace trove {

struct SegmentPolicy {
  uint64_t max_bytes = 512ull * 1000 * 1000;  // rotate before a file would exceed this; 0 = off
  int64_t max_duration_ns = 0;                // rotate at aligned boundaries of this; 0 = off
};

}  // namespace trove
