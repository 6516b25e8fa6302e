#pragma once
// What `trove import` and `trove capture` share in the CLI: the options
// that shape an ingest (link, snaplen, rotation overrides), opening an
// IngestSession (ingest/ingest_session.h) from them, and printing the
// result (text or --json) with the exit code.

#include <memory>
#include <optional>
#include <string>

#include "cli/command.h"
#include "ingest/ingest_session.h"

namespace trove::cli {

struct IngestCommandOptions {
  std::string link = "default";
  std::optional<uint32_t> snaplen;
  std::string segment_bytes;    // override, e.g. "1M"
  std::string segment_seconds;  // override, e.g. "60"
  bool json = false;
};

void AddIngestOptions(CLI::App* cmd, IngestCommandOptions* o);

// Opens the session (IngestSession::Open) for the options. Throws ExitError.
std::unique_ptr<IngestSession> OpenIngest(const GlobalOptions& g, const IngestCommandOptions& o);
// OpenIngest + StartWriter. Throws ExitError.
std::unique_ptr<IngestSession> StartIngest(const GlobalOptions& g, const IngestCommandOptions& o,
                                           const std::string& source, const std::string& interface,
                                           const std::string& capture_filter, bool live);
// Finishes the session, prints the summary and returns the exit code (0 ok,
// 1 pipeline failure, 2 some input was bad).
int FinishIngest(IngestSession& s, const IngestResult& r, bool json);

}  // namespace trove::cli
