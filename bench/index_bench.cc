// Index micro-benchmarks (src/index/, src/query/planner.h): the per-packet
// cost of SegmentIndexBuilder::Add on the writer thread (budget: a small
// part of the ~500 ns per packet of issue 3), encoding/decoding a whole
// index, and candidate selection for a one-host query.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>

#include "index/index_codec.h"
#include "index/index_test_util.h"
#include "query/filter_expr.h"
#include "query/planner.h"

namespace trove {
namespace {

const testing_util::SynthSegment& Seg() {
  static const auto* s = new testing_util::SynthSegment(testing_util::MakeSynthSegment(200000, 1));
  return *s;
}

void BM_IndexBuilderAdd(benchmark::State& state) {
  const auto& seg = Seg();
  std::vector<DecodedPacket> decoded(seg.packets.size());
  std::vector<PacketRef> refs(seg.packets.size());
  for (size_t i = 0; i < seg.packets.size(); ++i) {
    const auto& p = seg.packets[i];
    refs[i] = PacketRef{p.ts_ns, static_cast<uint32_t>(p.bytes.size()),
                        static_cast<uint32_t>(p.bytes.size()), 1, p.bytes.data()};
    Decode(refs[i], &decoded[i]);
  }
  size_t i = 0;
  auto b = std::make_unique<SegmentIndexBuilder>("bench", 1);
  for (auto _ : state) {
    if (i == refs.size()) {
      state.PauseTiming();
      b = std::make_unique<SegmentIndexBuilder>("bench", 1);
      i = 0;
      state.ResumeTiming();
    }
    b->Add(refs[i], decoded[i], seg.packets[i].offset);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexBuilderAdd);

void BM_IndexEncode(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(EncodeSegmentIndex(Seg().index));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(Seg().packets.size()));
}
BENCHMARK(BM_IndexEncode)->Unit(benchmark::kMillisecond);

void BM_IndexDecode(benchmark::State& state) {
  const std::string enc = EncodeSegmentIndex(Seg().index);
  for (auto _ : state)
    benchmark::DoNotOptimize(
        DecodeSegmentIndex(reinterpret_cast<const uint8_t*>(enc.data()), enc.size(), "bench.idx"));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(Seg().packets.size()));
  state.counters["index_bytes"] = static_cast<double>(enc.size());
}
BENCHMARK(BM_IndexDecode)->Unit(benchmark::kMillisecond);

void BM_SelectCandidatesOneHost(benchmark::State& state) {
  const auto& ix = Seg().index;
  const AddressPosting& a = ix.addresses[ix.addresses.size() / 2];
  char buf[64];
  std::snprintf(buf, sizeof buf, "host %u.%u.%u.%u", a.addr[12], a.addr[13], a.addr[14],
                a.addr[15]);
  auto e = ParseIndexableFilter(buf, nullptr);
  for (auto _ : state) benchmark::DoNotOptimize(SelectCandidates(ix, e, TimeRange{}));
}
BENCHMARK(BM_SelectCandidatesOneHost)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace trove
