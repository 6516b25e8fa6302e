#include "util/rate_series.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace trove {
namespace {

__extension__ typedef __int128 I128;  // total * elapsed overflows 64 bits

constexpr int64_t kAutoRows = 50;
constexpr int64_t kMinAutoWidth = 1'000'000;  // 1 ms

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Smallest 1, 2 or 5 times a power of ten that is >= v.
int64_t RoundUpNice(int64_t v) {
  for (int64_t p = 1;; p *= 10) {
    for (int64_t m : {1, 2, 5})
      if (m * p >= v) return m * p;
    if (p > INT64_MAX / 100) return v;
  }
}

// [a, b): a span's packets in ns, b exclusive.
struct Range {
  int64_t a, b;
};

// The union of the spans' time ranges (spans with packets only), ascending.
std::vector<Range> Covered(const std::vector<RateSpan>& spans) {
  std::vector<Range> m;
  for (const auto& r : spans)
    if (r.packets) m.push_back({r.first_ns, std::max(r.last_ns, r.first_ns) + 1});
  std::sort(m.begin(), m.end(), [](const Range& x, const Range& y) { return x.a < y.a; });
  size_t n = 0;
  for (size_t i = 1; i < m.size(); ++i) {
    if (m[i].a <= m[n].b)
      m[n].b = std::max(m[n].b, m[i].b);
    else
      m[++n] = m[i];
  }
  if (!m.empty()) m.resize(n + 1);
  return m;
}

int64_t AutoWidth(const std::vector<Range>& covered) {
  if (covered.empty()) return 0;
  int64_t t = 0;
  for (const auto& x : covered) t += x.b - x.a;
  return RoundUpNice(std::max(t / kAutoRows, kMinAutoWidth));
}

}  // namespace

uint64_t RateSeries::empty_intervals() const {
  uint64_t n = 0;
  for (const auto& g : gaps) n += g.intervals;
  return n;
}

int64_t AutoRateInterval(const std::vector<RateSpan>& spans) { return AutoWidth(Covered(spans)); }

Result<RateSeries> ComputeRateSeries(const std::vector<RateSpan>& spans, int64_t width_ns,
                                     uint64_t max_intervals) {
  if (width_ns < 0) return Status::InvalidArgument("interval must be positive");
  RateSeries s;
  const std::vector<Range> covered = Covered(spans);
  if (covered.empty()) return s;
  s.first_ns = covered.front().a;
  s.last_ns = covered.back().b - 1;
  if (width_ns == 0) width_ns = AutoWidth(covered);
  s.width_ns = width_ns;
  uint64_t touched = 0;
  for (const auto& x : covered) {
    touched += static_cast<uint64_t>(FloorDiv(x.b - 1, width_ns) - FloorDiv(x.a, width_ns) + 1);
    if (touched > max_intervals)
      return Status::InvalidArgument("interval too small for the data: over " +
                                     std::to_string(max_intervals) + " intervals");
  }
  // Interval index -> sums. A span's share of an interval is the difference
  // of floor(total * elapsed / length) at the interval's two ends, so a
  // span's shares add up to its counts exactly.
  std::map<int64_t, std::pair<uint64_t, uint64_t>> acc;
  for (const RateSpan& r : spans) {
    if (!r.packets) continue;
    const int64_t a = r.first_ns, b = std::max(r.last_ns, r.first_ns) + 1;
    const auto len = static_cast<I128>(b - a);
    auto cum = [&](uint64_t total, int64_t t) {
      return static_cast<uint64_t>(static_cast<I128>(total) * (t - a) / len);
    };
    for (int64_t k = FloorDiv(a, width_ns); k <= FloorDiv(b - 1, width_ns); ++k) {
      const int64_t lo = std::max(a, k * width_ns);
      const int64_t hi = std::min(b, (k + 1) * width_ns);
      auto& [p, by] = acc[k];
      p += cum(r.packets, hi) - cum(r.packets, lo);
      by += cum(r.bytes, hi) - cum(r.bytes, lo);
    }
  }
  int64_t prev = 0;
  bool have_prev = false;
  for (const auto& [k, v] : acc) {
    if (v.first == 0 && v.second == 0) continue;  // a sliver that got no whole packet
    if (have_prev && k > prev + 1)
      s.gaps.push_back({(prev + 1) * width_ns, k * width_ns, static_cast<uint64_t>(k - prev - 1)});
    s.intervals.push_back({k * width_ns, v.first, v.second});
    prev = k;
    have_prev = true;
  }
  return s;
}

}  // namespace trove
