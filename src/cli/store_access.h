#pragma once
// Opening the store for read-mostly commands, and the --since/--until/--link
// filter they share.

#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "cli/command.h"
#include "store/store.h"

namespace trove::cli {

std::unique_ptr<Store> OpenStoreOrThrow(const GlobalOptions& g);

struct RangeOptions {
  std::string link, since, until, level;  // level: "" = raw, "any" = every level
};
void AddRangeOptions(CLI::App* cmd, RangeOptions* o);
SegmentQuery MakeQuery(const RangeOptions& o);  // throws ExitError{2} on bad times

}  // namespace trove::cli
