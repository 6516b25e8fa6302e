#include "index/segment_summary.h"

namespace trove {

std::string AddressKey(uint8_t ip_version, const uint8_t addr[16]) {
  std::string k = "A";
  k.push_back(static_cast<char>(ip_version));
  k.append(reinterpret_cast<const char*>(addr), 16);
  return k;
}
std::string PortKey(uint16_t port) {
  std::string k = "P";
  k.push_back(static_cast<char>(port >> 8));
  k.push_back(static_cast<char>(port & 0xff));
  return k;
}
std::string ProtoKey(uint8_t proto) { return std::string("R") + static_cast<char>(proto); }
std::string VersionKey(uint8_t v) { return std::string("V") + static_cast<char>(v); }

SegmentSummary SummarizeIndex(const SegmentIndex& ix) {
  SegmentSummary s;
  s.first_ts_ns = ix.first_ts_ns;
  s.last_ts_ns = ix.last_ts_ns;
  s.keys = BloomFilter(ix.addresses.size() + ix.ports.size() + 8);
  for (const AddressPosting& a : ix.addresses) s.keys.Add(AddressKey(a.ip_version, a.addr));
  for (const PortPosting& p : ix.ports) s.keys.Add(PortKey(p.port));
  for (const ConnRecord& c : ix.conns) {
    if (c.has(ConnRecord::kUncertain)) s.has_uncertain = true;
    if (c.has(ConnRecord::kNonIp)) {
      if (!c.has(ConnRecord::kNoArp)) s.has_non_ip = true;
      continue;
    }
    s.keys.Add(ProtoKey(c.key.proto));
    if (c.key.kind == FlowKind::kFragment)  // a later IPv4 fragment: protocol unknown
      for (uint8_t p : {1, 6, 17, 58}) s.keys.Add(ProtoKey(p));
    s.keys.Add(VersionKey(c.key.ip_version));
  }
  return s;
}

std::string SegmentSummary::Encode() const {
  std::string b;
  b.push_back(1);
  b.push_back(static_cast<char>((has_uncertain ? 1 : 0) | (has_non_ip ? 2 : 0)));
  return b + keys.Encode();
}

Result<SegmentSummary> SegmentSummary::Decode(const std::string& blob, int64_t first,
                                              int64_t last) {
  if (blob.size() < 2 || blob[0] != 1)
    return Status::Corruption("segment summary: unknown version");
  SegmentSummary s;
  s.first_ts_ns = first;
  s.last_ts_ns = last;
  s.has_uncertain = (blob[1] & 1) != 0;
  s.has_non_ip = (blob[1] & 2) != 0;
  TROVE_ASSIGN_OR_RETURN(s.keys, BloomFilter::Decode(std::string_view(blob).substr(2)));
  return s;
}

}  // namespace trove
