// trove import: ingest trace files through the capture pipeline.
#include "cli/ingest_command.h"
#include "cli/signals.h"
#include "util/time_util.h"

namespace trove::cli {

void RegisterImport(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "import", "Ingest pcap/pcapng traces (format by magic number) keeping their timestamps, merged by "
      "timestamp");
  struct Opts {
    IngestCommandOptions ingest;
    std::vector<std::string> files;
    double replay_speed = 0;
    size_t max_open_files = 64;
  };
  auto o = std::make_shared<Opts>();
  AddIngestOptions(cmd, &o->ingest);
  cmd->add_option("--replay-speed", o->replay_speed,
                  "Replay at X times real time (default: as fast as possible)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-open-files", o->max_open_files,
                  "Files read at once while merging by timestamp (default 64); more files that "
                  "overlap in time are opened late, out of time order")
      ->check(CLI::PositiveNumber);
  cmd->add_option("files", o->files, "Trace files (pcap or pcapng)")->required();
  cmd->callback([&g, o] {
    const auto& stop = InstallStopHandlers();
    auto s = StartIngest(g, o->ingest, "import", "import", "", /*live=*/false);
    IngestOptions io;
    io.snaplen = s->snaplen();
    io.replay_speed = o->replay_speed;
    io.ring_bytes = s->link().ring_bytes;
    IngestPipeline pipe(io, s->writer(), s->link().name);
    pipe.SetMaxOpenFiles(o->max_open_files);
    s->Attach(pipe);
    Progress progress("importing", 0);  // RunFiles sets the total
    const int64_t t0 = MonotonicNs();
    IngestResult r = pipe.RunFiles(o->files, stop, &progress);
    const double secs = std::max(1e-9, static_cast<double>(MonotonicNs() - t0) / 1e9);
    int rc = FinishIngest(*s, r, o->ingest.json);
    if (!o->ingest.json) {
      // The line to read last: what this run did, and how fast.
      size_t ok_files = 0;
      uint64_t bytes = 0;
      for (const auto& f : r.files) {
        ok_files += f.error.ok() ? 1 : 0;
        bytes += f.bytes;
      }
      std::fprintf(stderr,
                   "trove: imported %zu of %zu file%s: %llu packets, %s in %zu segment%s, "
                   "%.2f s (%s/s, %s)\n",
                   ok_files, r.files.size(), r.files.size() == 1 ? "" : "s",
                   static_cast<unsigned long long>(r.packets_read),
                   FormatBytes(static_cast<double>(bytes)).c_str(), r.segment_ids.size(),
                   r.segment_ids.size() == 1 ? "" : "s", secs,
                   FormatBytes(static_cast<double>(bytes) / secs).c_str(),
                   FormatSi(static_cast<double>(r.packets_read) / secs, "pps").c_str());
    }
    if (rc != 0) throw ExitError{rc, ""};
  });
}

}  // namespace trove::cli
