#include "query/traffic_series.h"

#include "index/index_file.h"
#include "index/segment_index.h"

namespace trove {
namespace {

__extension__ typedef unsigned __int128 U128;  // total * running weight overflows 64 bits

// Splits `total` in proportion to `weights` (which sum to a non-zero value):
// floor(total * running / sum) differences, so the shares add up to total.
std::vector<uint64_t> Apportion(uint64_t total, const std::vector<uint64_t>& weights) {
  U128 sum = 0;
  for (uint64_t w : weights) sum += w;
  std::vector<uint64_t> out(weights.size());
  U128 running = 0;
  uint64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    running += weights[i];
    const auto upto = static_cast<uint64_t>(static_cast<U128>(total) * running / sum);
    out[i] = upto - given;
    given = upto;
  }
  return out;
}

RateSpan WholeSegment(const SegmentRecord& r) {
  return {r.stats.first_ts_ns, r.stats.last_ts_ns, r.stats.packets, r.stats.wire_bytes};
}

// The segment's counts spread by its connection records; false when its
// index cannot be used.
bool Refine(const SegmentRecord& r, std::vector<RateSpan>* out) {
  IndexDecodeOptions o;
  o.defer_offsets = true;  // only the records' times and counts are needed
  o.postings = false;
  auto ix = ReadIndexFile(IndexPathFor(r.path), o);
  if (!ix.ok() || ix->segment_bytes != r.file_bytes || ix->conns.empty()) return false;
  std::vector<uint64_t> pk, by;
  uint64_t pk_sum = 0, by_sum = 0;
  for (const ConnRecord& c : ix->conns) {
    pk.push_back(c.packets[0] + c.packets[1]);
    by.push_back(c.bytes[0] + c.bytes[1]);
    pk_sum += pk.back();
    by_sum += by.back();
  }
  if (pk_sum == 0) return false;
  const std::vector<uint64_t> packets = Apportion(r.stats.packets, pk);
  const std::vector<uint64_t> bytes = Apportion(r.stats.wire_bytes, by_sum ? by : pk);
  for (size_t i = 0; i < ix->conns.size(); ++i)
    out->push_back({ix->conns[i].first_ts_ns, ix->conns[i].last_ts_ns, packets[i], bytes[i]});
  return true;
}

// Intervals of width w that [first, last] touches.
int64_t Touched(int64_t first, int64_t last, int64_t w) {
  auto fdiv = [](int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); };
  return fdiv(last, w) - fdiv(first, w) + 1;
}

}  // namespace

Result<RateSeries> ComputeTrafficSeries(const std::vector<SegmentRecord>& segments,
                                        int64_t width_ns, TrafficSeriesCounters* counters) {
  if (width_ns < 0) return Status::InvalidArgument("interval must be positive");
  TrafficSeriesCounters c;
  std::vector<bool> done(segments.size(), false);  // refined, or cannot be
  std::vector<std::vector<RateSpan>> spans(segments.size());
  for (size_t i = 0; i < segments.size(); ++i) spans[i] = {WholeSegment(segments[i])};
  auto all = [&] {
    std::vector<RateSpan> v;
    for (const auto& s : spans) v.insert(v.end(), s.begin(), s.end());
    return v;
  };
  for (bool changed = true; changed;) {
    changed = false;
    const int64_t w = width_ns ? width_ns : AutoRateInterval(all());
    if (w == 0) break;
    for (size_t i = 0; i < segments.size(); ++i) {
      const SegmentRecord& r = segments[i];
      if (done[i] || r.stats.packets == 0) continue;
      if (Touched(r.stats.first_ts_ns, r.stats.last_ts_ns, w) <= 2) continue;
      done[i] = true;
      std::vector<RateSpan> fine;
      if (Refine(r, &fine)) {
        spans[i] = std::move(fine);
        ++c.segments_refined;
        changed = width_ns == 0;  // the automatic width follows the finer spans
      } else {
        ++c.indexes_unusable;
      }
    }
  }
  if (counters) *counters = c;
  return ComputeRateSeries(all(), width_ns);
}

}  // namespace trove
