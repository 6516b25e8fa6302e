#include "segment/pcapng_format.h"

#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>

// pcapng writer and bounds-checked parser. Block layouts and option codes
// follow draft-ietf-opsawg-pcapng (sections 4.1 SHB, 4.2 IDB, 4.3 EPB,
// 4.4 SPB, 4.6 ISB; 3.5 options).
//
// Parser safety argument: every read goes through LoadU16/32/64 at an
// offset that was checked against the current block's total length, and a
// block's total length is checked against the bytes left in the span before
// anything inside it is read. All offset arithmetic is done in size_t on
// values bounded by the span length (or by a 32-bit block length), so it
// cannot wrap.
//
// Semantics beyond the header:
// - Writers store negative ns timestamps as 0 (pcapng timestamps are
//   unsigned). The ISB always carries all six counters/times, so its size
//   depends only on its comments. Strings longer than an option can hold
//   (65535 bytes) are clipped at a UTF-8 character boundary.
// - The parser reports if_tsresol 6 when the option is absent (spec
//   default), applies if_tsoffset (as libpcap and Wireshark do), and
//   converts ticks exactly (128-bit), saturating to the int64 range.
// - On a Corruption error complete_bytes still marks the end of the last
//   good block, so salvage can keep that prefix. Fewer than 4 bytes at the
//   start cannot be classified and count as truncated.

namespace trove {
namespace {

// ---------------------------------------------------------------- options
constexpr uint16_t kOptEndOfOpt = 0;
constexpr uint16_t kOptComment = 1;
constexpr uint16_t kShbHardware = 2;
constexpr uint16_t kShbOs = 3;
constexpr uint16_t kShbUserAppl = 4;
constexpr uint16_t kIfName = 2;
constexpr uint16_t kIfDescription = 3;
constexpr uint16_t kIfTsresol = 9;
constexpr uint16_t kIfFilter = 11;
constexpr uint16_t kIfTsoffset = 14;
constexpr uint16_t kIsbStartTime = 2;
constexpr uint16_t kIsbEndTime = 3;
constexpr uint16_t kIsbIfRecv = 4;
constexpr uint16_t kIsbIfDrop = 5;
constexpr uint16_t kIsbOsDrop = 7;
constexpr uint16_t kIsbUsrDeliv = 8;

constexpr size_t kMaxOptionValue = 0xFFFF;  // option length is a u16

// Fixed sizes (type + length + body fields + trailing length).
constexpr uint32_t kShbMinLen = 28;
constexpr uint32_t kIdbMinLen = 20;
constexpr uint32_t kSpbMinLen = 16;
constexpr uint32_t kIsbMinLen = 24;
constexpr uint32_t kEpbMinLen = kEpbOverhead;  // 32
// Largest caplen whose EPB total length still fits in 32 bits.
constexpr uint32_t kMaxEpbCaplen = (0xFFFFFFFFu - kEpbOverhead) & ~3u;

constexpr size_t Pad4(size_t n) { return (n + 3) & ~size_t{3}; }

// Clips s to at most max bytes without splitting a UTF-8 sequence.
std::string_view Clip(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// Appends one block in host byte order: Begin in the constructor, body and
// options through the members, Finish() writes opt_endofopt (only if any
// option was written), the trailing length and patches the leading one.
class BlockWriter {
 public:
  BlockWriter(ByteBuffer* out, uint32_t type) : out_(out), start_(out->size()) {
    out_->AppendU32(type);
    out_->AppendU32(0);  // patched by Finish()
  }

  void U16(uint16_t v) { out_->AppendU16(v); }
  void U32(uint32_t v) { out_->AppendU32(v); }
  void U64(uint64_t v) { out_->AppendU64(v); }

  // Option header + value (value_len bytes from up to two parts) + padding.
  void Option(uint16_t code, const void* a, size_t alen, const void* b = nullptr, size_t blen = 0) {
    const size_t n = alen + blen;  // callers keep n <= kMaxOptionValue
    out_->AppendU16(code);
    out_->AppendU16(static_cast<uint16_t>(n));
    out_->Append(a, alen);
    out_->Append(b, blen);
    ZeroPad(Pad4(n) - n);
    has_options_ = true;
  }
  void StringOption(uint16_t code, std::string_view s) {
    if (s.empty()) return;
    s = Clip(s, kMaxOptionValue);
    Option(code, s.data(), s.size());
  }
  void U64Option(uint16_t code, uint64_t v) { Option(code, &v, 8); }
  // Timestamp option: high 32 bits then low 32 bits, like the EPB fields.
  void TimestampOption(uint16_t code, uint64_t ticks) {
    const uint32_t hl[2] = {static_cast<uint32_t>(ticks >> 32), static_cast<uint32_t>(ticks)};
    Option(code, hl, sizeof hl);
  }
  void Comments(const std::vector<std::string>& comments) {
    for (const std::string& c : comments) StringOption(kOptComment, c);
  }

  void Finish() {
    if (has_options_) out_->AppendU32(0);  // opt_endofopt, length 0
    const uint32_t total = static_cast<uint32_t>(out_->size() - start_ + 4);
    out_->AppendU32(total);
    std::memcpy(out_->data() + start_ + 4, &total, 4);
  }

 private:
  void ZeroPad(size_t n) {
    static constexpr uint8_t kZero[4] = {0, 0, 0, 0};
    out_->Append(kZero, n);
  }

  ByteBuffer* out_;
  size_t start_;
  bool has_options_ = false;
};

inline void Store32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

uint64_t NsToTicks(int64_t ns) { return ns < 0 ? 0 : static_cast<uint64_t>(ns); }

// ---------------------------------------------------------------- parsing
inline uint16_t LoadU16(const uint8_t* p, bool swap) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return swap ? static_cast<uint16_t>((v >> 8) | (v << 8)) : v;
}
inline uint32_t LoadU32(const uint8_t* p, bool swap) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}
inline uint64_t LoadU64(const uint8_t* p, bool swap) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return swap ? __builtin_bswap64(v) : v;
}
// Two 32-bit words, high first (EPB/ISB timestamp layout).
inline uint64_t LoadTicks(const uint8_t* p, bool swap) {
  return (static_cast<uint64_t>(LoadU32(p, swap)) << 32) | LoadU32(p + 4, swap);
}

}  // namespace

