#include "anon/key_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string_view>

namespace trove {

namespace {

constexpr size_t kMaxKeyFileBytes = 4096;

std::string OctalMode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

// Reads a whole key file after checking that it is a regular file of mode
// 0600 or narrower (checked on the open descriptor: no race).
Result<SecretBytes> ReadSecretFile(const std::string& path, const char* what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::FromErrno(errno, std::string("opening ") + what + " " + path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno(err, std::string("stat of ") + what + " " + path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(std::string(what) + " " + path + " is not a regular file");
  }
  if ((st.st_mode & 07777 & ~mode_t{0600}) != 0) {
    ::close(fd);
    return Status::FailedPrecondition(std::string(what) + " " + path + " has mode " +
                                      OctalMode(st.st_mode) +
                                      ", wider than 0600 (others may read or change it); run "
                                      "`chmod 600 " +
                                      path + "`");
  }
  if (st.st_size > static_cast<off_t>(kMaxKeyFileBytes)) {
    ::close(fd);
    return Status::InvalidArgument(std::string(what) + " " + path + " is " +
                                   std::to_string(st.st_size) + " bytes; far too large");
  }
  SecretBytes buf(kMaxKeyFileBytes + 1);
  size_t n = 0;
  while (n < buf.size()) {
    const ssize_t r = ::read(fd, buf.data() + n, buf.size() - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const int err = errno;
      ::close(fd);
      return Status::FromErrno(err, std::string("reading ") + what + " " + path);
    }
    if (r == 0) break;
    n += static_cast<size_t>(r);
  }
  ::close(fd);
  if (n > kMaxKeyFileBytes) {
    return Status::InvalidArgument(std::string(what) + " " + path + " is far too large");
  }
  return SecretBytes(buf.data(), n);
}

int HexValue(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of `b` without one trailing "\n" or "\r\n".
size_t StripNewline(const SecretBytes& b) {
  size_t n = b.size();
  if (n > 0 && b.data()[n - 1] == '\n') {
    --n;
    if (n > 0 && b.data()[n - 1] == '\r') --n;
  }
  return n;
}

// Decodes the first `n` bytes of `b` as hex; false if any is not a digit.
bool DecodeHex(const SecretBytes& b, size_t n, SecretBytes* out) {
  SecretBytes r(n / 2);
  for (size_t i = 0; i < n / 2; ++i) {
    const int hi = HexValue(b.data()[2 * i]), lo = HexValue(b.data()[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    r.data()[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  *out = std::move(r);
  return true;
}

Status SyncDirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "opening directory " + dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno(err, "fsync of directory " + dir);
  return Status::Ok();
}

}  // namespace

Result<SecretBytes> LoadKeyFile(const std::string& path) {
  TROVE_ASSIGN_OR_RETURN(SecretBytes raw, ReadSecretFile(path, "key file"));
  if (raw.size() == 32) return raw;  // raw bytes, used as they are
  const size_t n = StripNewline(raw);
  SecretBytes key;
  if (n == 64) {
    if (DecodeHex(raw, n, &key)) return key;
    return Status::InvalidArgument("key file " + path +
                                   " has 64 characters but they are not all hex digits");
  }
  return Status::InvalidArgument("key file " + path + " is " + std::to_string(raw.size()) +
                                 " bytes; expected 32 raw bytes or 64 hex digits (and "
                                 "optionally a newline)");
}

Result<SecretBytes> LoadMasterSecretFile(const std::string& path) {
  TROVE_ASSIGN_OR_RETURN(SecretBytes raw, ReadSecretFile(path, "master key file"));
  const size_t n = StripNewline(raw);
  if (n % 2 != 0 || n < 64 || n > 512) {
    return Status::InvalidArgument("master key file " + path + " holds " + std::to_string(n) +
                                   " characters; expected an even number of hex digits, "
                                   "64 to 512 (32 to 256 bytes), and optionally a newline");
  }
  SecretBytes secret;
  if (!DecodeHex(raw, n, &secret)) {
    return Status::InvalidArgument("master key file " + path + " is not all hex digits");
  }
  return secret;
}

Status CreateMasterKeyFile(const std::string& path) {
  SecretBytes secret(32);
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    return Status::Internal("RAND_bytes failed: no randomness for a master key");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  SecretBytes text(secret.size() * 2 + 1);
  for (size_t i = 0; i < secret.size(); ++i) {
    text.data()[2 * i] = static_cast<uint8_t>(kHex[secret.data()[i] >> 4]);
    text.data()[2 * i + 1] = static_cast<uint8_t>(kHex[secret.data()[i] & 15]);
  }
  text.data()[text.size() - 1] = '\n';

  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // O_EXCL, mode 0600
  if (fd < 0) return Status::FromErrno(errno, "creating a temporary file for " + path);
  Status st;
  size_t off = 0;
  if (::fchmod(fd, 0600) != 0) st = Status::FromErrno(errno, "chmod 600 " + tmp);
  while (st.ok() && off < text.size()) {
    const ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) st = Status::FromErrno(errno, "writing " + tmp);
    if (w > 0) off += static_cast<size_t>(w);
  }
  if (st.ok() && ::fsync(fd) != 0) st = Status::FromErrno(errno, "fsync of " + tmp);
  if (::close(fd) != 0 && st.ok()) st = Status::FromErrno(errno, "closing " + tmp);
  if (st.ok() && ::link(tmp.c_str(), path.c_str()) != 0) {
    st = errno == EEXIST ? Status::AlreadyExists("master key file " + path +
                                                 " already exists; refusing to overwrite it")
                         : Status::FromErrno(errno, "creating master key file " + path);
  }
  ::unlink(tmp.c_str());
  if (!st.ok()) return st;
  return SyncDirOf(path);
}

}  // namespace trove
