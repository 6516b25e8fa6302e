#include "util/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <vector>

namespace trove {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) { Reset(); }
Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Reset() { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }

void Sha256::Update(const void* data, size_t len) {
  if (len) EVP_DigestUpdate(ctx_, data, len);
}

void Sha256::CopyStateFrom(const Sha256& other) { EVP_MD_CTX_copy_ex(ctx_, other.ctx_); }

std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_, md, &n);
  static const char* kHex = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
  Reset();
  return out;
}

Result<std::string> Sha256File(const std::string& path, uint64_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "hashing " + path);
  Sha256 h;
  std::vector<char> buf(1 << 20);
  uint64_t done = 0;
  while (done < limit) {
    size_t want = buf.size();
    if (limit - done < want) want = static_cast<size_t>(limit - done);
    ssize_t r = ::read(fd, buf.data(), want);
    if (r < 0) {
      if (errno == EINTR) continue;
      Status s = Status::FromErrno(errno, "hashing " + path);
      ::close(fd);
      return s;
    }
    if (r == 0) break;
    h.Update(buf.data(), static_cast<size_t>(r));
    done += static_cast<uint64_t>(r);
  }
  ::close(fd);
  return h.HexDigest();
}

}  // namespace trove
