// Index micro-benchmarks (src/index/, src/query/planner.h): the per-packet
// cost of SegmentIndexBuilder::Add on the writer thread (budget: a small
// part of the ~500 ns per packet of issue 3), encoding/decoding a whole
// index, and candidate selection for a one-host query (in memory, and from
// an index file of version 2 and 3 as a query reads it).

#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>

#include "index/index_codec.h"
#include "index/index_test_util.h"
#include "index/index_view.h"
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

std::optional<FilterExpr> OneHost() {
  const auto& ix = Seg().index;
  const AddressPosting& a = ix.addresses[ix.addresses.size() / 2];
  char buf[64];
  std::snprintf(buf, sizeof buf, "host %u.%u.%u.%u", a.addr[12], a.addr[13], a.addr[14],
                a.addr[15]);
  return ParseIndexableFilter(buf, nullptr);
}

void BM_SelectCandidatesOneHost(benchmark::State& state) {
  auto e = OneHost();
  for (auto _ : state) benchmark::DoNotOptimize(SelectCandidates(Seg().index, e, TimeRange{}));
}
BENCHMARK(BM_SelectCandidatesOneHost)->Unit(benchmark::kMicrosecond);

// What a query does per segment: open the file's index and select. Version
// 3 through the view (postings, only the candidates' chunks verified) vs.
// version 2 decoded without offsets and postings, every record judged.
void BM_QueryIndexFileOneHost(benchmark::State& state) {
  const uint32_t version = static_cast<uint32_t>(state.range(0));
  const std::string enc = EncodeSegmentIndex(Seg().index, version);
  const auto* data = reinterpret_cast<const uint8_t*>(enc.data());
  auto e = OneHost();
  for (auto _ : state) {
    if (version == 3) {
      auto v = IndexView::Open(nullptr, data, enc.size(), "bench.idx");
      benchmark::DoNotOptimize(SelectCandidates(**v, e, TimeRange{}));
    } else {
      IndexDecodeOptions o;
      o.defer_offsets = true;
      o.postings = false;
      auto ix = DecodeSegmentIndex(data, enc.size(), "bench.idx", o);
      benchmark::DoNotOptimize(SelectCandidates(*ix, e, TimeRange{}));
    }
  }
  state.counters["index_bytes"] = static_cast<double>(enc.size());
}
BENCHMARK(BM_QueryIndexFileOneHost)->Arg(2)->Arg(3)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace trove
