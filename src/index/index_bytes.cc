#include "index/index_bytes.h"

#include "util/sha256.h"

namespace trove::index_internal {

uint64_t Checksum8(const uint8_t* p, size_t n) {
  Sha256 h;
  h.Update(p, n);
  const std::string hex = h.HexDigest();
  uint64_t v = 0;
  for (int i = 0; i < 16; ++i) {
    char c = hex[static_cast<size_t>(i)];
    v = (v << 4) | static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return v;
}

void PutIds(Writer& w, const std::vector<uint32_t>& ids) {
  w.Var(ids.size());
  uint32_t prev = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    w.Var(i == 0 ? ids[i] : ids[i] - prev);
    prev = ids[i];
  }
}

std::vector<uint32_t> GetIds(Reader& r, size_t nconns, const char* what) {
  std::vector<uint32_t> ids;
  uint64_t n = r.Count(r.Var(what), 1, what);
  ids.reserve(n);
  uint64_t cur = 0;
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    uint64_t d = r.Var(what);
    if (i > 0 && d == 0) r.Fail(std::string(what) + ": record ids not ascending");
    cur = i == 0 ? d : cur + d;
    if (cur >= nconns)
      r.Fail(std::string(what) + ": record id " + std::to_string(cur) + " out of range (" +
             std::to_string(nconns) + " records)");
    ids.push_back(static_cast<uint32_t>(cur));
  }
  if (!r.ok()) ids.clear();
  return ids;
}

void PutMeta(Writer& w, const SegmentIndex& ix) {
  w.U16(static_cast<uint16_t>(ix.segment_name.size()));
  w.Bytes(ix.segment_name.data(), ix.segment_name.size());
  w.U16(ix.linktype);
  w.U64(ix.segment_bytes);
  w.U64(ix.packets);
  w.I64(ix.first_ts_ns);
  w.I64(ix.last_ts_ns);
  w.U8(ix.monotonic ? 1 : 0);
}

void GetMeta(Reader& r, SegmentIndex* ix) {
  const uint64_t name_len = r.Fixed(2, "name length");
  if (r.Need(name_len, "segment name")) {
    ix->segment_name.resize(name_len);
    r.Bytes(ix->segment_name.data(), name_len, "segment name");
  }
  ix->linktype = static_cast<uint16_t>(r.Fixed(2, "linktype"));
  ix->segment_bytes = r.Fixed(8, "segment bytes");
  ix->packets = r.Fixed(8, "packets");
  ix->first_ts_ns = static_cast<int64_t>(r.Fixed(8, "first ts"));
  ix->last_ts_ns = static_cast<int64_t>(r.Fixed(8, "last ts"));
  const uint64_t body_flags = r.Fixed(1, "body flags");
  if (r.ok() && body_flags > 1) r.Fail("body flags " + std::to_string(body_flags) + " unknown");
  ix->monotonic = body_flags & 1;
}

void PutRecord(Writer& b, const ConnRecord& c, int64_t base_ts_ns, uint32_t version) {
  const FlowKey& k = c.key;
  b.Bytes(k.addr_lo, 16);
  b.Bytes(k.addr_hi, 16);
  b.U16(k.port_lo);
  b.U16(k.port_hi);
  b.U32(k.frag_id);
  b.U8(k.proto);
  b.U8(k.ip_version);
  b.U8(static_cast<uint8_t>(k.kind));
  b.U8(c.flags);
  b.U8(c.tcp_flags[0]);
  b.U8(c.tcp_flags[1]);
  b.SVar(c.first_ts_ns - base_ts_ns);
  b.Var(static_cast<uint64_t>(c.last_ts_ns - c.first_ts_ns));
  b.Var(c.packets[0]);
  b.Var(c.packets[1]);
  b.Var(c.bytes[0]);
  b.Var(c.bytes[1]);
  if (version >= 4) {
    // Wire counts as differences (mostly 0, or the link headers), zigzag so
    // any value round-trips.
    for (int d = 0; d < 2; ++d) {
      b.SVar(static_cast<int64_t>(c.wire_packets[d] - c.packets[d]));
      b.SVar(static_cast<int64_t>(c.wire_bytes[d] - c.bytes[d]));
      b.SVar(static_cast<int64_t>(c.wire_bytes[d] - c.ip_bytes[d]));
    }
  }
  // offsets: count, (v2+) their byte length, then deltas (first absolute)
  b.Var(c.offsets.size());
  Writer offs;
  uint64_t prev = 0;
  for (uint64_t o : c.offsets) {
    offs.Var(o - prev);
    prev = o;
  }
  if (version >= 2) b.Var(offs.str().size());
  b.Bytes(offs.str().data(), offs.str().size());
}

