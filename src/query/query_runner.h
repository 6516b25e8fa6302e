#pragma once
// Query execution: PlanQuery decides, per stored raw segment in the time
// range, whether it is pruned (time range, or its catalogue summary proves
// no packet can match), served from its index (candidate packets only) or
// scanned (index missing/stale/corrupt, or an expression the index cannot
// narrow). RunQuery reads the candidates, applies the packet time range
// [since, until) and libpcap's compiled filter to every one, and merges
// the segments by timestamp as mergecap does (the head packet with the
// smallest timestamp first; ties: the earlier segment in (start, id)
// order). A segment whose timestamps go backwards is merged by the running
// maximum of its timestamps, which is where mergecap's head-by-head merge
// puts each of its packets; so the output equals
// `tcpdump -r <mergecap of the segments> -w - EXPR` for that range.
// Segments are opened lazily, in (start, id) order, only when the merge
// reaches their first timestamp, and released when exhausted: memory and
// open maps are bounded by the segments that overlap in time, not by the
// range queried, and --limit-packets stops before later ones are touched.
// An index plan reads only its candidates' blocks (pread, the runs of them
// prefetched: segment_reader.h); one without candidates opens no file.
// With QueryOptions::read_limit, every byte of a segment or index file the
// query reads is charged to that rate limiter (whole files for scans, the
// candidate packet blocks for index lookups, the chunks of an index read).
// One query per call; no shared state.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "segment/capture_output.h"
#include "query/filter_expr.h"
#include "query/open_segments.h"
#include "query/planner.h"
#include "query/query_filter.h"
#include "util/rate_limiter.h"

namespace trove {

struct QueryOptions {
  std::string expr;
  TimeRange range;
  uint64_t limit_packets = 0;  // 0 = all
  std::optional<std::string> link;
  std::set<int64_t> exclude_ids;  // segments already delivered (--follow)
  // Segments being written (--include-open): scanned after the catalogued
  // ones unless already catalogued under their final name.
  std::vector<OpenSegmentFile> open_segments;
  RateLimiter* read_limit = nullptr;  // not owned; nullptr = unlimited
};

struct SegmentPlan {
  enum class Kind { kPrunedTime, kPrunedSummary, kIndex, kScan };
  SegmentRecord seg;
  Kind kind = Kind::kScan;
  std::string reason;
  CandidateSet candidates;  // kIndex
  bool monotonic = false;   // kIndex: timestamps never decrease in the file
  bool open = false;        // a .partial being written (id 0); skipped if gone
};

struct QueryPlan {
  std::string expr;
  std::optional<FilterExpr> parsed;  // nullopt: not indexable (see why_not)
  std::string why_not;
  std::vector<SegmentPlan> segments;  // in (start, id) order
  std::vector<uint16_t> linktypes;    // of the segments not pruned, first-seen order
};

const char* ToString(SegmentPlan::Kind k);

// Fails with InvalidArgument carrying libpcap's message for a bad expression.
Result<QueryPlan> PlanQuery(Catalog& catalog, const QueryOptions& o, QueryFilter& bpf);

struct QueryStats {
  uint64_t packets_out = 0;
  uint64_t packets_read = 0;     // candidates examined
  uint64_t segments_opened = 0;  // index or scan segments actually read
};
Result<QueryStats> RunQuery(const QueryPlan& plan, const QueryFilter& bpf, const QueryOptions& o,
                            CaptureOutput& out);

}  // namespace trove
