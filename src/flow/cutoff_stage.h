#pragma once
// CutoffStage: storage classes and the per-connection cutoff, the stage of
// the writer loop between Decode() and SegmentWriter::Append(). It decides
// how many bytes of each packet are stored (all, the class snaplen, the
// first 64 "header" bytes, or none) by shortening the PacketRef, and keeps
// the DecodedPacket describing the shortened bytes.
//
// Semantics (docs/CONFIG.md "Storage classes and the cutoff"):
//  - A connection (ConnectionTable; fragments as in fragment_map.h) gets
//    its class from its first packet: the matching class of highest
//    precedence (ClassMatcher). It keeps that class until it ends. Packets
//    without an IP layer (ARP, ...) are classified one by one and never cut.
//  - Packets of no class are not stored; they are counted (unmatched()).
//  - The cutoff counts the captured bytes (caplen as it reaches the stage)
//    of both directions. A packet is kept while the connection's running
//    total including that packet is <= cutoff; TCP packets with SYN, FIN or
//    RST are always kept. A kept packet is stored up to the class snaplen
//    (0 = all). A packet past the cutoff is dropped (after_cutoff = drop)
//    or stored with its first min(64, snaplen or 64) bytes (headers).
//  - Packets past the cutoff still count towards the total.
//
// Decode once: when the stored length still covers the transport header,
// only payload_len is clamped; when a cut falls inside the headers (class
// snaplen or 64 bytes shorter than the headers) the stored prefix is
// decoded again so the view never points past caplen.
// Not thread-safe: owned by the writer thread.

#include <cstdint>
#include <memory>
#include <vector>

#include "flow/class_counters.h"
#include "flow/class_matcher.h"
#include "flow/connection_table.h"
#include "flow/fragment_map.h"
#include "packet/decoded.h"
#include "packet/packet.h"
#include "store/config.h"

namespace trove {

ConnectionTableOptions TableOptionsFrom(const ConnectionConfig& c);

class CutoffStage {
 public:
  // `classes` must not be empty (a store without classes has no stage).
  CutoffStage(std::vector<ClassConfig> classes, const ConnectionConfig& connections);

  // Returns false when the packet is not stored; otherwise p->caplen may be
  // shortened and *d then describes the stored bytes.
  bool Process(PacketRef* p, DecodedPacket* d);

  const std::vector<ClassConfig>& classes() const { return matcher_.classes(); }
  const std::vector<ClassCounters>& counters() const { return counters_; }
  const ClassCounters& unmatched() const { return unmatched_; }  // packets/bytes_seen only
  const ConnectionTable& table() const { return table_; }
  ConnectionTable& mutable_table() { return table_; }

 private:
  ClassMatcher matcher_;
  ConnectionTable table_;
  FragmentMap fragments_;
  std::vector<ClassCounters> counters_;
  ClassCounters unmatched_;
};

}  // namespace trove
