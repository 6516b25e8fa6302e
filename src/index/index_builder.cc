#include "index/index_builder.h"

#include <algorithm>
#include <cstring>

#include "packet/decoder.h"
#include "packet/packet_flow.h"
#include "segment/pcapng_format.h"

namespace trove {

SegmentIndexBuilder::SegmentIndexBuilder(std::string segment_name, uint16_t linktype)
    : name_(std::move(segment_name)), linktype_(linktype) {}

namespace {

// Bytes of the link header before any tag on link types whose network layer
// libpcap finds at a fixed offset; -1 for the others.
int LinkHeaderBytes(uint16_t linktype) {
  switch (linktype) {
    case kLinkEthernet:
      return 14;
    case kLinkLinuxSll:
      return 16;
    case kLinkLinuxSll2:
      return 20;
    default:
      return -1;
  }
}

}  // namespace

bool IsUncertainForFilters(const PacketRef& p, const DecodedPacket& d, uint16_t linktype) {
  // IPv4 fragments: libpcap reads addresses and protocol from every one and
  // ports from the first (offset 0) only, as the decoder does; a later one
  // has a kFragment key without protocol (judged "maybe" for tcp/udp/icmp)
  // or ports (false for `port`, as in libpcap). IPv6: the fragment header
  // hides the protocol from libpcap's fixed-header tests.
  if (d.is_fragment && d.l3 != L3::kIPv4) return true;
  if (d.stop == DecodeStop::kFragment) {
    if (d.l3 != L3::kIPv4) return true;
  } else if (d.stop == DecodeStop::kTruncated) {
    // Cut (capture snaplen, class snaplen, the header cut past the cutoff)
    // after the first 4 bytes of the transport header: every byte that
    // libpcap's host/net/port/proto tests read is stored and decoded (and a
    // load past caplen rejects the whole packet), so the record judges it
    // exactly. A cut before that may leave a source port libpcap reads and
    // our key lacks.
    if (!d.has_ip() || d.l4_off == 0 || p.caplen < d.l4_off + 4u) return true;
  } else if (d.stop != DecodeStop::kNone && d.stop != DecodeStop::kUnknownL4) {
    return true;
  }
  if (d.ip_proto == 132) return true;  // SCTP: libpcap's `port` matches it, our key has no ports
  if (d.l3 == L3::kIPv6) {
    // libpcap's `tcp`/`port` look at the fixed header's next-header field
    // only; extension headers make our final protocol differ from it.
    const size_t nh = static_cast<size_t>(d.l3_off) + 6;
    if (nh >= p.caplen || p.data[nh] != d.ip_proto) return true;
  }
  // Tags: libpcap's `vlan` knows the TPIDs the decoder takes, its `mpls`
  // only 0x8847 and only on Ethernet here; the record keeps up to 3 of each.
  const int tags = d.vlan_depth + d.mpls_depth;
  if (tags != 0 && (linktype != kLinkEthernet || d.vlan_depth > ConnRecord::kMaxTagDepth ||
                    d.mpls_depth > ConnRecord::kMaxTagDepth))
    return true;
  // The network header right after the link header and the tags: not after
  // LLC/SNAP, where libpcap's `ip` (an ethertype test) is false.
  const int link = LinkHeaderBytes(linktype);
  if (link >= 0 && d.l3_off != link + 4 * tags) return true;
  if (d.mpls_depth != 0) {
    const size_t et = static_cast<size_t>(d.l3_off) - 4u * d.mpls_depth - 2;
    if (p.data[et] != 0x88 || p.data[et + 1] != 0x47) return true;  // not unicast MPLS
  }
  return false;
}

ConnRecord& SegmentIndexBuilder::RecordFor(const FlowRef& f, uint8_t stack, bool* fresh) {
  if (2 * (conns_.size() + 1) > slots_.size()) GrowSlots();
  const uint32_t tag = static_cast<uint32_t>(f.hash ^ (stack * 0x9E3779B97F4A7C15ull));
  for (uint64_t pos = tag & mask_;; pos = (pos + 1) & mask_) {
    ProbeSlot& s = slots_[pos];
    if (s.idx == ProbeSlot::kNil) {
      s = ProbeSlot{static_cast<uint32_t>(conns_.size()), tag};
      *fresh = true;
      conns_.emplace_back();
      conns_.back().key = f.key;
      stacks_.push_back(stack);
      return conns_.back();
    }
    if (s.tag == tag && conns_[s.idx].key == f.key && stacks_[s.idx] == stack) {
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

uint64_t IpBytesOf(const PacketRef& p, const DecodedPacket& d) {
  if (d.l3 != L3::kIPv4 && d.l3 != L3::kIPv6) return 0;
  const size_t at = static_cast<size_t>(d.l3_off) + (d.l3 == L3::kIPv4 ? 2 : 4);
  if (at + 2 > p.caplen) return 0;  // not reached: the decoder needs the fixed header
  const uint64_t len = static_cast<uint64_t>(p.data[at]) << 8 | p.data[at + 1];
  return d.l3 == L3::kIPv4 ? len : len + 40;
}

ConnRecord& SegmentIndexBuilder::Count(const PacketRef& p, const DecodedPacket& d, int* dir) {
  FlowRef scratch;
  const FlowRef* f = FlowOf(p, d, &scratch);
  const bool hi_to_lo = f != nullptr && f->src_is_hi;
  ConnRecord* r;
  bool fresh;
  if (f != nullptr) {
    // One record per flow and tag stack: libpcap judges a flow seen with
    // and without a VLAN tag (both sides of a trunk) differently.
    const uint8_t stack = ConnRecord::TagBits(std::min<int>(d.vlan_depth, ConnRecord::kMaxTagDepth),
                                              std::min<int>(d.mpls_depth, ConnRecord::kMaxTagDepth));
    r = &RecordFor(*f, stack, &fresh);
  } else {
    // ARP/RARP and other ethertypes that libpcap also sees as not IP,
    // untagged, vs. packets we could not decode (judged "maybe" for
    // everything).
    const bool plain = (d.l3 == L3::kArp || d.l3 == L3::kOther) && d.stop == DecodeStop::kNonIpL3 &&
                       d.vlan_depth == 0 && d.mpls_depth == 0;
    constexpr uint16_t kEthRarp = 0x8035;
    const bool arp = d.l3 == L3::kArp || d.ethertype == kEthRarp;
    const int which = !plain ? 1 : arp ? 0 : 2;
    int64_t& slot = non_ip_[which];
    fresh = slot < 0;
    if (fresh) {
      slot = static_cast<int64_t>(conns_.size());
      conns_.emplace_back();
      stacks_.push_back(0);
      conns_.back().flags = ConnRecord::kNonIp | (which == 1   ? ConnRecord::kUncertain
                                                  : which == 2 ? ConnRecord::kNoArp
                                                               : 0);
    }
    r = &conns_[static_cast<size_t>(slot)];
  }
  *dir = hi_to_lo ? 1 : 0;
  if (fresh) {
    r->first_ts_ns = r->last_ts_ns = p.ts_ns;
    if (hi_to_lo) r->flags |= ConnRecord::kOrigIsHi;
  }
  r->first_ts_ns = std::min(r->first_ts_ns, p.ts_ns);
  r->last_ts_ns = std::max(r->last_ts_ns, p.ts_ns);
  ++r->wire_packets[*dir];
  r->wire_bytes[*dir] += p.wirelen;
  r->ip_bytes[*dir] += IpBytesOf(p, d);
  return *r;
}

void SegmentIndexBuilder::AddNotStored(const PacketRef& p, const DecodedPacket& d) {
  int dir;
  Count(p, d, &dir);
}

void SegmentIndexBuilder::Add(const PacketRef& p, const DecodedPacket& d, uint64_t offset) {
  int dir;
  ConnRecord* r = &Count(p, d, &dir);
  // The record's first stored packet (it may already count packets that
  // were not stored): its tags are the record's.
  const bool fresh = r->total_packets() == 0;
  ++r->packets[dir];
  r->bytes[dir] += p.caplen;
  if (d.ip_proto == 6 && d.has_l4()) r->tcp_flags[dir] |= d.tcp_flags;
  if (d.past_cutoff) r->flags |= ConnRecord::kCut;
  if (!r->has(ConnRecord::kNonIp) && !r->has(ConnRecord::kUncertain)) {
    // A certain record: every packet certain, all with the first's tags.
    const uint8_t tags = ConnRecord::TagBits(d.vlan_depth, d.mpls_depth);
    if (IsUncertainForFilters(p, d, linktype_) ||
        (!fresh && (r->flags & ConnRecord::kTagMask) != tags))
      r->flags = static_cast<uint8_t>((r->flags & ~ConnRecord::kTagMask) | ConnRecord::kUncertain);
    else
      r->flags |= tags;
  }
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
  // Postings: every (address, record) and (port, record) pair, sorted (by
  // key, then record) and grouped, so each list comes out ascending; a
  // record with the same address (or port) at both ends is listed once.
  struct AddrRef {
    uint64_t hi, lo;  // the 16 address bytes, big-endian: compares as memcmp
    uint8_t version;
    uint32_t conn;
  };
  std::vector<AddrRef> addrs;
  std::vector<std::pair<uint16_t, uint32_t>> ports;
  addrs.reserve(2 * ix.conns.size());
  ports.reserve(2 * ix.conns.size());
  for (uint32_t i = 0; i < ix.conns.size(); ++i) {
    const ConnRecord& c = ix.conns[i];
    if (c.has(ConnRecord::kNonIp)) continue;
    const FlowKey& k = c.key;
    for (const uint8_t* a : {k.addr_lo, k.addr_hi}) {
      uint64_t hi, lo;
      std::memcpy(&hi, a, 8);
      std::memcpy(&lo, a + 8, 8);
      addrs.push_back({__builtin_bswap64(hi), __builtin_bswap64(lo), k.ip_version, i});
    }
    if (k.kind == FlowKind::kTransport && (k.proto == 6 || k.proto == 17)) {
      ports.emplace_back(k.port_lo, i);
      ports.emplace_back(k.port_hi, i);
    }
  }
  auto same_addr = [](const AddrRef& x, const AddrRef& y) {
    return x.version == y.version && x.hi == y.hi && x.lo == y.lo;
  };
  std::sort(addrs.begin(), addrs.end(), [](const AddrRef& x, const AddrRef& y) {
    if (x.version != y.version) return x.version < y.version;
    if (x.hi != y.hi) return x.hi < y.hi;
    return x.lo != y.lo ? x.lo < y.lo : x.conn < y.conn;
  });
  for (size_t b = 0; b < addrs.size();) {
    AddressPosting a;
    a.ip_version = addrs[b].version;
    const uint64_t be[2] = {__builtin_bswap64(addrs[b].hi), __builtin_bswap64(addrs[b].lo)};
    std::memcpy(a.addr, be, 16);
    size_t e = b;
    for (; e < addrs.size() && same_addr(addrs[e], addrs[b]); ++e)
      if (a.conns.empty() || a.conns.back() != addrs[e].conn) a.conns.push_back(addrs[e].conn);
    ix.addresses.push_back(std::move(a));
    b = e;
  }
  std::sort(ports.begin(), ports.end());
  for (size_t b = 0; b < ports.size();) {
    PortPosting pp;
    pp.port = ports[b].first;
    size_t e = b;
    for (; e < ports.size() && ports[e].first == pp.port; ++e)
      if (pp.conns.empty() || pp.conns.back() != ports[e].second)
        pp.conns.push_back(ports[e].second);
    ix.ports.push_back(std::move(pp));
    b = e;
  }
  return ix;
}

}  // namespace trove
