#include "flow/control_command.h"

#include <arpa/inet.h>

#include <cstring>
#include <sstream>
#include <vector>

#include "util/time_util.h"

namespace trove {
namespace {

// 16-byte address (IPv4 v4-mapped); returns the IP version or 0.
int ParseAddr(const std::string& s, uint8_t out[16]) {
  std::memset(out, 0, 16);
  in_addr a4;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out + 12, &a4, 4);
    return 4;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(out, &a6, 16);
    return 6;
  }
  return 0;
}

Result<uint16_t> ParsePort(const std::string& s) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(s.c_str(), &end, 10);
  if (s.empty() || *end || v > 65535) return Status::InvalidArgument("bad port '" + s + "'");
  return static_cast<uint16_t>(v);
}

int FindClass(const CutoffStage& st, const std::string& name) {
  for (size_t i = 0; i < st.classes().size(); ++i)
    if (st.classes()[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace

Result<ControlCommand> ParseControlCommand(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> w;
  for (std::string x; in >> x;) w.push_back(x);
  ControlCommand c;
  auto usage = [](const std::string& m) { return Status::InvalidArgument(m); };
  if (w.empty())
    return usage("empty command (suspend, resume, class, cutoff, budget, retention, show, stats)");
  if (w[0] == "suspend" || w[0] == "resume") {
    if (w.size() != 6) return usage(w[0] + " PROTO ADDR PORT ADDR PORT");
    c.kind = w[0] == "suspend" ? ControlCommand::Kind::kSuspend : ControlCommand::Kind::kResume;
    if (w[1] != "tcp" && w[1] != "udp") return usage("PROTO must be tcp or udp");
    uint8_t a[16], b[16];
    const int va = ParseAddr(w[2], a), vb = ParseAddr(w[4], b);
    if (!va || !vb || va != vb) return usage("bad address pair '" + w[2] + "' '" + w[4] + "'");
    auto pa = ParsePort(w[3]), pb = ParsePort(w[5]);
    if (!pa.ok()) return pa.status();
    if (!pb.ok()) return pb.status();
    // Canonical order as MakeFlowKey: smaller (address, port) first.
    const int cmp = std::memcmp(a, b, 16);
    const bool swap = cmp > 0 || (cmp == 0 && *pa > *pb);
    std::memcpy(c.key.addr_lo, swap ? b : a, 16);
    std::memcpy(c.key.addr_hi, swap ? a : b, 16);
    c.key.port_lo = swap ? *pb : *pa;
    c.key.port_hi = swap ? *pa : *pb;
    c.key.proto = w[1] == "tcp" ? 6 : 17;
    c.key.ip_version = static_cast<uint8_t>(va);
    c.key.kind = FlowKind::kTransport;
    return c;
  }
  if (w[0] == "class") {
    if (w.size() != 4) return usage("class ADDR CLASS SECONDS");
    c.kind = ControlCommand::Kind::kDynamicClass;
    c.ip_version = static_cast<uint8_t>(ParseAddr(w[1], c.addr));
    if (!c.ip_version) return usage("bad address '" + w[1] + "'");
    c.class_name = w[2];
    auto d = ParseDuration(w[3]);
    if (!d.ok() || *d <= 0) return usage("SECONDS must be a positive duration, not '" + w[3] + "'");
    c.seconds = *d / 1'000'000'000;
    if (c.seconds <= 0) return usage("SECONDS must be at least 1");
    return c;
  }
  if (w[0] == "cutoff") {
    if (w.size() != 3) return usage("cutoff CLASS BYTES|none");
    c.kind = ControlCommand::Kind::kSetCutoff;
    c.class_name = w[1];
    if (w[2] == "none") {
      c.has_cutoff = false;
    } else {
      auto n = ParseSize(w[2]);
      if (!n.ok()) return usage("bad cutoff '" + w[2] + "': " + n.status().message());
      c.cutoff_bytes = *n;
    }
    return c;
  }
  if (w[0] == "budget" || w[0] == "retention") {
    const bool budget = w[0] == "budget";
    if (w.size() != 3)
      return usage(budget ? "budget CLASS BYTES|none" : "retention CLASS DURATION|none");
    c.kind = budget ? ControlCommand::Kind::kSetBudget : ControlCommand::Kind::kSetRetention;
    c.class_name = w[1];
    if (w[2] != "none") {
      if (budget) {
        auto n = ParseSize(w[2]);
        if (!n.ok() || *n == 0)
          return usage("bad budget '" + w[2] + "': " +
                       (n.ok() ? std::string("must be positive (or none)") : n.status().message()));
        c.budget_bytes = *n;
      } else {
        auto d = ParseDuration(w[2]);
        if (!d.ok() || *d <= 0)
          return usage("bad retention '" + w[2] + "': " +
                       (d.ok() ? std::string("must be positive (or none)") : d.status().message()));
        c.retention_ns = *d;
      }
    }
    return c;
  }
  if (w[0] == "show" && w.size() == 1) return c;
  if (w[0] == "stats" && w.size() == 1) {
    c.kind = ControlCommand::Kind::kStats;
    return c;
  }
  return usage("unknown command '" + w[0] +
               "' (suspend, resume, class, cutoff, budget, retention, show, stats)");
}

Result<std::string> ApplyControlCommand(CutoffStage* st, const ControlCommand& c,
                                        const IngestCounters& counters) {
  if (c.kind == ControlCommand::Kind::kStats) return LiveStatsJson(st, counters).dump();
  if (!st) return Status::FailedPrecondition("this link has no storage classes (docs/CONFIG.md)");
  CutoffStage& stage = *st;
  // The commands that name a class resolve it once, here.
  uint8_t k = 0;
  if (!c.class_name.empty()) {
    const int found = FindClass(stage, c.class_name);
    if (found < 0) return Status::NotFound("no class '" + c.class_name + "'");
    k = static_cast<uint8_t>(found);
  }
  switch (c.kind) {
    case ControlCommand::Kind::kSuspend:
    case ControlCommand::Kind::kResume: {
      Connection* conn = stage.mutable_table().Find(c.key);
      if (!conn) return Status::NotFound("no such active connection");
      if (c.kind == ControlCommand::Kind::kSuspend)
        conn->flags |= Connection::kCutoffSuspended;
      else
        conn->flags &= static_cast<uint8_t>(~Connection::kCutoffSuspended);
      return std::string(c.kind == ControlCommand::Kind::kSuspend ? "cutoff suspended"
                                                                  : "cutoff resumed");
    }
    case ControlCommand::Kind::kDynamicClass: {
      stage.AddDynamicClass(c.addr, k, c.seconds * 1'000'000'000);
      return "new connections of the address go to class " + c.class_name + " for " +
             std::to_string(c.seconds) + " s of packet time";
    }
    case ControlCommand::Kind::kSetCutoff: {
      stage.SetCutoff(k, c.has_cutoff, c.cutoff_bytes);
      return "class " + c.class_name + " cutoff " +
             (c.has_cutoff ? std::to_string(c.cutoff_bytes) : std::string("none"));
    }
    case ControlCommand::Kind::kSetBudget: {
      stage.SetBudget(k, c.budget_bytes);
      return "class " + c.class_name + " budget " +
             (c.budget_bytes ? std::to_string(c.budget_bytes) : std::string("none"));
    }
    case ControlCommand::Kind::kSetRetention: {
      stage.SetRetention(k, c.retention_ns);
      return "class " + c.class_name + " retention " +
             (c.retention_ns ? FormatDurationExact(c.retention_ns) : std::string("none"));
    }
    case ControlCommand::Kind::kShow: {
      std::string out;
      for (const auto& cl : stage.classes()) {
        out += cl.name + " cutoff " + (cl.has_cutoff ? std::to_string(cl.cutoff_bytes) : "none");
        if (cl.disk_budget) out += " budget " + std::to_string(cl.disk_budget);
        if (cl.retention_ns) out += " retention " + FormatDurationExact(cl.retention_ns);
        out += "\n";
      }
      if (!out.empty()) out.pop_back();
      return out;
    }
    case ControlCommand::Kind::kStats:
      break;  // answered above
  }
  return Status::Internal("unknown control command");
}

}  // namespace trove
