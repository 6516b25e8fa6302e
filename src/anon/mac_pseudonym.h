#pragma once
// MacPseudonym: keyed, deterministic, one-to-one pseudonyms for 48-bit MAC
// addresses.
//
// The two flag bits of the first octet are kept: I/G (bit 0, group =
// broadcast/multicast) and U/L (bit 1, locally administered). The other 46
// bits go through a keyed permutation: a balanced Feistel network of 10
// rounds on two 23-bit halves, whose round function is AES-256 under the
// 32-byte key applied to the block
//   "trove-mac" | 0x01 (version) | flag bits | round | 0x00 | half (3 bytes)
// truncated to 23 bits. A Feistel network is a permutation whatever its
// round function, so distinct MACs never collide (with the flags kept, the
// whole map is a permutation of the 2^48 MACs) and nothing like a constant
// XOR relates a MAC to its pseudonym. Ten rounds rather than four: with
// halves this small, four rounds are only secure up to ~2^11.5 queries
// (Luby-Rackoff); more rounds push that toward 2^23 (Patarin). NIST FF1
// uses ten as well.
// ff:ff:ff:ff:ff:ff maps to itself: the permutation is composed with the
// transposition that gives the MAC whose image would be ff:ff:ff:ff:ff:ff
// the image ff:ff:ff:ff:ff:ff would have had, so the map stays one-to-one.
//
// Recent results are kept in a direct-mapped cache (4096 entries); a miss
// costs ten AES blocks.
// Thread safety: an object is NOT thread-safe (the cache and the cipher
// context change on every call); one per thread, Clone() for more. A cipher
// failure in the hot path (never observed) aborts rather than leak a MAC.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "util/status.h"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX

namespace trove {

class MacPseudonym {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr uint64_t kBroadcast = 0xFFFFFFFFFFFFull;

  // InvalidArgument if the key is not 32 bytes; Internal if OpenSSL cannot
  // set up AES-256-ECB.
  static Result<MacPseudonym> Create(std::span<const uint8_t> key);

  MacPseudonym(MacPseudonym&&) noexcept;
  MacPseudonym& operator=(MacPseudonym&&) noexcept;
  ~MacPseudonym();

  Result<MacPseudonym> Clone() const;

  // The MAC in the low 48 bits, first octet in bits 47..40
  // (00:11:22:33:44:55 == 0x001122334455); higher bits are ignored.
  uint64_t Pseudonymize(uint64_t mac) {
    mac &= kBroadcast;
    const Entry& e = cache_[Index(mac)];
    if (e.mac == mac) return e.pseudonym;
    return Miss(mac);
  }
  // 6 bytes in wire order; `in` and `out` may alias.
  void Pseudonymize(const uint8_t* in, uint8_t* out);
  std::array<uint8_t, 6> Pseudonymize(const std::array<uint8_t, 6>& in) {
    std::array<uint8_t, 6> out;
    Pseudonymize(in.data(), out.data());
    return out;
  }

  // The inverse: the MAC whose pseudonym this is (uncached). Whoever holds
  // the key can compute pseudonyms anyway; this serves re-identification
  // by the key holder and proves the map one-to-one in tests.
  uint64_t Reverse(uint64_t pseudonym);

 private:
  static constexpr int kCacheBits = 12;
  struct Entry {
    uint64_t mac, pseudonym;
  };
  struct CtxDeleter {
    void operator()(evp_cipher_ctx_st* c) const;
  };

  MacPseudonym() = default;
  static Result<MacPseudonym> Setup(std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx);
  uint32_t Round(unsigned flags, unsigned round, uint32_t half);
  uint64_t Permute(unsigned flags, uint64_t free46);
  uint64_t Unpermute(unsigned flags, uint64_t free46);
  uint64_t Compute(uint64_t mac);
  uint64_t Miss(uint64_t mac);
  static size_t Index(uint64_t mac) {
    return static_cast<size_t>((mac * 0x9E3779B97F4A7C15ull) >> (64 - kCacheBits));
  }

  std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx_;
  uint64_t broadcast_image_ = 0;  // Permute(3, all ones): for the transposition
  std::unique_ptr<Entry[]> cache_;

  friend struct MacPseudonymTestPeer;
};

}  // namespace trove
