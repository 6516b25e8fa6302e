#pragma once
// PacketSource: where packets come from — a live libpcap handle or a trace
// file read through libpcap. Sources run on the capture thread only; the
// bytes of the packet returned by Read() stay valid until the next Read().
// Sources do no work that can block on anything but their own input.

#include <cstdint>
#include <string>

#include "packet/packet.h"
#include "util/status.h"

namespace trove {

struct KernelStats {
  uint64_t received = 0;  // ps_recv
  uint64_t dropped = 0;   // ps_drop + ps_ifdrop
};

class PacketSource {
 public:
  enum class ReadResult { kPacket, kIdle, kEnd, kError };
  virtual ~PacketSource() = default;

  // kPacket: *out is filled. kIdle: a live source saw nothing within its
  // poll interval (the caller checks for stop requests). kEnd: no more
  // packets. kError: see error().
  virtual ReadResult Read(PacketRef* out) = 0;
  virtual const Status& error() const = 0;
  // Cumulative kernel counters (live sources; zero for files).
  virtual KernelStats Stats() = 0;
  // Bytes of input consumed so far and in total (files; 0 if unknown).
  virtual uint64_t BytesConsumed() const = 0;
  virtual uint64_t BytesTotal() const = 0;
  // Human name: the file path or the interface.
  virtual const std::string& name() const = 0;
  virtual uint16_t linktype() const = 0;
  virtual bool live() const = 0;
};

}  // namespace trove
