// PacketTransform: see packet_transform.h for the rules. Implementation
// notes:
//  - The output is built in place: the prefix of the input that is kept is
//    copied (KeepTo) just before the header it belongs to is rewritten, so
//    `kept_` only grows and every write lands below it. Decisions are read
//    from the input bytes, never from the partly rewritten output.
//  - Every read is preceded by a bounds check against a limit <= caplen
//    (Avail()); nothing trusts a length field. Offsets are 32-bit; datagram
//    ends are computed in 64 bits and clamped.
//  - Checksums other than the IPv4 header's are fixed last for their
//    message (after the headers nested inside it), from the difference of
//    the input and output bytes over the kept part of the message plus the
//    pseudo-header addresses (RFC 1624). Bytes past the cut are identical in
//    the original and the derived message, so they add nothing to the
//    difference.

#include "anon/packet_transform.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "anon/checksum.h"
#include "packet/decoder.h"
#include "packet/ipv6_ext.h"

namespace trove::anon {
namespace {

constexpr int kMaxDepth = 4;  // tunnels + ICMP quotes below the outer IP header

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIpIp = 4;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIpv6 = 41;
constexpr uint8_t kProtoGre = 47;
constexpr uint8_t kProtoIcmpv6 = 58;

constexpr uint8_t kTcpOptNop = 1;

inline uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline uint32_t Min(uint32_t a, uint32_t b) { return a < b ? a : b; }
inline uint32_t Avail(uint32_t off, uint32_t lim) { return off < lim ? lim - off : 0; }
// a + b clamped to `cap` (no 32-bit wrap-around).
inline uint32_t EndAt(uint32_t a, uint64_t b, uint32_t cap) {
  const uint64_t e = static_cast<uint64_t>(a) + b;
  return e < cap ? static_cast<uint32_t>(e) : cap;
}

enum class Csum { kTcp, kUdp, kIcmp4, kIcmp6, kGre };

// One IP datagram being transformed: outer, tunnelled or quoted.
struct Ip {
  uint32_t off = 0;
  bool v6 = false;
  uint32_t lim = 0;             // its contents may be read below this: min(enclosing, datagram end)
  bool full = false;            // the whole datagram is captured and it is not a fragment
  uint32_t psrc = 0, pdst = 0;  // pseudo-header source / destination address offsets
  uint32_t alen() const { return v6 ? 16 : 4; }
};

struct Ipv6ChainEnd {
  uint32_t upper = 0;     // where the upper-layer header starts
  uint8_t proto = 0;      // its protocol number
  bool complete = false;  // the chain was walked to a non-extension header
  bool nonfirst = false;  // a fragment header with offset != 0 ended the chain
};

bool IsIcmp4Error(uint8_t t) { return t == 3 || t == 4 || t == 5 || t == 11 || t == 12; }

// ICMP types whose 4 bytes after the checksum are understood (identifiers,
// sequence numbers, pointers, MTU, unused, or the redirect gateway which we
// scramble).
bool KnownIcmp4(uint8_t t) {
  switch (t) {
    case 0:   // echo reply
    case 3:   // destination unreachable
    case 4:   // source quench
    case 5:   // redirect
    case 8:   // echo
    case 9:   // router advertisement (counts, lifetime)
    case 10:  // router solicitation
    case 11:  // time exceeded
    case 12:  // parameter problem
    case 13:  // timestamp
    case 14:  // timestamp reply
    case 15:  // information request
    case 16:  // information reply
    case 17:  // address mask request
    case 18:  // address mask reply
      return true;
    default:
      return false;
  }
}

// Length of the ICMPv6 message part that is kept before any options: 8 for
// types whose header is understood, the NDP fixed bodies, 4 otherwise.
uint32_t Icmp6Fixed(uint8_t t) {
  switch (t) {
    case 1:    // destination unreachable
    case 2:    // packet too big
    case 3:    // time exceeded
    case 4:    // parameter problem
    case 128:  // echo request
    case 129:  // echo reply
    case 130:  // MLD query (group address cut)
    case 131:  // MLD report
    case 132:  // MLD done
    case 143:  // MLDv2 report (records cut)
    case 133:  // router solicitation
      return 8;
    case 134:  // router advertisement
      return 16;
    case 135:  // neighbour solicitation
    case 136:  // neighbour advertisement
      return 24;
    case 137:  // redirect
      return 40;
    default:
      return 4;
  }
}

class Run {
 public:
  Run(const LevelPolicy& pol, AddressMapper* mapper, TransformStats* st, const uint8_t* in,
      uint32_t caplen, uint32_t wirelen, uint8_t* out)
      : pol_(pol),
        mapper_(mapper),
        st_(st),
        in_(in),
        caplen_(caplen),
        wirelen_(wirelen),
        out_(out) {}

