#pragma once
// ProbeSlot: the slot of the open-addressing indexes trove keeps beside a
// pool of records (ConnectionTable, SegmentIndexBuilder): linear probing
// over a power-of-two array of 8-byte slots holding the record's pool index
// and the low 32 bits of its key's hash, so a probe compares tags before it
// touches a record, and the array can grow without rehashing the keys
// (home = tag & mask).

#include <cstdint>
#include <vector>

namespace trove {

struct ProbeSlot {
  static constexpr uint32_t kNil = 0xffffffffu;  // an empty slot's idx
  uint32_t idx = kNil;
  uint32_t tag = 0;
};

// Replaces *slots by an array of `n` slots (a power of two, larger than the
// occupied count) holding the same entries at their new probe positions.
inline void ResizeProbeSlots(std::vector<ProbeSlot>* slots, uint64_t n) {
  std::vector<ProbeSlot> old(n);
  old.swap(*slots);
  const uint64_t mask = n - 1;
  for (const ProbeSlot& s : old) {
    if (s.idx == ProbeSlot::kNil) continue;
    uint64_t pos = s.tag & mask;
    while ((*slots)[pos].idx != ProbeSlot::kNil) pos = (pos + 1) & mask;
    (*slots)[pos] = s;
  }
}

}  // namespace trove
