#include "flow/class_stats_recorder.h"

#include <nlohmann/json.hpp>

namespace trove {
namespace {

using Json = nlohmann::json;

// The additive fields, in one place for writing and summing.
#define TROVE_CLASS_FIELDS(X) \
  X(packets_seen)             \
  X(bytes_seen)               \
  X(packets_stored)           \
  X(bytes_stored) X(packets_cut) X(packets_dropped) X(bytes_cut) X(bytes_snapped) X(connections)

Json CountersJson(const ClassCounters& c, uint64_t evicted, uint64_t active) {
  Json j;
#define X(f) j[#f] = c.f;
  TROVE_CLASS_FIELDS(X)
#undef X
  j["evicted_early"] = evicted;
  j["active_connections"] = active;
  return j;
}

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
  last_.evicted.resize(stage_.classes().size());
}

ClassStatsRecorder::Snapshot ClassStatsRecorder::Take() const {
  Snapshot s;
  s.classes = stage_.counters();
  for (size_t i = 0; i < s.classes.size(); ++i)
    s.evicted.push_back(stage_.table().evicted_early_in_class(static_cast<uint8_t>(i)));
  s.unmatched = stage_.unmatched();
  s.table = stage_.table().counters();
  return s;
}

void ClassStatsRecorder::OnSegmentPublished(const SegmentRecord& rec) {
  if (rec.level != "raw") return;
  const Snapshot now = Take();
  Json classes = Json::object();
  for (size_t i = 0; i < now.classes.size(); ++i) {
    ClassCounters d = now.classes[i];
    const ClassCounters& o = last_.classes[i];
#define X(f) d.f -= o.f;
    TROVE_CLASS_FIELDS(X)
#undef X
    classes[stage_.classes()[i].name] =
        CountersJson(d, now.evicted[i] - last_.evicted[i],
                     stage_.table().active_in_class(static_cast<uint8_t>(i)));
  }
  Json delta = {{"classes", classes},
                {"unmatched",
                 {{"packets", now.unmatched.packets_seen - last_.unmatched.packets_seen},
                  {"bytes", now.unmatched.bytes_seen - last_.unmatched.bytes_seen}}},
                {"connections",
                 {{"active", static_cast<uint64_t>(stage_.table().size())},
                  {"created", now.table.created - last_.table.created},
                  {"expired", now.table.expired - last_.table.expired},
                  {"evicted_early", now.table.evicted_early - last_.table.evicted_early}}}};
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
