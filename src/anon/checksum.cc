#include "anon/checksum.h"

namespace trove::anon {

uint64_t ChecksumAdd(const uint8_t* p, size_t n, uint64_t sum) {
  // Four words per step keeps the loop short; the order of additions does
  // not matter for a one's-complement sum.
  while (n >= 8) {
    sum += static_cast<uint32_t>(p[0] << 8 | p[1]) + static_cast<uint32_t>(p[2] << 8 | p[3]) +
           static_cast<uint32_t>(p[4] << 8 | p[5]) + static_cast<uint32_t>(p[6] << 8 | p[7]);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    sum += static_cast<uint32_t>(p[0] << 8 | p[1]);
    p += 2;
    n -= 2;
  }
  if (n) sum += static_cast<uint32_t>(p[0]) << 8;
  return sum;
}

uint16_t ChecksumFold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

uint16_t InternetChecksum(const uint8_t* p, size_t n) { return ChecksumFinish(ChecksumAdd(p, n)); }

uint16_t SumOdd(const uint8_t* p, size_t n) {
  const uint16_t s = ChecksumFold(ChecksumAdd(p, n));
  return static_cast<uint16_t>(s << 8 | s >> 8);
}

uint16_t ChecksumUpdate(uint16_t old_csum, uint16_t old_sum, uint16_t new_sum) {
  const uint64_t s = static_cast<uint16_t>(~old_csum) +
                     static_cast<uint64_t>(static_cast<uint16_t>(~old_sum)) + new_sum;
  const uint16_t c = static_cast<uint16_t>(~ChecksumFold(s));
  return c == 0 ? 0xFFFF : c;
}

uint16_t ChecksumUpdateBytes(uint16_t old_csum, const uint8_t* old_bytes, const uint8_t* new_bytes,
                             size_t n) {
  return ChecksumUpdate(old_csum, ChecksumFold(ChecksumAdd(old_bytes, n)),
                        ChecksumFold(ChecksumAdd(new_bytes, n)));
}

}  // namespace trove::anon
