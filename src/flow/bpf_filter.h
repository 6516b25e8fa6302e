#pragma once
// BpfFilter: one pcap-filter expression compiled by libpcap for one link
// type (pcap_compile on a pcap_open_dead handle, optimized, netmask
// unknown) and evaluated with pcap_offline_filter on a captured packet.
// An empty expression matches every packet without running BPF.
// Compile errors carry libpcap's message. Move-only; Matches() is const
// and does not allocate.

#include <pcap/pcap.h>

#include <memory>
#include <string>

#include "packet/packet.h"
#include "util/status.h"

namespace trove {

class BpfFilter {
 public:
  // `linktype` is a DLT_* value (as in PacketRef::linktype).
  static Result<BpfFilter> Compile(const std::string& expr, int linktype);

  BpfFilter(BpfFilter&&) noexcept;
  BpfFilter& operator=(BpfFilter&&) noexcept;
  ~BpfFilter();

  bool Matches(const PacketRef& p) const;
  bool match_all() const { return !compiled_; }

 private:
  BpfFilter() = default;
  bpf_program prog_{};
  bool compiled_ = false;
};

}  // namespace trove
