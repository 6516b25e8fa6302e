// trove ctl: runtime control of a running import/capture through its
// control socket (STORE/run/LINK.ctl; flow/control_command.h).
#include "cli/command.h"
#include "flow/control_server.h"
#include "util/fs.h"

namespace trove::cli {

void RegisterCtl(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "ctl",
      "Control a running import/capture: suspend|resume PROTO ADDR PORT ADDR PORT; "
      "class ADDR CLASS SECONDS; cutoff CLASS BYTES|none; budget CLASS BYTES|none; "
      "retention CLASS DURATION|none; show; stats (the live counters as one JSON line)");
  struct Opts {
    std::string link = "default";
    std::vector<std::string> words;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--link", o->link, "Link whose ingest to control (default: default)");
  cmd->add_option("command", o->words, "The command and its arguments")->required();
  cmd->callback([&g, o] {
    std::string line;
    for (const auto& w : o->words) line += (line.empty() ? "" : " ") + w;
    const std::string path = JoinPath(JoinPath(ResolveStoreDir(g), "run"), o->link + ".ctl");
    auto r = SendControlCommand(path, line);
    if (!r.ok()) throw ExitError{1, r.status().message()};
    std::printf("%s\n", r->c_str());
    if (r->rfind("ok", 0) != 0) throw ExitError{2, ""};
  });
}

}  // namespace trove::cli
