#pragma once
// Expiry: per-class disk budgets and retention (docs/CONFIG.md "Budget and
// retention"). Per link and class:
//
//   usage     = file bytes of the class's stored segments: raw + derived
//               levels + the raw segments' .idx files;
//   retention = packet time: a raw segment expires when its last packet is
//               more than `retention` older than the newest packet of the
//               class's stored raw segments;
//   budget    = while usage > budget, the oldest raw segment (by first
//               packet) expires, with its derived segments and index.
//
// Expiry is crash-safe and rolls forward:
//   1. write STORE/run/LINK.expiring (ids and paths; fsynced, renamed);
//   2. mark the rows `expired` in one catalogue transaction (rows are kept:
//      "catalogued as expired", never half-deleted);
//   3. delete the files (segment, derived children, .idx);
//   4. remove the journal.
// FinishExpiryJournal() completes steps 2–4 of a journal a crash left; fsck,
// ingest start and `trove gc` call it. Derived segments whose parent is no
// longer stored (derived while the parent expired) expire with it.
// Rows of class "" (stores without classes, rows from before schema v5)
// have no budget. Callers hold the link's lock (or are its writer).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "store/config.h"
#include "util/fs.h"

namespace trove {

struct ClassPolicy {
  std::string klass;
  uint64_t budget = 0;       // bytes; 0 = unlimited
  int64_t retention_ns = 0;  // 0 = unlimited
};
std::vector<ClassPolicy> PoliciesFrom(const std::vector<ClassConfig>& classes);

struct ExpiredSegment {
  int64_t id = 0;
  std::string name, klass, level;
  std::string reason;  // "budget", "retention", "parent expired"
  uint64_t bytes = 0;  // file + index bytes freed
};

struct ClassUsage {
  std::string link, klass;
  uint64_t segments = 0;  // stored raw segments
  uint64_t bytes = 0;     // raw + derived + .idx
  int64_t oldest_ns = 0;  // first packet of the oldest stored raw segment
  int64_t newest_ns = 0;  // last packet of the newest
};

struct ExpiryReport {
  std::vector<ExpiredSegment> expired;
  uint64_t bytes_freed = 0;
  bool journal_finished = false;  // a journal left by a crash was completed
  std::vector<std::string> problems;
};

struct ExpiryOptions {
  bool dry_run = false;
  // Test seam (`trove gc` sets it from TROVE_TEST_EXPIRY_KILL): called after
  // each step with "journal", "catalog", "file"; may end the process.
  std::function<void(const char* step)> step_hook;
};

std::string ExpiryJournalPath(const std::string& run_dir, const std::string& link);

// Completes a journal left by an interrupted expiry of `link`, if any.
Status FinishExpiryJournal(Fs& fs, Catalog& cat, const std::string& run_dir,
                           const std::string& link, ExpiryReport* report);

// Usage of every class (including "") of `link`.
Result<std::vector<ClassUsage>> ClassUsages(Fs& fs, Catalog& cat, const std::string& link);

// Finishes a left journal, then expires what the policies demand.
Result<ExpiryReport> EnforceExpiry(Fs& fs, Catalog& cat, const std::string& run_dir,
                                   const std::string& link,
                                   const std::vector<ClassPolicy>& policies,
                                   const ExpiryOptions& opts = {});

// Deletes files that still exist for expired rows (e.g. a spool copy the
// mover moved while it expired). Returns the paths removed.
std::vector<std::string> SweepExpiredFiles(Fs& fs, Catalog& cat, const std::string& link);

}  // namespace trove
