#include "util/rate_limiter.h"

#include <gtest/gtest.h>

namespace trove {
namespace {

// A fake monotonic clock that sleeping advances.
struct FakeTime {
  int64_t now = 1'000'000'000;
  int64_t sleeps = 0;
  RateLimiter Make(uint64_t rate, uint64_t burst) {
    return RateLimiter(
        rate, burst, [this] { return now; },
        [this](int64_t ns) {
          now += ns;
          ++sleeps;
        });
  }
};

TEST(RateLimiterTest, ZeroRateNeverSleeps) {
  FakeTime t;
  RateLimiter r = t.Make(0, 0);
  for (int i = 0; i < 1000; ++i) r.Acquire(1 << 20);
  EXPECT_EQ(t.sleeps, 0);
  EXPECT_EQ(r.acquired(), 1000ull << 20);
  EXPECT_EQ(r.slept_ns(), 0);
}

TEST(RateLimiterTest, TheBurstIsFreeThenTheRateHolds) {
  FakeTime t;
  RateLimiter r = t.Make(1'000'000, 100'000);  // 1 MB/s, 100 kB burst
  const int64_t start = t.now;
  r.Acquire(100'000);  // the burst: no wait
  EXPECT_EQ(t.now, start);
  // 10 MB more at 1 MB/s: 10 s of (fake) time, to within one request.
  for (int i = 0; i < 1000; ++i) r.Acquire(10'000);
  EXPECT_NEAR(static_cast<double>(t.now - start), 10e9, 0.011e9);
  EXPECT_NEAR(static_cast<double>(r.slept_ns()), 10e9, 0.011e9);
}

TEST(RateLimiterTest, AnyIntervalCarriesAtMostRateTimesTPlusBurst) {
  FakeTime t;
  const uint64_t rate = 5'000'000, burst = 50'000;
  RateLimiter r = t.Make(rate, burst);
  // Requests of varying size, with idle gaps the bucket refills in (capped).
  std::vector<std::pair<int64_t, uint64_t>> log;  // (time after acquire, cumulative bytes)
  uint64_t total = 0;
  for (int i = 0; i < 3000; ++i) {
    if (i % 500 == 0) t.now += 2'000'000'000;  // idle 2 s: at most `burst` accumulates
    const uint64_t n = 1000 + (i * 7919) % 60000;
    r.Acquire(n);
    total += n;
    log.emplace_back(t.now, total);
  }
  // For every pair of points: bytes between them <= rate * dt + burst + one request.
  for (size_t a = 0; a < log.size(); a += 37)
    for (size_t b = a + 1; b < log.size(); b += 53) {
      const double dt = static_cast<double>(log[b].first - log[a].first) * 1e-9;
      const double bytes = static_cast<double>(log[b].second - log[a].second);
      ASSERT_LE(bytes, static_cast<double>(rate) * dt + burst + 61000) << a << " " << b;
    }
}

TEST(RateLimiterTest, ARequestLargerThanTheBurstIsServedAsDebt) {
  FakeTime t;
  RateLimiter r = t.Make(1'000'000, 64 * 1024);
  const int64_t start = t.now;
  r.Acquire(3'000'000 + 64 * 1024);  // 3 s of debt beyond the burst
  EXPECT_NEAR(static_cast<double>(t.now - start), 3e9, 1e6);
}

TEST(RateLimiterTest, DefaultBurstIsATenthOfASecond) {
  FakeTime t;
  RateLimiter r = t.Make(10'000'000, 0);
  r.Acquire(1'000'000);  // exactly the default burst
  EXPECT_EQ(t.sleeps, 0);
  r.Acquire(1'000'000);
  EXPECT_GT(t.sleeps, 0);
}

}  // namespace
}  // namespace trove
