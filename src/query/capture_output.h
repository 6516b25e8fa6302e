#pragma once
// CaptureOutput: writes query results as a capture file to a path or
// stdout ("-"). kPcap: classic pcap with nanosecond timestamps (magic
// 0xa1b23c4d) — one link type only, what `tcpdump -w` would write;
// kPcapng: one section, one interface (if_tsresol 9) per link type in the
// order given; a packet of another link type adds an interface (pcapng
// allows one anywhere in the section), while pcap refuses it. Output is
// buffered; Flush() pushes it to the file, Close() flushes and reports
// errors.
// Not thread-safe.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "util/byte_buffer.h"
#include "util/status.h"

namespace trove {

enum class CaptureFormat { kPcap, kPcapng };

class CaptureOutput {
 public:
  static Result<std::unique_ptr<CaptureOutput>> Open(const std::string& path, CaptureFormat f,
                                                     const std::vector<uint16_t>& linktypes);
  ~CaptureOutput();

  Status Write(uint16_t linktype, int64_t ts_ns, uint32_t caplen, uint32_t wirelen,
               const uint8_t* data);
  Status Flush();
  Status Close();
  bool Accepts(uint16_t linktype) const;

 private:
  CaptureOutput() = default;
  Status FlushBuffer(bool force);

  std::string path_;
  std::FILE* f_ = nullptr;
  bool owned_ = false;
  CaptureFormat format_ = CaptureFormat::kPcap;
  std::vector<uint16_t> linktypes_;
  ByteBuffer buf_;
};

}  // namespace trove
