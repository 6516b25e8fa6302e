#include "query/planner.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "index/index_codec.h"

namespace trove {
namespace {

Tri Not(Tri t) { return static_cast<Tri>(2 - static_cast<int>(t)); }
Tri And(Tri a, Tri b) { return std::min(a, b); }
Tri Or(Tri a, Tri b) { return std::max(a, b); }

bool PrefixMatch(const uint8_t* a, const FilterExpr& e) {
  // Compare within the family: IPv4 lives in bytes 12..15 of the mapped form.
  const int start = e.ip_version == 4 ? 12 : 0;
  int bits = e.prefix_bits;
  for (int i = start; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (e.addr[i] & mask)) return false;
  }
  return true;
}

Tri Directional(bool lo, bool hi, FilterExpr::Dir dir) {
  switch (dir) {
    case FilterExpr::Dir::kAny:
      return (lo || hi) ? Tri::kTrue : Tri::kFalse;
    case FilterExpr::Dir::kSrc:
    case FilterExpr::Dir::kDst:
      // The record holds both directions: one matching end is "maybe".
      return (lo && hi) ? Tri::kTrue : (lo || hi) ? Tri::kMaybe : Tri::kFalse;
    case FilterExpr::Dir::kSrcAndDst:
      return (lo && hi) ? Tri::kTrue : Tri::kFalse;
  }
  return Tri::kMaybe;
}

// How libpcap's tests of a primitive compiled after `j` vlan and `m` mpls
// keywords see a packet carrying V VLAN tags, then M MPLS labels, then IP
// (libpcap moves the link type test 4 bytes per `vlan`, the network layer
// 4 bytes per `mpls`, and after `mpls` tests "IP" as the previous label's
// bottom-of-stack bit plus the version nibble). Checked against tcpdump
// (tests/integration/test_query_tags.py).
enum class TagFit { kExact, kNotIp, kUnknown };
TagFit FitTags(int j, int m, int V, int M) {
  if (j == V && m == M) return TagFit::kExact;
  // The ethertype read is a VLAN TPID (j < V) or 0x8847 (j == V, M > 0).
  if (m == 0 && (j < V || (j == V && M > 0))) return TagFit::kNotIp;
  if (j == V && m < M) return TagFit::kNotIp;  // label m's bottom-of-stack bit is clear
  return TagFit::kUnknown;                      // reads other bytes as tags
}

// `vlan [id]` / `mpls [label]` primitives on a certain IP record.
Tri EvalTag(const FilterExpr& e, const ConnRecord& r) {
  const int j = e.vlans_before, m = e.mpls_before, V = r.vlan_depth(), M = r.mpls_depth();
  const Tri hit = e.has_tag_id ? Tri::kMaybe : Tri::kTrue;  // ids are not in the record
  if (e.op == FilterExpr::Op::kVlan) {
    if (m != 0 || j > V) return Tri::kMaybe;
    return j < V ? hit : Tri::kFalse;  // the ethertype at j: a TPID, or 0x8847 / IP
  }
  if (j != V) return j < V && m == 0 ? Tri::kFalse : Tri::kMaybe;  // a TPID is not 0x8847
  if (m == 0) return M > 0 ? hit : Tri::kFalse;                   // the ethertype after the tags
  if (m < M) return hit;                                           // label m-1 is not the bottom
  return m == M ? Tri::kFalse : Tri::kMaybe;
}

}  // namespace

