// Privacy-level transform benchmarks: PacketTransform::Apply() (Decode()
// excluded) on typical packets at L1 (scrub) and L2 (scramble), with the
// XOR test mapper (transform cost alone) and the real CryptoPAnMapper (hot
// caches: the same addresses again and again; cold: a new address every
// packet), and over a real trace (ndpi_teams.pcap from $TROVE_SHARED_PCAPS,
// default ../shared/pcaps; skipped if absent), Decode() included there.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "anon/cryptopan_mapper.h"
#include "anon/packet_transform.h"
#include "bench_packets.h"
#include "capture/file_source.h"
#include "packet/decoder.h"

namespace trove::anon {
namespace {

using bench::Ref;

std::vector<uint8_t> EthIpv4Tcp() { return bench::EthIpv4Tcp(0x1234); }
std::vector<uint8_t> EthVlanIpv6Udp() { return bench::EthVlanIpv6Udp(0x1234); }

CryptoPAnMapper* RealMapper() {
  static std::unique_ptr<CryptoPAnMapper> m = [] {
    uint8_t key[32];
    for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i * 37 + 1);
    auto r = CryptoPAnMapper::FromCryptoPAnKey(key);
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }();
  return m.get();
}

enum MapperKind { kNone = 0, kXor = 1, kCryptoPAn = 2 };

// state.range(0): 0 = IPv4/TCP, 1 = VLAN/IPv6/UDP. range(1): MapperKind.
// range(2): 1 = a new source address every packet (mapper caches cold).
void BM_Apply(benchmark::State& state) {
  std::vector<uint8_t> b = state.range(0) == 0 ? EthIpv4Tcp() : EthVlanIpv6Udp();
  const PacketRef ref = Ref(b);
  DecodedPacket d;
  Decode(ref, &d);
  XorMapper xm;
  AddressMapper* m = nullptr;
  LevelPolicy pol = PolicyForLevel(PrivacyLevel::kScrubbed);
  if (state.range(1) != kNone) {
    pol = PolicyForLevel(PrivacyLevel::kScrambled);
    m = state.range(1) == kXor ? static_cast<AddressMapper*>(&xm) : RealMapper();
  }
  const bool cold = state.range(2) != 0;
  const size_t src = d.src_off + d.addr_len - 4;  // last 4 bytes of the source address
  uint32_t counter = 0x01000000;
  PacketTransform t(pol, m);
  ByteBuffer out(2048);
  uint32_t wirelen;
  for (auto _ : state) {
    if (cold) {
      ++counter;
      b[src] = static_cast<uint8_t>(counter >> 24);
      b[src + 1] = static_cast<uint8_t>(counter >> 16);
      b[src + 2] = static_cast<uint8_t>(counter >> 8);
      b[src + 3] = static_cast<uint8_t>(counter);
    }
    benchmark::DoNotOptimize(t.Apply(ref, d, &out, &wirelen));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Apply)
    ->ArgNames({"v6", "mapper", "cold"})
    ->Args({0, kNone, 0})
    ->Args({0, kXor, 0})
    ->Args({0, kCryptoPAn, 0})
    ->Args({0, kCryptoPAn, 1})
    ->Args({1, kNone, 0})
    ->Args({1, kXor, 0})
    ->Args({1, kCryptoPAn, 0})
    ->Args({1, kCryptoPAn, 1});

struct TracePkts {
  uint16_t dlt = 0;
  std::vector<std::vector<uint8_t>> pkts;
  std::vector<uint32_t> wirelen;
};

const TracePkts* Teams() {
  static TracePkts t = [] {
    TracePkts r;
    const char* dir = std::getenv("TROVE_SHARED_PCAPS");
    auto src = FileSource::Open(std::string(dir ? dir : "../shared/pcaps") + "/ndpi_teams.pcap");
    if (!src.ok()) return r;
    r.dlt = (*src)->linktype();
    PacketRef p;
    while ((*src)->Read(&p) == PacketSource::ReadResult::kPacket) {
      r.pkts.emplace_back(p.data, p.data + p.caplen);
      r.wirelen.push_back(p.wirelen);
    }
    return r;
  }();
  return &t;
}

// Decode() + Apply() over every packet of a real trace. range(0): MapperKind.
void BM_Trace(benchmark::State& state) {
  const TracePkts* t = Teams();
  if (t->pkts.empty()) {
    state.SkipWithError("ndpi_teams.pcap not found (set TROVE_SHARED_PCAPS)");
    return;
  }
  LevelPolicy pol =
      PolicyForLevel(state.range(0) == kNone ? PrivacyLevel::kScrubbed : PrivacyLevel::kScrambled);
  XorMapper xm;
  AddressMapper* m = state.range(0) == kNone  ? nullptr
                     : state.range(0) == kXor ? static_cast<AddressMapper*>(&xm)
                                              : RealMapper();
  PacketTransform tr(pol, m);
  ByteBuffer out(2048);
  uint32_t wirelen;
  DecodedPacket d;
  for (auto _ : state) {
    for (size_t i = 0; i < t->pkts.size(); ++i) {
      const PacketRef ref{0, static_cast<uint32_t>(t->pkts[i].size()), t->wirelen[i], t->dlt,
                          t->pkts[i].data()};
      Decode(ref, &d);
      benchmark::DoNotOptimize(tr.Apply(ref, d, &out, &wirelen));
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(t->pkts.size()));
}
BENCHMARK(BM_Trace)->ArgName("mapper")->Arg(kNone)->Arg(kXor)->Arg(kCryptoPAn);

}  // namespace
}  // namespace trove::anon
