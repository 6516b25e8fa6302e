#include "store/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "anon/key_file.h"
#include "catalog/area_catalog.h"
#include "segment/storage_router.h"
#include "store/store_identity.h"
#include "util/time_util.h"

namespace trove {

namespace {
constexpr const char* kConfigName = "trove.toml";
// store_meta keys (docs/FORMAT.md "Store metadata").
constexpr const char* kMetaId = "store_id";
constexpr const char* kMetaOpenedAt = "opened_at";  // store dir at the last writable open
constexpr const char* kMetaPrimaryDir = "area_dir.primary";
constexpr const char* kMetaSpoolDir = "area_dir.spool";
constexpr const char* kMetaPaths = "paths";  // "area-relative" once upgraded (schema v6)

std::string Normal(const std::string& p) {
  std::string n = std::filesystem::path(p).lexically_normal().string();
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  return n;
}

std::string MetaOr(Catalog& cat, const char* key) {
  auto v = cat.GetMeta(key);
  return v.ok() && v->has_value() ? **v : std::string();
}

// Writes only when the value changes: opening a store for reading leaves
// the catalogue alone.
Status SetMetaIfChanged(Catalog& cat, const char* key, const std::string& value) {
  if (MetaOr(cat, key) == value) return Status::Ok();
  return cat.SetMeta(key, value);
}

Result<std::unique_ptr<Catalog>> OpenAreaCatalog(const std::string& url, const std::string& dir,
                                                 const AreaDirs& dirs, bool create) {
  auto cat = OpenCatalog(url, dir, create);
  if (!cat.ok()) return cat.status();
  return std::unique_ptr<Catalog>(new AreaCatalog(std::move(cat).value(), dirs));
}

// True if both paths name the same directory (e.g. one through a
// symlink): then the store was not copied, only reached another way.
bool SameDirectory(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// The identity found in the areas of the store whose directory is `other`
// (its trove.toml names them); empty if there is no store there.
std::string IdentityAt(const std::string& other) {
  auto text = ReadFileToString(JoinPath(other, kConfigName));
  if (!text.ok()) return "";
  auto cfg = ParseStoreConfig(*text, JoinPath(other, kConfigName));
  if (!cfg.ok()) return "";
  for (StorageArea a : {StorageArea::kPrimary, StorageArea::kSpool}) {
    const std::string d =
        JoinPath(other, a == StorageArea::kPrimary ? cfg->storage.primary : cfg->storage.spool);
    auto m = ReadAreaMarker(DefaultFs(), d, a);
    if (!m.ok() || !m->exists) continue;
    if (!m->store_id.empty()) return m->store_id;
    if (Normal(m->legacy_store_dir) == Normal(other)) return "legacy:" + Normal(other);
  }
  return "";
}
}  // namespace

std::string AbsolutePath(const std::string& p) {
  if (!p.empty() && p[0] == '/') return p;
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) return p;
  std::string cwd = buf;
  if (p.empty() || p == ".") return cwd;
  std::string rel = p;
  while (rel.rfind("./", 0) == 0) rel = rel.substr(2);
  return JoinPath(cwd, rel);
}

LinkLock::~LinkLock() {
  if (fd_ >= 0) ::close(fd_);
}

Status Store::Init(const std::string& dir_in, const InitOptions& opts) {
  Fs& fs = DefaultFs();
  const std::string dir = AbsolutePath(dir_in);
  auto st = fs.Stat(JoinPath(dir, kConfigName));
  if (st.ok() && st->exists)
    return Status::AlreadyExists("a store already exists at " + dir +
                                 " (trove.toml found); use it, or choose another --store");
  TROVE_RETURN_IF_ERROR(fs.CreateDirs(dir));
  StoreConfig c = DefaultStoreConfig();
  if (opts.cutoff == "none") {
    c.classes[0].has_cutoff = false;
  } else if (!opts.cutoff.empty()) {
    auto n = ParseSize(opts.cutoff);
    if (!n.ok()) return n.status().Annotate("--cutoff (a size in bytes or \"none\")");
    c.classes[0].cutoff_bytes = *n;
  }
  if (!opts.primary.empty()) c.storage.primary = AbsolutePath(opts.primary);
  if (!opts.spool.empty()) c.storage.spool = AbsolutePath(opts.spool);
  const std::string primary = JoinPath(dir, c.storage.primary);
  const std::string spool = JoinPath(dir, c.storage.spool);
  TROVE_RETURN_IF_ERROR(fs.CreateDirs(primary));
  TROVE_RETURN_IF_ERROR(fs.CreateDirs(spool));
  TROVE_RETURN_IF_ERROR(fs.CreateDirs(JoinPath(dir, "run")));
  // Two stores never share an area: refuse one already marked by a store.
  for (StorageArea a : {StorageArea::kPrimary, StorageArea::kSpool}) {
    const std::string& d = a == StorageArea::kPrimary ? primary : spool;
    TROVE_ASSIGN_OR_RETURN(AreaMarker m, ReadAreaMarker(fs, d, a));
    if (m.exists)
      return Status::AlreadyExists(
          std::string("the ") + ToString(a) + " area " + d + " already belongs to a store (" +
          JoinPath(d, AreaMarkerName(a)) +
          (m.store_id.empty() ? "" : ", identity " + m.store_id) +
          "); give this store its own --" + ToString(a) + " directory");
  }
  TROVE_ASSIGN_OR_RETURN(std::string id, NewStoreId());
  // The master secret of the privacy levels: STORE/keys/ (0700), the key
  // file 0600. An existing key (a re-run after a failed init) is kept.
  const std::string key_path = JoinPath(dir, c.storage.keys);
  const std::string key_dir = DirName(key_path);
  TROVE_RETURN_IF_ERROR(fs.CreateDirs(key_dir));
  if (::chmod(key_dir.c_str(), 0700) != 0) return Status::FromErrno(errno, "chmod 700 " + key_dir);
  auto kst = fs.Stat(key_path);
  if (!kst.ok() || !kst->exists) TROVE_RETURN_IF_ERROR(CreateMasterKeyFile(key_path));
  auto cat = OpenCatalog(c.storage.catalog, dir, /*create=*/true);
  if (!cat.ok()) return cat.status();
  TROVE_RETURN_IF_ERROR((*cat)->SetMeta(kMetaId, id));
  TROVE_RETURN_IF_ERROR((*cat)->SetMeta(kMetaOpenedAt, dir));
  TROVE_RETURN_IF_ERROR((*cat)->SetMeta(kMetaPrimaryDir, Normal(primary)));
  TROVE_RETURN_IF_ERROR((*cat)->SetMeta(kMetaSpoolDir, Normal(spool)));
  TROVE_RETURN_IF_ERROR((*cat)->SetMeta(kMetaPaths, "area-relative"));
  TROVE_RETURN_IF_ERROR(WriteAreaMarker(fs, primary, StorageArea::kPrimary, id));
  TROVE_RETURN_IF_ERROR(WriteAreaMarker(fs, spool, StorageArea::kSpool, id));
  // The config is written last: its presence means the store is complete.
  return WriteFileAtomic(fs, JoinPath(dir, kConfigName), SerializeStoreConfig(c));
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir_in) {
  const std::string dir = AbsolutePath(dir_in);
  const std::string cfg_path = JoinPath(dir, kConfigName);
  auto text = ReadFileToString(cfg_path);
  if (!text.ok()) {
    if (text.status().code() == Status::Code::kNotFound)
      return Status::NotFound("no trove store at " + dir + " (" + cfg_path +
                              " missing); create one with `trove init --store " + dir_in +
                              "` or point --store / $TROVE_STORE at an existing store");
    return text.status();
  }
  auto cfg = ParseStoreConfig(*text, cfg_path);
  if (!cfg.ok()) return cfg.status();
  std::unique_ptr<Store> s(new Store());
  s->dir_ = dir;
  s->config_ = std::move(cfg).value();
  s->primary_ = JoinPath(dir, s->config_.storage.primary);
  s->spool_ = JoinPath(dir, s->config_.storage.spool);
  s->keys_ = JoinPath(dir, s->config_.storage.keys);
  auto cat = s->OpenCatalogConnection();
  if (!cat.ok()) return cat.status();
  s->catalog_ = std::move(cat).value();
  TROVE_RETURN_IF_ERROR(s->FinishOpen());
  return s;
}

Result<std::unique_ptr<Catalog>> Store::OpenCatalogConnection() const {
  return OpenAreaCatalog(config_.storage.catalog, dir_, AreaDirs{Normal(primary_), Normal(spool_)},
                         /*create=*/false);
}

// Decides writability (not_writable_) from the identity; sets
// *upgrade_markers when the areas' markers may be (re)written.
Status Store::CheckIdentity(bool* upgrade_markers) {
  Fs& fs = DefaultFs();
  Catalog& cat = *catalog_;
  AreaMarker pm, sm;
  {
    TROVE_ASSIGN_OR_RETURN(pm, ReadAreaMarker(fs, primary_, StorageArea::kPrimary));
    TROVE_ASSIGN_OR_RETURN(sm, ReadAreaMarker(fs, spool_, StorageArea::kSpool));
  }
  store_id_ = MetaOr(cat, kMetaId);
  std::string last = MetaOr(cat, kMetaOpenedAt);
  if (store_id_.empty()) {  // a store made before identities: make one now
    TROVE_ASSIGN_OR_RETURN(store_id_, NewStoreId());
    TROVE_RETURN_IF_ERROR(cat.SetMeta(kMetaId, store_id_));
    if (last.empty()) last = pm.legacy_store_dir;
  }
  // A copy: the store it was copied from still exists at its last place
  // with the same identity.
  if (!last.empty() && Normal(last) != Normal(dir_) && !SameDirectory(last, dir_)) {
    const std::string there = IdentityAt(last);
    if (!there.empty() && (there == store_id_ || there == "legacy:" + Normal(last))) {
      not_writable_ = "the store at " + dir_ + " is a copy of the store at " + last +
                      " (same identity " + store_id_ +
                      ", and that store still exists); it is read-only until it has its own "
                      "identity: run `trove init --store " + dir_ +
                      " --new-identity` (or, if the store at " + last +
                      " is the stale one, remove it)";
      *upgrade_markers = false;
      return Status::Ok();
    }
  }
  // An area marked by another store.
  for (const auto& [area, m] : {std::pair{StorageArea::kPrimary, pm}, std::pair{StorageArea::kSpool, sm}}) {
    if (m.exists && !m.store_id.empty() && m.store_id != store_id_) {
      const std::string d = AreaDir(area);
      not_writable_ = std::string("the ") + ToString(area) + " area " + d +
                      " is marked as belonging to another store (identity " + m.store_id + " in " +
                      JoinPath(d, AreaMarkerName(area)) + "; this store is " + store_id_ +
                      "); trove will not write or delete there. Point [storage] " + ToString(area) +
                      " in " + JoinPath(dir_, kConfigName) +
                      " at this store's own area, or, if the area really is this store's, adopt "
                      "it: `trove init --store " + dir_ + " --adopt-areas`";
      *upgrade_markers = false;
      return Status::Ok();
    }
  }
  *upgrade_markers = true;
  return Status::Ok();
}

Status Store::FinishOpen() {
  Fs& fs = DefaultFs();
  Catalog& cat = *catalog_;
  auto* ac = static_cast<AreaCatalog*>(catalog_.get());
  bool upgrade_markers = false;
  TROVE_RETURN_IF_ERROR(CheckIdentity(&upgrade_markers));
  if (!not_writable_.empty()) return Status::Ok();  // read-only: change nothing
  // Schema v6: absolute row paths become relative to their area.
  if (MetaOr(cat, kMetaPaths) != "area-relative") {
    AreaDirs old{MetaOr(cat, kMetaPrimaryDir), MetaOr(cat, kMetaSpoolDir)};
    if (old.primary.empty() || old.spool.empty()) {
      // Before v6 no area dirs were recorded: derive them from the store
      // dir named by the legacy primary marker (or the last open).
      std::string prev = MetaOr(cat, kMetaOpenedAt);
      if (prev.empty()) {
        auto pm = ReadAreaMarker(fs, primary_, StorageArea::kPrimary);
        if (pm.ok()) prev = pm->legacy_store_dir;
      }
      if (!prev.empty()) {
        old.primary = Normal(JoinPath(prev, config_.storage.primary));
        old.spool = Normal(JoinPath(prev, config_.storage.spool));
      }
    }
    auto n = ac->RelativizeRows(old);
    if (!n.ok()) return n.status();
    TROVE_RETURN_IF_ERROR(cat.SetMeta(kMetaPaths, "area-relative"));
  }
  // A moved store records its new place; the areas' directories are
  // recorded for information (and the next upgrade).
  TROVE_RETURN_IF_ERROR(SetMetaIfChanged(cat, kMetaOpenedAt, dir_));
  TROVE_RETURN_IF_ERROR(SetMetaIfChanged(cat, kMetaPrimaryDir, Normal(primary_)));
  TROVE_RETURN_IF_ERROR(SetMetaIfChanged(cat, kMetaSpoolDir, Normal(spool_)));
  if (upgrade_markers) {
    // Legacy markers get the identity; the spool gets its marker. A missing
    // primary marker is left alone: the primary may be unmounted (the
    // router's probe looks for it).
    for (StorageArea a : {StorageArea::kPrimary, StorageArea::kSpool}) {
      TROVE_ASSIGN_OR_RETURN(AreaMarker m, ReadAreaMarker(fs, AreaDir(a), a));
      if (m.exists ? m.store_id.empty() : a == StorageArea::kSpool) {
        auto d = fs.Stat(AreaDir(a));
        if (d.ok() && d->exists) TROVE_RETURN_IF_ERROR(WriteAreaMarker(fs, AreaDir(a), a, store_id_));
      }
    }
  }
  return Status::Ok();
}

Status Store::CheckWritable() const {
  if (not_writable_.empty()) return Status::Ok();
  return Status::FailedPrecondition(not_writable_);
}

Status Store::CheckOwnedPath(const std::string& path) const {
  return CheckInsideAreas(*catalog_, path);
}

Status Store::NewIdentity(const std::string& dir) {
  auto s = Open(dir);
  if (!s.ok()) return s.status();
  Store& st = **s;
  const std::string old_id = st.store_id_;
  TROVE_ASSIGN_OR_RETURN(std::string id, NewStoreId());
  Fs& fs = DefaultFs();
  for (StorageArea a : {StorageArea::kPrimary, StorageArea::kSpool}) {
    const std::string d = st.AreaDir(a);
    TROVE_ASSIGN_OR_RETURN(AreaMarker m, ReadAreaMarker(fs, d, a));
    const bool inside = RelativeInside(st.dir_, d).has_value();
    if (inside || !m.exists || m.store_id.empty()) {
      auto ds = fs.Stat(d);
      if (ds.ok() && ds->exists) TROVE_RETURN_IF_ERROR(WriteAreaMarker(fs, d, a, id));
    }
  }
  TROVE_RETURN_IF_ERROR(st.catalog_->SetMeta(kMetaId, id));
  TROVE_RETURN_IF_ERROR(st.catalog_->SetMeta(kMetaOpenedAt, st.dir_));
  (void)old_id;
  // Reopen: completes the upgrade the copy skipped while read-only.
  st.catalog_.reset();
  auto again = Open(dir);
  return again.ok() ? Status::Ok() : again.status();
}

Status Store::AdoptAreas(const std::string& dir) {
  auto s = Open(dir);
  if (!s.ok()) return s.status();
  Store& st = **s;
  Fs& fs = DefaultFs();
  for (StorageArea a : {StorageArea::kPrimary, StorageArea::kSpool}) {
    const std::string d = st.AreaDir(a);
    TROVE_RETURN_IF_ERROR(fs.CreateDirs(d));
    TROVE_RETURN_IF_ERROR(WriteAreaMarker(fs, d, a, st.store_id_));
  }
  st.catalog_.reset();
  auto again = Open(dir);
  return again.ok() ? Status::Ok() : again.status();
}

Status Store::ResetCatalog(std::string* backup) {
  const std::string& url = config_.storage.catalog;
  if (url.rfind("sqlite:", 0) != 0)
    return Status::FailedPrecondition("rebuilding is only supported for sqlite catalogues");
  const std::string path = JoinPath(dir_, url.substr(7));
  catalog_.reset();  // closes the database (checkpoints and removes the WAL)
  *backup = path + ".bak-" + FormatCompact(WallClockNs());
  Fs& fs = DefaultFs();
  auto st = fs.Stat(path);
  if (st.ok() && st->exists) TROVE_RETURN_IF_ERROR(fs.RenameDurable(path, *backup));
  for (const char* ext : {"-wal", "-shm"}) (void)fs.Remove(path + ext);
  auto cat = OpenAreaCatalog(url, dir_, AreaDirs{Normal(primary_), Normal(spool_)}, /*create=*/true);
  if (!cat.ok()) return cat.status();
  catalog_ = std::move(cat).value();
  // The identity and the place carry over; rows are written relative.
  TROVE_RETURN_IF_ERROR(catalog_->SetMeta(kMetaId, store_id_));
  TROVE_RETURN_IF_ERROR(catalog_->SetMeta(kMetaOpenedAt, dir_));
  TROVE_RETURN_IF_ERROR(catalog_->SetMeta(kMetaPrimaryDir, Normal(primary_)));
  TROVE_RETURN_IF_ERROR(catalog_->SetMeta(kMetaSpoolDir, Normal(spool_)));
  return catalog_->SetMeta(kMetaPaths, "area-relative");
}

Result<std::unique_ptr<LinkLock>> Store::LockLink(const std::string& link) {
  TROVE_RETURN_IF_ERROR(CheckWritable());
  Fs& fs = DefaultFs();
  const std::string run = JoinPath(dir_, "run");
  TROVE_RETURN_IF_ERROR(fs.CreateDirs(run));
  const std::string path = JoinPath(run, link + ".lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Status::FromErrno(errno, "opening lock " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = "";
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    return Status::FailedPrecondition("link '" + link + "' is being written by another trove process (pid " +
                                      holder + "); wait for it or stop it");
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    ssize_t w = ::pwrite(fd, pid.data(), pid.size(), 0);
    (void)w;
  }
  return std::make_unique<LinkLock>(fd);
}

}  // namespace trove
