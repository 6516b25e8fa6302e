#pragma once
// ClassCounters: what the cutoff stage accounts per storage class.
// Byte counts are captured bytes (after the link's/--snaplen cut, which the
// capture thread applies before the stage). Identity, always:
//   bytes_seen = bytes_stored + bytes_cut + bytes_snapped
//   packets_seen = packets_stored + packets_dropped
// Plain data.

#include <cstdint>

namespace trove {

struct ClassCounters {
  uint64_t packets_seen = 0;
  uint64_t bytes_seen = 0;
  uint64_t packets_stored = 0;   // handed to the segment writer (whole, snapped or headers)
  uint64_t bytes_stored = 0;     // bytes of those packets as stored
  uint64_t packets_cut = 0;      // past the cutoff (stored as headers, or dropped)
  uint64_t packets_dropped = 0;  // past the cutoff with after_cutoff = drop
  uint64_t bytes_cut = 0;        // bytes removed by the cutoff
  uint64_t bytes_snapped = 0;    // bytes removed by the class snaplen before the cutoff
  uint64_t connections = 0;      // connections started in this class

  void Add(const ClassCounters& o) {
    packets_seen += o.packets_seen;
    bytes_seen += o.bytes_seen;
    packets_stored += o.packets_stored;
    bytes_stored += o.bytes_stored;
    packets_cut += o.packets_cut;
    packets_dropped += o.packets_dropped;
    bytes_cut += o.bytes_cut;
    bytes_snapped += o.bytes_snapped;
    connections += o.connections;
  }
};

}  // namespace trove
