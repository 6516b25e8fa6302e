// trove query: stored packets matching a pcap-filter expression, as pcap.
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli/output.h"
#include "cli/signals.h"
#include "cli/store_access.h"
#include "query/query_runner.h"
#include "util/log.h"
#include "util/process_priority.h"
#include "util/rate_limiter.h"
#include "util/time_util.h"

namespace trove::cli {
namespace {

nlohmann::json PlanToJson(const QueryPlan& p) {
  nlohmann::json segs = nlohmann::json::array();
  for (const SegmentPlan& s : p.segments) {
    nlohmann::json j{{"id", s.seg.id},
                     {"name", s.seg.name},
                     {"plan", ToString(s.kind)},
                     {"reason", s.reason},
                     {"packets", s.seg.stats.packets}};
    if (s.kind == SegmentPlan::Kind::kIndex) {
      j["records"] = s.candidates.records;
      j["candidate_records"] = s.candidates.candidate_records;
      j["candidate_packets"] = s.candidates.offsets.size();
      j["time_blocks_skipped"] = s.candidates.blocks_skipped;
    }
    segs.push_back(j);
  }
  nlohmann::json j{{"expression", p.expr}, {"indexable", p.parsed.has_value()}, {"segments", segs}};
  if (p.parsed)
    j["index_expression"] = p.parsed->ToString();
  else
    j["not_indexable_because"] = p.why_not;
  return j;
}

void PrintPlan(const QueryPlan& p) {
  std::printf("expression: %s\n", p.expr.empty() ? "(empty: every packet)" : p.expr.c_str());
  if (p.parsed)
    std::printf("index plan: %s\n", p.parsed->ToString().c_str());
  else
    std::printf("index plan: none, scanning (%s)\n", p.why_not.c_str());
  for (const SegmentPlan& s : p.segments) {
    std::printf("segment %lld %s: %s", static_cast<long long>(s.seg.id), s.seg.name.c_str(),
                ToString(s.kind));
    if (s.kind == SegmentPlan::Kind::kIndex)
      std::printf(" (%zu of %zu records, %zu of %llu packets)", s.candidates.candidate_records,
                  s.candidates.records, s.candidates.offsets.size(),
                  static_cast<unsigned long long>(s.seg.stats.packets));
    std::printf(" — %s\n", s.reason.c_str());
  }
}

}  // namespace

void RegisterQuery(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "query", "Stored packets matching a pcap-filter expression, in time order, as pcap");
  struct Opts {
    std::string link, since, until, out = "-", format, max_rate, io_priority;
    std::vector<std::string> expr;
    uint64_t limit = 0;
    bool explain = false, json = false, follow = false, include_open = false, stats = false;
    double poll = 0.5;
    int nice = -1;  // -1: [query] nice
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--link", o->link, "Only this link");
  cmd->add_option("--since", o->since,
                  "Packets at/after this time (RFC 3339, epoch seconds, '15m ago')");
  cmd->add_option("--until", o->until, "Packets before this time");
  cmd->add_option("--limit-packets", o->limit, "Stop after this many packets");
  cmd->add_option("-w", o->out, "Write to this file (default: stdout)");
  cmd->add_option("--format", o->format,
                  "pcap (nanosecond; default when one link type) or pcapng (default otherwise)")
      ->check(CLI::IsMember({"pcap", "pcapng"}));
  cmd->add_flag("--explain", o->explain,
                "Print the plan (pruned / index / scan per segment) and stop");
  cmd->add_flag("--json", o->json,
                "With --explain: the plan as JSON; with --stats: the stats as JSON");
  cmd->add_flag("--follow,-f", o->follow,
                "After the stored matches, stream matches from newly published segments until "
                "interrupted");
  cmd->add_option("--poll-interval", o->poll, "--follow: seconds between catalogue polls (0.5)")
      ->check(CLI::Range(0.01, 60.0));
  cmd->add_flag("--include-open", o->include_open,
                "Also scan the segments being written (their flushed blocks)");
  cmd->add_option("--nice", o->nice,
                  "CPU priority of the query (default: [query] nice, 10: below a capture)")
      ->check(CLI::Range(0, 19));
  cmd->add_option("--io-priority", o->io_priority,
                  "I/O class: idle, best-effort[:N] or none (default: [query] io_priority, idle)");
  cmd->add_option("--max-rate", o->max_rate,
                  "Read segment files at most this many bytes/s, e.g. 50M; 0 = unlimited "
                  "(default: [query] max_read_rate, 200M)");
  cmd->add_flag("--stats", o->stats,
                "Print what the query read (packets, segments, bytes, time throttled) to "
                "stderr; as JSON with --json");
  cmd->add_option("expr", o->expr, "pcap-filter expression (tcpdump syntax); empty = every packet");
  cmd->callback([&g, o] {
    std::string expr;
    for (const auto& part : o->expr) expr += (expr.empty() ? "" : " ") + part;
    RangeOptions range;
    range.since = o->since;
    range.until = o->until;
    const SegmentQuery sq = MakeQuery(range);
    QueryOptions q;
    q.expr = expr;
    if (sq.since_ns) q.range.since_ns = *sq.since_ns;
    if (sq.until_ns) q.range.until_ns = *sq.until_ns;
    q.limit_packets = o->limit;
    if (!o->link.empty()) q.link = o->link;

    QueryFilter bpf(expr);
    // Validate the expression (and the options) before touching the store.
    if (Status s = bpf.Prepare(1); !s.ok())
      throw ExitError{2, "bad filter expression: " + s.message()};
    std::optional<uint64_t> cli_rate;
    if (!o->max_rate.empty()) {
      auto r = ParseSize(o->max_rate);
      if (!r.ok()) throw ExitError{2, "--max-rate: " + r.status().message()};
      cli_rate = *r;
    }
    std::optional<IoPriority> cli_io;
    if (!o->io_priority.empty()) {
      auto r = IoPriority::Parse(o->io_priority);
      if (!r.ok()) throw ExitError{2, "--io-priority: " + r.status().message()};
      cli_io = *r;
    }
    auto store = OpenStoreOrThrow(g);
    // Retrieval yields to capture and import on the same machine: lower CPU
    // and I/O priority (only ever lowered) and a bound on the bytes read.
    const QueryConfig& qc = store->config().query;
    if (Status s = LowerCpuPriority(o->nice >= 0 ? o->nice : qc.nice); !s.ok())
      LogWarning("query: " + s.message());
    IoPriority io;  // [query] io_priority was validated when the config was read
    if (cli_io)
      io = *cli_io;
    else if (auto parsed = IoPriority::Parse(qc.io_priority); parsed.ok())
      io = *parsed;
    if (Status s = LowerIoPriority(io); !s.ok()) LogWarning("query: " + s.message());
    RateLimiter limiter(cli_rate ? *cli_rate : qc.max_read_rate);
    q.read_limit = &limiter;
    const int64_t started = MonotonicNs();
    if (o->include_open && o->follow)
      throw ExitError{2,
                      "--include-open and --follow cannot be combined (an open segment would "
                      "be delivered twice)"};
    if (o->include_open)
      q.open_segments = FindOpenSegments(
          {store->AreaDir(StorageArea::kPrimary), store->AreaDir(StorageArea::kSpool)}, q.link);
    auto plan = PlanQuery(store->catalog(), q, bpf);
    if (!plan.ok()) {
      const bool bad_expr = plan.status().code() == Status::Code::kInvalidArgument;
      throw ExitError{bad_expr ? 2 : 1,
                      (bad_expr ? "bad filter expression: " : "") + plan.status().message()};
    }
    if (o->explain) {
      if (o->json)
        PrintJson(PlanToJson(*plan));
      else
        PrintPlan(*plan);
      return;
    }
    CaptureFormat fmt = plan->linktypes.size() > 1 ? CaptureFormat::kPcapng : CaptureFormat::kPcap;
    if (o->format == "pcap") fmt = CaptureFormat::kPcap;
    if (o->format == "pcapng") fmt = CaptureFormat::kPcapng;
    if (o->out == "-" && isatty(STDOUT_FILENO))
      throw ExitError{2, "refusing to write a capture to a terminal; use -w FILE or a pipe"};
    auto out = CaptureOutput::Open(o->out, fmt, plan->linktypes);
    if (!out.ok()) throw ExitError{2, out.status().message()};
    auto st = RunQuery(*plan, bpf, q, **out);
    if (st.ok() && o->follow) {
      // Stream segments as they are published (ids not planned before).
      const auto& stop = InstallStopHandlers();
      uint64_t delivered = st->packets_out;
      auto note_seen = [&](const QueryPlan& p) {
        for (const SegmentPlan& s : p.segments) q.exclude_ids.insert(s.seg.id);
      };
      note_seen(*plan);
      Status fs = (*out)->Flush();
      while (fs.ok() && !stop.load() && (!q.limit_packets || delivered < q.limit_packets)) {
        for (int i = 0; i < static_cast<int>(o->poll * 100) && !stop.load(); ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (stop.load()) break;
        q.open_segments.clear();  // --follow delivers segments once published
        auto next = PlanQuery(store->catalog(), q, bpf);
        if (!next.ok()) {
          fs = next.status();
          break;
        }
        note_seen(*next);
        for (SegmentPlan& s : next->segments) {
          if (!(*out)->Accepts(s.seg.linktype)) {
            std::fprintf(stderr,
                         "trove: --follow: skipping segment %s of link type %u (pcap output; use "
                         "--format pcapng)\n",
                         s.seg.name.c_str(), s.seg.linktype);
            s.kind = SegmentPlan::Kind::kPrunedTime;
          }
        }
        QueryOptions rest = q;
        rest.open_segments.clear();
        if (q.limit_packets) rest.limit_packets = q.limit_packets - delivered;
        auto more = RunQuery(*next, bpf, rest, **out);
        if (!more.ok()) {
          fs = more.status();
          break;
        }
        delivered += more->packets_out;
        st->packets_out += more->packets_out;
        st->packets_read += more->packets_read;
        st->segments_opened += more->segments_opened;
        fs = (*out)->Flush();
      }
      if (!fs.ok()) st = fs;
    }
    Status c = (*out)->Close();
    if (o->stats && st.ok()) {
      const double secs = static_cast<double>(MonotonicNs() - started) * 1e-9;
      nlohmann::json j{{"packets_out", st->packets_out},
                       {"packets_examined", st->packets_read},
                       {"segments_read", st->segments_opened},
                       {"bytes_read", limiter.acquired()},
                       {"max_read_rate", limiter.rate()},
                       {"throttled_s", static_cast<double>(limiter.slept_ns()) * 1e-9},
                       {"elapsed_s", secs},
                       {"io_priority", io.ToString()}};
      if (o->json)
        std::fprintf(stderr, "%s\n", j.dump().c_str());
      else
        std::fprintf(
            stderr,
            "trove query: %llu packets out, %llu examined, %llu segments read, %s read in "
            "%.3f s (%.3f s throttled at %s/s; io %s)\n",
            static_cast<unsigned long long>(st->packets_out),
            static_cast<unsigned long long>(st->packets_read),
            static_cast<unsigned long long>(st->segments_opened),
            FormatBytes(static_cast<double>(limiter.acquired())).c_str(), secs,
            static_cast<double>(limiter.slept_ns()) * 1e-9,
            limiter.rate() ? FormatBytes(static_cast<double>(limiter.rate())).c_str() : "unlimited",
            io.ToString().c_str());
    }
    if (!st.ok()) throw ExitError{1, st.status().message()};
    if (!c.ok()) throw ExitError{1, c.message()};
  });
}

}  // namespace trove::cli
