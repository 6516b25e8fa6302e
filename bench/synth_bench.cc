// Benchmarks for `trove synth`: generation into memory, generation through
// the pcap writer (to /dev/null, so the disk is not measured), and the
// checksum kernel. Bytes/s are pcap file bytes.

#include <benchmark/benchmark.h>

#include <vector>

#include "synth/packet_builder.h"
#include "synth/synth.h"

namespace {

using trove::PacketRef;
using trove::Status;
using trove::synth::SynthOptions;
using trove::synth::SynthStats;

void BM_SynthesizeInMemory(benchmark::State& state) {
  SynthOptions o;
  o.max_file_bytes = static_cast<uint64_t>(state.range(0)) << 20;
  uint64_t bytes = 0, packets = 0;
  for (auto _ : state) {
    SynthStats st;
    uint64_t sum = 0;
    Status s = trove::synth::Synthesize(
        o,
        [&](const PacketRef& p) {
          sum += p.data[p.caplen - 1];
          return Status::Ok();
        },
        &st);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(sum);
    bytes += st.file_bytes;
    packets += st.packets;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["packets/s"] =
      benchmark::Counter(static_cast<double>(packets), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SynthesizeInMemory)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_WritePcapDevNull(benchmark::State& state) {
  SynthOptions o;
  o.max_file_bytes = static_cast<uint64_t>(state.range(0)) << 20;
  uint64_t bytes = 0;
  for (auto _ : state) {
    SynthStats st;
    Status s = trove::synth::WritePcap(o, "/dev/null", &st);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    bytes += st.file_bytes;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_WritePcapDevNull)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Checksum(benchmark::State& state) {
  std::vector<uint8_t> buf(static_cast<size_t>(state.range(0)), 0xA5);
  for (auto _ : state) {
    benchmark::DoNotOptimize(trove::synth::InternetChecksum(buf.data(), buf.size()));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Checksum)->Arg(64)->Arg(1480);

}  // namespace
