// trove unmask: an owner's view of its own address space in a scrambled
// level (levels/unmask.h); a pseudonym outside the owner's prefixes gets
// "not in owner NAME's prefixes" (exit 3) and nothing else.
//
// trove keys derive (hidden, for tests and administrators holding the
// master key): writes one derived 32-byte key (raw bytes, mode 0600) so
// third-party tools (traceanon -f) can reproduce a level's mapping.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "anon/key_file.h"
#include "anon/key_schedule.h"
#include "cli/output.h"
#include "cli/store_access.h"
#include "levels/unmask.h"
#include "util/time_util.h"

namespace trove::cli {

void RegisterUnmask(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "unmask", "Show the original of pseudonyms inside an owner's registered prefixes");
  struct Opts {
    std::string owner, level = "scrambled", epoch, at;
    std::vector<std::string> pseudonyms;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--owner", o->owner, "Owner name ([[owner]] in trove.toml)")->required();
  cmd->add_option("--level", o->level, "Scrambled level (default: scrambled)");
  auto* ep = cmd->add_option("--epoch", o->epoch, "IP key epoch, e.g. 2026 (default: all)");
  cmd->add_option("--at", o->at, "A time inside the epoch (RFC 3339 or relative)")->excludes(ep);
  cmd->add_option("pseudonym", o->pseudonyms, "Pseudonymous IPv4/IPv6 addresses")->required();
  cmd->add_flag("--json", o->json, "JSON array on stdout");
  cmd->callback([&g, o] {
    auto store = OpenStoreOrThrow(g);
    UnmaskRequest req;
    req.owner = o->owner;
    req.level = o->level;
    req.epoch = o->epoch;
    req.pseudonyms = o->pseudonyms;
    if (!o->at.empty()) {
      auto t = ParseTime(o->at, WallClockNs());
      if (!t.ok()) throw ExitError{2, "--at: " + t.status().message()};
      req.at_ns = *t;
    }
    auto answers = Unmask(*store, req);
    if (!answers.ok())
      throw ExitError{answers.status().code() == Status::Code::kInvalidArgument ? 2 : 1,
                      answers.status().message()};
    int rc = 0;
    nlohmann::json arr = nlohmann::json::array();
    for (const UnmaskAnswer& a : *answers) {
      if (!a.found) {
        rc = 3;
        if (o->json)
          arr.push_back({{"pseudonym", a.pseudonym}, {"error", a.refusal}});
        else
          std::printf("%s: %s\n", a.pseudonym.c_str(), a.refusal.c_str());
        continue;
      }
      if (o->json)
        arr.push_back({{"pseudonym", a.pseudonym}, {"original", a.original}, {"epoch", a.epoch}});
      else
        std::printf("%s -> %s (epoch %s)\n", a.pseudonym.c_str(), a.original.c_str(),
                    a.epoch.c_str());
    }
    if (o->json) PrintJson(arr);
    if (rc) throw ExitError{rc, ""};
  });
}

void RegisterKeys(CLI::App& app, GlobalOptions& g) {
  auto* keys =
      app.add_subcommand("keys", "Administration of the store's keys (master key holders)");
  keys->group("");  // hidden: an admin and test tool
  keys->require_subcommand(1);
  auto* cmd = keys->add_subcommand(
      "derive", "Write one derived key (raw 32 bytes, mode 0600), e.g. for traceanon -f");
  struct Opts {
    std::string purpose = "ip", level, epoch, out;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--purpose", o->purpose, "ip | mac | reverse (default: ip)");
  cmd->add_option("--level", o->level, "Level name")->required();
  cmd->add_option("--epoch", o->epoch, "Epoch name, e.g. 2026")->required();
  cmd->add_option("--out", o->out, "New file (must not exist)")->required();
  cmd->callback([&g, o] {
    auto store = OpenStoreOrThrow(g);
    // Refuses a master key file readable by others (key_file.h).
    auto master = LoadMasterSecretFile(store->master_key_path());
    if (!master.ok()) throw ExitError{1, master.status().message()};
    auto k = DeriveKey(master->span(), o->purpose, o->level, o->epoch);
    if (!k.ok()) throw ExitError{2, k.status().message()};
    int fd = ::open(o->out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw ExitError{1, "creating " + o->out + ": " + std::strerror(errno)};
    ssize_t n = ::write(fd, k->data(), k->size());
    bool ok = n == static_cast<ssize_t>(k->size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) throw ExitError{1, "writing " + o->out + " failed"};
  });
}

}  // namespace trove::cli
