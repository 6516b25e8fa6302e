#include "cli/ingest_command.h"

#include <nlohmann/json.hpp>

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

std::unique_ptr<IngestSession> OpenIngest(const GlobalOptions& g, const IngestCommandOptions& o) {
  IngestRequest req;
  req.link = o.link;
  req.snaplen = o.snaplen;
  if (!o.segment_bytes.empty()) {
    auto b = ParseSize(o.segment_bytes);
    if (!b.ok()) throw ExitError{2, "--segment-bytes: " + b.status().message()};
    req.segment_bytes = *b;
  }
  if (!o.segment_seconds.empty()) {
    auto d = ParseDuration(o.segment_seconds);
    if (!d.ok()) throw ExitError{2, "--segment-seconds: " + d.status().message()};
    req.segment_duration_ns = *d;
  }
  auto s = IngestSession::Open(ResolveStoreDir(g), req);
  if (!s.ok()) {
    // A busy link (another ingest holds its lock) is a runtime failure;
    // a bad store or link name is the caller's.
    const bool busy = s.status().code() == Status::Code::kFailedPrecondition;
    throw ExitError{busy ? 1 : 2, s.status().message()};
  }
  return std::move(s).value();
}

std::unique_ptr<IngestSession> StartIngest(const GlobalOptions& g, const IngestCommandOptions& o,
                                           const std::string& source, const std::string& interface,
                                           const std::string& capture_filter, bool live) {
  auto s = OpenIngest(g, o);
  if (Status st = s->StartWriter(source, interface, capture_filter, live); !st.ok())
    throw ExitError{2, st.message()};
  return s;
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
            {"time_steps", t.time_steps},
            {"max", st.table().max_connections()}}}};
}

}  // namespace

int FinishIngest(IngestSession& s, const IngestResult& r, bool json) {
  const IngestSummary sum = s.Finish(r);
  const MoverReport& mv = sum.mover;
  const ExpiryCounters ec = sum.expiry.value_or(ExpiryCounters{});
  const CutoffStage* stage = s.stage();
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : r.files) {
    nlohmann::json j{{"path", f.path}, {"packets", f.packets}, {"bytes", f.bytes}};
    if (!f.error.ok()) j["error"] = f.error.message();
    files.push_back(j);
  }
  const auto& w = r.writer;
  if (json) {
    nlohmann::json j{
        {"link", s.link().name},
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
        {"files_deferred", r.files_deferred},
    };
    if (sum.index) {
      const IndexingCounters& ic = *sum.index;
      j["index"] = {{"written", ic.indexes_written},
                    {"bytes", ic.index_bytes},
                    {"segment_bytes", ic.segment_bytes},
                    {"rebuilt_from_file", ic.rebuilt_from_file},
                    {"max_queued", ic.max_queued},
                    {"errors", ic.errors}};
    }
    if (stage) j["cutoff"] = ClassesJson(*stage);
    if (sum.expiry)
      j["expiry"] = {{"segments_expired", ec.segments_expired},
                     {"bytes_freed", ec.bytes_freed},
                     {"errors", ec.errors}};
    if (sum.levels) {
      const DerivedLevelsCounters& lc = *sum.levels;
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
                 s.link().name.c_str(), static_cast<unsigned long long>(r.packets_read),
                 static_cast<unsigned long long>(w.packets_stored), r.segment_ids.size(),
                 static_cast<unsigned long long>(r.kernel_drops),
                 static_cast<unsigned long long>(r.ring_drops),
                 static_cast<unsigned long long>(w.store_drops));
    if (stage) {
      for (size_t i = 0; i < stage->classes().size(); ++i) {
        const ClassCounters& c = stage->counters()[i];
        std::fprintf(stderr,
                     "trove: class %s: %llu packets seen (%llu bytes), %llu stored (%llu bytes), "
                     "%llu past the cutoff, %llu connections\n",
                     stage->classes()[i].name.c_str(),
                     static_cast<unsigned long long>(c.packets_seen),
                     static_cast<unsigned long long>(c.bytes_seen),
                     static_cast<unsigned long long>(c.packets_stored),
                     static_cast<unsigned long long>(c.bytes_stored),
                     static_cast<unsigned long long>(c.packets_cut),
                     static_cast<unsigned long long>(c.connections));
      }
      if (stage->unmatched().packets_seen)
        std::fprintf(stderr, "trove: %llu packets matched no class (not stored)\n",
                     static_cast<unsigned long long>(stage->unmatched().packets_seen));
      if (stage->table().counters().time_steps)
        std::fprintf(stderr,
                     "trove: steps back in packet time by more than the largest connection "
                     "timeout: %llu (each started a new epoch of connections)\n",
                     static_cast<unsigned long long>(stage->table().counters().time_steps));
      if (stage->table().counters().evicted_early)
        std::fprintf(stderr, "trove: %llu connections evicted early (connection table full)\n",
                     static_cast<unsigned long long>(stage->table().counters().evicted_early));
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
  if (r.files_deferred > 0)
    LogWarning(std::to_string(r.files_deferred) +
               " files were opened late because more files overlapped in time than may be open "
               "at once; their packets were merged out of time order. Import fewer overlapping "
               "files together");
  for (const auto& f : r.files)
    if (!f.error.ok()) std::fprintf(stderr, "trove: error: %s\n", f.error.message().c_str());
  if (!r.fatal.ok()) std::fprintf(stderr, "trove: error: %s\n", r.fatal.message().c_str());
  if (w.store_drops > 0)
    LogAlarm(std::to_string(w.store_drops) +
             " packets could not be stored (no space on primary and spool)");
  return sum.exit_code;
}

}  // namespace trove::cli