  uint32_t kept() const { return kept_; }

  void KeepTo(uint32_t end) {
    if (end > caplen_) end = caplen_;
    if (end > kept_) {
      std::memcpy(out_ + kept_, in_ + kept_, end - kept_);
      kept_ = end;
    }
  }

  void Packet(const PacketRef& pkt, const DecodedPacket& d) {
    const LinkTypeInfo* lt = FindLinkType(pkt.linktype);
    if (lt == nullptr) return;  // not understood: dropped
    const uint32_t base = lt->header_bytes;
    if (caplen_ < base) return;
    // The decoder sets l3_off once it got through the link layer (tags,
    // labels, LLC/SNAP); otherwise only the base header is understood.
    const uint32_t link_end = d.l3_off >= base && d.l3_off <= caplen_ ? d.l3_off : base;
    KeepTo(link_end);
    switch (pkt.linktype) {
      case kLinkEthernet:
        MapMac(0);
        MapMac(6);
        break;
      case kLinkLinuxSll:  // type(2) ARPHRD(2) halen(2) addr(8) protocol(2)
        LinkAddr(6, Load16(in_ + 4));
        break;
      case kLinkLinuxSll2:  // protocol(2) res(2) ifindex(4) ARPHRD(2) type(1) halen(1) addr(8)
        LinkAddr(12, in_[11]);
        break;
      default:
        break;
    }
    if (link_end != d.l3_off) return;
    switch (d.l3) {
      case L3::kIPv4:
      case L3::kIPv6:
        OuterIp(d);
        return;
      case L3::kArp:
        Arp(link_end);
        return;
      default:
        if (kept_ > 0) ++st_->link_only;
        return;
    }
  }

 private:
  // ---- Small writers -------------------------------------------------------

  void Fill(uint32_t off, uint32_t n, uint8_t v) { std::memset(out_ + off, v, n); }

  void Map4(uint32_t off) {
    if (!pol_.scramble_addresses) return;
    uint8_t a[4];
    std::memcpy(a, in_ + off, 4);
    mapper_->Map4(a, out_ + off);
  }
  void Map6(uint32_t off) {
    if (!pol_.scramble_addresses) return;
    uint8_t a[16];
    std::memcpy(a, in_ + off, 16);
    mapper_->Map6(a, out_ + off);
  }
  void MapMac(uint32_t off) {
    if (!pol_.scramble_macs) return;
    uint8_t a[6];
    std::memcpy(a, in_ + off, 6);
    mapper_->MapMac(a, out_ + off);
  }

  // The 8-byte link address field of SLL/SLL2: a 6-byte address is a MAC;
  // any other length is not understood and zeroed.
  void LinkAddr(uint32_t off, uint32_t halen) {
    if (halen == 6) {
      MapMac(off);
      Fill(off + 6, 2, 0);
    } else {
      Fill(off, 8, 0);
    }
  }

  // ---- ARP -------------------------------------------------------------------

  void Arp(uint32_t off) {
    // htype(2) ptype(2) hlen(1) plen(1) oper(2), then sha spa tha tpa.
    if (Avail(off, caplen_) < 8) return;
    // ATM ARP (hardware type 19, RFC 2225) has another layout; addresses
    // that would run past the frame's length on the wire make it malformed.
    // Neither is understood (readers would flag even the fixed part).
    if (Load16(in_ + off) == 19) return;
    if (off + 8 + 2 * (in_[off + 4] + in_[off + 5]) > wirelen_) return;
    KeepTo(off + 8);
    if (in_[off + 4] != 6 || in_[off + 5] != 4 || Load16(in_ + off + 2) != 0x0800) return;
    const struct { uint32_t at, len; } fields[] = {{8, 6}, {14, 4}, {18, 6}, {24, 4}};
    for (const auto& f : fields) {
      if (Avail(off + f.at, caplen_) < f.len) return;
      KeepTo(off + f.at + f.len);
      if (f.len == 6) {
        MapMac(off + f.at);
      } else {
        Map4(off + f.at);
      }
    }
  }

