// libFuzzer target for the storage-area marker parser (store/store_identity.h).
// Any bytes: ParseAreaMarker never crashes; the id it finds contains no
// newline and no quote-terminated garbage beyond its line; a marker written
// by WriteAreaMarker's format with the id it found parses back to the same
// id (when that id is printable and has no quote/newline).
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DTROVE_FUZZ=ON
//   cmake --build build-fuzz --target area_marker_fuzz
//   build-fuzz/area_marker_fuzz -max_total_time=60

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "store/store_identity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const trove::AreaMarker m = trove::ParseAreaMarker(text);
  if (m.store_id.find('\n') != std::string::npos) std::abort();
  if (m.legacy_store_dir.find('\n') != std::string::npos) std::abort();
  if (!m.store_id.empty() && m.store_id.find('"') == std::string::npos) {
    const std::string again =
        "trove storage area\nstore-id = \"" + m.store_id + "\"\narea = \"primary\"\n";
    if (trove::ParseAreaMarker(again).store_id != m.store_id) std::abort();
  }
  return 0;
}
