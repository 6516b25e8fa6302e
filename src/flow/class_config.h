#pragma once
// ClassConfig and ConnectionConfig: the storage classes ([[class]]) and the
// connection table ([connections]) of trove.toml (docs/CONFIG.md), as the
// flow stages use them. Parsed and validated by store/config.h. Plain data;
// copy freely.

#include <cstdint>
#include <string>

namespace trove {

// A storage class ([[class]], docs/CONFIG.md). A connection's class is the
// matching class of highest precedence for its first packet.
enum class AfterCutoff : uint8_t { kHeaders = 0, kDrop = 1 };
inline constexpr uint32_t kHeaderBytes = 64;  // what "headers" keeps after the cutoff

struct ClassConfig {
  std::string name;
  std::string filter;      // pcap-filter syntax; empty = every packet
  int64_t precedence = 0;  // higher wins; ties: the class defined first
  bool has_cutoff = true;  // false: "none" (connections are kept whole)
  uint64_t cutoff_bytes = 20480;
  uint32_t snaplen = 0;  // bytes kept per packet before the cutoff; 0 = all captured
  AfterCutoff after_cutoff = AfterCutoff::kHeaders;
  uint64_t disk_budget = 0;  // bytes; 0 = unlimited
  int64_t retention_ns = 0;  // 0 = unlimited
};

// [connections]: the connection table of each link.
struct ConnectionConfig {
  uint32_t max_connections = 1'000'000;
  int64_t tcp_timeout_ns = 300'000'000'000;
  int64_t udp_timeout_ns = 60'000'000'000;
  int64_t icmp_timeout_ns = 60'000'000'000;
  int64_t other_timeout_ns = 60'000'000'000;     // other protocols, fragment pseudo-connections
  int64_t fragment_timeout_ns = 30'000'000'000;  // first fragment -> later fragments
};

}  // namespace trove
