// libFuzzer target for the segment index decoder (src/index/index_codec.cc).
// The input is taken as an index *body*: the target prepends a valid header
// with the body's real checksum, so the fuzzer reaches the structural checks
// (counts, varints, ascending ids and offsets) instead of stopping at the
// checksum. A decoded index must be self-consistent; nothing may read
// outside the span (ASan).
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DTROVE_FUZZ=ON
//   cmake --build build-fuzz --target index_codec_fuzz
//   build-fuzz/index_codec_fuzz -max_total_time=60

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "index/index_codec.h"
#include "index/index_decode_check.h"
#include "util/sha256.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trove;
  std::string f(kIndexMagic, 8);
  // Both readable versions: the first input byte chooses.
  const uint32_t version = size > 0 && (data[0] & 1) ? 1 : kIndexVersion, flags = 0;
  const uint64_t len = size;
  f.append(reinterpret_cast<const char*>(&version), 4);
  f.append(reinterpret_cast<const char*>(&flags), 4);
  f.append(reinterpret_cast<const char*>(&len), 8);
  Sha256 h;
  h.Update(data, size);
  const std::string hex = h.HexDigest();
  for (int i = 0; i < 8; ++i)
    f.push_back(
        static_cast<char>(std::stoi(hex.substr(static_cast<size_t>(2 * i), 2), nullptr, 16)));
  f.append(reinterpret_cast<const char*>(data), size);
  auto r = DecodeSegmentIndex(reinterpret_cast<const uint8_t*>(f.data()), f.size(), "fuzz.idx");
  // Deferred offsets agree with the full decoder (index_decode_check.h).
  if (!testing_util::DeferredDecodeDisagreement(reinterpret_cast<const uint8_t*>(f.data()),
                                                f.size(), "fuzz.idx")
           .empty())
    std::abort();
  if (!r.ok()) return 0;
  uint64_t total = 0;
  for (const auto& c : r->conns) {
    total += c.offsets.size();
    for (size_t i = 1; i < c.offsets.size(); ++i)
      if (c.offsets[i] <= c.offsets[i - 1]) std::abort();
  }
  if (total != r->packets) std::abort();
  for (const auto& a : r->addresses)
    for (uint32_t id : a.conns)
      if (id >= r->conns.size()) std::abort();
  // Re-encoding a decoded index gives bytes that decode to the same index.
  const std::string again = EncodeSegmentIndex(*r);
  if (!DecodeSegmentIndex(reinterpret_cast<const uint8_t*>(again.data()), again.size(), "re").ok())
    std::abort();
  return 0;
}
