#include "catalog/segment_record.h"

namespace trove {

// These spellings are stored in the catalogue (segments.area, segments.state)
// and printed by the CLI: never change an existing one.

const char* ToString(StorageArea a) {
  switch (a) {
    case StorageArea::kPrimary:
      return "primary";
    case StorageArea::kSpool:
      return "spool";
  }
  return "unknown";
}

const char* ToString(SegmentState s) {
  switch (s) {
    case SegmentState::kStored:
      return "stored";
    case SegmentState::kExpired:
      return "expired";
    case SegmentState::kMissing:
      return "missing";
  }
  return "unknown";
}

bool ParseStorageArea(const std::string& s, StorageArea* out) {
  for (StorageArea a : {StorageArea::kPrimary, StorageArea::kSpool}) {
    if (s == ToString(a)) {
      *out = a;
      return true;
    }
  }
  return false;
}

bool ParseSegmentState(const std::string& s, SegmentState* out) {
  for (SegmentState st : {SegmentState::kStored, SegmentState::kExpired, SegmentState::kMissing}) {
    if (s == ToString(st)) {
      *out = st;
      return true;
    }
  }
  return false;
}

}  // namespace trove
