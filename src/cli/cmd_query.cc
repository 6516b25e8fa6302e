// trove query: stored packets matching a pcap-filter expression, as pcap.
#include <unistd.h>

#include "cli/output.h"
#include "cli/signals.h"
#include "cli/store_access.h"
#include "query/query_session.h"
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
    RangeOptions range;
    range.since = o->since;
    range.until = o->until;
    const SegmentQuery sq = MakeQuery(range);
    QueryRequest req;
    for (const auto& part : o->expr) req.expr += (req.expr.empty() ? "" : " ") + part;
    if (sq.since_ns) req.range.since_ns = *sq.since_ns;
    if (sq.until_ns) req.range.until_ns = *sq.until_ns;
    req.limit_packets = o->limit;
    if (!o->link.empty()) req.link = o->link;
    req.include_open = o->include_open;
    req.follow = o->follow;
    req.poll_interval_ns = static_cast<int64_t>(o->poll * 1e9);
    req.nice = o->nice;
    if (!o->max_rate.empty()) {
      auto r = ParseSize(o->max_rate);
      if (!r.ok()) throw ExitError{2, "--max-rate: " + r.status().message()};
      req.max_read_rate = *r;
    }
    if (!o->io_priority.empty()) {
      auto r = IoPriority::Parse(o->io_priority);
      if (!r.ok()) throw ExitError{2, "--io-priority: " + r.status().message()};
      req.io_priority = *r;
    }
    auto store = OpenStoreOrThrow(g);
    const int64_t started = MonotonicNs();
    auto session = QuerySession::Prepare(*store, std::move(req));
    if (!session.ok())
      throw ExitError{session.status().code() == Status::Code::kInvalidArgument ? 2 : 1,
                      session.status().message()};
    const QueryPlan& plan = (*session)->plan();
    if (o->explain) {
      if (o->json)
        PrintJson(PlanToJson(plan));
      else
        PrintPlan(plan);
      return;
    }
    CaptureFormat fmt = (*session)->DefaultFormat();
    if (o->format == "pcap") fmt = CaptureFormat::kPcap;
    if (o->format == "pcapng") fmt = CaptureFormat::kPcapng;
    if (o->out == "-" && isatty(STDOUT_FILENO))
      throw ExitError{2, "refusing to write a capture to a terminal; use -w FILE or a pipe"};
    CaptureOutputOptions co;
    co.comments.push_back("trove query result");
    auto out = CaptureOutput::Open(o->out, fmt, plan.linktypes, co);
    if (!out.ok()) throw ExitError{2, out.status().message()};
    // Only --follow ends on a signal (cleanly); a plain query dies as usual.
    static const std::atomic<bool> never{false};
    const std::atomic<bool>& stop = o->follow ? InstallStopHandlers() : never;
    auto st = (*session)->Run(**out, stop);
    Status c = (*out)->Close();
    if (o->stats && st.ok()) {
      const double secs = static_cast<double>(MonotonicNs() - started) * 1e-9;
      const QuerySessionStats& t = *st;
      nlohmann::json j{{"packets_out", t.query.packets_out},
                       {"packets_examined", t.query.packets_read},
                       {"segments_read", t.query.segments_opened},
                       {"bytes_read", t.bytes_read},
                       {"max_read_rate", t.max_read_rate},
                       {"throttled_s", static_cast<double>(t.throttled_ns) * 1e-9},
                       {"elapsed_s", secs},
                       {"io_priority", t.io_priority.ToString()}};
      if (o->json)
        std::fprintf(stderr, "%s\n", j.dump().c_str());
      else
        std::fprintf(
            stderr,
            "trove query: %llu packets out, %llu examined, %llu segments read, %s read in "
            "%.3f s (%.3f s throttled at %s/s; io %s)\n",
            static_cast<unsigned long long>(t.query.packets_out),
            static_cast<unsigned long long>(t.query.packets_read),
            static_cast<unsigned long long>(t.query.segments_opened),
            FormatBytes(static_cast<double>(t.bytes_read)).c_str(), secs,
            static_cast<double>(t.throttled_ns) * 1e-9,
            t.max_read_rate ? FormatBytes(static_cast<double>(t.max_read_rate)).c_str()
                            : "unlimited",
            t.io_priority.ToString().c_str());
    }
    if (!st.ok()) throw ExitError{1, st.status().message()};
    if (!c.ok()) throw ExitError{1, c.message()};
  });
}

}  // namespace trove::cli