Tri EvalOnRecord(const FilterExpr& e, const ConnRecord& r) {
  using Op = FilterExpr::Op;
  switch (e.op) {
    case Op::kAnd:
      return And(EvalOnRecord(e.kids[0], r), EvalOnRecord(e.kids[1], r));
    case Op::kOr:
      return Or(EvalOnRecord(e.kids[0], r), EvalOnRecord(e.kids[1], r));
    case Op::kNot:
      return Not(EvalOnRecord(e.kids[0], r));
    default:
      break;
  }
  if (r.has(ConnRecord::kUncertain)) return Tri::kMaybe;
  const bool tagged_expr = e.vlans_before != 0 || e.mpls_before != 0;
  if (r.has(ConnRecord::kNonIp)) {  // ARP & co: `host`/`net` may match them
    // Untagged (tagged non-IP frames are uncertain): the ethertype libpcap
    // reads first is not a VLAN TPID or 0x8847.
    if (e.op == Op::kVlan || e.op == Op::kMpls) return tagged_expr ? Tri::kMaybe : Tri::kFalse;
    if (tagged_expr) return Tri::kMaybe;
    if (r.has(ConnRecord::kNoArp)) return Tri::kFalse;
    return (e.op == Op::kHost || e.op == Op::kNet) ? Tri::kMaybe : Tri::kFalse;
  }
  if (e.op == Op::kVlan || e.op == Op::kMpls) return EvalTag(e, r);
  switch (FitTags(e.vlans_before, e.mpls_before, r.vlan_depth(), r.mpls_depth())) {
    case TagFit::kExact:
      break;
    case TagFit::kNotIp:
      return Tri::kFalse;  // every primitive here tests for IP first
    case TagFit::kUnknown:
      return Tri::kMaybe;
  }
  const FlowKey& k = r.key;
  switch (e.op) {
    case Op::kHost:
      if (k.ip_version != e.ip_version) return Tri::kFalse;
      return Directional(std::memcmp(k.addr_lo, e.addr, 16) == 0,
                         std::memcmp(k.addr_hi, e.addr, 16) == 0, e.dir);
    case Op::kNet:
      if (k.ip_version != e.ip_version) return Tri::kFalse;
      return Directional(PrefixMatch(k.addr_lo, e), PrefixMatch(k.addr_hi, e), e.dir);
    case Op::kPort:
      if (k.kind != FlowKind::kTransport || (k.proto != 6 && k.proto != 17)) return Tri::kFalse;
      return Directional(k.port_lo == e.port, k.port_hi == e.port, e.dir);
    case Op::kProto:
      if (e.proto == FilterExpr::kProtoIp) return k.ip_version == 4 ? Tri::kTrue : Tri::kFalse;
      if (e.proto == FilterExpr::kProtoIp6) return k.ip_version == 6 ? Tri::kTrue : Tri::kFalse;
      if (e.proto == 1 && k.ip_version != 4) return Tri::kFalse;
      if (e.proto == 58 && k.ip_version != 6) return Tri::kFalse;
      if (k.kind == FlowKind::kFragment) return Tri::kMaybe;  // protocol not in the key
      return k.proto == e.proto ? Tri::kTrue : Tri::kFalse;
    default:
      return Tri::kMaybe;
  }
}

Tri EvalOnSummary(const FilterExpr& e, const SegmentSummary& s) {
  using Op = FilterExpr::Op;
  switch (e.op) {
    case Op::kAnd:
      return And(EvalOnSummary(e.kids[0], s), EvalOnSummary(e.kids[1], s));
    case Op::kOr:
      return Or(EvalOnSummary(e.kids[0], s), EvalOnSummary(e.kids[1], s));
    case Op::kNot:
      return Not(EvalOnSummary(e.kids[0], s));
    default:
      break;
  }
  if (s.has_uncertain) return Tri::kMaybe;
  // After `vlan`/`mpls` the tests read other bytes of untagged packets.
  if (e.vlans_before != 0 || e.mpls_before != 0) return Tri::kMaybe;
  if (s.has_non_ip && (e.op == Op::kHost || e.op == Op::kNet)) return Tri::kMaybe;
  auto present = [&](const std::string& key) {
    return s.keys.MayContain(key) ? Tri::kMaybe : Tri::kFalse;
  };
  switch (e.op) {
    case Op::kHost:
      return present(AddressKey(e.ip_version, e.addr));
    case Op::kNet:
      return present(VersionKey(e.ip_version));
    case Op::kPort:
      return present(PortKey(e.port));
    case Op::kProto:
      if (e.proto == FilterExpr::kProtoIp) return present(VersionKey(4));
      if (e.proto == FilterExpr::kProtoIp6) return present(VersionKey(6));
      return present(ProtoKey(static_cast<uint8_t>(e.proto)));
    default:
      return Tri::kMaybe;
  }
}

