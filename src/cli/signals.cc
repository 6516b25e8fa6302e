#include "cli/signals.h"

#include <csignal>
#include <unistd.h>

namespace trove::cli {
namespace {
std::atomic<bool> g_stop{false};  // the only process-wide flag: set by signals

void OnSignal(int) {
  if (g_stop.exchange(true)) _exit(130);
}
}  // namespace

const std::atomic<bool>& InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return g_stop;
}

}  // namespace trove::cli
