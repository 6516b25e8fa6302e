#pragma once
// ByteBuffer: a growable, contiguous byte buffer for building file blocks.
// Append* never shrinks capacity, so a buffer reused across flushes stops
// allocating after warm-up. Grow() leaves new bytes uninitialised. Move-only;
// not thread-safe.

#include <cstdint>
#include <cstring>
#include <string_view>
#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

namespace trove {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(size_t reserve) { this->reserve(reserve); }
  ~ByteBuffer() { std::free(data_); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ByteBuffer(ByteBuffer&& o) noexcept { swap(o); }
  ByteBuffer& operator=(ByteBuffer&& o) noexcept {
    swap(o);
    return *this;
  }
  void swap(ByteBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
  }

  const uint8_t* data() const { return data_; }
  uint8_t* data() { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }
  void reserve(size_t n) {
    if (n <= cap_) return;
    void* p = std::realloc(data_, n);
    if (!p) throw std::bad_alloc();
    data_ = static_cast<uint8_t*>(p);
    cap_ = n;
  }

  // Grows by n bytes and returns a pointer to them. The new bytes are NOT
  // initialised: the caller overwrites all of them (no double write on the
  // hot path).
  uint8_t* Grow(size_t n) {
    if (size_ + n > cap_) reserve(std::max(cap_ * 2, size_ + n + 64));
    uint8_t* p = data_ + size_;
    size_ += n;
    return p;
  }
  void Append(const void* p, size_t n) {
    if (n == 0) return;
    std::memcpy(Grow(n), p, n);
  }
  void Append(std::string_view s) { Append(s.data(), s.size()); }
  void AppendU8(uint8_t v) { *Grow(1) = v; }
  // Native byte order (pcapng files are written in host order, which the
  // SHB byte-order magic declares).
  void AppendU16(uint16_t v) { Append(&v, 2); }
  void AppendU32(uint32_t v) { Append(&v, 4); }
  void AppendU64(uint64_t v) { Append(&v, 8); }
  void PadTo4() {
    while (size_ % 4) AppendU8(0);
  }
  void Truncate(size_t n) {
    if (n < size_) size_ = n;
  }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace trove
