#include "anon/secret_bytes.h"

#include <openssl/crypto.h>

namespace trove {

SecretBytes& SecretBytes::operator=(const SecretBytes& o) {
  if (this != &o) {
    Wipe();
    v_ = o.v_;
  }
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    Wipe();
    v_ = std::move(o.v_);
    o.v_.clear();
  }
  return *this;
}

bool SecretBytes::operator==(const SecretBytes& o) const {
  return v_.size() == o.v_.size() &&
         (v_.empty() || CRYPTO_memcmp(v_.data(), o.v_.data(), v_.size()) == 0);
}

void SecretBytes::Wipe() {
  if (!v_.empty()) OPENSSL_cleanse(v_.data(), v_.size());
  v_.clear();
}

}  // namespace trove
