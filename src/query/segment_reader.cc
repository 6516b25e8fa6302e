#include "query/segment_reader.h"

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
  bool have_if = false;
  uint8_t tsresol = 9;
  PcapngVisitor v;
  v.on_interface = [&](const InterfaceInfo& i, uint64_t) {
    if (!have_if) {
      r->linktype_ = i.linktype;
      tsresol = i.tsresol;
    }
    have_if = true;
    return true;
  };
  v.on_packet = [](const PcapngPacket&) { return false; };  // the header is enough
  ParsePcapng(p, r->map_->size(), v);
  if (!have_if) return Status::Corruption("segment " + path + ": no interface description block");
  if (tsresol & 0x80)
    r->ticks_per_s_ = 1ull << (tsresol & 0x7f);
  else {
    r->ticks_per_s_ = 1;
    for (int i = 0; i < tsresol; ++i) r->ticks_per_s_ *= 10;
  }
  return r;
}

uint32_t SegmentReader::U32(uint64_t off) const {
  const uint8_t* p = map_->data() + off;
  uint32_t v = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
               static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  return swap_ ? __builtin_bswap32(v) : v;
}

Result<PcapngPacket> SegmentReader::PacketAt(uint64_t off) const {
  const uint64_t n = map_->size();
  auto bad = [&](const std::string& what) {
    return Status::Corruption("segment " + path_ + ": offset " + std::to_string(off) + ": " + what);
  };
  if (off > n || n - off < kEpbOverhead) return bad("beyond the end of the file");
  if (U32(off) != kBlockEPB) return bad("not an enhanced packet block");
  const uint32_t blen = U32(off + 4);
  if (blen < kEpbOverhead || blen > n - off) return bad("block length out of bounds");
  PcapngPacket pk;
  pk.interface_id = U32(off + 8);
  const uint64_t ticks = static_cast<uint64_t>(U32(off + 12)) << 32 | U32(off + 16);
  pk.caplen = U32(off + 20);
  pk.wirelen = U32(off + 24);
  if (pk.caplen > blen - kEpbOverhead) return bad("captured length exceeds the block");
  pk.ts_ns = ticks_per_s_ == 1000000000
                 ? static_cast<int64_t>(ticks)
                 : static_cast<int64_t>(ticks / ticks_per_s_ * 1000000000u +
                                        ticks % ticks_per_s_ * 1000000000u / ticks_per_s_);
  pk.data = map_->data() + off + 28;
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
