#pragma once
// ByteBuffer: a growable, contiguous byte buffer for building file blocks.
// Append* never shrinks capacity, so a buffer reused across flushes stops
// allocating after warm-up. Not thread-safe.

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace trove {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(size_t reserve) { buf_.reserve(reserve); }

  const uint8_t* data() const { return buf_.data(); }
  uint8_t* data() { return buf_.data(); }
  size_t size() const { return buf_.size(); }
  bool empty() const { return buf_.empty(); }
  void clear() { buf_.clear(); }
  void reserve(size_t n) { buf_.reserve(n); }

  // Grows by n bytes and returns a pointer to them (uninitialised content
  // is zero-filled by vector; callers overwrite it).
  uint8_t* Grow(size_t n) {
    size_t old = buf_.size();
    buf_.resize(old + n);
    return buf_.data() + old;
  }
  void Append(const void* p, size_t n) {
    if (n == 0) return;
    std::memcpy(Grow(n), p, n);
  }
  void Append(std::string_view s) { Append(s.data(), s.size()); }
  void AppendU8(uint8_t v) { buf_.push_back(v); }
  // Native byte order (pcapng files are written in host order, which the
  // SHB byte-order magic declares).
  void AppendU16(uint16_t v) { Append(&v, 2); }
  void AppendU32(uint32_t v) { Append(&v, 4); }
  void AppendU64(uint64_t v) { Append(&v, 8); }
  void PadTo4() {
    while (buf_.size() % 4) buf_.push_back(0);
  }
  void Truncate(size_t n) {
    if (n < buf_.size()) buf_.resize(n);
  }

 private:
  std::vector<uint8_t> buf_;
};

}  // namespace trove
