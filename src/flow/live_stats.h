#pragma once
// Live statistics of a running ingest, as `trove ctl stats` returns them and
// `trove stats --live` shows them. IngestCounters is sampled by the writer
// thread when it runs a control command (ingest_pipeline.cc); LiveStatsJson
// is the one-line reply:
//
//   {"link": L, "wall_ns": N, "packet_ns": N, "ingest": {packets_read,
//    bytes_read, kernel_received, kernel_drops, ring_drops, store_drops,
//    packets_stored, bytes_stored, segments_published, failovers},
//    "classes": ..., "unmatched": ..., "connections": ...}
//
// All counters are cumulative since the ingest started (rates are the
// client's business). packet_ns is the timestamp of the last packet the
// writer finished with (0 before the first): every packet up to it, and
// none after, is in the counters. The last three keys are StageStatsJson()
// and absent when the link has no storage classes.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "flow/cutoff_stage.h"

namespace trove {

struct IngestCounters {
  std::string link;
  int64_t wall_ns = 0;
  int64_t last_packet_ns = 0;
  uint64_t packets_read = 0;  // by the capture thread (includes ring drops)
  uint64_t bytes_read = 0;    // captured bytes of those
  uint64_t kernel_received = 0, kernel_drops = 0, ring_drops = 0, store_drops = 0;
  uint64_t packets_stored = 0, bytes_stored = 0, segments_published = 0, failovers = 0;
};

// `stage` may be null (a link without storage classes).
nlohmann::json LiveStatsJson(const CutoffStage* stage, const IngestCounters& c);

}  // namespace trove
