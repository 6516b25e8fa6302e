// libFuzzer target for the pcapng block parser (src/segment/pcapng_format.cc).
// The parser runs on crash-truncated segments and on hostile uploads, so it
// must never read outside the span: every callback is set and every packet
// byte is touched, so ASan sees any out-of-bounds `data`/`caplen`.
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DTROVE_FUZZ=ON
//   cmake --build build-fuzz --target pcapng_fuzz
//   build-fuzz/pcapng_fuzz -max_total_time=60 fuzz/corpus/pcapng

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "segment/pcapng_format.h"

namespace {

volatile uint64_t g_sink;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trove;
  uint64_t sum = 0;
  uint64_t last_offset = 0;
  bool seen_block = false;
  auto in_order = [&](uint64_t off) {
    // Blocks are reported in file order, inside the span.
    Check(off < size);
    Check(!seen_block || off > last_offset);
    seen_block = true;
    last_offset = off;
  };

  PcapngVisitor v;
  v.on_section = [&](const SectionInfo& s, uint64_t off) {
    in_order(off);
    sum += s.hardware.size() + s.os.size() + s.userappl.size() + s.comments.size();
    return true;
  };
  v.on_interface = [&](const InterfaceInfo& i, uint64_t off) {
    in_order(off);
    sum += i.linktype + i.snaplen + i.tsresol + i.name.size() + i.filter.size();
    for (const auto& c : i.comments) sum += c.size();
    return true;
  };
  v.on_packet = [&](const PcapngPacket& p) {
    in_order(p.block_offset);
    Check(p.data >= data && p.data <= data + size);
    Check(p.caplen <= static_cast<size_t>(data + size - p.data));
    for (uint32_t i = 0; i < p.caplen; ++i) sum += p.data[i];
    sum += static_cast<uint64_t>(p.ts_ns) + p.wirelen + p.interface_id;
    return true;
  };
  v.on_stats = [&](const InterfaceStats& s, uint64_t off) {
    in_order(off);
    sum += s.ifrecv + s.ifdrop + s.osdrop + s.usrdeliv + static_cast<uint64_t>(s.start_ns);
    return true;
  };

  const PcapngParseResult r = ParsePcapng(data, size, v);
  Check(r.complete_bytes <= size);
  Check(r.complete_bytes % 4 == 0);
  Check(!(r.truncated && !r.error.ok()));
  if (!r.error.ok()) Check(r.error.code() == Status::Code::kCorruption);
  if (r.error.ok() && !r.truncated && !r.stopped) Check(r.complete_bytes == size);

  // Re-parsing exactly the complete prefix must succeed without truncation.
  if (r.error.ok()) {
    const PcapngParseResult again = ParsePcapng(data, r.complete_bytes, PcapngVisitor{});
    Check(again.error.ok() && !again.truncated && again.complete_bytes == r.complete_bytes);
  }
  // The resumable parser (FileSource's own reader), one packet per call,
  // must see the same packets and end in the same state as one parse.
  {
    PcapngParser resumable;
    uint64_t count = 0, whole_count = 0;
    PcapngVisitor one;
    one.on_packet = [&](const PcapngPacket& p) {
      Check(p.data >= data && p.caplen <= static_cast<size_t>(data + size - p.data));
      ++count;
      return false;
    };
    PcapngVisitor all;
    all.on_packet = [&](const PcapngPacket&) {
      ++whole_count;
      return true;
    };
    ParsePcapng(data, size, all);
    PcapngParseResult step;
    do {
      step = resumable.Parse(data, size, one);
    } while (step.stopped);
    Check(count == whole_count);
    Check(step.error.ok() == r.error.ok() && step.truncated == r.truncated);
    Check(step.complete_bytes == r.complete_bytes || r.stopped);
  }
  g_sink = sum;
  return 0;
}
