#pragma once
// Encoding of a SegmentIndex as the NAME.idx sidecar (docs/FORMAT.md,
// "Segment index files"): a 32-byte header (magic, version, body length,
// checksum = first 8 bytes of the body's SHA-256) and a little-endian body
// with delta/varint-coded offsets and postings.
//
// DecodeSegmentIndex is bounds-checked everywhere: it never reads outside
// the span, never allocates more than the span could describe, and rejects
// a damaged file with Corruption naming `path` and the byte offset where
// decoding failed. Pure functions; thread-safe.

#include <cstdint>
#include <string>

#include "index/segment_index.h"
#include "util/status.h"

namespace trove {

inline constexpr char kIndexMagic[8] = {'T', 'R', 'O', 'V', 'E', 'I', 'D', 'X'};
inline constexpr uint32_t kIndexVersion = 1;
inline constexpr size_t kIndexHeaderBytes = 32;

std::string EncodeSegmentIndex(const SegmentIndex& ix);
Result<SegmentIndex> DecodeSegmentIndex(const uint8_t* data, size_t len, const std::string& path);

}  // namespace trove
