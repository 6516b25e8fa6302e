#include "flow/class_stats_recorder.h"

#include <nlohmann/json.hpp>

#include "flow/stage_stats.h"

namespace trove {
namespace {

using Json = nlohmann::json;

// Adds the numbers of `delta` into `into` (objects recursively); keys
// named active* are gauges and replaced.
void AddInto(Json& into, const Json& delta) {
  for (auto it = delta.begin(); it != delta.end(); ++it) {
    if (it->is_object()) {
      if (!into.contains(it.key()) || !into[it.key()].is_object()) into[it.key()] = Json::object();
      AddInto(into[it.key()], *it);
    } else if (it->is_number_unsigned() && it.key().rfind("active", 0) != 0 &&
               into.contains(it.key()) && into[it.key()].is_number_unsigned()) {
      into[it.key()] = into[it.key()].get<uint64_t>() + it->get<uint64_t>();
    } else {
      into[it.key()] = *it;
    }
  }
}

}  // namespace

ClassStatsRecorder::ClassStatsRecorder(const CutoffStage& stage, Catalog& catalog, std::string link)
    : stage_(stage), catalog_(catalog), link_(std::move(link)) {
  last_.classes.resize(stage_.classes().size());
  last_.evicted_early.resize(stage_.classes().size());
  last_.active.resize(stage_.classes().size());
}

void ClassStatsRecorder::OnSegmentPublished(const SegmentRecord& rec) {
  if (rec.level != "raw") return;
  const StageStats now = TakeStageStats(stage_);
  const Json delta = StageStatsJson(Minus(now, last_), stage_.classes());
  last_ = now;
  Status st = catalog_.Transaction([&]() -> Status {
    TROVE_RETURN_IF_ERROR(catalog_.SetMeta(SegmentKey(rec.name), delta.dump()));
    auto old = catalog_.GetMeta(LinkKey(link_));
    if (!old.ok()) return old.status();
    Json total = Json::object();
    if (old->has_value()) total = Json::parse(**old, nullptr, /*allow_exceptions=*/false);
    if (!total.is_object()) total = Json::object();
    AddInto(total, delta);
    return catalog_.SetMeta(LinkKey(link_), total.dump());
  });
  if (!st.ok()) ++errors_;
}

}  // namespace trove
