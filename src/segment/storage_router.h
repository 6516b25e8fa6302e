#pragma once
// StorageRouter: the failover policy in one place. It knows the primary
// segment path (possibly a network mount) and the local spool, decides
// where a new segment goes, and probes the primary: it is usable only if
// its marker file (.trove-primary, written by `trove init`) is present —
// an empty mount point is not the storage server — and, for an open file,
// only if the marker is on the same device the file is on.
//
// Owned by one writer thread; not thread-safe.

#include <cstdint>
#include <string>

#include "catalog/segment_record.h"
#include "util/fs.h"

namespace trove {

inline constexpr const char* kPrimaryMarker = ".trove-primary";

class StorageRouter {
 public:
  StorageRouter(Fs& fs, std::string primary_dir, std::string spool_dir, int64_t probe_interval_ns);

  // Where the next segment should be opened (primary when it is usable).
  StorageArea Preferred(int64_t now_ns);
  // Forces a probe; returns whether the primary is usable.
  bool ProbePrimary(int64_t now_ns);
  // Periodic probe: re-probes when the interval elapsed, returns the state.
  bool PrimaryUsable(int64_t now_ns);
  // True if `device` (st_dev of an open segment file) is the primary's device.
  bool OnPrimaryDevice(uint64_t device);
  // A write to the primary failed: treat it as unusable until a probe after
  // the retry interval succeeds.
  void MarkPrimaryFailed(int64_t now_ns);

  const std::string& Dir(StorageArea a) const {
    return a == StorageArea::kPrimary ? primary_ : spool_;
  }
  // AREA/LINK/YYYY/MM/DD for a segment starting at first_ts_ns.
  std::string SegmentDir(StorageArea a, const std::string& link, int64_t first_ts_ns) const;
  Fs& fs() { return fs_; }

 private:
  Fs& fs_;
  std::string primary_, spool_;
  int64_t interval_ns_;
  bool primary_ok_ = true;
  int64_t last_probe_ns_ = INT64_MIN / 2;
  int64_t failed_until_ns_ = INT64_MIN / 2;
  uint64_t primary_dev_ = 0;
};

}  // namespace trove