void ReadOffsets(Reader& r, uint64_t n, uint64_t segment_bytes, std::vector<uint64_t>* out) {
  out->reserve(n);
  uint64_t cur = 0;
  for (uint64_t j = 0; j < n && r.ok(); ++j) {
    const uint64_t d = r.Var("offset");
    if (j > 0 && d == 0) r.Fail("offsets not ascending");
    cur += d;
    if (segment_bytes != 0 && cur >= segment_bytes)
      r.Fail("offset " + std::to_string(cur) + " beyond the segment size " +
             std::to_string(segment_bytes));
    out->push_back(cur);
  }
}

ConnRecord GetRecord(Reader& r, int64_t base_ts_ns, uint32_t version, bool defer_offsets,
                     uint64_t segment_bytes, size_t file_base) {
  ConnRecord c;
  FlowKey& k = c.key;
  r.Bytes(k.addr_lo, 16, "record address");
  r.Bytes(k.addr_hi, 16, "record address");
  k.port_lo = static_cast<uint16_t>(r.Fixed(2, "record port"));
  k.port_hi = static_cast<uint16_t>(r.Fixed(2, "record port"));
  k.frag_id = static_cast<uint32_t>(r.Fixed(4, "record fragment id"));
  k.proto = static_cast<uint8_t>(r.Fixed(1, "record protocol"));
  k.ip_version = static_cast<uint8_t>(r.Fixed(1, "record ip version"));
  const uint64_t kind = r.Fixed(1, "record kind");
  if (r.ok() && kind > 2) r.Fail("record kind " + std::to_string(kind) + " unknown");
  k.kind = static_cast<FlowKind>(kind);
  c.flags = static_cast<uint8_t>(r.Fixed(1, "record flags"));
  if (r.ok() && (c.flags & ConnRecord::kNonIp) && (c.flags & ConnRecord::kTagMask & ~ConnRecord::kNoArp))
    r.Fail("record flags " + std::to_string(c.flags) + ": a tag stack on a non-IP record");
  if (r.ok() && !(c.flags & ConnRecord::kNonIp) && k.ip_version != 4 && k.ip_version != 6)
    r.Fail("record ip version " + std::to_string(k.ip_version));
  c.tcp_flags[0] = static_cast<uint8_t>(r.Fixed(1, "record tcp flags"));
  c.tcp_flags[1] = static_cast<uint8_t>(r.Fixed(1, "record tcp flags"));
  c.first_ts_ns = r.Add(base_ts_ns, r.SVar("record first ts"), "record first ts");
  const uint64_t duration = r.Var("record duration");
  if (r.ok() && duration > static_cast<uint64_t>(INT64_MAX)) r.Fail("record duration out of range");
  c.last_ts_ns =
      r.Add(c.first_ts_ns, static_cast<int64_t>(duration & INT64_MAX), "record duration");
  c.packets[0] = r.Var("record packets");
  c.packets[1] = r.Var("record packets");
  c.bytes[0] = r.Var("record bytes");
  c.bytes[1] = r.Var("record bytes");
  for (int d = 0; d < 2; ++d) {
    if (version < 4) {  // stored counts only
      c.wire_packets[d] = c.packets[d];
      c.wire_bytes[d] = c.bytes[d];
      continue;
    }
    c.wire_packets[d] = c.packets[d] + static_cast<uint64_t>(r.SVar("record wire packets"));
    c.wire_bytes[d] = c.bytes[d] + static_cast<uint64_t>(r.SVar("record wire bytes"));
    c.ip_bytes[d] = c.wire_bytes[d] - static_cast<uint64_t>(r.SVar("record ip bytes"));
    if (r.ok() && c.wire_packets[d] < c.packets[d])
      r.Fail("record has " + std::to_string(c.wire_packets[d]) + " wire packets but " +
             std::to_string(c.packets[d]) + " stored");
  }
  const uint64_t n = r.Count(r.Var("offset count"), 1, "offsets");
  if (r.ok() && n != c.packets[0] + c.packets[1])
    r.Fail("record has " + std::to_string(n) + " offsets for " +
           std::to_string(c.packets[0] + c.packets[1]) + " packets");
  // v2+ gives the offsets' byte length: skipping them is O(1).
  const uint64_t offs_len = version >= 2 ? r.Var("offsets length") : 0;
  if (version >= 2 && r.ok() && (offs_len < n || offs_len > r.left() || (n == 0 && offs_len)))
    r.Fail("offsets length " + std::to_string(offs_len) + " impossible for " + std::to_string(n) +
           " offsets here");
  const size_t offs_start = r.pos();
  if (defer_offsets) {
    c.offsets_at = file_base + r.pos();
    c.offsets_bytes = offs_len;
    if (version >= 2)
      r.Skip(static_cast<size_t>(offs_len));
    else
      r.SkipVars(n, "offset");
  } else {
    ReadOffsets(r, n, segment_bytes, &c.offsets);
    if (version >= 2 && r.ok() && r.pos() - offs_start != offs_len)
      r.Fail("offsets take " + std::to_string(r.pos() - offs_start) + " bytes, not " +
             std::to_string(offs_len));
  }
  return c;
}

}  // namespace trove::index_internal
