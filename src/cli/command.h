#pragma once
// CLI plumbing shared by the subcommands. Each cmd_*.cc defines one
// Register*() that adds its subcommand to the app and binds a callback.
// Subcommands are thin: parse arguments, call the core library, format
// output (human text, or JSON with --json). Exit codes: 0 ok, 1 runtime
// failure, 2 usage error / bad input the user must fix, 3 store found
// inconsistent (fsck).

#include <CLI/CLI.hpp>
#include <string>

namespace trove::cli {

struct GlobalOptions {
  std::string store;   // --store; resolved by ResolveStoreDir()
  bool json = false;   // not global: each command binds its own --json
};

// --store, else $TROVE_STORE, else ./trove-store.
std::string ResolveStoreDir(const GlobalOptions& g);

// Thrown by a command callback to end with an exit code after printing msg
// to stderr (CLI11 turns it into the process exit status in main).
struct ExitError {
  int code;
  std::string message;
};

void RegisterInit(CLI::App& app, GlobalOptions& g);
void RegisterImport(CLI::App& app, GlobalOptions& g);
void RegisterCapture(CLI::App& app, GlobalOptions& g);
void RegisterLs(CLI::App& app, GlobalOptions& g);
void RegisterInfo(CLI::App& app, GlobalOptions& g);
void RegisterStats(CLI::App& app, GlobalOptions& g);
void RegisterFsck(CLI::App& app, GlobalOptions& g);
void RegisterMover(CLI::App& app, GlobalOptions& g);
void RegisterSynth(CLI::App& app, GlobalOptions& g);
void RegisterAnon(CLI::App& app, GlobalOptions& g);
void RegisterUnmask(CLI::App& app, GlobalOptions& g);
void RegisterKeys(CLI::App& app, GlobalOptions& g);
void RegisterQuery(CLI::App& app, GlobalOptions& g);
void RegisterFlows(CLI::App& app, GlobalOptions& g);
void RegisterCtl(CLI::App& app, GlobalOptions& g);
void RegisterSimulate(CLI::App& app, GlobalOptions& g);
void RegisterGc(CLI::App& app, GlobalOptions& g);

}  // namespace trove::cli
