#pragma once
// Store identity: a random UUID made by `trove init`, kept in the
// catalogue (store_meta 'store_id') and in the marker file of each of the
// store's storage areas (.trove-primary, .trove-spool). It guards against
// two stores acting on one storage area: a copy of a store (cp -a copies
// the identity) while the original still exists, or a configuration that
// points at another store's area. See docs/FORMAT.md ("Area markers") and
// docs/ARCHITECTURE.md ("Store identity").
//
// Marker file format (text, one `key = "value"` per line after the first):
//   trove storage area
//   store-id = "0b7c...-...."
//   area = "primary"
// The marker of a trove before the identity ("trove primary segment path
// for store DIR") is read as legacy: no id, legacy_store_dir = DIR.
//
// Thread safety: free functions, no state. They block on file I/O.

#include <string>

#include "catalog/segment_record.h"
#include "util/fs.h"
#include "util/status.h"

namespace trove {

inline constexpr const char* kSpoolMarker = ".trove-spool";

// The marker file name of an area (.trove-primary or .trove-spool).
const char* AreaMarkerName(StorageArea a);

// A random (version 4) UUID from /dev/urandom, e.g.
// "3f0c2a9e-5b1d-4c6e-9a7f-0123456789ab".
Result<std::string> NewStoreId();

struct AreaMarker {
  bool exists = false;
  std::string store_id;          // empty for a legacy marker
  std::string legacy_store_dir;  // from a legacy marker's text, else empty
};

// Parses a marker's text (any bytes: unknown lines are ignored; a
// store-id must be quoted on one line). Never fails.
AreaMarker ParseAreaMarker(const std::string& text);
// Reads DIR/<marker of area>. A missing file is {exists=false}; an
// unreadable one is an error naming the file.
Result<AreaMarker> ReadAreaMarker(Fs& fs, const std::string& area_dir, StorageArea area);
// Writes DIR/<marker of area> atomically (tmp, fsync, rename).
Status WriteAreaMarker(Fs& fs, const std::string& area_dir, StorageArea area,
                       const std::string& store_id);

}  // namespace trove
