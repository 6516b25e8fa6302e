#pragma once
// Classic pcap file writer for `trove synth` (internal header).
// Contract: writes the 24-byte global header (magic 0xa1b23c4d for
// nanosecond or 0xa1b2c3d4 for microsecond timestamps, version 2.4,
// snaplen 262144, LINKTYPE_ETHERNET) and 16-byte record headers in host
// byte order, as libpcap does. Records are gathered in 4 MiB buffers that a
// background thread write(2)s (retrying EINTR and short writes) while the
// caller fills the next one, so generation and the kernel's copy overlap.
// "-" means stdout (not closed). Errors are Status values naming the path;
// after an error the writer only reports it. Not thread-safe (one caller).

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/status.h"

namespace trove::synth {

class PcapFileWriter {
 public:
  PcapFileWriter() = default;
  PcapFileWriter(const PcapFileWriter&) = delete;
  PcapFileWriter& operator=(const PcapFileWriter&) = delete;
  ~PcapFileWriter();

  Status Open(const std::string& path, bool nanosecond);
  Status Write(uint64_t ts_ns, const uint8_t* frame, uint32_t len) {
    if (used_ + 16 + len > cur_.size()) TROVE_RETURN_IF_ERROR(Handoff());
    const uint32_t hdr[4] = {
        static_cast<uint32_t>(ts_ns / 1'000'000'000),
        static_cast<uint32_t>(nanosecond_ ? ts_ns % 1'000'000'000 : ts_ns % 1'000'000'000 / 1000),
        len, len};
    uint8_t* p = cur_.data() + used_;
    std::memcpy(p, hdr, 16);
    std::memcpy(p + 16, frame, len);
    used_ += 16 + len;
    return Status::Ok();
  }
  // Writes everything out and closes (stdout is not closed).
  Status Close();
  // Bytes accepted so far (written or queued).
  uint64_t bytes_accepted() const { return accepted_ + used_; }

 private:
  struct Chunk {
    std::vector<uint8_t> data;
    size_t len = 0;
  };
  Status Handoff();  // queue cur_ for writing, take a free buffer
  void WriterLoop();
  Status WriteAll(const uint8_t* p, size_t n);

  int fd_ = -1;
  bool own_fd_ = false;
  bool nanosecond_ = true;
  std::string path_;
  std::vector<uint8_t> cur_;
  size_t used_ = 0;
  uint64_t accepted_ = 0;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> full_;                  // guarded by mu_
  std::vector<std::vector<uint8_t>> free_;  // guarded by mu_
  bool done_ = false;                       // guarded by mu_
  Status error_;                            // guarded by mu_
};

}  // namespace trove::synth
