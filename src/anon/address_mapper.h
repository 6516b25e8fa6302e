#pragma once
// AddressMapper: the seam between the packet transform (packet_transform.h)
// and whatever turns real addresses into pseudonyms. The transform finds
// every address in a packet and hands it here, one at a time; the mapper
// decides what it becomes. Production code uses CryptoPAnMapper
// (cryptopan_mapper.h: prefix-preserving Crypto-PAn for IPv4/IPv6, keyed
// pseudonyms for MACs); tests use IdentityMapper and XorMapper below.
//
// Contract for implementations: deterministic for a given key (the same
// input always yields the same output), total (every input has an output),
// and never reads or writes outside the 4/16/6 bytes given. The transform
// never passes overlapping `in` and `out`. Not required to be thread-safe:
// a PacketTransform and its mapper belong to one thread.

#include <cstdint>
#include <cstring>

namespace trove::anon {

class AddressMapper {
 public:
  virtual ~AddressMapper() = default;
  // IPv4 address, network byte order.
  virtual void Map4(const uint8_t in[4], uint8_t out[4]) = 0;
  // IPv6 address, network byte order.
  virtual void Map6(const uint8_t in[16], uint8_t out[16]) = 0;
  // MAC-48 / EUI-48 address, transmission order.
  virtual void MapMac(const uint8_t in[6], uint8_t out[6]) = 0;
};

// Maps every address to itself. With it, a scrambling transform must
// produce exactly what the scrubbing transform produces (tested property).
class IdentityMapper final : public AddressMapper {
 public:
  void Map4(const uint8_t in[4], uint8_t out[4]) override { std::memcpy(out, in, 4); }
  void Map6(const uint8_t in[16], uint8_t out[16]) override { std::memcpy(out, in, 16); }
  void MapMac(const uint8_t in[6], uint8_t out[6]) override { std::memcpy(out, in, 6); }
};

// Test and fuzz mapper: XOR with a fixed pattern derived from `seed`. It is a
// bijection and (trivially) prefix-preserving, and NOT anonymization — it is
// its own inverse. Use it where a keyed, deterministic, changing mapper is
// needed without the real crypto.
class XorMapper final : public AddressMapper {
 public:
  explicit XorMapper(uint8_t seed = 0x5a) {
    for (int i = 0; i < 16; ++i) {
      pad_[i] = static_cast<uint8_t>(seed * (i + 1) + 0x3b * i + 1);
      if (pad_[i] == 0) pad_[i] = 0xa5;  // every byte of every address changes
    }
  }
  void Map4(const uint8_t in[4], uint8_t out[4]) override { Xor(in, out, 4); }
  void Map6(const uint8_t in[16], uint8_t out[16]) override { Xor(in, out, 16); }
  void MapMac(const uint8_t in[6], uint8_t out[6]) override { Xor(in, out, 6); }

 private:
  void Xor(const uint8_t* in, uint8_t* out, int n) const {
    for (int i = 0; i < n; ++i) out[i] = in[i] ^ pad_[i];
  }
  uint8_t pad_[16];
};

}  // namespace trove::anon
