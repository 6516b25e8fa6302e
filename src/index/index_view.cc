#include "index/index_view.h"

#include <algorithm>
#include <cstring>

#include "index/index_bytes.h"
#include "index/index_codec.h"

namespace trove {

using index_internal::Checksum8;
using index_internal::GetIds;
using index_internal::GetRecord;
using index_internal::Reader;
using index_internal::ReadOffsets;

namespace {

constexpr size_t kAddrEntry = 24;  // u8 version, addr[16], 3 zero bytes, u32 posting
constexpr size_t kPortEntry = 8;   // u16 port, 2 zero bytes, u32 posting
constexpr size_t kTimeEntry = 28;

uint64_t Le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// Orders (version, address) as the address directory is sorted.
int CompareAddr(uint8_t va, const uint8_t* a, uint8_t vb, const uint8_t* b) {
  if (va != vb) return va < vb ? -1 : 1;
  return std::memcmp(a, b, 16);
}

std::vector<uint32_t> Union(std::vector<uint32_t> a) {
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  return a;
}

}  // namespace

std::unique_ptr<IndexView> IndexView::Of(const SegmentIndex* ix) {
  std::unique_ptr<IndexView> v(new IndexView());
  v->mem_ = ix;
  v->nrecords_ = static_cast<uint32_t>(ix->conns.size());
  v->naddrs_ = static_cast<uint32_t>(ix->addresses.size());
  v->nports_ = static_cast<uint32_t>(ix->ports.size());
  // Postings not kept (a decode with IndexDecodeOptions::postings false)
  // look like no postings at all; records with an address prove it.
  v->has_postings_ = !ix->addresses.empty() ||
                     std::all_of(ix->conns.begin(), ix->conns.end(),
                                 [](const ConnRecord& c) { return c.has(ConnRecord::kNonIp); });
  for (uint32_t i = 0; i < v->nrecords_; ++i)
    if (ix->conns[i].flags & (ConnRecord::kUncertain | ConnRecord::kNonIp))
      v->mem_special_.push_back(i);
  return v;
}

std::unique_ptr<IndexView> IndexView::Of(std::shared_ptr<const SegmentIndex> ix,
                                         uint64_t file_bytes) {
  auto v = Of(ix.get());
  v->owner_ = std::move(ix);
  v->file_bytes_ = file_bytes;
  return v;
}

uint64_t IndexView::bytes_read() const {
  if (mem_) return file_bytes_;
  uint64_t n = kIndexHeaderBytes + dir_len_;
  for (size_t k = 0; k < verified_.size(); ++k)
    if (verified_[k])
      n += std::min<uint64_t>(chunk_bytes_, body_len_ - dir_len_ - k * chunk_bytes_);
  return n;
}

Status IndexView::Corrupt(uint64_t body_off, const std::string& what) const {
  return Status::Corruption("index " + path_ + ": corrupt at offset " +
                            std::to_string(kIndexHeaderBytes + body_off) + ": " + what);
}

Result<std::unique_ptr<IndexView>> IndexView::Open(std::shared_ptr<const void> owner,
                                                   const uint8_t* data, size_t len,
                                                   std::string path) {
  std::unique_ptr<IndexView> v(new IndexView());
  v->owner_ = std::move(owner);
  v->path_ = std::move(path);
  const std::string& p = v->path_;
  auto fail = [&](size_t at, const std::string& what) {
    return Status::Corruption("index " + p + ": corrupt at offset " + std::to_string(at) + ": " +
                              what);
  };
  if (len < kIndexHeaderBytes) return fail(len, "truncated (header)");
  if (std::memcmp(data, kIndexMagic, 8) != 0) return fail(0, "bad magic (not a trove index)");
  const uint64_t version = Le(data + 8, 4);
  if (version != 3 && version != 4)
    return fail(8, "version " + std::to_string(version) + " has no random access (need 3 or 4)");
  v->version_ = static_cast<uint32_t>(version);
  const uint64_t body_len = Le(data + 16, 8);
  if (body_len != len - kIndexHeaderBytes)
    return fail(16, "body length " + std::to_string(body_len) + " but the file holds " +
                        std::to_string(len - kIndexHeaderBytes) + " bytes after the header");
  uint64_t sum = 0;
  for (int i = 0; i < 8; ++i) sum = sum << 8 | data[24 + i];
  v->body_ = data + kIndexHeaderBytes;
  v->body_len_ = body_len;

  Reader r(v->body_, body_len, kIndexHeaderBytes, v->path_);
  const uint64_t dir_len = r.Fixed(4, "directory length");
  if (r.ok() && (dir_len < 4 || dir_len > body_len))
    return fail(kIndexHeaderBytes, "directory length " + std::to_string(dir_len) +
                                       " outside the body (" + std::to_string(body_len) + ")");
  if (!r.ok()) return r.status();
  if (Checksum8(v->body_, dir_len) != sum)
    return fail(24, "checksum mismatch over the directory, bytes " +
                        std::to_string(kIndexHeaderBytes) + ".." +
                        std::to_string(kIndexHeaderBytes + dir_len));
  v->dir_len_ = dir_len;
  Reader d(v->body_, dir_len, kIndexHeaderBytes, v->path_);
  d.Skip(4);
  index_internal::GetMeta(d, &v->meta_);
  v->nrecords_ = static_cast<uint32_t>(d.Fixed(4, "record count"));
  v->naddrs_ = static_cast<uint32_t>(d.Fixed(4, "address count"));
  v->nports_ = static_cast<uint32_t>(d.Fixed(4, "port count"));
  v->nblocks_ = static_cast<uint32_t>(d.Fixed(4, "time map count"));
  for (uint64_t& s : v->sec_) s = d.Fixed(8, "section start");
  if (!d.ok()) return d.status();
  const uint64_t* s = v->sec_;
  if (s[0] != dir_len || s[7] != body_len)
    return fail(kIndexHeaderBytes, "sections span " + std::to_string(s[0]) + ".." +
                                       std::to_string(s[7]) + ", not the body after the directory");
  for (int i = 1; i < 8; ++i)
    if (s[i] < s[i - 1]) return fail(kIndexHeaderBytes, "section starts not ascending");
  auto sized = [&](int sec, uint64_t n, uint64_t each, const char* what) -> Status {
    if (s[sec + 1] - s[sec] != n * each)
      return fail(kIndexHeaderBytes + s[sec], std::string(what) + " section holds " +
                                                  std::to_string(s[sec + 1] - s[sec]) +
                                                  " bytes for " + std::to_string(n) + " entries");
    return Status::Ok();
  };
  TROVE_RETURN_IF_ERROR(sized(0, v->nrecords_, 8, "record directory"));
  TROVE_RETURN_IF_ERROR(sized(2, v->naddrs_, kAddrEntry, "address directory"));
  TROVE_RETURN_IF_ERROR(sized(3, v->nports_, kPortEntry, "port directory"));
  TROVE_RETURN_IF_ERROR(sized(6, v->nblocks_, kTimeEntry, "time map"));
  if (v->nrecords_ > (s[2] - s[1]) / index_internal::kRecordFixedBytes)
    return fail(kIndexHeaderBytes + s[1],
                "records section too small for " + std::to_string(v->nrecords_) + " records");
  v->chunk_bytes_ = static_cast<uint32_t>(d.Fixed(4, "chunk size"));
  const uint64_t nchunks = d.Fixed(4, "chunk count");
  if (d.ok() && (v->chunk_bytes_ < 64 || v->chunk_bytes_ > (1u << 24)))
    d.Fail("chunk size " + std::to_string(v->chunk_bytes_) + " out of range");
  const uint64_t rest = body_len - dir_len;
  if (d.ok() && nchunks != (rest + v->chunk_bytes_ - 1) / v->chunk_bytes_)
    d.Fail(std::to_string(nchunks) + " chunk checksums for " + std::to_string(rest) +
           " bytes in chunks of " + std::to_string(v->chunk_bytes_));
  if (d.Need(nchunks * 8, "chunk checksums")) {
    v->sums_ = v->body_ + d.pos();
    d.Skip(nchunks * 8);
  }
  if (d.ok() && d.left() != 0) d.Fail(std::to_string(d.left()) + " trailing directory bytes");
  if (!d.ok()) return d.status();
  v->verified_.assign(nchunks, 0);
  return v;
}

Status IndexView::Verify(uint64_t from, uint64_t to) {
  if (mem_ || !verify_ || to <= from) return Status::Ok();
  from = std::max(from, dir_len_);  // the directory was checked on open
  if (to > body_len_) to = body_len_;
  if (from >= to) return Status::Ok();
  for (uint64_t k = (from - dir_len_) / chunk_bytes_; k <= (to - 1 - dir_len_) / chunk_bytes_;
       ++k) {
    if (verified_[k]) continue;
    const uint64_t a = dir_len_ + k * chunk_bytes_;
    const uint64_t b = std::min<uint64_t>(a + chunk_bytes_, body_len_);
    uint64_t want = 0;
    for (int i = 0; i < 8; ++i) want = want << 8 | sums_[8 * k + static_cast<uint64_t>(i)];
    if (Checksum8(body_ + a, b - a) != want)
      return Corrupt(a, "checksum mismatch over chunk " + std::to_string(k) + " (bytes " +
                            std::to_string(kIndexHeaderBytes + a) + ".." +
                            std::to_string(kIndexHeaderBytes + b) + ")");
    verified_[k] = 1;
  }
  return Status::Ok();
}

std::vector<std::pair<uint64_t, uint64_t>> IndexView::LookupRanges() const {
  if (mem_) return {};
  return {{kIndexHeaderBytes + sec_[2], kIndexHeaderBytes + sec_[4]},
          {kIndexHeaderBytes + sec_[6], kIndexHeaderBytes + sec_[7]}};
}

Status IndexView::VerifyAll() { return Verify(dir_len_, body_len_); }

Result<uint64_t> IndexView::RecordStart(uint32_t i) {
  const uint64_t at = sec_[0] + 8ull * i;
  TROVE_RETURN_IF_ERROR(Verify(at, at + 8));
  const uint64_t start = Le(body_ + at, 8);
  if (start >= sec_[2] - sec_[1] || (i == 0 && start != 0))
    return Corrupt(at, "record " + std::to_string(i) + " starts at " + std::to_string(start) +
                           (i == 0 ? ", not 0" : ", outside the records section"));
  return start;
}

Result<ConnRecord> IndexView::Record(uint32_t i) {
  if (i >= nrecords_)
    return Status::InvalidArgument("record " + std::to_string(i) + " of " +
                                   std::to_string(nrecords_));
  if (mem_) {
    ConnRecord c = mem_->conns[i];
    return c;
  }
  TROVE_ASSIGN_OR_RETURN(uint64_t start, RecordStart(i));
  uint64_t end = sec_[2] - sec_[1];
  if (i + 1 < nrecords_) {
    TROVE_ASSIGN_OR_RETURN(end, RecordStart(i + 1));
    if (end <= start)
      return Corrupt(sec_[0] + 8ull * (i + 1),
                     "record starts not ascending at record " + std::to_string(i + 1));
  }
  const uint64_t at = sec_[1] + start;
  TROVE_RETURN_IF_ERROR(Verify(at, sec_[1] + end));
  Reader r(body_ + at, end - start, kIndexHeaderBytes + at, path_);
  ConnRecord c = GetRecord(r, meta_.first_ts_ns, version_, /*defer_offsets=*/true, meta_.segment_bytes,
                           kIndexHeaderBytes + at);
  if (r.ok() && r.left() != 0)
    r.Fail("record " + std::to_string(i) + " ends " + std::to_string(r.left()) +
           " bytes before the next");
  if (!r.ok()) return r.status();
  return c;
}

Result<std::vector<uint64_t>> IndexView::Offsets(const ConnRecord& r) {
  if (mem_ || !r.offsets.empty()) {
    if (mem_ && mem_->deferred) return RecordOffsets(*mem_, r);
    return r.offsets;
  }
  const uint64_t n = r.total_packets();
  if (n == 0) return std::vector<uint64_t>{};
  // offsets_at is a file offset; the offsets lie inside the records section.
  const uint64_t at = r.offsets_at - kIndexHeaderBytes;
  if (r.offsets_at < kIndexHeaderBytes || at < sec_[1] || at > sec_[2] ||
      r.offsets_bytes > sec_[2] - at)
    return Corrupt(at, "record offsets outside the records section");
  TROVE_RETURN_IF_ERROR(Verify(at, at + r.offsets_bytes));
  Reader rd(body_ + at, r.offsets_bytes, r.offsets_at, path_);
  std::vector<uint64_t> out;
  ReadOffsets(rd, n, meta_.segment_bytes, &out);
  if (rd.ok() && rd.left() != 0)
    rd.Fail("offsets take " + std::to_string(rd.pos()) + " bytes, not " +
            std::to_string(r.offsets_bytes));
  if (!rd.ok()) return rd.status();
  return out;
}

Result<std::vector<uint32_t>> IndexView::PostingAt(uint64_t rel, const char* what) {
  const uint64_t at = sec_[4] + rel;
  if (rel >= sec_[5] - sec_[4]) return Corrupt(at, std::string(what) + " outside the postings");
  // Decoded first (bounds-checked), then the bytes it used are verified.
  Reader r(body_ + at, sec_[5] - at, kIndexHeaderBytes + at, path_);
  std::vector<uint32_t> ids = GetIds(r, nrecords_, what);
  if (r.ok() && ids.empty()) r.Fail(std::string(what) + ": empty");
  if (!r.ok()) return r.status();
  TROVE_RETURN_IF_ERROR(Verify(at, at + r.pos()));
  return ids;
}

Result<const uint8_t*> IndexView::Entry(int section, uint64_t size, uint32_t k) {
  const uint64_t at = sec_[section] + size * k;
  TROVE_RETURN_IF_ERROR(Verify(at, at + size));
  return body_ + at;
}

Result<AddressPosting> IndexView::AddressAt(uint32_t k) {
  if (k >= naddrs_) return Status::InvalidArgument("address entry out of range");
  if (mem_) return mem_->addresses[k];
  TROVE_ASSIGN_OR_RETURN(const uint8_t* e, Entry(2, kAddrEntry, k));
  const uint64_t at = static_cast<uint64_t>(e - body_);
  AddressPosting a;
  a.ip_version = e[0];
  std::memcpy(a.addr, e + 1, 16);
  if (e[17] | e[18] | e[19]) return Corrupt(at + 17, "address entry padding not zero");
  if (a.ip_version != 4 && a.ip_version != 6)
    return Corrupt(at, "address version " + std::to_string(a.ip_version));
  TROVE_ASSIGN_OR_RETURN(a.conns, PostingAt(Le(e + 20, 4), "address posting"));
  return a;
}

Result<PortPosting> IndexView::PortAt(uint32_t k) {
  if (k >= nports_) return Status::InvalidArgument("port entry out of range");
  if (mem_) return mem_->ports[k];
  TROVE_ASSIGN_OR_RETURN(const uint8_t* e, Entry(3, kPortEntry, k));
  PortPosting p;
  p.port = static_cast<uint16_t>(Le(e, 2));
  if (e[2] | e[3])
    return Corrupt(static_cast<uint64_t>(e - body_) + 2, "port entry padding not zero");
  TROVE_ASSIGN_OR_RETURN(p.conns, PostingAt(Le(e + 4, 4), "port posting"));
  return p;
}

Result<uint32_t> IndexView::AddressLowerBound(uint8_t ip_version, const uint8_t addr[16]) {
  uint32_t lo = 0, hi = naddrs_;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    int c;
    if (mem_) {
      const AddressPosting& a = mem_->addresses[mid];
      c = CompareAddr(a.ip_version, a.addr, ip_version, addr);
    } else {
      TROVE_ASSIGN_OR_RETURN(const uint8_t* e, Entry(2, kAddrEntry, mid));
      c = CompareAddr(e[0], e + 1, ip_version, addr);
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

Result<std::vector<uint32_t>> IndexView::AddressRangeIds(uint8_t ip_version, const uint8_t lo[16],
                                                         const uint8_t hi[16]) {
  if (!has_postings_)
    return Status::FailedPrecondition("index " + path_ + ": postings not decoded");
  TROVE_ASSIGN_OR_RETURN(uint32_t k, AddressLowerBound(ip_version, lo));
  std::vector<uint32_t> ids;
  for (; k < naddrs_; ++k) {
    TROVE_ASSIGN_OR_RETURN(AddressPosting a, AddressAt(k));
    if (CompareAddr(a.ip_version, a.addr, ip_version, hi) > 0) break;
    ids.insert(ids.end(), a.conns.begin(), a.conns.end());
  }
  return Union(std::move(ids));
}

Result<std::vector<uint32_t>> IndexView::AddressIds(uint8_t ip_version, const uint8_t addr[16]) {
  return AddressRangeIds(ip_version, addr, addr);
}

Result<std::vector<uint32_t>> IndexView::PortIds(uint16_t port) {
  if (!has_postings_)
    return Status::FailedPrecondition("index " + path_ + ": postings not decoded");
  uint32_t lo = 0, hi = nports_;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    uint16_t p;
    if (mem_) {
      p = mem_->ports[mid].port;
    } else {
      TROVE_ASSIGN_OR_RETURN(const uint8_t* e, Entry(3, kPortEntry, mid));
      p = static_cast<uint16_t>(Le(e, 2));
    }
    if (p < port)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == nports_) return std::vector<uint32_t>{};
  TROVE_ASSIGN_OR_RETURN(PortPosting p, PortAt(lo));
  if (p.port != port) return std::vector<uint32_t>{};
  return std::move(p.conns);
}

Result<std::vector<uint32_t>> IndexView::Special() {
  if (mem_) return mem_special_;
  Reader r(body_ + sec_[5], sec_[6] - sec_[5], kIndexHeaderBytes + sec_[5], path_);
  std::vector<uint32_t> ids = GetIds(r, nrecords_, "special records");
  if (r.ok() && r.left() != 0) r.Fail(std::to_string(r.left()) + " bytes after the special list");
  if (!r.ok()) return r.status();
  TROVE_RETURN_IF_ERROR(Verify(sec_[5], sec_[6]));
  return ids;
}

Result<std::vector<TimeBlock>> IndexView::TimeMap() {
  if (mem_) return mem_->time_map;
  TROVE_RETURN_IF_ERROR(Verify(sec_[6], sec_[7]));
  std::vector<TimeBlock> out;
  out.reserve(nblocks_);
  for (uint32_t i = 0; i < nblocks_; ++i) {
    const uint8_t* e = body_ + sec_[6] + kTimeEntry * i;
    TimeBlock t;
    t.offset = Le(e, 8);
    t.min_ts_ns = static_cast<int64_t>(Le(e + 8, 8));
    t.max_ts_ns = static_cast<int64_t>(Le(e + 16, 8));
    t.packets = static_cast<uint32_t>(Le(e + 24, 4));
    if (t.min_ts_ns > t.max_ts_ns)
      return Corrupt(sec_[6] + kTimeEntry * i, "time map entry with min > max");
    if (!out.empty() && out.back().offset >= t.offset)
      return Corrupt(sec_[6] + kTimeEntry * i, "time map offsets not ascending");
    out.push_back(t);
  }
  return out;
}

}  // namespace trove
