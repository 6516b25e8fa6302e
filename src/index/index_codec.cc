#include "index/index_codec.h"

#include <bit>
#include <cstdint>
#include <cstring>

#include "util/sha256.h"

namespace trove {
namespace {

class Writer {
 public:
  void U8(uint8_t v) { s_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Fixed(v, 2); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v), 8); }
  void Bytes(const void* p, size_t n) { s_.append(static_cast<const char*>(p), n); }
  void Var(uint64_t v) {
    while (v >= 0x80) {
      U8(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    U8(static_cast<uint8_t>(v));
  }
  // Signed delta (zigzag): timestamps may go backwards inside a segment.
  void SVar(int64_t v) { Var((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  std::string& str() { return s_; }

 private:
  void Fixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::string s_;
};

class Reader {
 public:
  Reader(const uint8_t* p, size_t n, size_t base, const std::string& path)
      : p_(p), n_(n), base_(base), path_(path) {}
  size_t pos() const { return pos_; }
  size_t left() const { return n_ - pos_; }
  bool ok() const { return err_.ok(); }
  const Status& status() const { return err_; }
  void Fail(const std::string& what) {
    if (err_.ok())
      err_ = Status::Corruption("index " + path_ + ": corrupt at offset " +
                                std::to_string(base_ + pos_) + ": " + what);
  }
  // a + b, or a failure naming `what` when it overflows (a corrupt file).
  int64_t Add(int64_t a, int64_t b, const char* what) {
    int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
      Fail(std::string(what) + " out of range");
      return 0;
    }
    return sum;
  }
  bool Need(size_t k, const char* what) {
    if (!ok()) return false;
    if (k > left()) {
      Fail(std::string("truncated (") + what + ")");
      return false;
    }
    return true;
  }
  uint64_t Fixed(int k, const char* what) {
    if (!Need(static_cast<size_t>(k), what)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < k; ++i)
      v |= static_cast<uint64_t>(p_[pos_ + static_cast<size_t>(i)]) << (8 * i);
    pos_ += static_cast<size_t>(k);
    return v;
  }
  void Bytes(void* out, size_t k, const char* what) {
    if (!Need(k, what)) return;
    std::memcpy(out, p_ + pos_, k);
    pos_ += k;
  }
  uint64_t Var(const char* what) {
    if (n_ - pos_ >= 10 && ok()) {  // no bounds check per byte
      uint64_t v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        const uint8_t b = p_[pos_++];
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
      }
      Fail(std::string("varint too long (") + what + ")");
      return 0;
    }
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Need(1, what)) return 0;
      uint8_t b = p_[pos_++];
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    Fail(std::string("varint too long (") + what + ")");
    return 0;
  }
  void Skip(size_t k) {
    if (Need(k, "skip")) pos_ += k;
  }
  // Skips n varints (each at most 10 bytes). Eight bytes at a time: a
  // byte without the high bit ends a varint; a run of 10 bytes with it set
  // is a varint too long (the byte loop reports it, like Var).
  void SkipVars(uint64_t n, const char* what) {
    if (!ok()) return;
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    size_t run = 0;  // continuation bytes of the varint in progress
    while (std::endian::native == std::endian::little && n >= 8 && n_ - pos_ >= 8) {
      uint64_t w;
      std::memcpy(&w, p_ + pos_, 8);
      const uint64_t ends = ~w & kHigh;  // one bit per terminating byte
      if (ends == 0 || run + static_cast<size_t>(__builtin_ctzll(ends) >> 3) >= 10) break;
      const uint64_t t = (ends >> 7) * 0x0101010101010101ull >> 56;  // bytes set
      if (t > n) break;
      // Runs between terminators in one word are < 8 bytes; the bytes after
      // the last terminator carry over to the next word.
      run = static_cast<size_t>(__builtin_clzll(ends) >> 3);
      n -= t;
      pos_ += 8;
    }
    for (; n && ok(); --n) {
      for (;;) {
        if (pos_ >= n_) {
          Fail(std::string("truncated (") + what + ")");
          return;
        }
        const uint8_t b = p_[pos_++];
        if (!(b & 0x80)) break;
        if (++run >= 10) {
          Fail(std::string("varint too long (") + what + ")");
          return;
        }
      }
      run = 0;
    }
  }
  int64_t SVar(const char* what) {
    uint64_t z = Var(what);
    return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  }
  // A count of items each taking at least `min_bytes`: bounded by what is left.
  uint64_t Count(uint64_t n, size_t min_bytes, const char* what) {
    if (ok() && n > left() / (min_bytes ? min_bytes : 1)) {
      Fail(std::string("count ") + std::to_string(n) + " of " + what + " exceeds the file");
      return 0;
    }
    return ok() ? n : 0;
  }

 private:
  const uint8_t* p_;
  size_t n_, pos_ = 0, base_;
  const std::string& path_;
  Status err_;
};

uint64_t BodyChecksum(const uint8_t* p, size_t n) {
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
  return ids;
}

constexpr size_t kRecordFixedBytes = 16 + 16 + 2 + 2 + 4 + 4 + 4 + 1;  // minimum per record

}  // namespace

std::string EncodeSegmentIndex(const SegmentIndex& ix, uint32_t version) {
  Writer b;
  b.U16(static_cast<uint16_t>(ix.segment_name.size()));
  b.Bytes(ix.segment_name.data(), ix.segment_name.size());
  b.U16(ix.linktype);
  b.U64(ix.segment_bytes);
  b.U64(ix.packets);
  b.I64(ix.first_ts_ns);
  b.I64(ix.last_ts_ns);
  b.U8(ix.monotonic ? 1 : 0);  // body flags
  b.U32(static_cast<uint32_t>(ix.conns.size()));
  for (const ConnRecord& c : ix.conns) {
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
    b.SVar(c.first_ts_ns - ix.first_ts_ns);
    b.Var(static_cast<uint64_t>(c.last_ts_ns - c.first_ts_ns));
    b.Var(c.packets[0]);
    b.Var(c.packets[1]);
    b.Var(c.bytes[0]);
    b.Var(c.bytes[1]);
    // offsets: count, (v2) their byte length, then deltas (first absolute)
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
  h.Bytes(kIndexMagic, 8);
  h.U32(version);
  h.U32(0);  // flags
  h.U64(body.size());
  // The first 8 bytes of the SHA-256 digest, in digest order.
  const uint64_t sum = BodyChecksum(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  for (int i = 0; i < 8; ++i) h.U8(static_cast<uint8_t>(sum >> (56 - 8 * i)));
  return h.str() + body;
}

namespace {

// Reads n delta-coded offsets (ascending, each < segment_bytes when known).
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
  if (opts.verify_checksum && BodyChecksum(body, body_len) != sum)
    return Status::Corruption("index " + path +
                              ": corrupt at offset 24: checksum mismatch over bytes " +
                              std::to_string(kIndexHeaderBytes) + ".." + std::to_string(len));

  Reader r(body, body_len, kIndexHeaderBytes, path);
  SegmentIndex ix;
  const uint64_t name_len = r.Fixed(2, "name length");
  if (r.Need(name_len, "segment name")) {
    ix.segment_name.resize(name_len);
    r.Bytes(ix.segment_name.data(), name_len, "segment name");
  }
  ix.linktype = static_cast<uint16_t>(r.Fixed(2, "linktype"));
  ix.segment_bytes = r.Fixed(8, "segment bytes");
  ix.packets = r.Fixed(8, "packets");
  ix.first_ts_ns = static_cast<int64_t>(r.Fixed(8, "first ts"));
  ix.last_ts_ns = static_cast<int64_t>(r.Fixed(8, "last ts"));
  const uint64_t body_flags = r.Fixed(1, "body flags");
  if (r.ok() && body_flags > 1) r.Fail("body flags " + std::to_string(body_flags) + " unknown");
  ix.monotonic = body_flags & 1;
  const uint64_t nconns = r.Count(r.Fixed(4, "record count"), kRecordFixedBytes, "records");
  ix.conns.reserve(nconns);
  uint64_t total_offsets = 0;
  for (uint64_t i = 0; i < nconns && r.ok(); ++i) {
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
    if (r.ok() && (c.flags & ~0x0f)) r.Fail("record flags " + std::to_string(c.flags) + " unknown");
    if (r.ok() && !(c.flags & ConnRecord::kNonIp) && k.ip_version != 4 && k.ip_version != 6)
      r.Fail("record ip version " + std::to_string(k.ip_version));
    c.tcp_flags[0] = static_cast<uint8_t>(r.Fixed(1, "record tcp flags"));
    c.tcp_flags[1] = static_cast<uint8_t>(r.Fixed(1, "record tcp flags"));
    c.first_ts_ns = r.Add(ix.first_ts_ns, r.SVar("record first ts"), "record first ts");
    const uint64_t duration = r.Var("record duration");
    if (r.ok() && duration > static_cast<uint64_t>(INT64_MAX)) r.Fail("record duration out of range");
    c.last_ts_ns = r.Add(c.first_ts_ns, static_cast<int64_t>(duration & INT64_MAX), "record duration");
    c.packets[0] = r.Var("record packets");
    c.packets[1] = r.Var("record packets");
    c.bytes[0] = r.Var("record bytes");
    c.bytes[1] = r.Var("record bytes");
    const uint64_t n = r.Count(r.Var("offset count"), 1, "offsets");
    if (r.ok() && n != c.packets[0] + c.packets[1])
      r.Fail("record has " + std::to_string(n) + " offsets for " +
             std::to_string(c.packets[0] + c.packets[1]) + " packets");
    // v2 gives the offsets' byte length: skipping them is O(1).
    const uint64_t offs_len = version >= 2 ? r.Var("offsets length") : 0;
    if (version >= 2 && r.ok() && (offs_len < n || offs_len > r.left() || (n == 0 && offs_len)))
      r.Fail("offsets length " + std::to_string(offs_len) + " impossible for " + std::to_string(n) +
             " offsets here");
    const size_t offs_start = r.pos();
    if (opts.defer_offsets) {
      c.offsets_at = kIndexHeaderBytes + r.pos();
      c.offsets_bytes = offs_len;
      if (version >= 2)
        r.Skip(static_cast<size_t>(offs_len));
      else
        r.SkipVars(n, "offset");
    } else {
      ReadOffsets(r, n, ix.segment_bytes, &c.offsets);
      if (version >= 2 && r.ok() && r.pos() - offs_start != offs_len)
        r.Fail("offsets take " + std::to_string(r.pos() - offs_start) + " bytes, not " +
               std::to_string(offs_len));
    }
    total_offsets += n;
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
  if (opts.defer_offsets) {
    auto d = std::make_shared<SegmentIndex::Deferred>();
    d->owner = opts.owner;
    d->data = data;
    d->len = len;
    d->path = path;
    ix.deferred = std::move(d);
  }
  return ix;
}

}  // namespace trove
