// `trove synth`: write deterministic synthetic traffic to a pcap file.
// Parses options into synth::SynthOptions, runs synth::WritePcap, shows a
// progress line on a TTY stderr (at most 4 per second, nothing when piped)
// and prints a summary: JSON with --json, else one human line.

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.h"
#include "util/time_util.h"
#include "synth/synth.h"

namespace trove::cli {
namespace {

struct SynthArgs {
  std::string output;
  uint64_t seed = 1;
  uint32_t hosts = 1000;
  uint32_t servers = 100;
  double ipv6_fraction = 0.2;
  double rate = 200;
  double pareto_alpha = 1.2;
  std::string pareto_min = "500";
  std::string pareto_cap = "50M";
  std::string start = "2026-01-01T00:00:00Z";
  std::string packets, bytes, duration, connections;
  bool usec = false;
  bool json = false;
  bool quiet = false;
};

// Thin adapters over the shared parsers in util/time_util.h.
bool ParseSize(const std::string& s, uint64_t* out) {
  auto r = trove::ParseSize(s);
  if (!r.ok()) return false;
  *out = *r;
  return true;
}

bool ParseDuration(const std::string& s, uint64_t* out) {
  auto r = trove::ParseDuration(s);
  if (!r.ok() || *r < 0) return false;
  *out = static_cast<uint64_t>(*r);
  return true;
}

std::string HumanBytes(double b) { return trove::FormatBytes(b); }

std::string HumanSeconds(double s) {
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%.0fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%dh%02dm", static_cast<int>(s) / 3600,
                  static_cast<int>(s) / 60 % 60);
  }
  return buf;
}

// Fraction of the run done, judged by whichever limit is closest.
double DoneFraction(const synth::SynthOptions& o, const synth::SynthStats& st) {
  double f = 0;
  if (o.max_packets) f = std::max(f, static_cast<double>(st.packets) / o.max_packets);
  if (o.max_file_bytes) f = std::max(f, static_cast<double>(st.file_bytes) / o.max_file_bytes);
  if (o.max_duration_ns && st.packets) {
    f = std::max(f, static_cast<double>(st.last_ts_ns - o.start_ns) / o.max_duration_ns);
  }
  if (o.max_connections) {
    f = std::max(f, 0.9 * static_cast<double>(st.flows) / o.max_connections);
  }
  return std::min(f, 1.0);
}

nlohmann::json SummaryJson(const std::string& output, const synth::SynthOptions& o,
                           const synth::SynthStats& st, double elapsed) {
  nlohmann::json j;
  j["output"] = output;
  j["seed"] = o.seed;
  j["packets"] = st.packets;
  j["bytes"] = st.file_bytes;
  j["frame_bytes"] = st.frame_bytes;
  j["flows"] = st.flows;
  j["connections"] = st.flows_by_kind;
  j["ipv6_flows"] = st.ipv6_flows;
  j["tcp_resets"] = st.tcp_resets;
  j["first_ts_ns"] = st.first_ts_ns;
  j["last_ts_ns"] = st.last_ts_ns;
  j["duration_s"] = st.packets ? static_cast<double>(st.last_ts_ns - st.first_ts_ns) / 1e9 : 0.0;
  j["stopped_by"] = synth::StopReasonName(st.stop);
  j["elapsed_s"] = elapsed;
  j["mb_per_s"] = elapsed > 0 ? static_cast<double>(st.file_bytes) / elapsed / 1e6 : 0.0;
  return j;
}

