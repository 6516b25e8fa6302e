#include "anon/cryptopan.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace trove {

namespace {

constexpr size_t kBlock = 16;
constexpr size_t kLow4 = 16;          // IPv4 bits computed per miss (16..31)
constexpr size_t kMid6 = 48;          // IPv6 bits 16..63
constexpr size_t kLow6 = 64;          // IPv6 bits 64..127
constexpr size_t kTableChunk = 1024;  // blocks per call while building the table

// Big-endian loads and stores that compile to one mov + bswap.
uint64_t LoadBe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return std::endian::native == std::endian::little ? __builtin_bswap64(v) : v;
}

void StoreBe64(uint64_t v, uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

void StoreBe32(uint32_t v, uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}

// The i high bits of a word set (i < width).
uint32_t Top32(int i) { return i == 0 ? 0 : ~0u << (32 - i); }
uint64_t Top64(int i) { return i == 0 ? 0 : ~0ull << (64 - i); }

[[noreturn]] void CipherFailure() {
  // Fail closed: never hand back an address that was not anonymized.
  std::fputs("trove: FATAL: AES-128-ECB encryption failed in Crypto-PAn\n", stderr);
  std::abort();
}

}  // namespace

struct CryptoPAn::Buffers {
  // IPv4: blocks for bits 16..31; bytes 4..15 of each block are pad[4..15]
  // once and for all, only bytes 0..3 change.
  alignas(64) uint8_t in4[kLow4 * kBlock];
  // IPv6: blocks for bits 16..63 then 64..127.
  alignas(64) uint8_t in6[(kMid6 + kLow6) * kBlock];
  alignas(64) uint8_t out[(kMid6 + kLow6) * kBlock];
};

void CryptoPAn::CtxDeleter::operator()(evp_cipher_ctx_st* c) const { EVP_CIPHER_CTX_free(c); }

Result<CryptoPAn> CryptoPAn::Create(std::span<const uint8_t> key, CryptoPAnOptions opts) {
  if (key.size() != kKeySize) {
    return Status::InvalidArgument("Crypto-PAn key must be 32 bytes, got " +
                                   std::to_string(key.size()));
  }
  if (opts.cache_bits < 4 || opts.cache_bits > 20) {
    return Status::InvalidArgument("Crypto-PAn cache_bits must be in 4..20, got " +
                                   std::to_string(opts.cache_bits));
  }
  std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), EVP_aes_128_ecb(), key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return Status::Internal("Crypto-PAn: cannot set up AES-128-ECB in OpenSSL");
  }
  uint8_t pad[kBlock];
  int outl = 0;
  if (EVP_EncryptUpdate(ctx.get(), pad, &outl, key.data() + 16, kBlock) != 1 || outl != kBlock) {
    return Status::Internal("Crypto-PAn: AES-128-ECB failed computing the pad");
  }
  Result<CryptoPAn> r = Setup(std::move(ctx), pad, nullptr, opts.cache_bits);
  OPENSSL_cleanse(pad, sizeof(pad));
  return r;
}

Result<CryptoPAn> CryptoPAn::Clone() const {
  std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CIPHER_CTX_copy(ctx.get(), ctx_.get()) != 1) {
    return Status::Internal("Crypto-PAn: cannot copy the AES-128-ECB context");
  }
  return Setup(std::move(ctx), pad_.data(), table_, cache_bits_);
}

Result<CryptoPAn> CryptoPAn::Setup(std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx,
                                   const uint8_t* pad, std::shared_ptr<const uint16_t[]> table,
                                   int cache_bits) {
  CryptoPAn c;
  c.cache_bits_ = cache_bits;
  c.ctx_ = std::move(ctx);
  std::memcpy(c.pad_.data(), pad, kBlock);
  c.pad_hi_ = LoadBe64(pad);
  c.pad_lo_ = LoadBe64(pad + 8);
  c.buf_ = std::make_unique<Buffers>();
  for (size_t j = 0; j < kLow4; ++j) std::memcpy(c.buf_->in4 + j * kBlock, pad, kBlock);

  if (table) {
    c.table_ = std::move(table);
  } else {
    std::shared_ptr<uint16_t[]> t(new uint16_t[1 << 16], [](uint16_t* p) {
      OPENSSL_cleanse(p, sizeof(uint16_t) << 16);
      delete[] p;
    });
    c.BuildTable(t.get());
    c.table_ = std::move(t);
  }

  // Every cache slot starts as a true entry (address 0 and its image), so
  // a lookup needs no valid bit and 0.0.0.0 is never mistaken.
  const size_t n = size_t{1} << cache_bits;
  c.cache4_ = std::make_unique<Entry4[]>(n);
  c.cache6_ = std::make_unique<Entry6[]>(n);
  c.cache64_ = std::make_unique<Entry64[]>(n);
  const Entry4 e4{0, c.Compute4(0)};
  const Entry64 e64{0, c.Compute64(0)};
  for (size_t i = 0; i < n; ++i) {
    c.cache4_[i] = e4;
    c.cache64_[i] = e64;
  }
  Entry6 e6{0, 0, 0, 0};
  c.Compute6(0, 0, &e6.anon_hi, &e6.anon_lo);  // after cache64_ is valid
  for (size_t i = 0; i < n; ++i) c.cache6_[i] = e6;
  return c;
}

