// trove capture: live capture with libpcap into segments.

#include "capture/live_source.h"
#include "cli/ingest_command.h"
#include "cli/signals.h"
#include "store/mover_worker.h"
#include "util/log.h"
#include "util/time_util.h"

namespace trove::cli {

void RegisterCapture(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "capture", "Capture live from an interface until SIGINT/SIGTERM or --duration");
  struct Opts {
    IngestCommandOptions ingest;
    std::string interface, filter, duration, buffer_size;
    bool no_promisc = false;
  };
  auto o = std::make_shared<Opts>();
  AddIngestOptions(cmd, &o->ingest);
  cmd->add_option("-i,--interface", o->interface, "Interface (default: the link's)");
  cmd->add_option("--filter", o->filter,
                  "Capture filter, pcap-filter syntax (default: the link's)");
  cmd->add_option("--duration", o->duration, "Stop after this long (e.g. 30, 15m, 2h)");
  cmd->add_option("--buffer-size", o->buffer_size, "Kernel capture buffer (e.g. 64M)");
  cmd->add_flag("--no-promisc", o->no_promisc, "Do not put the interface in promiscuous mode");
  cmd->callback([&g, o] {
    const auto& stop = InstallStopHandlers();
    // Resolve the link first to get its capture settings.
    IngestCommandOptions probe = o->ingest;
    auto s0 = OpenIngest(g, probe);
    LiveOptions lo;
    lo.interface = o->interface.empty() ? s0->link().interface : o->interface;
    lo.snaplen = s0->snaplen();
    lo.promiscuous = s0->link().promiscuous && !o->no_promisc;
    lo.buffer_bytes = s0->link().buffer_bytes;
    if (!o->buffer_size.empty()) {
      auto b = ParseSize(o->buffer_size);
      if (!b.ok()) throw ExitError{2, "--buffer-size: " + b.status().message()};
      lo.buffer_bytes = *b;
    }
    lo.filter = o->filter.empty() ? s0->link().filter : o->filter;
    lo.nanosecond = s0->link().nanosecond;
    int64_t duration = 0;
    if (!o->duration.empty()) {
      auto d = ParseDuration(o->duration);
      if (!d.ok()) throw ExitError{2, "--duration: " + d.status().message()};
      duration = *d;
    }
    auto src = LiveSource::Open(lo);
    if (!src.ok()) throw ExitError{2, src.status().message()};
    if (!(*src)->warning().empty()) LogWarning(s0->store().dir() + ": " + (*src)->warning());
    if (Status st = s0->StartWriter("capture", lo.interface, lo.filter, true); !st.ok())
      throw ExitError{2, st.message()};

    // The mover drains the spool in the background whenever the primary is back.
    auto mover = MoverWorker::Start(s0->store().dir());
    if (!mover.ok()) throw ExitError{1, mover.status().message()};

    IngestOptions io;
    io.snaplen = 0;  // the kernel already cut to the snaplen
    io.ring_bytes = s0->link().ring_bytes;
    io.duration_ns = duration;
    IngestPipeline pipe(io, s0->writer(), s0->link().name);
    s0->Attach(pipe);
    std::fprintf(stderr, "trove: capturing on %s (link %s, snaplen %s, %s timestamps)\n",
                 lo.interface.c_str(), s0->link().name.c_str(),
                 s0->snaplen() ? std::to_string(s0->snaplen()).c_str() : "full",
                 (*src)->nanosecond() ? "ns" : "µs");
    std::fflush(stderr);
    IngestResult r = pipe.RunLive(**src, stop);
    (*mover)->Stop(StopMode::kDrain);
    int rc = FinishIngest(*s0, r, o->ingest.json);
    if (rc != 0) throw ExitError{rc, ""};
  });
}

}  // namespace trove::cli
