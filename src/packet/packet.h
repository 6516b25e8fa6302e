#pragma once
// A captured packet as it moves through trove: timestamp (ns since the Unix
// epoch), captured and wire length, the libpcap DLT link type, and a pointer
// to the captured bytes. A PacketRef never owns its bytes; whoever hands it
// out (ring slot, file reader buffer) keeps them alive until the consumer
// returns.

#include <cstdint>
#include <string>

namespace trove {

// The capture interface a packet came from, when its source tells them
// apart (a pcapng with several interfaces). Owned by the source, immutable
// once a packet points at it, valid as long as the source. Consumers that
// keep it beyond that copy it and compare `uid`.
struct PacketInterface {
  uint64_t uid = 0;          // unique in the process (never reused)
  uint16_t linktype = 0;     // DLT_*
  uint32_t snaplen = 0;      // as the source says (0 = unlimited)
  std::string name;          // if_name; "" when the source names none
  std::string description;   // if_description
};

struct PacketRef {
  int64_t ts_ns = 0;       // nanoseconds since the Unix epoch
  uint32_t caplen = 0;     // bytes available at data
  uint32_t wirelen = 0;    // original length on the wire
  uint16_t linktype = 0;   // DLT_* (pcap LINKTYPE_* on disk)
  const uint8_t* data = nullptr;
  // The packet's interface, or nullptr: the source has one (live capture,
  // files libpcap reads) and the stream's defaults apply.
  const PacketInterface* iface = nullptr;
};

}  // namespace trove
