// MakeFlowKey() and FlowKey::Hash().
//
// The key is assembled in registers and written with whole 8-byte / 4-byte
// stores at the offsets Hash() reads, so hashing a key right after building
// it does not stall on store-to-load forwarding.

#include "packet/flow_key.h"

#include <bit>

#include "packet/decoded.h"

namespace trove {
namespace {

__extension__ typedef unsigned __int128 U128;

static_assert(offsetof(FlowKey, addr_lo) == 0 && offsetof(FlowKey, addr_hi) == 16 &&
              offsetof(FlowKey, port_lo) == 32 && offsetof(FlowKey, port_hi) == 34 &&
              offsetof(FlowKey, frag_id) == 36 && offsetof(FlowKey, proto) == 40 &&
              offsetof(FlowKey, ip_version) == 41 && offsetof(FlowKey, kind) == 42 &&
              offsetof(FlowKey, reserved) == 43);

constexpr bool kLittle = std::endian::native == std::endian::little;

// wyhash-style multiply-fold.
inline uint64_t Mum(uint64_t a, uint64_t b) {
  const U128 r = static_cast<U128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
// Byte-order independent views of the key's bytes.
inline uint64_t LoadLe64(const uint8_t* p) {
  const uint64_t v = Load64(p);
  return kLittle ? v : __builtin_bswap64(v);
}
inline uint64_t LoadBe64(const uint8_t* p) {
  const uint64_t v = Load64(p);
  return kLittle ? __builtin_bswap64(v) : v;
}
inline void StoreBe64(uint8_t* p, uint64_t v) {
  if (kLittle) v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof(v));
}

constexpr uint64_t kP0 = 0xa0761d6478bd642full;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;
constexpr uint64_t kP3 = 0x589965cc75374cc3ull;

// A 16-byte address as two big-endian words, so that comparing (w0, w1)
// numerically is the same as memcmp. IPv4 becomes ::ffff:a.b.c.d.
struct Addr128 {
  uint64_t w0, w1;
};
inline Addr128 ReadAddr(const uint8_t* p, uint8_t len) {
  if (len == 4) {
    uint32_t v = Load32(p);
    if (kLittle) v = __builtin_bswap32(v);
    return {0, 0x0000FFFF00000000ull | v};
  }
  return {LoadBe64(p), LoadBe64(p + 8)};
}
inline bool Less(const Addr128& a, const Addr128& b) {
  return a.w0 != b.w0 ? a.w0 < b.w0 : a.w1 < b.w1;
}
inline bool Equal(const Addr128& a, const Addr128& b) { return a.w0 == b.w0 && a.w1 == b.w1; }

}  // namespace

uint64_t FlowKey::Hash() const {
  // Scalar fields are combined by value, not as raw bytes, so the hash is
  // the same whatever the host's byte order.
  const uint64_t w4 = static_cast<uint64_t>(port_lo) | static_cast<uint64_t>(port_hi) << 16 |
                      static_cast<uint64_t>(frag_id) << 32;
  const uint64_t w5 = static_cast<uint64_t>(proto) | static_cast<uint64_t>(ip_version) << 8 |
                      static_cast<uint64_t>(kind) << 16;
  const uint64_t a = Mum(LoadLe64(addr_lo) ^ kP0, LoadLe64(addr_lo + 8) ^ kP1);
  const uint64_t b = Mum(LoadLe64(addr_hi) ^ kP2, LoadLe64(addr_hi + 8) ^ kP3);
  const uint64_t c = Mum(w4 ^ kP1, w5 ^ kP2);
  return Mum(a ^ Mum(c ^ kP3, sizeof(FlowKey) ^ kP0), b ^ kP1);
}

bool MakeFlowKey(const PacketRef& pkt, const DecodedPacket& d, FlowKey* key, bool* src_is_hi) {
  if (!d.has_ip() || pkt.data == nullptr) return false;
  if ((d.addr_len != 4 && d.addr_len != 16) || d.src_off + d.addr_len > pkt.caplen ||
      d.dst_off + d.addr_len > pkt.caplen) {
    return false;  // not from Decode() on this packet
  }
  Addr128 lo = ReadAddr(pkt.data + d.src_off, d.addr_len);
  Addr128 hi = ReadAddr(pkt.data + d.dst_off, d.addr_len);
  uint16_t port_lo = 0, port_hi = 0;
  uint32_t frag_id = 0;
  uint8_t proto = d.ip_proto;
  FlowKind kind = FlowKind::kTransport;
  bool by_port = false;
  if (d.stop == DecodeStop::kFragment) {
    kind = FlowKind::kFragment;
    proto = 0;
    frag_id = d.frag_id;
  } else if ((proto == 1 || proto == 58) && d.has_l4()) {
    kind = FlowKind::kIcmp;
    uint8_t type = d.icmp_type;
    if (proto == 1 && type == 0) type = 8;       // echo reply -> request
    if (proto == 58 && type == 129) type = 128;  // ICMPv6 echo reply -> request
    port_lo = static_cast<uint16_t>(type << 8 | d.icmp_code);
    port_hi = d.icmp_id;
  } else {
    port_lo = d.sport;
    port_hi = d.dport;
    by_port = true;
  }
  const bool swap = Less(hi, lo) || (by_port && port_lo > port_hi && Equal(lo, hi));
  if (swap) {
    const Addr128 t = lo;
    lo = hi;
    hi = t;
    if (by_port) {
      const uint16_t p = port_lo;
      port_lo = port_hi;
      port_hi = p;
    }
  }
  const uint8_t version = d.l3 == L3::kIPv4 ? 4 : 6;
  const uint64_t w4 =
      kLittle
          ? (static_cast<uint64_t>(port_lo) | static_cast<uint64_t>(port_hi) << 16 |
             static_cast<uint64_t>(frag_id) << 32)
          : (static_cast<uint64_t>(port_lo) << 48 | static_cast<uint64_t>(port_hi) << 32 | frag_id);
  const uint32_t tail =
      kLittle
          ? (static_cast<uint32_t>(proto) | version << 8 | static_cast<uint32_t>(kind) << 16)
          : (static_cast<uint32_t>(proto) << 24 | version << 16 | static_cast<uint32_t>(kind) << 8);
  uint8_t* out = reinterpret_cast<uint8_t*>(key);
  StoreBe64(out + 0, lo.w0);
  StoreBe64(out + 8, lo.w1);
  StoreBe64(out + 16, hi.w0);
  StoreBe64(out + 24, hi.w1);
  std::memcpy(out + 32, &w4, sizeof(w4));
  std::memcpy(out + 40, &tail, sizeof(tail));
  if (src_is_hi != nullptr) *src_is_hi = swap;
  return true;
}

}  // namespace trove
