#pragma once
// `trove stats --live`: polls the control socket of each running ingest
// (`stats`, flow/live_stats.h) every interval and shows rates per link and
// per class (seen, kept, cut), drops, active connections and the retention
// the store achieves (newest − oldest stored packet). On a terminal the
// view is redrawn in place; piped, one block per interval; with --json one
// JSON object per line (the `stats` reply plus "rates" and "retention_ns").

#include <cstdint>
#include <string>
#include <vector>

#include "cli/command.h"

namespace trove::cli {

struct LiveStatsOptions {
  std::vector<std::string> links;  // empty: every configured link with a running ingest
  int64_t interval_ns = 1'000'000'000;
  uint64_t count = 0;  // samples per link to show; 0 = until interrupted or every ingest ended
  bool json = false;
};

// Returns when done; throws ExitError{1} when no ingest can be reached.
void RunLiveStats(const GlobalOptions& g, const LiveStatsOptions& o);

}  // namespace trove::cli
