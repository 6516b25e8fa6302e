#pragma once
// Lowering the CPU and I/O priority of the calling thread, so that retrieval
// (trove query) yields to capture and import on the same machine.
//
// IoPriority names a Linux I/O scheduling class (ioprio_set(2)): "idle"
// (served only when no one else uses the disk), "best-effort:N" (N 0..7,
// 7 lowest; "best-effort" = 7) or "none" (leave as inherited). The block
// layer honours it under BFQ and mq-deadline; with the "none" scheduler it
// has no effect, which is why queries also have a byte-rate bound.
// Priorities are only ever lowered, never raised: a query started under
// `nice -n 15` or `ionice -c3` stays there.

#include <string>
#include <string_view>

#include "util/status.h"

namespace trove {

struct IoPriority {
  enum class Class { kNone = 0, kRealtime = 1, kBestEffort = 2, kIdle = 3 };
  Class klass = Class::kNone;
  int level = 0;  // 0..7 within kRealtime/kBestEffort

  static Result<IoPriority> Parse(std::string_view text);
  std::string ToString() const;
};

// The calling thread's current I/O priority (ioprio_get). Class kNone when the
// kernel reports none set (it then derives best-effort from the nice value).
Result<IoPriority> CurrentIoPriority();

// Sets p unless the thread already has a lower priority (idle beats
// best-effort; a higher level within best-effort is lower). kNone: no-op.
Status LowerIoPriority(const IoPriority& p);

// setpriority(PRIO_PROCESS) to `nice` unless already at or above it.
Status LowerCpuPriority(int nice);

}  // namespace trove
