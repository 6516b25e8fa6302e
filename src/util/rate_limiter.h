#pragma once
// RateLimiter: a token bucket that bounds a byte rate (query retrieval,
// `[query] max_read_rate`). Acquire(n) takes n bytes of budget; when the
// bucket is empty it sleeps until the debt is paid back at `rate` bytes/s,
// so over any interval T the bytes acquired are at most rate*T + burst.
// Requests larger than the burst are allowed (they run the bucket into
// debt) so a caller never has to split its reads. rate 0 = unlimited.
// Clock and sleep are injected (tests use a fake clock). Not thread-safe:
// one limiter per query.

#include <cstdint>
#include <functional>

namespace trove {

class RateLimiter {
 public:
  using Clock = std::function<int64_t()>;  // monotonic ns
  using Sleep = std::function<void(int64_t ns)>;

  // burst 0 = a tenth of a second of rate (at least 64 KiB).
  explicit RateLimiter(uint64_t bytes_per_s, uint64_t burst = 0, Clock clock = {},
                       Sleep sleep = {});

  void Acquire(uint64_t bytes);

  uint64_t rate() const { return rate_; }
  uint64_t acquired() const { return acquired_; }
  int64_t slept_ns() const { return slept_ns_; }  // total time spent throttled

 private:
  void Refill(int64_t now);

  uint64_t rate_;
  double burst_;
  Clock clock_;
  Sleep sleep_;
  double tokens_;  // may go negative (debt)
  int64_t last_ns_ = 0;
  uint64_t acquired_ = 0;
  int64_t slept_ns_ = 0;
};

}  // namespace trove
