#pragma once
// Mover: drains the local spool into the primary path once the primary is
// back. Per segment: copy to NAME.pcapng.moving on the primary, fsync,
// re-read and compare SHA-256 with the catalogue, rename, update the
// catalogue's location, and only then remove the spool copy. A crash at
// any step leaves either the old state or a state fsck completes. Also
// finishes stranded failover prefixes that became reachable.
//
// Expiry may run meanwhile (another catalogue connection). The location
// update is one transaction that first re-reads the row: a segment that
// expired while it was copied is not relocated, and the mover deletes both
// copies and their indexes. Expiry in turn deletes the path the row has
// after it marked it expired (store/expiry.h). Either way no file of an
// expired segment is left behind.

#include <atomic>
#include <functional>
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
  int expired_meanwhile = 0;         // expired while being copied: both copies deleted
  bool primary_available = false;
  std::vector<std::string> errors;
};

struct MoverOptions {
  // Tests: called after each step ("copied": the copy is renamed into
  // place, the row not yet updated).
  std::function<void(const std::string& step)> step_hook;
  // Checked before each segment: when set, the pass ends there (the
  // segments not yet moved stay in the spool, counted in `remaining`).
  const std::atomic<bool>* abort = nullptr;
  // A progress meter on a terminal (the CLI's `trove mover`); off for a
  // background pass.
  bool progress = true;
};

Result<MoverReport> RunMover(Store& store, const MoverOptions& opts = {});

}  // namespace trove
