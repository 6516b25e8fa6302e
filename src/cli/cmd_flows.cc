// trove flows: the connection records of the segment indexes, like Zeek's conn.log.
#include "cli/output.h"
#include "cli/store_access.h"
#include "query/conn_log.h"
#include "util/time_util.h"

namespace trove::cli {
namespace {

std::string Seconds(int64_t ns) {
  char b[48];
  const int64_t s = ns / 1000000000, f = ns % 1000000000;
  std::snprintf(b, sizeof b, "%lld.%09lld", static_cast<long long>(s),
                static_cast<long long>(f < 0 ? -f : f));
  return b;
}

}  // namespace

void RegisterFlows(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "flows", "Connection records from the segment indexes (columns like Zeek's conn.log)");
  struct Opts {
    std::string link, since, until, format = "csv";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--link", o->link, "Only this link");
  cmd->add_option("--since", o->since, "Connections active at/after this time");
  cmd->add_option("--until", o->until, "Connections active before this time");
  cmd->add_option("--format", o->format, "csv (default) or json")
      ->check(CLI::IsMember({"csv", "json"}));
  cmd->callback([&g, o] {
    RangeOptions range;
    range.link = o->link;
    range.since = o->since;
    range.until = o->until;
    const std::vector<ConnLogEntry> rows = CollectFlowsOrThrow(g, range);
    if (o->format == "json") {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& [r, seg] : rows)
        arr.push_back({{"ts", Seconds(r.ts_ns)},
                       {"ts_ns", r.ts_ns},
                       {"uid", r.uid},
                       {"id.orig_h", r.orig_h},
                       {"id.orig_p", r.orig_p},
                       {"id.resp_h", r.resp_h},
                       {"id.resp_p", r.resp_p},
                       {"proto", r.proto},
                       {"duration", Seconds(r.duration_ns)},
                       {"orig_bytes", r.orig_bytes},
                       {"resp_bytes", r.resp_bytes},
                       {"orig_pkts", r.orig_pkts},
                       {"resp_pkts", r.resp_pkts},
                       {"conn_state", r.conn_state},
                       {"cut", r.cut},
                       {"segment", seg}});
      PrintJson(arr);
      return;
    }
    std::printf(
        "ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,duration,orig_bytes,"
        "resp_bytes,orig_pkts,resp_pkts,conn_state,cut,segment\n");
    for (const auto& [r, seg] : rows)
      std::printf("%s,%s,%s,%u,%s,%u,%s,%s,%llu,%llu,%llu,%llu,%s,%s,%s\n",
                  Seconds(r.ts_ns).c_str(), r.uid.c_str(), r.orig_h.c_str(), r.orig_p,
                  r.resp_h.c_str(), r.resp_p, r.proto.c_str(), Seconds(r.duration_ns).c_str(),
                  static_cast<unsigned long long>(r.orig_bytes),
                  static_cast<unsigned long long>(r.resp_bytes),
                  static_cast<unsigned long long>(r.orig_pkts),
                  static_cast<unsigned long long>(r.resp_pkts), r.conn_state.c_str(),
                  r.cut ? "true" : "false", seg.c_str());
  });
}

}  // namespace trove::cli
