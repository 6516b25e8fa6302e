#pragma once
// BloomFilter: a fixed-size Bloom filter over byte strings, with k probes
// derived from one 64-bit hash (Kirsch–Mitzenmacher double hashing). The
// hash is fixed (FNV-1a 64 + splitmix finaliser), so a filter encoded on one
// machine answers the same on every other. No false negatives; the false
// positive rate for n keys in m bits is about (1 - e^(-kn/m))^k (≈1% at
// 10 bits per key, k = 7). Plain value; not thread-safe for writes.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace trove {

class BloomFilter {
 public:
  BloomFilter() = default;
  // Sized for `expected_keys` at `bits_per_key` (at least 64 bits).
  BloomFilter(size_t expected_keys, uint32_t bits_per_key = 10);

  void Add(std::string_view key);
  bool MayContain(std::string_view key) const;
  size_t bit_count() const { return bits_.size() * 8; }

  // Encoding: u8 k, u32 LE bit count, bit bytes.
  std::string Encode() const;
  static Result<BloomFilter> Decode(std::string_view data);

 private:
  uint8_t k_ = 7;
  std::vector<uint8_t> bits_;
};

}  // namespace trove
