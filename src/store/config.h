#pragma once
// StoreConfig: the store's TOML configuration (STORE/trove.toml): the links
// that feed it, where segments are stored, the storage classes (per-
// connection cutoff) and the connection table. Parse errors name the file,
// line and key; a class filter that libpcap cannot compile is an error
// naming the class and libpcap's message. Values are plain data; copy freely.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flow/class_config.h"
#include "segment/segment_policy.h"
#include "util/status.h"

namespace trove {

struct LinkConfig {
  std::string name = "default";
  std::string location = "unspecified";
  std::string interface = "any";  // live capture device
  uint32_t snaplen = 64;          // 0 = full packets
  bool promiscuous = true;
  std::string filter;                   // capture BPF (pcap-filter syntax)
  // Kernel capture buffer; 256 MiB = tcpdump -B 262144 (docs/BENCHMARKS.md,
  // live capture loss).
  uint64_t buffer_bytes = 256ull << 20;
  bool nanosecond = true;               // ask the device for ns timestamps
  uint64_t ring_bytes = 64ull << 20;    // capture -> writer ring
  SegmentPolicy segment;
};

struct StorageConfig {
  std::string primary = "segments";  // relative to the store dir, or absolute
  std::string spool = "spool";       // local fallback
  std::string catalog = "sqlite:catalog.db";
  uint64_t checkpoint_bytes = 16ull << 20;  // fsync window: bytes kept for failover replay
  bool direct_io = true;  // segments written with O_DIRECT where the file system allows
  int64_t probe_interval_ns = 2'000'000'000;  // primary availability probe
  std::string keys = "keys/master.key";  // master secret (0600), relative to the store or absolute
};

// A privacy level derived inside the store from its parent level (see
// docs/PRIVACY.md). policy is "scrubbed" or "scrambled" (anon::PolicyForLevel);
// tcp_options overrides the policy's default when non-empty.
struct LevelConfig {
  std::string name;
  std::string parent = "raw";     // "raw" or another level's name
  std::string policy;             // "scrubbed" | "scrambled"
  std::string tcp_options;        // "" = the policy's default | keep | normalize | strip
  std::string ip_epoch = "year";  // key rotation period: year | month | day | none
  std::string mac_epoch = "month";
  bool enabled = true;
};

// An owner of address space: may unmask pseudonyms of addresses inside
// its prefixes (CIDR, IPv4 or IPv6).
struct OwnerConfig {
  std::string name;
  std::vector<std::string> prefixes;
};

// Retrieval (trove query) yields to capture: it runs at a lower CPU and I/O
// priority and reads segment files at most max_read_rate bytes/s.
struct QueryConfig {
  uint64_t max_read_rate = 200ull * 1000 * 1000;  // bytes/s; 0 = unlimited
  std::string io_priority = "idle";               // idle | best-effort[:N] | none
  int nice = 10;                                  // 0..19
};

struct StoreConfig {
  StorageConfig storage;
  QueryConfig query;
  std::vector<LinkConfig> links;
  // Empty (a store created before classes existed): every packet is stored
  // as captured, with no connection tracking.
  std::vector<ClassConfig> classes;
  ConnectionConfig connections;
  std::vector<LevelConfig> levels;  // parents before children
  std::vector<OwnerConfig> owners;

  const LinkConfig* FindLink(const std::string& name) const;
  const LevelConfig* FindLevel(const std::string& name) const;
  const OwnerConfig* FindOwner(const std::string& name) const;
  const ClassConfig* FindClass(const std::string& name) const;
};

// The class `trove init` writes: "default", matches everything, 20480-byte
// cutoff, headers after the cutoff.
ClassConfig DefaultClass();

// scrubbed (parent raw) and scrambled (parent scrubbed).
std::vector<LevelConfig> DefaultLevels();
StoreConfig DefaultStoreConfig();
Result<StoreConfig> ParseStoreConfig(const std::string& toml_text, const std::string& origin);
std::string SerializeStoreConfig(const StoreConfig& c);

}  // namespace trove
