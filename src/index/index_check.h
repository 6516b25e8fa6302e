#pragma once
// CheckSegmentIndexes: the index part of `trove fsck`. For every stored raw
// segment it verifies that NAME.idx exists, decodes (header, checksum,
// bounds) and describes this file (name and size); with `repair` it
// rebuilds a missing, corrupt or stale index from the segment file (the
// same builder the writer uses) and restores a missing catalogue summary
// (e.g. after --rebuild-catalog), and rewrites an index of an older format
// version in the current one (version 3 is what makes queries
// O(candidates); an index older than version 4 is rebuilt from the segment
// so its records get wire counts: those of the stored packets, since
// packets dropped past a cutoff are in no file). Derived-level segments are not indexed.

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "util/fs.h"
#include "util/status.h"

namespace trove {

struct IndexCheckReport {
  uint64_t checked = 0;
  std::vector<std::string> rebuilt;             // index files (re)written
  std::vector<std::string> bad;                 // missing/corrupt/stale, left as is (no repair)
  std::vector<std::string> summaries_restored;  // segment names
  std::vector<std::string> upgraded;            // index files rewritten in the current version
  std::vector<std::string> old;                 // of an older version, left as is (no repair)
  std::vector<std::string> errors;              // a rebuild that failed
};

Result<IndexCheckReport> CheckSegmentIndexes(Fs& fs, Catalog& catalog, bool repair);

}  // namespace trove
