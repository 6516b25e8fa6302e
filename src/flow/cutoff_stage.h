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
//  - Time stepping back by more than the largest connection timeout starts
//    a new epoch (connection_table.h): open connections end, first
//    fragments are forgotten, dynamic classes keep the time they had left,
//    and one warning is logged per step (util/log.h).
//  - Runtime control (control_command.h): a connection's cutoff can be
//    suspended (Connection::kCutoffSuspended), a class's cutoff changed,
//    and an address put into a class for a while (dynamic class: a new
//    connection with that address at either end takes that class, before
//    the filters; at most 1024 entries, the oldest is replaced).
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
#include "flow/class_config.h"

namespace trove {

ConnectionTableOptions TableOptionsFrom(const ConnectionConfig& c);

class CutoffStage {
 public:
  // `classes` must not be empty (a store without classes has no stage).
  CutoffStage(std::vector<ClassConfig> classes, const ConnectionConfig& connections);

  // Returns false when the packet is not stored; otherwise p->caplen may be
  // shortened and *d then describes the stored bytes, with d->past_cutoff
  // set when the connection is past its cutoff (also on a SYN/FIN/RST
  // kept whole there).
  bool Process(PacketRef* p, DecodedPacket* d);
  // The class (index into classes()) of the packet Process() last saw, or
  // kNoClass; the writer routes a stored packet to that class's stream.
  uint8_t last_class() const { return last_class_; }

  const std::vector<ClassConfig>& classes() const { return matcher_.classes(); }
  void SetCutoff(uint8_t k, bool has_cutoff, uint64_t bytes) {
    matcher_.SetCutoff(k, has_cutoff, bytes);
  }
  // `addr` is 16 bytes (IPv4 v4-mapped). For `duration_ns` of packet time
  // from the latest packet seen (or from the next packet, before any).
  // Runtime control of expiry (store/expiry.h): 0 = unlimited.
  void SetBudget(uint8_t k, uint64_t bytes) { matcher_.SetBudget(k, bytes); }
  void SetRetention(uint8_t k, int64_t ns) { matcher_.SetRetention(k, ns); }
  void AddDynamicClass(const uint8_t addr[16], uint8_t klass, int64_t duration_ns);
  const std::vector<ClassCounters>& counters() const { return counters_; }
  const ClassCounters& unmatched() const { return unmatched_; }  // packets/bytes_seen only
  const ConnectionTable& table() const { return table_; }
  ConnectionTable& mutable_table() { return table_; }

 private:
  struct Dynamic {
    uint8_t addr[16];
    uint8_t klass;
    int64_t duration_ns;
    int64_t until_ns;  // INT64_MIN: starts at the next packet
  };
  uint8_t DynamicClassOf(const FlowKey& key, int64_t now);
  void StartEpoch(int64_t from_ns, int64_t to_ns, size_t ended);

  ClassMatcher matcher_;
  std::vector<Dynamic> dynamic_;
  ConnectionTable table_;
  FragmentMap fragments_;
  std::vector<ClassCounters> counters_;
  ClassCounters unmatched_;
  uint8_t last_class_ = kNoClass;
};

}  // namespace trove
