#pragma once
// SIGINT/SIGTERM handling for long-running commands: the first signal sets
// the stop flag (the pipeline finishes the open segment cleanly); a second
// one exits at once (the partial file is salvaged by the next start/fsck).

#include <atomic>

namespace trove::cli {

const std::atomic<bool>& InstallStopHandlers();

}  // namespace trove::cli
