#pragma once
// FindOpenSegments: the raw segments being written right now — the
// NAME.pcapng.partial files under the store's areas whose trove header says
// level raw. A query may scan them (--include-open): they hold every block
// the writer has flushed so far (the last block may be incomplete and is
// ignored). Best effort by nature: a partial published while the query runs
// is read either as the partial or as the catalogued segment, never both
// (the runner skips a partial that is gone or already catalogued).

#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace trove {

struct OpenSegmentFile {
  std::string path;  // .../NAME.pcapng.partial
  std::string name;  // NAME
  std::string link;
};

std::vector<OpenSegmentFile> FindOpenSegments(const std::vector<std::string>& area_dirs,
                                              const std::optional<std::string>& link);

}  // namespace trove
