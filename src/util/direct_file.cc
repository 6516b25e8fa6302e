#include "util/direct_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace trove {
namespace {

constexpr size_t kAlign = 4096;      // covers 512- and 4096-byte logical blocks
constexpr size_t kStage = 1u << 20;  // bytes per direct write, at most

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

class DirectWritableFile final : public WritableFile {
 public:
  DirectWritableFile(std::string path, int fd, uint64_t dev,
                     std::unique_ptr<uint8_t[], FreeDeleter> stage, bool direct)
      : path_(std::move(path)), fd_(fd), dev_(dev), stage_(std::move(stage)), direct_(direct) {}
  ~DirectWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(const void* data, size_t len) override {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    if (!direct_) return WriteAt(p, len, size_, &size_);
    while (len > 0) {
      const size_t n = std::min(len, kStage - tail_);
      std::memcpy(stage_.get() + tail_, p, n);
      tail_ += n;
      size_ += n;
      p += n;
      len -= n;
      const size_t whole = tail_ / kAlign * kAlign;
      if (whole == 0) continue;
      TROVE_RETURN_IF_ERROR(WriteStage(whole, whole));
      if (!direct_) return WriteAt(p, len, size_, &size_);  // fell back: the rest buffered
    }
    return Status::Ok();
  }

  Status Flush() override { return WriteTail(); }

  Status Sync() override {
    TROVE_RETURN_IF_ERROR(WriteTail());
    if (::fdatasync(fd_) != 0) return Status::FromErrno(errno, "fsync " + path_);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    TROVE_RETURN_IF_ERROR(WriteTail());
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
      return Status::FromErrno(errno, "truncating " + path_);
    size_ = size;
    if (!direct_) return Status::Ok();
    // Re-stage the partial block the file now ends with (one aligned read:
    // the descriptor is O_DIRECT; it comes back short, at the end of file).
    aligned_ = size / kAlign * kAlign;
    tail_ = size - aligned_;
    if (tail_ == 0) return Status::Ok();
    ssize_t r;
    do {
      r = ::pread(fd_, stage_.get(), kAlign, static_cast<off_t>(aligned_));
    } while (r < 0 && errno == EINTR);
    if (r < 0) return Status::FromErrno(errno, "reading back " + path_);
    if (static_cast<size_t>(r) < tail_)
      return Status::FromErrno(EIO, "reading back " + path_ + " (short read)");
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    Status s = WriteTail();
    const int r = ::close(fd_);
    fd_ = -1;
    if (s.ok() && r != 0) s = Status::FromErrno(errno, "closing " + path_);
    return s;
  }

  uint64_t Size() const override { return size_; }
  uint64_t DeviceId() const override { return dev_; }
  const std::string& path() const override { return path_; }

 private:
  // pwrite of all `len` bytes at `off`; *end = off + len on success.
  Status WriteAt(const uint8_t* p, size_t len, uint64_t off, uint64_t* end) {
    while (len > 0) {
      const ssize_t w = ::pwrite(fd_, p, len, static_cast<off_t>(off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Status::FromErrno(errno, "writing " + path_);
      if (w == 0) return Status::FromErrno(EIO, "writing " + path_);
      p += w;
      off += static_cast<uint64_t>(w);
      len -= static_cast<size_t>(w);
    }
    if (end) *end = off;
    return Status::Ok();
  }

  // Writes the first `len` (a multiple of kAlign) staged bytes at aligned_
  // and keeps the stage from `keep_from` on (keep_from <= len: the bytes
  // before it are done; a padded tail is rewritten later).
  Status WriteStage(size_t len, size_t keep_from) {
    Status s = WriteAt(stage_.get(), len, aligned_, nullptr);
    if (!s.ok() && s.sys_errno() == EINVAL && !wrote_direct_) {
      // The file system takes no O_DIRECT writes: buffered from here on.
      return FallBack();
    }
    if (!s.ok()) return s;
    wrote_direct_ = true;
    aligned_ += keep_from;
    tail_ -= keep_from;
    std::memmove(stage_.get(), stage_.get() + keep_from, tail_);
    return Status::Ok();
  }

  // The staged partial block, padded with zeros to kAlign, then the file
  // cut back to Size().
  Status WriteTail() {
    if (!direct_ || tail_ == 0 || fd_ < 0) return Status::Ok();
    const size_t padded = (tail_ + kAlign - 1) / kAlign * kAlign;
    std::memset(stage_.get() + tail_, 0, padded - tail_);
    TROVE_RETURN_IF_ERROR(WriteStage(padded, 0));
    if (!direct_) return Status::Ok();
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0)
      return Status::FromErrno(errno, "truncating " + path_);
    return Status::Ok();
  }

  Status FallBack() {
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0)
      return Status::FromErrno(errno, "clearing O_DIRECT on " + path_);
    direct_ = false;
    const size_t n = tail_;
    tail_ = 0;
    return WriteAt(stage_.get(), n, aligned_, nullptr);
  }

  std::string path_;
  int fd_;
  uint64_t dev_;
  std::unique_ptr<uint8_t[], FreeDeleter> stage_;  // kStage bytes, kAlign-aligned
  bool direct_;
  bool wrote_direct_ = false;  // a direct write succeeded: EINVAL is then a real error
  uint64_t size_ = 0;          // bytes appended
  uint64_t aligned_ = 0;       // file offset of stage_[0], a multiple of kAlign
  size_t tail_ = 0;            // staged bytes: file bytes [aligned_, aligned_ + tail_)
};

}  // namespace

Result<std::unique_ptr<WritableFile>> OpenDirectWritableFile(const std::string& path) {
  void* mem = nullptr;
  if (::posix_memalign(&mem, kAlign, kStage) != 0)
    return Status::FromErrno(ENOMEM, "staging buffer for " + path);
  std::unique_ptr<uint8_t[], FreeDeleter> stage(static_cast<uint8_t*>(mem));
  uint64_t dev = 0;
  bool direct = true;
  auto fd = CreateNewFile(path, O_RDWR | O_DIRECT, &dev);
  if (!fd.ok() && fd.status().sys_errno() == EINVAL) {  // no O_DIRECT on this file system
    // The kernel checks O_DIRECT after creating the file (ramfs does this):
    // the empty file left behind is ours, as O_EXCL found none before.
    direct = false;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return Status::FromErrno(errno, "removing " + path + " (left by an O_DIRECT open)");
    fd = CreateNewFile(path, O_RDWR, &dev);
  }
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<WritableFile>(
      new DirectWritableFile(path, *fd, dev, std::move(stage), direct));
}

}  // namespace trove
