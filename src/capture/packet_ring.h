#pragma once
// PacketRing: a bounded single-producer/single-consumer ring of
// variable-size packet records in one contiguous allocation. The capture
// thread (producer) copies each packet's captured bytes in exactly once;
// the writer stage (consumer) reads them in place and releases them. No
// locks: head and tail are atomics, each side caches the other's index and
// reloads it only when it looks full/empty. Records never wrap; a pad
// record skips the tail end of the buffer.
//
// Exactly one thread may call the producer methods and one thread the
// consumer methods.

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

#include "packet/packet.h"

namespace trove {

class PacketRing {
 public:
  // capacity is rounded up to a power of two (minimum 64 KiB).
  explicit PacketRing(size_t capacity);

  // Producer: copies pkt (pkt.caplen bytes) into the ring. Returns false
  // (and copies nothing) if there is no room.
  bool TryPush(const PacketRef& pkt);

  // Consumer: the oldest record, or false if empty. out->data points into
  // the ring and stays valid until Pop().
  bool Peek(PacketRef* out);
  void Pop();

  // Producer: marks the end of input; consumer sees Closed() once drained.
  void Close() { closed_.store(true, std::memory_order_release); }
  bool Closed() const { return closed_.load(std::memory_order_acquire); }
  size_t capacity() const { return cap_; }
  // Approximate fill level in bytes (either thread).
  size_t Used() const {
    return static_cast<size_t>(head_.load(std::memory_order_relaxed) -
                               tail_.load(std::memory_order_relaxed));
  }

 private:
  struct alignas(8) RecordHeader {
    uint32_t size;     // whole record incl. header, multiple of 8; 0 = pad to end
    uint32_t caplen;
    uint32_t wirelen;
    uint16_t linktype;
    uint16_t reserved;
    int64_t ts_ns;
    const PacketInterface* iface;  // owned by the source (PacketRef::iface)
  };
  static constexpr size_t kHeader = sizeof(RecordHeader);
  static_assert(kHeader == 32);

  size_t cap_;
  size_t mask_;
  std::unique_ptr<uint8_t[]> buf_;
  alignas(64) std::atomic<uint64_t> head_{0};  // producer writes
  uint64_t cached_tail_ = 0;                   // producer's view of tail_
  alignas(64) std::atomic<uint64_t> tail_{0};  // consumer writes
  uint64_t cached_head_ = 0;                   // consumer's view of head_
  uint64_t peeked_size_ = 0;
  alignas(64) std::atomic<bool> closed_{false};
};

}  // namespace trove
