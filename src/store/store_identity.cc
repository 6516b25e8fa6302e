#include "store/store_identity.h"

#include <cstdio>

#include "segment/storage_router.h"

namespace trove {

const char* AreaMarkerName(StorageArea a) {
  return a == StorageArea::kPrimary ? kPrimaryMarker : kSpoolMarker;
}

Result<std::string> NewStoreId() {
  unsigned char b[16];
  FILE* f = std::fopen("/dev/urandom", "rb");
  if (f == nullptr) return Status::FromErrno(errno, "opening /dev/urandom for the store identity");
  const size_t n = std::fread(b, 1, sizeof b, f);
  std::fclose(f);
  if (n != sizeof b) return Status::Internal("short read from /dev/urandom for the store identity");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return std::string(out);
}

Result<AreaMarker> ReadAreaMarker(Fs& fs, const std::string& area_dir, StorageArea area) {
  const std::string path = JoinPath(area_dir, AreaMarkerName(area));
  AreaMarker m;
  auto st = fs.Stat(path);
  if (!st.ok() || !st->exists) return m;
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status().Annotate("reading area marker " + path);
  m = ParseAreaMarker(*text);
  m.exists = true;
  return m;
}

AreaMarker ParseAreaMarker(const std::string& text) {
  AreaMarker m;
  m.exists = true;
  const std::string legacy = "trove primary segment path for store ";
  const std::string id_key = "store-id = \"";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind(legacy, 0) == 0) {
      m.legacy_store_dir = line.substr(legacy.size());
    } else if (line.rfind(id_key, 0) == 0 && line.size() > id_key.size() && line.back() == '"') {
      m.store_id = line.substr(id_key.size(), line.size() - id_key.size() - 1);
    }
  }
  return m;
}

Status WriteAreaMarker(Fs& fs, const std::string& area_dir, StorageArea area,
                       const std::string& store_id) {
  return WriteFileAtomic(fs, JoinPath(area_dir, AreaMarkerName(area)),
                         std::string("trove storage area\nstore-id = \"") + store_id +
                             "\"\narea = \"" + ToString(area) + "\"\n");
}

}  // namespace trove
