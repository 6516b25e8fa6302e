#pragma once
// SegmentRecord: one catalogue row. The catalogue is the index of what the
// store holds; the segment files themselves are self-describing, so every
// field here except `id` and `state` history can be recomputed from a file
// (see store/rebuild).

#include <cstdint>
#include <string>

#include "catalog/segment_stats.h"

namespace trove {

// Where a segment's file lives.
enum class StorageArea { kPrimary, kSpool };
// Lifecycle: kStored (complete, verified at close), kExpired (removed by
// retention; row kept for accounting), kMissing (fsck found it gone).
enum class SegmentState { kStored, kExpired, kMissing };

const char* ToString(StorageArea a);
const char* ToString(SegmentState s);
bool ParseStorageArea(const std::string& s, StorageArea* out);
bool ParseSegmentState(const std::string& s, SegmentState* out);

struct SegmentRecord {
  int64_t id = 0;               // assigned by the catalogue
  std::string name;             // unique file stem, e.g. default-20261122T071504.123456789Z-000001
  std::string link;
  std::string location;         // free text from the link config (site, router)
  std::string level = "raw";    // privacy level; "raw" for captured segments
  // Storage class of the segment's stream (one stream per class and link);
  // "" for a store without classes and for rows catalogued before schema v5.
  // Derived segments carry their parent's class.
  std::string klass;
  int64_t parent_id = 0;        // derived segments: the segment they came from
  std::string key_epoch;        // derived, scrambled segments: e.g. "2026" (never a key)
  std::string path;             // absolute path of the file
  StorageArea area = StorageArea::kPrimary;
  SegmentState state = SegmentState::kStored;
  uint32_t snaplen = 0;         // 0 = full packets (stored as 262144 in the IDB)
  uint16_t linktype = 0;        // DLT of the (first) interface
  uint64_t file_bytes = 0;
  std::string sha256;           // hex SHA-256 of the whole file, recorded at close
  std::string capture_host;
  std::string capture_filter;
  std::string trove_version;
  int64_t closed_at_ns = 0;     // wall clock when it was published
  SegmentStats stats;
  DropCounters drops;

  int64_t duration_ns() const { return stats.last_ts_ns - stats.first_ts_ns; }
};

}  // namespace trove
