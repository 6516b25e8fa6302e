#include "index/index_codec.h"

#include <bit>
#include <cstdint>
#include <cstring>

#include "index/index_bytes.h"
#include "index/index_view.h"

namespace trove {

using namespace index_internal;

namespace {

constexpr uint32_t kChunkBytes = 4096;

// Version 3 (index_view.h reads it): a directory with the counts, the
// section starts and one checksum per chunk, then the sections.
std::string EncodeV3(const SegmentIndex& ix, uint32_t version);
Result<SegmentIndex> DecodeV3(const uint8_t* data, size_t len, const std::string& path,
                              const IndexDecodeOptions& opts);
void PutHeader(Writer& h, uint32_t version, uint64_t body_len, uint64_t sum);

// Keeps the file for RecordOffsets() (IndexDecodeOptions::defer_offsets).
void AttachDeferred(SegmentIndex* ix, const IndexDecodeOptions& opts, const uint8_t* data,
                    size_t len, const std::string& path) {
  auto d = std::make_shared<SegmentIndex::Deferred>();
  d->owner = opts.owner;
  d->data = data;
  d->len = len;
  d->path = path;
  ix->deferred = std::move(d);
}

}  // namespace

std::string EncodeSegmentIndex(const SegmentIndex& ix, uint32_t version) {
  if (version >= 3) return EncodeV3(ix, version);
  Writer b;
  PutMeta(b, ix);
  b.U32(static_cast<uint32_t>(ix.conns.size()));
  for (const ConnRecord& c : ix.conns) PutRecord(b, c, ix.first_ts_ns, version);
  b.U32(static_cast<uint32_t>(ix.addresses.size()));
  for (const AddressPosting& a : ix.addresses) {
    b.U8(a.ip_version);
    b.Bytes(a.addr, 16);
    PutIds(b, a.conns);
  }
  b.U32(static_cast<uint32_t>(ix.ports.size()));
  for (const PortPosting& p : ix.ports) {
    b.U16(p.port);
    PutIds(b, p.conns);
  }
  b.U32(static_cast<uint32_t>(ix.time_map.size()));
  for (const TimeBlock& t : ix.time_map) {
    b.U64(t.offset);
    b.I64(t.min_ts_ns);
    b.I64(t.max_ts_ns);
    b.U32(t.packets);
  }
  std::string& body = b.str();

  Writer h;
  PutHeader(h, version, body.size(),
            Checksum8(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  return h.str() + body;
}

namespace {

void PutHeader(Writer& h, uint32_t version, uint64_t body_len, uint64_t sum) {
  h.Bytes(kIndexMagic, 8);
  h.U32(version);
  h.U32(0);  // flags
  h.U64(body_len);
  // The first 8 bytes of the SHA-256 digest, in digest order.
  for (int i = 0; i < 8; ++i) h.U8(static_cast<uint8_t>(sum >> (56 - 8 * i)));
}

std::string EncodeV3(const SegmentIndex& ix, uint32_t version) {
  // Sections 0..6: record directory, records, address directory, port
  // directory, postings, special list, time map.
  Writer sec[7];
  for (const ConnRecord& c : ix.conns) {
    sec[0].U64(sec[1].str().size());
    PutRecord(sec[1], c, ix.first_ts_ns, version);
  }
  for (const AddressPosting& a : ix.addresses) {
    sec[2].U8(a.ip_version);
    sec[2].Bytes(a.addr, 16);
    sec[2].U8(0);
    sec[2].U16(0);
    sec[2].U32(static_cast<uint32_t>(sec[4].str().size()));
    PutIds(sec[4], a.conns);
  }
  for (const PortPosting& p : ix.ports) {
    sec[3].U16(p.port);
    sec[3].U16(0);
    sec[3].U32(static_cast<uint32_t>(sec[4].str().size()));
    PutIds(sec[4], p.conns);
  }
  std::vector<uint32_t> special;
  for (uint32_t i = 0; i < ix.conns.size(); ++i)
    if (ix.conns[i].flags & (ConnRecord::kUncertain | ConnRecord::kNonIp)) special.push_back(i);
  PutIds(sec[5], special);
  for (const TimeBlock& t : ix.time_map) {
    sec[6].U64(t.offset);
    sec[6].I64(t.min_ts_ns);
    sec[6].I64(t.max_ts_ns);
    sec[6].U32(t.packets);
  }
  std::string rest;
  for (Writer& w : sec) rest += w.str();
  const uint64_t nchunks = (rest.size() + kChunkBytes - 1) / kChunkBytes;
  const uint64_t dir_len = 4 + MetaBytes(ix) + 4 * 4 + 8 * 8 + 4 + 4 + 8 * nchunks;
  Writer d;
  d.U32(static_cast<uint32_t>(dir_len));
  PutMeta(d, ix);
  d.U32(static_cast<uint32_t>(ix.conns.size()));
  d.U32(static_cast<uint32_t>(ix.addresses.size()));
  d.U32(static_cast<uint32_t>(ix.ports.size()));
  d.U32(static_cast<uint32_t>(ix.time_map.size()));
  uint64_t at = dir_len;
  for (Writer& w : sec) {
    d.U64(at);
    at += w.str().size();
  }
  d.U64(at);
  d.U32(kChunkBytes);
  d.U32(static_cast<uint32_t>(nchunks));
  const auto* r = reinterpret_cast<const uint8_t*>(rest.data());
  for (uint64_t k = 0; k < nchunks; ++k) {
    const uint64_t a = k * kChunkBytes, n = std::min<uint64_t>(kChunkBytes, rest.size() - a);
    const uint64_t sum = Checksum8(r + a, n);
    for (int i = 0; i < 8; ++i) d.U8(static_cast<uint8_t>(sum >> (56 - 8 * i)));
  }
  Writer h;
  PutHeader(h, version, dir_len + rest.size(),
            Checksum8(reinterpret_cast<const uint8_t*>(d.str().data()), d.str().size()));
  return h.str() + d.str() + rest;
}

// The full decoder of version 3: every record, posting and block through
// the view, plus the checks a random-access reader leaves out (postings
// sorted, the special list exact, the packet total).
Result<SegmentIndex> DecodeV3(const uint8_t* data, size_t len, const std::string& path,
                              const IndexDecodeOptions& opts) {
  TROVE_ASSIGN_OR_RETURN(auto v, IndexView::Open(opts.owner, data, len, path));
  if (opts.verify_checksum)
    TROVE_RETURN_IF_ERROR(v->VerifyAll());
  else
    v->set_verify(false);
  SegmentIndex ix = v->meta();
  ix.decoded_version = v->version();
  auto fail = [&](const std::string& what) {
    return Status::Corruption("index " + path + ": " + what);
  };
  ix.conns.reserve(v->record_count());
  uint64_t total = 0;
  std::vector<uint32_t> special;
  for (uint32_t i = 0; i < v->record_count(); ++i) {
    TROVE_ASSIGN_OR_RETURN(ConnRecord c, v->Record(i));
    if (!opts.defer_offsets) {
      TROVE_ASSIGN_OR_RETURN(c.offsets, v->Offsets(c));
      c.offsets_at = c.offsets_bytes = 0;
    }
    if (c.flags & (ConnRecord::kUncertain | ConnRecord::kNonIp)) special.push_back(i);
    total += c.total_packets();
    ix.conns.push_back(std::move(c));
  }
  if (total != ix.packets)
    return fail("records hold " + std::to_string(total) + " packets, header says " +
                std::to_string(ix.packets));
  TROVE_ASSIGN_OR_RETURN(std::vector<uint32_t> listed, v->Special());
  if (listed != special) return fail("special record list disagrees with the record flags");
  if (opts.postings) {
    for (uint32_t k = 0; k < v->address_count(); ++k) {
      TROVE_ASSIGN_OR_RETURN(AddressPosting a, v->AddressAt(k));
      if (!ix.addresses.empty()) {
        const AddressPosting& p = ix.addresses.back();
        if (p.ip_version > a.ip_version ||
            (p.ip_version == a.ip_version && std::memcmp(p.addr, a.addr, 16) >= 0))
          return fail("address postings not sorted at entry " + std::to_string(k));
      }
      ix.addresses.push_back(std::move(a));
    }
    for (uint32_t k = 0; k < v->port_count(); ++k) {
      TROVE_ASSIGN_OR_RETURN(PortPosting p, v->PortAt(k));
      if (!ix.ports.empty() && ix.ports.back().port >= p.port)
        return fail("port postings not sorted at entry " + std::to_string(k));
      ix.ports.push_back(std::move(p));
    }
  }
  TROVE_ASSIGN_OR_RETURN(ix.time_map, v->TimeMap());
  if (opts.defer_offsets) AttachDeferred(&ix, opts, data, len, path);
  return ix;
}

}  // namespace

Result<std::vector<uint64_t>> RecordOffsets(const SegmentIndex& ix, const ConnRecord& r) {
  const uint64_t n = r.total_packets();
  if (!ix.deferred || !r.offsets.empty() || n == 0) return r.offsets;
  const SegmentIndex::Deferred& d = *ix.deferred;
  if (r.offsets_at < kIndexHeaderBytes || r.offsets_at > d.len)
    return Status::Corruption("index " + d.path + ": record offsets at " +
                              std::to_string(r.offsets_at) + " outside the file");
  const size_t at = static_cast<size_t>(r.offsets_at);
  Reader rd(d.data + at, d.len - at, at, d.path);
  std::vector<uint64_t> out;
  ReadOffsets(rd, n, ix.segment_bytes, &out);
  if (rd.ok() && r.offsets_bytes && rd.pos() != r.offsets_bytes)
    rd.Fail("offsets take " + std::to_string(rd.pos()) + " bytes, not " +
            std::to_string(r.offsets_bytes));
  if (!rd.ok()) return rd.status();
  return out;
}

Result<SegmentIndex> DecodeSegmentIndex(const uint8_t* data, size_t len, const std::string& path,
                                        const IndexDecodeOptions& opts) {
  Reader hr(data, len, 0, path);
  char magic[8] = {};
  hr.Bytes(magic, 8, "magic");
  if (hr.ok() && std::memcmp(magic, kIndexMagic, 8) != 0) {
    return Status::Corruption("index " + path +
                              ": corrupt at offset 0: bad magic (not a trove index)");
  }
  const uint32_t version = static_cast<uint32_t>(hr.Fixed(4, "version"));
  if (hr.ok() && (version < 1 || version > kIndexVersion))
    return Status::Corruption("index " + path + ": corrupt at offset 8: unsupported version " +
                              std::to_string(version) + " (this trove reads versions 1 to " +
                              std::to_string(kIndexVersion) + ")");
  if (version >= 3) return DecodeV3(data, len, path, opts);
  hr.Fixed(4, "flags");
  const uint64_t body_len = hr.Fixed(8, "body length");
  uint8_t sum_bytes[8] = {};
  hr.Bytes(sum_bytes, 8, "checksum");
  if (!hr.ok()) return hr.status();
  uint64_t sum = 0;
  for (uint8_t b : sum_bytes) sum = sum << 8 | b;
  if (body_len != len - kIndexHeaderBytes)
    return Status::Corruption("index " + path + ": corrupt at offset 16: body length " +
                              std::to_string(body_len) + " but the file holds " +
                              std::to_string(len - kIndexHeaderBytes) + " bytes after the header");
  const uint8_t* body = data + kIndexHeaderBytes;
  if (opts.verify_checksum && Checksum8(body, body_len) != sum)
    return Status::Corruption("index " + path +
                              ": corrupt at offset 24: checksum mismatch over bytes " +
                              std::to_string(kIndexHeaderBytes) + ".." + std::to_string(len));

  Reader r(body, body_len, kIndexHeaderBytes, path);
  SegmentIndex ix;
  ix.decoded_version = version;
  GetMeta(r, &ix);
  const uint64_t nconns = r.Count(r.Fixed(4, "record count"), kRecordFixedBytes, "records");
  ix.conns.reserve(nconns);
  uint64_t total_offsets = 0;
  for (uint64_t i = 0; i < nconns && r.ok(); ++i) {
    ConnRecord c = GetRecord(r, ix.first_ts_ns, version, opts.defer_offsets, ix.segment_bytes,
                             kIndexHeaderBytes);
    total_offsets += c.total_packets();
    ix.conns.push_back(std::move(c));
  }
  if (r.ok() && total_offsets != ix.packets)
    r.Fail("records hold " + std::to_string(total_offsets) + " packets, header says " +
           std::to_string(ix.packets));
  const uint64_t naddr = r.Count(r.Fixed(4, "address count"), 18, "addresses");
  // Postings skipped (opts.postings false): their ids are not read.
  auto skip_ids = [&](const char* what) { r.SkipVars(r.Count(r.Var(what), 1, what), what); };
  for (uint64_t i = 0; i < naddr && r.ok(); ++i) {
    if (!opts.postings) {
      uint8_t skip[17];
      r.Bytes(skip, sizeof skip, "address");
      skip_ids("address posting");
      continue;
    }
    AddressPosting a;
    a.ip_version = static_cast<uint8_t>(r.Fixed(1, "address version"));
    r.Bytes(a.addr, 16, "address");
    a.conns = GetIds(r, ix.conns.size(), "address posting");
    if (r.ok() && !ix.addresses.empty()) {
      const AddressPosting& p = ix.addresses.back();
      if (p.ip_version > a.ip_version ||
          (p.ip_version == a.ip_version && std::memcmp(p.addr, a.addr, 16) >= 0))
        r.Fail("address postings not sorted");
    }
    ix.addresses.push_back(std::move(a));
  }
  const uint64_t nports = r.Count(r.Fixed(4, "port count"), 3, "ports");
  for (uint64_t i = 0; i < nports && r.ok(); ++i) {
    if (!opts.postings) {
      r.Fixed(2, "port");
      skip_ids("port posting");
      continue;
    }
    PortPosting p;
    p.port = static_cast<uint16_t>(r.Fixed(2, "port"));
    p.conns = GetIds(r, ix.conns.size(), "port posting");
    if (r.ok() && !ix.ports.empty() && ix.ports.back().port >= p.port)
      r.Fail("port postings not sorted");
    ix.ports.push_back(std::move(p));
  }
  const uint64_t nblocks = r.Count(r.Fixed(4, "time map count"), 28, "time map entries");
  for (uint64_t i = 0; i < nblocks && r.ok(); ++i) {
    TimeBlock t;
    t.offset = r.Fixed(8, "time map offset");
    t.min_ts_ns = static_cast<int64_t>(r.Fixed(8, "time map min"));
    t.max_ts_ns = static_cast<int64_t>(r.Fixed(8, "time map max"));
    t.packets = static_cast<uint32_t>(r.Fixed(4, "time map packets"));
    if (r.ok() && t.min_ts_ns > t.max_ts_ns) r.Fail("time map entry with min > max");
    if (r.ok() && !ix.time_map.empty() && ix.time_map.back().offset >= t.offset)
      r.Fail("time map offsets not ascending");
    ix.time_map.push_back(t);
  }
  if (r.ok() && r.left() != 0) r.Fail(std::to_string(r.left()) + " trailing bytes");
  if (!r.ok()) return r.status();
  if (opts.defer_offsets) AttachDeferred(&ix, opts, data, len, path);
  return ix;
}

}  // namespace trove
