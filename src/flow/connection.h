#pragma once
// Connection: the state trove keeps for one bidirectional connection while
// it is active, owned by a ConnectionTable (connection_table.h). Callers
// read the key, counters and time range and may set `klass`, `bytes` and
// `flags` (kCutoffSuspended); tier, group, list links and list_ts belong to
// the table. Pointers into the table stay valid until the next Touch().
// Plain data, 96 bytes.

#include <cstdint>

#include "packet/flow_key.h"

namespace trove {

// `klass` of a connection that no storage class matched (or not yet decided).
inline constexpr uint8_t kNoClass = 0xff;

// How much of a conversation the table has seen; eviction order under
// memory pressure is kOnePacket, then kOneSided, then kTwoSided.
enum class ConnTier : uint8_t { kOnePacket = 0, kOneSided = 1, kTwoSided = 2 };
inline constexpr int kConnTiers = 3;

// Protocol groups with their own inactivity timeout.
enum class ProtoGroup : uint8_t { kTcp = 0, kUdp = 1, kIcmp = 2, kOther = 3 };
inline constexpr int kProtoGroups = 4;

struct Connection {
  // Flag bits.
  static constexpr uint8_t kOrigIsHi = 0x01;  // first packet went hi -> lo
  static constexpr uint8_t kSeenLoToHi = 0x02;
  static constexpr uint8_t kSeenHiToLo = 0x04;
  static constexpr uint8_t kCutoffSuspended = 0x08;  // runtime control: keep everything

  FlowKey key;
  uint8_t klass = kNoClass;  // storage class index, set by the owner
  uint8_t flags = 0;
  ConnTier tier = ConnTier::kOnePacket;   // table-owned
  ProtoGroup group = ProtoGroup::kOther;  // table-owned
  uint32_t prev = 0, next = 0;            // table-owned list links
  uint64_t packets = 0;                   // both directions
  uint64_t bytes = 0;                     // owner's byte count (captured bytes for the cutoff)
  int64_t first_ts_ns = 0;
  int64_t last_ts_ns = 0;
  int64_t list_ts_ns = 0;  // table-owned: when it was (re)queued in its list
};
static_assert(sizeof(Connection) == 96, "docs/CONFIG.md states the per-connection memory");

}  // namespace trove
