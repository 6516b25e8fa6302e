#include "plan/segment_join.h"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace trove {

int64_t DefaultJoinGapNs(const PlanConn& c) {
  return c.key.starts_with("tcp|") ? 300'000'000'000LL : 60'000'000'000LL;
}

std::vector<PlanConn> JoinSegmentRows(std::vector<PlanConn> rows) {
  std::stable_sort(rows.begin(), rows.end(),
                   [](const PlanConn& a, const PlanConn& b) { return a.ts_ns < b.ts_ns; });
  std::vector<PlanConn> out;
  out.reserve(rows.size());
  std::unordered_map<std::string, size_t> open;  // key -> index in out of its latest connection
  for (PlanConn& r : rows) {
    if (r.key.empty() || r.segment.empty()) {
      out.push_back(std::move(r));
      continue;
    }
    auto it = open.find(r.key);
    if (it != open.end()) {
      PlanConn& c = out[it->second];
      const int64_t end = c.ts_ns + c.duration_ns;
      if (c.segment != r.segment && r.ts_ns - end <= DefaultJoinGapNs(r)) {
        c.duration_ns = std::max(end, r.ts_ns + r.duration_ns) - c.ts_ns;
        c.bytes += r.bytes;
        c.segment = r.segment;  // the next piece comes from a later segment
        continue;
      }
    }
    open[r.key] = out.size();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace trove
