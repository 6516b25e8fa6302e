#pragma once
// AnonymizeTrace: a scrubbed or scrambled copy of any pcap/pcapng trace,
// outside any store (`trove anon`). Reads with libpcap (FileSource),
// transforms each packet with anon::PacketTransform, writes pcap
// (nanosecond timestamps, the input's link type) or pcapng (one interface,
// if_tsresol 9, the level in a section comment) through CaptureOutput.
//
// The output is written to OUT.partial and renamed to OUT when complete
// (OUT "-" writes to stdout). An input record that cannot be read ends the
// run: the packets before it are in OUT and the report's input_error names
// the input file and the offset. Blocks on file I/O; no shared state.

#include <cstdint>
#include <string>

#include "anon/address_mapper.h"
#include "anon/level_policy.h"
#include "anon/packet_transform.h"
#include "segment/capture_output.h"
#include "util/status.h"

namespace trove {

struct AnonymizeTraceOptions {
  std::string in, out;  // out "-": stdout
  CaptureFormat format = CaptureFormat::kPcap;
  anon::LevelPolicy policy;
  anon::AddressMapper* mapper = nullptr;  // not owned; required when the policy scrambles
  bool progress = true;                   // a meter on a terminal (stderr)
};

struct AnonymizeTraceReport {
  uint16_t linktype = 0;        // the input's (DLT_)
  anon::TransformStats stats;
  uint64_t packets_out = 0;
  uint64_t output_bytes = 0;
  double seconds = 0;
  std::string input_error;      // "": the input was read to its end
};

// InvalidArgument: the input cannot be opened or has a link type the
// transform does not understand, or OUT is the input file. Other errors:
// the output cannot be written (OUT.partial is removed).
Result<AnonymizeTraceReport> AnonymizeTrace(const AnonymizeTraceOptions& opts);

}  // namespace trove
