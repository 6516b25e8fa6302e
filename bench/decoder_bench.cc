// Decoder micro-benchmarks: Decode() on typical packets, MakeFlowKey + Hash,
// AccountPacket. Target: Decode <= ~20 ns/packet.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "packet/decoder.h"
#include "packet/flow_key.h"
#include "packet/protocol_mix.h"

namespace trove {
namespace {

// Ethernet / IPv4 (10.0.0.1 -> 10.0.0.2) / TCP 40000 -> 443 ACK|PSH, doff 8
// (timestamps option), 100 payload bytes.
std::vector<uint8_t> EthIpv4Tcp() {
  std::vector<uint8_t> b = {
      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,  // eth
      0x45, 0x00, 0x00, 0xb4, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,              // ip
      0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,                                      //
      0x9c, 0x40, 0x01, 0xbb, 0,    0,    0,    1,    0,    0,    0,    1,    0x80, 0x18,
      0xff, 0xff, 0,    0,    0,    0,                                       // tcp
      0x01, 0x01, 0x08, 0x0a, 0,    0,    0,    1,    0,    0,    0,    2};  // opts
  b.resize(b.size() + 100, 0x61);
  return b;
}

// Ethernet / 802.1Q / IPv6 (2001:db8::1 -> 2001:db8::2) / UDP 5353 -> 53, 40 bytes.
std::vector<uint8_t> EthVlanIpv6Udp() {
  std::vector<uint8_t> b = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
                            0xaa, 0xbb, 0x81, 0x00, 0x00, 0x64, 0x86, 0xdd,  // eth + tag
                            0x60, 0x00, 0x00, 0x00, 0x00, 0x30, 0x11, 0x40,  // ipv6
                            0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0,    0,
                            0,    0,    0,    0,    0,    1,    0x20, 0x01, 0x0d, 0xb8,
                            0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
                            0,    2,    0x14, 0xe9, 0x00, 0x35, 0x00, 0x30, 0x00, 0x00};  // udp
  b.resize(b.size() + 40, 0x62);
  return b;
}

PacketRef Ref(const std::vector<uint8_t>& b) {
  return PacketRef{0, static_cast<uint32_t>(b.size()), static_cast<uint32_t>(b.size()),
                   kLinkEthernet, b.data()};
}

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
