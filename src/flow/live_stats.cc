#include "flow/live_stats.h"

#include "flow/stage_stats.h"

namespace trove {

nlohmann::json LiveStatsJson(const CutoffStage* stage, const IngestCounters& c) {
  nlohmann::json j =
      stage ? StageStatsJson(TakeStageStats(*stage), stage->classes()) : nlohmann::json::object();
  j["link"] = c.link;
  j["wall_ns"] = c.wall_ns;
  j["packet_ns"] = c.last_packet_ns;
  j["ingest"] = {{"packets_read", c.packets_read},
                 {"bytes_read", c.bytes_read},
                 {"kernel_received", c.kernel_received},
                 {"kernel_drops", c.kernel_drops},
                 {"ring_drops", c.ring_drops},
                 {"store_drops", c.store_drops},
                 {"packets_stored", c.packets_stored},
                 {"bytes_stored", c.bytes_stored},
                 {"segments_published", c.segments_published},
                 {"failovers", c.failovers}};
  return j;
}

}  // namespace trove
