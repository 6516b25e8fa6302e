#pragma once
// FilterExpr: the part of pcap-filter syntax the index can plan with —
// host/net/port with src/dst qualifiers, the protocols ip, ip6, tcp, udp,
// icmp, icmp6, `vlan [id]`, `mpls [label]`, and/or/not (also &&, ||, !)
// and parentheses. As in libpcap,
// `not` binds tightest and `and`/`or` have equal precedence, associating
// left to right; a bare value after and/or repeats the previous qualifiers
// (`host a or b`), and `tcp port 80` means `tcp and port 80`.
//
// As in libpcap, every `vlan` moves what follows it in the text (whatever
// the and/or/parentheses) 4 bytes further into the packet, and so does
// every `mpls`: each primitive records how many of each precede it
// (vlans_before, mpls_before), which is the tag stack it reads past.
//
// ParseIndexableFilter returns nullopt (with the reason) for anything
// outside this subset — names, port ranges, `len`, byte tests, masks — and
// the planner then scans. It is used for planning only: libpcap's compiled
// program decides every packet, so a conservative parse is always safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trove {

struct FilterExpr {
  enum class Op { kAnd, kOr, kNot, kHost, kNet, kPort, kProto, kVlan, kMpls };
  enum class Dir { kAny, kSrc, kDst, kSrcAndDst };
  // kProto values besides IP protocol numbers:
  static constexpr int kProtoIp = -4, kProtoIp6 = -6;

  Op op = Op::kAnd;
  Dir dir = Dir::kAny;
  uint8_t ip_version = 0;  // kHost/kNet: 4 or 6
  uint8_t addr[16] = {};   // v4-mapped for IPv4 (as FlowKey)
  int prefix_bits = 128;   // kNet: within the family (0..32 or 0..128)
  uint16_t port = 0;       // kPort
  int proto = 0;           // kProto: 6, 17, 1 (icmp, IPv4), 58 (icmp6, IPv6), kProtoIp, kProtoIp6
  bool has_tag_id = false;  // kVlan / kMpls: an id / label was given
  uint32_t tag_id = 0;
  // Primitives: `vlan` and `mpls` keywords before this one in the text.
  uint8_t vlans_before = 0;
  uint8_t mpls_before = 0;
  std::vector<FilterExpr> kids;

  std::string ToString() const;
};

std::optional<FilterExpr> ParseIndexableFilter(std::string_view text, std::string* why_not);

}  // namespace trove
