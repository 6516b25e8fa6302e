#pragma once
// MoverWorker: the Activity (store/activity.h) that drains the spool into
// the primary in the background while an ingest runs (`trove capture`, and
// the daemon next). One thread, "trove-mover", at nice +10, with its own
// store handle and catalogue connection, runs RunMover (store/mover.h)
// every `interval` and whenever Kick() asks; nothing happens while the
// primary is unavailable but counting the spooled segments. Errors are
// logged and counted, never fatal.
//
// Threads: Start/Stop/Reload/Kick from the host's control thread;
// Observe() from any thread.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/activity.h"
#include "store/mover.h"
#include "store/store.h"

namespace trove {

struct MoverWorkerOptions {
  int64_t interval_ns = 5'000'000'000;  // between passes (tests: ~100 ms)
};

class MoverWorker final : public Activity {
 public:
  // Opens the store at `store_dir` once more for the worker's own catalogue
  // connection, then starts the thread; the first pass runs after one
  // interval. Errors: the store cannot be opened.
  static Result<std::unique_ptr<MoverWorker>> Start(const std::string& store_dir,
                                                    MoverWorkerOptions opts = {});
  ~MoverWorker() override;

  // Runs a pass as soon as the current one (if any) ends.
  void Kick();

  const std::string& name() const override { return name_; }
  // kDrain: the pass in progress finishes; kAbort: it stops before its
  // next segment. No new pass starts either way.
  void Stop(StopMode mode) override;
  ActivityStatus Observe() const override;
  // Nothing of the mover is reloadable yet but its store's storage paths,
  // which need a restart: FailedPrecondition when they changed.
  Status Reload(const StoreConfig& config) override;

 private:
  MoverWorker() = default;
  void Work();

  const std::string name_ = "mover";
  std::unique_ptr<Store> store_;
  MoverWorkerOptions opts_;
  std::atomic<bool> abort_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool kicked_ = false;  // guarded by mu_
  bool done_ = false;    // guarded by mu_
  bool stopped_ = false; // guarded by mu_: the thread was joined
  ActivityStatus status_;  // guarded by mu_
  uint64_t passes_ = 0, moved_ = 0, stranded_ = 0, expired_ = 0, errors_ = 0;  // guarded by mu_
  std::thread worker_;
};

}  // namespace trove
