#pragma once
// IngestSession: everything one ingest of one link needs around its
// IngestPipeline, for `trove import` and `trove capture` now and for each
// link the daemon captures next. Open() opens the store, resolves the link
// and this run's overrides, takes the link's lock, finishes what an
// interrupted run left behind (salvages the link's partial segments,
// completes an expiry journal), and sets up the cutoff stage and the
// control socket (STORE/run/LINK.ctl). StartWriter() creates the writer
// (one segment stream per class) with every observer: the index, the
// class statistics, and the activities (store/activity.h) that run beside
// the ingest: level derivation and expiry. Finish() stops those
// activities (draining them), drains the spool when the primary is back,
// and returns what happened.
//
// Threads: the owner's thread calls Open, StartWriter, Attach and Finish;
// the pipeline's writer thread drives the observers. Blocks on file and
// catalogue I/O.

#include <memory>
#include <optional>
#include <string>

#include "flow/class_stats_recorder.h"
#include "flow/control_server.h"
#include "flow/cutoff_stage.h"
#include "index/indexing_observer.h"
#include "ingest/expiry_worker.h"
#include "ingest/ingest_pipeline.h"
#include "levels/background_deriver.h"
#include "segment/storage_router.h"
#include "store/mover.h"
#include "store/store.h"

namespace trove {

struct IngestRequest {
  std::string link = "default";
  std::optional<uint32_t> snaplen;         // unset: the link's
  std::optional<uint64_t> segment_bytes;   // rotation overrides for this run
  std::optional<int64_t> segment_duration_ns;
};

// What Finish() reports beside the pipeline's IngestResult.
struct IngestSummary {
  MoverReport mover;                    // the spool drained at the end
  std::optional<ExpiryCounters> expiry;  // stores with classes
  std::optional<IndexingCounters> index;
  std::optional<DerivedLevelsCounters> levels;  // stores with enabled levels
  // 0 ok, 1 the pipeline or the catalogue failed, 2 some input was bad.
  int exit_code = 0;
};

class IngestSession {
 public:
  // InvalidArgument: no such link (the message lists the links).
  // FailedPrecondition: the link is locked by another process (or its lock
  // cannot be taken). Other errors: the store cannot be opened. Recovery and
  // control-socket failures are logged, not fatal.
  static Result<std::unique_ptr<IngestSession>> Open(const std::string& store_dir,
                                                     const IngestRequest& req);
  ~IngestSession();

  // `source` is "capture" or "import"; `interface` the device or "import".
  Status StartWriter(const std::string& source, const std::string& interface,
                     const std::string& capture_filter, bool live);
  // Gives the pipeline the cutoff stage and the control socket, if any.
  void Attach(IngestPipeline& pipe);
  IngestSummary Finish(const IngestResult& r);

  Store& store() { return *store_; }
  const LinkConfig& link() const { return link_; }  // with this run's overrides
  uint32_t snaplen() const { return snaplen_; }
  ClassStreams& writer() { return *writer_; }        // after StartWriter
  const CutoffStage* stage() const { return stage_.get(); }  // null without classes

 private:
  IngestSession() = default;

  std::unique_ptr<Store> store_;
  LinkConfig link_;
  uint32_t snaplen_ = 0;
  std::unique_ptr<LinkLock> lock_;
  std::unique_ptr<StorageRouter> router_;
  // Classes and cutoff; null when the store defines no [[class]].
  std::unique_ptr<CutoffStage> stage_;
  // Observers of `writer_`, declared before it so that they outlive it.
  std::unique_ptr<ClassStatsRecorder> class_stats_;  // null without a stage
  std::unique_ptr<BackgroundDeriver> levels_;        // null: no level or no master key
  std::unique_ptr<IndexingObserver> indexer_;
  std::unique_ptr<ExpiryWorker> expiry_;  // null without classes
  std::unique_ptr<ClassStreams> writer_;
  std::unique_ptr<ControlServer> control_;  // null when it could not start
};

}  // namespace trove
