#pragma once
// ExpiryWorker: enforces the classes' budgets and retention (store/expiry.h)
// during ingest without stalling capture. The writer thread only signals:
// OnSegmentPublished() (raw segments) and SetPolicies() (after `trove ctl
// budget|retention`) wake one worker thread (nice +10, its own catalogue
// connection), which runs EnforceExpiry for the link. Signals that arrive
// while a pass runs coalesce into one more pass. Finish() runs a last pass
// (segments derived meanwhile count too) and joins; the destructor calls it.
//
// The worker shares the link lock of the ingest that owns it, so no other
// process expires this link meanwhile. Errors are logged and counted.
//
// An Activity (store/activity.h) named "expiry:LINK": Stop(kDrain) is
// Finish(); Stop(kAbort) skips the last pass (the next ingest start, or
// `trove gc`, runs it); Reload() takes the classes' budgets and retention
// from the new configuration (replacing `trove ctl budget|retention`
// changes). OnSegmentPublished and SetPolicies come from the writer
// thread; the Activity calls follow its contract.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "segment/segment_writer.h"
#include "store/activity.h"
#include "store/expiry.h"
#include "store/store.h"

namespace trove {

struct ExpiryCounters {
  uint64_t passes = 0;
  uint64_t segments_expired = 0;  // rows marked expired (raw and derived)
  uint64_t bytes_freed = 0;
  uint64_t errors = 0;
};

class ExpiryWorker final : public SegmentObserver, public Activity {
 public:
  static Result<std::unique_ptr<ExpiryWorker>> Start(Store& store, std::string link,
                                                     std::vector<ClassPolicy> policies);
  ~ExpiryWorker() override;

  void OnSegmentPublished(const SegmentRecord& rec) override;
  // New policies (e.g. a changed budget); enforced at once.
  void SetPolicies(std::vector<ClassPolicy> policies);
  // Runs a last pass, then stops the worker. Idempotent.
  void Finish() { Stop(StopMode::kDrain); }
  ExpiryCounters counters() const;

  const std::string& name() const override { return name_; }
  void Stop(StopMode mode) override;
  ActivityStatus Observe() const override;
  Status Reload(const StoreConfig& config) override;

 private:
  ExpiryWorker() = default;
  void Kick();
  void Work();

  Fs* fs_ = nullptr;
  std::string run_dir_, link_, name_;
  std::unique_ptr<Catalog> catalog_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ClassPolicy> policies_;  // guarded by mu_
  bool pending_ = false;               // guarded by mu_
  bool done_ = false;                  // guarded by mu_
  bool joined_ = false;                // guarded by mu_
  ExpiryCounters counters_;            // guarded by mu_
  std::thread worker_;
};

}  // namespace trove
