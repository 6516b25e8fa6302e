#include "store/fsck.h"

#include <algorithm>
#include <map>
#include <set>

#include "index/index_file.h"
#include "levels/derive_levels.h"
#include "segment/segment_recovery.h"
#include "store/expiry.h"
#include "store/mover.h"
#include "util/sha256.h"

namespace trove {
namespace {

bool EndsWith(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

void Walk(Fs& fs, const std::string& dir, std::vector<std::string>* out) {
  auto names = fs.ListDir(dir);
  if (!names.ok()) return;
  for (const auto& n : *names) {
    std::string p = JoinPath(dir, n);
    auto st = fs.Stat(p);
    if (!st.ok() || !st->exists) continue;
    if (st->is_dir)
      Walk(fs, p, out);
    else
      out->push_back(p);
  }
}

// AREA/LINK/YYYY/MM/DD/NAME -> LINK
std::string LinkOf(const std::string& area_dir, const std::string& path) {
  std::string rel = path.substr(area_dir.size());
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  return rel.substr(0, rel.find('/'));
}

std::string StemOf(const std::string& path) {
  std::string b = BaseName(path);
  size_t p = b.find(kSegmentSuffix);
  return p == std::string::npos ? b : b.substr(0, p);
}

}  // namespace

Result<FsckReport> RunFsck(Store& store, const FsckOptions& opts) {
  FsckReport rep;
  Fs& fs = store.fs();
  // Repairs write and delete: not in a copy or in another store's area.
  if (!opts.dry_run) TROVE_RETURN_IF_ERROR(store.CheckWritable());
  if (opts.rebuild_catalog && !opts.dry_run) {
    // Stranded failover prefixes are not self-describing (their durable
    // length is only in the catalogue): carry them over, or the partial
    // would be salvaged whole and duplicate packets already in the spool.
    std::vector<StrandedPartial> stranded;
    if (auto sl = store.catalog().ListStranded(); sl.ok()) stranded = std::move(sl).value();
    std::string backup;
    TROVE_RETURN_IF_ERROR(store.ResetCatalog(&backup));
    rep.removed.push_back("old catalogue kept as " + backup);
    for (auto& sp : stranded) {
      Status s = store.catalog().AddStranded(&sp);
      if (!s.ok()) rep.problems.push_back("stranded prefix " + sp.path + ": " + s.message());
    }
  }
  Catalog& cat = store.catalog();

  // 1. What is on disk.
  struct OnDisk {
    std::string path;
    StorageArea area;
  };
  std::vector<OnDisk> complete, partial, moving;
  std::map<std::string, std::vector<OnDisk>> by_name;
  std::map<std::string, std::unique_ptr<LinkLock>> locks;
  std::set<std::string> busy_links;
  for (StorageArea area : {StorageArea::kPrimary, StorageArea::kSpool}) {
    std::vector<std::string> files;
    const std::string dir = store.AreaDir(area);
    Walk(fs, dir, &files);
    for (auto& f : files) {
      if (EndsWith(f, std::string(kSegmentSuffix) + kPartialSuffix)) {
        partial.push_back({f, area});
      } else if (EndsWith(f, std::string(kSegmentSuffix) + kMovingSuffix)) {
        moving.push_back({f, area});
      } else if (EndsWith(f, kSegmentSuffix)) {
        complete.push_back({f, area});
        by_name[StemOf(f)].push_back({f, area});
      }
    }
  }
  rep.files = complete.size();

  // Files of a link some process is writing are that process's business.
  auto busy_link = [&](const std::string& link) {
    if (!locks.count(link) && !busy_links.count(link)) {
      auto l = store.LockLink(link);
      if (l.ok())
        locks[link] = std::move(l).value();
      else
        busy_links.insert(link);
    }
    return busy_links.count(link) > 0;
  };
  auto busy = [&](const OnDisk& f) { return busy_link(LinkOf(store.AreaDir(f.area), f.path)); };

  // 2. Partials: salvage those of links nobody is writing.
  for (const auto& p : partial) {
    rep.partials.push_back(p.path);
    if (busy(p)) {
      rep.busy.push_back(p.path);
      continue;
    }
    if (opts.dry_run) {
      rep.problems.push_back("partial segment " + p.path + " needs salvage");
      continue;
    }
    // A stranded prefix must be cut at its durable length, not salvaged whole.
    bool stranded = false;
    if (auto sl = cat.ListStranded(); sl.ok())
      for (const auto& s : *sl)
        if (s.path == p.path) stranded = true;
    if (stranded) continue;  // handled by FinishStranded below
    auto r = SalvagePartial(fs, cat, p.path, UINT64_MAX, p.area, PartialKind::kCrashedRun);
    if (!r.ok()) {
      rep.problems.push_back(r.status().message());
    } else if (r->has_value()) {
      rep.salvaged.push_back((*r)->name);
      by_name[(*r)->name].push_back({(*r)->path, p.area});
    } else {
      rep.removed.push_back(p.path + " (no complete packet)");
    }
  }
  if (!opts.dry_run) {
    auto fin = FinishStranded(fs, cat);
    if (!fin.ok()) rep.problems.push_back(fin.status().message());
  }
  if (auto sl = cat.ListStranded(); sl.ok())
    for (const auto& s : *sl)
      rep.stranded.push_back(s.path + " (unreachable; " + std::to_string(s.durable_bytes) +
                             " bytes)");

  // 2b. Expiries a crash interrupted roll forward (before the files are
  // checked, so their rows are expired, not missing); files left behind by
  // expired rows are removed.
  {
    std::set<std::string> links;
    for (const auto& l : store.config().links) links.insert(l.name);
    for (const auto& f : complete) links.insert(LinkOf(store.AreaDir(f.area), f.path));
    const std::string run_dir = JoinPath(store.dir(), "run");
    for (const auto& link : links) {
      const std::string journal = ExpiryJournalPath(run_dir, link);
      auto js = fs.Stat(journal);
      const bool has_journal = js.ok() && js->exists;
      if (has_journal && (opts.dry_run || busy_link(link))) {
        if (opts.dry_run)
          rep.problems.push_back("interrupted expiry " + journal + " needs finishing");
        continue;
      }
      if (opts.dry_run || busy_link(link)) continue;
      ExpiryReport er;
      Status s = FinishExpiryJournal(fs, cat, run_dir, link, &er);
      if (!s.ok()) rep.problems.push_back(s.message());
      if (er.journal_finished) rep.removed.push_back(journal + " (interrupted expiry finished)");
      for (const auto& p : er.problems) rep.problems.push_back(p);
      for (const auto& p : SweepExpiredFiles(fs, cat, link))
        rep.removed.push_back(p + " (file of an expired segment)");
    }
  }

  // 3. Catalogued segments against their files.
  SegmentQuery all;
  auto list = cat.ListSegments(all);
  if (!list.ok()) return list.status();
  std::set<std::string> catalogued;
  for (auto& s : *list) {
    catalogued.insert(s.name);
    if (s.state == SegmentState::kExpired) continue;
    auto st = fs.Stat(s.path);
    bool here = st.ok() && st->exists;
    // An interrupted move: the catalogue points at one copy, the other exists.
    const std::string catalogued_path = s.path;  // s.path changes if relocated below
    for (const auto& other : by_name[s.name]) {
      if (other.path == s.path || other.path == catalogued_path) continue;
      auto sha = Sha256File(other.path);
      bool same = sha.ok() && *sha == s.sha256;
      if (!same) {
        rep.problems.push_back("duplicate segment name " + s.name + " at " + other.path +
                               " with different content");
        continue;
      }
      if (opts.dry_run) {
        rep.problems.push_back("second copy of " + s.name + " at " + other.path);
        continue;
      }
      if (other.area == StorageArea::kPrimary && s.area == StorageArea::kSpool) {
        // Move finished but not recorded: adopt the primary copy.
        Status u = cat.UpdateLocation(s.id, StorageArea::kPrimary, other.path);
        if (u.ok()) {
          rep.relocated.push_back(s.name);
          if (here) MoveIndexSidecar(fs, s.path, other.path);
          if (here && store.CheckOwnedPath(s.path).ok()) (void)fs.Remove(s.path);
          s.path = other.path;
          s.area = StorageArea::kPrimary;
          here = true;
        }
      } else if (here) {
        (void)fs.Remove(other.path);
        rep.removed.push_back(other.path + " (duplicate of catalogued copy)");
      }
    }
    if (!here) {
      rep.missing.push_back(s.name + " (" + s.path + ")");
      if (!opts.dry_run && s.state != SegmentState::kMissing)
        (void)cat.UpdateState(s.id, SegmentState::kMissing);
      continue;
    }
    if (s.state == SegmentState::kMissing && !opts.dry_run) {
      // It came back (e.g. a remounted primary); verified below.
      (void)cat.UpdateState(s.id, SegmentState::kStored);
    }
    ++rep.checked;
    if (st.ok() && st->exists && st->size != s.file_bytes) {
      rep.corrupt.push_back(s.name + ": size " + std::to_string(st->size) + ", catalogue says " +
                            std::to_string(s.file_bytes));
      continue;
    }
    if (opts.verify_hashes) {
      auto sha = Sha256File(s.path);
      if (!sha.ok())
        rep.corrupt.push_back(s.name + ": " + sha.status().message());
      else if (*sha != s.sha256)
        rep.corrupt.push_back(s.name + ": SHA-256 " + *sha + ", catalogue says " + s.sha256);
    }
  }

  // 4. Complete files the catalogue does not know. A derived segment is
  // named after its parent (PARENT.LEVEL), so adopting shorter names first
  // adopts every parent before its children and AdoptSegment can link them.
  std::stable_sort(complete.begin(), complete.end(), [](const OnDisk& a, const OnDisk& b) {
    return StemOf(a.path).size() < StemOf(b.path).size();
  });
  for (const auto& f : complete) {
    const std::string name = StemOf(f.path);
    if (catalogued.count(name)) continue;
    if (busy(f)) {
      rep.busy.push_back(f.path);
      continue;
    }
    if (opts.dry_run) {
      rep.problems.push_back("segment file not in the catalogue: " + f.path);
      continue;
    }
    auto r = AdoptSegment(cat, f.path, f.area);
    if (r.ok()) {
      rep.adopted.push_back(r->name);
      catalogued.insert(name);
    } else {
      rep.problems.push_back(r.status().message());
    }
  }

  // 5. Copies left by an interrupted mover (the source is still catalogued).
  for (const auto& m : moving) {
    if (opts.dry_run) {
      rep.problems.push_back("interrupted mover copy " + m.path);
      continue;
    }
    if (fs.Remove(m.path).ok()) rep.removed.push_back(m.path + " (interrupted move)");
  }

  // 6. Derived levels a crash left underived (their partials were removed
  // in step 2), for the links nobody is writing.
  StorageRouter router(fs, store.primary_dir(), store.spool_dir(),
                       store.config().storage.probe_interval_ns);
  SegmentWriterOptions base;
  base.checkpoint_bytes = store.config().storage.checkpoint_bytes;
  base.direct_io = store.config().storage.direct_io;
  auto levels = OpenStoreLevels(store, router, cat, base);
  if (!levels.ok()) {
    rep.problems.push_back("privacy levels: " + levels.status().message());
  } else if (*levels) {
    SegmentQuery raw;
    raw.level = "raw";
    raw.state = SegmentState::kStored;
    auto segs = cat.ListSegments(raw);
    if (!segs.ok()) return segs.status();
    for (const auto& seg : *segs) {
      auto st = fs.Stat(seg.path);
      if (!st.ok() || !st->exists) continue;  // reported missing above
      if (busy(OnDisk{seg.path, seg.area})) continue;
      auto r = (*levels)->Complete(seg, opts.dry_run);
      if (!r.ok()) {
        rep.problems.push_back("deriving the levels of " + seg.name + ": " + r.status().message());
        continue;
      }
      for (const auto& d : *r) {
        if (opts.dry_run)
          rep.problems.push_back("segment " + seg.name + " lacks its " + d.level + " level");
        else
          rep.derived.push_back(d.name);
      }
    }
  }
  return rep;
}

}  // namespace trove
