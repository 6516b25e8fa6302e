#include "cli/output.h"


#include <cstdio>
#include <sstream>

#include "util/time_util.h"

namespace trove::cli {

nlohmann::json SegmentToJson(const SegmentRecord& r) {
  const auto& s = r.stats;
  auto mix = [](const ProtoCounter& c) {
    return nlohmann::json{{"packets", c.packets}, {"bytes", c.bytes}};
  };
  return nlohmann::json{
      {"id", r.id},
      {"name", r.name},
      {"link", r.link},
      {"location", r.location},
      {"level", r.level},
      {"class", r.klass},
      {"parent_id", r.parent_id},
      {"key_epoch", r.key_epoch},
      {"path", r.path},
      {"area", ToString(r.area)},
      {"state", ToString(r.state)},
      {"start_ns", s.first_ts_ns},
      {"end_ns", s.last_ts_ns},
      {"start", FormatRfc3339(s.first_ts_ns)},
      {"end", FormatRfc3339(s.last_ts_ns)},
      {"duration_ns", r.duration_ns()},
      {"packets", s.packets},
      {"bytes", s.cap_bytes},
      {"wire_bytes", s.wire_bytes},
      {"file_bytes", r.file_bytes},
      {"flows", s.flows},
      {"protocols",
       {{"ipv4", mix(s.mix.ipv4)},
        {"ipv6", mix(s.mix.ipv6)},
        {"tcp", mix(s.mix.tcp)},
        {"udp", mix(s.mix.udp)},
        {"icmp", mix(s.mix.icmp)},
        {"other", mix(s.mix.other)}}},
      {"drops", {{"kernel", r.drops.kernel}, {"ring", r.drops.ring}, {"store", r.drops.store}}},
      {"snaplen", r.snaplen},
      {"linktype", r.linktype},
      {"linktype_name", LinkTypeName(r.linktype)},
      {"sha256", r.sha256},
      {"capture_host", r.capture_host},
      {"capture_filter", r.capture_filter},
      {"trove_version", r.trove_version},
      {"closed_at", FormatRfc3339(r.closed_at_ns)},
  };
}

std::string SegmentDetails(const SegmentRecord& r) {
  std::ostringstream o;
  const auto& s = r.stats;
  auto pct = [&](uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "%5.1f%%",
                  s.wire_bytes ? 100.0 * static_cast<double>(v) / static_cast<double>(s.wire_bytes) : 0.0);
    return std::string(b);
  };
  auto line = [&](const char* k, const std::string& v) { o << "  " << k << ": " << v << "\n"; };
  o << "segment " << r.id << " (" << r.name << ")\n";
  line("link        ", r.link + " at " + r.location);
  line("level       ", r.level + (r.key_epoch.empty() ? "" : " (key epoch " + r.key_epoch + ")"));
  line("class       ", r.klass.empty() ? std::string("(none: one stream for the link)") : r.klass);
  line("state       ", std::string(ToString(r.state)) + " in " + ToString(r.area));
  line("path        ", r.path);
  line("start       ", FormatRfc3339(s.first_ts_ns));
  line("end         ", FormatRfc3339(s.last_ts_ns));
  char dur[32];
  std::snprintf(dur, sizeof dur, "%.3f s", static_cast<double>(r.duration_ns()) / 1e9);
  line("duration    ", dur);
  line("packets     ", std::to_string(s.packets));
  line("captured    ", std::to_string(s.cap_bytes) + " bytes (" + FormatBytes(static_cast<double>(s.cap_bytes)) + ")");
  line("on the wire ", std::to_string(s.wire_bytes) + " bytes (" + FormatBytes(static_cast<double>(s.wire_bytes)) + ")");
  line("file        ", std::to_string(r.file_bytes) + " bytes");
  line("flows       ", std::to_string(s.flows));
  line("drops       ", "kernel " + std::to_string(r.drops.kernel) + ", ring " +
                           std::to_string(r.drops.ring) + ", store " + std::to_string(r.drops.store));
  line("snaplen     ", r.snaplen ? std::to_string(r.snaplen) : std::string("full packets"));
  line("link type   ", LinkTypeName(r.linktype) + " (" + std::to_string(r.linktype) + ")");
  o << "  protocols (packets, wire bytes, share of bytes):\n";
  auto mixl = [&](const char* n, const ProtoCounter& c) {
    char b[128];
    std::snprintf(b, sizeof b, "    %-6s %12llu %16llu  %s\n", n,
                  static_cast<unsigned long long>(c.packets), static_cast<unsigned long long>(c.bytes),
                  pct(c.bytes).c_str());
    o << b;
  };
  mixl("ipv4", s.mix.ipv4);
  mixl("ipv6", s.mix.ipv6);
  mixl("tcp", s.mix.tcp);
  mixl("udp", s.mix.udp);
  mixl("icmp", s.mix.icmp);
  mixl("other", s.mix.other);
  line("sha256      ", r.sha256);
  line("capture host", r.capture_host);
  line("filter      ", r.capture_filter.empty() ? "(none)" : r.capture_filter);
  line("written by  ", "trove " + r.trove_version);
  line("closed at   ", FormatRfc3339(r.closed_at_ns));
  return o.str();
}

void PrintJson(const nlohmann::json& j) { std::printf("%s\n", j.dump(2).c_str()); }

}  // namespace trove::cli
