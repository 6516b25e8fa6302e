#include "store/expiry.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "catalog/area_catalog.h"
#include "index/index_file.h"

namespace trove {
namespace {

constexpr const char* kJournalMagic = "trove expiry journal v1";

struct Row {
  const SegmentRecord* rec;
  uint64_t bytes;  // file + index
};

uint64_t FileSize(Fs& fs, const std::string& path) {
  auto st = fs.Stat(path);
  return st.ok() && st->exists ? st->size : 0;
}

void RemoveIfThere(Fs& fs, const Catalog& cat, const std::string& path, ExpiryReport* rep) {
  auto st = fs.Stat(path);
  if (!st.ok() || !st->exists) return;
  Status s = CheckInsideAreas(cat, path);
  if (s.ok()) s = fs.Remove(path);
  if (!s.ok() && rep) rep->problems.push_back(s.message());
}

// The stored rows of a link, grouped: every raw row with its derived
// descendants; derived rows with no stored raw ancestor are orphans.
struct Family {
  const SegmentRecord* raw = nullptr;
  std::vector<const SegmentRecord*> members;  // raw and its derived descendants
};
// A derived row with no stored raw ancestor, and the topmost stored row of
// its chain (itself, or e.g. the scrubbed parent of a scrambled orphan).
struct Orphan {
  const SegmentRecord* row = nullptr;
  const SegmentRecord* top = nullptr;
};
struct LinkRows {
  std::vector<SegmentRecord> all;
  std::map<int64_t, Family> family;  // by raw id
  std::vector<Orphan> orphans;
};

Result<LinkRows> LoadLinkRows(Catalog& cat, const std::string& link) {
  LinkRows lr;
  SegmentQuery q;
  q.link = link;
  q.state = SegmentState::kStored;
  TROVE_ASSIGN_OR_RETURN(lr.all, cat.ListSegments(q));
  std::map<int64_t, const SegmentRecord*> by_id;
  for (const auto& r : lr.all) by_id[r.id] = &r;
  for (const auto& r : lr.all) {
    const SegmentRecord* root = &r;
    for (int hops = 0; root->level != "raw" && hops < 16; ++hops) {
      auto it = by_id.find(root->parent_id);
      if (it == by_id.end()) break;
      root = it->second;
    }
    if (root->level == "raw") {
      Family& f = lr.family[root->id];
      f.raw = root;
      f.members.push_back(&r);
    } else
      lr.orphans.push_back({&r, root});
  }
  return lr;
}

uint64_t RowBytes(Fs& fs, const SegmentRecord& r) {
  return r.file_bytes + (r.level == "raw" ? FileSize(fs, IndexPathFor(r.path)) : 0);
}

std::string JournalText(const std::vector<const SegmentRecord*>& rows) {
  std::string s = std::string(kJournalMagic) + "\n";
  for (const auto* r : rows) s += std::to_string(r->id) + "\t" + r->path + "\n";
  return s;
}

struct JournalEntry {
  int64_t id;
  std::string path;
};

Result<std::vector<JournalEntry>> ParseJournal(const std::string& path, const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kJournalMagic)
    return Status::Corruption("expiry journal " + path + ": first line is not '" + kJournalMagic +
                              "'");
  std::vector<JournalEntry> out;
  int n = 1;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    char* end = nullptr;
    const long long id = tab == std::string::npos ? 0 : std::strtoll(line.c_str(), &end, 10);
    if (tab == std::string::npos || end != line.c_str() + tab || id <= 0)
      return Status::Corruption("expiry journal " + path + ": line " + std::to_string(n) +
                                " is not 'ID<TAB>PATH'");
    out.push_back({id, line.substr(tab + 1)});
  }
  return out;
}

