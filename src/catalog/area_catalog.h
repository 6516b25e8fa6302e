#pragma once
// AreaCatalog: the Catalog a store hands to its code. It wraps a backend
// whose rows keep each file's path RELATIVE to its storage area (segments:
// their `area`; stranded partials: the primary) and resolves them against
// the area directories of the store's current configuration, so a store
// can be moved or copied (a copy's rows resolve into the copy's areas).
//
//   read  (ListSegments, GetSegment, ListStranded): a relative row path
//         becomes JoinPath(area dir, path); an absolute one (written by a
//         trove before schema v6 and not yet upgraded) is returned as is.
//   write (InsertSegment, UpdateLocation, AddStranded): a path under the
//         record's area dir is stored relative to it; a path outside every
//         area is stored as given (callers only write paths they built from
//         the area dirs; the store's path guard refuses to delete it).
//
// RelativizeRows() is the upgrade of a catalogue written with absolute
// paths (schema <= 5): see its comment.
//
// Thread safety: as the wrapped Catalog (one object per thread).
// Ownership: owns the wrapped backend. No call blocks beyond the backend.

#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"

namespace trove {

struct AreaDirs {
  std::string primary;  // absolute, normalised
  std::string spool;
  const std::string& Of(StorageArea a) const { return a == StorageArea::kPrimary ? primary : spool; }
};

// `path` relative to `dir` if it lies inside it (after lexical
// normalisation), else nullopt. "dir" itself is not inside.
std::optional<std::string> RelativeInside(const std::string& dir, const std::string& path);

// Ok if `cat` is not an AreaCatalog (test fakes) or `path` lies inside one
// of its areas; FailedPrecondition naming the path otherwise. The one check
// before trove deletes or moves a stored file (expiry, gc, fsck, mover).
Status CheckInsideAreas(const Catalog& cat, const std::string& path);

class AreaCatalog final : public Catalog {
 public:
  AreaCatalog(std::unique_ptr<Catalog> inner, AreaDirs dirs);

  const AreaDirs& dirs() const { return dirs_; }
  Catalog& backend() { return *inner_; }

  // The stored form of `path` for `area` (relative when inside the area).
  std::string Relativize(StorageArea area, const std::string& path) const;
  // The absolute form of a stored row path.
  std::string Resolve(StorageArea area, const std::string& path) const;

  // Rewrites every absolute row path (segments and stranded partials) to
  // one relative to its area, in one transaction:
  //   1. under the area's current directory: the rest of the path;
  //   2. under `old_dirs.Of(area)` (the directory recorded at the last
  //      open; e.g. the store was moved since): the rest of the path;
  //   3. otherwise the shortest trailing part of the path that exists
  //      under the current area directory, else the file name (segments
  //      sit flat in their area).
  // Returns the number of rows rewritten. Idempotent.
  Result<size_t> RelativizeRows(const AreaDirs& old_dirs);

  int SchemaVersion() const override { return inner_->SchemaVersion(); }
  Status InsertSegment(SegmentRecord* rec) override;
  Status UpdateLocation(int64_t id, StorageArea area, const std::string& path) override;
  Status UpdateState(int64_t id, SegmentState state) override { return inner_->UpdateState(id, state); }
  Status DeleteSegment(int64_t id) override { return inner_->DeleteSegment(id); }
  Result<std::vector<SegmentRecord>> ListSegments(const SegmentQuery& q) override;
  Result<SegmentRecord> GetSegment(const std::string& id_or_name) override;
  Result<CatalogTotals> Totals(const SegmentQuery& q) override { return inner_->Totals(q); }
  Status AddStranded(StrandedPartial* p) override;
  Result<std::vector<StrandedPartial>> ListStranded() override;
  Status RemoveStranded(int64_t id) override { return inner_->RemoveStranded(id); }
  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    return inner_->GetMeta(key);
  }
  Status SetMeta(const std::string& key, const std::string& value) override {
    return inner_->SetMeta(key, value);
  }
  Status PutSegmentSummary(int64_t id, int64_t first_ts_ns, int64_t last_ts_ns,
                           const std::string& blob) override {
    return inner_->PutSegmentSummary(id, first_ts_ns, last_ts_ns, blob);
  }
  Result<std::optional<std::string>> GetSegmentSummary(int64_t id) override {
    return inner_->GetSegmentSummary(id);
  }
  Status Transaction(const std::function<Status()>& fn) override { return inner_->Transaction(fn); }

 private:
  std::string Upgrade(StorageArea area, const std::string& path, const AreaDirs& old_dirs) const;

  std::unique_ptr<Catalog> inner_;
  AreaDirs dirs_;
};

}  // namespace trove
