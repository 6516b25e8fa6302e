#include "cli/store_access.h"

#include "util/time_util.h"

namespace trove::cli {

std::unique_ptr<Store> OpenStoreOrThrow(const GlobalOptions& g) {
  auto s = Store::Open(ResolveStoreDir(g));
  if (!s.ok()) {
    int code = s.status().code() == Status::Code::kNotFound ? 2 : 1;
    throw ExitError{code, s.status().message()};
  }
  return std::move(s).value();
}

void AddRangeOptions(CLI::App* cmd, RangeOptions* o) {
  cmd->add_option("--link", o->link, "Only this link");
  cmd->add_option("--since", o->since, "From this time (RFC 3339, epoch seconds, '15m ago')");
  cmd->add_option("--until", o->until, "Before this time");
  cmd->add_option_function<std::string>(
      "--class", [o](const std::string& v) { o->klass = v; },
      "Only this storage class's segments (\"\" = segments without a class)");
  cmd->add_option("--level", o->level,
                  "Only this privacy level: raw (default), a derived level such as scrubbed or "
                  "scrambled, or 'any'");
}

SegmentQuery MakeQuery(const RangeOptions& o) {
  SegmentQuery q;
  const int64_t now = WallClockNs();
  if (!o.link.empty()) q.link = o.link;
  q.klass = o.klass;
  // Raw by default, so counts and totals do not include derived copies.
  if (o.level.empty())
    q.level = "raw";
  else if (o.level != "any")
    q.level = o.level;
  if (!o.since.empty()) {
    auto t = ParseTime(o.since, now);
    if (!t.ok()) throw ExitError{2, "--since: " + t.status().message()};
    q.since_ns = *t;
  }
  if (!o.until.empty()) {
    auto t = ParseTime(o.until, now);
    if (!t.ok()) throw ExitError{2, "--until: " + t.status().message()};
    q.until_ns = *t;
  }
  return q;
}

std::vector<ConnLogEntry> CollectFlowsOrThrow(const GlobalOptions& g, const RangeOptions& o) {
  SegmentQuery q = MakeQuery(o);
  q.state = SegmentState::kStored;
  TimeRange tr;
  if (q.since_ns) tr.since_ns = *q.since_ns;
  if (q.until_ns) tr.until_ns = *q.until_ns;
  auto store = OpenStoreOrThrow(g);
  auto rows = CollectConnLog(store->catalog(), q, tr);
  if (!rows.ok()) throw ExitError{1, rows.status().message()};
  return std::move(*rows);
}

}  // namespace trove::cli
