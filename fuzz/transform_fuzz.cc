// libFuzzer target for the privacy-level packet transform
// (src/anon/packet_transform.h). Input as for decoder_fuzz (so its corpus
// seeds this one): 2 bytes `sel` (big-endian), then the captured bytes,
// copied to an exactly-sized heap buffer so ASan sees any read past caplen.
// sel modulo (supported link types + 1) selects the link type (the last slot
// passes sel through: mostly unsupported types); sel divided by that count
// selects the TCP options policy (low 2 bits) and how many wire bytes were
// not captured (next 2 bits: 0, 1, 64, 1000), so "whole segment captured"
// varies.
//
// Every input is transformed at both levels (scrubbed; scrambled with a
// fixed-key CryptoPAnMapper) and these must hold, else abort:
//  - the output is never longer than the input (it is the input cut
//    somewhere, bytes rewritten in place) and wirelen is kept;
//  - the same input gives the same output (determinism);
//  - scrambling with the identity mapper gives exactly the scrubbed output;
//  - scrubbing is idempotent (scrubbing the scrubbed packet changes nothing)
//    for IP and ARP packets;
//  - a dropped packet produces no bytes.
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DTROVE_FUZZ=ON
//   cmake --build build-fuzz --target transform_fuzz
//   mkdir -p /tmp/transform-corpus
//   build-fuzz/transform_fuzz -max_total_time=60 /tmp/transform-corpus fuzz/corpus/decoder

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "anon/cryptopan_mapper.h"
#include "anon/packet_transform.h"
#include "packet/decoder.h"

namespace {

using trove::ByteBuffer;
using trove::DecodedPacket;
using trove::PacketRef;
using namespace trove::anon;

constexpr uint16_t kLinkTypes[] = {
    trove::kLinkEthernet, trove::kLinkLinuxSll, trove::kLinkLinuxSll2, trove::kLinkNull,
    trove::kLinkLoop,     trove::kLinkRaw,      trove::kLinkRawBsdOs,  trove::kLinkTypeRaw,
    trove::kLinkIPv4,     trove::kLinkIPv6,
};
constexpr size_t kNumLinkTypes = sizeof(kLinkTypes) / sizeof(kLinkTypes[0]);

void Check(bool ok) {
  if (!ok) std::abort();
}

AddressMapper* FixedKeyMapper() {
  static std::unique_ptr<CryptoPAnMapper> m = [] {
    uint8_t key[32];
    for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(0x11 * i + 3);
    auto r = CryptoPAnMapper::FromCryptoPAnKey(key);
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }();
  return m.get();
}

struct Out {
  bool kept;
  std::vector<uint8_t> bytes;
  uint32_t wirelen;
};

Out Apply(const LevelPolicy& pol, AddressMapper* m, const PacketRef& ref) {
  DecodedPacket d;
  trove::Decode(ref, &d);
  PacketTransform t(pol, m);
  ByteBuffer buf;
  Out o;
  o.wirelen = 0;
  o.kept = t.Apply(ref, d, &buf, &o.wirelen);
  o.bytes.assign(buf.data(), buf.data() + buf.size());
  Check(o.kept == !o.bytes.empty());
  Check(o.bytes.size() <= ref.caplen);
  Check(o.wirelen == (ref.wirelen > o.bytes.size() ? ref.wirelen : o.bytes.size()));
  return o;
}

PacketRef Ref(const uint8_t* data, size_t caplen, uint32_t wirelen, uint16_t linktype) {
  PacketRef r;
  r.data = data;
  r.caplen = static_cast<uint32_t>(caplen);
  r.wirelen = wirelen;
  r.linktype = linktype;
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint16_t sel = static_cast<uint16_t>(data[0] << 8 | data[1]);
  const size_t idx = sel % (kNumLinkTypes + 1);
  const uint16_t linktype = idx < kNumLinkTypes ? kLinkTypes[idx] : sel;
  const size_t mode = sel / (kNumLinkTypes + 1);
  const size_t caplen = size - 2;
  const TcpOptions tcp = static_cast<TcpOptions>((mode & 3) % 3);
  static constexpr uint32_t kExtra[] = {0, 1, 64, 1000};
  const uint32_t wirelen = static_cast<uint32_t>(caplen) + kExtra[(mode >> 2) & 3];

  std::unique_ptr<uint8_t[]> pkt(caplen ? new uint8_t[caplen] : nullptr);
  if (caplen) std::memcpy(pkt.get(), data + 2, caplen);
  const PacketRef ref = Ref(pkt.get(), caplen, wirelen, linktype);

  LevelPolicy scrub = PolicyForLevel(PrivacyLevel::kScrubbed);
  LevelPolicy scramble = PolicyForLevel(PrivacyLevel::kScrambled);
  scrub.tcp_options = scramble.tcp_options = tcp;

  const Out a = Apply(scrub, nullptr, ref);
  const Out a2 = Apply(scrub, nullptr, ref);
  Check(a.bytes == a2.bytes && a.kept == a2.kept);

  const Out b = Apply(scramble, FixedKeyMapper(), ref);
  const Out b2 = Apply(scramble, FixedKeyMapper(), ref);
  Check(b.bytes == b2.bytes && b.kept == b2.kept);
  Check(b.bytes.size() == a.bytes.size());  // scrambling never changes what is kept

  IdentityMapper id;
  const Out c = Apply(scramble, &id, ref);
  Check(c.bytes == a.bytes);

  DecodedPacket dec;
  trove::Decode(ref, &dec);
  if (a.kept && dec.l3 != trove::L3::kOther && dec.l3 != trove::L3::kNone) {
    // Idempotence, from an exactly-sized copy of the scrubbed bytes. Not for
    // non-IP link payloads: there the decoder looked at bytes past the link
    // header (e.g. an LLC header that turned out not to be SNAP) to decide
    // where it ends, and those bytes are cut.
    std::unique_ptr<uint8_t[]> again(new uint8_t[a.bytes.size()]);
    std::memcpy(again.get(), a.bytes.data(), a.bytes.size());
    const Out d = Apply(scrub, nullptr, Ref(again.get(), a.bytes.size(), a.wirelen, linktype));
    Check(d.bytes == a.bytes);
  }
  return 0;
}
