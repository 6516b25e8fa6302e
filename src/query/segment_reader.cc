#include "query/segment_reader.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace trove {

Result<std::unique_ptr<SegmentReader>> SegmentReader::Open(const std::string& path) {
  std::unique_ptr<SegmentReader> r(new SegmentReader());
  r->path_ = path;
  TROVE_ASSIGN_OR_RETURN(r->map_, MappedFile::Open(path));
  if (r->map_->size() < 28)
    return Status::Corruption("segment " + path + ": too short for a header");
  const uint8_t* p = r->map_->data();
  const uint32_t bom = static_cast<uint32_t>(p[8]) | static_cast<uint32_t>(p[9]) << 8 |
                       static_cast<uint32_t>(p[10]) << 16 | static_cast<uint32_t>(p[11]) << 24;
  r->swap_ = bom != kByteOrderMagic;
  PcapngVisitor v;
  v.on_interface = [&](const InterfaceInfo& i, uint64_t) {
    if (r->ifaces_.empty()) r->linktype_ = i.linktype;
    r->ifaces_.push_back({i.tsresol, i.tsoffset_s});
    return true;
  };
  v.on_packet = [](const PcapngPacket&) { return false; };  // the header is enough
  ParsePcapng(p, r->map_->size(), v);
  if (r->ifaces_.empty())
    return Status::Corruption("segment " + path + ": no interface description block");
  return r;
}

SegmentReader::~SegmentReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status SegmentReader::UseSparseReads() {
  if (fd_ >= 0) return Status::Ok();
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return Status::FromErrno(errno, "opening " + path_);
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_RANDOM);
  return Status::Ok();
}

namespace {

// Sparse reads take kWindow bytes from a block on, through the next block
// too when it starts within kNear.
constexpr uint64_t kWindow = 2048, kNear = 32768;

// Runs [from, to) of nearby blocks, as ReadSparse reads them.
std::vector<std::pair<uint64_t, uint64_t>> ReadRuns(const std::vector<uint64_t>& offsets) {
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  if (offsets.empty()) return runs;
  uint64_t from = offsets[0], to = offsets[0] + kWindow;
  for (size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] <= to + kNear) {
      to = std::max(to, offsets[i] + kWindow);
      continue;
    }
    runs.emplace_back(from, to);
    from = offsets[i];
    to = from + kWindow;
  }
  runs.emplace_back(from, to);
  return runs;
}

}  // namespace

void SegmentReader::Prefetch(const std::vector<uint64_t>& offsets) const {
  if (fd_ < 0 || offsets.empty()) return;
  runs_ = ReadRuns(offsets);
  advised_ = false;
}

void SegmentReader::AdviseFrom(uint64_t off) const {
  if (advised_) return;
  advised_ = true;
  for (const auto& [from, to] : runs_) {
    if (to <= off) continue;
    ::posix_fadvise(fd_, static_cast<off_t>(from), static_cast<off_t>(to - from),
                    POSIX_FADV_WILLNEED);
    ++advice_calls_;
  }
  runs_.clear();
  runs_.shrink_to_fit();
}

