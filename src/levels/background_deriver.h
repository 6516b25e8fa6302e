#pragma once
// BackgroundDeriver: runs DerivedLevels off the writer thread, so that
// deriving a segment never stalls capture (the writer only queues a
// record). One worker thread, at a lower CPU priority (nice +10) and I/O
// priority (best-effort 7), derives
// the queued raw segments in publication order with its own catalogue
// connection and storage router; the writer thread and it share nothing
// else. Finish() derives what is queued and joins; the destructor calls it.
//
// If the process dies first, the raw segments are safe: `trove fsck`
// removes a derived partial and derives whatever is missing
// (DerivedLevels::Complete is idempotent).
//
// OnSegmentPublished is called by the writer thread only; the other
// methods by the thread that owns the object.
//
// An Activity (store/activity.h) named "derive": Stop(kDrain) is Finish();
// Stop(kAbort) derives nothing more (fsck derives what was queued);
// Observe() reports the queue as backlog; Reload() refuses a change of the
// levels or owners, which needs a restart.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "levels/derive_levels.h"
#include "store/activity.h"

namespace trove {

class BackgroundDeriver final : public SegmentObserver, public Activity {
 public:
  // Null (and no thread) when the store has no enabled level, or no master
  // key (a store created before privacy levels: a warning is logged).
  // Errors: a bad level configuration or an unreadable key.
  static Result<std::unique_ptr<BackgroundDeriver>> Start(Store& store,
                                                          const SegmentWriterOptions& base);
  ~BackgroundDeriver() override;

  void OnSegmentPublished(const SegmentRecord& rec) override;

  // Derives every queued segment, then stops the worker. Idempotent.
  void Finish() { Stop(StopMode::kDrain); }

  // Valid after Finish().
  const DerivedLevelsCounters& counters() const { return levels_->counters(); }

  const std::string& name() const override { return name_; }
  void Stop(StopMode mode) override;
  ActivityStatus Observe() const override;
  Status Reload(const StoreConfig& config) override;

 private:
  BackgroundDeriver() = default;
  void Work();

  // Declared before levels_, which refers to them.
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<StorageRouter> router_;
  std::unique_ptr<DerivedLevels> levels_;
  const std::string name_ = "derive";
  // The configuration it was started with (Reload compares).
  std::vector<LevelConfig> level_config_;
  std::vector<OwnerConfig> owner_config_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SegmentRecord> queue_;  // guarded by mu_
  bool done_ = false;                // guarded by mu_
  bool joined_ = false;              // guarded by mu_
  DerivedLevelsCounters seen_;       // guarded by mu_: counters after the last derivation
  std::thread worker_;
};

}  // namespace trove
