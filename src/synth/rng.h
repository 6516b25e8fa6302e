#pragma once
// Deterministic randomness for `trove synth` (internal header).
// Contract: Rng is xoshiro256** seeded through splitmix64, and every sampler
// below (exponential, Pareto, log-uniform) is integer-only, built on
// fixed-point log2/exp2 (Q32.32). No floating point touches a generated
// value, so one seed yields the same numbers on every compiler, libm and CPU
// (FMA contraction and libm ulp differences cannot leak in). Changing any
// sampler changes every generated file: treat the bit patterns as a format.
// Not thread-safe; each flow owns its own Rng.

#include <bit>
#include <cstddef>
#include <cstdint>

namespace trove::synth {

__extension__ typedef unsigned __int128 u128;

// splitmix64 finaliser: a good 64-bit mixing function (bijective).
inline uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// log2(x) for x >= 1 as Q32.32 fixed point (error < 2^-31).
uint64_t Log2Q32(uint64_t x);

// base * 2^(y / 2^32), saturating at `cap` (also returned on overflow).
uint64_t MulPow2Q32(uint64_t base, uint64_t y_q32, uint64_t cap);

class Rng {
 public:
  // `stream` selects an independent sequence for the same seed (one per
  // flow, one for arrivals, ...).
  explicit Rng(uint64_t seed, uint64_t stream = 0);

  uint64_t Next() {
    const uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n) (multiply-high; bias < n / 2^64). n == 0 returns 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<u128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi] (inclusive).
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  // True with probability num/den.
  bool Chance(uint64_t num, uint64_t den) { return Below(den) < num; }
  // True with probability p53 / 2^53 (see ProbabilityQ53).
  bool ChanceQ53(uint64_t p53) { return (Next() >> 11) < p53; }
  void Fill(uint8_t* p, size_t n);

  // -log2(u) for u uniform in (0, 1], Q32.32, in [0, 53].
  uint64_t NegLog2Q32();
  // Exponential with the given mean (ns or any unit), rounded down.
  uint64_t Exponential(uint64_t mean);
  // Pareto(shape alpha_q32 / 2^32, scale xm), capped at cap.
  uint64_t Pareto(uint64_t xm, uint64_t alpha_q32, uint64_t cap);
  // Log-uniform in [lo, hi].
  uint64_t LogUniform(uint64_t lo, uint64_t hi);
  // Zipf-like count: P(K >= k) = k^-beta for k >= 1 (beta = beta_q32 /
  // 2^32), capped at cap.
  uint64_t ZipfCount(uint64_t beta_q32, uint64_t cap);

 private:
  uint64_t s_[4];
};

// A probability in [0, 1] as a threshold for Rng::ChanceQ53. Exact and
// deterministic for any double (multiplying by a power of two is exact).
uint64_t ProbabilityQ53(double p);
// A positive double as Q32.32 (rounded to nearest), e.g. a Pareto shape.
uint64_t ToQ32(double v);

}  // namespace trove::synth
