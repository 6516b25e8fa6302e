// trove ls: list segments.
#include "cli/output.h"
#include "cli/store_access.h"
#include "util/time_util.h"

namespace trove::cli {

void RegisterLs(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("ls", "List stored segments in time order");
  struct Opts {
    RangeOptions range;
    bool json = false, all = false, expired = false;
  };
  auto o = std::make_shared<Opts>();
  AddRangeOptions(cmd, &o->range);
  cmd->add_flag("--all", o->all, "Include expired and missing segments");
  cmd->add_flag("--expired", o->expired, "Only expired segments (budget, retention)");
  cmd->add_flag("--json", o->json, "JSON array on stdout");
  cmd->callback([&g, o] {
    auto store = OpenStoreOrThrow(g);
    SegmentQuery q = MakeQuery(o->range);
    if (o->expired)
      q.state = SegmentState::kExpired;
    else if (!o->all)
      q.state = SegmentState::kStored;
    auto list = store->catalog().ListSegments(q);
    if (!list.ok()) throw ExitError{1, list.status().message()};
    if (o->json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : *list) arr.push_back(SegmentToJson(r));
      PrintJson(arr);
      return;
    }
    std::printf("%6s  %-48s %-12s %-30s %10s %12s %10s  %s\n", "ID", "NAME", "CLASS", "START",
                "SECONDS", "PACKETS", "BYTES", "WHERE");
    for (const auto& r : *list) {
      std::printf(
          "%6lld  %-48s %-12s %-30s %10.3f %12llu %10s  %s%s\n", static_cast<long long>(r.id),
          r.name.c_str(), r.klass.empty() ? "-" : r.klass.c_str(),
          FormatRfc3339(r.stats.first_ts_ns).c_str(), static_cast<double>(r.duration_ns()) / 1e9,
          static_cast<unsigned long long>(r.stats.packets),
          FormatBytes(static_cast<double>(r.stats.cap_bytes)).c_str(), ToString(r.area),
          r.state == SegmentState::kStored ? "" : (std::string(" ") + ToString(r.state)).c_str());
    }
  });
}

void RegisterInfo(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("info", "Everything known about one segment");
  struct Opts {
    std::string id;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("segment", o->id, "Segment id or name")->required();
  cmd->add_flag("--json", o->json, "JSON object on stdout");
  cmd->callback([&g, o] {
    auto store = OpenStoreOrThrow(g);
    auto r = store->catalog().GetSegment(o->id);
    if (!r.ok()) throw ExitError{2, r.status().message()};
    if (o->json) PrintJson(SegmentToJson(*r));
    else std::printf("%s", SegmentDetails(*r).c_str());
  });
}

}  // namespace trove::cli
