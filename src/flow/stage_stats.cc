#include "flow/stage_stats.h"

namespace trove {
namespace {

// The additive fields of ClassCounters, in one place for JSON and Minus().
#define TROVE_CLASS_FIELDS(X) \
  X(packets_seen)             \
  X(bytes_seen)               \
  X(packets_stored)           \
  X(bytes_stored) X(packets_cut) X(packets_dropped) X(bytes_cut) X(bytes_snapped) X(connections)

ClassCounters MinusCounters(ClassCounters a, const ClassCounters& b) {
#define X(f) a.f -= b.f;
  TROVE_CLASS_FIELDS(X)
#undef X
  return a;
}

}  // namespace

StageStats TakeStageStats(const CutoffStage& stage) {
  StageStats s;
  s.classes = stage.counters();
  const ConnectionTable& t = stage.table();
  for (size_t i = 0; i < s.classes.size(); ++i) {
    s.evicted_early.push_back(t.evicted_early_in_class(static_cast<uint8_t>(i)));
    s.active.push_back(t.active_in_class(static_cast<uint8_t>(i)));
  }
  s.unmatched = stage.unmatched();
  s.table = t.counters();
  s.active_total = t.size();
  return s;
}

StageStats Minus(const StageStats& now, const StageStats& before) {
  StageStats d = now;
  for (size_t i = 0; i < d.classes.size() && i < before.classes.size(); ++i) {
    d.classes[i] = MinusCounters(now.classes[i], before.classes[i]);
    d.evicted_early[i] = now.evicted_early[i] - before.evicted_early[i];
  }
  d.unmatched = MinusCounters(now.unmatched, before.unmatched);
  d.table.created = now.table.created - before.table.created;
  d.table.expired = now.table.expired - before.table.expired;
  d.table.evicted_early = now.table.evicted_early - before.table.evicted_early;
  d.table.time_steps = now.table.time_steps - before.table.time_steps;
  for (size_t i = 0; i < d.table.evicted_early_by_tier.size(); ++i)
    d.table.evicted_early_by_tier[i] =
        now.table.evicted_early_by_tier[i] - before.table.evicted_early_by_tier[i];
  return d;
}

nlohmann::json StageStatsJson(const StageStats& s, const std::vector<ClassConfig>& classes) {
  nlohmann::json cj = nlohmann::json::object();
  for (size_t i = 0; i < s.classes.size() && i < classes.size(); ++i) {
    nlohmann::json j;
#define X(f) j[#f] = s.classes[i].f;
    TROVE_CLASS_FIELDS(X)
#undef X
    j["evicted_early"] = s.evicted_early[i];
    j["active_connections"] = s.active[i];
    cj[classes[i].name] = std::move(j);
  }
  return {{"classes", std::move(cj)},
          {"unmatched", {{"packets", s.unmatched.packets_seen}, {"bytes", s.unmatched.bytes_seen}}},
          {"connections",
           {{"active", s.active_total},
            {"created", s.table.created},
            {"expired", s.table.expired},
            {"evicted_early", s.table.evicted_early},
            {"time_steps", s.table.time_steps}}}};
}

}  // namespace trove
