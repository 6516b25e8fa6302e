// trove init: create a store.
#include "cli/command.h"
#include "store/store.h"

namespace trove::cli {

void RegisterInit(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("init", "Create a store (config, catalogue, primary path, spool)");
  auto opts = std::make_shared<InitOptions>();
  cmd->add_option("--primary", opts->primary,
                  "Primary segment path, e.g. a network mount (default: STORE/segments)");
  cmd->add_option("--spool", opts->spool, "Local fallback spool (default: STORE/spool)");
  cmd->add_option("--cutoff", opts->cutoff,
                  "Per-connection cutoff of the default class in bytes, or none "
                  "(default: 20480)");
  cmd->callback([&g, opts] {
    std::string dir = ResolveStoreDir(g);
    Status st = Store::Init(dir, *opts);
    if (!st.ok())
      throw ExitError{
          st.code() == Status::Code::kAlreadyExists || st.code() == Status::Code::kInvalidArgument
              ? 2
              : 1,
          st.message()};
    std::printf("created trove store at %s\n", AbsolutePath(dir).c_str());
  });
}

}  // namespace trove::cli
