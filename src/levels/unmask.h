#pragma once
// Unmask: an owner's view of its own address space in a scrambled level
// (`trove unmask`; the daemon's authorised unmask next). Answers only from
// the encrypted reverse maps (levels/reverse_map.h), which hold nothing but
// addresses inside registered owner prefixes, and only for pseudonyms whose
// original lies inside the named owner's prefixes; any other pseudonym gets
// the refusal "not in owner NAME's prefixes" and nothing else (not whether
// it is known, not in which epoch). Reads the master key. Blocks on file
// I/O; thread-compatible (no shared state).

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"

namespace trove {

struct UnmaskRequest {
  std::string owner;               // an [[owner]] of trove.toml
  std::string level = "scrambled";
  std::string epoch;               // an IP key epoch ("2026"); "" = see at_ns
  int64_t at_ns = 0;               // with epoch "": the epoch holding this time; 0 = every epoch
  std::vector<std::string> pseudonyms;  // IPv4/IPv6 addresses in text
};

struct UnmaskAnswer {
  std::string pseudonym;  // as asked
  bool found = false;
  std::string original;   // found: the original address
  std::string epoch;      // found: the epoch it was recorded in
  std::string refusal;    // !found: "not in owner NAME's prefixes"
};

// InvalidArgument: an unknown owner or level, a bad prefix in the
// configuration, a pseudonym that is no address. Other errors: the master
// key or a reverse map cannot be read (a tampered map is Corruption).
Result<std::vector<UnmaskAnswer>> Unmask(Store& store, const UnmaskRequest& req);

}  // namespace trove
