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
  cmd->add_flag("--new-identity", opts->new_identity,
                "On an existing store: give it a new identity (a copy made with cp -a becomes a "
                "store of its own; its areas inside the store directory are re-marked)");
  cmd->add_flag("--adopt-areas", opts->adopt_areas,
                "On an existing store: mark every area in trove.toml as this store's (only if "
                "no other store uses them)");
  cmd->callback([&g, opts] {
    std::string dir = ResolveStoreDir(g);
    if (opts->new_identity || opts->adopt_areas) {
      Status st = opts->new_identity ? Store::NewIdentity(dir) : Store::AdoptAreas(dir);
      if (opts->new_identity && opts->adopt_areas && st.ok()) st = Store::AdoptAreas(dir);
      if (!st.ok()) throw ExitError{1, st.message()};
      auto s = Store::Open(dir);
      if (!s.ok()) throw ExitError{1, s.status().message()};
      std::printf("store at %s: identity %s\n", (*s)->dir().c_str(), (*s)->store_id().c_str());
      Status w = (*s)->CheckWritable();
      if (!w.ok()) std::printf("still read-only: %s\n", w.message().c_str());
      return;
    }
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
