// trove flows: connection records from the segment indexes (placeholder, filled below).
#include "cli/command.h"
namespace trove::cli {
void RegisterFlows(CLI::App&, GlobalOptions&) {}
}  // namespace trove::cli
