#pragma once
// Store: a trove store as a whole — its directory, configuration
// (trove.toml), catalogue, primary segment path and local spool.
//
//   STORE/trove.toml        configuration (links, storage)
//   STORE/catalog.db        SQLite catalogue (default)
//   STORE/segments/         primary path (may be a mount elsewhere) with
//                           .trove-primary marker (store identity)
//   STORE/spool/            local fallback, .trove-spool marker
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
  // On an EXISTING store (instead of creating one):
  bool new_identity = false;  // give the store a new identity (a copy becomes its own store)
  bool adopt_areas = false;   // mark every configured area with this store's identity
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
  // Upgrades an older store on the way (absolute catalogue paths become
  // relative to their area, an identity is made if there is none) and
  // checks the identity (docs/ARCHITECTURE.md "Store identity"): a copy
  // whose original still exists, or an area marked by another store, opens
  // read-only (CheckWritable() fails, saying what to do). A store found at
  // a new path with nothing left at the old one records its new place.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir);
  // `trove init --new-identity`: a new UUID in the catalogue; re-marks the
  // areas inside the store directory and those marked by no store. Areas
  // outside it that carry another identity stay foreign (the original's).
  static Status NewIdentity(const std::string& dir);
  // `trove init --adopt-areas`: marks every configured area as this store's.
  static Status AdoptAreas(const std::string& dir);

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
  // Another connection to the catalogue (for another thread), resolving
  // paths against the same areas.
  Result<std::unique_ptr<Catalog>> OpenCatalogConnection() const;
  const std::string& store_id() const { return store_id_; }
  // Ok, or FailedPrecondition saying why this store may not write or
  // delete (a copy of a live store; an area marked by another store) and
  // the command that fixes it. Every writer checks it: LockLink (capture,
  // import, gc, the mover), fsck repairs.
  Status CheckWritable() const;
  // Ok if `path` lies inside one of this store's areas; FailedPrecondition
  // naming the path otherwise. Called before every delete/rename of a
  // stored file (gc, expiry, fsck, mover).
  Status CheckOwnedPath(const std::string& path) const;
  Fs& fs() { return DefaultFs(); }

  // Non-blocking; fails with FailedPrecondition naming the holder's pid,
  // or with CheckWritable()'s error.
  Result<std::unique_ptr<LinkLock>> LockLink(const std::string& link);
  const LinkConfig* FindLink(const std::string& name) const { return config_.FindLink(name); }
  // Closes the catalogue, moves its file aside (returned in *backup) and
  // opens a new empty one. Only for `fsck --rebuild-catalog` (sqlite).
  Status ResetCatalog(std::string* backup);

 private:
  Status CheckIdentity(bool* upgrade_markers);
  Status FinishOpen();

  std::string dir_, primary_, spool_, keys_;
  std::string store_id_;
  std::string not_writable_;  // why writes are refused; empty = writable
  StoreConfig config_;
  std::unique_ptr<Catalog> catalog_;
};

std::string AbsolutePath(const std::string& p);

}  // namespace trove