CryptoPAn::CryptoPAn(CryptoPAn&& o) noexcept { *this = std::move(o); }

CryptoPAn& CryptoPAn::operator=(CryptoPAn&& o) noexcept {
  if (this != &o) {
    Wipe();
    cache_bits_ = o.cache_bits_;
    pad_ = o.pad_;
    pad_hi_ = o.pad_hi_;
    pad_lo_ = o.pad_lo_;
    ctx_ = std::move(o.ctx_);
    table_ = std::move(o.table_);
    cache4_ = std::move(o.cache4_);
    cache6_ = std::move(o.cache6_);
    cache64_ = std::move(o.cache64_);
    buf_ = std::move(o.buf_);
    o.Wipe();
  }
  return *this;
}

CryptoPAn::~CryptoPAn() { Wipe(); }

void CryptoPAn::Wipe() {
  const size_t n = size_t{1} << cache_bits_;
  OPENSSL_cleanse(pad_.data(), pad_.size());
  OPENSSL_cleanse(&pad_hi_, sizeof(pad_hi_));
  OPENSSL_cleanse(&pad_lo_, sizeof(pad_lo_));
  if (buf_) OPENSSL_cleanse(buf_.get(), sizeof(Buffers));
  if (cache4_) OPENSSL_cleanse(cache4_.get(), n * sizeof(Entry4));
  if (cache6_) OPENSSL_cleanse(cache6_.get(), n * sizeof(Entry6));
  if (cache64_) OPENSSL_cleanse(cache64_.get(), n * sizeof(Entry64));
  buf_.reset();
  cache4_.reset();
  cache6_.reset();
  cache64_.reset();
  table_.reset();
  ctx_.reset();  // EVP_CIPHER_CTX_free wipes the key schedule
}

void CryptoPAn::Encrypt(const uint8_t* in, uint8_t* out, size_t nblocks) {
  const int len = static_cast<int>(nblocks * kBlock);
  int outl = 0;
  if (EVP_EncryptUpdate(ctx_.get(), out, &outl, in, len) != 1 || outl != len) CipherFailure();
}

// The prefix tree, level by level: a node is a prefix p of d bits, its PRF
// input is p followed by the pad, and the one-time-pad bits of a 16-bit
// prefix are the msb's of its 16 ancestors (depths 0..15). 65,535 blocks.
void CryptoPAn::BuildTable(uint16_t* table) {
  const uint32_t pad32 = static_cast<uint32_t>(pad_hi_ >> 32);
  std::vector<uint16_t> cur(1, 0), next;  // one-time-pad bits of each node
  std::vector<uint8_t> in(kTableChunk * kBlock), out(kTableChunk * kBlock);
  for (size_t j = 0; j < kTableChunk; ++j) std::memcpy(&in[j * kBlock], pad_.data(), kBlock);
  for (int d = 0; d < 16; ++d) {
    const uint32_t n = 1u << d;
    next.assign(size_t{n} * 2, 0);
    for (uint32_t base = 0; base < n; base += kTableChunk) {
      const uint32_t cnt = std::min<uint32_t>(n - base, kTableChunk);
      for (uint32_t k = 0; k < cnt; ++k) {
        const uint32_t p = base + k;
        const uint32_t w = d == 0 ? pad32 : (p << (32 - d)) | (pad32 & ~Top32(d));
        StoreBe32(w, &in[k * kBlock]);
      }
      Encrypt(in.data(), out.data(), cnt);
      for (uint32_t k = 0; k < cnt; ++k) {
        const uint32_t p = base + k;
        const uint16_t bits = static_cast<uint16_t>(cur[p] << 1 | out[k * kBlock] >> 7);
        next[2 * p] = bits;
        next[2 * p + 1] = bits;
      }
    }
    cur.swap(next);
  }
  for (uint32_t x = 0; x < (1u << 16); ++x) table[x] = static_cast<uint16_t>(x ^ cur[x]);
  OPENSSL_cleanse(in.data(), in.size());
  OPENSSL_cleanse(out.data(), out.size());
}