  // ---- IPv4 ------------------------------------------------------------------

  void OuterIp(const DecodedPacket& d) {
    const uint32_t off = d.l3_off;
    Ip ip;
    ip.off = off;
    ip.v6 = d.l3 == L3::kIPv6;
    if (!ip.v6) {
      if (Avail(off, caplen_) < 20) return;
      const uint32_t ihl = (in_[off] & 0x0Fu) * 4;
      const uint32_t total = Load16(in_ + off + 2);
      if ((in_[off] >> 4) != 4 || ihl < 20 || (total != 0 && total < ihl)) return;
      // Total length 0 (segmentation offload): the datagram runs to the end
      // of the capture, as the decoder assumes; its real length is unknown.
      ip.lim = total == 0 ? caplen_ : EndAt(off, total, caplen_);
      ip.full = total != 0 && static_cast<uint64_t>(off) + total <= caplen_ && !d.is_fragment;
      ip.psrc = off + 12;
      ip.pdst = off + 16;
      if (Avail(off, caplen_) < ihl) {
        // Options cut by the capture: the fixed header, checksum unknowable.
        KeepTo(off + 20);
        Map4(off + 12);
        Map4(off + 16);
        Store16(out_ + off + 10, 0);
        return;
      }
      Ipv4Header(&ip, ihl);
      if (d.stop == DecodeStop::kFragment) return;  // non-first fragment
      const uint32_t upper = off + ihl;
      if ((d.has_l4() && d.l4_off != upper) ||
          (d.stop == DecodeStop::kUnknownL4 && d.payload_off != upper)) {
        return;  // disagrees with the decoder: cut
      }
      Upper(ip, upper, in_[off + 9], 0, false);
      return;
    }
    Ipv6ChainEnd c;
    if (!Ipv6Header(&ip, caplen_, &c)) return;
    if ((d.has_l4() && d.l4_off != c.upper) ||
        (d.stop == DecodeStop::kUnknownL4 && d.payload_off != c.upper)) {
      return;
    }
    Upper(ip, c.upper, c.proto, 0, false);
  }

  // A tunnelled (quoted = false) or ICMP-quoted (quoted = true) IP datagram
  // at off, inside a parent whose contents end at lim. Nothing is kept
  // unless its whole IP header (IPv4 with options; IPv6 fixed header) is.
  void InnerIp(uint32_t off, bool v6, uint32_t lim, int depth, bool quoted) {
    const uint32_t avail = Avail(off, lim);
    Ip ip;
    ip.off = off;
    ip.v6 = v6;
    if (!v6) {
      if (avail < 20 || (in_[off] >> 4) != 4) return;
      const uint32_t ihl = (in_[off] & 0x0Fu) * 4;
      const uint32_t total = Load16(in_ + off + 2);
      if (ihl < 20 || avail < ihl || total < ihl) return;
      const uint16_t frag = Load16(in_ + off + 6);
      ip.lim = EndAt(off, total, lim);
      ip.full = (frag & 0x3FFF) == 0 && static_cast<uint64_t>(off) + total <= lim;
      ip.psrc = off + 12;
      ip.pdst = off + 16;
      Ipv4Header(&ip, ihl);
      if (frag & 0x1FFF) return;  // non-first fragment
      Upper(ip, off + ihl, in_[off + 9], depth, quoted);
      return;
    }
    Ipv6ChainEnd c;
    if (!Ipv6Header(&ip, lim, &c)) return;
    Upper(ip, c.upper, c.proto, depth, quoted);
  }