Result<uint64_t> SegmentReader::ReadInto(uint64_t start, uint64_t len) const {
  window_.resize(len);
  uint64_t got = 0;
  while (got < len) {
    const off_t at = static_cast<off_t>(start + got);
    ssize_t r;
    if (!advised_) {
      // From the page cache only; a miss means the segment is (partly) cold.
      iovec v{window_.data() + got, len - got};
      r = ::preadv2(fd_, &v, 1, at, RWF_NOWAIT);
      if (r < 0 && (errno == EAGAIN || errno == EOPNOTSUPP || errno == EINVAL)) {
        AdviseFrom(start + got);
        continue;
      }
    } else {
      r = ::pread(fd_, window_.data() + got, len - got, at);
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::FromErrno(errno, "reading " + path_);
    if (r == 0) break;
    got += static_cast<uint64_t>(r);
  }
  return got;
}

uint32_t SegmentReader::U32(const uint8_t* p) const {
  uint32_t v = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
               static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  return swap_ ? __builtin_bswap32(v) : v;
}

Result<PcapngPacket> SegmentReader::PacketAt(uint64_t off, uint64_t next) const {
  if (fd_ >= 0) return ReadSparse(off, next);
  const uint64_t n = map_->size();
  return ParseBlock(off, map_->data() + std::min(off, n), off > n ? 0 : n - off);
}

Result<PcapngPacket> SegmentReader::ReadSparse(uint64_t off, uint64_t next) const {
  const uint64_t n = map_->size();
  // Serve from the window when the whole block is in it; else read 2 KiB
  // from the block on (most blocks fit), through the next block too when it
  // is near, and a larger block once more, whole.
  auto in_window = [&](uint64_t len) {
    return off >= window_off_ && off + len <= window_off_ + window_len_;
  };
  if (!in_window(kEpbOverhead) || !in_window(U32(window_.data() + (off - window_off_) + 4))) {
    uint64_t want = next > off && next - off <= kNear ? next - off + kWindow : kWindow;
    for (int attempt = 0; attempt < 2; ++attempt) {
      const uint64_t start = off;
      const uint64_t len = std::min<uint64_t>(want, n > start ? n - start : 0);
      TROVE_ASSIGN_OR_RETURN(const uint64_t got, ReadInto(start, len));
      window_off_ = start;
      window_len_ = got;
      if (!in_window(kEpbOverhead)) break;  // ParseBlock reports the truncation
      const uint32_t blen = U32(window_.data() + (off - start) + 4);
      if (in_window(blen) || blen > n - off) break;
      want = blen;  // a block larger than the window: read it whole
    }
  }
  const uint64_t at = off - window_off_;
  return ParseBlock(off, window_.data() + std::min(at, window_len_),
                    off >= window_off_ && at <= window_len_ ? window_len_ - at : 0);
}

Result<PcapngPacket> SegmentReader::ParseBlock(uint64_t off, const uint8_t* p,
                                               uint64_t avail) const {
  auto bad = [&](const std::string& what) {
    return Status::Corruption("segment " + path_ + ": offset " + std::to_string(off) + ": " + what);
  };
  if (avail < kEpbOverhead) return bad("beyond the end of the file");
  if (U32(p) != kBlockEPB) return bad("not an enhanced packet block");
  const uint32_t blen = U32(p + 4);
  if (blen < kEpbOverhead || blen > avail) return bad("block length out of bounds");
  PacketBlockFields fld;
  if (std::string why = ParsePacketBlockFields(p, blen, swap_, /*epb=*/true, &fld); !why.empty())
    return bad(why);
  PcapngPacket pk;
  pk.interface_id = fld.interface_id;
  const uint64_t ticks = fld.ticks;
  pk.caplen = fld.caplen;
  pk.wirelen = fld.wirelen;
  if (pk.interface_id >= ifaces_.size())
    return bad("interface id " + std::to_string(pk.interface_id) + " but the segment has " +
               std::to_string(ifaces_.size()) + " interface(s)");
  const Clock& c = ifaces_[pk.interface_id];
  if (!PcapngTicksToNs(ticks, c.tsresol, c.tsoffset_s, &pk.ts_ns))
    return bad("timestamp " + std::to_string(ticks) + " is outside the representable time range");
  pk.linktype = linktype_;
  pk.data = p + 28;
  pk.block_offset = off;
  if (limit_ && !whole_file_charged_) limit_->Acquire(blen);
  return pk;
}

Result<std::vector<uint64_t>> SegmentReader::AllPacketOffsets() const {
  std::vector<uint64_t> out;
  constexpr uint64_t kStep = 1 << 20;
  uint64_t charged = 0;
  PcapngVisitor v;
  v.on_packet = [&](const PcapngPacket& p) {
    out.push_back(p.block_offset);
    if (limit_ && p.block_offset - charged >= kStep) {
      limit_->Acquire(p.block_offset - charged);
      charged = p.block_offset;
    }
    return true;
  };
  PcapngParseResult r = ParsePcapng(map_->data(), map_->size(), v);
  if (limit_) {
    limit_->Acquire(map_->size() - charged);
    whole_file_charged_ = true;
  }
  if (!r.error.ok()) return r.error;
  return out;
}

}  // namespace trove
