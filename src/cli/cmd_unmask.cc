// trove unmask: an owner's view of its own address space in a scrambled
// level. Answers only from the encrypted reverse map (levels/reverse_map.h),
// which holds nothing but addresses inside registered owner prefixes, and
// only for pseudonyms whose original lies inside the named owner's prefixes;
// for any other pseudonym it says "not in owner NAME's prefixes" (exit 3)
// and nothing else.
//
// trove keys derive (hidden, for tests and administrators holding the
// master key): writes one derived 32-byte key (raw bytes, mode 0600) so
// third-party tools (traceanon -f) can reproduce a level's mapping.

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "anon/key_file.h"
#include "anon/key_schedule.h"
#include "cli/output.h"
#include "cli/store_access.h"
#include "packet/ip_prefix.h"
#include "levels/reverse_map.h"
#include "util/time_util.h"

namespace trove::cli {
namespace {

std::vector<std::string> EpochsOnDisk(const std::string& dir, const std::string& level) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  const std::string pre = level + "-", suf = ".map";
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > pre.size() + suf.size() && n.rfind(pre, 0) == 0 &&
        n.compare(n.size() - suf.size(), suf.size(), suf) == 0)
      out.push_back(n.substr(pre.size(), n.size() - pre.size() - suf.size()));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

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
    const StoreConfig& cfg = store->config();
    const OwnerConfig* owner = cfg.FindOwner(o->owner);
    if (!owner) throw ExitError{2, "no owner named '" + o->owner + "' in trove.toml"};
    const LevelConfig* level = cfg.FindLevel(o->level);
    if (!level) throw ExitError{2, "no level named '" + o->level + "' in trove.toml"};
    std::vector<IpPrefix> prefixes;
    for (const auto& s : owner->prefixes) {
      auto p = ParseIpPrefix(s);
      if (!p.ok()) throw ExitError{2, p.status().message()};
      prefixes.push_back(*p);
    }
    std::vector<std::string> epochs;
    if (!o->epoch.empty()) {
      epochs.push_back(o->epoch);
    } else if (!o->at.empty()) {
      auto t = ParseTime(o->at, WallClockNs());
      if (!t.ok()) throw ExitError{2, "--at: " + t.status().message()};
      auto period = ParseEpochPeriod(level->ip_epoch);
      if (!period.ok()) throw ExitError{2, period.status().message()};
      epochs.push_back(EpochOf(*period, *t).name);
    } else {
      epochs = EpochsOnDisk(store->reverse_map_dir(), level->name);
    }
    auto master = LoadMasterSecretFile(store->master_key_path());
    if (!master.ok()) throw ExitError{1, master.status().message()};
    struct Hit {
      std::string original, epoch;
    };
    std::map<std::pair<int, std::array<uint8_t, 16>>, Hit> found;
    for (const auto& e : epochs) {
      auto entries = ReadReverseMap(ReverseMapPath(store->reverse_map_dir(), level->name, e),
                                    master->span(), level->name, e);
      if (!entries.ok()) throw ExitError{1, entries.status().message()};
      for (const auto& r : *entries) {
        bool mine = false;
        for (const auto& p : prefixes) mine = mine || p.Contains(r.family, r.original.data());
        if (mine)
          found.emplace(std::make_pair(r.family, r.pseudonym),
                        Hit{FormatIpAddress(r.family, r.original.data()), e});
      }
    }
    int rc = 0;
    nlohmann::json arr = nlohmann::json::array();
    const std::string refusal = "not in owner " + owner->name + "'s prefixes";
    for (const auto& text : o->pseudonyms) {
      int fam = 0;
      std::array<uint8_t, 16> a{};
      if (!ParseIpAddress(text, &fam, a.data()))
        throw ExitError{2, "'" + text + "' is not an IPv4 or IPv6 address"};
      auto it = found.find({fam, a});
      if (it == found.end()) {
        rc = 3;
        if (o->json)
          arr.push_back({{"pseudonym", text}, {"error", refusal}});
        else
          std::printf("%s: %s\n", text.c_str(), refusal.c_str());
        continue;
      }
      if (o->json)
        arr.push_back(
            {{"pseudonym", text}, {"original", it->second.original}, {"epoch", it->second.epoch}});
      else
        std::printf("%s -> %s (epoch %s)\n", text.c_str(), it->second.original.c_str(),
                    it->second.epoch.c_str());
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
