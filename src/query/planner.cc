#include "query/planner.h"

#include <algorithm>
#include <cstring>

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
  if (r.has(ConnRecord::kNonIp))  // ARP & co: `host`/`net` may match them
    return (e.op == Op::kHost || e.op == Op::kNet) ? Tri::kMaybe : Tri::kFalse;
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

Result<CandidateSet> SelectCandidates(const SegmentIndex& ix, const std::optional<FilterExpr>& e,
                                      const TimeRange& range) {
  CandidateSet c;
  c.records = ix.conns.size();
  // Time-map blocks outside the range, as offset intervals to skip.
  std::vector<std::pair<uint64_t, uint64_t>> skip;  // [from, to)
  for (size_t i = 0; i < ix.time_map.size(); ++i) {
    const TimeBlock& b = ix.time_map[i];
    if (range.Overlaps(b.min_ts_ns, b.max_ts_ns)) continue;
    ++c.blocks_skipped;
    const uint64_t end = i + 1 < ix.time_map.size() ? ix.time_map[i + 1].offset : UINT64_MAX;
    if (!skip.empty() && skip.back().second == b.offset)
      skip.back().second = end;
    else
      skip.emplace_back(b.offset, end);
  }
  auto skipped = [&](uint64_t off) {
    auto it = std::upper_bound(
        skip.begin(), skip.end(), off,
        [](uint64_t v, const std::pair<uint64_t, uint64_t>& s) { return v < s.first; });
    return it != skip.begin() && off < std::prev(it)->second;
  };
  for (const ConnRecord& r : ix.conns) {
    if (!range.Overlaps(r.first_ts_ns, r.last_ts_ns)) continue;
    if (e && EvalOnRecord(*e, r) == Tri::kFalse) continue;
    ++c.candidate_records;
    TROVE_ASSIGN_OR_RETURN(std::vector<uint64_t> offsets, RecordOffsets(ix, r));
    for (uint64_t off : offsets)
      if (skip.empty() || !skipped(off)) c.offsets.push_back(off);
  }
  std::sort(c.offsets.begin(), c.offsets.end());
  return c;
}

}  // namespace trove
