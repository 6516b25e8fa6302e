#pragma once
// Opening the store for read-mostly commands, and the --since/--until/--link
// filter they share.

#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "cli/command.h"
#include "query/conn_log.h"
#include "store/store.h"

namespace trove::cli {

std::unique_ptr<Store> OpenStoreOrThrow(const GlobalOptions& g);

struct RangeOptions {
  std::string link, since, until, level;  // level: "" = raw, "any" = every level
  std::optional<std::string> klass;       // storage class ("" = class-less rows)
};
void AddRangeOptions(CLI::App* cmd, RangeOptions* o);
SegmentQuery MakeQuery(const RangeOptions& o);  // throws ExitError{2} on bad times

// The connection rows of the stored raw segments of the range (`trove
// flows`, `trove simulate` without files); throws ExitError.
std::vector<ConnLogEntry> CollectFlowsOrThrow(const GlobalOptions& g, const RangeOptions& o);

}  // namespace trove::cli
