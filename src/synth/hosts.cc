#include "synth/hosts.h"

#include <algorithm>

namespace trove::synth {
namespace {

constexpr uint32_t kOuis[] = {0x3C22FB, 0x001B21, 0xF8BC12, 0xB827EB,
                              0x005056, 0x8C8590, 0x4CCC6A, 0xA4BB6D};
constexpr uint16_t kEphemeralLo = 32768, kEphemeralSpan = 60999 - 32768 + 1;

uint64_t HostHash(uint32_t index, uint64_t salt) { return Mix64(Mix64(index) ^ salt); }

std::string Word(uint64_t h) {
  static constexpr char kCons[] = "bdfgklmnprstvz";
  static constexpr char kVow[] = "aeiou";
  const int syllables = 2 + static_cast<int>(h % 3);
  h /= 3;
  std::string w;
  for (int i = 0; i < syllables; ++i) {
    w += kCons[h % 14];
    h /= 14;
    w += kVow[h % 5];
    h /= 5;
  }
  return w;
}

}  // namespace

Network::Network(uint32_t clients, uint32_t servers)
    : clients_(std::clamp<uint32_t>(clients, 1, kMaxClients)),
      servers_(std::clamp<uint32_t>(servers, 1, kMaxServers)),
      port_next_(clients_, 0) {
  for (uint32_t j = 0; j < servers_; ++j) {
    role_servers_[static_cast<int>(ServerRole(j))].push_back(j);
  }
  for (int r = 0; r < kRoleCount; ++r) {
    auto& list = role_servers_[r];
    if (list.empty()) {  // tiny server pools: every server plays every role
      for (uint32_t j = 0; j < servers_; ++j) list.push_back(j);
    }
    uint64_t sum = 0;
    for (size_t k = 0; k < list.size(); ++k) {
      sum += (uint64_t{1} << 40) / (k + 1);  // Zipf, exponent 1
      role_cdf_[r].push_back(sum);
    }
  }
}

Role Network::ServerRole(uint32_t j) const {
  if (servers_ < 8) return Role::kWeb;  // and everything else, via the fallback
  if (j < 2) return Role::kDns;
  if (j == 2) return Role::kNtp;
  const uint64_t h = HostHash(j, 0x5e) % 100;
  if (h < 80) return Role::kWeb;
  if (h < 90) return Role::kSsh;
  return Role::kMail;
}

Host Network::Client(uint32_t i) const {
  Host host;
  const uint64_t h = HostHash(i, 0xc1);
  const uint32_t oui = kOuis[h % (sizeof(kOuis) / sizeof(kOuis[0]))];
  host.mac[0] = static_cast<uint8_t>(oui >> 16);
  host.mac[1] = static_cast<uint8_t>(oui >> 8);
  host.mac[2] = static_cast<uint8_t>(oui);
  host.mac[3] = static_cast<uint8_t>(h >> 24);
  host.mac[4] = static_cast<uint8_t>(h >> 32);
  host.mac[5] = static_cast<uint8_t>(h >> 40);
  const uint32_t subnet = i / 250, hostpart = i % 250 + 2;
  host.v4 = (10u << 24) | ((subnet & 0xFFFF) << 8) | hostpart;
  const uint8_t v6[16] = {0x20,
                          0x01,
                          0x0d,
                          0xb8,
                          0,
                          0,
                          static_cast<uint8_t>(subnet >> 8),
                          static_cast<uint8_t>(subnet)};
  std::copy(v6, v6 + 8, host.v6);
  const uint64_t iid = HostHash(i, 0x1d) & ~(uint64_t{0x02} << 56);  // privacy-style IID
  for (int b = 0; b < 8; ++b) host.v6[8 + b] = static_cast<uint8_t>(iid >> (56 - 8 * b));
  host.ttl = (h >> 48) % 10 < 6 ? 64 : 128;
  Rng r(h, 1);
  host.rtt_ns = r.LogUniform(150'000, 3'000'000);  // LAN / Wi-Fi
  return host;
}

Host Network::Server(uint32_t j) const {
  Host host;
  std::copy(kRouterMac, kRouterMac + 6, host.mac);
  if (j < 762) {
    static constexpr uint32_t kNets[3] = {0xC0000200, 0xC6336400, 0xCB007100};
    host.v4 = kNets[j / 254] | (j % 254 + 1);
  } else {
    const uint32_t k = j - 762, b = k / 254;
    host.v4 = (198u << 24) | ((18u + (b >> 8)) << 16) | ((b & 0xFF) << 8) | (k % 254 + 1);
  }
  const uint8_t v6[16] = {0x20,
                          0x01,
                          0x0d,
                          0xb8,
                          static_cast<uint8_t>(0xF0),
                          static_cast<uint8_t>(j >> 16),
                          static_cast<uint8_t>(j >> 8),
                          static_cast<uint8_t>(j),
                          0,
                          0,
                          0,
                          0,
                          0,
                          0,
                          0,
                          1};
  std::copy(v6, v6 + 16, host.v6);
  const uint64_t h = HostHash(j, 0x5a);
  const uint64_t os = h % 20;
  const uint8_t initial = os < 14 ? 64 : (os < 19 ? 128 : 255);
  host.ttl = static_cast<uint8_t>(initial - (6 + (h >> 8) % 17));
  Rng r(h, 2);
  host.rtt_ns = r.LogUniform(3'000'000, 250'000'000);
  return host;
}

std::string Network::ServerName(uint32_t j) const {
  static constexpr const char* kTld[] = {"com", "net", "org"};
  static constexpr const char* kWeb[] = {"www", "api", "cdn", "static", "img", "app", "login"};
  static constexpr const char* kSsh[] = {"git", "ssh", "bastion", "dev"};
  static constexpr const char* kMail[] = {"mail", "mx", "smtp"};
  const uint64_t h = HostHash(j, 0x77);
  std::string prefix;
  switch (ServerRole(j)) {
    case Role::kWeb:
      prefix = kWeb[(h >> 40) % 7];
      break;
    case Role::kSsh:
      prefix = kSsh[(h >> 40) % 4];
      break;
    case Role::kMail:
      prefix = kMail[(h >> 40) % 3];
      break;
    case Role::kDns:
      prefix = "ns" + std::to_string(j + 1);
      break;
    case Role::kNtp:
      prefix = "time";
      break;
  }
  return prefix + "." + Word(h) + ".example." + kTld[(h >> 50) % 3];
}

std::string Network::ClientName(uint32_t i) const {
  std::string n = std::to_string(i);
  if (n.size() < 4) n.insert(0, 4 - n.size(), '0');
  return "ws-" + n + ".corp.example.net";
}

uint32_t Network::PickServer(Rng& rng, Role role) const {
  const auto& cdf = role_cdf_[static_cast<int>(role)];
  const uint64_t x = rng.Below(cdf.back());
  const size_t k = static_cast<size_t>(std::upper_bound(cdf.begin(), cdf.end(), x) - cdf.begin());
  return role_servers_[static_cast<int>(role)][std::min(k, cdf.size() - 1)];
}

uint16_t Network::NextEphemeralPort(uint32_t client) {
  const uint16_t n = port_next_[client]++;
  if (port_next_[client] == kEphemeralSpan) port_next_[client] = 0;
  const uint32_t start = static_cast<uint32_t>(HostHash(client, 0xe9) % kEphemeralSpan);
  return static_cast<uint16_t>(kEphemeralLo + (start + n) % kEphemeralSpan);
}

}  // namespace trove::synth
