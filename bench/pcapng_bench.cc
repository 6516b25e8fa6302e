// Micro-benchmarks for the pcapng hot paths (src/segment/pcapng_format.cc):
// appending one EPB per captured packet, and parsing a segment back.
//
//   build/trove_bench --benchmark_filter=Pcapng

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "segment/pcapng_format.h"
#include "util/byte_buffer.h"

namespace trove {
namespace {

constexpr size_t kFlushBytes = 4 << 20;  // reuse the buffer like a segment writer

void BM_PcapngAppendEnhancedPacket(benchmark::State& state) {
  const uint32_t caplen = static_cast<uint32_t>(state.range(0));
  std::vector<uint8_t> pkt(caplen, 0xAB);
  ByteBuffer out(kFlushBytes + 65536);
  int64_t ts = 1700000000000000000LL;
  for (auto _ : state) {
    AppendEnhancedPacket(&out, 0, ts++, caplen, caplen, pkt.data());
    if (out.size() >= kFlushBytes) [[unlikely]] {
      benchmark::DoNotOptimize(out.data());
      out.clear();
    }
  }
  benchmark::ClobberMemory();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(caplen));
}
BENCHMARK(BM_PcapngAppendEnhancedPacket)->Arg(64)->Arg(1500);

// Baseline: the same memcpy into a reused buffer, to separate EPB framing
// cost from the copy itself.
void BM_PcapngMemcpyBaseline(benchmark::State& state) {
  const size_t caplen = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> pkt(caplen, 0xAB);
  ByteBuffer out(kFlushBytes + 65536);
  for (auto _ : state) {
    out.Append(pkt.data(), caplen);
    if (out.size() >= kFlushBytes) [[unlikely]] {
      benchmark::DoNotOptimize(out.data());
      out.clear();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(caplen));
}
BENCHMARK(BM_PcapngMemcpyBaseline)->Arg(64)->Arg(1500);

// A segment-like span: SHB + IDB + packets cycling through typical sizes.
ByteBuffer BuildSegment(size_t packets) {
  ByteBuffer b;
  SectionInfo s;
  s.userappl = "trove bench";
  AppendSectionHeader(&b, s);
  InterfaceInfo i;
  i.linktype = 1;
  i.snaplen = 65535;
  i.name = "eth0";
  AppendInterfaceDescription(&b, i);
  static constexpr uint32_t kSizes[] = {64, 1500, 590, 64, 1500, 128, 1500, 66};
  std::vector<uint8_t> pkt(1500, 0x5A);
  for (size_t k = 0; k < packets; ++k) {
    const uint32_t n = kSizes[k % (sizeof kSizes / sizeof kSizes[0])];
    AppendEnhancedPacket(&b, 0, 1700000000000000000LL + static_cast<int64_t>(k) * 1000, n, n,
                         pkt.data());
  }
  return b;
}

void BM_PcapngParse(benchmark::State& state) {
  const ByteBuffer seg = BuildSegment(static_cast<size_t>(state.range(0)));
  uint64_t packets = 0;
  PcapngVisitor v;
  v.on_packet = [&](const PcapngPacket& p) {
    benchmark::DoNotOptimize(p.data);
    ++packets;
    return true;
  };
  for (auto _ : state) {
    PcapngParseResult r = ParsePcapng(seg.data(), seg.size(), v);
    benchmark::DoNotOptimize(r.complete_bytes);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(seg.size()));
  state.SetItemsProcessed(static_cast<int64_t>(packets));
}
BENCHMARK(BM_PcapngParse)->Arg(10000);

}  // namespace
}  // namespace trove
