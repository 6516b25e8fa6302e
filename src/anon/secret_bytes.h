#pragma once
// SecretBytes: a byte string holding key material. Its bytes are wiped
// (OPENSSL_cleanse) when it is destroyed or assigned over, comparison is
// constant-time, and there is deliberately no way to print it.
// Thread safety: a value; copies are independent (and wiped in turn).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace trove {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : v_(n) {}  // n zero bytes
  SecretBytes(const uint8_t* p, size_t n) : v_(p, p + n) {}
  SecretBytes(const SecretBytes& o) : v_(o.v_) {}
  SecretBytes(SecretBytes&& o) noexcept : v_(std::move(o.v_)) {}
  SecretBytes& operator=(const SecretBytes& o);
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  ~SecretBytes() { Wipe(); }

  uint8_t* data() { return v_.data(); }
  const uint8_t* data() const { return v_.data(); }
  size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  std::span<const uint8_t> span() const { return {v_.data(), v_.size()}; }

  // Constant-time in the contents (not in the lengths).
  bool operator==(const SecretBytes& o) const;

 private:
  void Wipe();
  std::vector<uint8_t> v_;  // never resized after construction
};

}  // namespace trove
