// libFuzzer target for the address pseudonymization core (src/anon/).
// Input: 32 key bytes, one byte choosing the cache size (small caches mean
// constant evictions and slot collisions), then records of one tag byte
// and an address: tag % 3 == 0 an IPv4 address (4 bytes), 1 an IPv6
// address (16 bytes), 2 a MAC (6 bytes). For every address:
//   * CryptoPAn's fast paths (prefix table, caches, batched AES) equal the
//     bit-by-bit reference (anon/cryptopan_reference.h), on first sight
//     and again from the cache;
//   * with the previous address of the same family, the common prefix
//     length of the outputs equals that of the inputs;
//   * a MAC pseudonym keeps the I/G and U/L bits, fixes broadcast and is
//     undone by Reverse().
// Any violation aborts.
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DTROVE_FUZZ=ON
//   cmake --build build-fuzz --target cryptopan_fuzz
//   build-fuzz/cryptopan_fuzz -max_total_time=60

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "anon/cryptopan.h"
#include "anon/cryptopan_reference.h"
#include "anon/mac_pseudonym.h"

namespace {

constexpr size_t kMaxAddresses = 48;  // bounds the slow reference's cost

void Check(bool ok) {
  if (!ok) std::abort();
}

int CommonPrefix(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t x = a[i] ^ b[i];
    if (x) return static_cast<int>(8 * i) + std::countl_zero(x);
  }
  return static_cast<int>(8 * n);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trove;
  if (size < 33) return 0;
  const std::span<const uint8_t> key(data, 32);
  const int cache_bits = 4 + data[32] % 9;  // 4..12
  data += 33;
  size -= 33;

  Result<CryptoPAn> made = CryptoPAn::Create(key, {.cache_bits = cache_bits});
  Check(made.ok());
  CryptoPAn& cpan = made.value();
  CryptoPAnReference ref(key);
  Result<MacPseudonym> mac_made = MacPseudonym::Create(key);
  Check(mac_made.ok());
  MacPseudonym& mac = mac_made.value();

  std::optional<std::pair<uint32_t, uint32_t>> prev4;  // (input, output)
  std::optional<std::pair<Ipv6Bytes, Ipv6Bytes>> prev6;
  for (size_t n = 0; n < kMaxAddresses && size > 0; ++n) {
    const int tag = data[0] % 3;
    const size_t len = tag == 0 ? 4 : tag == 1 ? 16 : 6;
    if (size < 1 + len) break;
    const uint8_t* p = data + 1;
    data += 1 + len;
    size -= 1 + len;

    if (tag == 0) {
      const uint32_t a = static_cast<uint32_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
      const uint32_t r = cpan.Anonymize4(a);
      Check(r == ref.Anonymize4(a));
      Check(cpan.Anonymize4(a) == r);
      if (prev4) {
        Check(std::countl_zero(a ^ prev4->first) == std::countl_zero(r ^ prev4->second));
        Check((a == prev4->first) == (r == prev4->second));
      }
      prev4 = {a, r};
    } else if (tag == 1) {
      Ipv6Bytes a;
      std::memcpy(a.data(), p, 16);
      const Ipv6Bytes r = cpan.Anonymize6(a);
      Check(r == ref.Anonymize6(a));
      Check(cpan.Anonymize6(a) == r);
      if (prev6) {
        Check(CommonPrefix(a.data(), prev6->first.data(), 16) ==
              CommonPrefix(r.data(), prev6->second.data(), 16));
      }
      prev6 = {a, r};
    } else {
      uint64_t m = 0;
      for (int i = 0; i < 6; ++i) m = m << 8 | p[i];
      const uint64_t s = mac.Pseudonymize(m);
      Check((s & ~MacPseudonym::kBroadcast) == 0);
      Check(((s ^ m) >> 40 & 3) == 0);  // I/G and U/L kept
      Check(m != MacPseudonym::kBroadcast || s == MacPseudonym::kBroadcast);
      Check(mac.Reverse(s) == m);
      Check(mac.Pseudonymize(m) == s);
    }
  }
  return 0;
}