namespace {

std::vector<uint32_t> Merge(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                            bool intersect) {
  std::vector<uint32_t> out;
  if (intersect)
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  else
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// The lowest and highest address of e's network, in the v4-mapped form.
void NetBounds(const FilterExpr& e, uint8_t lo[16], uint8_t hi[16]) {
  std::memcpy(lo, e.addr, 16);
  std::memcpy(hi, e.addr, 16);
  const int start = e.ip_version == 4 ? 12 : 0;
  int bits = e.prefix_bits;
  for (int i = start; i < 16; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8   ? 0xff
                         : bits <= 0 ? 0
                                     : static_cast<uint8_t>(0xff << (8 - bits));
    lo[i] = static_cast<uint8_t>(e.addr[i] & mask);
    hi[i] = static_cast<uint8_t>(e.addr[i] | ~mask);
  }
}

}  // namespace

Result<std::optional<std::vector<uint32_t>>> PostingCandidates(IndexView& v, const FilterExpr& e) {
  using Op = FilterExpr::Op;
  using Ids = std::optional<std::vector<uint32_t>>;
  if (!v.has_postings()) return Ids{};
  switch (e.op) {
    case Op::kAnd:
    case Op::kOr: {
      TROVE_ASSIGN_OR_RETURN(Ids a, PostingCandidates(v, e.kids[0]));
      TROVE_ASSIGN_OR_RETURN(Ids b, PostingCandidates(v, e.kids[1]));
      if (e.op == Op::kAnd) {
        if (!a) return b;
        if (!b) return a;
        return Ids{Merge(*a, *b, true)};
      }
      if (!a || !b) return Ids{};
      return Ids{Merge(*a, *b, false)};
    }
    case Op::kHost:
    case Op::kNet:
    case Op::kPort:
      // After `vlan`/`mpls`, records with other tag stacks may be "maybe"
      // without the address or port.
      if (e.vlans_before != 0 || e.mpls_before != 0) return Ids{};
      break;
    default:
      return Ids{};  // not, proto, vlan, ...: no posting bounds them
  }
  std::vector<uint32_t> leaf;
  if (e.op == Op::kPort) {
    TROVE_ASSIGN_OR_RETURN(leaf, v.PortIds(e.port));
  } else {
    uint8_t lo[16], hi[16];
    if (e.op == Op::kHost) {
      std::memcpy(lo, e.addr, 16);
      std::memcpy(hi, e.addr, 16);
    } else {
      NetBounds(e, lo, hi);
    }
    TROVE_ASSIGN_OR_RETURN(leaf, v.AddressRangeIds(e.ip_version, lo, hi));
  }
  TROVE_ASSIGN_OR_RETURN(std::vector<uint32_t> special, v.Special());
  return Ids{Merge(leaf, special, false)};
}

Result<CandidateSet> SelectCandidates(const SegmentIndex& ix, const std::optional<FilterExpr>& e,
                                      const TimeRange& range) {
  auto v = IndexView::Of(&ix);
  return SelectCandidates(*v, e, range);
}

Result<CandidateSet> SelectCandidates(IndexView& v, const std::optional<FilterExpr>& e,
                                      const TimeRange& range) {
  CandidateSet c;
  c.records = v.record_count();
  TROVE_ASSIGN_OR_RETURN(const std::vector<TimeBlock> time_map, v.TimeMap());
  // Time-map blocks outside the range, as offset intervals to skip.
  std::vector<std::pair<uint64_t, uint64_t>> skip;  // [from, to)
  for (size_t i = 0; i < time_map.size(); ++i) {
    const TimeBlock& b = time_map[i];
    if (range.Overlaps(b.min_ts_ns, b.max_ts_ns)) continue;
    ++c.blocks_skipped;
    const uint64_t end = i + 1 < time_map.size() ? time_map[i + 1].offset : UINT64_MAX;
    if (!skip.empty() && skip.back().second == b.offset)
      skip.back().second = end;
    else
      skip.emplace_back(b.offset, end);
  }
  auto skipped = [&](uint64_t off) {
    auto it = std::upper_bound(
        skip.begin(), skip.end(), off,
        [](uint64_t x, const std::pair<uint64_t, uint64_t>& s) { return x < s.first; });
    return it != skip.begin() && off < std::prev(it)->second;
  };
  std::optional<std::vector<uint32_t>> ids;
  if (e) {
    TROVE_ASSIGN_OR_RETURN(ids, PostingCandidates(v, *e));
  }
  const size_t n = ids ? ids->size() : v.record_count();
  for (size_t j = 0; j < n; ++j) {
    TROVE_ASSIGN_OR_RETURN(ConnRecord r, v.Record(ids ? (*ids)[j] : static_cast<uint32_t>(j)));
    if (!range.Overlaps(r.first_ts_ns, r.last_ts_ns)) continue;
    if (e && EvalOnRecord(*e, r) == Tri::kFalse) continue;
    ++c.candidate_records;
    TROVE_ASSIGN_OR_RETURN(std::vector<uint64_t> offsets, v.Offsets(r));
    for (uint64_t off : offsets)
      if (skip.empty() || !skipped(off)) c.offsets.push_back(off);
  }
  std::sort(c.offsets.begin(), c.offsets.end());
  return c;
}

}  // namespace trove
