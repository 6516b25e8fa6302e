#pragma once
// CryptoPAnMapper: the production AddressMapper. IPv4 and IPv6 addresses go
// through CryptoPAn (anon/cryptopan.h: prefix-preserving, bit-exact with the
// reference Crypto-PAn and, for IPv4, with traceanon under the same key);
// MAC addresses through MacPseudonym (anon/mac_pseudonym.h: keyed
// permutation keeping the I/G and U/L bits, broadcast fixed).
//
// Keys. Create() takes the two 32-byte keys as they are. FromCryptoPAnKey()
// is what `trove anon --cryptopan-key FILE` uses: the file's 32 bytes are the
// Crypto-PAn key as-is (so IPv4 pseudonyms match traceanon's), and the MAC
// key is derived from them with the key schedule's HKDF
// (anon/key_schedule.h), info "mac/scrambled/all":
//   openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:KEY_HEX
//     -kdfopt salt:trove-anon-v1 -kdfopt info:mac/scrambled/all HKDF
// so one key file gives both and the two primitives never share a key.
// Not thread-safe (the caches inside change on every call): one per thread,
// Clone() for more.

#include <memory>
#include <span>

#include "anon/address_mapper.h"
#include "anon/cryptopan.h"
#include "anon/mac_pseudonym.h"
#include "util/status.h"

namespace trove::anon {

class CryptoPAnMapper final : public AddressMapper {
 public:
  // InvalidArgument unless both keys are 32 bytes; Internal if OpenSSL fails.
  static Result<std::unique_ptr<CryptoPAnMapper>> Create(std::span<const uint8_t> ip_key,
                                                         std::span<const uint8_t> mac_key);
  // The MAC key derived from the Crypto-PAn key as described above.
  static Result<std::unique_ptr<CryptoPAnMapper>> FromCryptoPAnKey(
      std::span<const uint8_t> cryptopan_key);

  Result<std::unique_ptr<CryptoPAnMapper>> Clone() const;

  void Map4(const uint8_t in[4], uint8_t out[4]) override;
  void Map6(const uint8_t in[16], uint8_t out[16]) override;
  void MapMac(const uint8_t in[6], uint8_t out[6]) override;

 private:
  CryptoPAnMapper(CryptoPAn ip, MacPseudonym mac) : ip_(std::move(ip)), mac_(std::move(mac)) {}
  CryptoPAn ip_;
  MacPseudonym mac_;
};

}  // namespace trove::anon
