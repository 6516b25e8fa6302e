#pragma once
// FileSource: reads a trace file with libpcap (pcap LE/BE, µs/ns; pcapng
// with one or more sections and interfaces of the same link type). The
// format is recognised by its magic number, never by the file name.
// Timestamps are delivered in nanoseconds at the file's full precision.
// Errors name the file and the byte offset of the record that could not be
// read; the records before it have already been delivered.

#include <memory>

#include "capture/packet_source.h"

typedef struct pcap pcap_t;

namespace trove {

class FileSource final : public PacketSource {
 public:
  static Result<std::unique_ptr<FileSource>> Open(const std::string& path);
  ~FileSource() override;

  ReadResult Read(PacketRef* out) override;
  const Status& error() const override { return error_; }
  KernelStats Stats() override { return {}; }
  uint64_t BytesConsumed() const override { return offset_; }
  uint64_t BytesTotal() const override { return total_; }
  const std::string& name() const override { return path_; }
  uint16_t linktype() const override { return linktype_; }
  bool live() const override { return false; }
  // Byte offset just past the last record delivered.
  uint64_t offset() const { return offset_; }

 private:
  FileSource() = default;
  std::string path_;
  std::unique_ptr<char[]> read_buffer_;  // the FILE's stdio buffer; outlives pcap_
  pcap_t* pcap_ = nullptr;
  Status error_;
  uint64_t offset_ = 0, total_ = 0;
  uint16_t linktype_ = 0;
  bool pcapng_ = false;
  uint32_t snapshot_ = 0;
};

// Identifies a trace by its first four bytes: "pcap", "pcap-ns",
// "pcap-swapped", "pcap-ns-swapped", "pcapng", or an error naming the file
// and the magic found.
Result<std::string> DetectTraceFormat(const std::string& path);

}  // namespace trove
