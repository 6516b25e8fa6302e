#pragma once
// Test and fuzz only: checks that decoding an index file with deferred
// offsets (IndexDecodeOptions::defer_offsets) agrees with the full decoder:
// the same offsets for every record when the full decoder accepts the file,
// otherwise a failure in the deferred decode or in some record's offsets.
// Returns "" when they agree, else what differs. Header only.

#include <cstdint>
#include <string>

#include "index/index_codec.h"

namespace trove::testing_util {

inline std::string DeferredDecodeDisagreement(const uint8_t* data, size_t len,
                                              const std::string& path) {
  auto full = DecodeSegmentIndex(data, len, path);
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
