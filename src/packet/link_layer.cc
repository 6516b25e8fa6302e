// Link-layer analyzers (Ethernet, Linux SLL/SLL2, BSD NULL/LOOP, raw IP) and
// the shim layers between link and network (802.1Q/802.1ad tags, MPLS,
// 802.2 LLC/SNAP).

#include "packet/analyzers.h"

namespace trove::packet_internal {
namespace {

constexpr uint32_t kEthHeader = 14;
constexpr uint32_t kLlcSnapHeader = 8;  // DSAP SSAP ctrl + OUI(3) + type(2)
constexpr uint32_t kSllHeader = 16;
constexpr uint32_t kSll2Header = 20;
constexpr uint16_t kArphrdNetlink = 824;  // SLL protocol field is a netlink family

uint8_t Saturating(uint8_t n) { return n == 255 ? n : static_cast<uint8_t>(n + 1); }

// A link layer whose payload is not something we decode.
void StopNonIp(uint32_t off, uint16_t type, DecodedPacket* d) {
  d->l3_off = Off16(off);
  d->ethertype = type;
  d->l3 = L3::kOther;
  d->stop = DecodeStop::kNonIpL3;
}

// Chooses IPv4/IPv6 by the version nibble of the byte at off. Returns 0 when
// it is neither.
uint16_t GuessIpByVersion(uint8_t first_byte) {
  switch (first_byte >> 4) {
    case 4:
      return kEthIPv4;
    case 6:
      return kEthIPv6;
    default:
      return 0;
  }
}

// The SLL/SLL2 protocol field is an ethertype, except for ARPHRD_NETLINK
// (a netlink family) and small values: 0x0004 means an 802.2 LLC frame
// follows, others (Novell 802.3, CAN, ...) are not IP.
void DispatchSllProtocol(const Frame& f, uint32_t off, uint16_t arphrd, uint16_t protocol,
                         DecodedPacket* d) {
  constexpr uint16_t kSllLlc = 0x0004;
  if (arphrd == kArphrdNetlink || (protocol < 0x0600 && protocol != kSllLlc)) {
    StopNonIp(off, 0, d);
    return;
  }
  DispatchEthertype(f, off, protocol, d);
}

}  // namespace

void DecodeEthernet(const Frame& f, DecodedPacket* d) {
  if (f.end < kEthHeader) {
    d->stop = DecodeStop::kTruncated;
    return;
  }
  // An ethertype, or an 802.3 length (LLC follows): the dispatcher handles both.
  DispatchEthertype(f, kEthHeader, Load16(f.data + 12), d);
}

void DecodeSll(const Frame& f, DecodedPacket* d) {
  // packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
  if (f.end < kSllHeader) {
    d->stop = DecodeStop::kTruncated;
    return;
  }
  DispatchSllProtocol(f, kSllHeader, Load16(f.data + 2), Load16(f.data + 14), d);
}

void DecodeSll2(const Frame& f, DecodedPacket* d) {
  // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
  if (f.end < kSll2Header) {
    d->stop = DecodeStop::kTruncated;
    return;
  }
  DispatchSllProtocol(f, kSll2Header, Load16(f.data + 8), Load16(f.data), d);
}

void DecodeNull(const Frame& f, bool network_order_only, DecodedPacket* d) {
  constexpr uint32_t kHeader = 4;
  if (f.end < kHeader) {
    d->stop = DecodeStop::kTruncated;
    return;
  }
  const uint32_t be = Load32(f.data);
  const uint32_t le = static_cast<uint32_t>(f.data[0]) | static_cast<uint32_t>(f.data[1]) << 8 |
                      static_cast<uint32_t>(f.data[2]) << 16 |
                      static_cast<uint32_t>(f.data[3]) << 24;
  auto type_of = [](uint32_t af) -> uint16_t {
    switch (af) {
      case 2:  // AF_INET everywhere
        return kEthIPv4;
      case 24:  // AF_INET6: NetBSD, OpenBSD
      case 28:  // FreeBSD, DragonFly
      case 30:  // Darwin
        return kEthIPv6;
      default:
        return 0;
    }
  };
  uint16_t type = type_of(be);
  if (type == 0 && !network_order_only) type = type_of(le);
  if (type == 0) {
    StopNonIp(kHeader, 0, d);
    return;
  }
  DispatchEthertype(f, kHeader, type, d);
}

void DecodeRawIp(const Frame& f, DecodedPacket* d) {
  if (f.end < 1) {
    d->stop = DecodeStop::kTruncated;
    return;
  }
  const uint16_t type = GuessIpByVersion(f.data[0]);
  if (type == 0) {
    d->stop = DecodeStop::kMalformed;  // raw IP that is neither v4 nor v6
    return;
  }
  DispatchEthertype(f, 0, type, d);
}

bool DecodeVlanTag(const Frame& f, uint32_t* off, uint16_t* type, DecodedPacket* d) {
  // TCI(2: PCP 3, DEI 1, VID 12) inner ethertype(2)
  if (f.end - *off < 4) {
    d->stop = DecodeStop::kTruncated;
    return false;
  }
  const uint8_t* p = f.data + *off;
  if (d->vlan_depth == 0) d->vlan_id = Load16(p) & 0x0FFF;
  d->vlan_depth = Saturating(d->vlan_depth);
  *type = Load16(p + 2);
  *off += 4;
  return true;
}

bool DecodeLlcSnap(const Frame& f, uint32_t* off, uint16_t* type, DecodedPacket* d) {
  // LLC: DSAP SSAP control. Only SNAP (AA AA 03) with the Ethernet OUI
  // (00 00 00) carries an ethertype; anything else (STP, NetBIOS, ...) is
  // not IP.
  const uint32_t avail = f.end - *off;
  const uint8_t* p = f.data + *off;
  if (avail < 2 || (p[0] == 0xAA && p[1] == 0xAA && avail < kLlcSnapHeader)) {
    d->stop = DecodeStop::kTruncated;  // cannot tell whether SNAP follows
    return false;
  }
  if (p[0] == 0xAA && p[1] == 0xAA && p[2] == 0x03 && p[3] == 0 && p[4] == 0 && p[5] == 0) {
    *type = Load16(p + 6);
    *off += kLlcSnapHeader;
    return true;
  }
  StopNonIp(*off, 0, d);
  return false;
}

bool DecodeMplsStack(const Frame& f, uint32_t* off, uint16_t* type, DecodedPacket* d) {
  // Label entries: label(20) TC(3) S(1) TTL(8); S marks the bottom of stack.
  for (;;) {
    if (f.end - *off < 4) {
      d->stop = DecodeStop::kTruncated;
      return false;
    }
    const uint8_t* p = f.data + *off;
    d->mpls_depth = Saturating(d->mpls_depth);
    *off += 4;
    if (p[2] & 0x01) break;
  }
  // No next-protocol field after MPLS: guess by the IP version nibble.
  if (f.end - *off < 1) {
    d->stop = DecodeStop::kTruncated;
    return false;
  }
  const uint16_t ip = GuessIpByVersion(f.data[*off]);
  if (ip == 0) {  // pseudowire control word, Ethernet over MPLS, ...
    StopNonIp(*off, *type, d);
    return false;
  }
  *type = ip;
  return true;
}

}  // namespace trove::packet_internal
