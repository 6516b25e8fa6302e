#include "synth/pcap_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "util/thread_name.h"

namespace trove::synth {

namespace {
constexpr size_t kBufferSize = 4 << 20;
constexpr size_t kBuffers = 3;  // one being filled, up to two queued
}  // namespace

PcapFileWriter::~PcapFileWriter() {
  if (fd_ >= 0) (void)Close();
}

Status PcapFileWriter::Open(const std::string& path, bool nanosecond) {
  if (fd_ >= 0) return Status::FailedPrecondition("pcap writer already open: " + path_);
  path_ = path;
  nanosecond_ = nanosecond;
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    own_fd_ = false;
    path_ = "<stdout>";
  } else {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::FromErrno(errno, "creating " + path);
    own_fd_ = true;
  }
  cur_.assign(kBufferSize, 0);
  for (size_t i = 1; i < kBuffers; ++i) free_.emplace_back(kBufferSize);
  done_ = false;
  error_ = Status::Ok();
  accepted_ = 0;
  const uint32_t magic = nanosecond ? 0xa1b23c4du : 0xa1b2c3d4u;
  const uint16_t version[2] = {2, 4};
  const uint32_t rest[4] = {0 /*thiszone*/, 0 /*sigfigs*/, 262144 /*snaplen*/, 1 /*Ethernet*/};
  std::memcpy(cur_.data(), &magic, 4);
  std::memcpy(cur_.data() + 4, version, 4);
  std::memcpy(cur_.data() + 8, rest, 16);
  used_ = 24;
  thread_ = std::thread([this] { WriterLoop(); });
  return Status::Ok();
}

Status PcapFileWriter::WriteAll(const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "writing " + path_);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

void PcapFileWriter::WriterLoop() {
  SetThreadName("trove-synth-out");
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return !full_.empty() || done_; });
    if (full_.empty()) return;  // done and drained
    Chunk c = std::move(full_.front());
    full_.pop_front();
    const bool failed = !error_.ok();
    lock.unlock();
    Status s = failed ? Status::Ok() : WriteAll(c.data.data(), c.len);
    lock.lock();
    if (!s.ok() && error_.ok()) error_ = s;
    free_.push_back(std::move(c.data));
    cv_.notify_all();
  }
}

Status PcapFileWriter::Handoff() {
  if (fd_ < 0) return Status::FailedPrecondition("pcap writer not open");
  std::unique_lock<std::mutex> lock(mu_);
  if (!error_.ok()) return error_;
  accepted_ += used_;
  full_.push_back(Chunk{std::move(cur_), used_});
  cv_.notify_all();
  cv_.wait(lock, [this] { return !free_.empty() || !error_.ok(); });
  if (!error_.ok()) return error_;
  cur_ = std::move(free_.back());
  free_.pop_back();
  used_ = 0;
  return Status::Ok();
}

Status PcapFileWriter::Close() {
  if (fd_ < 0) return Status::Ok();
  Status s;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (used_ > 0 && error_.ok()) {
      accepted_ += used_;
      full_.push_back(Chunk{std::move(cur_), used_});
      used_ = 0;
    }
    done_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  s = error_;
  if (own_fd_ && ::close(fd_) != 0 && s.ok()) s = Status::FromErrno(errno, "closing " + path_);
  fd_ = -1;
  cur_.clear();
  cur_.shrink_to_fit();
  free_.clear();
  full_.clear();
  return s;
}

}  // namespace trove::synth
