#pragma once
// pcapng encoding (draft-ietf-opsawg-pcapng) for trove segments, and a
// bounds-checked block parser used to read them back (fsck, salvage,
// rebuild, failover re-feed). Segments are written in host byte order with
// if_tsresol = 9 (nanoseconds), so tcpdump, tshark and any libpcap >= 1.5
// program reads them at full precision.
//
// Writers append whole blocks to a ByteBuffer; they never fail. The parser
// never reads outside the span it is given and reports the byte offset of
// the first incomplete or malformed block.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/byte_buffer.h"
#include "util/status.h"

namespace trove {

inline constexpr uint32_t kBlockSHB = 0x0A0D0D0A;
inline constexpr uint32_t kBlockIDB = 0x00000001;
inline constexpr uint32_t kBlockPB = 0x00000002;  // obsolete Packet Block (read only)
inline constexpr uint32_t kBlockSPB = 0x00000003;
inline constexpr uint32_t kBlockISB = 0x00000005;
inline constexpr uint32_t kBlockEPB = 0x00000006;
inline constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
inline constexpr uint32_t kEpbOverhead = 32;  // EPB header + trailer without options

// The fixed fields of an Enhanced Packet Block (or, epb false, the obsolete
// Packet Block with its 16-bit interface id) that starts at `b` and is
// `blen` >= kEpbOverhead bytes long, in the section's byte order (`swap`).
// The one parse of a packet block: the streaming parser and the segment
// reader's random access both use it. Returns "" or what is wrong.
struct PacketBlockFields {
  uint32_t interface_id = 0;
  uint64_t ticks = 0;  // in the interface's if_tsresol (PcapngTicksToNs)
  uint32_t caplen = 0, wirelen = 0;
  const uint8_t* data = nullptr;
};
std::string ParsePacketBlockFields(const uint8_t* b, uint32_t blen, bool swap, bool epb,
                                   PacketBlockFields* out);

struct SectionInfo {
  std::string hardware;                 // shb_hardware
  std::string os;                       // shb_os
  std::string userappl;                 // shb_userappl, e.g. "trove 0.1.0"
  std::vector<std::string> comments;    // opt_comment, one per entry
};

struct InterfaceInfo {
  uint16_t linktype = 0;
  uint32_t snaplen = 0;                 // as written in the IDB (0 = unlimited)
  std::string name;                     // if_name
  std::string description;              // if_description
  std::string filter;                   // if_filter (type 0: libpcap string)
  uint8_t tsresol = 9;                  // if_tsresol (9 = ns); parser reports what it read
  int64_t tsoffset_s = 0;               // if_tsoffset (parser only; writers never write it)
  std::vector<std::string> comments;
};

struct InterfaceStats {
  uint32_t interface_id = 0;
  int64_t timestamp_ns = 0;             // block timestamp
  int64_t start_ns = 0;                 // isb_starttime
  int64_t end_ns = 0;                   // isb_endtime
  uint64_t ifrecv = 0;                  // isb_ifrecv: packets received
  uint64_t ifdrop = 0;                  // isb_ifdrop: kernel/interface drops
  uint64_t osdrop = 0;                  // isb_osdrop: trove ring + store drops
  uint64_t usrdeliv = 0;                // isb_usrdeliv: packets stored
  std::vector<std::string> comments;
};

void AppendSectionHeader(ByteBuffer* out, const SectionInfo& s);
void AppendInterfaceDescription(ByteBuffer* out, const InterfaceInfo& i);
void AppendInterfaceStatistics(ByteBuffer* out, const InterfaceStats& st);
// Hot path: one EPB, no options, timestamp in ns (if_tsresol 9).
void AppendEnhancedPacket(ByteBuffer* out, uint32_t interface_id, int64_t ts_ns, uint32_t caplen,
                          uint32_t wirelen, const uint8_t* data);

// One packet as the parser reports it. `data` points into the parsed span.
struct PcapngPacket {
  uint32_t interface_id = 0;
  uint16_t linktype = 0;                // the interface's link type
  int64_t ts_ns = 0;                    // converted from the interface's tsresol
  uint32_t caplen = 0;
  uint32_t wirelen = 0;
  const uint8_t* data = nullptr;
  uint64_t block_offset = 0;            // offset of the EPB/SPB in the span
};

// Receives blocks in file order. Return false from any callback to stop.
struct PcapngVisitor {
  std::function<bool(const SectionInfo&, uint64_t offset)> on_section;
  std::function<bool(const InterfaceInfo&, uint64_t offset)> on_interface;
  std::function<bool(const PcapngPacket&)> on_packet;
  std::function<bool(const InterfaceStats&, uint64_t offset)> on_stats;
};

struct PcapngParseResult {
  uint64_t complete_bytes = 0;   // end offset of the last complete, valid block
  bool truncated = false;        // span ended inside a block
  bool stopped = false;          // a callback returned false
  Status error;                  // malformed block (names the offset), else ok
};

// Parses a whole pcapng span. Handles both byte orders and multiple
// sections; interface ids are per section as the format defines. Packet
// blocks: EPB, SPB (time 0, interface 0) and the obsolete PB. A packet
// whose time is outside the int64 ns range is a malformed block (error at
// its offset); statistics (ISB) times saturate instead.
PcapngParseResult ParsePcapng(const uint8_t* data, size_t len, const PcapngVisitor& v);

// The same parser, resumable: each Parse() continues at offset() (the end of
// the last block it consumed, including one whose callback returned false)
// with the section and interface state of the blocks before it. Pass the
// same span each time (it may have grown). After an error every call
// returns that error. Not thread-safe; owns no bytes.
class PcapngParser {
 public:
  PcapngParseResult Parse(const uint8_t* data, size_t len, const PcapngVisitor& v);
  uint64_t offset() const { return off_; }
  // Interfaces of the current section, by interface id.
  const std::vector<InterfaceInfo>& interfaces() const { return ifaces_; }

 private:
  PcapngParseResult ParseBlocks(const uint8_t* data, size_t len, const PcapngVisitor& v);
  bool in_section_ = false;
  bool swap_ = false;
  std::vector<InterfaceInfo> ifaces_;
  uint64_t off_ = 0;
  Status error_;
};

// A block timestamp in units of if_tsresol plus if_tsoffset seconds, as ns
// since the epoch, exactly (rounded toward zero). False when the time does
// not fit in int64 ns (before 1677 or after 2262).
bool PcapngTicksToNs(uint64_t ticks, uint8_t tsresol, int64_t tsoffset_s, int64_t* ns);

}  // namespace trove
