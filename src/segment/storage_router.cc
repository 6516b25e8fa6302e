#include "segment/storage_router.h"

#include <cstdio>
#include <ctime>

namespace trove {

StorageRouter::StorageRouter(Fs& fs, std::string primary_dir, std::string spool_dir,
                             int64_t probe_interval_ns)
    : fs_(fs),
      primary_(std::move(primary_dir)),
      spool_(std::move(spool_dir)),
      interval_ns_(probe_interval_ns) {}

bool StorageRouter::ProbePrimary(int64_t now_ns) {
  last_probe_ns_ = now_ns;
  auto st = fs_.Stat(JoinPath(primary_, kPrimaryMarker));
  primary_ok_ = st.ok() && st->exists && !st->is_dir && now_ns >= failed_until_ns_;
  if (primary_ok_) {
    primary_dev_ = st->device;
    auto free = fs_.FreeBytes(primary_);
    if (!free.ok()) primary_ok_ = false;
  }
  return primary_ok_;
}

bool StorageRouter::PrimaryUsable(int64_t now_ns) {
  if (now_ns - last_probe_ns_ >= interval_ns_) ProbePrimary(now_ns);
  return primary_ok_;
}

StorageArea StorageRouter::Preferred(int64_t now_ns) {
  return PrimaryUsable(now_ns) ? StorageArea::kPrimary : StorageArea::kSpool;
}

bool StorageRouter::OnPrimaryDevice(uint64_t device) { return primary_ok_ && device == primary_dev_; }

void StorageRouter::MarkPrimaryFailed(int64_t now_ns) {
  primary_ok_ = false;
  last_probe_ns_ = now_ns;
  failed_until_ns_ = now_ns + interval_ns_;
}

std::string StorageRouter::SegmentDir(StorageArea a, const std::string& link,
                                      int64_t first_ts_ns) const {
  time_t t = static_cast<time_t>(first_ts_ns / 1'000'000'000);
  if (first_ts_ns < 0) t = 0;
  tm tmv;
  gmtime_r(&t, &tmv);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d/%02d/%02d", tmv.tm_year + 1900, tmv.tm_mon + 1,
                tmv.tm_mday);
  return JoinPath(JoinPath(Dir(a), link), buf);
}

}  // namespace trove
