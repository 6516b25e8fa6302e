#pragma once
// Query planning over the index, in three-valued logic (Kleene): each
// predicate of a FilterExpr is judged True / False / Maybe for a whole
// connection record (EvalOnRecord) or a whole segment (EvalOnSummary).
// False means "no packet of it can match", True "every packet matches".
// A record or segment whose value is False is skipped; everything else is
// a candidate, and libpcap's compiled filter decides each candidate packet.
// Direction-qualified predicates on a bidirectional record, records marked
// kUncertain, and predicates the summary cannot decide are Maybe, so no
// matching packet is ever skipped. Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "index/segment_index.h"
#include "index/segment_summary.h"
#include "query/filter_expr.h"

namespace trove {

enum class Tri : uint8_t { kFalse = 0, kMaybe = 1, kTrue = 2 };

Tri EvalOnRecord(const FilterExpr& e, const ConnRecord& r);
Tri EvalOnSummary(const FilterExpr& e, const SegmentSummary& s);

// Packet time range [since, until) in ns.
struct TimeRange {
  int64_t since_ns = INT64_MIN;
  int64_t until_ns = INT64_MAX;
  bool Overlaps(int64_t first, int64_t last) const { return last >= since_ns && first < until_ns; }
  bool Contains(int64_t ts) const { return ts >= since_ns && ts < until_ns; }
};

struct CandidateSet {
  std::vector<uint64_t> offsets;  // ascending EPB offsets to read
  size_t records = 0;             // records total
  size_t candidate_records = 0;   // records not judged False
  size_t blocks_skipped = 0;      // time-map blocks outside the range
};

// Candidates of one segment: records not False under `e` (every record
// when e is nullopt), restricted to time-map blocks overlapping `range`.
// Corruption when a candidate record's deferred offsets are damaged.
Result<CandidateSet> SelectCandidates(const SegmentIndex& ix, const std::optional<FilterExpr>& e,
                                      const TimeRange& range);

}  // namespace trove
