#include "index/index_file.h"

#include "index/index_builder.h"
#include "index/index_codec.h"
#include "segment/decoded_packets.h"
#include "util/log.h"

namespace trove {

std::string IndexPathFor(const std::string& segment_path) {
  static constexpr std::string_view kSuffix = ".pcapng";
  if (segment_path.size() > kSuffix.size() &&
      segment_path.compare(segment_path.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
    return segment_path.substr(0, segment_path.size() - kSuffix.size()) + ".idx";
  return segment_path + ".idx";
}

Status WriteIndexFile(Fs& fs, const std::string& path, const SegmentIndex& ix,
                      uint64_t* bytes_written) {
  const std::string bytes = EncodeSegmentIndex(ix);
  if (bytes_written) *bytes_written = bytes.size();
  const std::string partial = path + ".partial";
  (void)fs.Remove(partial);  // a leftover of an interrupted write
  TROVE_ASSIGN_OR_RETURN(auto f, fs.NewWritableFile(partial));
  Status s = f->Append(bytes.data(), bytes.size());
  if (s.ok()) s = f->Sync();
  Status c = f->Close();
  if (s.ok()) s = c;
  if (s.ok()) s = fs.RenameDurable(partial, path);
  if (!s.ok()) (void)fs.Remove(partial);
  return s;
}

Result<SegmentIndex> ReadIndexFile(const std::string& path, const IndexDecodeOptions& opts) {
  TROVE_ASSIGN_OR_RETURN(auto m, MappedFile::Open(path));
  std::shared_ptr<const MappedFile> map(std::move(m));
  IndexDecodeOptions o = opts;
  if (o.defer_offsets) o.owner = map;
  return DecodeSegmentIndex(map->data(), map->size(), path, o);
}

Result<std::unique_ptr<IndexView>> OpenIndexView(const std::string& path) {
  TROVE_ASSIGN_OR_RETURN(auto m, MappedFile::Open(path));
  std::shared_ptr<const MappedFile> map(std::move(m));
  if (map->size() >= 12 && (map->data()[8] == 3 || map->data()[8] == 4) && map->data()[9] == 0 && map->data()[10] == 0 &&
      map->data()[11] == 0) {
    TROVE_ASSIGN_OR_RETURN(auto v, IndexView::Open(map, map->data(), map->size(), path));
    for (const auto& [from, to] : v->LookupRanges()) map->WillNeed(from, to - from);
    return v;
  }
  IndexDecodeOptions o;
  o.defer_offsets = true;
  o.postings = false;  // records are judged one by one
  o.owner = map;
  TROVE_ASSIGN_OR_RETURN(SegmentIndex ix, DecodeSegmentIndex(map->data(), map->size(), path, o));
  return IndexView::Of(std::make_shared<const SegmentIndex>(std::move(ix)), map->size());
}

void CopyIndexSidecar(Fs& fs, const std::string& from_segment_path,
                      const std::string& to_segment_path) {
  const std::string from = IndexPathFor(from_segment_path);
  auto st = fs.Stat(from);
  if (!st.ok() || !st->exists) return;
  auto ix = ReadIndexFile(from);
  Status w = ix.ok() ? WriteIndexFile(fs, IndexPathFor(to_segment_path), *ix) : ix.status();
  if (!w.ok())
    LogWarning("the index of " + to_segment_path + " is not copied: " + w.message() +
               " (queries scan the segment; `trove fsck` rebuilds the index)");
}

void MoveIndexSidecar(Fs& fs, const std::string& from_segment_path,
                      const std::string& to_segment_path) {
  CopyIndexSidecar(fs, from_segment_path, to_segment_path);
  // The old sidecar is unreadable without its segment; a failed remove
  // leaves an orphan .idx that fsck's index check reports.
  (void)fs.Remove(IndexPathFor(from_segment_path));
}

Result<SegmentIndex> BuildIndexFromSegment(const std::string& segment_path,
                                           const std::string& segment_name) {
  TROVE_ASSIGN_OR_RETURN(auto m, MappedFile::Open(segment_path));
  std::unique_ptr<SegmentIndexBuilder> b;
  PcapngVisitor v;
  v.on_interface = [&](const InterfaceInfo& i, uint64_t) {
    if (!b) b = std::make_unique<SegmentIndexBuilder>(segment_name, i.linktype);
    return true;
  };
  PcapngParseResult r = ForEachDecodedPacket(
      m->data(), m->size(), std::move(v),
      [&](const PacketRef& p, const DecodedPacket& d, uint64_t offset) {
        if (!b) b = std::make_unique<SegmentIndexBuilder>(segment_name, p.linktype);
        b->Add(p, d, offset);
        return true;
      });
  if (!r.error.ok()) return r.error;
  if (!b) b = std::make_unique<SegmentIndexBuilder>(segment_name, 0);
  return b->Snapshot(m->size());
}

}  // namespace trove
