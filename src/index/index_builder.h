#pragma once
// SegmentIndexBuilder: accumulates the index of one segment from the
// packets as they are stored (offset of each EPB given by the writer), so
// closing a segment never re-reads it. Add() is O(1) amortised (one probe
// of its own table with the packet's precomputed flow hash); Snapshot()
// copies the current state into an immutable SegmentIndex with postings
// sorted (O(records + packets)). Not thread-safe: the owner
// (IndexingObserver) serialises Add and Snapshot.

#include <cstdint>
#include <string>
#include <vector>

#include "index/segment_index.h"
#include "packet/decoded.h"
#include "packet/flow_key.h"
#include "packet/packet.h"
#include "util/probe_slots.h"

namespace trove {

class SegmentIndexBuilder {
 public:
  SegmentIndexBuilder(std::string segment_name, uint16_t linktype);

  // One packet stored at `offset` (start of its EPB) of the segment.
  void Add(const PacketRef& p, const DecodedPacket& d, uint64_t offset);
  // One packet of the segment's stream that was not stored (dropped past
  // its cutoff): counted in its record's wire counts only (no offset, no
  // stored packet; the record's time range includes it).
  void AddNotStored(const PacketRef& p, const DecodedPacket& d);

  // The index of what was added so far. `segment_bytes` is recorded as the
  // indexed file size (0 while the segment is open).
  SegmentIndex Snapshot(uint64_t segment_bytes = 0) const;

  const std::string& segment_name() const { return name_; }
  uint64_t packets() const { return packets_; }
  // End of the last added EPB (offset + block length).
  uint64_t end_offset() const { return end_offset_; }
  // Heap bytes held (the vectors' capacities): what a queued builder costs.
  uint64_t MemoryBytes() const {
    return slots_.capacity() * sizeof(ProbeSlot) + conns_.capacity() * sizeof(ConnRecord) +
           locs_.capacity() * sizeof(locs_[0]) + blocks_.capacity() * sizeof(TimeBlock);
  }

 private:
  ConnRecord& RecordFor(const FlowRef& f, uint8_t stack, bool* fresh);
  // The record of the packet with its wire counts and time range updated;
  // *dir: 0 lo -> hi, 1 hi -> lo.
  ConnRecord& Count(const PacketRef& p, const DecodedPacket& d, int* dir);
  void GrowSlots();

  std::string name_;
  uint16_t linktype_;
  // Open-addressing index of the IP records by flow (linear probing, load
  // <= 1/2, never deletes), probed with the packet's precomputed hash
  // (packet_flow.h): the record index and the hash's low 32 bits (home =
  // tag & mask).
  std::vector<ProbeSlot> slots_;
  uint64_t mask_ = 0;
  std::vector<ConnRecord> conns_;  // offsets stay empty: see locs_
  std::vector<uint8_t> stacks_;    // per record: the tag stack (TagBits) it was keyed with
  // (record, offset) per packet in file order; bucketed by Snapshot(), so
  // Add() never grows a per-record vector.
  std::vector<std::pair<uint32_t, uint64_t>> locs_;
  // Records of untagged ARP/RARP, undecodable, other untagged non-IP packets.
  int64_t non_ip_[3] = {-1, -1, -1};
  std::vector<TimeBlock> blocks_;
  uint64_t packets_ = 0;
  uint64_t end_offset_ = 0;
  int64_t first_ts_ = 0, last_ts_ = 0, prev_ts_ = 0;
  bool monotonic_ = true;
};

// True when libpcap's filter code might judge this packet's addresses,
// ports or protocol differently from the decoded view, or than the tag
// stack (d.vlan_depth VLAN tags, then d.mpls_depth MPLS labels) says, on a
// link of type `linktype` (see segment_index.h). Reads only the stored
// bytes, so an index rebuilt from the segment file judges alike.
bool IsUncertainForFilters(const PacketRef& p, const DecodedPacket& d, uint16_t linktype);

// The packet's IP bytes as Zeek counts them (orig_ip_bytes): the IPv4 total
// length, or the IPv6 payload length + 40, read from the packet's first IP
// header; 0 without an IP layer (also when the IP header was not captured
// whole: the decoder then sees no IP layer).
uint64_t IpBytesOf(const PacketRef& p, const DecodedPacket& d);

}  // namespace trove
