#pragma once
// FileSource: reads a trace file with libpcap (pcap LE/BE, µs/ns; pcapng
// with one or more sections and interfaces of the same link type). The
// format is recognised by its magic number, never by the file name.
// Timestamps are delivered in nanoseconds at the file's full precision.
// Errors name the file and the byte offset of the record that could not be
// read; the records before it have already been delivered.
//
// pcapng files with more than one interface description (found by walking
// the blocks once at Open; libpcap cannot say which interface a packet came
// from) and pcapng files libpcap refuses although they are valid (interfaces with
// different link types or snapshot lengths, sections of different byte
// orders: what Wireshark writes when capturing on several interfaces; or
// any file libpcap stops in although trove's parser reads all of it) are
// read from the block libpcap stopped at with trove's own parser
// (segment/pcapng_format.h) over a read-only map of the file: every packet
// then carries its own interface's link type (PacketRef::linktype) and
// interface (PacketRef::iface: name, link type, snaplen; owned by this
// source), and linktype() is the first packet's link type.
//
// Timestamps are taken as the file says:
// - classic pcap seconds are unsigned 32-bit (1970..2106); libpcap reads
//   them as signed, trove undoes that;
// - a fraction of a second >= 1 s (µs field >= 1,000,000 in a µs file,
//   ns field >= 1,000,000,000 in a ns file) is carried into the seconds:
//   seconds 1000 with 1,500,000 µs is 1001.5 s (tshark prints it
//   unnormalised as 1000.1500000000); oversized_fractions() counts them;
// - a pcapng time outside the int64 ns range (after 2262) ends the import
//   as a malformed record: error naming the file and the block's offset.

#include <deque>
#include <memory>
#include <vector>

#include "capture/packet_source.h"
#include "segment/pcapng_format.h"
#include "util/fs.h"

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
  // Records whose fraction of a second was >= 1 s (carried into the seconds).
  uint64_t oversized_fractions() const { return oversized_fractions_; }
  // Keeps the PacketInterfaces this source hands out (PacketRef::iface)
  // alive after the source is gone, e.g. while packets still wait in a ring.
  std::shared_ptr<const void> interfaces_owner() const { return ifaces_; }
  // True once trove's own pcapng reader took over from libpcap.
  bool own_reader() const { return own_ != nullptr; }

 private:
  FileSource() = default;
  // libpcap's error text says it refused a valid pcapng (see above).
  static bool RefusedValidPcapng(const std::string& pcap_error);
  // The whole file parses as pcapng with trove's parser (only asked after
  // libpcap failed with another message).
  bool WholeFileIsValidPcapng() const;
  // The pcapng file has more than one Interface Description Block.
  static bool HasSeveralInterfaces(const std::string& path);
  // Switches to the own reader; packets in blocks before `skip_below` have
  // been delivered already.
  Status StartOwnReader(uint64_t skip_below);
  ReadResult ReadOwn(PacketRef* out);
  std::string path_;
  std::unique_ptr<char[]> read_buffer_;  // the FILE's stdio buffer; outlives pcap_
  pcap_t* pcap_ = nullptr;
  Status error_;
  uint64_t offset_ = 0, total_ = 0;
  uint16_t linktype_ = 0;
  bool pcapng_ = false;
  uint32_t snapshot_ = 0;
  bool nano_file_ = false;  // classic pcap with ns fractions
  uint64_t oversized_fractions_ = 0;
  // Own pcapng reader (null while libpcap reads).
  std::unique_ptr<MappedFile> map_;
  std::unique_ptr<PcapngParser> own_;
  uint64_t skip_below_ = 0;
  // Every IDB read (stable addresses), shared with interfaces_owner().
  std::shared_ptr<std::deque<PacketInterface>> ifaces_ =
      std::make_shared<std::deque<PacketInterface>>();
  std::vector<const PacketInterface*> section_ifaces_;  // the current section's, by id
};

// Identifies a trace by its first four bytes: "pcap", "pcap-ns",
// "pcap-swapped", "pcap-ns-swapped", "pcapng", or an error naming the file
// and the magic found.
Result<std::string> DetectTraceFormat(const std::string& path);

}  // namespace trove
