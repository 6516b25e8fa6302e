#pragma once
// A captured packet as it moves through trove: timestamp (ns since the Unix
// epoch), captured and wire length, the libpcap DLT link type, and a pointer
// to the captured bytes. A PacketRef never owns its bytes; whoever hands it
// out (ring slot, file reader buffer) keeps them alive until the consumer
// returns.

#include <cstdint>

namespace trove {

struct PacketRef {
  int64_t ts_ns = 0;       // nanoseconds since the Unix epoch
  uint32_t caplen = 0;     // bytes available at data
  uint32_t wirelen = 0;    // original length on the wire
  uint16_t linktype = 0;   // DLT_* (pcap LINKTYPE_* on disk)
  const uint8_t* data = nullptr;
};

}  // namespace trove