  // The IPv6 datagram at ip->off, inside a parent whose contents end at lim:
  // keeps and scrambles the fixed header, walks the extension headers into
  // *c. False when nothing past them can be kept (fixed header not whole,
  // chain cut or unknown, non-first fragment).
  bool Ipv6Header(Ip* ip, uint32_t lim, Ipv6ChainEnd* c) {
    const uint32_t off = ip->off;
    if (Avail(off, lim) < 40 || (in_[off] >> 4) != 6) return false;
    const uint32_t plen = Load16(in_ + off + 4);
    ip->lim = plen == 0 ? lim : EndAt(off, 40 + plen, lim);
    ip->full = plen != 0 && static_cast<uint64_t>(off) + 40 + plen <= lim;
    ip->psrc = off + 8;
    ip->pdst = off + 24;
    KeepTo(off + 40);
    Map6(off + 8);
    Map6(off + 24);
    *c = Ipv6Chain(ip, off + 40, in_[off + 6]);
    return c->complete && !c->nonfirst;
  }

  // The whole IPv4 header [off, off + ihl) is captured: keep it, clean the
  // options, scramble the addresses, recompute the header checksum.
  void Ipv4Header(Ip* ip, uint32_t ihl) {
    const uint32_t off = ip->off;
    KeepTo(off + ihl);
    Ipv4Options(ip, off + 20, off + ihl);
    Map4(off + 12);
    Map4(off + 16);
    Store16(out_ + off + 10, 0);
    Store16(out_ + off + 10, InternetChecksum(out_ + off, ihl));
  }

  void Ipv4Options(Ip* ip, uint32_t a, uint32_t b) {
    uint32_t o = a;
    while (o < b) {
      const uint8_t type = in_[o];
      if (type == 0) {  // EOL: the rest is padding
        Fill(o + 1, b - o - 1, 0);
        return;
      }
      if (type == 1) {  // NOP
        ++o;
        continue;
      }
      if (b - o < 2 || in_[o + 1] < 2 || in_[o + 1] > b - o) {
        Fill(o, b - o, 1);  // malformed: NOP out the rest
        return;
      }
      const uint32_t len = in_[o + 1];
      switch (type) {
        case 7:    // record route
        case 131:  // loose source route
        case 137:  // strict source route
        {
          if (len < 3) {
            Fill(o, len, 1);
            break;
          }
          const uint32_t ptr = in_[o + 2];
          const uint32_t slots = (len - 3) / 4;
          for (uint32_t k = 0; k < slots; ++k) {
            const uint32_t at = o + 3 + 4 * k;
            if (type == 7 && 4 * k + 8 > ptr) {
              Fill(at, 4, 0);  // record route slot not yet filled
            } else {
              Map4(at);
            }
          }
          Fill(o + 3 + 4 * slots, (len - 3) % 4, 0);
          // A source route not yet exhausted: the pseudo-header uses the
          // final destination, the last address of the route.
          if (type != 7 && slots > 0 && ptr <= len) ip->pdst = o + 3 + 4 * (slots - 1);
          break;
        }
        case 68:  // timestamp: ptr, overflow/flag, entries
        {
          const uint32_t flag = len >= 4 ? (in_[o + 3] & 0x0Fu) : 0xFF;
          if (flag == 0) break;  // timestamps only
          if (flag != 1 && flag != 3) {
            Fill(o, len, 1);
            break;
          }
          const uint32_t ptr = in_[o + 2];
          const uint32_t entries = (len - 4) / 8;
          for (uint32_t k = 0; k < entries; ++k) {
            const uint32_t at = o + 4 + 8 * k;
            if (flag == 1 && 8 * k + 13 > ptr) {
              Fill(at, 8, 0);  // not yet filled in
            } else {
              Map4(at);
            }
          }
          Fill(o + 4 + 8 * entries, (len - 4) % 8, 0);
          break;
        }
        case 148:  // router alert
          if (len != 4) Fill(o, len, 1);
          break;
        default:
          Fill(o, len, 1);
          break;
      }
      o += len;
    }
  }

  // ---- IPv6 extension headers -------------------------------------------------

