#include "levels/reverse_map.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "anon/key_schedule.h"
#include "util/fs.h"

namespace trove {
namespace {

constexpr size_t kNonce = 12, kTag = 16, kPlain = 33;
constexpr size_t kBody = kNonce + kPlain + kTag;  // 61

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

std::string Aad(const std::string& level, const std::string& epoch) {
  return "trove-reverse-v1/" + level + "/" + epoch;
}

bool Seal(const SecretBytes& key, const std::string& aad, const uint8_t plain[kPlain],
          uint8_t out[kBody]) {
  if (RAND_bytes(out, kNonce) != 1) return false;
  Ctx c(EVP_CIPHER_CTX_new());
  int n = 0;
  if (!c || EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, key.data(), out) != 1 ||
      EVP_EncryptUpdate(c.get(), nullptr, &n, reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(c.get(), out + kNonce, &n, plain, kPlain) != 1 ||
      EVP_EncryptFinal_ex(c.get(), out + kNonce + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, kTag, out + kNonce + kPlain) != 1)
    return false;
  return true;
}

bool Open(const SecretBytes& key, const std::string& aad, const uint8_t in[kBody],
          uint8_t plain[kPlain]) {
  Ctx c(EVP_CIPHER_CTX_new());
  int n = 0;
  uint8_t tag[kTag];
  std::memcpy(tag, in + kNonce + kPlain, kTag);
  if (!c || EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, key.data(), in) != 1 ||
      EVP_DecryptUpdate(c.get(), nullptr, &n, reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(c.get(), plain, &n, in + kNonce, kPlain) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag) != 1)
    return false;
  return EVP_DecryptFinal_ex(c.get(), plain + n, &n) == 1;
}

// Parses records; *complete = bytes of whole records.
Status ParseRecords(const std::string& path, const std::string& data, const SecretBytes& key,
                    const std::string& aad, std::vector<ReverseEntry>* out, size_t* complete) {
  size_t off = 0;
  while (off + 2 + kBody <= data.size()) {
    const uint16_t n = static_cast<uint16_t>(static_cast<uint8_t>(data[off]) |
                                             (static_cast<uint8_t>(data[off + 1]) << 8));
    if (n != kBody)
      return Status::Corruption(path + ": bad record length at offset " + std::to_string(off));
    uint8_t plain[kPlain];
    if (!Open(key, aad, reinterpret_cast<const uint8_t*>(data.data()) + off + 2, plain))
      return Status::Corruption(path + ": record at offset " + std::to_string(off) +
                                " fails authentication (tampered, or another master key)");
    ReverseEntry e;
    e.family = plain[0];
    std::memcpy(e.original.data(), plain + 1, 16);
    std::memcpy(e.pseudonym.data(), plain + 17, 16);
    OPENSSL_cleanse(plain, sizeof plain);
    out->push_back(e);
    off += 2 + kBody;
  }
  *complete = off;
  return Status::Ok();
}

Result<std::string> ReadAll(const std::string& path) {
  auto r = ReadFileToString(path);
  if (!r.ok() && r.status().code() == Status::Code::kNotFound) return std::string();
  return r;
}

}  // namespace

std::string ReverseMapPath(const std::string& dir, const std::string& level,
                           const std::string& epoch) {
  return JoinPath(dir, level + "-" + epoch + ".map");
}

Result<std::vector<ReverseEntry>> ReadReverseMap(const std::string& path,
                                                 std::span<const uint8_t> master,
                                                 const std::string& level,
                                                 const std::string& epoch) {
  auto key = DeriveKey(master, "reverse", level, epoch);
  if (!key.ok()) return key.status();
  auto data = ReadAll(path);
  if (!data.ok()) return data.status();
  std::vector<ReverseEntry> out;
  size_t complete = 0;
  TROVE_RETURN_IF_ERROR(ParseRecords(path, *data, *key, Aad(level, epoch), &out, &complete));
  return out;
}

Result<std::unique_ptr<ReverseMapWriter>> ReverseMapWriter::Open(const std::string& dir,
                                                                 std::span<const uint8_t> master,
                                                                 const std::string& level,
                                                                 const std::string& epoch) {
  auto key = DeriveKey(master, "reverse", level, epoch);
  if (!key.ok()) return key.status();
  TROVE_RETURN_IF_ERROR(DefaultFs().CreateDirs(dir));
  if (::chmod(dir.c_str(), 0700) != 0) return Status::FromErrno(errno, "chmod 700 " + dir);
  std::unique_ptr<ReverseMapWriter> w(new ReverseMapWriter());
  w->path_ = ReverseMapPath(dir, level, epoch);
  w->aad_ = Aad(level, epoch);
  w->key_ = std::move(key).value();
  auto data = ReadAll(w->path_);
  if (!data.ok()) return data.status();
  std::vector<ReverseEntry> existing;
  size_t complete = 0;
  TROVE_RETURN_IF_ERROR(ParseRecords(w->path_, *data, w->key_, w->aad_, &existing, &complete));
  w->known_.insert(existing.begin(), existing.end());
  w->fd_ = ::open(w->path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (w->fd_ < 0) return Status::FromErrno(errno, "opening " + w->path_);
  if (complete != data->size() && ::ftruncate(w->fd_, static_cast<off_t>(complete)) != 0)
    return Status::FromErrno(errno, "truncating the torn tail of " + w->path_);
  return w;
}

ReverseMapWriter::~ReverseMapWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!pending_.empty()) OPENSSL_cleanse(pending_.data(), pending_.size());
}

void ReverseMapWriter::Add(int family, const uint8_t* original, const uint8_t* pseudonym) {
  ReverseEntry e;
  e.family = family;
  const size_t n = family == 4 ? 4 : 16;
  std::memcpy(e.original.data(), original, n);
  std::memcpy(e.pseudonym.data(), pseudonym, n);
  if (!known_.insert(e).second) return;
  uint8_t plain[kPlain];
  plain[0] = static_cast<uint8_t>(family);
  std::memcpy(plain + 1, e.original.data(), 16);
  std::memcpy(plain + 17, e.pseudonym.data(), 16);
  uint8_t rec[2 + kBody];
  rec[0] = static_cast<uint8_t>(kBody & 0xff);
  rec[1] = static_cast<uint8_t>(kBody >> 8);
  const bool ok = Seal(key_, aad_, plain, rec + 2);
  OPENSSL_cleanse(plain, sizeof plain);
  if (!ok) {
    known_.erase(e);  // retried on the next sighting
    return;
  }
  pending_.insert(pending_.end(), rec, rec + sizeof rec);
}

Status ReverseMapWriter::Flush() {
  size_t off = 0;
  while (off < pending_.size()) {
    ssize_t n = ::write(fd_, pending_.data() + off, pending_.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "appending to " + path_);
    }
    off += static_cast<size_t>(n);
  }
  pending_.clear();
  if (::fsync(fd_) != 0) return Status::FromErrno(errno, "fsync " + path_);
  return Status::Ok();
}

}  // namespace trove
