#pragma once
// CaptureOutput: the one writer of capture files outside the store — query
// results, `trove anon` output, `trove synth` traffic — to a path or stdout
// ("-"). kPcap: classic pcap with nanosecond (magic 0xa1b23c4d) or
// microsecond (0xa1b2c3d4) timestamps, one link type only, what
// `tcpdump -w` would write; kPcapng: one section (its application and
// comments from the options), one interface (if_tsresol 9) per link type in
// the order given; a packet of another link type adds an interface (pcapng
// allows one anywhere in the section), while pcap refuses it. Link types
// are given as DLT_ values and stored as LINKTYPE_ values (packet/link_type.h).
// Output is buffered (1 MiB); Flush() pushes it to the file, Close()
// flushes and reports errors, which name the path and the byte offset.
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

struct CaptureOutputOptions {
  std::string application;            // pcapng shb_userappl; "" = "trove VERSION"
  std::vector<std::string> comments;  // pcapng section comments
  bool nanosecond = true;             // pcap: ns (else µs, rounded down) timestamps
};

class CaptureOutput {
 public:
  static Result<std::unique_ptr<CaptureOutput>> Open(const std::string& path, CaptureFormat f,
                                                     const std::vector<uint16_t>& linktypes,
                                                     const CaptureOutputOptions& opts = {});
  ~CaptureOutput();

  Status Write(uint16_t linktype, int64_t ts_ns, uint32_t caplen, uint32_t wirelen,
               const uint8_t* data);
  Status Flush();
  Status Close();
  bool Accepts(uint16_t linktype) const;
  // Bytes of the file so far (written and buffered).
  uint64_t bytes() const { return written_ + buf_.size(); }

 private:
  CaptureOutput() = default;
  Status FlushBuffer(bool force);

  std::string path_;
  std::FILE* f_ = nullptr;
  bool owned_ = false;
  CaptureFormat format_ = CaptureFormat::kPcap;
  bool nanosecond_ = true;
  uint64_t written_ = 0;
  std::vector<uint16_t> linktypes_;
  ByteBuffer buf_;
};

}  // namespace trove