  // Walks, keeps and cleans the extension headers from `cur` (type nh) up to
  // the upper-layer header, within ip->lim. Mirrors the decoder's chain
  // (hop-by-hop, routing, fragment, destination options, mobility, AH).
  Ipv6ChainEnd Ipv6Chain(Ip* ip, uint32_t cur, uint8_t nh) {
    Ipv6ChainEnd r;
    for (;;) {
      if (!IsIpv6Extension(nh)) {
        r.upper = cur;
        r.proto = nh;
        r.complete = true;
        return r;
      }
      const uint32_t hlen = Ipv6ExtensionLength(nh, in_ + cur, Avail(cur, ip->lim));
      if (hlen == 0) return Stop(cur, nh);
      if (nh == kIpv6Auth && hlen < 12) return Stop(cur, nh);  // no room for SPI and sequence
      if (Avail(cur, ip->lim) < hlen) return Stop(cur, nh);
      KeepTo(cur + hlen);
      switch (nh) {
        case kIpv6HopByHop:
        case kIpv6DestOpts:
          Ipv6Options(ip, cur + 2, cur + hlen);
          break;
        case kIpv6Routing:
          Ipv6Routing(ip, cur, hlen);
          break;
        case kIpv6Fragment: {
          const uint16_t frag = Load16(in_ + cur + 2);
          if (frag & 0xFFF9) ip->full = false;  // offset != 0 or M set
          if (frag >> 3) {
            r.upper = cur + hlen;
            r.proto = in_[cur];
            r.nonfirst = true;
            return r;
          }
          break;
        }
        case kIpv6Auth:
          Fill(cur + 12, hlen - 12, 0);  // ICV
          break;
        case kIpv6Mobility:
          Fill(cur + 4, hlen - 4, 0);  // checksum and message data
          break;
        default:
          break;
      }
      nh = in_[cur];
      cur += hlen;
    }
  }

  static Ipv6ChainEnd Stop(uint32_t cur, uint8_t nh) {
    Ipv6ChainEnd r;
    r.upper = cur;
    r.proto = nh;
    return r;
  }

  // Overwrites [a, b) with IPv6 option padding: Pad1 for one byte, PadN
  // (zero data) otherwise, in chunks of at most 257 bytes.
  void PadFill(uint32_t a, uint32_t b) {
    while (a < b) {
      uint32_t n = b - a;
      if (n == 1) {
        out_[a] = 0;  // Pad1
        return;
      }
      if (n > 257) n = (n - 257 == 1) ? 256 : 257;
      out_[a] = 1;  // PadN
      out_[a + 1] = static_cast<uint8_t>(n - 2);
      Fill(a + 2, n - 2, 0);
      a += n;
    }
  }

  // Hop-by-hop / destination options TLVs in [a, b).
  void Ipv6Options(Ip* ip, uint32_t a, uint32_t b) {
    uint32_t o = a;
    while (o < b) {
      const uint8_t type = in_[o];
      if (type == 0) {  // Pad1
        ++o;
        continue;
      }
      if (b - o < 2 || in_[o + 1] + 2u > b - o) {
        PadFill(o, b);
        return;
      }
      const uint32_t len = in_[o + 1] + 2u;
      switch (type) {
        case 0x01:  // PadN: contents zeroed
          Fill(o + 2, len - 2, 0);
          break;
        case 0x05:  // router alert
          if (len != 4) PadFill(o, o + len);
          break;
        case 0xC2:  // jumbo payload
          if (len != 6) PadFill(o, o + len);
          break;
        case 0xC9:  // home address (mobile IPv6): the pseudo-header source
          if (len == 18) {
            Map6(o + 2);
            ip->psrc = o + 2;
          } else {
            PadFill(o, o + len);
          }
          break;
        default:
          PadFill(o, o + len);
          break;
      }
      o += len;
    }
  }

  // Routing header [cur, cur + hlen): next(1) len(1) type(1) segments
  // left(1), then type-specific data from cur + 4.
  void Ipv6Routing(Ip* ip, uint32_t cur, uint32_t hlen) {
    const uint8_t type = in_[cur + 2];
    const uint8_t left = in_[cur + 3];
    if (type == 0) {  // reserved(4), then addresses
      const uint32_t n = (hlen - 8) / 16;
      for (uint32_t k = 0; k < n; ++k) Map6(cur + 8 + 16 * k);
      Fill(cur + 8 + 16 * n, (hlen - 8) % 16, 0);
      if (left > 0 && n > 0) ip->pdst = cur + 8 + 16 * (n - 1);
      return;
    }
    if (type == 2 && hlen == 24) {  // reserved(4), home address
      Map6(cur + 8);
      if (left > 0) ip->pdst = cur + 8;
      return;
    }
    Fill(cur + 4, hlen - 4, 0);  // not understood
  }

