#pragma once
// ControlCommand: one runtime-control request for a running ingest (what
// `trove ctl` sends over the control socket, one line of words):
//
//   suspend PROTO ADDR PORT ADDR PORT   keep this connection whole from now on
//   resume  PROTO ADDR PORT ADDR PORT   apply its class's cutoff again
//   class ADDR CLASS SECONDS            new connections with ADDR at either
//                                       end go to CLASS for SECONDS of packet
//                                       time (a dynamic class; it overrides
//                                       the filters)
//   cutoff CLASS BYTES|none             change a class's cutoff (all its
//                                       connections, from their next packet)
//   budget CLASS BYTES|none             change a class's disk budget (expiry,
//                                       store/expiry.h; enforced at once)
//   retention CLASS DURATION|none       change a class's retention (packet time)
//   show                                the classes and their cutoffs (and
//                                       budget/retention when set)
//   stats                               live counters, one JSON line
//                                       (flow/live_stats.h)
//
// PROTO is tcp or udp; ADDR is IPv4 or IPv6. ParseControlCommand() checks
// the syntax only; ApplyControlCommand() runs it against a CutoffStage (on
// the writer thread) and returns the reply text or an error. `stage` is
// null for a link without storage classes: only stats works there.

#include <cstdint>
#include <string>

#include "flow/cutoff_stage.h"
#include "flow/live_stats.h"
#include "packet/flow_key.h"
#include "util/status.h"

namespace trove {

struct ControlCommand {
  enum class Kind {
    kSuspend,
    kResume,
    kDynamicClass,
    kSetCutoff,
    kShow,
    kSetBudget,
    kSetRetention,
    kStats
  };
  Kind kind = Kind::kShow;
  FlowKey key;            // suspend/resume
  uint8_t addr[16] = {};  // class: v4-mapped for IPv4
  uint8_t ip_version = 0;
  std::string class_name;  // class, cutoff
  int64_t seconds = 0;     // class
  bool has_cutoff = true;  // cutoff
  uint64_t cutoff_bytes = 0;
  uint64_t budget_bytes = 0;  // budget; 0 = none
  int64_t retention_ns = 0;   // retention; 0 = none
};

Result<ControlCommand> ParseControlCommand(const std::string& line);
Result<std::string> ApplyControlCommand(CutoffStage* stage, const ControlCommand& c,
                                        const IngestCounters& counters);

}  // namespace trove
