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

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "levels/derive_levels.h"

namespace trove {

class BackgroundDeriver final : public SegmentObserver {
 public:
  // Null (and no thread) when the store has no enabled level, or no master
  // key (a store created before privacy levels: a warning is logged).
  // Errors: a bad level configuration or an unreadable key.
  static Result<std::unique_ptr<BackgroundDeriver>> Start(Store& store,
                                                          const SegmentWriterOptions& base);
  ~BackgroundDeriver() override;

  void OnSegmentPublished(const SegmentRecord& rec) override;

  // Derives every queued segment, then stops the worker. Idempotent.
  void Finish();

  // Valid after Finish().
  const DerivedLevelsCounters& counters() const { return levels_->counters(); }

 private:
  BackgroundDeriver() = default;
  void Work();

  // Declared before levels_, which refers to them.
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<StorageRouter> router_;
  std::unique_ptr<DerivedLevels> levels_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SegmentRecord> queue_;  // guarded by mu_
  bool done_ = false;                // guarded by mu_
  std::thread worker_;
};

}  // namespace trove
