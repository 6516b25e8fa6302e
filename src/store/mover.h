#pragma once
// Mover: drains the local spool into the primary path once the primary is
// back. Per segment: copy to NAME.pcapng.moving on the primary, fsync,
// re-read and compare SHA-256 with the catalogue, rename, update the
// catalogue's location, and only then remove the spool copy. A crash at
// any step leaves either the old state or a state fsck completes. Also
// finishes stranded failover prefixes that became reachable.

#include <string>
#include <vector>

#include "store/store.h"
#include "util/progress.h"

namespace trove {

inline constexpr const char* kMovingSuffix = ".moving";

struct MoverReport {
  int moved = 0;
  int stranded_finished = 0;
  int remaining = 0;                 // spooled segments left (primary unavailable or errors)
  bool primary_available = false;
  std::vector<std::string> errors;
};

Result<MoverReport> RunMover(Store& store);

}  // namespace trove
