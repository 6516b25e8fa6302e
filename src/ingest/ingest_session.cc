#include "ingest/ingest_session.h"

#include "segment/segment_header.h"
#include "segment/segment_recovery.h"
#include "util/log.h"

namespace trove {

IngestSession::~IngestSession() = default;

Result<std::unique_ptr<IngestSession>> IngestSession::Open(const std::string& store_dir,
                                                           const IngestRequest& req) {
  std::unique_ptr<IngestSession> s(new IngestSession());
  TROVE_ASSIGN_OR_RETURN(s->store_, Store::Open(store_dir));
  Store& store = *s->store_;
  const LinkConfig* link = store.FindLink(req.link);
  if (!link) {
    std::string names;
    for (const auto& l : store.config().links) names += (names.empty() ? "" : ", ") + l.name;
    return Status::InvalidArgument("no link named '" + req.link + "' in " + store.dir() +
                                   "/trove.toml (links: " + names + ")");
  }
  s->link_ = *link;
  if (req.segment_bytes) s->link_.segment.max_bytes = *req.segment_bytes;
  if (req.segment_duration_ns) s->link_.segment.max_duration_ns = *req.segment_duration_ns;
  s->snaplen_ = req.snaplen ? *req.snaplen : s->link_.snaplen;
  auto lock = store.LockLink(s->link_.name);
  if (!lock.ok())  // busy, or the lock file cannot be opened: not the caller's input
    return lock.status().code() == Status::Code::kFailedPrecondition
               ? lock.status()
               : Status::FailedPrecondition(lock.status().message());
  s->lock_ = std::move(lock).value();

  // Start of an ingest: finish what an interrupted run left behind.
  Fs& fs = store.fs();
  for (StorageArea a : {StorageArea::kPrimary, StorageArea::kSpool}) {
    auto r = RecoverLinkPartials(fs, store.catalog(), store.AreaDir(a), a, s->link_.name);
    if (!r.ok())
      LogWarning("the partial segments of link " + s->link_.name + " in " + store.AreaDir(a) +
                 " are not recovered: " + r.status().message() + " (`trove fsck` retries)");
  }
  if (Status e = FinishExpiryJournal(fs, store.catalog(), JoinPath(store.dir(), "run"),
                                     s->link_.name, nullptr);
      !e.ok())
    LogWarning("an interrupted expiry of link " + s->link_.name + " is not finished: " +
               e.message() + " (`trove gc` retries)");

  s->router_ = std::make_unique<StorageRouter>(fs, store.primary_dir(), store.spool_dir(),
                                               store.config().storage.probe_interval_ns);
  if (!store.config().classes.empty()) {
    s->stage_ = std::make_unique<CutoffStage>(store.config().classes, store.config().connections);
    s->class_stats_ =
        std::make_unique<ClassStatsRecorder>(*s->stage_, store.catalog(), s->link_.name);
  }
  auto ctl = ControlServer::Start(JoinPath(JoinPath(store.dir(), "run"), s->link_.name + ".ctl"));
  if (ctl.ok())
    s->control_ = std::move(ctl).value();
  else
    LogWarning("no runtime control (trove ctl, stats --live): " + ctl.status().message());
  return s;
}

Status IngestSession::StartWriter(const std::string& source, const std::string& interface,
                                  const std::string& capture_filter, bool live) {
  Store& store = *store_;
  SegmentWriterOptions w;
  w.link = link_.name;
  w.location = link_.location;
  w.interface = interface;
  w.source = source;
  w.capture_filter = capture_filter;
  w.capture_host = LocalHostName();
  w.snaplen = snaplen_;
  w.policy = link_.segment;
  w.checkpoint_bytes = store.config().storage.checkpoint_bytes;
  w.direct_io = store.config().storage.direct_io;
  w.live = live;
  std::vector<std::string> class_names;
  if (stage_)
    for (const auto& c : stage_->classes()) class_names.push_back(c.name);
  writer_ = std::make_unique<ClassStreams>(w, std::move(class_names), *router_, store.catalog());
  // Indexes are written by a worker thread with its own catalogue connection.
  TROVE_ASSIGN_OR_RETURN(auto index_catalog, store.OpenCatalogConnection());
  indexer_ = std::make_unique<IndexingObserver>(store.fs(), std::move(index_catalog));
  writer_->AddObserver(indexer_.get());
  if (class_stats_) writer_->AddObserver(class_stats_.get());

  // Privacy levels, derived in the background as each raw segment is
  // published.
  TROVE_ASSIGN_OR_RETURN(levels_, BackgroundDeriver::Start(store, w));
  if (levels_) writer_->AddObserver(levels_.get());

  // Budgets and retention, enforced off the writer thread after each
  // publication.
  if (stage_) {
    TROVE_ASSIGN_OR_RETURN(expiry_,
                           ExpiryWorker::Start(store, link_.name, PoliciesFrom(stage_->classes())));
    writer_->AddObserver(expiry_.get());
  }
  return Status::Ok();
}

void IngestSession::Attach(IngestPipeline& pipe) {
  pipe.SetCutoffStage(stage_.get());
  pipe.SetControl(control_.get());
  if (expiry_ && stage_)
    pipe.SetAfterControl([this] { expiry_->SetPolicies(PoliciesFrom(stage_->classes())); });
}

IngestSummary IngestSession::Finish(const IngestResult& r) {
  IngestSummary sum;
  if (indexer_) indexer_->Finish();
  if (levels_) {
    levels_->Stop(StopMode::kDrain);
    sum.levels = levels_->counters();
  }
  if (expiry_) {
    expiry_->Stop(StopMode::kDrain);
    sum.expiry = expiry_->counters();
  }
  if (indexer_) sum.index = indexer_->counters();
  // Drain the spool now if the primary is back (a capture's MoverWorker
  // does it periodically).
  if (auto m = RunMover(*store_); m.ok()) sum.mover = *m;
  for (const auto& f : r.files)
    if (!f.error.ok()) sum.exit_code = 2;
  if (!r.fatal.ok()) sum.exit_code = 1;
  if (r.writer.catalog_errors > 0 && sum.exit_code == 0) sum.exit_code = 1;
  return sum;
}

}  // namespace trove
