#include "flow/cutoff_stage.h"

#include <algorithm>
#include <cstring>

#include "packet/decoder.h"
#include "packet/flow_key.h"
#include "packet/packet_flow.h"
#include "util/log.h"
#include "util/time_util.h"

namespace trove {
namespace {

constexpr uint8_t kTcpControl = 0x01 | 0x02 | 0x04;  // FIN, SYN, RST

bool IsTcpControl(const DecodedPacket& d) {
  return d.has_ip() && d.ip_proto == 6 && d.has_l4() && (d.tcp_flags & kTcpControl) != 0;
}

}  // namespace

ConnectionTableOptions TableOptionsFrom(const ConnectionConfig& c) {
  ConnectionTableOptions o;
  o.max_connections = c.max_connections;
  o.timeout_ns[static_cast<int>(ProtoGroup::kTcp)] = c.tcp_timeout_ns;
  o.timeout_ns[static_cast<int>(ProtoGroup::kUdp)] = c.udp_timeout_ns;
  o.timeout_ns[static_cast<int>(ProtoGroup::kIcmp)] = c.icmp_timeout_ns;
  o.timeout_ns[static_cast<int>(ProtoGroup::kOther)] = c.other_timeout_ns;
  return o;
}

CutoffStage::CutoffStage(std::vector<ClassConfig> classes, const ConnectionConfig& connections)
    : matcher_(std::move(classes)),
      table_(TableOptionsFrom(connections)),
      fragments_(4096, connections.fragment_timeout_ns),
      counters_(matcher_.classes().size()) {}

void CutoffStage::AddDynamicClass(const uint8_t addr[16], uint8_t klass, int64_t duration_ns) {
  Dynamic e;
  std::memcpy(e.addr, addr, 16);
  e.klass = klass;
  e.duration_ns = duration_ns;
  e.until_ns = table_.now_ns() == INT64_MIN ? INT64_MIN : table_.now_ns() + duration_ns;
  for (auto& x : dynamic_)
    if (std::memcmp(x.addr, addr, 16) == 0) {
      x = e;
      return;
    }
  if (dynamic_.size() >= 1024) dynamic_.erase(dynamic_.begin());
  dynamic_.push_back(e);
}

uint8_t CutoffStage::DynamicClassOf(const FlowKey& key, int64_t now) {
  for (size_t i = 0; i < dynamic_.size();) {
    Dynamic& e = dynamic_[i];
    if (e.until_ns == INT64_MIN) e.until_ns = now + e.duration_ns;
    if (now > e.until_ns) {
      dynamic_.erase(dynamic_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    if (std::memcmp(e.addr, key.addr_lo, 16) == 0 || std::memcmp(e.addr, key.addr_hi, 16) == 0)
      return e.klass;
    ++i;
  }
  return kNoClass;
}

void CutoffStage::StartEpoch(int64_t from_ns, int64_t to_ns, size_t ended) {
  fragments_.Clear();
  // Dynamic classes keep the packet time they had left.
  for (auto& e : dynamic_)
    if (e.until_ns != INT64_MIN) e.until_ns -= from_ns - to_ns;
  LogWarning("packet time stepped back by " + FormatDuration(from_ns - to_ns) + ", from " +
             FormatRfc3339(from_ns) + " to " + FormatRfc3339(to_ns) +
             " (more than the largest connection timeout, " +
             FormatDuration(table_.max_timeout_ns()) + "): " + std::to_string(ended) +
             " open connections ended as timed out; connections start afresh");
}

bool CutoffStage::Process(PacketRef* p, DecodedPacket* d) {
  const uint32_t captured = p->caplen;
  if (const int64_t before = table_.now_ns(); table_.AdvanceClock(p->ts_ns))
    StartEpoch(before, p->ts_ns, table_.last_epoch_ended());
  Connection* conn = nullptr;
  uint8_t k;
  FlowRef scratch;
  if (const FlowRef* f = FlowOf(*p, *d, &scratch)) {
    // Non-first fragments join the connection of their first fragment (or
    // their host pair): a different key, hashed here.
    FlowKey owner;
    const FlowKey* key = &f->key;
    uint64_t hash = f->hash;
    if (f->key.kind == FlowKind::kFragment) {
      if (!fragments_.Lookup(f->key, p->ts_ns, &owner)) owner = FragmentMap::HostPairKey(f->key);
      key = &owner;
      hash = owner.Hash();
    } else if (d->first_fragment) {
      fragments_.RememberFirst(f->key, d->frag_id, p->ts_ns);
    }
    bool created = false;
    conn = table_.Touch(*key, hash, f->src_is_hi, p->ts_ns, &created);
    if (created) {
      uint8_t c = dynamic_.empty() ? kNoClass : DynamicClassOf(*key, table_.now_ns());
      if (c == kNoClass) c = matcher_.Classify(*p);
      table_.SetClass(conn, c);
      if (c != kNoClass) ++counters_[c].connections;
    }
    k = conn->klass;
  } else {
    k = matcher_.Classify(*p);
  }
  last_class_ = k;
  if (k == kNoClass) {
    ++unmatched_.packets_seen;
    unmatched_.bytes_seen += captured;
    return false;
  }
  ClassCounters& cc = counters_[k];
  const ClassConfig& cl = matcher_.classes()[k];
  ++cc.packets_seen;
  cc.bytes_seen += captured;
  bool over = false;  // the connection is past its cutoff
  if (conn) {
    conn->bytes += captured;
    over = cl.has_cutoff && conn->bytes > cl.cutoff_bytes &&
           (conn->flags & Connection::kCutoffSuspended) == 0;
  }
  const bool past = over && !IsTcpControl(*d);  // SYN, FIN, RST are kept whole
  uint32_t keep = captured;
  if (cl.snaplen) keep = std::min(keep, cl.snaplen);
  if (past) {
    ++cc.packets_cut;
    if (cl.after_cutoff == AfterCutoff::kDrop) {
      ++cc.packets_dropped;
      cc.bytes_cut += captured;
      return false;
    }
    keep = std::min(keep, kHeaderBytes);
    cc.bytes_cut += captured - keep;
  } else {
    cc.bytes_snapped += captured - keep;
  }
  ++cc.packets_stored;
  cc.bytes_stored += keep;
  if (keep < captured) {
    p->caplen = keep;
    ClampDecoded(*p, d);
  }
  d->past_cutoff = over;
  return true;
}

}  // namespace trove
