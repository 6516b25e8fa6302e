#include "synth/rng.h"

#include <array>
#include <cmath>

namespace trove::synth {
namespace {

u128 ISqrt(u128 n) {
  u128 res = 0;
  u128 bit = static_cast<u128>(1) << 126;
  while (bit > n) bit >>= 2;
  while (bit != 0) {
    if (n >= res + bit) {
      n -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  return res;
}

// Tables for 2^(f / 2^32), f < 2^32, in Q2.62: kByte[b][i] = 2^(i * 2^-(8b+8)),
// one table per byte of f. Built from 2^(2^-k) values derived with exact
// integer square roots (2^(1/2), then repeated square roots), so no libm is
// involved and every platform computes identical tables.
struct Exp2Tables {
  uint64_t byte[4][256];
  Exp2Tables() {
    uint64_t root[32];  // root[k] = 2^(2^-(k+1))
    root[0] = static_cast<uint64_t>(ISqrt(static_cast<u128>(1) << 125));
    for (int k = 1; k < 32; ++k) {
      root[k] = static_cast<uint64_t>(ISqrt(static_cast<u128>(root[k - 1]) << 62));
    }
    for (int b = 0; b < 4; ++b) {
      for (int i = 0; i < 256; ++i) {
        uint64_t r = uint64_t{1} << 62;
        for (int bit = 0; bit < 8; ++bit) {
          if ((i >> (7 - bit)) & 1) {
            r = static_cast<uint64_t>((static_cast<u128>(r) * root[8 * b + bit]) >> 62);
          }
        }
        byte[b][i] = r;
      }
    }
  }
};

const Exp2Tables& Tables() {
  static const Exp2Tables t;
  return t;
}

// 2^(f / 2^32) for f < 2^32, in Q2.62 (value in [2^62, 2^63)).
uint64_t Exp2FracQ62(uint32_t f) {
  const Exp2Tables& t = Tables();
  uint64_t r = t.byte[0][f >> 24];
  r = static_cast<uint64_t>((static_cast<u128>(r) * t.byte[1][(f >> 16) & 0xFF]) >> 62);
  r = static_cast<uint64_t>((static_cast<u128>(r) * t.byte[2][(f >> 8) & 0xFF]) >> 62);
  r = static_cast<uint64_t>((static_cast<u128>(r) * t.byte[3][f & 0xFF]) >> 62);
  return r;
}

constexpr uint64_t kLn2Q64 = 0xB17217F7D1CF79ABull;  // ln(2) * 2^64

}  // namespace

uint64_t Log2Q32(uint64_t x) {
  if (x == 0) return 0;
  const int p = 63 - std::countl_zero(x);
  // Mantissa in Q1.31 (truncated), then one result bit per squaring. An
  // error at step i moves the result by about 2^-31 * 2^-i, so the result
  // stays within ~2^-30 of log2(x); it is exact integer math either way.
  uint64_t m = p >= 31 ? x >> (p - 31) : x << (31 - p);  // [2^31, 2^32)
  uint64_t frac = 0;
  for (int i = 31; i >= 0; --i) {
    const uint64_t sq = m * m;  // Q2.62 in [1, 4)
    const uint64_t ge2 = sq >> 63;
    m = sq >> (31 + ge2);  // branchless: the bits are random
    frac |= ge2 << i;
  }
  return (static_cast<uint64_t>(p) << 32) | frac;
}

uint64_t MulPow2Q32(uint64_t base, uint64_t y_q32, uint64_t cap) {
  if (base == 0) return 0;
  const uint64_t ip = y_q32 >> 32;
  if (ip > 62) return cap;
  const u128 prod = static_cast<u128>(base) * Exp2FracQ62(static_cast<uint32_t>(y_q32));
  const u128 v = prod >> (62 - ip);
  if (v > cap) return cap;
  return static_cast<uint64_t>(v);
}

Rng::Rng(uint64_t seed, uint64_t stream) {
  uint64_t st = Mix64(seed) ^ Mix64(stream * 0xD1342543DE82EF95ull + 0x632BE59BD9B4E019ull);
  for (auto& w : s_) {
    st += 0x9E3779B97F4A7C15ull;
    w = Mix64(st);
  }
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // all-zero is a fixed point
}

void Rng::Fill(uint8_t* p, size_t n) {
  while (n >= 8) {
    const uint64_t v = Next();
    for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    const uint64_t v = Next();
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

uint64_t Rng::NegLog2Q32() {
  const uint64_t x = (Next() >> 11) + 1;  // [1, 2^53]
  return (uint64_t{53} << 32) - Log2Q32(x);
}

uint64_t Rng::Exponential(uint64_t mean) {
  const uint64_t ln_q32 = static_cast<uint64_t>((static_cast<u128>(NegLog2Q32()) * kLn2Q64) >> 64);
  return static_cast<uint64_t>((static_cast<u128>(ln_q32) * mean) >> 32);
}

uint64_t Rng::Pareto(uint64_t xm, uint64_t alpha_q32, uint64_t cap) {
  if (alpha_q32 == 0) return cap;
  const u128 y = (static_cast<u128>(NegLog2Q32()) << 32) / alpha_q32;
  if (y >> 64) return cap;
  const uint64_t v = MulPow2Q32(xm, static_cast<uint64_t>(y), cap);
  return v < xm ? xm : v;
}

uint64_t Rng::LogUniform(uint64_t lo, uint64_t hi) {
  if (hi <= lo || lo == 0) return lo;
  const uint64_t span = Log2Q32(hi) - Log2Q32(lo);
  const uint64_t y = static_cast<uint64_t>((static_cast<u128>(Next() >> 32) * span) >> 32);
  const uint64_t v = MulPow2Q32(lo, y, hi);
  return v < lo ? lo : v;
}

uint64_t Rng::ZipfCount(uint64_t beta_q32, uint64_t cap) {
  // K = floor(u^(-1/beta)) = floor(2^(-log2(u) / beta)).
  const u128 y = (static_cast<u128>(NegLog2Q32()) << 32) / (beta_q32 ? beta_q32 : 1);
  if (y >> 64) return cap;
  const uint64_t k = MulPow2Q32(1, static_cast<uint64_t>(y), cap);
  return k < 1 ? 1 : k;
}

uint64_t ProbabilityQ53(double p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return uint64_t{1} << 53;
  return static_cast<uint64_t>(std::ldexp(p, 53));
}

uint64_t ToQ32(double v) {
  if (!(v > 0)) return 0;
  if (v >= 4294967295.0) return ~uint64_t{0};
  return static_cast<uint64_t>(std::llround(std::ldexp(v, 32)));
}

}  // namespace trove::synth
