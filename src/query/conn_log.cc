#include "query/conn_log.h"

#include <arpa/inet.h>

#include <algorithm>

#include "index/index_file.h"

namespace trove {
namespace {

std::string Addr(uint8_t version, const uint8_t* a) {
  char b[INET6_ADDRSTRLEN] = {};
  if (version == 4)
    inet_ntop(AF_INET, a + 12, b, sizeof b);
  else
    inet_ntop(AF_INET6, a, b, sizeof b);
  return b;
}

std::string Uid(const ConnRecord& r, const std::string& segment) {
  // FNV-1a over the key, the first timestamp and the segment name: stable
  // across runs and machines.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const void* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      h ^= static_cast<const uint8_t*>(p)[i];
      h *= 1099511628211ull;
    }
  };
  mix(&r.key, sizeof r.key);
  mix(&r.first_ts_ns, sizeof r.first_ts_ns);
  mix(segment.data(), segment.size());
  static constexpr char kAlpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string s = "C";
  for (int i = 0; i < 11; ++i, h /= 62) s.push_back(kAlpha[h % 62]);
  return s;
}

std::string State(const ConnRecord& r, int o, int p, bool tcp) {
  const uint64_t resp_pkts = r.wire_packets[p];
  if (!tcp) return resp_pkts ? "SF" : "S0";
  const uint8_t of = r.tcp_flags[o], rf = r.tcp_flags[p];
  constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04;
  if ((of & kSyn) && resp_pkts == 0) return "S0";
  if ((of & kSyn) && (rf & kRst) && !(rf & kSyn)) return "REJ";
  if (of & kRst) return "RSTO";
  if (rf & kRst) return "RSTR";
  if ((of & kFin) && (rf & kFin)) return "SF";
  if ((of & kSyn) && (rf & kSyn)) return "S1";
  return "OTH";
}

}  // namespace

bool MakeConnLogRow(const ConnRecord& r, const std::string& segment_name, ConnLogRow* out,
                    uint32_t index_version) {
  if (r.has(ConnRecord::kNonIp)) return false;
  const FlowKey& k = r.key;
  const bool orig_hi = r.has(ConnRecord::kOrigIsHi);
  const int o = orig_hi ? 1 : 0, p = orig_hi ? 0 : 1;  // packets[0] is lo -> hi
  ConnLogRow row;
  row.ts_ns = r.first_ts_ns;
  row.uid = Uid(r, segment_name);
  row.orig_h = Addr(k.ip_version, orig_hi ? k.addr_hi : k.addr_lo);
  row.resp_h = Addr(k.ip_version, orig_hi ? k.addr_lo : k.addr_hi);
  if (k.kind == FlowKind::kIcmp) {
    row.orig_p = k.port_lo >> 8;  // Zeek: type and code in the port columns
    row.resp_p = k.port_lo & 0xff;
  } else {
    row.orig_p = orig_hi ? k.port_hi : k.port_lo;
    row.resp_p = orig_hi ? k.port_lo : k.port_hi;
  }
  switch (k.proto) {
    case 6:
      row.proto = "tcp";
      break;
    case 17:
      row.proto = "udp";
      break;
    case 1:
      row.proto = "icmp";
      break;
    case 58:
      row.proto = "icmp6";
      break;
    default:
      row.proto = std::to_string(k.proto);
      break;
  }
  if (k.kind == FlowKind::kFragment) row.proto = "fragment";
  row.duration_ns = r.last_ts_ns - r.first_ts_ns;
  row.orig_pkts = r.wire_packets[o];
  row.resp_pkts = r.wire_packets[p];
  row.orig_ip_bytes = r.ip_bytes[o];
  row.resp_ip_bytes = r.ip_bytes[p];
  row.orig_wire_bytes = r.wire_bytes[o];
  row.resp_wire_bytes = r.wire_bytes[p];
  row.orig_stored_pkts = r.packets[o];
  row.resp_stored_pkts = r.packets[p];
  row.orig_stored_bytes = r.bytes[o];
  row.resp_stored_bytes = r.bytes[p];
  row.sizes = index_version == 0 || index_version >= 4 ? "wire" : "stored";
  row.conn_state = State(r, o, p, k.proto == 6 && k.kind == FlowKind::kTransport);
  row.cut = r.has(ConnRecord::kCut);
  *out = std::move(row);
  return true;
}

Result<std::vector<ConnLogEntry>> CollectConnLog(Catalog& catalog, const SegmentQuery& q,
                                                 const TimeRange& range) {
  auto segs = catalog.ListSegments(q);
  if (!segs.ok()) return segs.status();
  std::vector<ConnLogEntry> rows;
  for (const SegmentRecord& s : *segs) {
    auto ix = ReadIndexFile(IndexPathFor(s.path));
    bool rebuilt = false;
    if (!ix.ok() || ix->segment_bytes != s.file_bytes) {
      ix = BuildIndexFromSegment(s.path, s.name);
      rebuilt = true;
    }
    if (!ix.ok()) return ix.status();
    for (const ConnRecord& r : ix->conns) {
      ConnLogEntry e;
      if (!range.Overlaps(r.first_ts_ns, r.last_ts_ns) ||
          !MakeConnLogRow(r, s.name, &e.row, ix->decoded_version))
        continue;
      if (rebuilt) e.row.sizes = "segment";
      e.segment = s.name;
      rows.push_back(std::move(e));
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const ConnLogEntry& a, const ConnLogEntry& b) { return a.row.ts_ns < b.row.ts_ns; });
  return rows;
}

}  // namespace trove
