#include "anon/cryptopan_mapper.h"

#include "anon/key_schedule.h"

namespace trove::anon {

Result<std::unique_ptr<CryptoPAnMapper>> CryptoPAnMapper::Create(std::span<const uint8_t> ip_key,
                                                                 std::span<const uint8_t> mac_key) {
  auto ip = CryptoPAn::Create(ip_key);
  if (!ip.ok()) return ip.status().Annotate("Crypto-PAn key");
  auto mac = MacPseudonym::Create(mac_key);
  if (!mac.ok()) return mac.status().Annotate("MAC pseudonym key");
  return std::unique_ptr<CryptoPAnMapper>(
      new CryptoPAnMapper(std::move(ip).value(), std::move(mac).value()));
}

Result<std::unique_ptr<CryptoPAnMapper>> CryptoPAnMapper::FromCryptoPAnKey(
    std::span<const uint8_t> cryptopan_key) {
  if (cryptopan_key.size() != CryptoPAn::kKeySize) {
    return Status::InvalidArgument("Crypto-PAn key: expected 32 bytes, got " +
                                   std::to_string(cryptopan_key.size()));
  }
  auto mac_key = DeriveKey(cryptopan_key, "mac", "scrambled", "all");
  if (!mac_key.ok()) return mac_key.status().Annotate("deriving the MAC key");
  return Create(cryptopan_key, mac_key->span());
}

Result<std::unique_ptr<CryptoPAnMapper>> CryptoPAnMapper::Clone() const {
  auto ip = ip_.Clone();
  if (!ip.ok()) return ip.status();
  auto mac = mac_.Clone();
  if (!mac.ok()) return mac.status();
  return std::unique_ptr<CryptoPAnMapper>(
      new CryptoPAnMapper(std::move(ip).value(), std::move(mac).value()));
}

void CryptoPAnMapper::Map4(const uint8_t in[4], uint8_t out[4]) {
  const uint32_t a = static_cast<uint32_t>(in[0]) << 24 | static_cast<uint32_t>(in[1]) << 16 |
                     static_cast<uint32_t>(in[2]) << 8 | in[3];
  const uint32_t m = ip_.Anonymize4(a);
  out[0] = static_cast<uint8_t>(m >> 24);
  out[1] = static_cast<uint8_t>(m >> 16);
  out[2] = static_cast<uint8_t>(m >> 8);
  out[3] = static_cast<uint8_t>(m);
}

void CryptoPAnMapper::Map6(const uint8_t in[16], uint8_t out[16]) { ip_.Anonymize6(in, out); }

void CryptoPAnMapper::MapMac(const uint8_t in[6], uint8_t out[6]) { mac_.Pseudonymize(in, out); }

}  // namespace trove::anon
