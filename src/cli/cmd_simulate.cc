// trove simulate: the Time Machine planning tool — storage needed over time
// for given cutoffs and a retention, from connection records (trove's own or
// a Zeek conn.log). Method: plan/storage_sim.h.
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <iterator>

#include "cli/output.h"
#include "cli/store_access.h"
#include "plan/conn_input.h"
#include "plan/segment_join.h"
#include "plan/size_ccdf.h"
#include "plan/storage_sim.h"
#include "util/fs.h"
#include "util/svg_plot.h"
#include "util/time_util.h"

namespace trove::cli {
namespace {

struct Opts {
  std::vector<std::string> files, cutoffs;
  std::string link, since, until, retention = "none", bin = "1h", svg, ccdf_svg,
                                  zeek_bytes = "payload";
  bool json = false, skip_bad = false;
};

std::string CutoffName(const std::optional<uint64_t>& c) {
  return c ? std::to_string(*c) : std::string("none");
}

std::string Pct(double f) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", 100 * f);
  return b;
}

double Ratio(uint64_t a, uint64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 1.0; }

constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999, 1.0};

std::string QuantileKey(double q) {
  char b[16];
  std::snprintf(b, sizeof b, "%g", q);
  return b;
}

void WriteSvg(const std::string& path, const std::vector<PlotSeries>& series, const PlotOptions& po) {
  Status st = WriteFileAtomic(DefaultFs(), path, RenderSvgLineChart(series, po));
  if (!st.ok()) throw ExitError{1, st.message()};
}

}  // namespace

