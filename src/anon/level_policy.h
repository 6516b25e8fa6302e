#pragma once
// Privacy levels and what each one does to a packet. A LevelPolicy is plain
// data; PacketTransform (packet_transform.h) carries it out.
//
//   L0 raw        the packet as captured.
//   L1 scrubbed   headers only: the link header, the IP header(s) and the
//                 transport header are kept, everything after them is cut
//                 (see packet_transform.h for exactly what "header" means per
//                 protocol). TCP options: kept by default.
//   L2 scrambled  L1, plus every IPv4/IPv6 address replaced by its
//                 prefix-preserving pseudonym and every MAC address by its
//                 keyed pseudonym. TCP options: normalized by default.
//
// TCP options (TcpOptions), for the option area of every TCP header kept:
//   kKeep       copied byte for byte, including anything after an EOL.
//               This keeps timestamps (host clock), MPTCP keys, TCP Fast
//               Open cookies and MD5/AO signatures: secrets, not headers.
//   kNormalize  only MSS (kind 2, length 4), window scale (3, 3) and
//               SACK-permitted (4, 2) are kept, with NOP (1) and EOL (0).
//               Every other option's bytes, and everything from a malformed
//               option (length < 2 or past the area) on, are overwritten with
//               NOP (0x01); bytes after an EOL are set to 0.
//   kStrip      the whole option area is overwritten with NOP (0x01).
// Dropped options are overwritten in place, never removed: the data offset,
// the header length and every later offset stay as captured, so checksums
// can be updated incrementally and no length field needs rewriting. The
// price is that the length of the dropped options stays visible (e.g. ten
// NOPs where timestamps were).

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace trove::anon {

enum class PrivacyLevel : uint8_t { kRaw = 0, kScrubbed = 1, kScrambled = 2 };

enum class TcpOptions : uint8_t { kKeep = 0, kNormalize, kStrip };

struct LevelPolicy {
  PrivacyLevel level = PrivacyLevel::kRaw;
  bool scrub_payload = false;  // cut everything after the headers
  TcpOptions tcp_options = TcpOptions::kKeep;
  bool scramble_addresses = false;  // IPv4/IPv6 pseudonyms (needs a mapper)
  bool scramble_macs = false;       // MAC pseudonyms (needs a mapper)

  bool needs_mapper() const { return scramble_addresses || scramble_macs; }
  // True when the transform is a plain copy (L0 with default options).
  bool is_identity() const {
    return !scrub_payload && !needs_mapper() && tcp_options == TcpOptions::kKeep;
  }
};

// The default policy of a level (see the table above).
LevelPolicy PolicyForLevel(PrivacyLevel level);

// "raw" / "scrubbed" / "scrambled"; also "L0" / "L1" / "L2" and "0" / "1" /
// "2" on input. The error names the accepted spellings.
Result<PrivacyLevel> ParsePrivacyLevel(std::string_view s);
const char* ToString(PrivacyLevel level);

// "keep" / "normalize" / "strip".
Result<TcpOptions> ParseTcpOptions(std::string_view s);
const char* ToString(TcpOptions t);

// One line for logs and --json: "scrambled (payload cut, tcp options
// normalize, addresses scrambled, macs scrambled)".
std::string Describe(const LevelPolicy& p);

}  // namespace trove::anon
