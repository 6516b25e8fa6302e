#pragma once
// Test and fuzz only: checks that decoding an index file with deferred
// offsets (IndexDecodeOptions::defer_offsets) agrees with the full decoder:
// the same offsets for every record when the full decoder accepts the file,
// otherwise a failure in the deferred decode or in some record's offsets.
// For version 3, also that the random-access view (index_view.h) answers
// every record, posting and block as the full decoder does when the latter
// accepts the file. Returns "" when they agree, else what differs.
// RepairV3Checksums recomputes a version-3 file's chunk and directory
// checksums from docs/FORMAT.md (4 KiB chunks), so that damage reaches the
// structural checks. Header only.

#include <cstdint>
#include <string>
#include <vector>

#include "index/index_codec.h"
#include "index/index_view.h"
#include "util/sha256.h"

namespace trove::testing_util {

inline void PutSha8(const uint8_t* p, size_t n, uint8_t* out) {
  Sha256 h;
  h.Update(p, n);
  const std::string hex = h.HexDigest();
  for (size_t i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
}

inline void RepairV3Checksums(uint8_t* f, size_t len) {
  if (len < kIndexHeaderBytes + 4) return;
  uint8_t* body = f + kIndexHeaderBytes;
  const size_t body_len = len - kIndexHeaderBytes;
  const size_t dir = body[0] | body[1] << 8 | body[2] << 16 | static_cast<size_t>(body[3]) << 24;
  if (dir < 4 || dir > body_len) return;
  const size_t rest = body_len - dir, n = (rest + 4095) / 4096;
  if (8 * n <= dir - 4) {  // the chunk checksums end the directory
    for (size_t k = 0; k < n; ++k)
      PutSha8(body + dir + 4096 * k, std::min<size_t>(4096, rest - 4096 * k),
              body + dir - 8 * n + 8 * k);
  }
  PutSha8(body, dir, f + 24);
}
inline void RepairV3Checksums(std::vector<uint8_t>& f) { RepairV3Checksums(f.data(), f.size()); }

inline std::string ViewDisagreement(const uint8_t* data, size_t len, const std::string& path,
                                    const SegmentIndex& full) {
  auto v = IndexView::Open(nullptr, data, len, path);
  if (!v.ok()) return "view refused a good file: " + v.status().ToString();
  IndexView& w = **v;
  if (w.record_count() != full.conns.size()) return "view record count differs";
  for (uint32_t i = 0; i < w.record_count(); ++i) {
    auto r = w.Record(i);
    if (!r.ok()) return "view record " + std::to_string(i) + ": " + r.status().ToString();
    const ConnRecord& c = full.conns[i];
    if (!(r->key == c.key) || r->first_ts_ns != c.first_ts_ns || r->last_ts_ns != c.last_ts_ns ||
        r->flags != c.flags || r->total_packets() != c.total_packets())
      return "view record " + std::to_string(i) + " differs";
    auto o = w.Offsets(*r);
    if (!o.ok() || *o != c.offsets)
      return "view offsets of record " + std::to_string(i) + " differ";
  }
  for (const AddressPosting& a : full.addresses) {
    auto ids = w.AddressIds(a.ip_version, a.addr);
    if (!ids.ok() || *ids != a.conns) return "view address posting differs";
  }
  for (const PortPosting& p : full.ports) {
    auto ids = w.PortIds(p.port);
    if (!ids.ok() || *ids != p.conns) return "view port posting differs";
  }
  auto tm = w.TimeMap();
  if (!tm.ok() || tm->size() != full.time_map.size()) return "view time map differs";
  return "";
}

inline std::string DeferredDecodeDisagreement(const uint8_t* data, size_t len,
                                              const std::string& path) {
  auto full = DecodeSegmentIndex(data, len, path);
  if (full.ok() && len > 8 && (data[8] == 3 || data[8] == 4)) {
    std::string why = ViewDisagreement(data, len, path, *full);
    if (!why.empty()) return why;
  }
  IndexDecodeOptions lazy;
  lazy.defer_offsets = true;
  auto d = DecodeSegmentIndex(data, len, path, lazy);
  if (!d.ok()) return full.ok() ? "deferred decode failed: " + d.status().ToString() : "";
  bool all_ok = true;
  for (size_t i = 0; i < d->conns.size(); ++i) {
    auto offs = RecordOffsets(*d, d->conns[i]);
    if (!offs.ok()) {
      all_ok = false;
      continue;
    }
    if (full.ok() && *offs != full->conns[i].offsets)
      return "record " + std::to_string(i) + ": deferred offsets differ";
  }
  if (all_ok != full.ok())
    return all_ok ? "full decode failed (" + full.status().ToString() +
                        ") but every deferred record decoded"
                  : "full decode accepted a file whose deferred offsets fail";
  return "";
}

}  // namespace trove::testing_util
