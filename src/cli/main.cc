// trove: the command-line entry point. Registers the subcommands and maps
// errors to exit codes (see cli/command.h).

#include <cstdio>
#include <cstdlib>

#include "cli/command.h"
#include "trove/version.h"

namespace trove::cli {

std::string ResolveStoreDir(const GlobalOptions& g) {
  if (!g.store.empty()) return g.store;
  if (const char* e = std::getenv("TROVE_STORE"); e && *e) return e;
  return "./trove-store";
}

}  // namespace trove::cli

int main(int argc, char** argv) {
  using namespace trove::cli;
  CLI::App app{
      "trove: a passive, continuous network-traffic archive.\n"
      "Captures or imports packets into durable, self-describing, catalogued pcapng\n"
      "segments. See docs/CLI.md for a tour."};
  app.set_version_flag("--version", std::string("trove ") + trove::kVersion);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions g;
  app.add_option("--store", g.store,
                 "Store directory (default: $TROVE_STORE, then ./trove-store)");
  RegisterInit(app, g);
  RegisterImport(app, g);
  RegisterCapture(app, g);
  RegisterLs(app, g);
  RegisterInfo(app, g);
  RegisterStats(app, g);
  RegisterFsck(app, g);
  RegisterMover(app, g);
  RegisterGc(app, g);
  RegisterSynth(app, g);
  RegisterAnon(app, g);
  RegisterUnmask(app, g);
  RegisterKeys(app, g);
  RegisterQuery(app, g);
  RegisterFlows(app, g);
  RegisterCtl(app, g);
  RegisterSimulate(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const ExitError& e) {
    if (!e.message.empty()) std::fprintf(stderr, "trove: %s\n", e.message.c_str());
    return e.code;
  }
  return 0;
}
