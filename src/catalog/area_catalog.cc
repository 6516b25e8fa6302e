#include "catalog/area_catalog.h"

#include <filesystem>
#include <system_error>

namespace trove {

namespace fs = std::filesystem;

std::optional<std::string> RelativeInside(const std::string& dir, const std::string& path) {
  if (dir.empty() || path.empty() || path[0] != '/') return std::nullopt;
  const fs::path d = fs::path(dir).lexically_normal();
  const fs::path p = fs::path(path).lexically_normal();
  auto pi = p.begin();
  for (auto di = d.begin(); di != d.end(); ++di) {
    if (di->empty()) continue;  // the trailing separator of "dir/"
    if (pi == p.end() || *di != *pi) return std::nullopt;
    ++pi;
  }
  fs::path rest;
  for (; pi != p.end(); ++pi) rest /= *pi;
  const std::string r = rest.string();
  if (r.empty() || r == "." || r.rfind("..", 0) == 0) return std::nullopt;
  return r;
}

Status CheckInsideAreas(const Catalog& cat, const std::string& path) {
  const auto* ac = dynamic_cast<const AreaCatalog*>(&cat);
  if (ac == nullptr) return Status::Ok();
  const AreaDirs& d = ac->dirs();
  if (RelativeInside(d.primary, path) || RelativeInside(d.spool, path)) return Status::Ok();
  return Status::FailedPrecondition("refusing to delete or move " + path +
                                    ": it is outside this store's storage areas (" + d.primary +
                                    ", " + d.spool + "); trove only touches files in its own areas");
}

AreaCatalog::AreaCatalog(std::unique_ptr<Catalog> inner, AreaDirs dirs)
    : inner_(std::move(inner)), dirs_(std::move(dirs)) {}

std::string AreaCatalog::Relativize(StorageArea area, const std::string& path) const {
  auto r = RelativeInside(dirs_.Of(area), path);
  return r ? *r : path;
}

std::string AreaCatalog::Resolve(StorageArea area, const std::string& path) const {
  if (path.empty() || path[0] == '/') return path;
  return (fs::path(dirs_.Of(area)) / path).lexically_normal().string();
}

Status AreaCatalog::InsertSegment(SegmentRecord* rec) {
  SegmentRecord stored = *rec;
  stored.path = Relativize(rec->area, rec->path);
  Status s = inner_->InsertSegment(&stored);
  rec->id = stored.id;
  return s;
}

Status AreaCatalog::UpdateLocation(int64_t id, StorageArea area, const std::string& path) {
  return inner_->UpdateLocation(id, area, Relativize(area, path));
}

Result<std::vector<SegmentRecord>> AreaCatalog::ListSegments(const SegmentQuery& q) {
  auto v = inner_->ListSegments(q);
  if (!v.ok()) return v.status();
  for (auto& r : *v) r.path = Resolve(r.area, r.path);
  return v;
}

Result<SegmentRecord> AreaCatalog::GetSegment(const std::string& id_or_name) {
  auto r = inner_->GetSegment(id_or_name);
  if (r.ok()) r->path = Resolve(r->area, r->path);
  return r;
}

Status AreaCatalog::AddStranded(StrandedPartial* p) {
  StrandedPartial stored = *p;
  stored.path = Relativize(StorageArea::kPrimary, p->path);
  Status s = inner_->AddStranded(&stored);
  p->id = stored.id;
  return s;
}

Result<std::vector<StrandedPartial>> AreaCatalog::ListStranded() {
  auto v = inner_->ListStranded();
  if (!v.ok()) return v.status();
  for (auto& p : *v) p.path = Resolve(StorageArea::kPrimary, p.path);
  return v;
}

std::string AreaCatalog::Upgrade(StorageArea area, const std::string& path,
                                 const AreaDirs& old_dirs) const {
  if (auto r = RelativeInside(dirs_.Of(area), path)) return *r;
  if (auto r = RelativeInside(old_dirs.Of(area), path)) return *r;
  // Unknown old prefix: the shortest existing tail under the current area.
  const fs::path p = fs::path(path).lexically_normal();
  std::vector<fs::path> parts(p.begin(), p.end());
  std::string tail;
  for (size_t i = parts.size(); i-- > 1;) {  // parts[0] is "/"
    tail = tail.empty() ? parts[i].string() : parts[i].string() + "/" + tail;
    std::error_code ec;
    if (fs::exists(fs::path(dirs_.Of(area)) / tail, ec)) return tail;
  }
  return p.filename().string();
}

Result<size_t> AreaCatalog::RelativizeRows(const AreaDirs& old_dirs) {
  size_t n = 0;
  Status s = inner_->Transaction([&]() -> Status {
    auto segs = inner_->ListSegments(SegmentQuery{});
    if (!segs.ok()) return segs.status();
    for (const auto& r : *segs) {
      if (r.path.empty() || r.path[0] != '/') continue;
      TROVE_RETURN_IF_ERROR(inner_->UpdateLocation(r.id, r.area, Upgrade(r.area, r.path, old_dirs)));
      ++n;
    }
    auto stranded = inner_->ListStranded();
    if (!stranded.ok()) return stranded.status();
    for (const auto& p : *stranded) {
      if (p.path.empty() || p.path[0] != '/') continue;
      StrandedPartial q = p;
      q.path = Upgrade(StorageArea::kPrimary, p.path, old_dirs);
      TROVE_RETURN_IF_ERROR(inner_->RemoveStranded(p.id));
      TROVE_RETURN_IF_ERROR(inner_->AddStranded(&q));
      ++n;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.Annotate("making the catalogue's paths relative to the storage areas");
  return n;
}

}  // namespace trove