std::string ParsePacketBlockFields(const uint8_t* b, uint32_t blen, bool swap, bool epb,
                                   PacketBlockFields* out) {
  out->interface_id = epb ? LoadU32(b + 8, swap) : LoadU16(b + 8, swap);
  out->ticks = LoadTicks(b + 12, swap);
  out->caplen = LoadU32(b + 20, swap);
  out->wirelen = LoadU32(b + 24, swap);
  out->data = b + 28;
  if (out->caplen > blen - kEpbOverhead)
    return "captured length " + std::to_string(out->caplen) + " exceeds the " +
           std::to_string(blen - kEpbOverhead) + " bytes of packet data room";
  return "";
}

namespace {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

constexpr uint64_t kPow10[20] = {1ULL,
                                 10ULL,
                                 100ULL,
                                 1000ULL,
                                 10000ULL,
                                 100000ULL,
                                 1000000ULL,
                                 10000000ULL,
                                 100000000ULL,
                                 1000000000ULL,
                                 10000000000ULL,
                                 100000000000ULL,
                                 1000000000000ULL,
                                 10000000000000ULL,
                                 100000000000000ULL,
                                 1000000000000000ULL,
                                 10000000000000000ULL,
                                 100000000000000000ULL,
                                 1000000000000000000ULL,
                                 10000000000000000000ULL};

// The exact time floor(ticks * 1e9 / units_per_second) + tsoffset * 1e9 in
// ns; it always fits in 128 bits.
Int128 TicksToNs128(uint64_t ticks, uint8_t tsresol, int64_t tsoffset_s) {
  UInt128 ns;
  const unsigned r = tsresol;
  if (r & 0x80) {  // units of 2^-e seconds; ticks * 1e9 < 2^94, e <= 127
    ns = (static_cast<UInt128>(ticks) * 1000000000u) >> (r & 0x7F);
  } else if (r <= 9) {
    ns = static_cast<UInt128>(ticks) * kPow10[9 - r];
  } else if (r - 9 < 20) {
    ns = ticks / kPow10[r - 9];
  } else {
    ns = 0;  // 10^(r-9) > 2^64 > ticks
  }
  return static_cast<Int128>(ns) + static_cast<Int128>(tsoffset_s) * 1000000000;
}

// Statistics times (ISB) are metadata, not packets: they saturate.
int64_t TicksToNsSaturated(uint64_t ticks, const InterfaceInfo& f) {
  const Int128 t = TicksToNs128(ticks, f.tsresol, f.tsoffset_s);
  if (t > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (t < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(t);
}

}  // namespace

bool PcapngTicksToNs(uint64_t ticks, uint8_t tsresol, int64_t tsoffset_s, int64_t* ns) {
  if (tsresol == 9 && tsoffset_s == 0 &&
      ticks <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    *ns = static_cast<int64_t>(ticks);  // trove's own files: the fast path
    return true;
  }
  const Int128 t = TicksToNs128(ticks, tsresol, tsoffset_s);
  if (t > std::numeric_limits<int64_t>::max() || t < std::numeric_limits<int64_t>::min())
    return false;
  *ns = static_cast<int64_t>(t);
  return true;
}

namespace {

Status BlockError(uint64_t offset, const std::string& what) {
  return Status::Corruption("pcapng block at offset " + std::to_string(offset) + ": " + what);
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Walks the options in [p, p + n) (n is a multiple of 4 for every caller).
// Calls f(code, value, length) for each option before opt_endofopt. Returns
// an empty string, or what is wrong (an option running past the block).
template <class F>
std::string ForEachOption(const uint8_t* p, size_t n, bool swap, F&& f) {
  size_t i = 0;
  while (n - i >= 4) {
    const uint16_t code = LoadU16(p + i, swap);
    const uint16_t olen = LoadU16(p + i + 2, swap);
    if (code == kOptEndOfOpt) break;
    if (Pad4(olen) > n - i - 4) {
      return "option " + std::to_string(code) + " of length " + std::to_string(olen) +
             " runs past the end of the block";
    }
    f(code, p + i + 4, static_cast<size_t>(olen));
    i += 4 + Pad4(olen);
  }
  return {};
}

struct NoOption {
  void operator()(uint16_t, const uint8_t*, size_t) const {}
};

std::string Str(const uint8_t* v, size_t n) {
  return std::string(reinterpret_cast<const char*>(v), n);
}

}  // namespace

// =============================================================== writers

void AppendSectionHeader(ByteBuffer* out, const SectionInfo& s) {
  BlockWriter b(out, kBlockSHB);
  b.U32(kByteOrderMagic);
  b.U16(1);                      // major
  b.U16(0);                      // minor
  b.U64(0xFFFFFFFFFFFFFFFFULL);  // section length: not specified
  b.StringOption(kShbHardware, s.hardware);
  b.StringOption(kShbOs, s.os);
  b.StringOption(kShbUserAppl, s.userappl);
  b.Comments(s.comments);
  b.Finish();
}

void AppendInterfaceDescription(ByteBuffer* out, const InterfaceInfo& i) {
  BlockWriter b(out, kBlockIDB);
  b.U16(i.linktype);
  b.U16(0);  // reserved
  b.U32(i.snaplen);
  b.StringOption(kIfName, i.name);
  b.StringOption(kIfDescription, i.description);
  b.Option(kIfTsresol, &i.tsresol, 1);
  if (!i.filter.empty()) {
    const uint8_t kind = 0;  // libpcap filter string
    const std::string_view f = Clip(i.filter, kMaxOptionValue - 1);
    b.Option(kIfFilter, &kind, 1, f.data(), f.size());
  }
  b.Comments(i.comments);
  b.Finish();
}

void AppendInterfaceStatistics(ByteBuffer* out, const InterfaceStats& st) {
  BlockWriter b(out, kBlockISB);
  const uint64_t ts = NsToTicks(st.timestamp_ns);
  b.U32(st.interface_id);
  b.U32(static_cast<uint32_t>(ts >> 32));
  b.U32(static_cast<uint32_t>(ts));
  b.Comments(st.comments);
  // Every option is always written, so the block size depends only on the
  // comments (segment rotation reserves room for the trailer ISB up front).
  b.TimestampOption(kIsbStartTime, NsToTicks(st.start_ns));
  b.TimestampOption(kIsbEndTime, NsToTicks(st.end_ns));
  b.U64Option(kIsbIfRecv, st.ifrecv);
  b.U64Option(kIsbIfDrop, st.ifdrop);
  b.U64Option(kIsbOsDrop, st.osdrop);
  b.U64Option(kIsbUsrDeliv, st.usrdeliv);
  b.Finish();
}

void AppendEnhancedPacket(ByteBuffer* out, uint32_t interface_id, int64_t ts_ns, uint32_t caplen,
                          uint32_t wirelen, const uint8_t* data) {
  if (caplen > kMaxEpbCaplen) [[unlikely]] {
    caplen = kMaxEpbCaplen;  // cannot be represented; never happens with real snaplens
  }
  const uint64_t ts = NsToTicks(ts_ns);
  const uint32_t padded = (caplen + 3u) & ~3u;
  const uint32_t total = kEpbOverhead + padded;
  uint8_t* p = out->Grow(total);
  // Zero the last data word first (the padding); the header stores below
  // overwrite it when caplen == 0 and the data copy overwrites its front.
  // Fields are stored straight into the block (not via a stack array that
  // is then copied: that costs two store-forwarding stalls per packet).
  Store32(p + 24 + padded, 0);
  Store32(p, kBlockEPB);
  Store32(p + 4, total);
  Store32(p + 8, interface_id);
  Store32(p + 12, static_cast<uint32_t>(ts >> 32));
  Store32(p + 16, static_cast<uint32_t>(ts));
  Store32(p + 20, caplen);
  Store32(p + 24, wirelen);
  if (caplen != 0) std::memcpy(p + 28, data, caplen);
  Store32(p + 28 + padded, total);
}

// ================================================================ parser

PcapngParseResult ParsePcapng(const uint8_t* data, size_t len, const PcapngVisitor& v) {
  PcapngParser parser;
  return parser.Parse(data, len, v);
}

PcapngParseResult PcapngParser::Parse(const uint8_t* data, size_t len, const PcapngVisitor& v) {
  if (!error_.ok()) {
    PcapngParseResult r;
    r.complete_bytes = off_;
    r.error = error_;
    return r;
  }
  PcapngParseResult r = ParseBlocks(data, len, v);
  if (!r.error.ok()) error_ = r.error;
  return r;
}

PcapngParseResult PcapngParser::ParseBlocks(const uint8_t* data, size_t len,
                                            const PcapngVisitor& v) {
  PcapngParseResult r;
  r.complete_bytes = off_;
  if (data == nullptr) len = 0;
  bool& in_section = in_section_;
  bool& swap = swap_;  // byte order of the current section
  std::vector<InterfaceInfo>& ifaces = ifaces_;
  uint64_t& off = off_;

  while (off < len) {
    const uint8_t* b = data + off;
    const size_t avail = len - off;

    uint32_t type_raw = 0;
    if (avail >= 4) std::memcpy(&type_raw, b, 4);
    const bool is_shb = type_raw == kBlockSHB;  // palindromic: same in both orders
    if (!in_section && avail >= 4 && !is_shb) {
      r.error = BlockError(
          off, "first block is not a Section Header Block (type " + Hex32(type_raw) + ")");
      return r;
    }
    bool block_swap = swap;
    if (is_shb) {
      if (avail < 12) {
        r.truncated = true;
        break;
      }
      const uint32_t magic = LoadU32(b + 8, false);
      if (magic == kByteOrderMagic) {
        block_swap = false;
      } else if (magic == __builtin_bswap32(kByteOrderMagic)) {
        block_swap = true;
      } else {
        r.error = BlockError(off, "bad byte-order magic " + Hex32(magic));
        return r;
      }
    } else if (avail < 8) {
      r.truncated = true;
      break;
    }

    const uint32_t type = is_shb ? kBlockSHB : LoadU32(b, block_swap);
    const uint32_t blen = LoadU32(b + 4, block_swap);
    if (blen < 12) {
      r.error = BlockError(off, "block total length " + std::to_string(blen) + " < 12");
      return r;
    }
    if (blen % 4 != 0) {
      r.error =
          BlockError(off, "block total length " + std::to_string(blen) + " is not a multiple of 4");
      return r;
    }
    if (blen > avail) {
      r.truncated = true;
      break;
    }
    const uint32_t trailing = LoadU32(b + blen - 4, block_swap);
    if (trailing != blen) {
      r.error = BlockError(off, "trailing block length " + std::to_string(trailing) +
                                    " != leading block length " + std::to_string(blen));
      return r;
    }
    const uint8_t* opt_end = b + blen - 4;  // options end where the trailer starts
    auto options = [&](uint32_t opt_start, auto&& f) -> bool {
      // opt_start <= blen - 4 is guaranteed by each block's minimum length.
      std::string why = ForEachOption(b + opt_start, static_cast<size_t>(opt_end - (b + opt_start)),
                                      block_swap, std::forward<decltype(f)>(f));
      if (why.empty()) return true;
      r.error = BlockError(off, why);
      return false;
    };
    auto too_short = [&](const char* what, uint32_t min) {
      r.error = BlockError(off, std::string(what) + " total length " + std::to_string(blen) +
                                    " < minimum " + std::to_string(min));
      return r;
    };
    auto check_iface = [&](const char* what, uint32_t id) -> bool {
      if (id < ifaces.size()) return true;
      r.error = BlockError(off, std::string(what) + " interface id " + std::to_string(id) +
                                    " but the section has " + std::to_string(ifaces.size()) +
                                    " interface(s)");
      return false;
    };
    const uint64_t block_end = off + blen;
    bool keep_going = true;

    switch (type) {
      case kBlockSHB: {
        if (blen < kShbMinLen) return too_short("section header block", kShbMinLen);
        const uint16_t major = LoadU16(b + 12, block_swap);
        const uint16_t minor = LoadU16(b + 14, block_swap);
        if (major != 1) {
          r.error = BlockError(off, "unsupported pcapng version " + std::to_string(major) + "." +
                                        std::to_string(minor));
          return r;
        }
        SectionInfo s;
        if (!options(24, [&](uint16_t code, const uint8_t* val, size_t n) {
              switch (code) {
                case kOptComment:
                  s.comments.push_back(Str(val, n));
                  break;
                case kShbHardware:
                  s.hardware = Str(val, n);
                  break;
                case kShbOs:
                  s.os = Str(val, n);
                  break;
                case kShbUserAppl:
                  s.userappl = Str(val, n);
                  break;
                default:
                  break;
              }
            })) {
          return r;
        }
        in_section = true;
        swap = block_swap;
        ifaces.clear();
        r.complete_bytes = block_end;
        if (v.on_section) keep_going = v.on_section(s, off);
        break;
      }

      case kBlockIDB: {
        if (blen < kIdbMinLen) return too_short("interface description block", kIdbMinLen);
        InterfaceInfo info;
        info.linktype = LoadU16(b + 8, swap);
        info.snaplen = LoadU32(b + 12, swap);
        info.tsresol = 6;
        if (!options(16, [&](uint16_t code, const uint8_t* val, size_t n) {
              switch (code) {
                case kOptComment:
                  info.comments.push_back(Str(val, n));
                  break;
                case kIfName:
                  info.name = Str(val, n);
                  break;
                case kIfDescription:
                  info.description = Str(val, n);
                  break;
                case kIfTsresol:
                  if (n >= 1) info.tsresol = val[0];
                  break;
                case kIfFilter:
                  if (n >= 1 && val[0] == 0) info.filter = Str(val + 1, n - 1);
                  break;
                case kIfTsoffset:
                  if (n == 8) info.tsoffset_s = static_cast<int64_t>(LoadU64(val, swap));
                  break;
                default:
                  break;
              }
            })) {
          return r;
        }
        ifaces.push_back(info);
        r.complete_bytes = block_end;
        if (v.on_interface) keep_going = v.on_interface(info, off);
        break;
      }

      case kBlockEPB:
      case kBlockPB: {  // PB: the obsolete Packet Block (draft appendix), u16 interface id
        const bool epb = type == kBlockEPB;
        if (blen < kEpbMinLen)
          return too_short(epb ? "enhanced packet block" : "packet block", kEpbMinLen);
        PacketBlockFields fld;
        if (std::string why = ParsePacketBlockFields(b, blen, swap, epb, &fld); !why.empty()) {
          r.error = BlockError(off, why);
          return r;
        }
        PcapngPacket pkt;
        pkt.interface_id = fld.interface_id;
        const uint64_t ticks = fld.ticks;
        pkt.caplen = fld.caplen;
        pkt.wirelen = fld.wirelen;
        if (!check_iface(epb ? "enhanced packet block references" : "packet block references",
                         pkt.interface_id))
          return r;
        if (!options(static_cast<uint32_t>(28 + Pad4(pkt.caplen)), NoOption{})) return r;
        const InterfaceInfo& f = ifaces[pkt.interface_id];
        if (!PcapngTicksToNs(ticks, f.tsresol, f.tsoffset_s, &pkt.ts_ns)) {
          r.error = BlockError(off, "timestamp " + std::to_string(ticks) + " (if_tsresol " +
                                        std::to_string(f.tsresol) + ", if_tsoffset " +
                                        std::to_string(f.tsoffset_s) +
                                        " s) is outside the representable time range "
                                        "(1677-09-21 to 2262-04-11 in ns)");
          return r;
        }
        pkt.linktype = f.linktype;
        pkt.data = b + 28;
        pkt.block_offset = off;
        r.complete_bytes = block_end;
        if (v.on_packet) keep_going = v.on_packet(pkt);
        break;
      }

      case kBlockSPB: {
        if (blen < kSpbMinLen) return too_short("simple packet block", kSpbMinLen);
        if (!check_iface("simple packet block needs", 0)) return r;
        PcapngPacket pkt;
        pkt.wirelen = LoadU32(b + 8, swap);
        uint32_t cap = pkt.wirelen;
        const uint32_t snap = ifaces[0].snaplen;
        if (snap != 0 && cap > snap) cap = snap;
        if (cap > blen - kSpbMinLen) cap = blen - kSpbMinLen;
        pkt.caplen = cap;
        pkt.ts_ns = 0;
        pkt.linktype = ifaces[0].linktype;
        pkt.data = b + 12;
        pkt.block_offset = off;
        r.complete_bytes = block_end;
        if (v.on_packet) keep_going = v.on_packet(pkt);
        break;
      }

      case kBlockISB: {
        if (blen < kIsbMinLen) return too_short("interface statistics block", kIsbMinLen);
        InterfaceStats st;
        st.interface_id = LoadU32(b + 8, swap);
        if (!check_iface("interface statistics block references", st.interface_id)) return r;
        const InterfaceInfo& f = ifaces[st.interface_id];
        st.timestamp_ns = TicksToNsSaturated(LoadTicks(b + 12, swap), f);
        if (!options(20, [&](uint16_t code, const uint8_t* val, size_t n) {
              switch (code) {
                case kOptComment:
                  st.comments.push_back(Str(val, n));
                  break;
                case kIsbStartTime:
                  if (n == 8) st.start_ns = TicksToNsSaturated(LoadTicks(val, swap), f);
                  break;
                case kIsbEndTime:
                  if (n == 8) st.end_ns = TicksToNsSaturated(LoadTicks(val, swap), f);
                  break;
                case kIsbIfRecv:
                  if (n == 8) st.ifrecv = LoadU64(val, swap);
                  break;
                case kIsbIfDrop:
                  if (n == 8) st.ifdrop = LoadU64(val, swap);
                  break;
                case kIsbOsDrop:
                  if (n == 8) st.osdrop = LoadU64(val, swap);
                  break;
                case kIsbUsrDeliv:
                  if (n == 8) st.usrdeliv = LoadU64(val, swap);
                  break;
                default:
                  break;
              }
            })) {
          return r;
        }
        r.complete_bytes = block_end;
        if (v.on_stats) keep_going = v.on_stats(st, off);
        break;
      }

      default:  // NRB, DSB, custom, obsolete packet block, ...: skipped whole
        r.complete_bytes = block_end;
        break;
    }

    off = block_end;
    if (!keep_going) {
      r.stopped = true;
      return r;
    }
  }
  return r;
}

}  // namespace trove