  // ---- Upper layers -------------------------------------------------------------

  void Upper(const Ip& ip, uint32_t off, uint8_t proto, int depth, bool quoted) {
    switch (proto) {
      case kProtoTcp:
        Tcp(ip, off, quoted);
        return;
      case kProtoUdp:
        Udp(ip, off);
        return;
      case kProtoIcmp:
        Icmp4(ip, off, depth, quoted);
        return;
      case kProtoIcmpv6:
        Icmp6(ip, off, depth, quoted);
        return;
      case kProtoIpIp:
      case kProtoIpv6:
        if (!quoted && depth < kMaxDepth)
          InnerIp(off, proto == kProtoIpv6, ip.lim, depth + 1, false);
        return;
      case kProtoGre:
        if (!quoted) Gre(ip, off, depth);
        return;
      default:
        return;  // not understood: only the IP header(s)
    }
  }

  void Tcp(const Ip& ip, uint32_t off, bool quoted) {
    const uint32_t avail = Avail(off, ip.lim);
    if (quoted) {  // ports and sequence number
      KeepTo(off + Min(avail, 8));
      return;
    }
    if (avail < 20) {  // only whole fields before the checksum
      KeepTo(off + Min(avail, 16));
      return;
    }
    const uint32_t doff = (in_[off + 12] >> 4) * 4u;
    if (doff < 20) {
      KeepTo(off + 16);
      return;
    }
    if (avail < doff) {  // options cut
      KeepTo(off + 20);
      L4Checksum(ip, off, off + 16, Csum::kTcp);
      return;
    }
    KeepTo(off + doff);
    CleanTcpOptions(off + 20, off + doff);
    L4Checksum(ip, off, off + 16, Csum::kTcp);
  }

  void CleanTcpOptions(uint32_t a, uint32_t b) {
    switch (pol_.tcp_options) {
      case anon::TcpOptions::kKeep:
        return;
      case anon::TcpOptions::kStrip:
        Fill(a, b - a, kTcpOptNop);
        return;
      case anon::TcpOptions::kNormalize:
        break;
    }
    uint32_t o = a;
    while (o < b) {
      const uint8_t kind = in_[o];
      if (kind == 0) {  // EOL: the rest is padding
        Fill(o + 1, b - o - 1, 0);
        return;
      }
      if (kind == kTcpOptNop) {
        ++o;
        continue;
      }
      if (b - o < 2 || in_[o + 1] < 2 || in_[o + 1] > b - o) {
        Fill(o, b - o, kTcpOptNop);
        return;
      }
      const uint32_t len = in_[o + 1];
      const bool keep = (kind == 2 && len == 4) ||  // MSS
                        (kind == 3 && len == 3) ||  // window scale
                        (kind == 4 && len == 2);    // SACK permitted
      if (!keep) Fill(o, len, kTcpOptNop);
      o += len;
    }
  }

  void Udp(const Ip& ip, uint32_t off) {
    const uint32_t avail = Avail(off, ip.lim);
    if (avail < 8) {
      KeepTo(off + Min(avail, 6));
      return;
    }
    KeepTo(off + 8);
    L4Checksum(ip, off, off + 6, Csum::kUdp);
  }

  void Icmp4(const Ip& ip, uint32_t off, int depth, bool quoted) {
    const uint32_t avail = Avail(off, ip.lim);
    if (avail < 4) {
      KeepTo(off + Min(avail, 2));
      return;
    }
    const uint8_t type = in_[off];
    if (avail < 8 || !KnownIcmp4(type)) {
      KeepTo(off + 4);
      L4Checksum(ip, off, off + 2, Csum::kIcmp4);
      return;
    }
    KeepTo(off + 8);
    if (type == 5) Map4(off + 4);  // redirect: gateway address
    if (!quoted && IsIcmp4Error(type) && depth < kMaxDepth) {
      InnerIp(off + 8, /*v6=*/false, ip.lim, depth + 1, /*quoted=*/true);
    }
    L4Checksum(ip, off, off + 2, Csum::kIcmp4);
  }

