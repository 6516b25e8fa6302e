#pragma once
// CryptoPAnReference: the textbook Crypto-PAn, one AES call per address
// bit, no tables and no caches: the definition of CryptoPAn written as
// plainly as possible, for tests, the fuzzer and benchmarks only (it is
// ~30x slower). See anon/cryptopan.h for the algorithm.
// Not thread-safe (owns a cipher context); header-only so that it stays
// out of the core library.

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

namespace trove {

class CryptoPAnReference {
 public:
  // `key` must be 32 bytes (the caller checks); aborts if OpenSSL fails.
  explicit CryptoPAnReference(std::span<const uint8_t> key) : ctx_(EVP_CIPHER_CTX_new()) {
    if (key.size() != 32 || !ctx_ ||
        EVP_EncryptInit_ex2(ctx_, EVP_aes_128_ecb(), key.data(), nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx_, 0) != 1) {
      std::abort();
    }
    Aes(key.data() + 16, pad_.data());
  }
  ~CryptoPAnReference() {
    EVP_CIPHER_CTX_free(ctx_);
    OPENSSL_cleanse(pad_.data(), pad_.size());
  }
  CryptoPAnReference(const CryptoPAnReference&) = delete;
  CryptoPAnReference& operator=(const CryptoPAnReference&) = delete;

  uint32_t Anonymize4(uint32_t addr) {
    std::array<uint8_t, 16> a{};
    for (int i = 0; i < 4; ++i) a[i] = static_cast<uint8_t>(addr >> (24 - 8 * i));
    const std::array<uint8_t, 16> r = Anonymize(a, 32);
    return static_cast<uint32_t>(r[0]) << 24 | r[1] << 16 | r[2] << 8 | r[3];
  }

  std::array<uint8_t, 16> Anonymize6(const std::array<uint8_t, 16>& addr) {
    return Anonymize(addr, 128);
  }

 private:
  static int Bit(const std::array<uint8_t, 16>& v, int i) { return v[i / 8] >> (7 - i % 8) & 1; }
  static void SetBit(std::array<uint8_t, 16>& v, int i, int b) {
    const uint8_t m = static_cast<uint8_t>(0x80 >> (i % 8));
    v[i / 8] = static_cast<uint8_t>(b ? v[i / 8] | m : v[i / 8] & ~m);
  }
  void Aes(const uint8_t* in, uint8_t* out) {
    int outl = 0;
    if (EVP_EncryptUpdate(ctx_, out, &outl, in, 16) != 1 || outl != 16) std::abort();
  }

  // `addr` occupies the top `nbits` of the block.
  std::array<uint8_t, 16> Anonymize(const std::array<uint8_t, 16>& addr, int nbits) {
    std::array<uint8_t, 16> result = addr;
    for (int i = 0; i < nbits; ++i) {
      // The first i bits of the address, then the rest of the pad.
      std::array<uint8_t, 16> in = pad_, out{};
      for (int b = 0; b < i; ++b) SetBit(in, b, Bit(addr, b));
      Aes(in.data(), out.data());
      SetBit(result, i, Bit(addr, i) ^ Bit(out, 0));
    }
    return result;
  }

  EVP_CIPHER_CTX* ctx_;
  std::array<uint8_t, 16> pad_{};
};

}  // namespace trove
