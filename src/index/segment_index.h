#pragma once
// SegmentIndex: the in-memory form of one segment's index (the NAME.idx
// sidecar, docs/FORMAT.md). It is a plain value: per-connection records,
// per-address and per-port postings and a time→offset map. Built by
// SegmentIndexBuilder while the segment is written (or from the file by
// BuildIndexFromSegment), encoded/decoded by index_codec.h. Immutable once
// built; safe to share between threads for reading.
//
// Every stored packet belongs to exactly one record: IP packets to the
// record of their FlowKey and tag stack (a flow seen with and without a
// VLAN tag, e.g. on both sides of a trunk, has two records); untagged ARP and other non-IP ethertypes to one
// record with kNonIp set (libpcap's `host`/`net` also match ARP and RARP,
// so those are "maybe" there; ports and IP protocols are false), and other
// untagged non-IP ethertypes and LLC frames to one with kNonIp and kNoArp
// (everything false); packets we could not decode to one record with
// kNonIp and kUncertain. Non-first IPv4 fragments have records of their own
// (FlowKind::kFragment: addresses and IP id, no protocol, no ports). A record is kUncertain
// when one of its packets was decoded in a way libpcap's filter code may
// see differently (IPv6 extension headers and fragments, malformed headers,
// SCTP, LLC/SNAP encapsulation, headers cut before the transport header's
// first 4 bytes, tags other than 802.1Q/802.1ad/0x9100 VLAN tags and
// unicast MPLS labels on Ethernet, or packets of one record with different
// tag stacks); the planner never narrows on such records, so query answers
// stay exact. A packet cut after the first 4 bytes of its transport header
// (e.g. the 64-byte header cut past the cutoff, inside TCP options) keeps
// its record certain: every byte libpcap's host/net/port/proto tests read
// is stored, and a test reading past the stored bytes makes libpcap reject
// the packet whatever the rest of the expression says. The tag stack every
// packet of an IP record carries (VLAN tags, then MPLS labels) is kept in
// the record flags (see IsUncertainForFilters in index_builder.h).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "packet/flow_key.h"

namespace trove {

struct ConnRecord {
  enum Flags : uint8_t {
    kOrigIsHi = 1,   // the first packet travelled hi -> lo
    kUncertain = 2,  // see above: planner treats every predicate as "maybe"
    kNonIp = 4,      // the record of packets without an IP layer
    kCut = 8,        // a stored packet was past the connection's cutoff
    // kNonIp records only (which carry no tag stack): no ARP/RARP packet in
    // it, so libpcap's `host`/`net` are false on all of them as well.
    kNoArp = 16,
  };
  // Bits 4-5: the number of VLAN tags (0-3), bits 6-7: the number of MPLS
  // labels (0-3) on every packet of a certain IP record (Ethernet only).
  static constexpr int kVlanShift = 4, kMplsShift = 6;
  static constexpr uint8_t kTagMask = 0xf0;
  static constexpr int kMaxTagDepth = 3;
  static constexpr uint8_t TagBits(int vlans, int mpls) {
    return static_cast<uint8_t>(vlans << kVlanShift | mpls << kMplsShift);
  }
  FlowKey key;
  int64_t first_ts_ns = 0;
  int64_t last_ts_ns = 0;
  uint64_t packets[2] = {0, 0};   // [0] lo -> hi, [1] hi -> lo
  uint64_t bytes[2] = {0, 0};     // captured (stored) bytes, same directions
  // The connection as seen on the wire, same directions (format v4; older
  // files: wire_packets/wire_bytes = the stored counts, ip_bytes 0). Every
  // packet of the record's key that reached the writer loop while this
  // segment was the open segment of its class stream: stored whole,
  // shortened by the cutoff or the class snaplen, or dropped past the
  // cutoff (SegmentObserver::OnPacketNotStored). wire_bytes: the frame's
  // original length (pcap "len"); ip_bytes: as Zeek's orig_ip_bytes (IPv4
  // total length, IPv6 payload length + 40). A record may hold wire
  // packets but no stored packet (all of them dropped).
  uint64_t wire_packets[2] = {0, 0};
  uint64_t wire_bytes[2] = {0, 0};
  uint64_t ip_bytes[2] = {0, 0};
  uint8_t tcp_flags[2] = {0, 0};  // OR of TCP flags per direction
  uint8_t flags = 0;
  std::vector<uint64_t> offsets;  // EPB offsets in the segment, ascending
  // Decoded with IndexDecodeOptions::defer_offsets: `offsets` is empty and
  // the encoded offsets start at this byte of SegmentIndex::deferred
  // (RecordOffsets() in index_codec.h decodes them).
  uint64_t offsets_at = 0;
  uint64_t offsets_bytes = 0;  // their encoded length (format v2; 0 in v1)

  bool has(Flags f) const { return (flags & f) != 0; }
  int vlan_depth() const { return (flags >> kVlanShift) & 3; }
  int mpls_depth() const { return (flags >> kMplsShift) & 3; }
  uint64_t total_packets() const { return packets[0] + packets[1]; }
  uint64_t total_bytes() const { return bytes[0] + bytes[1]; }
};

// A posting list: the records (indices into SegmentIndex::conns, ascending)
// that have an address or a port.
struct AddressPosting {
  uint8_t ip_version = 0;  // 4 or 6
  uint8_t addr[16] = {};   // IPv4 as v4-mapped, like FlowKey
  std::vector<uint32_t> conns;
};
struct PortPosting {
  uint16_t port = 0;  // TCP/UDP port (either end)
  std::vector<uint32_t> conns;
};

// One entry per block of consecutive packets in file order: the block's
// first offset and the min/max timestamp inside it (timestamps inside a
// segment need not be monotonic, so both bounds are kept).
struct TimeBlock {
  uint64_t offset = 0;
  int64_t min_ts_ns = 0;
  int64_t max_ts_ns = 0;
  uint32_t packets = 0;
};

struct SegmentIndex {
  std::string segment_name;
  uint16_t linktype = 0;
  uint64_t segment_bytes = 0;  // size of the indexed segment file (0: open segment)
  uint64_t packets = 0;
  int64_t first_ts_ns = 0;
  int64_t last_ts_ns = 0;
  // Timestamps never decrease in file order (a k-way merge may then use
  // each packet's own timestamp; see query/query_runner.h).
  bool monotonic = true;
  // The file format version it was decoded from (0: built in memory).
  uint32_t decoded_version = 0;
  std::vector<ConnRecord> conns;
  std::vector<AddressPosting> addresses;  // sorted by (ip_version, addr)
  std::vector<PortPosting> ports;         // sorted by port
  std::vector<TimeBlock> time_map;        // in file order

  // Set when decoded with deferred offsets: the encoded file (kept alive by
  // `owner`, e.g. its memory map) and its path for error messages.
  struct Deferred {
    std::shared_ptr<const void> owner;
    const uint8_t* data = nullptr;
    size_t len = 0;
    std::string path;
  };
  std::shared_ptr<const Deferred> deferred;

  // Postings lookups (binary search); nullptr when absent.
  const AddressPosting* FindAddress(uint8_t ip_version, const uint8_t addr[16]) const;
  const PortPosting* FindPort(uint16_t port) const;
};

inline constexpr uint32_t kTimeBlockPackets = 1024;

}  // namespace trove