  void Icmp6(const Ip& ip, uint32_t off, int depth, bool quoted) {
    const uint32_t avail = Avail(off, ip.lim);
    if (avail < 4) {
      KeepTo(off + Min(avail, 2));
      return;
    }
    const uint8_t type = in_[off];
    uint32_t fixed = Icmp6Fixed(type);
    if (quoted && fixed > 8) fixed = 8;
    if (avail < fixed) fixed = fixed >= 8 && avail >= 8 ? 8 : 4;
    KeepTo(off + fixed);
    if (fixed >= 24 && (type == 135 || type == 136 || type == 137)) Map6(off + 8);  // target
    if (fixed >= 40 && type == 137) Map6(off + 24);  // redirect destination
    if (!quoted && fixed == Icmp6Fixed(type)) {
      if (type >= 1 && type <= 4 && depth < kMaxDepth) {
        InnerIp(off + 8, /*v6=*/true, ip.lim, depth + 1, /*quoted=*/true);
      } else if (type >= 133 && type <= 137) {
        NdpOptions(ip, off + fixed);
      }
    }
    L4Checksum(ip, off, off + 2, Csum::kIcmp6);
  }

  void NdpOptions(const Ip& ip, uint32_t o) {
    while (Avail(o, ip.lim) >= 2) {
      const uint8_t type = in_[o];
      const uint32_t len = in_[o + 1] * 8u;
      if (len == 0 || Avail(o, ip.lim) < len) return;
      switch (type) {
        case 1:  // source link-layer address
        case 2:  // target link-layer address
          if (len != 8) return;
          KeepTo(o + 8);
          MapMac(o + 2);
          break;
        case 3: {  // prefix information: len(1) flags(1) lifetimes(8) res(4) prefix(16)
          const uint32_t plen = in_[o + 2];
          if (len != 32 || plen > 128) return;
          KeepTo(o + 32);
          Map6(o + 16);
          MaskPrefix(o + 16, plen);
          break;
        }
        case 5:  // MTU
          if (len != 8) return;
          KeepTo(o + 8);
          break;
        case 25:  // RDNSS: reserved(2) lifetime(4) addresses
          if (len < 24 || (len - 8) % 16 != 0) return;
          KeepTo(o + len);
          for (uint32_t a = o + 8; a < o + len; a += 16) Map6(a);
          break;
        default:
          return;  // not understood: the option list ends here
      }
      o += len;
    }
  }

  // Zeroes the bits of the 16-byte prefix at off past plen (<= 128).
  void MaskPrefix(uint32_t off, uint32_t plen) {
    uint32_t byte = plen / 8;
    if (plen % 8) {
      out_[off + byte] &= static_cast<uint8_t>(0xFF << (8 - plen % 8));
      ++byte;
    }
    Fill(off + byte, 16 - byte, 0);
  }

  void Gre(const Ip& ip, uint32_t off, int depth) {
    const uint32_t avail = Avail(off, ip.lim);
    if (avail < 4) {
      KeepTo(off + avail);
      return;
    }
    const uint8_t flags = in_[off];
    const uint8_t ver = in_[off + 1] & 0x07;
    const uint16_t proto = Load16(in_ + off + 2);
    const bool c = flags & 0x80, r = flags & 0x40, k = flags & 0x20, s = flags & 0x10;
    if (ver == 0 && !r) {
      // RFC 2784/2890: checksum+reserved (C), key (K), sequence (S).
      const uint32_t len = 4 + (c ? 4 : 0) + (k ? 4 : 0) + (s ? 4 : 0);
      if (avail < len) {
        KeepTo(off + 4);
        return;
      }
      KeepTo(off + len);
      if (depth < kMaxDepth && (proto == 0x0800 || proto == 0x86DD)) {
        InnerIp(off + len, proto == 0x86DD, ip.lim, depth + 1, false);
      }
      if (c) L4Checksum(ip, off, off + 4, Csum::kGre);
      return;
    }
    if (ver == 1 && !c && !r && k) {
      // RFC 2637 (PPTP): payload length + call id (K), sequence (S),
      // acknowledgment (A, high bit of the second byte). PPP payload cut.
      const bool a = in_[off + 1] & 0x80;
      const uint32_t len = 8 + (s ? 4 : 0) + (a ? 4 : 0);
      KeepTo(off + (avail < len ? 4 : len));
      return;
    }
    KeepTo(off + 4);  // not understood: flags and protocol only
  }

