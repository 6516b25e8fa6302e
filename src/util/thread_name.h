#pragma once
// Names the calling thread (Linux: at most 15 characters; longer names are
// cut), so that `top -H`, `ps -L`, perf and gdb tell trove's threads apart:
// trove-capture (the talker), trove-flush, trove-derive, trove-expiry,
// trove-ctl, trove-mover; the writer stays on the main thread. Best effort:
// a failure is ignored.

namespace trove {

void SetThreadName(const char* name);

}  // namespace trove
