// libFuzzer target for the layered packet decoder (src/packet/): Decode(),
// then MakeFlowKey() and AccountPacket() on its result. Input: 2 bytes
// selecting the link type (big-endian, modulo the supported list plus one
// slot that passes the raw value through, i.e. mostly unsupported types),
// then the captured bytes. The packet is copied to an exactly-sized heap
// buffer so ASan sees any read past caplen; the decoded view's invariants
// are checked and a violation aborts.
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DTROVE_FUZZ=ON
//   cmake --build build-fuzz --target decoder_fuzz
//   build-fuzz/decoder_fuzz -max_total_time=60 fuzz/corpus/decoder

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "packet/decoder.h"
#include "packet/flow_key.h"
#include "packet/protocol_mix.h"

namespace {

constexpr uint16_t kLinkTypes[] = {
    trove::kLinkEthernet, trove::kLinkLinuxSll, trove::kLinkLinuxSll2, trove::kLinkNull,
    trove::kLinkLoop,     trove::kLinkRaw,      trove::kLinkRawBsdOs,  trove::kLinkTypeRaw,
    trove::kLinkIPv4,     trove::kLinkIPv6,
};
constexpr size_t kNumLinkTypes = sizeof(kLinkTypes) / sizeof(kLinkTypes[0]);

volatile uint64_t g_sink;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trove;
  if (size < 2) return 0;
  const uint16_t sel = static_cast<uint16_t>(data[0] << 8 | data[1]);
  const size_t idx = sel % (kNumLinkTypes + 1);
  const uint16_t linktype = idx < kNumLinkTypes ? kLinkTypes[idx] : sel;
  const size_t caplen = size - 2;
  std::unique_ptr<uint8_t[]> pkt(caplen ? new uint8_t[caplen] : nullptr);
  if (caplen) std::memcpy(pkt.get(), data + 2, caplen);

  PacketRef ref;
  ref.caplen = static_cast<uint32_t>(caplen);
  ref.wirelen = static_cast<uint32_t>(caplen);
  ref.linktype = linktype;
  ref.data = pkt.get();
  DecodedPacket d;
  const bool ok = Decode(ref, &d);

  // The view never points outside the captured bytes.
  Check(ok == (d.stop == DecodeStop::kNone));
  Check(d.l2_off == 0 && d.l3_off <= caplen && d.l4_off <= caplen && d.payload_off <= caplen);
  Check(static_cast<size_t>(d.payload_off) + d.payload_len <= caplen);
  if (d.has_ip()) {
    Check(d.addr_len == 4 || d.addr_len == 16);
    Check(d.src_off + d.addr_len <= caplen && d.dst_off + d.addr_len <= caplen);
  } else {
    Check(d.addr_len == 0 && d.l4_off == 0);
  }
  if (d.has_l4()) Check(d.has_ip() && d.l4_off > d.l3_off && d.l4_off + 2u <= caplen);
  if (ok) Check(d.has_l4() && d.payload_off >= d.l4_off + 8);
  if (d.stop == DecodeStop::kFragment) Check(d.is_fragment && !d.first_fragment && !d.has_l4());

  // Decoding is deterministic.
  DecodedPacket again;
  Decode(ref, &again);
  Check(std::memcmp(&again.l3_off, &d.l3_off, 2) == 0 && again.stop == d.stop &&
        again.sport == d.sport && again.payload_len == d.payload_len && again.l3 == d.l3);

  // Touch every byte the view points at.
  uint64_t sum = 0;
  if (d.has_ip()) {
    for (int i = 0; i < d.addr_len; ++i) sum += pkt[d.src_off + i] + pkt[d.dst_off + i];
  }
  for (uint32_t i = 0; i < d.payload_len; ++i) sum += pkt[d.payload_off + i];

  FlowKey key;
  bool src_is_hi = false;
  if (MakeFlowKey(ref, d, &key, &src_is_hi)) {
    Check(d.has_ip());
    sum += key.Hash();
    // The reverse direction gives the same key, with the other orientation
    // unless both endpoints are the same.
    DecodedPacket rev = d;
    rev.src_off = d.dst_off;
    rev.dst_off = d.src_off;
    rev.sport = d.dport;
    rev.dport = d.sport;
    FlowKey rev_key;
    bool rev_is_hi = false;
    Check(MakeFlowKey(ref, rev, &rev_key, &rev_is_hi) && rev_key == key);
    Check(rev_key.Hash() == key.Hash());
    const bool same_ends = std::memcmp(key.addr_lo, key.addr_hi, 16) == 0 &&
                           (key.kind != FlowKind::kTransport || key.port_lo == key.port_hi);
    Check(same_ends ? (!src_is_hi && !rev_is_hi) : (src_is_hi != rev_is_hi));
  } else {
    Check(!d.has_ip());
  }
  ProtocolMix mix;
  AccountPacket(d, ref.wirelen, &mix);
  Check(mix.tcp.packets + mix.udp.packets + mix.icmp.packets + mix.other.packets == 1);
  Check(mix.ipv4.packets + mix.ipv6.packets == (d.has_ip() ? 1u : 0u));
  g_sink = sum;
  return 0;
}