  // Applies the checksum rule of packet_transform.h to the checksum at
  // csum_off of the message starting at `start` (its kept part ends at kept_).
  void L4Checksum(const Ip& ip, uint32_t start, uint32_t csum_off, Csum kind) {
    if (csum_off + 2 > kept_) return;
    const uint32_t end = kept_;
    const bool pseudo = kind == Csum::kTcp || kind == Csum::kUdp || kind == Csum::kIcmp6;
    const uint32_t alen = ip.alen();
    const uint32_t head = csum_off - start;  // even for every kind
    const uint32_t tail = end - (csum_off + 2);
    bool changed = std::memcmp(in_ + start, out_ + start, head) != 0 ||
                   std::memcmp(in_ + csum_off + 2, out_ + csum_off + 2, tail) != 0;
    if (pseudo && !changed) {
      changed = std::memcmp(in_ + ip.psrc, out_ + ip.psrc, alen) != 0 ||
                std::memcmp(in_ + ip.pdst, out_ + ip.pdst, alen) != 0;
    }
    if (!changed) return;  // rule 1
    const uint16_t old = Load16(in_ + csum_off);
    if (kind == Csum::kUdp && old == 0) return;  // "no checksum" stays
    if (!ip.full) {                              // rule 3
      Store16(out_ + csum_off, 0);
      ++st_->checksums_zeroed;
      return;
    }
    auto sum = [&](const uint8_t* b) {  // rule 2
      uint64_t s = ChecksumAdd(b + start, head);
      s = ChecksumAdd(b + csum_off + 2, tail, s);
      if (pseudo) {
        s = ChecksumAdd(b + ip.psrc, alen, s);
        s = ChecksumAdd(b + ip.pdst, alen, s);
      }
      return ChecksumFold(s);
    };
    uint16_t c = ChecksumUpdate(old, sum(in_), sum(out_));
    if (kind == Csum::kUdp && c == 0) c = 0xFFFF;
    Store16(out_ + csum_off, c);
    ++st_->checksums_updated;
  }

  const LevelPolicy& pol_;
  AddressMapper* mapper_;
  TransformStats* st_;
  const uint8_t* in_;
  uint32_t caplen_;
  uint32_t wirelen_;
  uint8_t* out_;
  uint32_t kept_ = 0;
};

}  // namespace

PacketTransform::PacketTransform(const LevelPolicy& policy, AddressMapper* mapper)
    : policy_(policy), mapper_(mapper) {
  if (policy_.needs_mapper() && mapper_ == nullptr) {
    std::fprintf(stderr, "PacketTransform: policy scrambles addresses but no mapper given\n");
    std::abort();
  }
}

bool PacketTransform::Apply(const PacketRef& in, const DecodedPacket& d, ByteBuffer* out_bytes,
                            uint32_t* out_wirelen) {
  ++stats_.packets;
  stats_.bytes_in += in.caplen;
  out_bytes->clear();
  const uint32_t caplen = in.data ? in.caplen : 0;
  uint32_t n = 0;
  if (policy_.is_identity()) {
    out_bytes->Append(in.data, caplen);
    n = caplen;
  } else if (caplen > 0) {
    Run run(policy_, mapper_, &stats_, in.data, caplen, in.wirelen > caplen ? in.wirelen : caplen,
            out_bytes->Grow(caplen));
    run.Packet(in, d);
    if (!policy_.scrub_payload && run.kept() > 0) run.KeepTo(caplen);
    n = run.kept();
    out_bytes->Truncate(n);
  }
  *out_wirelen = in.wirelen > n ? in.wirelen : n;
  if (n == 0 && !policy_.is_identity()) {
    ++stats_.dropped;
    return false;
  }
  stats_.bytes_out += n;
  return true;
}

}  // namespace trove::anon
