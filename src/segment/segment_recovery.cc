#include "segment/segment_recovery.h"

#include "segment/segment_scan.h"
#include "util/log.h"
#include "util/sha256.h"

namespace trove {
namespace {

// A derived segment names its parent (trove.parent); link the row to it when
// the parent is catalogued.
void LinkParent(Catalog& catalog, const SegmentHeaderInfo& h, SegmentRecord* rec) {
  if (h.parent.empty()) return;
  if (auto parent = catalog.GetSegment(h.parent); parent.ok()) rec->parent_id = parent->id;
}

}  // namespace

Result<std::optional<SegmentRecord>> SalvagePartial(Fs& fs, Catalog& catalog,
                                                    const std::string& partial_path, uint64_t limit,
                                                    StorageArea area, PartialKind kind) {
  auto scan = ScanSegmentFile(partial_path, limit);
  if (!scan.ok()) return scan.status();
  if (!scan->has_header && !scan->header_cut)
    return Status::Corruption(partial_path +
                              ": not a trove segment (no trove section header); left in place");
  const bool rederive = kind == PartialKind::kCrashedRun && scan->header.level != "raw";
  if (scan->header_cut || scan->stats.packets == 0 || rederive) {
    TROVE_RETURN_IF_ERROR(fs.Remove(partial_path));
    return std::optional<SegmentRecord>();
  }
  uint64_t keep = scan->complete_bytes;
  if (keep != scan->file_bytes) TROVE_RETURN_IF_ERROR(fs.TruncateFile(partial_path, keep));
  std::string final_path = partial_path;
  if (final_path.size() > std::char_traits<char>::length(kPartialSuffix))
    final_path.resize(final_path.size() - std::char_traits<char>::length(kPartialSuffix));
  TROVE_RETURN_IF_ERROR(fs.SyncFile(partial_path));
  auto sha = Sha256File(partial_path);
  if (!sha.ok()) return sha.status();
  TROVE_RETURN_IF_ERROR(fs.RenameDurable(partial_path, final_path));
  SegmentRecord rec =
      MakeSegmentRecord(scan->header, scan->stats, scan->drops, final_path, area, keep, *sha);
  LinkParent(catalog, scan->header, &rec);
  TROVE_RETURN_IF_ERROR(catalog.InsertSegment(&rec));
  return std::optional<SegmentRecord>(rec);
}

Result<SegmentRecord> AdoptSegment(Catalog& catalog, const std::string& path, StorageArea area) {
  auto scan = ScanSegmentFile(path);
  if (!scan.ok()) return scan.status();
  if (!scan->has_header) return Status::Corruption(path + ": not a trove segment");
  if (!scan->error.ok() || scan->truncated)
    return Status::Corruption(path + ": complete-looking segment is damaged: " +
                              (scan->error.ok() ? "truncated" : scan->error.message()));
  auto sha = Sha256File(path);
  if (!sha.ok()) return sha.status();
  SegmentRecord rec =
      MakeSegmentRecord(scan->header, scan->stats, scan->drops, path, area, scan->file_bytes, *sha);
  LinkParent(catalog, scan->header, &rec);
  TROVE_RETURN_IF_ERROR(catalog.InsertSegment(&rec));
  return rec;
}

Result<int> FinishStranded(Fs& fs, Catalog& catalog) {
  auto list = catalog.ListStranded();
  if (!list.ok()) return list.status();
  int done = 0;
  for (const auto& s : *list) {
    auto st = fs.Stat(s.path);
    if (!st.ok() || !st->exists) continue;  // still unreachable
    auto r = SalvagePartial(fs, catalog, s.path, s.durable_bytes, StorageArea::kPrimary,
                            PartialKind::kDurablePrefix);
    if (!r.ok()) {
      LogWarning("stranded partial " + s.path + ": " + r.status().message());
      continue;
    }
    TROVE_RETURN_IF_ERROR(catalog.RemoveStranded(s.id));
    ++done;
  }
  return done;
}

}  // namespace trove

namespace trove {
namespace {
void FindPartials(Fs& fs, const std::string& dir, std::vector<std::string>* out) {
  auto names = fs.ListDir(dir);
  if (!names.ok()) return;
  const std::string suffix = std::string(kSegmentSuffix) + kPartialSuffix;
  for (const auto& n : *names) {
    std::string p = JoinPath(dir, n);
    auto st = fs.Stat(p);
    if (!st.ok() || !st->exists) continue;
    if (st->is_dir)
      FindPartials(fs, p, out);
    else if (n.size() > suffix.size() &&
             n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      out->push_back(p);
  }
}
}  // namespace

Result<int> RecoverLinkPartials(Fs& fs, Catalog& catalog, const std::string& area_dir,
                                StorageArea area, const std::string& link) {
  std::vector<std::string> partials;
  FindPartials(fs, JoinPath(area_dir, link), &partials);
  auto stranded = catalog.ListStranded();
  int n = 0;
  for (const auto& p : partials) {
    bool is_stranded = false;
    if (stranded.ok())
      for (const auto& s : *stranded)
        if (s.path == p) is_stranded = true;
    if (is_stranded) continue;
    auto r = SalvagePartial(fs, catalog, p, UINT64_MAX, area, PartialKind::kCrashedRun);
    if (!r.ok()) {
      LogWarning("cannot salvage " + p + ": " + r.status().message() + "; run `trove fsck`");
      continue;
    }
    if (r->has_value())
      LogInfo("salvaged partial segment " + p + " (" + std::to_string((*r)->stats.packets) +
              " packets) left by an interrupted run");
    ++n;
  }
  return n;
}
}  // namespace trove
