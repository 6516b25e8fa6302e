#pragma once
// The synthetic network of `trove synth` (internal header).
// Contract: a capture point at the edge router of a client network. Clients
// (index 0..clients-1) get 10.x.y.z and 2001:db8:0:<subnet>::/64 addresses
// and a stable vendor-looking MAC; servers (0..servers-1) live behind the
// router in the documentation ranges (192.0.2/24, 198.51.100/24,
// 203.0.113/24, then 198.18/15; 2001:db8:f000::/36), so frames from servers
// carry the router's MAC. Everything about a host (addresses, MAC, TTL,
// RTT to the tap, name, role) is a pure function of its index, independent
// of the seed, so hosts look the same in every generated file. Servers have
// roles (web, mail, ssh, dns, ntp); popularity within a role is Zipf.
// Not thread-safe (ephemeral port counters are mutable).

#include <cstdint>
#include <string>
#include <vector>

#include "synth/rng.h"

namespace trove::synth {

enum class Role : uint8_t { kWeb, kMail, kSsh, kDns, kNtp };
inline constexpr int kRoleCount = 5;

struct Host {
  uint8_t mac[6] = {};
  uint32_t v4 = 0;  // host order
  uint8_t v6[16] = {};
  uint8_t ttl = 64;     // TTL / hop limit as seen at the tap
  uint64_t rtt_ns = 0;  // round trip between the tap and this host
};

class Network {
 public:
  static constexpr uint32_t kMaxClients = 16'000'000;
  static constexpr uint32_t kMaxServers = 100'000;

  Network(uint32_t clients, uint32_t servers);

  uint32_t clients() const { return clients_; }
  uint32_t servers() const { return servers_; }
  Host Client(uint32_t i) const;
  Host Server(uint32_t j) const;
  const uint8_t* router_mac() const { return kRouterMac; }
  // DNS name of a server, e.g. "www.kobita.example.com".
  std::string ServerName(uint32_t j) const;
  std::string ClientName(uint32_t i) const;  // "ws-0042.corp.example.net"
  Role ServerRole(uint32_t j) const;

  uint32_t PickClient(Rng& rng) const { return static_cast<uint32_t>(rng.Below(clients_)); }
  uint32_t PickServer(Rng& rng, Role role) const;
  // Sequential per-client ephemeral port (32768..60999) starting at a
  // per-client offset, so a 4-tuple repeats only after 28232 connections.
  uint16_t NextEphemeralPort(uint32_t client);

 private:
  static constexpr uint8_t kRouterMac[6] = {0x00, 0x00, 0x0c, 0x07, 0xac, 0x01};
  uint32_t clients_, servers_;
  std::vector<uint32_t> role_servers_[kRoleCount];
  std::vector<uint64_t> role_cdf_[kRoleCount];  // cumulative Zipf weights
  std::vector<uint16_t> port_next_;
};

}  // namespace trove::synth