void RunSynth(const SynthArgs& a) {
  synth::SynthOptions o;
  o.seed = a.seed;
  o.hosts = a.hosts;
  o.servers = a.servers;
  o.ipv6_fraction = a.ipv6_fraction;
  o.rate = a.rate;
  o.pareto_alpha = a.pareto_alpha;
  o.nanosecond_pcap = !a.usec;
  if (!ParseSize(a.pareto_min, &o.pareto_min)) {
    throw ExitError{2, "synth: --pareto-min: expected a size like 500, 4K or 1Mi"};
  }
  if (!ParseSize(a.pareto_cap, &o.pareto_cap)) {
    throw ExitError{2, "synth: --pareto-cap: expected a size like 50M"};
  }
  Result<uint64_t> start = synth::ParseStartTime(a.start);
  if (!start.ok()) throw ExitError{2, "synth: " + start.status().message()};
  o.start_ns = start.value();
  if (!a.packets.empty() && !ParseSize(a.packets, &o.max_packets)) {
    throw ExitError{2, "synth: --packets: expected a count like 100000 or 1M"};
  }
  if (!a.bytes.empty() && !ParseSize(a.bytes, &o.max_file_bytes)) {
    throw ExitError{2, "synth: --bytes: expected a size like 10M, 1G or 512Mi"};
  }
  if (!a.duration.empty() && !ParseDuration(a.duration, &o.max_duration_ns)) {
    throw ExitError{2, "synth: --duration: expected seconds like 10, 2.5, 500ms, 2m or 1h"};
  }
  if (!a.connections.empty() && !ParseSize(a.connections, &o.max_connections)) {
    throw ExitError{2, "synth: --connections: expected a count like 5000"};
  }
  if (o.max_packets == 0 && o.max_file_bytes == 0 && o.max_duration_ns == 0 &&
      o.max_connections == 0) {
    o.max_duration_ns = 10'000'000'000;  // default: 10 s of traffic
  }
  Status v = synth::ValidateOptions(o);
  if (!v.ok()) throw ExitError{2, "synth: " + v.message()};
  const bool to_stdout = a.output == "-";
  if (to_stdout && isatty(STDOUT_FILENO)) {
    throw ExitError{
        2, "synth: refusing to write a pcap to a terminal; redirect stdout or use -o FILE"};
  }

  const bool tty = !a.quiet && isatty(STDERR_FILENO);
  const auto t0 = std::chrono::steady_clock::now();
  auto last = t0;
  bool drew = false;
  synth::ProgressFn progress;
  if (tty) {
    progress = [&](const synth::SynthStats& st) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(250)) return;
      last = now;
      const double el = std::chrono::duration<double>(now - t0).count();
      const double f = DoneFraction(o, st);
      std::string eta = f > 0.001 ? HumanSeconds(el * (1 - f) / f) : "?";
      std::fprintf(stderr, "\r\033[Ksynth: %s, %llu packets, %llu flows, %s/s, %3.0f%%, ETA %s",
                   HumanBytes(static_cast<double>(st.file_bytes)).c_str(),
                   static_cast<unsigned long long>(st.packets),
                   static_cast<unsigned long long>(st.flows),
                   HumanBytes(el > 0 ? st.file_bytes / el : 0).c_str(), f * 100, eta.c_str());
      std::fflush(stderr);
      drew = true;
    };
  }
  synth::SynthStats st;
  Status s = synth::WritePcap(o, a.output, &st, progress);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (drew) std::fprintf(stderr, "\r\033[K");
  if (!s.ok()) throw ExitError{1, "synth: " + s.ToString()};

  if (a.json) {
    const std::string text = SummaryJson(a.output, o, st, elapsed).dump(2) + "\n";
    // stdout carries the pcap when writing to "-": the summary goes to stderr.
    std::fputs(text.c_str(), to_stdout ? stderr : stdout);
  } else if (!to_stdout) {
    std::string kinds;
    for (const auto& [k, n] : st.flows_by_kind) {
      kinds += (kinds.empty() ? "" : ", ") + k + " " + std::to_string(n);
    }
    std::printf("wrote %s: %llu packets, %s, %llu flows (%s), %.3f s of traffic; %.2f s, %s/s\n",
                a.output.c_str(), static_cast<unsigned long long>(st.packets),
                HumanBytes(static_cast<double>(st.file_bytes)).c_str(),
                static_cast<unsigned long long>(st.flows), kinds.c_str(),
                st.packets ? static_cast<double>(st.last_ts_ns - st.first_ts_ns) / 1e9 : 0.0,
                elapsed, HumanBytes(elapsed > 0 ? st.file_bytes / elapsed : 0).c_str());
  }
}

}  // namespace

