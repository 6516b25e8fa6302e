#pragma once
// Store: a trove store as a whole — its directory, configuration
// (trove.toml), catalogue, primary segment path and local spool.
//
//   STORE/trove.toml        configuration (links, storage)
//   STORE/catalog.db        SQLite catalogue (default)
//   STORE/segments/         primary path (may be a mount elsewhere) with
//                           .trove-primary marker
//   STORE/spool/            local fallback
//   STORE/run/LINK.lock     held by the process writing LINK
//   STORE/keys/             (0700) master.key (0600) and reverse/ maps
//
// A Store object is used by one thread; several processes may open the
// same store (the catalogue serialises writers; link locks keep one
// writer per link).

#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "store/config.h"
#include "util/fs.h"

namespace trove {

struct InitOptions {
  std::string primary;  // empty: STORE/segments
  std::string spool;    // empty: STORE/spool
  std::string cutoff;   // the default class's cutoff: empty = 20480, "none", or a size
};

// Exclusive lock on one link (flock on STORE/run/LINK.lock), released when
// destroyed or when the process dies.
class LinkLock {
 public:
  explicit LinkLock(int fd) : fd_(fd) {}
  ~LinkLock();
  LinkLock(const LinkLock&) = delete;
  LinkLock& operator=(const LinkLock&) = delete;

 private:
  int fd_;
};

class Store {
 public:
  static Status Init(const std::string& dir, const InitOptions& opts);
  // Opens an existing store; the message says how to create one if absent.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const StoreConfig& config() const { return config_; }
  const std::string& primary_dir() const { return primary_; }
  const std::string& spool_dir() const { return spool_; }
  // The master secret file (STORE/keys/master.key by default, 0600) and
  // the encrypted reverse maps beside it (KEYDIR/reverse/LEVEL-EPOCH.map).
  const std::string& master_key_path() const { return keys_; }
  std::string reverse_map_dir() const { return JoinPath(DirName(keys_), "reverse"); }
  std::string AreaDir(StorageArea a) const { return a == StorageArea::kPrimary ? primary_ : spool_; }
  Catalog& catalog() { return *catalog_; }
  Fs& fs() { return DefaultFs(); }

  // Non-blocking; fails with FailedPrecondition naming the holder's pid.
  Result<std::unique_ptr<LinkLock>> LockLink(const std::string& link);
  const LinkConfig* FindLink(const std::string& name) const { return config_.FindLink(name); }
  // Closes the catalogue, moves its file aside (returned in *backup) and
  // opens a new empty one. Only for `fsck --rebuild-catalog` (sqlite).
  Status ResetCatalog(std::string* backup);

 private:
  std::string dir_, primary_, spool_, keys_;
  StoreConfig config_;
  std::unique_ptr<Catalog> catalog_;
};

std::string AbsolutePath(const std::string& p);

}  // namespace trove
