#pragma once
// QueryFilter: a query's pcap-filter expression, compiled (BpfProgram) once
// per link type it meets. This is what makes a query exact: every candidate
// packet is judged by libpcap itself. An empty expression matches
// everything. Not thread-safe (one per query).

#include <cstdint>
#include <map>
#include <string>

#include "packet/bpf_program.h"
#include "util/status.h"

namespace trove {

class QueryFilter {
 public:
  explicit QueryFilter(std::string expr) : expr_(std::move(expr)) {}

  // Compiles for a link type (cached). The error is libpcap's message.
  Status Prepare(uint16_t linktype);
  // Prepare(linktype) must have succeeded.
  bool Matches(uint16_t linktype, uint32_t caplen, uint32_t wirelen, const uint8_t* data) const {
    auto it = progs_.find(linktype);
    return it != progs_.end() && it->second.Matches(caplen, wirelen, data);
  }
  const std::string& expr() const { return expr_; }

 private:
  std::string expr_;
  std::map<uint16_t, BpfProgram> progs_;
};

}  // namespace trove