// Steps 2-4 for the entries of a durable journal.
Status RollForward(Fs& fs, Catalog& cat, const std::string& journal,
                   const std::vector<JournalEntry>& entries, const ExpiryOptions& opts,
                   ExpiryReport* rep) {
  // The paths the rows have once they are expired: the mover may have
  // relocated a segment after the journal recorded it (store/mover.h).
  std::vector<std::string> moved(entries.size());
  TROVE_RETURN_IF_ERROR(cat.Transaction([&]() -> Status {
    for (size_t i = 0; i < entries.size(); ++i) {
      Status s = cat.UpdateState(entries[i].id, SegmentState::kExpired);
      if (!s.ok() && s.code() != Status::Code::kNotFound) return s;
      if (!s.ok()) continue;
      TROVE_ASSIGN_OR_RETURN(SegmentRecord now, cat.GetSegment(std::to_string(entries[i].id)));
      if (now.path != entries[i].path) moved[i] = now.path;
    }
    return Status::Ok();
  }));
  if (opts.step_hook) opts.step_hook("catalog");
  for (size_t i = 0; i < entries.size(); ++i) {
    for (const std::string* p : {&std::as_const(entries[i].path), &std::as_const(moved[i])}) {
      if (p->empty()) continue;
      RemoveIfThere(fs, cat, *p, rep);
      RemoveIfThere(fs, cat, IndexPathFor(*p), rep);
    }
    if (opts.step_hook) opts.step_hook("file");
  }
  Status s = fs.Remove(journal);
  if (!s.ok()) return s;
  return fs.SyncDir(DirName(journal));
}

}  // namespace

std::vector<ClassPolicy> PoliciesFrom(const std::vector<ClassConfig>& classes) {
  std::vector<ClassPolicy> out;
  for (const auto& c : classes) out.push_back({c.name, c.disk_budget, c.retention_ns});
  return out;
}

std::string ExpiryJournalPath(const std::string& run_dir, const std::string& link) {
  return JoinPath(run_dir, link + ".expiring");
}

Status FinishExpiryJournal(Fs& fs, Catalog& cat, const std::string& run_dir,
                           const std::string& link, ExpiryReport* report) {
  const std::string path = ExpiryJournalPath(run_dir, link);
  auto st = fs.Stat(path);
  if (!st.ok() || !st->exists) return Status::Ok();
  TROVE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  TROVE_ASSIGN_OR_RETURN(std::vector<JournalEntry> entries, ParseJournal(path, text));
  ExpiryReport local;
  ExpiryReport* rep = report ? report : &local;
  TROVE_RETURN_IF_ERROR(RollForward(fs, cat, path, entries, {}, rep));
  rep->journal_finished = true;
  return Status::Ok();
}

Result<std::vector<ClassUsage>> ClassUsages(Fs& fs, Catalog& cat, const std::string& link) {
  TROVE_ASSIGN_OR_RETURN(LinkRows lr, LoadLinkRows(cat, link));
  std::map<std::string, ClassUsage> by_class;
  for (const auto& [raw_id, fam] : lr.family) {
    const SegmentRecord* r0 = fam.raw;
    ClassUsage& u = by_class[r0->klass];
    u.link = link;
    u.klass = r0->klass;
    ++u.segments;
    for (const auto* r : fam.members) u.bytes += RowBytes(fs, *r);
    if (r0->stats.packets > 0) {
      if (u.oldest_ns == 0 || r0->stats.first_ts_ns < u.oldest_ns)
        u.oldest_ns = r0->stats.first_ts_ns;
      u.newest_ns = std::max(u.newest_ns, r0->stats.last_ts_ns);
    }
  }
  for (const Orphan& o : lr.orphans) {
    ClassUsage& u = by_class[o.row->klass];
    u.link = link;
    u.klass = o.row->klass;
    u.bytes += RowBytes(fs, *o.row);
  }
  std::vector<ClassUsage> out;
  for (auto& [k, u] : by_class) out.push_back(u);
  return out;
}

