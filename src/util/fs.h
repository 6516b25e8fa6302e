#pragma once
// Fs: the one narrow seam through which trove touches the filesystem for
// segment storage (create, append, fsync, rename, remove, statvfs). Failover
// is one policy on top of it (segment/storage_router.h), and tests inject
// faults by wrapping it (FaultFs in tests) in addition to real tmpfs/ENOSPC
// runs. The default implementation is stateless and thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/status.h"

namespace trove {

// An append-only file opened for writing. Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(const void* data, size_t len) = 0;  // all or error
  virtual Status Sync() = 0;                                // fdatasync
  // Asks the kernel to start writing back everything appended so far
  // without waiting (write-behind), so the next Sync() has little left to
  // do. Best effort; never fails.
  virtual void StartWriteback() {}
  // Makes every byte appended so far readable by other processes (not
  // durable). A no-op for buffered files, whose written bytes are readable
  // at once; a direct-I/O file writes the block it holds back.
  virtual Status Flush() { return Status::Ok(); }
  virtual Status Truncate(uint64_t size) = 0;  // also moves the append position
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;      // bytes appended so far
  virtual uint64_t DeviceId() const = 0;  // st_dev of the open file
  virtual const std::string& path() const = 0;
};

struct FsStat {
  bool exists = false;
  bool is_dir = false;
  uint64_t size = 0;
  uint64_t device = 0;
};

class Fs {
 public:
  virtual ~Fs() = default;
  // Creates a new file (fails if it exists), mode 0640.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // The same, appended with O_DIRECT where the file system allows it
  // (util/direct_file.h: no page-cache copy, cheap fsync). The default, for
  // file systems and test doubles without it, is NewWritableFile.
  virtual Result<std::unique_ptr<WritableFile>> NewDirectWritableFile(const std::string& path) {
    return NewWritableFile(path);
  }
  // rename(2) then fsync of the destination directory.
  virtual Status RenameDurable(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status SyncFile(const std::string& path) = 0;   // open + fsync + close
  virtual Status CreateDirs(const std::string& dir) = 0;  // mkdir -p
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  virtual Result<FsStat> Stat(const std::string& path) = 0;
  // Bytes an unprivileged writer may still add to the file system of
  // `path`. A file system that reports no capacity at all (ramfs, some FUSE
  // mounts: zero blocks in total) has no limit to report: UINT64_MAX. Its
  // writes fail with ENOSPC, if ever, like any other.
  virtual Result<uint64_t> FreeBytes(const std::string& path) = 0;
  // Names (not paths) of directory entries, unsorted; NotFound if missing.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
};

// The real filesystem. Stateless; the returned object lives forever.
Fs& DefaultFs();

// A new file (open(2) with O_CREAT | O_EXCL | O_CLOEXEC | flags, mode
// 0640; fails if it exists): its descriptor, and its st_dev in *device.
Result<int> CreateNewFile(const std::string& path, int flags, uint64_t* device);

// Reads a whole file into memory (for small files: config, tests).
Result<std::string> ReadFileToString(const std::string& path);
// Writes a file atomically (temp + fsync + rename + dir fsync).
Status WriteFileAtomic(Fs& fs, const std::string& path, const std::string& content);

// Read-only memory map of a whole file. Empty files map to an empty span.
class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Asks the kernel to read bytes [off, off + len) in the background
  // (MADV_WILLNEED): a reader about to touch them at random saves a disk
  // round trip per page on a cold cache. A hint; clamped to the file.
  void WillNeed(size_t off, size_t len) const;

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

std::string DirName(const std::string& path);
std::string BaseName(const std::string& path);
std::string JoinPath(const std::string& a, const std::string& b);

}  // namespace trove
