#pragma once
// ConnLogRow: a connection record from a segment index presented like a
// line of Zeek's conn.log — originator = the sender of the first packet
// seen in the segment, counts per direction, and a cheap approximation of
// Zeek's conn_state from the TCP flags seen per direction:
//   S0 (orig SYN, no reply), REJ (SYN answered by RST), RSTO/RSTR (reset
//   by orig/resp), SF (FIN both ways; non-TCP: both directions seen),
//   S1 (SYN both ways, not closed), OTH (anything else).
// Sizes (docs/CLI.md `flows`): *_pkts, *_ip_bytes (Zeek's meaning) and
// *_wire_bytes (frame lengths, the unit of the cutoff) count the
// connection as seen on the wire, including packets shortened or dropped
// by the cutoff; *_stored_pkts/*_stored_bytes what the segment holds.
// `sizes` says where the wire counts come from: "wire" (an index written
// while storing, format v4), "segment" (rebuilt from the segment file:
// packets dropped past a cutoff are missing), "stored" (an index older
// than v4: the wire columns repeat the stored counts, IP bytes are 0).
// A connection spanning segments yields one row per segment; a packet is
// counted in the row of the segment of its class that was open when it
// arrived. `cut`: a stored packet was past the connection's cutoff.
// CollectConnLog reads the rows of the stored raw segments a query selects
// (the index file, or the segment itself when the index is missing or
// stale); `trove flows` and `trove simulate --store` share it.

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "index/segment_index.h"
#include "query/planner.h"
#include "util/status.h"

namespace trove {

struct ConnLogRow {
  int64_t ts_ns = 0;
  std::string uid;
  std::string orig_h, resp_h;
  uint32_t orig_p = 0, resp_p = 0;
  std::string proto;  // tcp, udp, icmp, icmp6, or the IP protocol number
  int64_t duration_ns = 0;
  uint64_t orig_pkts = 0, resp_pkts = 0;
  uint64_t orig_ip_bytes = 0, resp_ip_bytes = 0;
  uint64_t orig_wire_bytes = 0, resp_wire_bytes = 0;
  uint64_t orig_stored_pkts = 0, resp_stored_pkts = 0;
  uint64_t orig_stored_bytes = 0, resp_stored_bytes = 0;
  std::string conn_state;
  bool cut = false;
  std::string sizes = "wire";  // "wire", "segment" or "stored" (above)
};

// False for the non-IP record (it is no connection). `index_version`: the
// format version the record was decoded from (0: built from packets).
bool MakeConnLogRow(const ConnRecord& r, const std::string& segment_name, ConnLogRow* out,
                    uint32_t index_version = 0);

struct ConnLogEntry {
  ConnLogRow row;
  std::string segment;  // the segment's name
};

// Every connection row of the segments `q` lists that overlaps `range`,
// stably sorted by first packet.
Result<std::vector<ConnLogEntry>> CollectConnLog(Catalog& catalog, const SegmentQuery& q,
                                                 const TimeRange& range);

}  // namespace trove
