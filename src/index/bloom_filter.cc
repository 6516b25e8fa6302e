#include "index/bloom_filter.h"

#include <algorithm>

namespace trove {
namespace {

uint64_t Hash64(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

}  // namespace

BloomFilter::BloomFilter(size_t expected_keys, uint32_t bits_per_key) {
  size_t bits = std::max<size_t>(64, expected_keys * bits_per_key);
  bits_.assign((bits + 7) / 8, 0);
}

void BloomFilter::Add(std::string_view key) {
  if (bits_.empty()) bits_.assign(8, 0);
  const uint64_t h = Hash64(key);
  const uint64_t delta = (h >> 33) | (h << 31) | 1;
  const uint64_t m = bits_.size() * 8;
  uint64_t x = h;
  for (uint8_t i = 0; i < k_; ++i, x += delta)
    bits_[(x % m) / 8] |= static_cast<uint8_t>(1u << ((x % m) % 8));
}

bool BloomFilter::MayContain(std::string_view key) const {
  if (bits_.empty()) return false;
  const uint64_t h = Hash64(key);
  const uint64_t delta = (h >> 33) | (h << 31) | 1;
  const uint64_t m = bits_.size() * 8;
  uint64_t x = h;
  for (uint8_t i = 0; i < k_; ++i, x += delta)
    if (!(bits_[(x % m) / 8] & (1u << ((x % m) % 8)))) return false;
  return true;
}

std::string BloomFilter::Encode() const {
  std::string s;
  s.push_back(static_cast<char>(k_));
  const uint32_t n = static_cast<uint32_t>(bits_.size() * 8);
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(n >> (8 * i)));
  s.append(reinterpret_cast<const char*>(bits_.data()), bits_.size());
  return s;
}

Result<BloomFilter> BloomFilter::Decode(std::string_view d) {
  if (d.size() < 5) return Status::Corruption("bloom filter: truncated header");
  BloomFilter f;
  f.k_ = static_cast<uint8_t>(d[0]);
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i)
    n |= static_cast<uint32_t>(static_cast<uint8_t>(d[1 + static_cast<size_t>(i)])) << (8 * i);
  if (f.k_ == 0 || f.k_ > 32) return Status::Corruption("bloom filter: bad probe count");
  if (n % 8 != 0 || n / 8 != d.size() - 5)
    return Status::Corruption("bloom filter: bit count " + std::to_string(n) + " does not match " +
                              std::to_string(d.size() - 5) + " bytes");
  f.bits_.assign(d.begin() + 5, d.end());
  return f;
}

}  // namespace trove
