#include "util/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "util/time_util.h"

namespace trove {

RateLimiter::RateLimiter(uint64_t bytes_per_s, uint64_t burst, Clock clock, Sleep sleep)
    : rate_(bytes_per_s),
      burst_(static_cast<double>(burst ? burst : std::max<uint64_t>(bytes_per_s / 10, 64 * 1024))),
      clock_(clock ? std::move(clock) : Clock(MonotonicNs)),
      sleep_(sleep ? std::move(sleep) : Sleep([](int64_t ns) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
      })),
      tokens_(burst_) {
  last_ns_ = clock_();
}

void RateLimiter::Refill(int64_t now) {
  if (now <= last_ns_) return;
  tokens_ = std::min(
      burst_, tokens_ + static_cast<double>(now - last_ns_) * 1e-9 * static_cast<double>(rate_));
  last_ns_ = now;
}

void RateLimiter::Acquire(uint64_t bytes) {
  acquired_ += bytes;
  if (rate_ == 0) return;
  Refill(clock_());
  tokens_ -= static_cast<double>(bytes);
  while (tokens_ < 0) {
    const int64_t wait =
        std::max<int64_t>(1, static_cast<int64_t>(-tokens_ / static_cast<double>(rate_) * 1e9));
    const int64_t before = clock_();
    sleep_(wait);
    const int64_t after = clock_();
    slept_ns_ += std::max<int64_t>(0, after - before);
    Refill(after);
  }
}

}  // namespace trove
