// libFuzzer target for the segment index decoder (src/index/index_codec.cc).
// The input is a selector byte (version 1 + byte % 4) and an index body:
// the target prepends a header and repairs the checksums (the whole body's,
// or versions 3-4's chunk and directory sums), so the fuzzer reaches the
// structural checks (counts, sections, varints, ascending ids and offsets)
// instead of stopping at a checksum. A decoded index must be
// self-consistent; nothing may read outside the span (ASan).
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
#include "index/index_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trove;
  std::string f(kIndexMagic, 8);
  // Every readable version: the first input byte chooses, the rest is the body.
  if (size == 0) return 0;
  const uint32_t version = 1 + data[0] % 4, flags = 0;
  ++data;
  --size;
  const uint64_t len = size;
  f.append(reinterpret_cast<const char*>(&version), 4);
  f.append(reinterpret_cast<const char*>(&flags), 4);
  f.append(reinterpret_cast<const char*>(&len), 8);
  f.append(8, '\0');
  f.append(reinterpret_cast<const char*>(data), size);
  auto* bytes = reinterpret_cast<uint8_t*>(f.data());
  if (version >= 3)
    testing_util::RepairV3Checksums(bytes, f.size());  // chunk and directory sums
  else
    testing_util::PutSha8(bytes + kIndexHeaderBytes, size, bytes + 24);
  auto r = DecodeSegmentIndex(bytes, f.size(), "fuzz.idx");
  // Deferred offsets and the random-access view agree with the full decoder
  // (index_decode_check.h).
  if (!testing_util::DeferredDecodeDisagreement(bytes, f.size(), "fuzz.idx").empty()) std::abort();
  // The view never reads out of bounds, whatever it is asked.
  if (version >= 3) {
    auto v = IndexView::Open(nullptr, bytes, f.size(), "fuzz.idx");
    if (v.ok()) {
      for (uint32_t i = 0; i < (*v)->record_count() && i < 64; ++i) {
        auto rec = (*v)->Record(i);
        if (rec.ok()) (void)(*v)->Offsets(*rec);
      }
      for (uint32_t k = 0; k < (*v)->address_count() && k < 16; ++k) (void)(*v)->AddressAt(k);
      const uint8_t lo[16] = {}, hi[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
      (void)(*v)->AddressRangeIds(4, lo, hi);
      (void)(*v)->PortIds(80);
      (void)(*v)->Special();
      (void)(*v)->TimeMap();
    }
  }
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
