#include "flow/bpf_filter.h"

#include <utility>

namespace trove {

Result<BpfFilter> BpfFilter::Compile(const std::string& expr, int linktype) {
  BpfFilter f;
  if (expr.find_first_not_of(" \t\r\n") == std::string::npos) return f;
  pcap_t* dead = pcap_open_dead(linktype, 262144);
  if (!dead)
    return Status::Internal("pcap_open_dead failed for link type " + std::to_string(linktype));
  if (pcap_compile(dead, &f.prog_, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    std::string msg = pcap_geterr(dead);
    pcap_close(dead);
    return Status::InvalidArgument("libpcap: " + msg);
  }
  pcap_close(dead);
  f.compiled_ = true;
  return f;
}

BpfFilter::BpfFilter(BpfFilter&& o) noexcept : prog_(o.prog_), compiled_(o.compiled_) {
  o.prog_ = bpf_program{};
  o.compiled_ = false;
}

BpfFilter& BpfFilter::operator=(BpfFilter&& o) noexcept {
  if (this != &o) {
    if (compiled_) pcap_freecode(&prog_);
    prog_ = std::exchange(o.prog_, bpf_program{});
    compiled_ = std::exchange(o.compiled_, false);
  }
  return *this;
}

BpfFilter::~BpfFilter() {
  if (compiled_) pcap_freecode(&prog_);
}

bool BpfFilter::Matches(const PacketRef& p) const {
  if (!compiled_) return true;
  pcap_pkthdr h{};
  h.caplen = p.caplen;
  h.len = p.wirelen;
  return pcap_offline_filter(&prog_, &h, p.data) != 0;
}

}  // namespace trove
