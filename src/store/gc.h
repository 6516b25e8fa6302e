#pragma once
// RunGc: `trove gc` as a library call: for every link of the store (or one),
// take the link's lock, finish a left expiry journal, enforce the classes'
// budgets and retention (store/expiry.h), sweep files left of expired rows,
// and report each class's usage afterwards. A link whose lock is held by a
// running ingest is reported busy and left alone: that ingest enforces its
// own expiry (ingest/expiry_worker.h). Blocks on file and catalogue I/O;
// call from one thread per store handle.

#include <string>
#include <vector>

#include "store/expiry.h"
#include "store/store.h"

namespace trove {

struct GcOptions {
  std::string link;  // "" = every link of trove.toml
  ExpiryOptions expiry;
};

struct GcLinkReport {
  std::string link;
  bool busy = false;                // locked by a running ingest: not touched
  ExpiryReport expiry;              // empty when busy
  std::vector<std::string> swept;   // files of expired rows removed
  std::vector<ClassUsage> usage;    // after the pass
};

struct GcReport {
  std::vector<GcLinkReport> links;
  uint64_t segments_expired = 0;
  uint64_t bytes_freed = 0;
  // True when some link reported problems (files left, journal errors).
  bool has_problems() const;
};

// InvalidArgument when `link` names no link of the store; a failed expiry
// of one link ends the run with its error (the links before it are done).
Result<GcReport> RunGc(Store& store, const GcOptions& opts);

}  // namespace trove
