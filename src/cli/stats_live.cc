#include "cli/stats_live.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli/output.h"
#include "cli/signals.h"
#include "cli/store_access.h"
#include "flow/control_server.h"
#include "util/fs.h"
#include "util/time_util.h"

namespace trove::cli {
namespace {

using Json = nlohmann::json;

uint64_t U(const Json& j, const char* k) { return j.is_object() ? j.value(k, uint64_t{0}) : 0; }

// Per-second rate of counter `k` between two readings of the same object.
double Rate(const Json& now, const Json& before, const char* k, double dt) {
  if (dt <= 0 || !before.is_object()) return 0;
  const uint64_t a = U(now, k), b = U(before, k);
  return a >= b ? static_cast<double>(a - b) / dt : 0;
}

// Adds "rates" (from the previous reading of the link, if any) to `now`.
void AddRates(Json& now, const Json& before) {
  const double dt = before.is_object() ? static_cast<double>(now.value("wall_ns", int64_t{0}) -
                                                             before.value("wall_ns", int64_t{0})) /
                                             1e9
                                       : 0;
  Json r = {{"interval_s", dt}};
  const Json& ni = now["ingest"];
  const Json bi = before.is_object() ? before["ingest"] : Json();
  r["read_pps"] = Rate(ni, bi, "packets_read", dt);
  r["read_bps"] = 8 * Rate(ni, bi, "bytes_read", dt);
  r["stored_pps"] = Rate(ni, bi, "packets_stored", dt);
  r["stored_bps"] = 8 * Rate(ni, bi, "bytes_stored", dt);
  if (now.contains("classes")) {
    Json cr = Json::object();
    for (auto it = now["classes"].begin(); it != now["classes"].end(); ++it) {
      const Json b = before.is_object() && before.contains("classes")
                         ? before["classes"].value(it.key(), Json())
                         : Json();
      cr[it.key()] = {{"seen_pps", Rate(*it, b, "packets_seen", dt)},
                      {"seen_bps", 8 * Rate(*it, b, "bytes_seen", dt)},
                      {"stored_bps", 8 * Rate(*it, b, "bytes_stored", dt)},
                      {"cut_pps", Rate(*it, b, "packets_cut", dt)}};
    }
    r["classes"] = cr;
  }
  now["rates"] = r;
}

// Newest − oldest stored raw packet of the link, or of one of its classes
// (the retention achieved).
int64_t RetentionNs(Catalog& cat, const std::string& link,
                    std::optional<std::string> klass = std::nullopt) {
  SegmentQuery q;
  q.link = link;
  q.klass = std::move(klass);
  q.level = "raw";
  q.state = SegmentState::kStored;
  auto t = cat.Totals(q);
  if (!t.ok() || t->segments == 0) return 0;
  return t->last_ts_ns - t->first_ts_ns;
}

std::string Pct(uint64_t part, uint64_t whole) {
  if (!whole) return "-";
  char b[16];
  std::snprintf(b, sizeof b, "%.1f%%",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return b;
}

void PrintBlock(FILE* out, const Json& s, bool first) {
  const Json& in = s["ingest"];
  const Json& r = s["rates"];
  auto rate = [&](const Json& o, const char* k, const char* unit) {
    return first ? std::string("-") : FormatSi(o.value(k, 0.0), unit);
  };
  const int64_t pkt = s.value("packet_ns", int64_t{0});
  std::fprintf(out, "link %s   %s   packet time %s\n", s.value("link", "").c_str(),
               FormatRfc3339(s.value("wall_ns", int64_t{0})).c_str(),
               pkt ? FormatRfc3339(pkt).c_str() : "-");
  std::fprintf(out, "  read     %12llu packets  %14s  %16s\n",
               static_cast<unsigned long long>(U(in, "packets_read")),
               rate(r, "read_pps", "pps").c_str(), rate(r, "read_bps", "bit/s").c_str());
  std::fprintf(out, "  stored   %12llu packets  %14s  %16s  segments %llu  retention %s\n",
               static_cast<unsigned long long>(U(in, "packets_stored")),
               rate(r, "stored_pps", "pps").c_str(), rate(r, "stored_bps", "bit/s").c_str(),
               static_cast<unsigned long long>(U(in, "segments_published")),
               FormatDuration(s.value("retention_ns", int64_t{0})).c_str());
  std::fprintf(
      out, "  drops    kernel %llu  ring %llu  store %llu%s\n",
      static_cast<unsigned long long>(U(in, "kernel_drops")),
      static_cast<unsigned long long>(U(in, "ring_drops")),
      static_cast<unsigned long long>(U(in, "store_drops")),
      U(in, "failovers") ? ("  failovers " + std::to_string(U(in, "failovers"))).c_str() : "");
  if (!s.contains("classes")) {
    std::fprintf(out, "  (no storage classes)\n\n");
    return;
  }
  const Json& c = s["connections"];
  std::fprintf(out, "  conns    active %llu  created %llu  expired %llu  evicted early %llu%s\n",
               static_cast<unsigned long long>(U(c, "active")),
               static_cast<unsigned long long>(U(c, "created")),
               static_cast<unsigned long long>(U(c, "expired")),
               static_cast<unsigned long long>(U(c, "evicted_early")),
               U(c, "time_steps") ? ("  time steps " + std::to_string(U(c, "time_steps"))).c_str()
                                  : "");
  std::fprintf(out, "  %-14s %13s %16s %16s %13s %8s %8s %10s\n", "CLASS", "SEEN", "SEEN", "KEPT",
               "CUT", "KEPT B", "ACTIVE", "RETENTION");
  for (auto it = s["classes"].begin(); it != s["classes"].end(); ++it) {
    const Json cr =
        r.contains("classes") ? r["classes"].value(it.key(), Json::object()) : Json::object();
    std::fprintf(out, "  %-14s %13s %16s %16s %13s %8s %8llu %10s\n", it.key().c_str(),
                 rate(cr, "seen_pps", "pps").c_str(), rate(cr, "seen_bps", "bit/s").c_str(),
                 rate(cr, "stored_bps", "bit/s").c_str(), rate(cr, "cut_pps", "pps").c_str(),
                 Pct(U(*it, "bytes_stored"), U(*it, "bytes_seen")).c_str(),
                 static_cast<unsigned long long>(U(*it, "active_connections")),
                 FormatDuration(static_cast<int64_t>(U(*it, "retention_ns"))).c_str());
  }
  const Json& um = s["unmatched"];
  std::fprintf(out, "  %-14s %13llu packets %llu bytes (not stored)\n\n", "(no class)",
               static_cast<unsigned long long>(U(um, "packets")),
               static_cast<unsigned long long>(U(um, "bytes")));
}

}  // namespace

void RunLiveStats(const GlobalOptions& g, const LiveStatsOptions& o) {
  auto store = OpenStoreOrThrow(g);
  const std::string run = JoinPath(store->dir(), "run");
  std::vector<std::string> links = o.links;
  if (links.empty())
    for (const auto& l : store->config().links)
      if (::access(JoinPath(run, l.name + ".ctl").c_str(), F_OK) == 0) links.push_back(l.name);
  if (links.empty())
    throw ExitError{1, "no running import or capture in " + store->dir() +
                           " (no control socket in " + run +
                           "); start one, or name it with --link"};
  for (const auto& l : links)
    if (!store->FindLink(l))
      throw ExitError{2, "--link: no link '" + l + "' in the store's config"};

  const bool tty = !o.json && isatty(STDOUT_FILENO) == 1;
  const auto& stop = InstallStopHandlers();
  std::map<std::string, Json> last;
  std::map<std::string, uint64_t> shown;
  std::vector<std::string> live = links;
  bool any_reply = false;
  while (!live.empty() && !stop.load()) {
    std::string text;
    std::vector<std::string> still;
    for (const auto& l : live) {
      auto r = SendControlCommand(JoinPath(run, l + ".ctl"), "stats");
      if (!r.ok() || r->rfind("ok: ", 0) != 0) {
        if (!any_reply && live.size() == 1 && links.size() == 1)
          throw ExitError{1, r.ok() ? "link " + l + ": " + *r : r.status().message()};
        if (!o.json) text += "link " + l + ": the ingest ended\n\n";
        continue;
      }
      any_reply = true;
      Json s = Json::parse(r->substr(4), nullptr, /*allow_exceptions=*/false);
      if (!s.is_object()) throw ExitError{1, "link " + l + ": unreadable stats reply"};
      const bool first = !last.count(l);
      AddRates(s, first ? Json() : last[l]);
      s["retention_ns"] = RetentionNs(store->catalog(), l);
      if (s.contains("classes"))
        for (auto it = s["classes"].begin(); it != s["classes"].end(); ++it)
          (*it)["retention_ns"] = RetentionNs(store->catalog(), l, it.key());
      if (o.json) {
        text += s.dump() + "\n";
      } else {
        char* buf = nullptr;
        size_t len = 0;
        FILE* mem = open_memstream(&buf, &len);
        if (!mem) throw ExitError{1, "out of memory"};
        PrintBlock(mem, s, first);
        std::fclose(mem);
        text.append(buf, len);
        std::free(buf);
      }
      last[l] = std::move(s);
      if (o.count == 0 || ++shown[l] < o.count) still.push_back(l);
    }
    if (tty) std::fputs("\033[H\033[J", stdout);
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    live = std::move(still);
    if (live.empty()) break;
    const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(o.interval_ns);
    while (!stop.load() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace trove::cli
