#pragma once
// ScanSegment: recomputes everything the catalogue knows about a segment
// from the file alone — header (link, location, level, ...), statistics
// through the same StatsAccumulator the writer uses, drops from the
// trailer — and finds the end of the last complete record of a partial
// file. Used by fsck, salvage, catalogue rebuild and the mover.

#include <cstdint>
#include <string>

#include "catalog/segment_record.h"
#include "segment/segment_header.h"
#include "util/status.h"

namespace trove {

struct ScannedSegment {
  SegmentHeaderInfo header;
  bool has_header = false;     // SHB + IDB present and written by trove
  // The file ends before its header blocks were complete (a crash right
  // after the file was created): it is empty, or a prefix of a pcapng
  // section header, or a trove section header cut inside the interface
  // description. Such a file holds no packet.
  bool header_cut = false;
  SegmentStats stats;
  DropCounters drops;
  bool has_trailer = false;
  uint64_t file_bytes = 0;
  uint64_t complete_bytes = 0; // end of the last complete block
  bool truncated = false;      // file ends inside a block
  Status error;                // a malformed block (names the offset)
};

// Scans at most the first `limit` bytes of the file.
Result<ScannedSegment> ScanSegmentFile(const std::string& path, uint64_t limit = UINT64_MAX);

SegmentRecord MakeSegmentRecord(const SegmentHeaderInfo& h, const SegmentStats& s,
                                const DropCounters& d, const std::string& path, StorageArea area,
                                uint64_t file_bytes, const std::string& sha256);

}  // namespace trove
