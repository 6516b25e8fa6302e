#pragma once
// Link types: the one table of the link types trove decodes, anonymises and
// writes, with the size of their fixed link header, and the mapping between
// the DLT_ values libpcap hands out and the LINKTYPE_ values capture files
// store. Pure functions over constant data; thread-safe.

#include <cstdint>
#include <string>

namespace trove {

// Link types Decode() understands: the values pcap_datalink() returns
// (libpcap's <pcap/dlt.h> on Linux), plus the on-disk LINKTYPE_RAW that a
// PacketRef built straight from a file header may carry. Anything else stops
// with kUnsupportedL2.
inline constexpr uint16_t kLinkNull = 0;         // DLT_NULL: 4-byte AF, host order (either)
inline constexpr uint16_t kLinkEthernet = 1;     // DLT_EN10MB
inline constexpr uint16_t kLinkRaw = 12;         // DLT_RAW on Linux (version nibble)
inline constexpr uint16_t kLinkRawBsdOs = 14;    // DLT_RAW on BSD/OS
inline constexpr uint16_t kLinkTypeRaw = 101;    // LINKTYPE_RAW (libpcap maps it to DLT_RAW)
inline constexpr uint16_t kLinkLoop = 108;       // DLT_LOOP: 4-byte AF, network order
inline constexpr uint16_t kLinkLinuxSll = 113;   // DLT_LINUX_SLL, 16-byte cooked header
inline constexpr uint16_t kLinkIPv4 = 228;       // DLT_IPV4: raw IPv4 only
inline constexpr uint16_t kLinkIPv6 = 229;       // DLT_IPV6: raw IPv6 only
inline constexpr uint16_t kLinkLinuxSll2 = 276;  // DLT_LINUX_SLL2, 20-byte cooked header

struct LinkTypeInfo {
  uint16_t dlt = 0;
  // Bytes of the fixed link header before the tags, labels or network
  // header (Ethernet 14, SLL 16, SLL2 20, NULL/LOOP 4, raw IP 0).
  uint32_t header_bytes = 0;
};

// The entry of a link type Decode() understands (DLT_ or LINKTYPE_ value);
// nullptr for any other.
const LinkTypeInfo* FindLinkType(uint16_t dlt);

// The LINKTYPE_ value a capture file stores for a DLT_ value (they differ
// for raw IP only: DLT_RAW is 12 or 14, LINKTYPE_RAW 101).
uint16_t LinkTypeOnDisk(uint16_t dlt);

// libpcap's name of a link type ("EN10MB"), or its number.
std::string LinkTypeName(uint16_t dlt);

}  // namespace trove
