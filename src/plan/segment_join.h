#pragma once
// Joins trove connection rows split across segments. `trove flows` gives one
// row per connection per segment; the planning tool needs one per
// connection. Rows with the same ConnKey from different segments are one
// connection when the later starts at most `gap_ns` after the end of the
// earlier (ts + duration): the result starts at the first ts, ends at the
// latest end, and sums the bytes. Rows without a key or segment (Zeek) and
// rows of one segment are left as they are. The output is ordered by ts.
// Pure function; thread-safe.

#include <cstdint>
#include <vector>

#include "plan/conn_input.h"

namespace trove {

// The gap trove's connection table would allow: its default inactivity
// timeouts (docs/CONFIG.md): 300 s for TCP, 60 s for everything else.
int64_t DefaultJoinGapNs(const PlanConn& c);

std::vector<PlanConn> JoinSegmentRows(std::vector<PlanConn> rows);

}  // namespace trove
