#include "util/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "util/direct_file.h"

namespace trove {
namespace {

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t dev)
      : path_(std::move(path)), fd_(fd), dev_(dev) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(const void* data, size_t len) override {
    const char* p = static_cast<const char*>(data);
    while (len > 0) {
      ssize_t w = ::write(fd_, p, len);
      if (w < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "writing " + path_);
      }
      if (w == 0) return Status::FromErrno(EIO, "writing " + path_);
      p += w;
      len -= static_cast<size_t>(w);
      size_ += static_cast<uint64_t>(w);
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return Status::FromErrno(errno, "fsync " + path_);
    return Status::Ok();
  }
  void StartWriteback() override {
    if (size_ > wb_start_) {
      ::sync_file_range(fd_, static_cast<off_t>(wb_start_), static_cast<off_t>(size_ - wb_start_),
                        SYNC_FILE_RANGE_WRITE);
      wb_start_ = size_;
    }
  }
  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
      return Status::FromErrno(errno, "truncating " + path_);
    if (::lseek(fd_, static_cast<off_t>(size), SEEK_SET) < 0)
      return Status::FromErrno(errno, "seeking " + path_);
    size_ = size;
    wb_start_ = std::min(wb_start_, size);
    return Status::Ok();
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    int r = ::close(fd_);
    fd_ = -1;
    if (r != 0) return Status::FromErrno(errno, "closing " + path_);
    return Status::Ok();
  }
  uint64_t Size() const override { return size_; }
  uint64_t DeviceId() const override { return dev_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  uint64_t dev_;
  uint64_t size_ = 0;
  uint64_t wb_start_ = 0;
};

class PosixFs final : public Fs {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    uint64_t dev = 0;
    TROVE_ASSIGN_OR_RETURN(const int fd, CreateNewFile(path, O_WRONLY, &dev));
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd, dev));
  }
  Result<std::unique_ptr<WritableFile>> NewDirectWritableFile(const std::string& path) override {
    return OpenDirectWritableFile(path);
  }
  Status RenameDurable(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return Status::FromErrno(errno, "renaming " + from + " to " + to);
    return SyncDir(DirName(to));
  }
  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return Status::FromErrno(errno, "removing " + path);
    return Status::Ok();
  }
  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(errno, "opening directory " + dir);
    int r = ::fsync(fd);
    int e = errno;
    ::close(fd);
    if (r != 0) return Status::FromErrno(e, "fsync directory " + dir);
    return Status::Ok();
  }
  Status SyncFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(errno, "opening " + path);
    int r = ::fsync(fd);
    int e = errno;
    ::close(fd);
    if (r != 0) return Status::FromErrno(e, "fsync " + path);
    return Status::Ok();
  }
  Status CreateDirs(const std::string& dir) override {
    if (dir.empty()) return Status::Ok();
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
      pos = dir.find('/', pos + 1);
      cur = dir.substr(0, pos);
      if (cur.empty()) continue;
      if (::mkdir(cur.c_str(), 0750) != 0 && errno != EEXIST)
        return Status::FromErrno(errno, "creating directory " + cur);
    }
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return Status::FailedPrecondition(dir + " exists and is not a directory");
    return Status::Ok();
  }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0)
      return Status::FromErrno(errno, "truncating " + path);
    return Status::Ok();
  }
  Result<FsStat> Stat(const std::string& path) override {
    struct stat st;
    FsStat out;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return out;
      return Status::FromErrno(errno, "stat " + path);
    }
    out.exists = true;
    out.is_dir = S_ISDIR(st.st_mode);
    out.size = static_cast<uint64_t>(st.st_size);
    out.device = static_cast<uint64_t>(st.st_dev);
    return out;
  }
  Result<uint64_t> FreeBytes(const std::string& path) override {
    struct statvfs sv;
    if (::statvfs(path.c_str(), &sv) != 0) return Status::FromErrno(errno, "statvfs " + path);
    if (sv.f_blocks == 0) return UINT64_MAX;  // no capacity reported (fs.h)
    return static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return Status::FromErrno(errno, "listing " + dir);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    return names;
  }
};

}  // namespace

Result<int> CreateNewFile(const std::string& path, int flags, uint64_t* device) {
  const int fd = ::open(path.c_str(), flags | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return Status::FromErrno(errno, "creating " + path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = Status::FromErrno(errno, "stat " + path);
    ::close(fd);
    return s;
  }
  *device = static_cast<uint64_t>(st.st_dev);
  return fd;
}

Fs& DefaultFs() {
  static PosixFs fs;
  return fs;
}

Result<std::string> ReadFileToString(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::FromErrno(errno, "reading " + path);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  bool err = std::ferror(f);
  std::fclose(f);
  if (err) return Status::FromErrno(EIO, "reading " + path);
  return out;
}

Status WriteFileAtomic(Fs& fs, const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  // A leftover of a crash, usually absent; a real failure resurfaces at the create.
  (void)fs.Remove(tmp);
  auto f = fs.NewWritableFile(tmp);
  if (!f.ok()) return f.status();
  Status st = (*f)->Append(content.data(), content.size());
  if (st.ok()) st = (*f)->Sync();
  Status cs = (*f)->Close();
  if (st.ok()) st = cs;
  if (st.ok()) st = fs.RenameDurable(tmp, path);
  if (!st.ok()) (void)fs.Remove(tmp);  // do not leave a partial file taking space
  return st;
}

Result<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "opening " + path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = Status::FromErrno(errno, "stat " + path);
    ::close(fd);
    return s;
  }
  std::unique_ptr<MappedFile> m(new MappedFile());
  m->size_ = static_cast<size_t>(st.st_size);
  if (m->size_ > 0) {
    void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      Status s = Status::FromErrno(errno, "mmap " + path);
      ::close(fd);
      return s;
    }
    ::madvise(p, m->size_, MADV_SEQUENTIAL);
    m->data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return m;
}

void MappedFile::WillNeed(size_t off, size_t len) const {
  if (data_ == nullptr || off >= size_) return;
  len = std::min(len, size_ - off);
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t start = off / page * page;
  ::madvise(const_cast<uint8_t*>(data_) + start, len + (off - start), MADV_WILLNEED);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

std::string DirName(const std::string& path) {
  size_t p = path.find_last_of('/');
  if (p == std::string::npos) return ".";
  if (p == 0) return "/";
  return path.substr(0, p);
}

std::string BaseName(const std::string& path) {
  size_t p = path.find_last_of('/');
  return p == std::string::npos ? path : path.substr(p + 1);
}

std::string JoinPath(const std::string& a, const std::string& b) {
  if (b.empty()) return a;
  if (b[0] == '/' || a.empty()) return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

}  // namespace trove
