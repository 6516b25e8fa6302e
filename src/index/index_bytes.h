#pragma once
// Internal to src/index: the byte-level coding shared by the index codec
// (index_codec.cc) and the random-access reader of version-3 files
// (index_view.cc): little-endian fixed fields, LEB128 varints, record-id
// lists and connection records, as docs/FORMAT.md "Segment index files"
// specifies them. Reader is bounds-checked everywhere; its first failure
// (naming the file and the absolute byte offset) sticks, and later reads
// return zeros. Not a public interface.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "index/segment_index.h"
#include "util/status.h"

namespace trove::index_internal {

class Writer {
 public:
  void U8(uint8_t v) { s_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Fixed(v, 2); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v), 8); }
  void Bytes(const void* p, size_t n) { s_.append(static_cast<const char*>(p), n); }
  void Var(uint64_t v) {
    while (v >= 0x80) {
      U8(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    U8(static_cast<uint8_t>(v));
  }
  // Signed delta (zigzag): timestamps may go backwards inside a segment.
  void SVar(int64_t v) { Var((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  std::string& str() { return s_; }

 private:
  void Fixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::string s_;
};

class Reader {
 public:
  Reader(const uint8_t* p, size_t n, size_t base, const std::string& path)
      : p_(p), n_(n), base_(base), path_(path) {}
  size_t pos() const { return pos_; }
  size_t left() const { return n_ - pos_; }
  bool ok() const { return err_.ok(); }
  const Status& status() const { return err_; }
  void Fail(const std::string& what) {
    if (err_.ok())
      err_ = Status::Corruption("index " + path_ + ": corrupt at offset " +
                                std::to_string(base_ + pos_) + ": " + what);
  }
  // a + b, or a failure naming `what` when it overflows (a corrupt file).
  int64_t Add(int64_t a, int64_t b, const char* what) {
    int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
      Fail(std::string(what) + " out of range");
      return 0;
    }
    return sum;
  }
  bool Need(size_t k, const char* what) {
    if (!ok()) return false;
    if (k > left()) {
      Fail(std::string("truncated (") + what + ")");
      return false;
    }
    return true;
  }
  uint64_t Fixed(int k, const char* what) {
    if (!Need(static_cast<size_t>(k), what)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < k; ++i)
      v |= static_cast<uint64_t>(p_[pos_ + static_cast<size_t>(i)]) << (8 * i);
    pos_ += static_cast<size_t>(k);
    return v;
  }
  void Bytes(void* out, size_t k, const char* what) {
    if (!Need(k, what)) return;
    std::memcpy(out, p_ + pos_, k);
    pos_ += k;
  }
  uint64_t Var(const char* what) {
    if (n_ - pos_ >= 10 && ok()) {  // no bounds check per byte
      uint64_t v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        const uint8_t b = p_[pos_++];
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
      }
      Fail(std::string("varint too long (") + what + ")");
      return 0;
    }
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Need(1, what)) return 0;
      uint8_t b = p_[pos_++];
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    Fail(std::string("varint too long (") + what + ")");
    return 0;
  }
  void Skip(size_t k) {
    if (Need(k, "skip")) pos_ += k;
  }
  // Skips n varints (each at most 10 bytes). Eight bytes at a time: a
  // byte without the high bit ends a varint; a run of 10 bytes with it set
  // is a varint too long (the byte loop reports it, like Var).
  void SkipVars(uint64_t n, const char* what) {
    if (!ok()) return;
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    size_t run = 0;  // continuation bytes of the varint in progress
    while (std::endian::native == std::endian::little && n >= 8 && n_ - pos_ >= 8) {
      uint64_t w;
      std::memcpy(&w, p_ + pos_, 8);
      const uint64_t ends = ~w & kHigh;  // one bit per terminating byte
      if (ends == 0 || run + static_cast<size_t>(__builtin_ctzll(ends) >> 3) >= 10) break;
      const uint64_t t = (ends >> 7) * 0x0101010101010101ull >> 56;  // bytes set
      if (t > n) break;
      // Runs between terminators in one word are < 8 bytes; the bytes after
      // the last terminator carry over to the next word.
      run = static_cast<size_t>(__builtin_clzll(ends) >> 3);
      n -= t;
      pos_ += 8;
    }
    for (; n && ok(); --n) {
      for (;;) {
        if (pos_ >= n_) {
          Fail(std::string("truncated (") + what + ")");
          return;
        }
        const uint8_t b = p_[pos_++];
        if (!(b & 0x80)) break;
        if (++run >= 10) {
          Fail(std::string("varint too long (") + what + ")");
          return;
        }
      }
      run = 0;
    }
  }
  int64_t SVar(const char* what) {
    uint64_t z = Var(what);
    return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  }
  // A count of items each taking at least `min_bytes`: bounded by what is left.
  uint64_t Count(uint64_t n, size_t min_bytes, const char* what) {
    if (ok() && n > left() / (min_bytes ? min_bytes : 1)) {
      Fail(std::string("count ") + std::to_string(n) + " of " + what + " exceeds the file");
      return 0;
    }
    return ok() ? n : 0;
  }

 private:
  const uint8_t* p_;
  size_t n_, pos_ = 0, base_;
  const std::string& path_;
  Status err_;
};

// The first 8 bytes of SHA-256(p[0..n)), read as a big-endian integer.
uint64_t Checksum8(const uint8_t* p, size_t n);

// Record-id lists: varint n, then n varints delta-coded (first absolute).
void PutIds(Writer& w, const std::vector<uint32_t>& ids);
// Ascending, each < nconns; `what` names the list in errors.
std::vector<uint32_t> GetIds(Reader& r, size_t nconns, const char* what);

// The segment description that starts every body (version 3: after the
// directory length): name, link type, segment bytes, packets, first and
// last timestamp, body flags (bit 0: monotonic).
void PutMeta(Writer& w, const SegmentIndex& ix);
void GetMeta(Reader& r, SegmentIndex* ix);
inline size_t MetaBytes(const SegmentIndex& ix) {
  return 2 + ix.segment_name.size() + 2 + 8 * 4 + 1;
}

// The smallest encoding of a record (fixed fields, one byte per varint).
inline constexpr size_t kRecordFixedBytes = 16 + 16 + 2 + 2 + 4 + 4 + 4 + 1;

// One connection record, offsets included (version 2 and 3 write their
// byte length L first; version 1 does not).
void PutRecord(Writer& w, const ConnRecord& c, int64_t base_ts_ns, uint32_t version);
// Reads one record. With defer_offsets the offsets are skipped, and
// c.offsets_at (absolute file offset; `file_base` is the file offset of the
// reader's first byte) and c.offsets_bytes locate them.
ConnRecord GetRecord(Reader& r, int64_t base_ts_ns, uint32_t version, bool defer_offsets,
                     uint64_t segment_bytes, size_t file_base);
// Reads n delta-coded offsets: ascending, each < segment_bytes when known.
void ReadOffsets(Reader& r, uint64_t n, uint64_t segment_bytes, std::vector<uint64_t>* out);

}  // namespace trove::index_internal
