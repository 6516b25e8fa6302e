#pragma once
// Fsck: proves (and, unless dry_run, restores) the store invariants:
//   - every catalogued segment's file exists, has the recorded size and
//     SHA-256 (missing files are marked missing, never silently dropped);
//   - no complete segment file is unknown to the catalogue (adopted);
//   - partial files are salvaged up to their last complete record (only
//     for links no running process holds);
//   - stranded failover prefixes and interrupted mover copies are finished;
//   - every stored raw segment has its enabled privacy levels (derived
//     now where a crash interrupted the derivation).
// With rebuild_catalog the catalogue is rebuilt from the self-describing
// segment files alone (the old one is kept as catalog.db.bak-TIME).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "segment/segment_writer.h"
#include "segment/storage_router.h"
#include "store/store.h"
#include "util/progress.h"

namespace trove {

// Derives the privacy levels a stored raw segment lacks. Implemented above
// the store layer (levels/derive_levels.h: DerivedLevels), handed to fsck
// through FsckOptions::levels so that store/ never includes levels/.
class LevelCompleter {
 public:
  virtual ~LevelCompleter() = default;
  // The derived segments published for `raw` (dry_run: one record per
  // child it lacks, nothing written). Blocks on file I/O.
  virtual Result<std::vector<SegmentRecord>> Complete(const SegmentRecord& raw,
                                                      bool dry_run) = 0;
};
// Opens the store's level completer for one fsck run, writing through the
// router and catalogue fsck uses; null when the store has no enabled level.
using LevelCompleterFactory = std::function<Result<std::unique_ptr<LevelCompleter>>(
    Store&, StorageRouter&, Catalog&, const SegmentWriterOptions&)>;

struct FsckOptions {
  bool dry_run = false;
  bool rebuild_catalog = false;
  bool verify_hashes = true;
  // Step "derived levels" runs only with a factory
  // (levels/derive_levels.h: StoreLevelCompleter()); without one the
  // report says the levels were not checked.
  LevelCompleterFactory levels;
};

struct FsckReport {
  uint64_t checked = 0;                  // catalogued segments verified
  uint64_t files = 0;                    // segment files found on disk
  std::vector<std::string> salvaged;     // partial -> published segment
  std::vector<std::string> removed;      // empty partials, stale copies
  std::vector<std::string> adopted;      // complete files added to the catalogue
  std::vector<std::string> relocated;    // catalogue path fixed (interrupted move)
  std::vector<std::string> derived;      // derived-level segments produced now
  std::vector<std::string> missing;      // catalogued, file gone
  std::vector<std::string> corrupt;      // size or hash differs / unreadable
  std::vector<std::string> busy;         // partials of links in use
  std::vector<std::string> stranded;     // failover prefixes still unreachable
  std::vector<std::string> partials;     // partial files found (before repair)
  std::vector<std::string> problems;     // human-readable, one per issue left
  bool levels_checked = false;           // FsckOptions::levels was given and ran
  bool consistent() const { return missing.empty() && corrupt.empty() && problems.empty(); }
};

Result<FsckReport> RunFsck(Store& store, const FsckOptions& opts);

}  // namespace trove
