#include "levels/background_deriver.h"

#include <sys/resource.h>
#include <unistd.h>

#include "util/log.h"
#include "util/process_priority.h"
#include "util/thread_name.h"

namespace trove {

Result<std::unique_ptr<BackgroundDeriver>> BackgroundDeriver::Start(
    Store& store, const SegmentWriterOptions& base) {
  bool any = false;
  for (const auto& l : store.config().levels) any = any || l.enabled;
  if (!any) return std::unique_ptr<BackgroundDeriver>();  // no catalogue connection, no thread
  std::unique_ptr<BackgroundDeriver> d(new BackgroundDeriver());
  auto cat = store.OpenCatalogConnection();
  if (!cat.ok()) return cat.status();
  d->catalog_ = std::move(cat).value();
  d->router_ = std::make_unique<StorageRouter>(store.fs(), store.primary_dir(), store.spool_dir(),
                                               store.config().storage.probe_interval_ns);
  auto levels = OpenStoreLevels(store, *d->router_, *d->catalog_, base);
  if (!levels.ok()) return levels.status();
  if (!*levels) return std::unique_ptr<BackgroundDeriver>();
  d->levels_ = std::move(levels).value();
  d->level_config_ = store.config().levels;
  d->owner_config_ = store.config().owners;
  d->worker_ = std::thread([p = d.get()] { p->Work(); });
  return d;
}

BackgroundDeriver::~BackgroundDeriver() { Finish(); }

void BackgroundDeriver::OnSegmentPublished(const SegmentRecord& rec) {
  if (rec.level != "raw") return;
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(rec);
  }
  cv_.notify_one();
}

void BackgroundDeriver::Stop(StopMode mode) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (joined_) return;
    done_ = true;
    if (mode == StopMode::kAbort) queue_.clear();  // fsck derives them
  }
  cv_.notify_one();
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> l(mu_);
  joined_ = true;
}

ActivityStatus BackgroundDeriver::Observe() const {
  std::lock_guard<std::mutex> l(mu_);
  ActivityStatus s;
  s.state = ActivityStatus::Lifecycle(joined_, done_);
  s.backlog = queue_.size();
  s.counters = {{"segments_derived", seen_.segments},
                {"packets_in", seen_.packets_in},
                {"packets_out", seen_.packets_out},
                {"packets_dropped", seen_.packets_dropped},
                {"errors", seen_.errors}};
  return s;
}

Status BackgroundDeriver::Reload(const StoreConfig& config) {
  auto same_levels = [&] {
    if (config.levels.size() != level_config_.size()) return false;
    for (size_t i = 0; i < config.levels.size(); ++i) {
      const LevelConfig &a = config.levels[i], &b = level_config_[i];
      if (a.name != b.name || a.parent != b.parent || a.policy != b.policy ||
          a.tcp_options != b.tcp_options || a.ip_epoch != b.ip_epoch ||
          a.mac_epoch != b.mac_epoch || a.enabled != b.enabled)
        return false;
    }
    return true;
  };
  auto same_owners = [&] {
    if (config.owners.size() != owner_config_.size()) return false;
    for (size_t i = 0; i < config.owners.size(); ++i)
      if (config.owners[i].name != owner_config_[i].name ||
          config.owners[i].prefixes != owner_config_[i].prefixes)
        return false;
    return true;
  };
  if (!same_levels())
    return Status::FailedPrecondition("derive: the [[level]] settings changed; restart to apply");
  if (!same_owners())
    return Status::FailedPrecondition("derive: the [[owner]] settings changed; restart to apply");
  return Status::Ok();
}

void BackgroundDeriver::Work() {
  SetThreadName("trove-derive");
  // Below the capture and writer threads (Linux: per-thread nice value).
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  // And below them on the disk: deriving reads and writes a segment's bytes
  // twice over, which must not delay the writer's fsyncs.
  (void)LowerIoPriority(IoPriority{IoPriority::Class::kBestEffort, 7});
  for (;;) {
    SegmentRecord rec;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;  // done_ and drained
      rec = std::move(queue_.front());
      queue_.pop_front();
    }
    // Expired (budget, retention) since it was queued: nothing to derive.
    if (auto cur = catalog_->GetSegment(std::to_string(rec.id));
        cur.ok() && cur->state != SegmentState::kStored)
      continue;
    levels_->OnSegmentPublished(rec);
    std::lock_guard<std::mutex> l(mu_);
    seen_ = levels_->counters();
  }
}

}  // namespace trove
