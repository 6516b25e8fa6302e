#include "query/query_session.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "util/log.h"
#include "util/time_util.h"

namespace trove {

QuerySession::QuerySession(Store& store, QueryRequest req) : store_(store), req_(std::move(req)) {}

Result<std::unique_ptr<QuerySession>> QuerySession::Prepare(Store& store, QueryRequest req) {
  if (req.include_open && req.follow)
    return Status::InvalidArgument(
        "--include-open and --follow cannot be combined (an open segment would be delivered "
        "twice)");
  std::unique_ptr<QuerySession> s(new QuerySession(store, std::move(req)));
  const QueryRequest& r = s->req_;
  s->bpf_ = std::make_unique<QueryFilter>(r.expr);
  // Validate the expression before touching the store.
  if (Status st = s->bpf_->Prepare(1); !st.ok())
    return Status::InvalidArgument("bad filter expression: " + st.message());
  s->q_.expr = r.expr;
  s->q_.range = r.range;
  s->q_.limit_packets = r.limit_packets;
  s->q_.link = r.link;
  // Retrieval yields to capture and import on the same machine.
  const QueryConfig& qc = store.config().query;
  if (Status st = LowerCpuPriority(r.nice >= 0 ? r.nice : qc.nice); !st.ok())
    LogWarning("query: " + st.message());
  if (r.io_priority)
    s->io_ = *r.io_priority;
  else if (auto parsed = IoPriority::Parse(qc.io_priority); parsed.ok())
    s->io_ = *parsed;  // [query] io_priority was validated when the config was read
  if (Status st = LowerIoPriority(s->io_); !st.ok()) LogWarning("query: " + st.message());
  s->limiter_ = std::make_unique<RateLimiter>(r.max_read_rate ? *r.max_read_rate : qc.max_read_rate);
  s->q_.read_limit = s->limiter_.get();
  if (r.include_open)
    s->q_.open_segments = FindOpenSegments(
        {store.AreaDir(StorageArea::kPrimary), store.AreaDir(StorageArea::kSpool)}, s->q_.link);
  auto plan = PlanQuery(store.catalog(), s->q_, *s->bpf_);
  if (!plan.ok()) {
    if (plan.status().code() == Status::Code::kInvalidArgument)
      return Status::InvalidArgument("bad filter expression: " + plan.status().message());
    return plan.status();
  }
  s->plan_ = std::move(plan).value();
  return s;
}

CaptureFormat QuerySession::DefaultFormat() const {
  return plan_.linktypes.size() > 1 ? CaptureFormat::kPcapng : CaptureFormat::kPcap;
}

Result<QuerySessionStats> QuerySession::Run(CaptureOutput& out, const std::atomic<bool>& stop) {
  QuerySessionStats total;
  auto st = RunQuery(plan_, *bpf_, q_, out);
  if (!st.ok()) return st.status();
  total.query = *st;
  if (req_.follow) {
    // Stream segments as they are published (ids not planned before).
    uint64_t delivered = st->packets_out;
    auto note_seen = [&](const QueryPlan& p) {
      for (const SegmentPlan& s : p.segments) q_.exclude_ids.insert(s.seg.id);
    };
    note_seen(plan_);
    TROVE_RETURN_IF_ERROR(out.Flush());
    while (!stop.load() && (!q_.limit_packets || delivered < q_.limit_packets)) {
      for (int64_t waited = 0; waited < req_.poll_interval_ns && !stop.load();
           waited += 10'000'000)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (stop.load()) break;
      q_.open_segments.clear();  // follow delivers segments once published
      TROVE_ASSIGN_OR_RETURN(QueryPlan next, PlanQuery(store_.catalog(), q_, *bpf_));
      note_seen(next);
      for (SegmentPlan& s : next.segments) {
        if (!out.Accepts(s.seg.linktype)) {
          std::fprintf(stderr,
                       "trove: --follow: skipping segment %s of link type %u (pcap output; use "
                       "--format pcapng)\n",
                       s.seg.name.c_str(), s.seg.linktype);
          s.kind = SegmentPlan::Kind::kPrunedTime;
        }
      }
      QueryOptions rest = q_;
      if (q_.limit_packets) rest.limit_packets = q_.limit_packets - delivered;
      TROVE_ASSIGN_OR_RETURN(QueryStats more, RunQuery(next, *bpf_, rest, out));
      delivered += more.packets_out;
      total.query.packets_out += more.packets_out;
      total.query.packets_read += more.packets_read;
      total.query.segments_opened += more.segments_opened;
      TROVE_RETURN_IF_ERROR(out.Flush());
    }
  }
  total.bytes_read = limiter_->acquired();
  total.max_read_rate = limiter_->rate();
  total.throttled_ns = limiter_->slept_ns();
  total.io_priority = io_;
  return total;
}

}  // namespace trove