void RegisterSynth(CLI::App& app, GlobalOptions& /*g*/) {
  auto a = std::make_shared<SynthArgs>();
  CLI::App* cmd = app.add_subcommand(
      "synth", "Generate deterministic, realistic synthetic traffic as a pcap file");
  cmd->add_option("-o,--output", a->output, "Output pcap file; '-' writes to stdout")->required();
  cmd->add_option("--seed", a->seed, "PRNG seed")->capture_default_str();
  cmd->add_option("--hosts", a->hosts, "Client hosts (10.x.y.z / 2001:db8:0:<n>::/64)")
      ->capture_default_str();
  cmd->add_option("--servers", a->servers, "Server pool size (documentation address ranges)")
      ->capture_default_str();
  cmd->add_option("--ipv6-fraction", a->ipv6_fraction, "Fraction of flows over IPv6, 0..1")
      ->capture_default_str();
  cmd->add_option("--rate", a->rate, "New flows per second of traffic time (Poisson)")
      ->capture_default_str();
  cmd->add_option("--pareto-alpha", a->pareto_alpha, "Shape of the Pareto message sizes")
      ->capture_default_str();
  cmd->add_option("--pareto-min", a->pareto_min, "Smallest message size (bytes, K/M/G ok)")
      ->capture_default_str();
  cmd->add_option("--pareto-cap", a->pareto_cap, "Largest message size (bytes, K/M/G ok)")
      ->capture_default_str();
  cmd->add_option("--start", a->start,
                  "Time of the first flow: YYYY-MM-DDTHH:MM:SS[.frac]Z or epoch nanoseconds")
      ->capture_default_str();
  cmd->add_option("--packets", a->packets, "Stop after this many packets (1M = 10^6)");
  cmd->add_option("--bytes", a->bytes,
                  "Stop before the file exceeds this size; K/M/G = 10^3/10^6/10^9, "
                  "Ki/Mi/Gi = 2^10/2^20/2^30");
  cmd->add_option("--duration", a->duration,
                  "Stop at this much traffic time: seconds (2.5) or 500ms, 2m, 1h");
  cmd->add_option("--connections", a->connections,
                  "Start this many flows, then let every one of them finish");
  cmd->add_flag("--usec", a->usec, "Microsecond pcap (magic 0xa1b2c3d4) instead of nanosecond");
  cmd->add_flag("--json", a->json,
                "Print a JSON summary (packets, bytes, flows by kind, duration) to stdout "
                "(to stderr with -o -)");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress line on stderr");
  cmd->footer(
      "Writes a classic pcap (Ethernet, nanosecond timestamps unless --usec). The same\n"
      "seed and options give byte-identical output on any machine.\n\n"
      "Traffic as seen at a client network's edge router: TCP connections (TLS 1.3 on\n"
      "443/993, HTTP/1.1 on 80/8080, SSH, SMTP, DNS over TCP) with handshake, data\n"
      "under a congestion window, delayed ACKs, RTT-spaced timing and FIN/RST\n"
      "teardown; DNS and NTP over UDP; ICMP/ICMPv6 echo. Flows start as a Poisson\n"
      "process at --rate; message sizes are Pareto(--pareto-alpha, --pareto-min)\n"
      "capped at --pareto-cap. All checksums are valid.\n\n"
      "Generation stops at the first limit reached among --packets, --bytes,\n"
      "--duration and --connections (default: --duration 10). A progress line is\n"
      "shown when stderr is a terminal.\n\n"
      "Examples:\n"
      "  trove synth -o day.pcap --bytes 1G --seed 7\n"
      "  trove synth -o - --packets 100000 | tcpdump -nr - -c 10\n"
      "  trove synth -o sample.pcap --connections 5000 --json");
  cmd->callback([a]() { RunSynth(*a); });
}

}  // namespace trove::cli
