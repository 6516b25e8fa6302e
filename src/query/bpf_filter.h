#pragma once
// BpfFilter: a pcap-filter expression compiled by libpcap (pcap_compile on
// a dead handle, optimised, netmask unknown — as tcpdump -r does) once per
// link type, and applied with pcap_offline_filter. This is what makes a
// query exact: every candidate packet is judged by libpcap itself. An
// empty expression matches everything. Not thread-safe (one per query).

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "util/status.h"

struct bpf_program;

namespace trove {

class BpfFilter {
 public:
  explicit BpfFilter(std::string expr) : expr_(std::move(expr)) {}
  ~BpfFilter();
  BpfFilter(const BpfFilter&) = delete;
  BpfFilter& operator=(const BpfFilter&) = delete;

  // Compiles for a link type (cached). The error is libpcap's message. An
  // expression libpcap finds can match nothing on this link type matches
  // nothing (not an error).
  Status Prepare(uint16_t linktype);
  // Prepare(linktype) must have succeeded.
  bool Matches(uint16_t linktype, uint32_t caplen, uint32_t wirelen, const uint8_t* data) const;
  const std::string& expr() const { return expr_; }

 private:
  std::string expr_;
  std::map<uint16_t, bpf_program*> progs_;
};

}  // namespace trove
