#include "store/mover_worker.h"

#include <sys/resource.h>
#include <unistd.h>

#include "util/log.h"
#include "util/thread_name.h"

namespace trove {

Result<std::unique_ptr<MoverWorker>> MoverWorker::Start(const std::string& store_dir,
                                                        MoverWorkerOptions opts) {
  auto store = Store::Open(store_dir);
  if (!store.ok()) return store.status().Annotate("the mover opening the store");
  std::unique_ptr<MoverWorker> w(new MoverWorker());
  w->store_ = std::move(store).value();
  w->opts_ = opts;
  w->worker_ = std::thread([p = w.get()] { p->Work(); });
  return w;
}

MoverWorker::~MoverWorker() { Stop(StopMode::kDrain); }

void MoverWorker::Kick() {
  std::lock_guard<std::mutex> l(mu_);
  kicked_ = true;
  cv_.notify_one();
}

void MoverWorker::Stop(StopMode mode) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return;
    done_ = true;
    status_.state = ActivityStatus::State::kStopping;
    if (mode == StopMode::kAbort) abort_ = true;
    cv_.notify_one();
  }
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> l(mu_);
  stopped_ = true;
  status_.state = ActivityStatus::State::kStopped;
}

ActivityStatus MoverWorker::Observe() const {
  std::lock_guard<std::mutex> l(mu_);
  ActivityStatus s = status_;
  s.counters = {{"passes", passes_},
                {"segments_moved", moved_},
                {"stranded_finished", stranded_},
                {"expired_meanwhile", expired_},
                {"errors", errors_}};
  return s;
}

Status MoverWorker::Reload(const StoreConfig& config) {
  const StorageConfig& now = store_->config().storage;
  if (config.storage.primary != now.primary || config.storage.spool != now.spool)
    return Status::FailedPrecondition(
        "the mover: [storage] primary/spool changed; restart to move into the new paths");
  return Status::Ok();
}

void MoverWorker::Work() {
  SetThreadName("trove-mover");
  // Yield to capture; failure only leaves the default priority.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  MoverOptions mo;
  mo.abort = &abort_;
  mo.progress = false;
  for (;;) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait_for(l, std::chrono::nanoseconds(opts_.interval_ns),
                   [&] { return kicked_ || done_; });
      if (done_) return;
      kicked_ = false;
    }
    auto rep = RunMover(*store_, mo);
    std::lock_guard<std::mutex> l(mu_);
    ++passes_;
    if (!rep.ok()) {
      ++errors_;
      status_.detail = rep.status().message();
      LogWarning("mover: " + status_.detail);
      continue;
    }
    moved_ += static_cast<uint64_t>(rep->moved);
    stranded_ += static_cast<uint64_t>(rep->stranded_finished);
    expired_ += static_cast<uint64_t>(rep->expired_meanwhile);
    errors_ += rep->errors.size();
    status_.backlog = static_cast<uint64_t>(rep->remaining);
    for (const auto& e : rep->errors) LogWarning("mover: " + e);
    status_.detail = !rep->errors.empty()      ? rep->errors.back()
                     : !rep->primary_available ? "primary unavailable"
                                               : "";
  }
}

}  // namespace trove
