#pragma once
// Activity: a long-running piece of work that a host process runs on a
// store: the expiry of a link, the derivation of privacy levels, the mover,
// and (next) the capture of a link, the job dispatcher and the HTTP API.
// `trove capture` hosts the activities of one ingest; `trove daemon` will
// host every activity of a store through this one interface, so it can
// start them, stop them, show them in `trove status` and export their
// counters as metrics, and hand them a reloaded configuration (SIGHUP).
//
// Lifecycle: an activity is started by its own factory (each has different
// inputs: `static Result<std::unique_ptr<X>> Start(...)`), which returns
// only once its threads run. Stop() ends it; the destructor calls
// Stop(StopMode::kDrain) if the host did not.
//
// Threads: Stop() and Reload() are called by the host's control thread
// (one thread; never concurrently with each other). Observe() may be
// called from any thread at any time, including while Stop() runs; it
// takes at most a short lock and never waits for I/O. An activity never
// calls back into its host.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/config.h"
#include "util/status.h"

namespace trove {

enum class StopMode {
  kDrain,  // finish the work already queued (a last expiry pass, every
           // queued derivation, the mover's current pass), then stop
  kAbort,  // stop after the item in progress; what is left is safe and is
           // picked up by the next start or by `trove fsck`
};

struct ActivityStatus {
  enum class State { kRunning, kStopping, kStopped, kFailed };
  State state = State::kRunning;
  // Work waiting: queued segments, spooled segments left, ...
  uint64_t backlog = 0;
  // The last error, or a short note ("primary unavailable"); "" if none.
  std::string detail;
  // Monotonic counters under stable snake_case names (metrics:
  // trove_<activity>_<name>); cumulative since the start.
  std::vector<std::pair<std::string, uint64_t>> counters;

  // The counter named `name`, or nullopt.
  std::optional<uint64_t> Counter(const std::string& name) const;
  // kStopped once the threads are joined, kStopping once a stop was asked,
  // else kRunning: the lifecycle every worker reports.
  static State Lifecycle(bool joined, bool stopping);
};

const char* ToString(ActivityStatus::State s);

class Activity {
 public:
  virtual ~Activity() = default;
  // A stable name, unique within a host: "mover", "expiry:LINK", "derive".
  virtual const std::string& name() const = 0;
  // Ends the activity's threads as `mode` says and joins them. Blocks
  // (kDrain: until the queued work is done). Idempotent: a second call
  // returns at once.
  virtual void Stop(StopMode mode) = 0;
  // A consistent snapshot (see the thread contract above).
  virtual ActivityStatus Observe() const = 0;
  // Applies a changed configuration of the store. Returns
  // FailedPrecondition naming the setting when the change needs the
  // activity restarted (the running one is then unchanged). Does not wait
  // for the work in progress.
  virtual Status Reload(const StoreConfig& config) = 0;
};

}  // namespace trove
