#include "store/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "anon/key_file.h"
#include "segment/storage_router.h"
#include "util/time_util.h"

namespace trove {

namespace {
constexpr const char* kConfigName = "trove.toml";
}

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
  auto marker = fs.Stat(JoinPath(primary, kPrimaryMarker));
  if (!marker.ok() || !marker->exists)
    TROVE_RETURN_IF_ERROR(WriteFileAtomic(fs, JoinPath(primary, kPrimaryMarker),
                                          "trove primary segment path for store " + dir + "\n"));
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
  auto cat = OpenCatalog(s->config_.storage.catalog, dir, /*create=*/false);
  if (!cat.ok()) return cat.status();
  s->catalog_ = std::move(cat).value();
  return s;
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
  auto cat = OpenCatalog(url, dir_, /*create=*/true);
  if (!cat.ok()) return cat.status();
  catalog_ = std::move(cat).value();
  return Status::Ok();
}

Result<std::unique_ptr<LinkLock>> Store::LockLink(const std::string& link) {
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
