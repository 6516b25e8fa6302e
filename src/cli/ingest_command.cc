#include "cli/ingest_command.h"

#include <nlohmann/json.hpp>

#include "segment/segment_recovery.h"
#include "store/mover.h"
#include "util/log.h"
#include "util/time_util.h"

namespace trove::cli {

void AddIngestOptions(CLI::App* cmd, IngestCommandOptions* o) {
  cmd->add_option("--link", o->link, "Link to store the packets under (default: default)");
  cmd->add_option("--snaplen", o->snaplen,
                  "Bytes kept per packet for this run (0 = full packets; default: the link's)");
  cmd->add_option("--segment-bytes", o->segment_bytes,
                  "Rotate segments at this size for this run (e.g. 1M, 512M)");
  cmd->add_option("--segment-seconds", o->segment_seconds,
                  "Rotate segments at aligned windows of this many seconds for this run");
  cmd->add_flag("--json", o->json, "Print a machine-readable summary on stdout");
}

IngestSession OpenIngest(const GlobalOptions& g, const IngestCommandOptions& o) {
  IngestSession s;
  auto store = Store::Open(ResolveStoreDir(g));
  if (!store.ok()) throw ExitError{2, store.status().message()};
  s.store = std::move(store).value();
  const LinkConfig* link = s.store->FindLink(o.link);
  if (!link) {
    std::string names;
    for (const auto& l : s.store->config().links) names += (names.empty() ? "" : ", ") + l.name;
    throw ExitError{2, "no link named '" + o.link + "' in " + s.store->dir() +
                           "/trove.toml (links: " + names + ")"};
  }
  s.link = *link;
  if (!o.segment_bytes.empty()) {
    auto b = ParseSize(o.segment_bytes);
    if (!b.ok()) throw ExitError{2, "--segment-bytes: " + b.status().message()};
    s.link.segment.max_bytes = *b;
  }
  if (!o.segment_seconds.empty()) {
    auto d = ParseDuration(o.segment_seconds);
    if (!d.ok()) throw ExitError{2, "--segment-seconds: " + d.status().message()};
    s.link.segment.max_duration_ns = *d;
  }
  s.snaplen = o.snaplen ? *o.snaplen : s.link.snaplen;
  auto lock = s.store->LockLink(s.link.name);
  if (!lock.ok()) throw ExitError{1, lock.status().message()};
  s.lock = std::move(lock).value();

  // Daemon start: finish what an interrupted run left behind.
  Fs& fs = s.store->fs();
  for (StorageArea a : {StorageArea::kPrimary, StorageArea::kSpool})
    (void)RecoverLinkPartials(fs, s.store->catalog(), s.store->AreaDir(a), a, s.link.name);
  if (Status e = FinishExpiryJournal(fs, s.store->catalog(), JoinPath(s.store->dir(), "run"),
                                     s.link.name, nullptr);
      !e.ok())
    LogWarning("an interrupted expiry of link " + s.link.name + " is not finished: " + e.message() +
               " (`trove gc` retries)");

  s.router = std::make_unique<StorageRouter>(fs, s.store->primary_dir(), s.store->spool_dir(),
                                             s.store->config().storage.probe_interval_ns);
  if (!s.store->config().classes.empty()) {
    s.stage =
        std::make_unique<CutoffStage>(s.store->config().classes, s.store->config().connections);
    s.class_stats = std::make_unique<ClassStatsRecorder>(*s.stage, s.store->catalog(), s.link.name);
  }
  auto ctl = ControlServer::Start(JoinPath(JoinPath(s.store->dir(), "run"), s.link.name + ".ctl"));
  if (ctl.ok())
    s.control = std::move(ctl).value();
  else
    LogWarning("no runtime control (trove ctl, stats --live): " + ctl.status().message());
  return s;
}

void StartWriter(IngestSession& s, const std::string& source, const std::string& interface,
                 const std::string& capture_filter, bool live) {
  SegmentWriterOptions w;
  w.link = s.link.name;
  w.location = s.link.location;
  w.interface = interface;
  w.source = source;
  w.capture_filter = capture_filter;
  w.capture_host = LocalHostName();
  w.snaplen = s.snaplen;
  w.policy = s.link.segment;
  w.checkpoint_bytes = s.store->config().storage.checkpoint_bytes;
  w.direct_io = s.store->config().storage.direct_io;
  w.live = live;
  std::vector<std::string> class_names;
  if (s.stage)
    for (const auto& c : s.stage->classes()) class_names.push_back(c.name);
  s.writer =
      std::make_unique<ClassStreams>(w, std::move(class_names), *s.router, s.store->catalog());
  // Indexes are written by a worker thread with its own catalogue connection.
  auto index_catalog =
      OpenCatalog(s.store->config().storage.catalog, s.store->dir(), /*create=*/false);
  if (!index_catalog.ok()) throw ExitError{2, index_catalog.status().message()};
  s.indexer = std::make_unique<IndexingObserver>(s.store->fs(), std::move(index_catalog).value());
  s.writer->AddObserver(s.indexer.get());
  if (s.class_stats) s.writer->AddObserver(s.class_stats.get());

  // Privacy levels, derived in the background as each raw segment is
  // published.
  auto levels = BackgroundDeriver::Start(*s.store, w);
  if (!levels.ok()) throw ExitError{2, levels.status().message()};
  s.levels = std::move(levels).value();
  if (s.levels) s.writer->AddObserver(s.levels.get());

  // Budgets and retention, enforced off the writer thread after each
  // publication.
  if (s.stage) {
    auto ex = ExpiryWorker::Start(*s.store, s.link.name, PoliciesFrom(s.stage->classes()));
    if (!ex.ok()) throw ExitError{2, ex.status().message()};
    s.expiry = std::move(ex).value();
    s.writer->AddObserver(s.expiry.get());
  }
}

IngestSession StartIngest(const GlobalOptions& g, const IngestCommandOptions& o,
                          const std::string& source, const std::string& interface,
                          const std::string& capture_filter, bool live) {
  IngestSession s = OpenIngest(g, o);
  StartWriter(s, source, interface, capture_filter, live);
  return s;
}

void AttachStage(IngestSession& s, IngestPipeline& pipe) {
  pipe.SetCutoffStage(s.stage.get());
  pipe.SetControl(s.control.get());
  if (s.expiry && s.stage)
    pipe.SetAfterControl([&s] { s.expiry->SetPolicies(PoliciesFrom(s.stage->classes())); });
}

namespace {

nlohmann::json ClassesJson(const CutoffStage& st) {
  nlohmann::json classes = nlohmann::json::array();
  for (size_t i = 0; i < st.classes().size(); ++i) {
    const ClassCounters& c = st.counters()[i];
    const auto k = static_cast<uint8_t>(i);
    classes.push_back({{"name", st.classes()[i].name},
                       {"packets_seen", c.packets_seen},
                       {"bytes_seen", c.bytes_seen},
                       {"packets_stored", c.packets_stored},
                       {"bytes_stored", c.bytes_stored},
                       {"packets_cut", c.packets_cut},
                       {"packets_dropped", c.packets_dropped},
                       {"bytes_cut", c.bytes_cut},
                       {"bytes_snapped", c.bytes_snapped},
                       {"connections", c.connections},
                       {"active_connections", st.table().active_in_class(k)},
                       {"evicted_early", st.table().evicted_early_in_class(k)}});
  }
  const auto& t = st.table().counters();
  return {{"classes", classes},
          {"unmatched",
           {{"packets", st.unmatched().packets_seen}, {"bytes", st.unmatched().bytes_seen}}},
          {"connections",
           {{"active", st.table().size()},
            {"created", t.created},
            {"expired", t.expired},
            {"evicted_early", t.evicted_early},
            {"max", st.table().max_connections()}}}};
}

}  // namespace

int FinishIngest(IngestSession& s, const IngestResult& r, bool json) {
  if (s.indexer) s.indexer->Finish();
  if (s.levels) s.levels->Finish();
  ExpiryCounters ec;
  if (s.expiry) {
    s.expiry->Finish();
    ec = s.expiry->counters();
  }
  // Drain the spool now if the primary is back (the capture daemon also
  // does this periodically).
  MoverReport mv;
  {
    auto m = RunMover(*s.store);
    if (m.ok()) mv = *m;
  }
  int rc = 0;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : r.files) {
    nlohmann::json j{{"path", f.path}, {"packets", f.packets}, {"bytes", f.bytes}};
    if (!f.error.ok()) {
      j["error"] = f.error.message();
      rc = 2;
    }
    files.push_back(j);
  }
  if (!r.fatal.ok()) rc = 1;
  const auto& w = r.writer;
  if (json) {
    nlohmann::json j{
        {"link", s.link.name},
        {"files", files},
        {"packets", r.packets_read},
        {"packets_stored", w.packets_stored},
        {"bytes_stored", w.bytes_stored},
        {"segments", r.segment_ids},
        {"drops", {{"kernel", r.kernel_drops}, {"ring", r.ring_drops}, {"store", w.store_drops}}},
        {"kernel_received", r.kernel_received},
        {"ring",
         {{"bytes", r.ring_bytes},
          {"fill_max", r.ring_fill_max},
          {"fill_p50", r.ring_fill_p50},
          {"fill_p99", r.ring_fill_p99}}},
        {"failovers", w.failovers},
        {"moved_from_spool", mv.moved},
        {"spooled_remaining", mv.remaining},
        {"interrupted", r.interrupted},
    };
    if (s.indexer) {
      const IndexingCounters ic = s.indexer->counters();
      j["index"] = {{"written", ic.indexes_written},
                    {"bytes", ic.index_bytes},
                    {"segment_bytes", ic.segment_bytes},
                    {"rebuilt_from_file", ic.rebuilt_from_file},
                    {"max_queued", ic.max_queued},
                    {"errors", ic.errors}};
    }
    if (s.stage) j["cutoff"] = ClassesJson(*s.stage);
    if (s.expiry)
      j["expiry"] = {{"segments_expired", ec.segments_expired},
                     {"bytes_freed", ec.bytes_freed},
                     {"errors", ec.errors}};
    if (s.levels) {
      const DerivedLevelsCounters& lc = s.levels->counters();
      j["levels"] = {{"segments", lc.segments},
                     {"packets_in", lc.packets_in},
                     {"packets_out", lc.packets_out},
                     {"packets_dropped", lc.packets_dropped},
                     {"errors", lc.errors}};
    }
    if (!r.fatal.ok()) j["error"] = r.fatal.message();
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::fprintf(stderr,
                 "trove: link %s: %llu packets read, %llu stored in %zu segments "
                 "(drops: kernel %llu, ring %llu, store %llu)\n",
                 s.link.name.c_str(), static_cast<unsigned long long>(r.packets_read),
                 static_cast<unsigned long long>(w.packets_stored), r.segment_ids.size(),
                 static_cast<unsigned long long>(r.kernel_drops),
                 static_cast<unsigned long long>(r.ring_drops),
                 static_cast<unsigned long long>(w.store_drops));
    if (s.stage) {
      for (size_t i = 0; i < s.stage->classes().size(); ++i) {
        const ClassCounters& c = s.stage->counters()[i];
        std::fprintf(stderr,
                     "trove: class %s: %llu packets seen (%llu bytes), %llu stored (%llu bytes), "
                     "%llu past the cutoff, %llu connections\n",
                     s.stage->classes()[i].name.c_str(),
                     static_cast<unsigned long long>(c.packets_seen),
                     static_cast<unsigned long long>(c.bytes_seen),
                     static_cast<unsigned long long>(c.packets_stored),
                     static_cast<unsigned long long>(c.bytes_stored),
                     static_cast<unsigned long long>(c.packets_cut),
                     static_cast<unsigned long long>(c.connections));
      }
      if (s.stage->unmatched().packets_seen)
        std::fprintf(stderr, "trove: %llu packets matched no class (not stored)\n",
                     static_cast<unsigned long long>(s.stage->unmatched().packets_seen));
      if (s.stage->table().counters().evicted_early)
        std::fprintf(stderr, "trove: %llu connections evicted early (connection table full)\n",
                     static_cast<unsigned long long>(s.stage->table().counters().evicted_early));
    }
    if (ec.segments_expired > 0)
      std::fprintf(stderr, "trove: %llu segments expired (budget/retention), %s freed\n",
                   static_cast<unsigned long long>(ec.segments_expired),
                   FormatBytes(static_cast<double>(ec.bytes_freed)).c_str());
    if (mv.remaining > 0)
      std::fprintf(stderr,
                   "trove: %d segments wait in the spool for the primary; run `trove mover`\n",
                   mv.remaining);
  }
  for (const auto& f : r.files)
    if (!f.error.ok()) std::fprintf(stderr, "trove: error: %s\n", f.error.message().c_str());
  if (!r.fatal.ok()) std::fprintf(stderr, "trove: error: %s\n", r.fatal.message().c_str());
  if (w.store_drops > 0)
    LogAlarm(std::to_string(w.store_drops) +
             " packets could not be stored (no space on primary and spool)");
  if (w.catalog_errors > 0) rc = rc ? rc : 1;
  return rc;
}

}  // namespace trove::cli
