#include "packet/bpf_program.h"

#include <utility>

namespace trove {

Result<BpfProgram> BpfProgram::Compile(const std::string& expr, int linktype) {
  BpfProgram f;
  if (expr.find_first_not_of(" \t\r\n") == std::string::npos) return f;
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(linktype, 262144, PCAP_TSTAMP_PRECISION_NANO);
  if (!dead)
    return Status::Internal("pcap_open_dead failed for link type " + std::to_string(linktype));
  if (pcap_compile(dead, &f.prog_, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    std::string msg = pcap_geterr(dead);
    pcap_close(dead);
    // libpcap >= 1.10 refuses a program that can match nothing on this link
    // type; for trove that is a filter no packet of it passes.
    if (msg.find("expression rejects all packets") != std::string::npos) {
      f.kind_ = Kind::kNone;
      return f;
    }
    return Status::InvalidArgument(msg);
  }
  pcap_close(dead);
  f.kind_ = Kind::kProgram;
  return f;
}

BpfProgram::BpfProgram(BpfProgram&& o) noexcept
    : prog_(std::exchange(o.prog_, bpf_program{})), kind_(std::exchange(o.kind_, Kind::kAll)) {}

BpfProgram& BpfProgram::operator=(BpfProgram&& o) noexcept {
  if (this != &o) {
    if (kind_ == Kind::kProgram) pcap_freecode(&prog_);
    prog_ = std::exchange(o.prog_, bpf_program{});
    kind_ = std::exchange(o.kind_, Kind::kAll);
  }
  return *this;
}

BpfProgram::~BpfProgram() {
  if (kind_ == Kind::kProgram) pcap_freecode(&prog_);
}

}  // namespace trove
