#pragma once
// ClassMatcher: picks the storage class of a packet: the class of highest
// precedence whose filter matches (ties: the class defined first), or
// kNoClass. Filters are compiled with libpcap once per link type, the first
// time a packet of that link type is classified; a filter that does not
// compile for a link type (e.g. "ether host" on raw IP) never matches
// there, and a warning naming the class says so once.
// Not thread-safe: owned by the writer thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "packet/bpf_program.h"
#include "flow/connection.h"
#include "packet/packet.h"
#include "flow/class_config.h"

namespace trove {

class ClassMatcher {
 public:
  explicit ClassMatcher(std::vector<ClassConfig> classes);
  // Index into classes() or kNoClass.
  uint8_t Classify(const PacketRef& p);
  const std::vector<ClassConfig>& classes() const { return classes_; }
  // Runtime control: changes a class's cutoff (filters stay compiled).
  void SetCutoff(uint8_t k, bool has_cutoff, uint64_t bytes) {
    classes_[k].has_cutoff = has_cutoff;
    classes_[k].cutoff_bytes = bytes;
  }
  void SetBudget(uint8_t k, uint64_t bytes) { classes_[k].disk_budget = bytes; }
  void SetRetention(uint8_t k, int64_t ns) { classes_[k].retention_ns = ns; }

 private:
  struct Compiled {
    uint16_t linktype;
    std::vector<std::optional<BpfProgram>> filters;  // per class; nullopt = does not compile
  };
  const Compiled& ForLinkType(uint16_t linktype);

  std::vector<ClassConfig> classes_;
  std::vector<uint8_t> order_;  // class indices by precedence, highest first
  std::vector<std::unique_ptr<Compiled>> compiled_;
  const Compiled* last_ = nullptr;
};

}  // namespace trove
