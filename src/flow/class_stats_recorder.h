#pragma once
// ClassStatsRecorder: records the cutoff stage's per-class counters in the
// catalogue's store metadata when a raw segment is published:
//
//   class_stats.segment.NAME  the counters of the interval since the
//                             previous publication of this link (JSON)
//   class_stats.link.LINK     cumulative over every run of the link (JSON)
//
// Both are StageStatsJson() objects (flow/stage_stats.h). Counters add
// up; active* values are the ones at publication.
// `trove stats` shows the cumulative record. A catalogue error is counted,
// never fatal (the segment is already durable). Writer thread only.

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "flow/class_counters.h"
#include "flow/cutoff_stage.h"
#include "flow/stage_stats.h"
#include "segment/segment_writer.h"

namespace trove {

class ClassStatsRecorder : public SegmentObserver {
 public:
  ClassStatsRecorder(const CutoffStage& stage, Catalog& catalog, std::string link);
  void OnSegmentPublished(const SegmentRecord& rec) override;
  uint64_t errors() const { return errors_; }

  static std::string SegmentKey(const std::string& name) { return "class_stats.segment." + name; }
  static std::string LinkKey(const std::string& link) { return "class_stats.link." + link; }

 private:
  const CutoffStage& stage_;
  Catalog& catalog_;
  std::string link_;
  StageStats last_;
  uint64_t errors_ = 0;
};

}  // namespace trove
