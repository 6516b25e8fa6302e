#include "segment/segment_scan.h"

#include "segment/decoded_packets.h"
#include "segment/pcapng_format.h"
#include "segment/stats_accumulator.h"
#include "util/fs.h"
#include "util/time_util.h"

namespace trove {

Result<ScannedSegment> ScanSegmentFile(const std::string& path, uint64_t limit) {
  auto m = MappedFile::Open(path);
  if (!m.ok()) return m.status();
  ScannedSegment out;
  out.file_bytes = (*m)->size();
  size_t len = static_cast<size_t>(std::min<uint64_t>(limit, (*m)->size()));
  StatsAccumulator acc;
  int sections = 0, interfaces = 0;
  PcapngVisitor v;
  v.on_section = [&](const SectionInfo& s, uint64_t) {
    if (++sections == 1) ParseSegmentSection(s, &out.header);
    return true;
  };
  v.on_interface = [&](const InterfaceInfo& i, uint64_t) {
    if (++interfaces == 1) ParseSegmentInterface(i, &out.header);
    return true;
  };
  v.on_stats = [&](const InterfaceStats& st, uint64_t) {
    ParseSegmentTrailer(st, &out.drops);
    out.has_trailer = true;
    return true;
  };
  PcapngParseResult r =
      ForEachDecodedPacket((*m)->data(), len, std::move(v),
                           [&](const PacketRef& p, const DecodedPacket& d, uint64_t) {
                             acc.Add(p, d);
                             return true;
                           });
  out.complete_bytes = r.complete_bytes;
  out.truncated = r.truncated || len < out.file_bytes;
  out.error = r.error;
  out.has_header = sections >= 1 && interfaces >= 1 && !out.header.link.empty();
  if (!out.has_header && interfaces == 0 && acc.stats().packets == 0 && r.error.ok()) {
    // Block type of a section header, 0x0A0D0D0A, is a palindrome: the same
    // bytes in either byte order.
    static constexpr uint8_t kShb[4] = {0x0A, 0x0D, 0x0D, 0x0A};
    const uint8_t* p = (*m)->data();
    bool shb_prefix = true;
    for (size_t i = 0; i < std::min<size_t>(len, 4); ++i)
      shb_prefix = shb_prefix && p[i] == kShb[i];
    out.header_cut =
        len == 0 || (shb_prefix && (sections == 0 ? out.truncated : !out.header.link.empty()));
  }
  out.stats = acc.stats();
  return out;
}

SegmentRecord MakeSegmentRecord(const SegmentHeaderInfo& h, const SegmentStats& s,
                                const DropCounters& d, const std::string& path, StorageArea area,
                                uint64_t file_bytes, const std::string& sha256) {
  SegmentRecord r;
  r.name = h.name;
  r.link = h.link;
  r.location = h.location;
  r.level = h.level.empty() ? "raw" : h.level;
  r.key_epoch = h.key_epoch;
  r.klass = h.klass;
  r.path = path;
  r.area = area;
  r.state = SegmentState::kStored;
  r.snaplen = h.snaplen;
  r.linktype = h.linktype;
  r.file_bytes = file_bytes;
  r.sha256 = sha256;
  r.capture_host = h.capture_host;
  r.capture_filter = h.capture_filter;
  r.trove_version = h.trove_version;
  r.closed_at_ns = WallClockNs();
  r.stats = s;
  r.drops = d;
  return r;
}

}  // namespace trove
