// trove stats: totals and rates over time.
#include <algorithm>
#include <cmath>

#include "cli/output.h"
#include "cli/stats_live.h"
#include "cli/store_access.h"
#include "flow/class_stats_recorder.h"
#include "query/traffic_series.h"
#include "store/expiry.h"
#include "util/fs.h"
#include "util/svg_plot.h"
#include "util/time_util.h"

namespace trove::cli {

void RegisterStats(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("stats", "Totals and packet/byte rates over time");
  struct Opts {
    RangeOptions range;
    std::string interval, svg;
    bool json = false, live = false;
    uint64_t count = 0;
  };
  auto o = std::make_shared<Opts>();
  AddRangeOptions(cmd, &o->range);
  cmd->add_option("--interval", o->interval, "Bucket width for rates (e.g. 60, 5m; default: auto)");
  cmd->add_option("--svg", o->svg, "Also write the rate-over-time plot to this SVG file");
  cmd->add_flag("--json", o->json,
                "JSON on stdout (with --live: one object per line and interval)");
  cmd->add_flag("--live", o->live,
                "Follow the running imports/captures (--link: one of them) every --interval "
                "(default 1s): rates per class, drops, connections, retention");
  cmd->add_option("--count", o->count,
                  "With --live: stop after this many samples (default: until ^C)");
  cmd->callback([&g, o] {
    if (o->live) {
      if (!o->range.since.empty() || !o->range.until.empty() || !o->svg.empty())
        throw ExitError{
            2, "--live shows the running ingests: --since, --until and --svg do not apply"};
      LiveStatsOptions lo;
      if (!o->range.link.empty()) lo.links.push_back(o->range.link);
      if (!o->interval.empty()) {
        auto d = ParseDuration(o->interval);
        if (!d.ok() || *d < 100'000'000)
          throw ExitError{2, "--interval: expected a duration of at least 100ms"};
        lo.interval_ns = *d;
      }
      lo.count = o->count;
      lo.json = o->json;
      RunLiveStats(g, lo);
      return;
    }
    auto store = OpenStoreOrThrow(g);
    SegmentQuery q = MakeQuery(o->range);
    q.state = SegmentState::kStored;
    auto list = store->catalog().ListSegments(q);
    if (!list.ok()) throw ExitError{1, list.status().message()};
    auto tot = store->catalog().Totals(q);
    if (!tot.ok()) throw ExitError{1, tot.status().message()};
    int64_t width = 0;  // 0: chosen from where the data is
    if (!o->interval.empty()) {
      auto d = ParseDuration(o->interval);
      if (!d.ok() || *d <= 0) throw ExitError{2, "--interval: expected a positive duration"};
      width = *d;
    }
    auto rs = ComputeTrafficSeries(*list, width);
    if (!rs.ok()) throw ExitError{2, "--interval: " + rs.status().message()};
    const RateSeries& series = *rs;
    width = series.width_ns;
    // Per-class counters of every link (cumulative over all runs), as the
    // writer recorded them at each segment publication.
    nlohmann::json class_stats = nlohmann::json::object();
    for (const auto& l : store->config().links) {
      auto m = store->catalog().GetMeta(ClassStatsRecorder::LinkKey(l.name));
      if (!m.ok() || !m->has_value()) continue;
      auto j = nlohmann::json::parse(**m, nullptr, /*allow_exceptions=*/false);
      if (j.is_object()) class_stats[l.name] = j;
    }
    // What each class keeps on disk now (budget) and how far back it
    // reaches (retention achieved), per link.
    nlohmann::json storage = nlohmann::json::array();
    for (const auto& l : store->config().links) {
      if (!o->range.link.empty() && l.name != o->range.link) continue;
      auto us = ClassUsages(store->fs(), store->catalog(), l.name);
      if (!us.ok()) throw ExitError{1, us.status().message()};
      for (const auto& u : *us) {
        const ClassConfig* c = store->config().FindClass(u.klass);
        storage.push_back({{"link", u.link},
                           {"class", u.klass},
                           {"segments", u.segments},
                           {"bytes", u.bytes},
                           {"budget", c ? c->disk_budget : 0},
                           {"retention_ns", c ? c->retention_ns : 0},
                           {"oldest_ns", u.oldest_ns},
                           {"newest_ns", u.newest_ns},
                           {"retained_ns", u.newest_ns - u.oldest_ns}});
      }
    }
    const double ws = static_cast<double>(width) / 1e9;
    if (o->json) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& i : series.intervals)
        rows.push_back({{"start_ns", i.start_ns},
                        {"start", FormatRfc3339(i.start_ns)},
                        {"end_ns", i.start_ns + width},
                        {"packets", i.packets},
                        {"wire_bytes", i.bytes},
                        {"pps", static_cast<double>(i.packets) / ws},
                        {"bps", 8 * static_cast<double>(i.bytes) / ws}});
      nlohmann::json gaps = nlohmann::json::array();
      for (const auto& gp : series.gaps)
        gaps.push_back({{"start_ns", gp.start_ns}, {"end_ns", gp.end_ns}, {"intervals", gp.intervals}});
      const auto& t = *tot;
      PrintJson({{"segments", t.segments},
                 {"packets", t.packets},
                 {"bytes", t.cap_bytes},
                 {"wire_bytes", t.wire_bytes},
                 {"file_bytes", t.file_bytes},
                 {"drops",
                  {{"kernel", t.kernel_drops}, {"ring", t.ring_drops}, {"store", t.store_drops}}},
                 {"start_ns", series.first_ns},
                 {"end_ns", series.last_ns},
                 {"interval_ns", width},
                 {"classes", class_stats},
                 {"storage", storage},
                 {"series", rows},
                 {"gaps", gaps},
                 {"empty_intervals", series.empty_intervals()}});
    } else {
      const auto& t = *tot;
      std::printf("segments   %llu\npackets    %llu\ncaptured   %s\non wire    %s\nfiles      %s\n",
                  static_cast<unsigned long long>(t.segments),
                  static_cast<unsigned long long>(t.packets),
                  FormatBytes(static_cast<double>(t.cap_bytes)).c_str(),
                  FormatBytes(static_cast<double>(t.wire_bytes)).c_str(),
                  FormatBytes(static_cast<double>(t.file_bytes)).c_str());
      std::printf("drops      kernel %llu, ring %llu, store %llu\n",
                  static_cast<unsigned long long>(t.kernel_drops),
                  static_cast<unsigned long long>(t.ring_drops),
                  static_cast<unsigned long long>(t.store_drops));
      for (auto it = class_stats.begin(); it != class_stats.end(); ++it) {
        std::printf("\nlink %s (all runs)\n%-16s %12s %14s %12s %14s %12s %12s %10s\n",
                    it.key().c_str(), "CLASS", "PKTS SEEN", "BYTES SEEN", "PKTS STORED",
                    "BYTES STORED", "PKTS CUT", "CONNS", "EVICTED");
        for (auto c = (*it)["classes"].begin(); c != (*it)["classes"].end(); ++c) {
          auto u = [&](const char* k) { return c->value(k, uint64_t{0}); };
          std::printf("%-16s %12llu %14llu %12llu %14llu %12llu %12llu %10llu\n", c.key().c_str(),
                      static_cast<unsigned long long>(u("packets_seen")),
                      static_cast<unsigned long long>(u("bytes_seen")),
                      static_cast<unsigned long long>(u("packets_stored")),
                      static_cast<unsigned long long>(u("bytes_stored")),
                      static_cast<unsigned long long>(u("packets_cut")),
                      static_cast<unsigned long long>(u("connections")),
                      static_cast<unsigned long long>(u("evicted_early")));
        }
        const auto& um = (*it)["unmatched"];
        if (um.is_object())
          std::printf("%-16s %12llu %14llu (not stored)\n", "(no class)",
                      static_cast<unsigned long long>(um.value("packets", uint64_t{0})),
                      static_cast<unsigned long long>(um.value("bytes", uint64_t{0})));
        std::printf("\n");
      }
      if (!storage.empty()) {
        std::printf("%-12s %-16s %10s %12s %12s %-30s %12s\n", "LINK", "CLASS", "SEGMENTS", "BYTES",
                    "BUDGET", "OLDEST PACKET", "RETAINED");
        for (const auto& s : storage) {
          const std::string k = s["class"].get<std::string>();
          const uint64_t budget = s["budget"].get<uint64_t>();
          std::printf("%-12s %-16s %10llu %12s %12s %-30s %11.0fs\n",
                      s["link"].get<std::string>().c_str(), k.empty() ? "-" : k.c_str(),
                      static_cast<unsigned long long>(s["segments"].get<uint64_t>()),
                      FormatBytes(static_cast<double>(s["bytes"].get<uint64_t>())).c_str(),
                      budget ? FormatBytes(static_cast<double>(budget)).c_str() : "none",
                      FormatRfc3339(s["oldest_ns"].get<int64_t>()).c_str(),
                      static_cast<double>(s["retained_ns"].get<int64_t>()) / 1e9);
        }
        std::printf("\n");
      }
      if (!series.intervals.empty()) {
        std::printf("span       %s .. %s\ninterval   %s (intervals without packets are summarised)\n\n"
                    "%-30s %14s %14s\n",
                    FormatRfc3339(series.first_ns).c_str(), FormatRfc3339(series.last_ns).c_str(),
                    FormatDurationExact(width).c_str(), "INTERVAL START", "PACKETS/S", "BITS/S");
        size_t g = 0;
        for (const auto& i : series.intervals) {
          if (g < series.gaps.size() && series.gaps[g].end_ns == i.start_ns) {
            const RateGap& gp = series.gaps[g++];
            std::printf("... %llu empty interval%s (%s without packets) ...\n",
                        static_cast<unsigned long long>(gp.intervals), gp.intervals == 1 ? "" : "s",
                        FormatDuration(gp.end_ns - gp.start_ns).c_str());
          }
          std::printf("%-30s %14.1f %14s\n", FormatRfc3339(i.start_ns).c_str(),
                      static_cast<double>(i.packets) / ws,
                      FormatBytes(8 * static_cast<double>(i.bytes) / ws).c_str());
        }
      }
    }
    if (!o->svg.empty()) {
      PlotSeries p{"packets/s", {}}, b{"Mbit/s", {}};
      for (const auto& i : series.intervals) {
        double x = static_cast<double>(i.start_ns) / 1e9;
        p.points.push_back({x, static_cast<double>(i.packets) / ws});
        b.points.push_back({x, 8 * static_cast<double>(i.bytes) / ws / 1e6});
      }
      PlotOptions po;
      po.title = "trove: traffic stored over time (" +
                 FormatBytes(static_cast<double>(tot->wire_bytes)) + ")";
      po.x_label = "time (UTC)";
      po.y_label = "rate";
      po.x_is_epoch_seconds = true;
      Status st = WriteFileAtomic(DefaultFs(), o->svg, RenderSvgLineChart({p, b}, po));
      if (!st.ok()) throw ExitError{1, st.message()};
    }
  });
}

}  // namespace trove::cli
