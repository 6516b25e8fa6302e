#include "flow/fragment_map.h"

namespace trove {

FragmentMap::FragmentMap(uint32_t entries, int64_t timeout_ns) : timeout_ns_(timeout_ns) {
  uint64_t n = 1;
  while (n < entries) n <<= 1;
  entries_.resize(n);
  mask_ = n - 1;
}

FlowKey FragmentMap::DatagramKey(const FlowKey& conn, uint32_t frag_id) {
  FlowKey k;
  std::memcpy(k.addr_lo, conn.addr_lo, 16);
  std::memcpy(k.addr_hi, conn.addr_hi, 16);
  k.frag_id = frag_id;
  k.ip_version = conn.ip_version;
  k.kind = FlowKind::kFragment;
  return k;
}

FlowKey FragmentMap::HostPairKey(const FlowKey& fragment_key) {
  return DatagramKey(fragment_key, 0);
}

void FragmentMap::RememberFirst(const FlowKey& conn, uint32_t frag_id, int64_t ts_ns) {
  const FlowKey d = DatagramKey(conn, frag_id);
  Entry& e = entries_[d.Hash() & mask_];
  e.datagram = d;
  e.conn = conn;
  e.ts_ns = ts_ns;
  e.used = true;
}

void FragmentMap::Clear() {
  for (auto& e : entries_) e.used = false;
}

bool FragmentMap::Lookup(const FlowKey& fragment_key, int64_t ts_ns, FlowKey* conn) const {
  const FlowKey d = DatagramKey(fragment_key, fragment_key.frag_id);
  const Entry& e = entries_[d.Hash() & mask_];
  if (!e.used || !(e.datagram == d) || ts_ns - e.ts_ns > timeout_ns_ || ts_ns < e.ts_ns)
    return false;
  *conn = e.conn;
  return true;
}

}  // namespace trove
