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
  auto cat = OpenCatalog(store.config().storage.catalog, store.dir(), /*create=*/false);
  if (!cat.ok()) return cat.status();
  d->catalog_ = std::move(cat).value();
  d->router_ = std::make_unique<StorageRouter>(store.fs(), store.primary_dir(), store.spool_dir(),
                                               store.config().storage.probe_interval_ns);
  auto levels = OpenStoreLevels(store, *d->router_, *d->catalog_, base);
  if (!levels.ok()) return levels.status();
  if (!*levels) return std::unique_ptr<BackgroundDeriver>();
  d->levels_ = std::move(levels).value();
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

void BackgroundDeriver::Finish() {
  {
    std::lock_guard<std::mutex> l(mu_);
    done_ = true;
  }
  cv_.notify_one();
  if (worker_.joinable()) worker_.join();
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
  }
}

}  // namespace trove
