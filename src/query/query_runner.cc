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
    const std::string ix_path = IndexPathFor(r.path);
    // Only the candidate records are read (O(candidates) for version-3
    // indexes; older ones are decoded without offsets and postings).
    auto ix = OpenIndexView(ix_path);
    Result<CandidateSet> cand = Status::Ok();
    const bool fresh = ix.ok() && (*ix)->meta().segment_bytes == r.file_bytes &&
                       (*ix)->meta().segment_name == r.name;
    if (fresh) cand = SelectCandidates(**ix, plan.parsed, o.range);
    if (o.read_limit && ix.ok()) o.read_limit->Acquire((*ix)->bytes_read());
    if (!ix.ok()) {
      sp.kind = SegmentPlan::Kind::kScan;
      sp.reason =
          ix.status().code() == Status::Code::kNotFound ? "no index" : ix.status().message();
    } else if (!cand.ok()) {
      sp.kind = SegmentPlan::Kind::kScan;
      sp.reason = cand.status().message();
    } else if (!fresh) {
      sp.kind = SegmentPlan::Kind::kScan;
      sp.reason = "index does not describe this file (stale)";
    } else {
      sp.kind = SegmentPlan::Kind::kIndex;
      sp.candidates = std::move(*cand);
      sp.monotonic = (*ix)->meta().monotonic;
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
  // Segments to read, in plan order (catalogued ones by (start, id), then
  // the open ones, which have no catalogued start and are opened first).
  std::vector<size_t> todo;
  for (size_t i = 0; i < plan.segments.size(); ++i) {
    const SegmentPlan& sp = plan.segments[i];
    // An index plan without candidates has nothing to read: the segment
    // file is not even opened.
    if (sp.kind == SegmentPlan::Kind::kIndex && sp.candidates.offsets.empty()) continue;
    if (sp.kind == SegmentPlan::Kind::kIndex || sp.kind == SegmentPlan::Kind::kScan)
      todo.push_back(i);
  }
  std::vector<Cursor> cursors(plan.segments.size());
  // Advances a cursor to its next matching packet; false at the end (the
  // cursor's file and offsets are released then).
  auto advance = [&](Cursor& c) -> Result<bool> {
    while (c.next < c.walk.size()) {
      const uint64_t off = c.walk[c.next++];
      const uint64_t next = c.next < c.walk.size() ? c.walk[c.next] : 0;
      TROVE_ASSIGN_OR_RETURN(PcapngPacket p, c.reader->PacketAt(off, next));
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
    c = Cursor{};
    return false;
  };
  auto later = [&](size_t a, size_t b) {
    const Cursor& x = cursors[a];
    const Cursor& y = cursors[b];
    return x.key != y.key ? x.key > y.key : x.order > y.order;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  // Segments whose time range overlaps no other segment read: their merge
  // keys order them before or after every other segment whatever they
  // are, so even one whose timestamps go backwards is read sparsely
  // (candidates only) instead of visiting every packet for the running
  // maximum. Filled once `todo` is sorted.
  std::vector<bool> alone(plan.segments.size(), false);
  // Opens plan.segments[i] and queues its first match.
  auto open = [&](size_t i) -> Status {
    const SegmentPlan& sp = plan.segments[i];
    auto rd = SegmentReader::Open(sp.seg.path);
    if (!rd.ok() && sp.open) return Status::Ok();  // published since planning: not read twice
    Cursor& c = cursors[i];
    TROVE_ASSIGN_OR_RETURN(c.reader, std::move(rd));
    c.reader->set_read_limit(o.read_limit);
    ++st.segments_opened;
    if (sp.kind == SegmentPlan::Kind::kIndex && (sp.monotonic || alone[i])) {
      c.walk = sp.candidates.offsets;
      TROVE_RETURN_IF_ERROR(c.reader->UseSparseReads());
      c.reader->Prefetch(c.walk);
    } else {
      // Every packet is visited for the running maximum of timestamps.
      TROVE_ASSIGN_OR_RETURN(c.walk, c.reader->AllPacketOffsets());
      if (sp.kind == SegmentPlan::Kind::kIndex) {
        c.candidates = sp.candidates.offsets;
        c.filter_walk = true;
      }
    }
    c.order = i;
    TROVE_ASSIGN_OR_RETURN(bool has, advance(c));
    if (has) heap.push(i);
    return Status::Ok();
  };
  // A segment's merge keys are >= its first (smallest) timestamp, so it
  // need not be open while every queued head is earlier than that.
  auto starts = [&](size_t i) {
    const SegmentPlan& sp = plan.segments[i];
    return sp.open ? INT64_MIN : sp.seg.stats.first_ts_ns;
  };
  std::stable_sort(todo.begin(), todo.end(),
                   [&](size_t a, size_t b) { return starts(a) < starts(b); });
  bool any_open = false;
  for (size_t i : todo) any_open = any_open || plan.segments[i].open;
  int64_t last_before = INT64_MIN;  // latest timestamp of the segments before todo[k]
  for (size_t k = 0; !any_open && k < todo.size(); ++k) {
    const SegmentRecord& s = plan.segments[todo[k]].seg;
    const bool after_all = k == 0 || last_before < s.stats.first_ts_ns;
    const bool before_all =
        k + 1 == todo.size() || s.stats.last_ts_ns < plan.segments[todo[k + 1]].seg.stats.first_ts_ns;
    alone[todo[k]] = after_all && before_all;
    last_before = std::max(last_before, s.stats.last_ts_ns);
  }
  size_t pending = 0;
  for (;;) {
    while (pending < todo.size() &&
           (heap.empty() || starts(todo[pending]) <= cursors[heap.top()].key))
      TROVE_RETURN_IF_ERROR(open(todo[pending++]));
    if (heap.empty()) break;
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
