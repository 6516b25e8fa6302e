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
    // The size columns, in output order (docs/CLI.md `flows`).
    using U = uint64_t ConnLogRow::*;
    static constexpr std::pair<const char*, U> kSizes[] = {
        {"orig_pkts", &ConnLogRow::orig_pkts},
        {"resp_pkts", &ConnLogRow::resp_pkts},
        {"orig_ip_bytes", &ConnLogRow::orig_ip_bytes},
        {"resp_ip_bytes", &ConnLogRow::resp_ip_bytes},
        {"orig_wire_bytes", &ConnLogRow::orig_wire_bytes},
        {"resp_wire_bytes", &ConnLogRow::resp_wire_bytes},
        {"orig_stored_pkts", &ConnLogRow::orig_stored_pkts},
        {"resp_stored_pkts", &ConnLogRow::resp_stored_pkts},
        {"orig_stored_bytes", &ConnLogRow::orig_stored_bytes},
        {"resp_stored_bytes", &ConnLogRow::resp_stored_bytes},
    };
    if (o->format == "json") {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& [r, seg] : rows) {
        nlohmann::json j = {{"ts", Seconds(r.ts_ns)},
                            {"ts_ns", r.ts_ns},
                            {"uid", r.uid},
                            {"id.orig_h", r.orig_h},
                            {"id.orig_p", r.orig_p},
                            {"id.resp_h", r.resp_h},
                            {"id.resp_p", r.resp_p},
                            {"proto", r.proto},
                            {"duration", Seconds(r.duration_ns)}};
        for (const auto& [name, field] : kSizes) j[name] = r.*field;
        j["conn_state"] = r.conn_state;
        j["cut"] = r.cut;
        j["sizes"] = r.sizes;
        j["segment"] = seg;
        arr.push_back(std::move(j));
      }
      PrintJson(arr);
      return;
    }
    std::string head = "ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,duration";
    for (const auto& [name, field] : kSizes) head += std::string(",") + name;
    std::printf("%s,conn_state,cut,sizes,segment\n", head.c_str());
    for (const auto& [r, seg] : rows) {
      std::printf("%s,%s,%s,%u,%s,%u,%s,%s", Seconds(r.ts_ns).c_str(), r.uid.c_str(),
                  r.orig_h.c_str(), r.orig_p, r.resp_h.c_str(), r.resp_p, r.proto.c_str(),
                  Seconds(r.duration_ns).c_str());
      for (const auto& [name, field] : kSizes)
        std::printf(",%llu", static_cast<unsigned long long>(r.*field));
      std::printf(",%s,%s,%s,%s\n", r.conn_state.c_str(), r.cut ? "true" : "false",
                  r.sizes.c_str(), seg.c_str());
    }
  });
}

}  // namespace trove::cli
