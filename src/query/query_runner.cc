#include "query/query_runner.h"

#include <algorithm>
#include <queue>
#include <set>

#include "index/index_file.h"
#include "index/segment_summary.h"
#include "query/segment_reader.h"

namespace trove {

const char* ToString(SegmentPlan::Kind k) {
  switch (k) {
    case SegmentPlan::Kind::kPrunedTime:
      return "pruned-time";
    case SegmentPlan::Kind::kPrunedSummary:
      return "pruned-summary";
    case SegmentPlan::Kind::kIndex:
      return "index";
    case SegmentPlan::Kind::kScan:
      return "scan";
  }
  return "?";
}

Result<QueryPlan> PlanQuery(Catalog& catalog, const QueryOptions& o, QueryFilter& bpf) {
  QueryPlan plan;
  plan.expr = o.expr;
  // A bad expression fails before anything else happens.
  TROVE_RETURN_IF_ERROR(bpf.Prepare(1));  // DLT_EN10MB
  if (!o.expr.empty())
    plan.parsed = ParseIndexableFilter(o.expr, &plan.why_not);
  else
    plan.why_not = "empty expression (every packet)";

  SegmentQuery q;
  q.level = "raw";
  q.state = SegmentState::kStored;
  q.link = o.link;
  if (o.range.since_ns != INT64_MIN) q.since_ns = o.range.since_ns;
  if (o.range.until_ns != INT64_MAX) q.until_ns = o.range.until_ns;
  TROVE_ASSIGN_OR_RETURN(std::vector<SegmentRecord> segs, catalog.ListSegments(q));
  std::stable_sort(segs.begin(), segs.end(), [](const SegmentRecord& a, const SegmentRecord& b) {
    return a.stats.first_ts_ns != b.stats.first_ts_ns ? a.stats.first_ts_ns < b.stats.first_ts_ns
                                                      : a.id < b.id;
  });
  for (SegmentRecord& s : segs) {
    if (o.exclude_ids.count(s.id)) continue;
    SegmentPlan sp;
    sp.seg = std::move(s);
    const SegmentRecord& r = sp.seg;
    if (r.stats.packets == 0 || !o.range.Overlaps(r.stats.first_ts_ns, r.stats.last_ts_ns)) {
      sp.kind = SegmentPlan::Kind::kPrunedTime;
      sp.reason = r.stats.packets == 0 ? "no packets" : "outside the time range";
      plan.segments.push_back(std::move(sp));
      continue;
    }
    if (plan.parsed) {
      auto blob = catalog.GetSegmentSummary(r.id);
      if (blob.ok() && blob->has_value()) {
        auto sum = SegmentSummary::Decode(**blob, r.stats.first_ts_ns, r.stats.last_ts_ns);
        if (sum.ok() && EvalOnSummary(*plan.parsed, *sum) == Tri::kFalse) {
          sp.kind = SegmentPlan::Kind::kPrunedSummary;
          sp.reason = "summary: no address/port/protocol of the expression";
          plan.segments.push_back(std::move(sp));
          continue;
        }
      }
    }
    auto ix = ReadIndexFile(IndexPathFor(r.path));
    if (!ix.ok()) {
      sp.kind = SegmentPlan::Kind::kScan;
      sp.reason =
          ix.status().code() == Status::Code::kNotFound ? "no index" : ix.status().message();
    } else if (ix->segment_bytes != r.file_bytes || ix->segment_name != r.name) {
      sp.kind = SegmentPlan::Kind::kScan;
      sp.reason = "index does not describe this file (stale)";
    } else {
      sp.kind = SegmentPlan::Kind::kIndex;
      sp.candidates = SelectCandidates(*ix, plan.parsed, o.range);
      sp.monotonic = ix->monotonic;
      sp.reason = plan.parsed ? "index" : "index (all packets: " + plan.why_not + ")";
    }
    if (std::find(plan.linktypes.begin(), plan.linktypes.end(), r.linktype) == plan.linktypes.end())
      plan.linktypes.push_back(r.linktype);
    TROVE_RETURN_IF_ERROR(bpf.Prepare(r.linktype));
    plan.segments.push_back(std::move(sp));
  }
  std::set<std::string> catalogued;
  for (const SegmentPlan& sp : plan.segments) catalogued.insert(sp.seg.name);
  for (const OpenSegmentFile& f : o.open_segments) {
    if (catalogued.count(f.name)) continue;  // published meanwhile
    auto rd = SegmentReader::Open(f.path);
    if (!rd.ok()) continue;  // published (renamed) or still without a header
    SegmentPlan sp;
    sp.seg.name = f.name;
    sp.seg.link = f.link;
    sp.seg.path = f.path;
    sp.seg.linktype = (*rd)->linktype();
    sp.kind = SegmentPlan::Kind::kScan;
    sp.open = true;
    sp.reason = "open segment (scanning its flushed blocks)";
    if (std::find(plan.linktypes.begin(), plan.linktypes.end(), sp.seg.linktype) ==
        plan.linktypes.end())
      plan.linktypes.push_back(sp.seg.linktype);
    TROVE_RETURN_IF_ERROR(bpf.Prepare(sp.seg.linktype));
    plan.segments.push_back(std::move(sp));
  }
  return plan;
}

namespace {

struct Cursor {
  std::unique_ptr<SegmentReader> reader;
  std::vector<uint64_t> walk;        // offsets visited, in file order
  std::vector<uint64_t> candidates;  // sorted; used when filter_walk
  bool filter_walk = false;          // walk holds non-candidates too
  size_t next = 0, cand = 0, order = 0;
  int64_t running_max = INT64_MIN;
  int64_t key = 0;  // merge key of head
  PcapngPacket head;
};

}  // namespace

Result<QueryStats> RunQuery(const QueryPlan& plan, const QueryFilter& bpf, const QueryOptions& o,
                            CaptureOutput& out) {
  QueryStats st;
  std::vector<Cursor> cursors;
  for (const SegmentPlan& sp : plan.segments) {
    if (sp.kind != SegmentPlan::Kind::kIndex && sp.kind != SegmentPlan::Kind::kScan) continue;
    Cursor c;
    auto rd = SegmentReader::Open(sp.seg.path);
    if (!rd.ok() && sp.open) continue;  // published since planning: not read twice
    TROVE_ASSIGN_OR_RETURN(c.reader, std::move(rd));
    if (sp.kind == SegmentPlan::Kind::kIndex && sp.monotonic) {
      c.walk = sp.candidates.offsets;
    } else {
      // Every packet is visited for the running maximum of timestamps.
      TROVE_ASSIGN_OR_RETURN(c.walk, c.reader->AllPacketOffsets());
      if (sp.kind == SegmentPlan::Kind::kIndex) {
        c.candidates = sp.candidates.offsets;
        c.filter_walk = true;
      }
    }
    c.order = cursors.size();
    cursors.push_back(std::move(c));
  }
  // Advances a cursor to its next matching packet; false at the end.
  auto advance = [&](Cursor& c) -> Result<bool> {
    while (c.next < c.walk.size()) {
      const uint64_t off = c.walk[c.next++];
      TROVE_ASSIGN_OR_RETURN(PcapngPacket p, c.reader->PacketAt(off));
      c.running_max = std::max(c.running_max, p.ts_ns);
      if (c.filter_walk) {
        while (c.cand < c.candidates.size() && c.candidates[c.cand] < off) ++c.cand;
        if (c.cand >= c.candidates.size() || c.candidates[c.cand] != off) continue;
      }
      ++st.packets_read;
      if (!o.range.Contains(p.ts_ns)) continue;
      if (!bpf.Matches(c.reader->linktype(), p.caplen, p.wirelen, p.data)) continue;
      c.head = p;
      c.key = c.running_max;
      return true;
    }
    return false;
  };
  auto later = [&](size_t a, size_t b) {
    const Cursor& x = cursors[a];
    const Cursor& y = cursors[b];
    return x.key != y.key ? x.key > y.key : x.order > y.order;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (size_t i = 0; i < cursors.size(); ++i) {
    TROVE_ASSIGN_OR_RETURN(bool has, advance(cursors[i]));
    if (has) heap.push(i);
  }
  while (!heap.empty()) {
    if (o.limit_packets && st.packets_out >= o.limit_packets) break;
    const size_t i = heap.top();
    heap.pop();
    Cursor& c = cursors[i];
    TROVE_RETURN_IF_ERROR(
        out.Write(c.reader->linktype(), c.head.ts_ns, c.head.caplen, c.head.wirelen, c.head.data));
    ++st.packets_out;
    TROVE_ASSIGN_OR_RETURN(bool has, advance(c));
    if (has) heap.push(i);
  }
  return st;
}

}  // namespace trove
