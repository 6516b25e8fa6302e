#include "ingest/expiry_worker.h"

#include <sys/resource.h>
#include <unistd.h>

#include "util/log.h"
#include "util/thread_name.h"

namespace trove {

Result<std::unique_ptr<ExpiryWorker>> ExpiryWorker::Start(Store& store, std::string link,
                                                          std::vector<ClassPolicy> policies) {
  std::unique_ptr<ExpiryWorker> w(new ExpiryWorker());
  auto cat = store.OpenCatalogConnection();
  if (!cat.ok()) return cat.status();
  w->catalog_ = std::move(cat).value();
  w->fs_ = &store.fs();
  w->run_dir_ = JoinPath(store.dir(), "run");
  w->link_ = std::move(link);
  w->name_ = "expiry:" + w->link_;
  w->policies_ = std::move(policies);
  w->pending_ = true;  // a first pass: the configuration may have shrunk a budget
  w->worker_ = std::thread([p = w.get()] { p->Work(); });
  return w;
}

ExpiryWorker::~ExpiryWorker() { Finish(); }

void ExpiryWorker::Kick() {
  {
    std::lock_guard<std::mutex> l(mu_);
    pending_ = true;
  }
  cv_.notify_one();
}

void ExpiryWorker::OnSegmentPublished(const SegmentRecord& rec) {
  if (rec.level == "raw") Kick();
}

void ExpiryWorker::SetPolicies(std::vector<ClassPolicy> policies) {
  {
    std::lock_guard<std::mutex> l(mu_);
    policies_ = std::move(policies);
  }
  Kick();
}

void ExpiryWorker::Stop(StopMode mode) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (joined_) return;
    // kDrain: a last pass over what was published meanwhile.
    if (!done_) pending_ = mode == StopMode::kDrain;
    done_ = true;
  }
  cv_.notify_one();
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> l(mu_);
  joined_ = true;
}

ActivityStatus ExpiryWorker::Observe() const {
  std::lock_guard<std::mutex> l(mu_);
  ActivityStatus s;
  s.state = ActivityStatus::Lifecycle(joined_, done_);
  s.backlog = pending_ ? 1 : 0;
  s.counters = {{"passes", counters_.passes},
                {"segments_expired", counters_.segments_expired},
                {"bytes_freed", counters_.bytes_freed},
                {"errors", counters_.errors}};
  return s;
}

Status ExpiryWorker::Reload(const StoreConfig& config) {
  SetPolicies(PoliciesFrom(config.classes));
  return Status::Ok();
}

ExpiryCounters ExpiryWorker::counters() const {
  std::lock_guard<std::mutex> l(mu_);
  return counters_;
}

void ExpiryWorker::Work() {
  SetThreadName("trove-expiry");
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  for (;;) {
    std::vector<ClassPolicy> policies;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return done_ || pending_; });
      if (!pending_) return;  // done_ and nothing left
      pending_ = false;
      policies = policies_;
    }
    auto r = EnforceExpiry(*fs_, *catalog_, run_dir_, link_, policies);
    std::lock_guard<std::mutex> l(mu_);
    ++counters_.passes;
    if (!r.ok()) {
      ++counters_.errors;
      LogWarning("expiring segments of link " + link_ + ": " + r.status().message() +
                 " (`trove gc` retries)");
      continue;
    }
    counters_.segments_expired += r->expired.size();
    counters_.bytes_freed += r->bytes_freed;
    for (const auto& p : r->problems) {
      ++counters_.errors;
      LogWarning("expiring segments of link " + link_ + ": " + p);
    }
  }
}

}  // namespace trove