Result<ExpiryReport> EnforceExpiry(Fs& fs, Catalog& cat, const std::string& run_dir,
                                   const std::string& link,
                                   const std::vector<ClassPolicy>& policies,
                                   const ExpiryOptions& opts) {
  ExpiryReport rep;
  if (!opts.dry_run) TROVE_RETURN_IF_ERROR(FinishExpiryJournal(fs, cat, run_dir, link, &rep));
  TROVE_ASSIGN_OR_RETURN(LinkRows lr, LoadLinkRows(cat, link));

  std::vector<const SegmentRecord*> doomed;
  auto expire = [&](const SegmentRecord& r, const std::string& reason, uint64_t bytes) {
    doomed.push_back(&r);
    rep.expired.push_back({r.id, r.name, r.klass, r.level, reason, bytes});
    rep.bytes_freed += bytes;
  };
  // Only an ancestor that is catalogued as expired makes an orphan expire
  // (a derived row whose chain ends in an unknown parent is left alone).
  // The whole chain goes in one pass: a scrambled segment derived from a
  // scrubbed one that was itself derived while their raw parent expired.
  for (const Orphan& o : lr.orphans) {
    if (o.top->parent_id == 0) continue;
    auto parent = cat.GetSegment(std::to_string(o.top->parent_id));
    if (parent.ok() && parent->state == SegmentState::kExpired)
      expire(*o.row, "parent expired", RowBytes(fs, *o.row));
  }

  for (const ClassPolicy& pol : policies) {
    if (pol.budget == 0 && pol.retention_ns == 0) continue;
    // Raw segments of the class, oldest first (ListSegments' order).
    std::vector<const Family*> fams;
    for (const auto& r : lr.all)
      if (r.level == "raw" && r.klass == pol.klass) fams.push_back(&lr.family[r.id]);
    if (fams.empty()) continue;
    int64_t newest = INT64_MIN;
    std::vector<uint64_t> bytes(fams.size(), 0);
    uint64_t total = 0;
    for (size_t i = 0; i < fams.size(); ++i) {
      for (const auto* r : fams[i]->members) bytes[i] += RowBytes(fs, *r);
      const SegmentRecord& raw = *fams[i]->raw;
      if (raw.stats.packets > 0) newest = std::max(newest, raw.stats.last_ts_ns);
      total += bytes[i];
    }
    std::vector<bool> gone(fams.size(), false);
    auto expire_family = [&](size_t i, const char* reason) {
      gone[i] = true;
      total -= bytes[i];
      for (const auto* r : fams[i]->members) expire(*r, reason, RowBytes(fs, *r));
    };
    if (pol.retention_ns > 0 && newest != INT64_MIN) {
      for (size_t i = 0; i < fams.size(); ++i) {
        const SegmentRecord& raw = *fams[i]->raw;
        if (raw.stats.last_ts_ns < newest - pol.retention_ns) expire_family(i, "retention");
      }
    }
    if (pol.budget > 0) {
      for (size_t i = 0; i < fams.size() && total > pol.budget; ++i)
        if (!gone[i]) expire_family(i, "budget");
    }
  }
  if (doomed.empty() || opts.dry_run) return rep;

  // 1. The journal makes the decision durable; from here it rolls forward.
  const std::string journal = ExpiryJournalPath(run_dir, link);
  TROVE_RETURN_IF_ERROR(fs.CreateDirs(run_dir));
  TROVE_RETURN_IF_ERROR(WriteFileAtomic(fs, journal, JournalText(doomed)));
  if (opts.step_hook) opts.step_hook("journal");
  std::vector<JournalEntry> entries;
  for (const auto* r : doomed) entries.push_back({r->id, r->path});
  TROVE_RETURN_IF_ERROR(RollForward(fs, cat, journal, entries, opts, &rep));
  return rep;
}

std::vector<std::string> SweepExpiredFiles(Fs& fs, Catalog& cat, const std::string& link) {
  std::vector<std::string> removed;
  SegmentQuery q;
  q.link = link;
  q.state = SegmentState::kExpired;
  auto list = cat.ListSegments(q);
  if (!list.ok()) return removed;
  for (const auto& r : *list) {
    for (const std::string& p : {r.path, IndexPathFor(r.path)}) {
      auto st = fs.Stat(p);
      if (st.ok() && st->exists && CheckInsideAreas(cat, p).ok() && fs.Remove(p).ok())
        removed.push_back(p);
    }
  }
  return removed;
}

}  // namespace trove
