#pragma once
// Query planning over the index, in three-valued logic (Kleene): each
// predicate of a FilterExpr is judged True / False / Maybe for a whole
// connection record (EvalOnRecord) or a whole segment (EvalOnSummary).
// False means "no packet of it can match", True "every packet matches".
// A record or segment whose value is False is skipped; everything else is
// a candidate, and libpcap's compiled filter decides each candidate packet.
// Direction-qualified predicates on a bidirectional record, records marked
// kUncertain, and predicates the summary cannot decide are Maybe, so no
// matching packet is ever skipped. A record knows its packets' tag stack
// (V VLAN tags, M MPLS labels): a primitive after j `vlan` and m `mpls`
// keywords is judged from the record when (j, m) == (V, M), False where
// libpcap's IP test must fail (m == 0 and j < V, or j == V and m < M), and
// Maybe otherwise; `vlan`/`mpls` themselves likewise (ids: Maybe). Summaries
// and postings only judge primitives with no tag before them. Cut packets
// need no special case: a test past the stored bytes makes libpcap reject
// the packet, and the record is only certain when every test of the subset
// reads stored bytes (segment_index.h). Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "index/index_view.h"
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

// A superset of the records not False under `e`, from the postings alone
// (sorted record ids), or nullopt when the postings cannot narrow `e`
// (negations, protocols, an index without postings): every record then.
// Leaves take the address/port postings plus the records flagged uncertain
// or non-IP; `and` intersects, `or` unites.
Result<std::optional<std::vector<uint32_t>>> PostingCandidates(IndexView& v, const FilterExpr& e);

// Candidates of one segment: records not False under `e` (every record
// when e is nullopt), restricted to time-map blocks overlapping `range`.
// Only the records PostingCandidates names are read and judged.
// Corruption when a record, posting or block read is damaged.
Result<CandidateSet> SelectCandidates(IndexView& v, const std::optional<FilterExpr>& e,
                                      const TimeRange& range);
// The same over an index in memory.
Result<CandidateSet> SelectCandidates(const SegmentIndex& ix, const std::optional<FilterExpr>& e,
                                      const TimeRange& range);

}  // namespace trove
