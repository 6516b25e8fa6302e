#include "query/bpf_filter.h"

#include <pcap/pcap.h>

namespace trove {

BpfFilter::~BpfFilter() {
  for (auto& [lt, p] : progs_) {
    if (!p) continue;
    pcap_freecode(p);
    delete p;
  }
}

Status BpfFilter::Prepare(uint16_t linktype) {
  if (expr_.empty() || progs_.count(linktype)) return Status::Ok();
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(linktype, 262144, PCAP_TSTAMP_PRECISION_NANO);
  if (!dead)
    return Status::Internal("pcap_open_dead failed for link type " + std::to_string(linktype));
  auto* prog = new bpf_program{};
  if (pcap_compile(dead, prog, expr_.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    std::string err = pcap_geterr(dead);
    pcap_close(dead);
    delete prog;
    // libpcap >= 1.10 refuses a program that can match nothing on this
    // link type (`ip6` on raw IPv4); for a query that means no packet.
    if (err.find("expression rejects all packets") != std::string::npos) {
      progs_[linktype] = nullptr;
      return Status::Ok();
    }
    return Status::InvalidArgument(err);
  }
  pcap_close(dead);
  progs_[linktype] = prog;
  return Status::Ok();
}

bool BpfFilter::Matches(uint16_t linktype, uint32_t caplen, uint32_t wirelen,
                        const uint8_t* data) const {
  if (expr_.empty()) return true;
  auto it = progs_.find(linktype);
  if (it == progs_.end() || it->second == nullptr) return false;
  pcap_pkthdr h{};
  h.caplen = caplen;
  h.len = wirelen;
  return pcap_offline_filter(it->second, &h, data) != 0;
}

}  // namespace trove
