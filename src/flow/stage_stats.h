#pragma once
// StageStats: one consistent reading of the cutoff stage's counters (per
// class, unmatched, connection table) and its JSON form, shared by the
// per-segment records in the catalogue (ClassStatsRecorder) and the live
// `trove ctl stats` reply (live_stats.h), so both speak the same schema:
//
//   {"classes": {CLASS: {packets_seen, bytes_seen, packets_stored,
//     bytes_stored, packets_cut, packets_dropped, bytes_cut, bytes_snapped,
//     connections, evicted_early, active_connections}},
//    "unmatched": {packets, bytes},
//    "connections": {active, created, expired, evicted_early, time_steps}}
//
// Counters are cumulative since the stage was created; Minus() gives an
// interval. active* values are gauges: Minus() keeps the newer reading.
// Plain data; take it on the writer thread (the stage is not thread-safe).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "flow/class_counters.h"
#include "flow/connection_table.h"
#include "flow/cutoff_stage.h"

namespace trove {

struct StageStats {
  std::vector<ClassCounters> classes;   // index = class index of the stage
  std::vector<uint64_t> evicted_early;  // per class
  std::vector<uint64_t> active;         // per class (gauge)
  ClassCounters unmatched;              // packets_seen/bytes_seen only
  ConnectionTableCounters table;
  uint64_t active_total = 0;  // gauge
};

StageStats TakeStageStats(const CutoffStage& stage);
// now − before for the counters; the gauges of `now`. Same class count.
StageStats Minus(const StageStats& now, const StageStats& before);
// `classes` names the entries (the stage's classes, same order).
nlohmann::json StageStatsJson(const StageStats& s, const std::vector<ClassConfig>& classes);

}  // namespace trove
