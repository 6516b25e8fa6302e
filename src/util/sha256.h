#pragma once
// Streaming SHA-256 over OpenSSL's EVP interface (uses SHA-NI where the CPU
// has it). Segment content hashes are computed while writing, so closing a
// segment never re-reads it. Not thread-safe; one object per stream.

#include <cstddef>
#include <cstdint>
#include <string>

#include "util/status.h"

struct evp_md_ctx_st;

namespace trove {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t len);
  // Makes this stream's state a copy of `other`'s (a snapshot to roll back to).
  void CopyStateFrom(const Sha256& other);
  // Returns the lowercase hex digest; the object is reset afterwards.
  std::string HexDigest();
  void Reset();

 private:
  evp_md_ctx_st* ctx_;
};

// Hashes a whole file (or its first `limit` bytes when limit != UINT64_MAX).
Result<std::string> Sha256File(const std::string& path, uint64_t limit = UINT64_MAX);

}  // namespace trove
