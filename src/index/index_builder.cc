#include "index/index_builder.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "packet/packet_flow.h"
#include "segment/pcapng_format.h"

namespace trove {

SegmentIndexBuilder::SegmentIndexBuilder(std::string segment_name, uint16_t linktype)
    : name_(std::move(segment_name)), linktype_(linktype) {}

bool IsUncertainForFilters(const PacketRef& p, const DecodedPacket& d) {
  if (d.vlan_depth != 0 || d.mpls_depth != 0) return true;
  if (d.is_fragment) return true;
  if (d.stop != DecodeStop::kNone && d.stop != DecodeStop::kUnknownL4) return true;
  if (d.ip_proto == 132) return true;  // SCTP: libpcap's `port` matches it, our key has no ports
  if (d.l3 == L3::kIPv6) {
    // libpcap's `tcp`/`port` look at the fixed header's next-header field
    // only; extension headers make our final protocol differ from it.
    const size_t nh = static_cast<size_t>(d.l3_off) + 6;
    if (nh >= p.caplen || p.data[nh] != d.ip_proto) return true;
  }
  return false;
}

ConnRecord& SegmentIndexBuilder::RecordFor(const FlowRef& f, bool* fresh) {
  if (2 * (conns_.size() + 1) > slots_.size()) GrowSlots();
  const uint32_t tag = static_cast<uint32_t>(f.hash);
  for (uint64_t pos = tag & mask_;; pos = (pos + 1) & mask_) {
    ProbeSlot& s = slots_[pos];
    if (s.idx == ProbeSlot::kNil) {
      s = ProbeSlot{static_cast<uint32_t>(conns_.size()), tag};
      *fresh = true;
      conns_.emplace_back();
      conns_.back().key = f.key;
      return conns_.back();
    }
    if (s.tag == tag && conns_[s.idx].key == f.key) {
      *fresh = false;
      return conns_[s.idx];
    }
  }
}

// Doubles the slots (from 1024); rare: log2(records / 512) times a segment.
void SegmentIndexBuilder::GrowSlots() {
  ResizeProbeSlots(&slots_, slots_.empty() ? 1024 : slots_.size() * 2);
  mask_ = slots_.size() - 1;
}

void SegmentIndexBuilder::Add(const PacketRef& p, const DecodedPacket& d, uint64_t offset) {
  FlowRef scratch;
  const FlowRef* f = FlowOf(p, d, &scratch);
  const bool hi_to_lo = f != nullptr && f->src_is_hi;
  ConnRecord* r;
  bool fresh;
  if (f != nullptr) {
    r = &RecordFor(*f, &fresh);
  } else {
    // ARP and other ethertypes that libpcap also sees as not IP, untagged,
    // vs. packets we could not decode (judged "maybe" for everything).
    const bool plain = (d.l3 == L3::kArp || d.l3 == L3::kOther) && d.stop == DecodeStop::kNonIpL3 &&
                       d.vlan_depth == 0 && d.mpls_depth == 0;
    int64_t& slot = non_ip_[plain ? 0 : 1];
    fresh = slot < 0;
    if (fresh) {
      slot = static_cast<int64_t>(conns_.size());
      conns_.emplace_back();
      conns_.back().flags = ConnRecord::kNonIp | (plain ? 0 : ConnRecord::kUncertain);
    }
    r = &conns_[static_cast<size_t>(slot)];
  }
  const int dir = hi_to_lo ? 1 : 0;
  if (fresh) {
    r->first_ts_ns = r->last_ts_ns = p.ts_ns;
    if (hi_to_lo) r->flags |= ConnRecord::kOrigIsHi;
  }
  r->first_ts_ns = std::min(r->first_ts_ns, p.ts_ns);
  r->last_ts_ns = std::max(r->last_ts_ns, p.ts_ns);
  ++r->packets[dir];
  r->bytes[dir] += p.caplen;
  if (d.ip_proto == 6 && d.has_l4()) r->tcp_flags[dir] |= d.tcp_flags;
  if (d.past_cutoff) r->flags |= ConnRecord::kCut;
  if (!r->has(ConnRecord::kNonIp) && IsUncertainForFilters(p, d))
    r->flags |= ConnRecord::kUncertain;
  locs_.emplace_back(static_cast<uint32_t>(r - conns_.data()), offset);

  if (packets_ % kTimeBlockPackets == 0) blocks_.push_back({offset, p.ts_ns, p.ts_ns, 0});
  TimeBlock& b = blocks_.back();
  b.min_ts_ns = std::min(b.min_ts_ns, p.ts_ns);
  b.max_ts_ns = std::max(b.max_ts_ns, p.ts_ns);
  ++b.packets;

  if (packets_ == 0) first_ts_ = last_ts_ = prev_ts_ = p.ts_ns;
  if (p.ts_ns < prev_ts_) monotonic_ = false;
  prev_ts_ = p.ts_ns;
  first_ts_ = std::min(first_ts_, p.ts_ns);
  last_ts_ = std::max(last_ts_, p.ts_ns);
  ++packets_;
  end_offset_ = offset + kEpbOverhead + ((p.caplen + 3u) & ~3u);
}

SegmentIndex SegmentIndexBuilder::Snapshot(uint64_t segment_bytes) const {
  SegmentIndex ix;
  ix.segment_name = name_;
  ix.linktype = linktype_;
  ix.segment_bytes = segment_bytes;
  ix.packets = packets_;
  ix.first_ts_ns = first_ts_;
  ix.last_ts_ns = last_ts_;
  ix.monotonic = monotonic_;
  ix.conns = conns_;
  for (ConnRecord& c : ix.conns) c.offsets.reserve(c.total_packets());
  for (const auto& [id, off] : locs_) ix.conns[id].offsets.push_back(off);
  ix.time_map = blocks_;
  std::map<std::pair<uint8_t, std::string>, std::vector<uint32_t>> addrs;
  std::map<uint16_t, std::vector<uint32_t>> ports;
  for (uint32_t i = 0; i < ix.conns.size(); ++i) {
    const ConnRecord& c = ix.conns[i];
    if (c.has(ConnRecord::kNonIp)) continue;
    const FlowKey& k = c.key;
    auto add_addr = [&](const uint8_t* a) {
      auto& v = addrs[{k.ip_version, std::string(reinterpret_cast<const char*>(a), 16)}];
      if (v.empty() || v.back() != i) v.push_back(i);
    };
    add_addr(k.addr_lo);
    add_addr(k.addr_hi);
    if (k.kind == FlowKind::kTransport && (k.proto == 6 || k.proto == 17)) {
      for (uint16_t port : {k.port_lo, k.port_hi}) {
        auto& v = ports[port];
        if (v.empty() || v.back() != i) v.push_back(i);
      }
    }
  }
  for (auto& [key, v] : addrs) {
    AddressPosting a;
    a.ip_version = key.first;
    std::memcpy(a.addr, key.second.data(), 16);
    a.conns = std::move(v);
    ix.addresses.push_back(std::move(a));
  }
  for (auto& [port, v] : ports) ix.ports.push_back({port, std::move(v)});
  return ix;
}

}  // namespace trove
