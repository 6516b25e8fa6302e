#include "util/log.h"

#include <atomic>
#include <cstdio>

namespace trove {
namespace {
std::atomic<bool> g_quiet{false};  // process-wide verbosity, set once by the CLI
}

void SetLogQuiet(bool quiet) { g_quiet = quiet; }

void LogInfo(const std::string& msg) {
  if (!g_quiet) std::fprintf(stderr, "trove: %s\n", msg.c_str());
}
void LogWarning(const std::string& msg) { std::fprintf(stderr, "trove: warning: %s\n", msg.c_str()); }
void LogAlarm(const std::string& msg) { std::fprintf(stderr, "trove: ALARM: %s\n", msg.c_str()); }

}  // namespace trove
