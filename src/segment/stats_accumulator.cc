#include "segment/stats_accumulator.h"

#include "packet/packet_flow.h"
#include "packet/protocol_mix.h"

namespace trove {

DistinctCounter::DistinctCounter() : slots_(1024, 0) {}

void DistinctCounter::Insert(uint64_t h) {
  if (h == 0) h = 1;
  size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>(h) & mask;
  for (;;) {
    uint64_t v = slots_[i];
    if (v == h) return;
    if (v == 0) {
      slots_[i] = h;
      if (++size_ * 2 > slots_.size()) Grow();
      return;
    }
    i = (i + 1) & mask;
  }
}

void DistinctCounter::Grow() {
  std::vector<uint64_t> old;
  old.swap(slots_);
  slots_.assign(old.size() * 2, 0);
  size_ = 0;
  for (uint64_t v : old)
    if (v) Insert(v);
}

void DistinctCounter::Reset() {
  std::fill(slots_.begin(), slots_.end(), 0);
  size_ = 0;
}

void StatsAccumulator::Reset() {
  s_ = SegmentStats{};
  flows_.Reset();
}

void StatsAccumulator::Add(const PacketRef& p, const DecodedPacket& d) {
  if (s_.packets == 0 || p.ts_ns < s_.first_ts_ns) s_.first_ts_ns = p.ts_ns;
  if (s_.packets == 0 || p.ts_ns > s_.last_ts_ns) s_.last_ts_ns = p.ts_ns;
  ++s_.packets;
  s_.cap_bytes += p.caplen;
  s_.wire_bytes += p.wirelen;
  AccountPacket(d, p.wirelen, &s_.mix);
  FlowRef scratch;
  if (const FlowRef* f = FlowOf(p, d, &scratch)) flows_.Insert(f->hash);
}

SegmentStats StatsAccumulator::stats() const {
  SegmentStats s = s_;
  s.flows = flows_.size();
  return s;
}

}  // namespace trove