uint32_t CryptoPAn::Compute4(uint32_t a) {
  const uint32_t pad32 = static_cast<uint32_t>(pad_hi_ >> 32);
  uint8_t* in = buf_->in4;
  for (size_t j = 0; j < kLow4; ++j) {
    const uint32_t m = Top32(static_cast<int>(16 + j));
    StoreBe32((a & m) | (pad32 & ~m), in + j * kBlock);
  }
  uint8_t* out = buf_->out;
  Encrypt(in, out, kLow4);
  uint32_t otp = 0;
  for (size_t j = 0; j < kLow4; ++j) otp |= static_cast<uint32_t>(out[j * kBlock] >> 7) << (15 - j);
  return static_cast<uint32_t>(table_[a >> 16]) << 16 | ((a ^ otp) & 0xFFFF);
}

uint32_t CryptoPAn::Miss4(uint32_t a) {
  const uint32_t v = Compute4(a);
  cache4_[Index4(a)] = Entry4{a, v};
  return v;
}

// Fills the PRF inputs for IPv6 bits 16..63 (48 blocks) at `in`.
static void FillMid6(uint64_t hi, uint64_t pad_hi, uint64_t pad_lo, uint8_t* in) {
  for (size_t j = 0; j < kMid6; ++j) {
    const uint64_t m = Top64(static_cast<int>(16 + j));
    StoreBe64((hi & m) | (pad_hi & ~m), in + j * kBlock);
    StoreBe64(pad_lo, in + j * kBlock + 8);
  }
}

static uint64_t MidBits(uint64_t hi, uint16_t top16, const uint8_t* out) {
  uint64_t otp = 0;
  for (size_t j = 0; j < kMid6; ++j) otp |= static_cast<uint64_t>(out[j * kBlock] >> 7) << (47 - j);
  return static_cast<uint64_t>(top16) << 48 | ((hi ^ otp) & 0xFFFFFFFFFFFFull);
}

uint64_t CryptoPAn::Compute64(uint64_t hi) {
  FillMid6(hi, pad_hi_, pad_lo_, buf_->in6);
  Encrypt(buf_->in6, buf_->out, kMid6);
  return MidBits(hi, table_[hi >> 48], buf_->out);
}

void CryptoPAn::Compute6(uint64_t hi, uint64_t lo, uint64_t* anon_hi, uint64_t* anon_lo) {
  Entry64& e64 = cache64_[Index64(hi)];
  const bool have_hi = e64.prefix == hi;
  // One call for all the blocks still needed: [bits 16..63] bits 64..127.
  uint8_t* in = buf_->in6;
  uint8_t* low_in = have_hi ? in : in + kMid6 * kBlock;
  if (!have_hi) FillMid6(hi, pad_hi_, pad_lo_, in);
  for (size_t j = 0; j < kLow6; ++j) {
    const uint64_t m = Top64(static_cast<int>(j));
    StoreBe64(hi, low_in + j * kBlock);
    StoreBe64((lo & m) | (pad_lo_ & ~m), low_in + j * kBlock + 8);
  }
  Encrypt(in, buf_->out, have_hi ? kLow6 : kMid6 + kLow6);
  const uint8_t* low_out = buf_->out;
  if (have_hi) {
    *anon_hi = e64.anon;
  } else {
    *anon_hi = MidBits(hi, table_[hi >> 48], buf_->out);
    e64 = Entry64{hi, *anon_hi};
    low_out += kMid6 * kBlock;
  }
  uint64_t otp = 0;
  for (size_t j = 0; j < kLow6; ++j)
    otp |= static_cast<uint64_t>(low_out[j * kBlock] >> 7) << (63 - j);
  *anon_lo = lo ^ otp;
}

void CryptoPAn::Anonymize6(const uint8_t* in, uint8_t* out) {
  const uint64_t hi = LoadBe64(in), lo = LoadBe64(in + 8);
  Entry6& e = cache6_[Index6(hi, lo)];
  if (e.hi != hi || e.lo != lo) {
    uint64_t ah, al;
    Compute6(hi, lo, &ah, &al);
    e = Entry6{hi, lo, ah, al};
  }
  StoreBe64(e.anon_hi, out);
  StoreBe64(e.anon_lo, out + 8);
}

}  // namespace trove
