#pragma once
// Encoding of a SegmentIndex as the NAME.idx sidecar (docs/FORMAT.md,
// "Segment index files"): a 32-byte header (magic, version, body length,
// checksum = first 8 bytes of a SHA-256: of the body in versions 1-2, of
// the directory in version 3, which checksums the rest per 4 KiB chunk)
// and a little-endian body with delta/varint-coded offsets and postings.
//
// DecodeSegmentIndex is bounds-checked everywhere: it never reads outside
// the span, never allocates more than the span could describe, and rejects
// a damaged file with Corruption naming `path` and the byte offset where
// decoding failed. Pure functions; thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "index/segment_index.h"
#include "util/status.h"

namespace trove {

inline constexpr char kIndexMagic[8] = {'T', 'R', 'O', 'V', 'E', 'I', 'D', 'X'};
// Version 2 adds each record's offsets byte length (so a reader skips them
// in O(1)); version 3 adds directories and per-chunk checksums so that one
// record, posting or block is read without the rest (index_view.h).
// Version 4 (version 3's layout) adds each record's wire counts (packets,
// frame bytes, IP bytes per direction: the connection's size, not just
// what was stored). Versions 1 to 3 are still read; their records report
// the stored counts as wire counts and no IP bytes.
inline constexpr uint32_t kIndexVersion = 4;
inline constexpr size_t kIndexHeaderBytes = 32;

struct IndexDecodeOptions {
  bool verify_checksum = true;
  // Skip over each record's packet offsets (most of the file) instead of
  // decoding them; RecordOffsets() decodes one record's on demand, with the
  // same checks. The caller must keep `data` alive: pass its owner.
  bool defer_offsets = false;
  std::shared_ptr<const void> owner;
  // false: the address and port postings are skipped, unread and unchecked
  // (SegmentIndex::addresses/ports stay empty); for readers that judge
  // records one by one (SelectCandidates).
  bool postings = true;
};

std::string EncodeSegmentIndex(const SegmentIndex& ix, uint32_t version = kIndexVersion);
Result<SegmentIndex> DecodeSegmentIndex(const uint8_t* data, size_t len, const std::string& path,
                                        const IndexDecodeOptions& opts = {});

// The record's packet offsets: r.offsets, or decoded from ix.deferred.
// Corruption (naming the file and offset) when they are damaged: not
// ascending, beyond the segment, or truncated.
Result<std::vector<uint64_t>> RecordOffsets(const SegmentIndex& ix, const ConnRecord& r);

}  // namespace trove
