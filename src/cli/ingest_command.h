#pragma once
// What `trove import` and `trove capture` share: the options that shape
// the writer (link, snaplen, rotation overrides), opening the store and
// locking the link, recovering partials left by an earlier run (daemon
// start), and reporting the result (text or --json) with the exit code.

#include <memory>
#include <optional>
#include <string>

#include "cli/command.h"
#include "flow/class_stats_recorder.h"
#include "flow/cutoff_stage.h"
#include "index/indexing_observer.h"
#include "ingest/expiry_worker.h"
#include "ingest/ingest_pipeline.h"
#include "levels/background_deriver.h"
#include "segment/segment_writer.h"
#include "segment/storage_router.h"
#include "store/store.h"

namespace trove::cli {

struct IngestCommandOptions {
  std::string link = "default";
  std::optional<uint32_t> snaplen;
  std::string segment_bytes;    // override, e.g. "1M"
  std::string segment_seconds;  // override, e.g. "60"
  bool json = false;
};

void AddIngestOptions(CLI::App* cmd, IngestCommandOptions* o);

struct IngestSession {
  std::unique_ptr<Store> store;
  LinkConfig link;
  std::unique_ptr<LinkLock> lock;
  std::unique_ptr<StorageRouter> router;
  // Classes and cutoff; null when the store defines no [[class]].
  std::unique_ptr<CutoffStage> stage;
  // Observers of `writer`, declared before it so that they outlive it.
  std::unique_ptr<ClassStatsRecorder> class_stats;  // null without a stage
  std::unique_ptr<BackgroundDeriver> levels;        // null: no level or no master key
  std::unique_ptr<IndexingObserver> indexer;
  std::unique_ptr<ExpiryWorker> expiry;  // null without classes
  // One segment stream per class (one stream without classes).
  std::unique_ptr<ClassStreams> writer;
  std::unique_ptr<ControlServer> control;  // STORE/run/LINK.ctl; null without a stage
  uint32_t snaplen = 0;
};

// Gives the pipeline the session's cutoff stage and control socket, if any.
void AttachStage(IngestSession& s, IngestPipeline& pipe);

// Opens the store, resolves the link and this run's overrides, locks the
// link, recovers its partials, finishes an interrupted expiry, and sets up the cutoff stage and
// control socket. Throws ExitError on failure.
IngestSession OpenIngest(const GlobalOptions& g, const IngestCommandOptions& o);
// Creates the session's writer for packets from `interface` (or "import")
// captured with `capture_filter`, with every observer attached (index,
// class statistics, privacy levels, expiry). Throws ExitError on failure.
void StartWriter(IngestSession& s, const std::string& source, const std::string& interface,
                 const std::string& capture_filter, bool live);
// OpenIngest + StartWriter.
IngestSession StartIngest(const GlobalOptions& g, const IngestCommandOptions& o,
                          const std::string& source, const std::string& interface,
                          const std::string& capture_filter, bool live);
// Drains the spool if the primary is back, prints the summary and returns
// the exit code (0 ok, 1 pipeline failure, 2 some input was bad).
int FinishIngest(IngestSession& s, const IngestResult& r, bool json);

}  // namespace trove::cli
