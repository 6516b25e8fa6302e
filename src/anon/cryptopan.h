#pragma once
// CryptoPAn: prefix-preserving IP address anonymization, bit-exact with the
// reference Crypto-PAn 1.0 (Xu, Fan, Ammar, Moon) and with libtrace's
// traceanon for IPv4.
//
// Algorithm. The 32-byte key splits into K = key[0..15], an AES-128 key,
// and pad = AES_K(key[16..31]). An address is aligned to the top of a
// 128-bit block: an IPv4 address is block bytes 0..3 (bytes 4..15 always
// come from the pad), an IPv6 address is the whole block. For bit i
// (0 = most significant) the PRF input is the first i bits of the address
// followed by the remaining bits of the pad,
//   in_i = (addr & top_i) | (pad & ~top_i)      (top_i = the i high bits)
// and output bit i = addr bit i XOR msb(AES_K(in_i)). Sharing a k-bit
// prefix in the input means sharing exactly a k-bit prefix in the output,
// and the map is a bijection on each address family.
// IPv6 is the same construction over 128 bits: the extension used by
// yacryptopan and Go's cryptopan (libtrace 3's traceanon anonymizes IPv4
// only). Since IPv4 sits at the top of the block, Anonymize4(a) equals the
// top 32 bits of Anonymize6(a followed by 96 zero bits).
//
// Speed; the output never depends on it:
//  * the anonymized top 16 bits of every 16-bit prefix are tabled (128 KiB,
//    built at construction from the 65,535 nodes of the prefix tree and
//    shared by IPv4, IPv6 and Clone()s);
//  * the PRF inputs of one address are all known up front, so the
//    remaining ones are encrypted in one AES-128-ECB call (16 blocks for
//    IPv4, 48 + 64 for IPv6), which AES-NI pipelines;
//  * direct-mapped caches of recent addresses (IPv4, IPv6) and of recent
//    IPv6 /64 prefixes (so a new host in a known /64 costs 64 blocks).
//
// Compatibility with traceanon (libtrace 3.0.22, checked by the tests):
// `-c KEY` uses the bytes of the string, zero-padded or cut to 32; `-f FILE`
// the first 32 bytes of the file, cut at the first zero byte and
// zero-padded. traceanon returns 0.0.0.0 unchanged while its two-entry
// recent-address cache still holds its zero initial entries (the first two
// distinct addresses of a run); every other address matches bit for bit.
//
// Cost with AES-NI (bench/cryptopan_bench.cc): Create() ~0.25 ms (the
// table); an IPv4 miss ~50 ns, a hit ~4 ns; an IPv6 miss ~200 ns (known
// /64) to ~320 ns.
//
// Thread safety: an object is NOT thread-safe (the caches and the cipher
// context change on every call); use one per thread. Clone() makes another
// object for the same key cheaply (the prefix table is shared, immutable);
// concurrent Clone()s of one object are fine, a Clone() concurrent with
// Anonymize*() on the same object is not.
// A failure of the cipher in the hot path (never observed: it would be an
// OpenSSL or trove bug) aborts the process rather than emit an address
// that is not anonymized. Secrets are wiped when the object is destroyed.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "util/status.h"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX

namespace trove {

using Ipv6Bytes = std::array<uint8_t, 16>;  // network byte order

struct CryptoPAnOptions {
  // log2 of the entries of each direct-mapped cache (IPv4 addresses, IPv6
  // addresses, IPv6 /64 prefixes); 4..20. 12 = 4096 entries, ~220 KiB.
  int cache_bits = 12;
};

class CryptoPAn {
 public:
  static constexpr size_t kKeySize = 32;

  // InvalidArgument if the key is not 32 bytes or the options are out of
  // range; Internal if OpenSSL cannot set up AES-128-ECB.
  static Result<CryptoPAn> Create(std::span<const uint8_t> key, CryptoPAnOptions opts = {});

  CryptoPAn(CryptoPAn&&) noexcept;
  CryptoPAn& operator=(CryptoPAn&&) noexcept;
  ~CryptoPAn();

  // Same key and options, own caches and cipher context, shared table.
  Result<CryptoPAn> Clone() const;

  // `addr` in host byte order (10.0.0.1 == 0x0a000001).
  uint32_t Anonymize4(uint32_t addr) {
    const Entry4& e = cache4_[Index4(addr)];
    if (e.addr == addr) return e.anon;
    return Miss4(addr);
  }

  // 16 bytes in network byte order; `in` and `out` may alias.
  void Anonymize6(const uint8_t* in, uint8_t* out);
  Ipv6Bytes Anonymize6(const Ipv6Bytes& in) {
    Ipv6Bytes out;
    Anonymize6(in.data(), out.data());
    return out;
  }

 private:
  struct Entry4 {
    uint32_t addr;
    uint32_t anon;
  };
  struct Entry6 {
    uint64_t hi, lo, anon_hi, anon_lo;
  };
  struct Entry64 {
    uint64_t prefix, anon;
  };
  struct Buffers;  // PRF input/output blocks
  struct CtxDeleter {
    void operator()(evp_cipher_ctx_st* c) const;
  };

  CryptoPAn() = default;
  // Takes a keyed cipher context; builds the table unless one is given.
  static Result<CryptoPAn> Setup(std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx,
                                 const uint8_t* pad, std::shared_ptr<const uint16_t[]> table,
                                 int cache_bits);
  void Wipe();
  void Encrypt(const uint8_t* in, uint8_t* out, size_t nblocks);
  void BuildTable(uint16_t* table);
  uint32_t Compute4(uint32_t addr);
  uint32_t Miss4(uint32_t addr);
  // Anonymized high 64 bits of an IPv6 address (uncached), and both halves
  // (through the /64 cache).
  uint64_t Compute64(uint64_t hi);
  void Compute6(uint64_t hi, uint64_t lo, uint64_t* anon_hi, uint64_t* anon_lo);

  size_t Index4(uint32_t a) const {
    return static_cast<size_t>((a * 0x9E3779B1u) >> (32 - cache_bits_));
  }
  size_t Index6(uint64_t hi, uint64_t lo) const {
    return Index64(hi ^ ((lo * 0xFF51AFD7ED558CCDull) >> 7) ^ (lo << 29));
  }
  size_t Index64(uint64_t x) const {
    return static_cast<size_t>((x * 0x9E3779B97F4A7C15ull) >> (64 - cache_bits_));
  }

  int cache_bits_ = 12;
  std::array<uint8_t, 16> pad_{};
  uint64_t pad_hi_ = 0, pad_lo_ = 0;  // pad as two big-endian words
  std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx_;
  std::shared_ptr<const uint16_t[]> table_;  // 2^16 anonymized 16-bit prefixes
  std::unique_ptr<Entry4[]> cache4_;
  std::unique_ptr<Entry6[]> cache6_;
  std::unique_ptr<Entry64[]> cache64_;
  std::unique_ptr<Buffers> buf_;
};

}  // namespace trove
