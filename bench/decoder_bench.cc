// Decoder micro-benchmarks: Decode() on typical packets, MakeFlowKey + Hash,
// AccountPacket. Target: Decode <= ~20 ns/packet.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "bench_packets.h"
#include "packet/decoder.h"
#include "packet/flow_key.h"
#include "packet/protocol_mix.h"

namespace trove {
namespace {

using bench::Ref;

using bench::EthIpv4Tcp;
using bench::EthVlanIpv6Udp;

void BM_DecodeEthIpv4Tcp(benchmark::State& state) {
  const std::vector<uint8_t> b = EthIpv4Tcp();
  const PacketRef ref = Ref(b);
  DecodedPacket d;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Decode(ref, &d));
    benchmark::ClobberMemory();
  }
  if (d.stop != DecodeStop::kNone || d.payload_len != 100) state.SkipWithError("bad decode");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeEthIpv4Tcp);

void BM_DecodeEthVlanIpv6Udp(benchmark::State& state) {
  const std::vector<uint8_t> b = EthVlanIpv6Udp();
  const PacketRef ref = Ref(b);
  DecodedPacket d;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Decode(ref, &d));
    benchmark::ClobberMemory();
  }
  if (d.stop != DecodeStop::kNone || d.sport != 5353) state.SkipWithError("bad decode");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeEthVlanIpv6Udp);

void BM_MakeFlowKeyAndHash(benchmark::State& state) {
  const std::vector<uint8_t> b4 = EthIpv4Tcp();
  const std::vector<uint8_t> b6 = EthVlanIpv6Udp();
  const PacketRef r4 = Ref(b4), r6 = Ref(b6);
  DecodedPacket d4, d6;
  Decode(r4, &d4);
  Decode(r6, &d6);
  const bool v6 = state.range(0) != 0;
  FlowKey k;
  for (auto _ : state) {
    MakeFlowKey(v6 ? r6 : r4, v6 ? d6 : d4, &k);
    benchmark::DoNotOptimize(k.Hash());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MakeFlowKeyAndHash)->Arg(0)->Arg(1)->ArgName("ipv6");

void BM_DecodeKeyAccount(benchmark::State& state) {
  // The per-packet work of the write path: decode, key, hash, account.
  const std::vector<uint8_t> b4 = EthIpv4Tcp();
  const std::vector<uint8_t> b6 = EthVlanIpv6Udp();
  const PacketRef refs[2] = {Ref(b4), Ref(b6)};
  ProtocolMix mix;
  DecodedPacket d;
  FlowKey k;
  size_t i = 0;
  for (auto _ : state) {
    const PacketRef& r = refs[i++ & 1];
    Decode(r, &d);
    MakeFlowKey(r, d, &k);
    benchmark::DoNotOptimize(k.Hash());
    AccountPacket(d, r.wirelen, &mix);
  }
  benchmark::DoNotOptimize(mix);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeKeyAccount);

}  // namespace
}  // namespace trove
