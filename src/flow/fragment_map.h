#pragma once
// FragmentMap: attributes non-first IP fragments to their connection.
//
// Policy (what the connection table does with fragments):
//  - A first fragment (offset 0, MF set) carries the ports and is keyed as
//    its connection. Its (src, dst, IP id) is remembered here, pointing at
//    that connection's key.
//  - A non-first fragment with the same (src, dst, id) seen within
//    `timeout_ns` of packet time after the first fragment belongs to that
//    connection (its bytes count against that connection's cutoff).
//  - Otherwise (the first fragment was not seen, came later, or its entry
//    was overwritten) the fragment goes to the per-host-pair
//    pseudo-connection: FlowKey kind kFragment, proto 0, ports 0,
//    frag_id 0, the two addresses in canonical order.
// The map is a direct-mapped cache of a fixed number of entries (a
// power of two), allocated once: constant memory and O(1), a collision
// replaces the older entry. Not thread-safe: owned by the writer thread.

#include <cstdint>
#include <vector>

#include "packet/flow_key.h"

namespace trove {

class FragmentMap {
 public:
  explicit FragmentMap(uint32_t entries = 4096, int64_t timeout_ns = 30'000'000'000);

  // The pseudo key of a datagram's fragments: kind kFragment, proto 0,
  // ports 0, the addresses of `conn` (already canonical) and `frag_id`.
  static FlowKey DatagramKey(const FlowKey& conn, uint32_t frag_id);
  // The per-host-pair pseudo-connection for unattributed fragments.
  static FlowKey HostPairKey(const FlowKey& fragment_key);

  // A first fragment of `conn` with IP id `frag_id` at `ts_ns`.
  void RememberFirst(const FlowKey& conn, uint32_t frag_id, int64_t ts_ns);
  // `fragment_key` as MakeFlowKey gives it for a non-first fragment. Sets
  // *conn and returns true when its first fragment is known.
  bool Lookup(const FlowKey& fragment_key, int64_t ts_ns, FlowKey* conn) const;
  // Forgets every first fragment (a new epoch: time stepped back).
  void Clear();

 private:
  struct Entry {
    FlowKey datagram;
    FlowKey conn;
    int64_t ts_ns = 0;
    bool used = false;
  };
  std::vector<Entry> entries_;
  uint64_t mask_;
  int64_t timeout_ns_;
};

}  // namespace trove
