// Address pseudonymization micro-benchmarks (src/anon/): Crypto-PAn for
// IPv4 and IPv6 on the cache-miss path (uniformly random addresses) and the
// cache-hit path (a Zipf-like working set), MAC pseudonyms, and the cost
// of building an object (the 2^16 prefix table) or cloning one.
// Goal: an IPv4 miss well under 100 ns, so that whole packets (two
// addresses) run >= 3x faster than traceanon's ~0.9 Mpps.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "anon/cryptopan.h"
#include "anon/cryptopan_reference.h"
#include "anon/mac_pseudonym.h"

namespace trove {
namespace {

constexpr size_t kStream = 1 << 20;  // addresses per stream (a power of two)

std::vector<uint8_t> Key() {
  std::vector<uint8_t> k(32);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i * 37 + 11);
  return k;
}

// Ranks 0..n-1 with P(rank r) ~ 1/(r+1): a few hot addresses, a long tail.
std::vector<size_t> ZipfRanks(size_t n, size_t count, uint64_t seed) {
  std::vector<double> cdf(n);
  double sum = 0;
  for (size_t r = 0; r < n; ++r) cdf[r] = sum += 1.0 / static_cast<double>(r + 1);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, sum);
  std::vector<size_t> out(count);
  for (size_t& o : out) {
    o = static_cast<size_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
  }
  return out;
}

std::vector<uint32_t> Random4(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> v(n);
  for (uint32_t& a : v) a = static_cast<uint32_t>(rng());
  return v;
}

std::vector<uint32_t> Zipf4(size_t working_set) {
  const std::vector<uint32_t> hosts = Random4(working_set, 2);
  std::vector<uint32_t> v;
  for (const size_t r : ZipfRanks(working_set, kStream, 3)) v.push_back(hosts[r]);
  return v;
}

std::vector<Ipv6Bytes> Random6(size_t n, uint64_t seed, size_t n64 = 0) {
  std::mt19937_64 rng(seed);
  std::vector<Ipv6Bytes> prefixes(n64);
  for (Ipv6Bytes& p : prefixes) {
    for (uint8_t& b : p) b = static_cast<uint8_t>(rng());
  }
  std::vector<Ipv6Bytes> v(n);
  for (Ipv6Bytes& a : v) {
    for (uint8_t& b : a) b = static_cast<uint8_t>(rng());
    if (n64) std::copy_n(prefixes[rng() % n64].begin(), 8, a.begin());
  }
  return v;
}

CryptoPAn MakeCryptoPAn() { return std::move(CryptoPAn::Create(Key())).value(); }

void BM_Anonymize4_Miss(benchmark::State& state) {
  CryptoPAn c = MakeCryptoPAn();
  const std::vector<uint32_t> v = Random4(kStream, 1);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(c.Anonymize4(v[i++ & (kStream - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Anonymize4_Miss);

// Zipf over a working set of state.range(0) hosts; the 4096-entry cache
// holds the hot ones.
void BM_Anonymize4_Zipf(benchmark::State& state) {
  CryptoPAn c = MakeCryptoPAn();
  const std::vector<uint32_t> v = Zipf4(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(c.Anonymize4(v[i++ & (kStream - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Anonymize4_Zipf)->Arg(1000)->Arg(100000);

void BM_Anonymize4_Reference(benchmark::State& state) {
  CryptoPAnReference ref(Key());
  const std::vector<uint32_t> v = Random4(kStream, 1);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ref.Anonymize4(v[i++ & (kStream - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Anonymize4_Reference);

// range(0) = number of distinct /64s (0: every address in its own).
void BM_Anonymize6_Miss(benchmark::State& state) {
  CryptoPAn c = MakeCryptoPAn();
  const std::vector<Ipv6Bytes> v = Random6(kStream, 4, static_cast<size_t>(state.range(0)));
  size_t i = 0;
  uint8_t out[16];
  for (auto _ : state) {
    c.Anonymize6(v[i++ & (kStream - 1)].data(), out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Anonymize6_Miss)->Arg(0)->Arg(256);

void BM_Anonymize6_Zipf(benchmark::State& state) {
  CryptoPAn c = MakeCryptoPAn();
  const std::vector<Ipv6Bytes> hosts = Random6(1000, 5, 64);
  std::vector<Ipv6Bytes> v;
  for (const size_t r : ZipfRanks(hosts.size(), kStream, 6)) v.push_back(hosts[r]);
  size_t i = 0;
  uint8_t out[16];
  for (auto _ : state) {
    c.Anonymize6(v[i++ & (kStream - 1)].data(), out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Anonymize6_Zipf);

void BM_MacPseudonym_Miss(benchmark::State& state) {
  MacPseudonym m = std::move(MacPseudonym::Create(Key())).value();
  std::mt19937_64 rng(7);
  std::vector<uint64_t> v(kStream);
  for (uint64_t& x : v) x = rng() & 0xFFFFFFFFFFFFull;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.Pseudonymize(v[i++ & (kStream - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MacPseudonym_Miss);

void BM_MacPseudonym_Zipf(benchmark::State& state) {
  MacPseudonym m = std::move(MacPseudonym::Create(Key())).value();
  std::mt19937_64 rng(8);
  std::vector<uint64_t> hosts(500);
  for (uint64_t& x : hosts) x = rng() & 0xFFFFFFFFFFFFull;
  std::vector<uint64_t> v;
  for (const size_t r : ZipfRanks(hosts.size(), kStream, 9)) v.push_back(hosts[r]);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.Pseudonymize(v[i++ & (kStream - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MacPseudonym_Zipf);

// Create(): the AES key schedule, the 65,535-block prefix table, the caches.
void BM_CryptoPAn_Create(benchmark::State& state) {
  const std::vector<uint8_t> key = Key();
  for (auto _ : state) {
    Result<CryptoPAn> c = CryptoPAn::Create(key);
    benchmark::DoNotOptimize(c.ok());
  }
}
BENCHMARK(BM_CryptoPAn_Create)->Unit(benchmark::kMicrosecond);

// Clone(): shares the table; new caches and cipher context.
void BM_CryptoPAn_Clone(benchmark::State& state) {
  CryptoPAn c = MakeCryptoPAn();
  for (auto _ : state) {
    Result<CryptoPAn> d = c.Clone();
    benchmark::DoNotOptimize(d.ok());
  }
}
BENCHMARK(BM_CryptoPAn_Clone)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace trove
