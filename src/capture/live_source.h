#pragma once
// LiveSource: captures from a network interface with libpcap (TPACKET_V3
// on Linux). Configurable kernel buffer, snaplen (0 = full packets),
// promiscuous mode, BPF filter and nanosecond timestamps where the device
// offers them. Read() returns kIdle at least every `poll_ms` so the capture
// thread can notice stop requests.

#include <memory>

#include "capture/packet_source.h"

typedef struct pcap pcap_t;

namespace trove {

struct LiveOptions {
  std::string interface;
  uint32_t snaplen = 64;  // 0 = full packets (262144)
  bool promiscuous = true;
  uint64_t buffer_bytes = 64ull << 20;
  std::string filter;  // pcap-filter expression, empty = all
  bool nanosecond = true;
  int poll_ms = 100;
};

class LiveSource final : public PacketSource {
 public:
  // Fails with a message naming the interface and libpcap's reason
  // (no such device, permission denied, bad filter...).
  static Result<std::unique_ptr<LiveSource>> Open(const LiveOptions& opts);
  ~LiveSource() override;

  ReadResult Read(PacketRef* out) override;
  const Status& error() const override { return error_; }
  KernelStats Stats() override;
  uint64_t BytesConsumed() const override { return 0; }
  uint64_t BytesTotal() const override { return 0; }
  const std::string& name() const override { return iface_; }
  uint16_t linktype() const override { return linktype_; }
  bool live() const override { return true; }
  // The longest a partly filled kernel block waits before Read() sees it.
  int poll_ms() const { return poll_ms_; }
  bool nanosecond() const { return nano_; }
  // Warnings from activation (e.g. promiscuous mode not supported).
  const std::string& warning() const { return warning_; }

 private:
  LiveSource() = default;
  std::string iface_;
  pcap_t* pcap_ = nullptr;
  Status error_;
  uint16_t linktype_ = 0;
  bool nano_ = false;
  int fd_ = -1;
  int poll_ms_ = 100;
  std::string warning_;
};

}  // namespace trove
