#pragma once
// StatsAccumulator: per-segment accounting (packets, bytes, time range,
// protocol mix, distinct flows) from the one decoded view of each packet.
// The writer feeds it while appending; ScanSegment() feeds it from a file,
// so both report identical numbers. Not thread-safe.

#include <cstdint>
#include <vector>

#include "packet/decoded.h"
#include "packet/packet.h"
#include "catalog/segment_stats.h"

namespace trove {

// Counts distinct 64-bit flow hashes (open addressing, linear probing).
// Reset() keeps the allocation so steady-state rotation does not allocate.
class DistinctCounter {
 public:
  DistinctCounter();
  void Insert(uint64_t h);
  uint64_t size() const { return size_; }
  void Reset();

 private:
  void Grow();
  std::vector<uint64_t> slots_;  // 0 = empty (hash 0 is remapped to 1)
  uint64_t size_ = 0;
};

class StatsAccumulator {
 public:
  void Reset();
  // p.caplen is the number of bytes stored for the packet.
  void Add(const PacketRef& p, const DecodedPacket& d);
  // Snapshot with `flows` filled in.
  SegmentStats stats() const;
  uint64_t packets() const { return s_.packets; }

 private:
  SegmentStats s_;
  DistinctCounter flows_;
};

}  // namespace trove
