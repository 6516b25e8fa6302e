#pragma once
// SegmentSummary: what the catalogue keeps about a segment's contents so a
// query can skip the segment without opening it — its time range, whether
// it holds packets the planner cannot judge (kUncertain records), and a
// Bloom filter over its addresses, TCP/UDP ports, IP protocols and IP
// versions. Stored as one blob per segment (catalogue schema v3,
// docs/FORMAT.md). The key spelling below is part of the format.

#include <cstdint>
#include <string>

#include "index/bloom_filter.h"
#include "index/segment_index.h"

namespace trove {

struct SegmentSummary {
  int64_t first_ts_ns = 0;
  int64_t last_ts_ns = 0;
  bool has_uncertain = false;  // some packets must always be candidates
  bool has_non_ip = false;     // ARP/RARP (or older: any non-IP): candidates for host/net
  BloomFilter keys;

  // Encoding: u8 version (1), u8 flags (bit 0 = has_uncertain, bit 1 =
  // has_non_ip), bloom.
  std::string Encode() const;
  static Result<SegmentSummary> Decode(const std::string& blob, int64_t first_ts_ns,
                                       int64_t last_ts_ns);
};

// Bloom keys.
std::string AddressKey(uint8_t ip_version, const uint8_t addr[16]);  // 'A' ver addr16
std::string PortKey(uint16_t port);                                  // 'P' port16
std::string ProtoKey(uint8_t proto);                                 // 'R' proto
std::string VersionKey(uint8_t ip_version);                          // 'V' ver

SegmentSummary SummarizeIndex(const SegmentIndex& ix);

}  // namespace trove
