#pragma once
// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// Sums are kept in 64-bit accumulators of 16-bit big-endian words (they
// cannot overflow for any packet) and folded with end-around carry only at
// the end. A byte range is summed as if it starts on a word boundary of the
// checksummed message; for a range that starts at an odd offset use
// SumOdd (RFC 1071 byte-order independence: it is the byte-swapped sum).
// All functions are pure and never read outside the range given.

#include <cstddef>
#include <cstdint>

namespace trove::anon {

// Adds [p, p + n) to `sum` as big-endian 16-bit words; an odd last byte is
// the high byte of a word padded with zero. Returns the unfolded sum.
uint64_t ChecksumAdd(const uint8_t* p, size_t n, uint64_t sum = 0);

// Folds an accumulator into 16 bits with end-around carry: the
// one's-complement sum (0x0000 only if everything summed was zero).
uint16_t ChecksumFold(uint64_t sum);

// The checksum field value for a message whose words sum to `sum`.
inline uint16_t ChecksumFinish(uint64_t sum) { return static_cast<uint16_t>(~ChecksumFold(sum)); }

// Checksum of a whole buffer. Over a buffer that contains a correct
// checksum field the result is 0.
uint16_t InternetChecksum(const uint8_t* p, size_t n);

// Folded sum of [p, p + n) when p sits at an odd offset of the checksummed
// message (its first byte is the low byte of a word).
uint16_t SumOdd(const uint8_t* p, size_t n);

// RFC 1624 eqn. 3: the new checksum field after covered data whose folded
// sum was `old_sum` now sums to `new_sum`:  HC' = ~(~HC + ~m + m').
// Correct iff `old_csum` was correct for the old data; a wrong checksum
// stays wrong by the same amount. Eqn. 3 yields 0x0000 exactly when the new
// data sums to one's-complement zero; then 0xFFFF is returned instead: it
// verifies whether that zero is -0 (where 0x0000 would verify too) or +0
// (all-zero data, where only 0xFFFF verifies). So the result is never 0,
// which also suits UDP (0 = no checksum).
uint16_t ChecksumUpdate(uint16_t old_csum, uint16_t old_sum, uint16_t new_sum);

// The update for a word-aligned byte range changing from old_bytes to
// new_bytes (same length n, starting at an even offset of the message).
uint16_t ChecksumUpdateBytes(uint16_t old_csum, const uint8_t* old_bytes, const uint8_t* new_bytes,
                             size_t n);

}  // namespace trove::anon
