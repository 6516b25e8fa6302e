#include "anon/mac_pseudonym.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace trove {

namespace {

constexpr int kRounds = 10;
constexpr int kHalfBits = 23;
constexpr uint32_t kHalfMask = (1u << kHalfBits) - 1;
constexpr uint64_t kFreeMask = (uint64_t{1} << 46) - 1;
constexpr uint64_t kLow40 = (uint64_t{1} << 40) - 1;
constexpr char kDomain[9] = {'t', 'r', 'o', 'v', 'e', '-', 'm', 'a', 'c'};

[[noreturn]] void CipherFailure() {
  std::fputs("trove: FATAL: AES-256-ECB encryption failed in MacPseudonym\n", stderr);
  std::abort();
}

}  // namespace

void MacPseudonym::CtxDeleter::operator()(evp_cipher_ctx_st* c) const { EVP_CIPHER_CTX_free(c); }

Result<MacPseudonym> MacPseudonym::Create(std::span<const uint8_t> key) {
  if (key.size() != kKeySize) {
    return Status::InvalidArgument("MAC pseudonym key must be 32 bytes, got " +
                                   std::to_string(key.size()));
  }
  std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_ecb(), key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return Status::Internal("MAC pseudonyms: cannot set up AES-256-ECB in OpenSSL");
  }
  return Setup(std::move(ctx));
}

Result<MacPseudonym> MacPseudonym::Clone() const {
  std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CIPHER_CTX_copy(ctx.get(), ctx_.get()) != 1) {
    return Status::Internal("MAC pseudonyms: cannot copy the AES-256-ECB context");
  }
  return Setup(std::move(ctx));
}

Result<MacPseudonym> MacPseudonym::Setup(std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx) {
  MacPseudonym m;
  m.ctx_ = std::move(ctx);
  m.broadcast_image_ = m.Permute(3, kFreeMask);
  const size_t n = size_t{1} << kCacheBits;
  m.cache_ = std::make_unique<Entry[]>(n);
  // A true entry in every slot: no valid bit needed.
  for (size_t i = 0; i < n; ++i) m.cache_[i] = Entry{kBroadcast, kBroadcast};
  return m;
}

MacPseudonym::MacPseudonym(MacPseudonym&& o) noexcept { *this = std::move(o); }

MacPseudonym& MacPseudonym::operator=(MacPseudonym&& o) noexcept {
  if (this != &o) {
    if (cache_) OPENSSL_cleanse(cache_.get(), sizeof(Entry) << kCacheBits);
    ctx_ = std::move(o.ctx_);
    cache_ = std::move(o.cache_);
    broadcast_image_ = o.broadcast_image_;
    OPENSSL_cleanse(&o.broadcast_image_, sizeof(o.broadcast_image_));
  }
  return *this;
}

MacPseudonym::~MacPseudonym() {
  if (cache_) OPENSSL_cleanse(cache_.get(), sizeof(Entry) << kCacheBits);
  OPENSSL_cleanse(&broadcast_image_, sizeof(broadcast_image_));
}

uint32_t MacPseudonym::Round(unsigned flags, unsigned round, uint32_t half) {
  uint8_t in[16], out[16];
  std::memcpy(in, kDomain, sizeof(kDomain));
  in[9] = 0x01;
  in[10] = static_cast<uint8_t>(flags);
  in[11] = static_cast<uint8_t>(round);
  in[12] = 0;
  in[13] = static_cast<uint8_t>(half >> 16);
  in[14] = static_cast<uint8_t>(half >> 8);
  in[15] = static_cast<uint8_t>(half);
  int outl = 0;
  if (EVP_EncryptUpdate(ctx_.get(), out, &outl, in, 16) != 1 || outl != 16) CipherFailure();
  const uint32_t v = (static_cast<uint32_t>(out[0]) << 16 | out[1] << 8 | out[2]) & kHalfMask;
  OPENSSL_cleanse(out, sizeof(out));
  return v;
}

uint64_t MacPseudonym::Permute(unsigned flags, uint64_t free46) {
  uint32_t l = static_cast<uint32_t>(free46 >> kHalfBits) & kHalfMask;
  uint32_t r = static_cast<uint32_t>(free46) & kHalfMask;
  for (int i = 0; i < kRounds; ++i) {
    const uint32_t t = l ^ Round(flags, static_cast<unsigned>(i), r);
    l = r;
    r = t;
  }
  return static_cast<uint64_t>(l) << kHalfBits | r;
}

uint64_t MacPseudonym::Unpermute(unsigned flags, uint64_t free46) {
  uint32_t l = static_cast<uint32_t>(free46 >> kHalfBits) & kHalfMask;
  uint32_t r = static_cast<uint32_t>(free46) & kHalfMask;
  for (int i = kRounds - 1; i >= 0; --i) {
    const uint32_t t = r ^ Round(flags, static_cast<unsigned>(i), l);
    r = l;
    l = t;
  }
  return static_cast<uint64_t>(l) << kHalfBits | r;
}

uint64_t MacPseudonym::Compute(uint64_t mac) {
  if (mac == kBroadcast) return kBroadcast;
  const unsigned flags = static_cast<unsigned>(mac >> 40) & 3;
  const uint64_t free46 = (mac >> 42) << 40 | (mac & kLow40);
  uint64_t y = Permute(flags, free46);
  if (flags == 3 && y == kFreeMask) y = broadcast_image_;  // the transposition
  return (y >> 40) << 42 | static_cast<uint64_t>(flags) << 40 | (y & kLow40);
}

uint64_t MacPseudonym::Reverse(uint64_t p) {
  p &= kBroadcast;
  if (p == kBroadcast) return kBroadcast;
  const unsigned flags = static_cast<unsigned>(p >> 40) & 3;
  uint64_t y = (p >> 42) << 40 | (p & kLow40);
  if (flags == 3 && y == broadcast_image_) y = kFreeMask;  // undo the transposition
  const uint64_t x = Unpermute(flags, y);
  return (x >> 40) << 42 | static_cast<uint64_t>(flags) << 40 | (x & kLow40);
}

uint64_t MacPseudonym::Miss(uint64_t mac) {
  const uint64_t p = Compute(mac);
  cache_[Index(mac)] = Entry{mac, p};
  return p;
}

void MacPseudonym::Pseudonymize(const uint8_t* in, uint8_t* out) {
  uint64_t mac = 0;
  for (int i = 0; i < 6; ++i) mac = mac << 8 | in[i];
  uint64_t p = Pseudonymize(mac);
  for (int i = 5; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(p);
    p >>= 8;
  }
}

}  // namespace trove
