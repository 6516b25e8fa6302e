#pragma once
// BpfProgram: one pcap-filter expression compiled by libpcap for one link
// type, exactly as `tcpdump -r` compiles it (pcap_compile on a dead handle,
// optimized, netmask unknown), and evaluated with pcap_offline_filter on a
// captured packet. The one BPF seam of trove: storage classes
// (flow/class_matcher.h) and queries (query/query_filter.h) both use it.
//
// An empty expression matches every packet without running BPF. An
// expression libpcap refuses because it can match nothing on this link type
// ("expression rejects all packets", e.g. `ip6` on raw IPv4) compiles to a
// program that matches nothing. Other compile errors: InvalidArgument with
// libpcap's message as tcpdump prints it.
// Move-only; Matches() is const, allocates nothing and is thread-safe.

#include <pcap/pcap.h>

#include <cstdint>
#include <string>

#include "packet/packet.h"
#include "util/status.h"

namespace trove {

class BpfProgram {
 public:
  // `linktype` is a DLT_* value (as in PacketRef::linktype).
  static Result<BpfProgram> Compile(const std::string& expr, int linktype);

  BpfProgram(BpfProgram&&) noexcept;
  BpfProgram& operator=(BpfProgram&&) noexcept;
  ~BpfProgram();

  bool Matches(uint32_t caplen, uint32_t wirelen, const uint8_t* data) const {
    if (kind_ != Kind::kProgram) return kind_ == Kind::kAll;
    pcap_pkthdr h{};
    h.caplen = caplen;
    h.len = wirelen;
    return pcap_offline_filter(&prog_, &h, data) != 0;
  }
  bool Matches(const PacketRef& p) const { return Matches(p.caplen, p.wirelen, p.data); }
  bool match_all() const { return kind_ == Kind::kAll; }
  bool match_none() const { return kind_ == Kind::kNone; }

 private:
  enum class Kind { kAll, kNone, kProgram };
  BpfProgram() = default;
  bpf_program prog_{};
  Kind kind_ = Kind::kAll;
};

}  // namespace trove
