#include "levels/unmask.h"

#include <dirent.h>

#include <algorithm>
#include <array>
#include <map>

#include "anon/key_file.h"
#include "anon/key_schedule.h"
#include "levels/reverse_map.h"
#include "packet/ip_prefix.h"

namespace trove {
namespace {

// The epochs of `level` that have a reverse map in `dir`, sorted.
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

Result<std::vector<UnmaskAnswer>> Unmask(Store& store, const UnmaskRequest& req) {
  const StoreConfig& cfg = store.config();
  const OwnerConfig* owner = cfg.FindOwner(req.owner);
  if (!owner) return Status::InvalidArgument("no owner named '" + req.owner + "' in trove.toml");
  const LevelConfig* level = cfg.FindLevel(req.level);
  if (!level) return Status::InvalidArgument("no level named '" + req.level + "' in trove.toml");
  std::vector<IpPrefix> prefixes;
  for (const auto& s : owner->prefixes) {
    TROVE_ASSIGN_OR_RETURN(IpPrefix p, ParseIpPrefix(s));
    prefixes.push_back(p);
  }
  std::vector<std::string> epochs;
  if (!req.epoch.empty()) {
    epochs.push_back(req.epoch);
  } else if (req.at_ns != 0) {
    TROVE_ASSIGN_OR_RETURN(EpochPeriod period, ParseEpochPeriod(level->ip_epoch));
    epochs.push_back(EpochOf(period, req.at_ns).name);
  } else {
    epochs = EpochsOnDisk(store.reverse_map_dir(), level->name);
  }
  // Parse every pseudonym before reading a key.
  std::vector<std::pair<int, std::array<uint8_t, 16>>> asked;
  for (const auto& text : req.pseudonyms) {
    int fam = 0;
    std::array<uint8_t, 16> a{};
    if (!ParseIpAddress(text, &fam, a.data()))
      return Status::InvalidArgument("'" + text + "' is not an IPv4 or IPv6 address");
    asked.emplace_back(fam, a);
  }
  TROVE_ASSIGN_OR_RETURN(auto master, LoadMasterSecretFile(store.master_key_path()));
  struct Hit {
    std::string original, epoch;
  };
  std::map<std::pair<int, std::array<uint8_t, 16>>, Hit> found;
  for (const auto& e : epochs) {
    TROVE_ASSIGN_OR_RETURN(
        auto entries, ReadReverseMap(ReverseMapPath(store.reverse_map_dir(), level->name, e),
                                     master.span(), level->name, e));
    for (const auto& r : entries) {
      bool mine = false;
      for (const auto& p : prefixes) mine = mine || p.Contains(r.family, r.original.data());
      if (mine)
        found.emplace(std::make_pair(r.family, r.pseudonym),
                      Hit{FormatIpAddress(r.family, r.original.data()), e});
    }
  }
  std::vector<UnmaskAnswer> out;
  for (size_t i = 0; i < asked.size(); ++i) {
    UnmaskAnswer a;
    a.pseudonym = req.pseudonyms[i];
    auto it = found.find(asked[i]);
    if (it == found.end()) {
      a.refusal = "not in owner " + owner->name + "'s prefixes";
    } else {
      a.found = true;
      a.original = it->second.original;
      a.epoch = it->second.epoch;
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace trove
