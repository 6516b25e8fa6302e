#include "index/index_check.h"

#include "index/index_file.h"
#include "index/index_publisher.h"
#include "index/segment_summary.h"

namespace trove {

Result<IndexCheckReport> CheckSegmentIndexes(Fs& fs, Catalog& catalog, bool repair) {
  IndexCheckReport rep;
  SegmentQuery q;
  q.level = "raw";
  q.state = SegmentState::kStored;
  TROVE_ASSIGN_OR_RETURN(std::vector<SegmentRecord> segs, catalog.ListSegments(q));
  for (const SegmentRecord& r : segs) {
    ++rep.checked;
    const std::string path = IndexPathFor(r.path);
    auto ix = ReadIndexFile(path);
    std::string why;
    if (!ix.ok())
      why = ix.status().code() == Status::Code::kNotFound ? "missing" : ix.status().message();
    else if (ix->segment_name != r.name || ix->segment_bytes != r.file_bytes)
      why = "stale";
    if (why.empty()) {
      if (ix->decoded_version < kIndexVersion) {
        const std::string what = path + ": version " + std::to_string(ix->decoded_version) +
                                 " (current " + std::to_string(kIndexVersion) + ")";
        if (!repair) {
          rep.old.push_back(what);
        } else {
          // Before version 4 the records hold stored counts only: rebuild
          // from the segment so the wire counts come from each packet's
          // original length and IP header (packets dropped past a cutoff
          // are not in the file and stay uncounted).
          Result<SegmentIndex> up =
              ix->decoded_version < 4 ? BuildIndexFromSegment(r.path, r.name) : Result<SegmentIndex>(*ix);
          Status st = up.ok() ? WriteIndexFile(fs, path, *up) : up.status();
          if (st.ok())
            rep.upgraded.push_back(what);
          else
            rep.errors.push_back(path + ": upgrading: " + st.message());
        }
      }
      auto sum = catalog.GetSegmentSummary(r.id);
      if (sum.ok() && !sum->has_value() && repair) {
        const SegmentSummary s = SummarizeIndex(*ix);
        Status st = catalog.PutSegmentSummary(r.id, s.first_ts_ns, s.last_ts_ns, s.Encode());
        if (st.ok())
          rep.summaries_restored.push_back(r.name);
        else
          rep.errors.push_back(r.name + ": " + st.message());
      }
      continue;
    }
    if (!repair) {
      rep.bad.push_back(path + ": " + why);
      continue;
    }
    auto built = BuildIndexFromSegment(r.path, r.name);
    Result<uint64_t> n = built.ok() ? PublishSegmentIndex(fs, catalog, r, *built) : built.status();
    if (n.ok())
      rep.rebuilt.push_back(path);
    else
      rep.errors.push_back(path + ": " + n.status().message());
  }
  return rep;
}

}  // namespace trove