void RegisterSimulate(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "simulate",
      "Planning: storage a cutoff and a retention would need over time, from connection records "
      "(trove flows CSV/JSON, a Zeek conn.log TSV/JSON, or the store), and the CCDF of "
      "connection sizes");
  auto o = std::make_shared<Opts>();
  cmd->add_option("FILE", o->files,
                  "Connection records (format detected from the content; - = stdin). "
                  "None: the store's connection records (as trove flows)");
  cmd->add_option("--cutoff", o->cutoffs, "Per-connection cutoff in bytes (512K, 20KiB, ...) or none; "
                                          "repeat to compare (default: none)")
      ->allow_extra_args(false);  // one value per --cutoff: a FILE after it stays a FILE
  cmd->add_option("--retention", o->retention,
                  "Te: how long stored data is kept (e.g. 4d), a multiple of --bin; none = forever "
                  "(default)");
  cmd->add_option("--bin", o->bin, "Time bin of the series (default 1h)");
  cmd->add_option("--svg", o->svg, "Write the storage-over-time chart to this SVG file");
  cmd->add_option("--ccdf-svg", o->ccdf_svg, "Write the connection-size CCDF (log-log) to this SVG file");
  cmd->add_option("--zeek-bytes", o->zeek_bytes,
                  "Zeek conn.log bytes: payload (orig_bytes+resp_bytes, default) or ip "
                  "(orig_ip_bytes+resp_ip_bytes)")
      ->check(CLI::IsMember({"payload", "ip"}));
  cmd->add_flag("--skip-bad", o->skip_bad, "Skip (and count) malformed records instead of failing");
  cmd->add_option("--link", o->link, "Store input: only this link");
  cmd->add_option("--since", o->since, "Store input: connections active at/after this time");
  cmd->add_option("--until", o->until, "Store input: connections active before this time");
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->callback([&g, o] {
    // Options.
    SimOptions base;
    auto bin = ParseDuration(o->bin);
    if (!bin.ok() || *bin <= 0) throw ExitError{2, "--bin: " + (bin.ok() ? "must be positive" : bin.status().message())};
    base.bin_ns = *bin;
    if (o->retention != "none") {
      auto te = ParseDuration(o->retention);
      if (!te.ok()) throw ExitError{2, "--retention: " + te.status().message()};
      if (*te <= 0 || *te % base.bin_ns != 0)
        throw ExitError{2, "--retention must be a positive multiple of --bin (" + o->bin + ")"};
      base.retention_ns = *te;
    }
    std::vector<std::optional<uint64_t>> cutoffs;
    if (o->cutoffs.empty()) o->cutoffs.push_back("none");
    for (const std::string& c : o->cutoffs) {
      if (c == "none") {
        cutoffs.push_back(std::nullopt);
        continue;
      }
      auto v = ParseSize(c);
      if (!v.ok()) throw ExitError{2, "--cutoff: " + v.status().message()};
      cutoffs.push_back(*v);
    }

    // Input.
    std::vector<PlanConn> conns;
    uint64_t skipped = 0;
    nlohmann::json sources = nlohmann::json::array();
    if (o->files.empty()) {
      RangeOptions range;
      range.link = o->link;
      range.since = o->since;
      range.until = o->until;
      for (const ConnLogEntry& e : CollectFlowsOrThrow(g, range)) conns.push_back(PlanConnFromRow(e.row, e.segment));
      sources.push_back({{"store", ResolveStoreDir(g)}, {"format", "store"}, {"connections", conns.size()}});
    }
    ConnParseOptions popts;
    popts.skip_bad = o->skip_bad;
    popts.zeek_bytes = o->zeek_bytes == "ip" ? ZeekBytes::kIp : ZeekBytes::kPayload;
    for (const std::string& f : o->files) {
      std::string text;
      if (f == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
      } else {
        auto t = ReadFileToString(f);
        if (!t.ok()) throw ExitError{2, t.status().message()};
        text = std::move(*t);
      }
      auto parsed = ParseConnRecords(text, f == "-" ? "stdin" : f, popts);
      if (!parsed.ok()) throw ExitError{2, parsed.status().message()};
      sources.push_back({{"file", f},
                         {"format", ConnFormatName(parsed->format)},
                         {"connections", parsed->conns.size()},
                         {"skipped", parsed->skipped}});
      skipped += parsed->skipped;
      conns.insert(conns.end(), parsed->conns.begin(), parsed->conns.end());
    }
    const size_t rows = conns.size();
    conns = JoinSegmentRows(std::move(conns));
    if (skipped) std::fprintf(stderr, "trove: skipped %llu malformed records\n", static_cast<unsigned long long>(skipped));

    // Simulation.
    std::vector<SimResult> results;
    for (const auto& c : cutoffs) {
      SimOptions so = base;
      so.cutoff = c;
      auto r = SimulateStorage(conns, so);
      if (!r.ok()) throw ExitError{2, r.status().message()};
      results.push_back(std::move(*r));
    }
    std::vector<uint64_t> sizes;
    sizes.reserve(conns.size());
    for (const PlanConn& c : conns) sizes.push_back(c.bytes);
    const SizeDistribution dist(std::move(sizes));
    const std::vector<CcdfPoint> ccdf = dist.Ccdf();

    if (!o->svg.empty()) {
      std::vector<PlotSeries> series;
      for (const SimResult& r : results) {
        PlotSeries s{"cutoff " + CutoffName(r.cutoff), {}};
        for (const SimBin& b : r.bins)
          s.points.push_back({static_cast<double>(b.start_ns + base.bin_ns) / 1e9, b.storage});
        series.push_back(std::move(s));
      }
      PlotOptions po;
      po.title = "trove simulate: storage needed (retention " + o->retention + ", bin " + o->bin + ")";
      po.x_label = "time (UTC)";
      po.y_label = "bytes stored";
      po.x_is_epoch_seconds = true;
      WriteSvg(o->svg, series, po);
    }
    if (!o->ccdf_svg.empty()) {
      PlotSeries s{"P[size > x]", {}};
      for (const CcdfPoint& p : ccdf)
        if (p.size > 0 && p.p_greater > 0) s.points.push_back({static_cast<double>(p.size), p.p_greater});
      PlotOptions po;
      po.title = "trove simulate: connection sizes (CCDF, " + std::to_string(dist.count()) + " connections)";
      po.x_label = "connection size x (bytes)";
      po.y_label = "P[size > x]";
      po.log_x = po.log_y = true;
      WriteSvg(o->ccdf_svg, {s}, po);
    }

    if (o->json) {
      nlohmann::json j;
      j["input"] = {{"sources", sources}, {"rows", rows}, {"connections", conns.size()}, {"skipped", skipped}};
      j["bin_ns"] = base.bin_ns;
      j["retention_ns"] = base.retention_ns ? nlohmann::json(*base.retention_ns) : nlohmann::json(nullptr);
      nlohmann::json arr = nlohmann::json::array();
      for (const SimResult& r : results) {
        nlohmann::json series = nlohmann::json::array();
        for (const SimBin& b : r.bins)
          series.push_back({{"start_ns", b.start_ns}, {"volume", b.volume}, {"storage", b.storage}});
        arr.push_back({{"cutoff", r.cutoff ? nlohmann::json(*r.cutoff) : nlohmann::json(nullptr)},
                       {"connections", r.connections},
                       {"connections_whole", r.connections_whole},
                       {"whole_fraction", Ratio(r.connections_whole, r.connections)},
                       {"total_bytes", r.total_bytes},
                       {"kept_bytes", r.kept_bytes},
                       {"kept_fraction", Ratio(r.kept_bytes, r.total_bytes)},
                       {"peak_storage", r.peak_storage},
                       {"peak_end_ns", r.peak_end_ns},
                       {"final_storage", r.final_storage},
                       {"series", series}});
      }
      j["cutoffs"] = arr;
      nlohmann::json pts = nlohmann::json::array(), qs = nlohmann::json::object();
      for (const CcdfPoint& p : ccdf) pts.push_back({p.size, p.p_greater});
      for (double q : kQuantiles) qs[QuantileKey(q)] = dist.Quantile(q);
      j["ccdf"] = {{"points", pts}, {"quantiles", qs}};
      PrintJson(j);
      return;
    }

    // Text.
    std::printf("%llu connections (%llu rows)", static_cast<unsigned long long>(conns.size()),
                static_cast<unsigned long long>(rows));
    if (skipped) std::printf(" (%llu malformed skipped)", static_cast<unsigned long long>(skipped));
    std::printf(", bin %s, retention %s\n", o->bin.c_str(), o->retention.c_str());
    if (!results.empty() && !results[0].bins.empty())
      std::printf("span %s .. %s\n", FormatRfc3339(results[0].bins.front().start_ns).c_str(),
                  FormatRfc3339(results[0].bins.back().start_ns + base.bin_ns).c_str());
    std::printf("\n%-12s %12s %12s %9s %11s %12s  %-30s %12s\n", "CUTOFF", "TOTAL", "KEPT", "KEPT%",
                "WHOLE CONNS", "PEAK", "PEAK AT (BIN END)", "FINAL");
    for (const SimResult& r : results)
      std::printf("%-12s %12s %12s %9s %11s %12s  %-30s %12s\n", CutoffName(r.cutoff).c_str(),
                  FormatBytes(static_cast<double>(r.total_bytes)).c_str(),
                  FormatBytes(static_cast<double>(r.kept_bytes)).c_str(),
                  Pct(Ratio(r.kept_bytes, r.total_bytes)).c_str(),
                  Pct(Ratio(r.connections_whole, r.connections)).c_str(),
                  FormatBytes(r.peak_storage).c_str(),
                  r.bins.empty() ? "-" : FormatRfc3339(r.peak_end_ns).c_str(),
                  FormatBytes(r.final_storage).c_str());
    std::printf("\nconnection sizes (bytes, both directions):");
    for (double q : kQuantiles)
      std::printf("  %s %llu", q == 1.0 ? "max" : ("p" + QuantileKey(100 * q)).c_str(),
                  static_cast<unsigned long long>(dist.Quantile(q)));
    std::printf("\n");
    for (const auto& c : cutoffs)
      if (c) std::printf("P[size > %llu] = %.6f\n", static_cast<unsigned long long>(*c), dist.FractionGreater(*c));
    if (!results.empty() && !results[0].bins.empty()) {
      std::printf("\nstorage at the end of each bin:\n%-30s", "BIN START");
      for (const SimResult& r : results) std::printf(" %14s", ("cutoff " + CutoffName(r.cutoff)).c_str());
      std::printf("\n");
      for (size_t i = 0; i < results[0].bins.size(); ++i) {
        std::printf("%-30s", FormatRfc3339(results[0].bins[i].start_ns).c_str());
        for (const SimResult& r : results) std::printf(" %14s", FormatBytes(r.bins[i].storage).c_str());
        std::printf("\n");
      }
    }
  });
}

}  // namespace trove::cli
