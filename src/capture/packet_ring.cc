#include "capture/packet_ring.h"

namespace trove {

PacketRing::PacketRing(size_t capacity) {
  size_t c = 64 * 1024;
  while (c < capacity) c <<= 1;
  cap_ = c;
  mask_ = c - 1;
  buf_.reset(new uint8_t[c]);
}

bool PacketRing::TryPush(const PacketRef& pkt) {
  const size_t need = (kHeader + pkt.caplen + 7) & ~size_t{7};
  if (need > cap_ / 2) return false;  // a packet that can never fit
  uint64_t head = head_.load(std::memory_order_relaxed);
  size_t pos = static_cast<size_t>(head & mask_);
  size_t room_to_end = cap_ - pos;
  // If the record does not fit before the end, we must also burn the tail.
  size_t total = need <= room_to_end ? need : room_to_end + need;
  if (head + total - cached_tail_ > cap_) {
    cached_tail_ = tail_.load(std::memory_order_acquire);
    if (head + total - cached_tail_ > cap_) return false;
  }
  if (need > room_to_end) {
    // Pad record: room_to_end is a multiple of 8 and >= 8 because every
    // record size is a multiple of 8 and cap_ is a power of two >= 64KiB.
    auto* pad = reinterpret_cast<RecordHeader*>(buf_.get() + pos);
    pad->size = 0;
    head += room_to_end;
    pos = 0;
  }
  auto* h = reinterpret_cast<RecordHeader*>(buf_.get() + pos);
  h->size = static_cast<uint32_t>(need);
  h->caplen = pkt.caplen;
  h->wirelen = pkt.wirelen;
  h->linktype = pkt.linktype;
  h->reserved = 0;
  h->iface = pkt.iface;
  h->ts_ns = pkt.ts_ns;
  std::memcpy(buf_.get() + pos + kHeader, pkt.data, pkt.caplen);
  head_.store(head + need, std::memory_order_release);
  return true;
}

bool PacketRing::Peek(PacketRef* out) {
  uint64_t tail = tail_.load(std::memory_order_relaxed);
  for (;;) {
    if (tail == cached_head_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (tail == cached_head_) return false;
    }
    size_t pos = static_cast<size_t>(tail & mask_);
    auto* h = reinterpret_cast<const RecordHeader*>(buf_.get() + pos);
    // A pad record is at most cap_-pos bytes and always fits 8 bytes, but
    // its header may not fully fit: only `size` is read.
    if (h->size == 0) {
      tail += cap_ - pos;
      tail_.store(tail, std::memory_order_release);
      continue;
    }
    out->ts_ns = h->ts_ns;
    out->caplen = h->caplen;
    out->wirelen = h->wirelen;
    out->linktype = h->linktype;
    out->iface = h->iface;
    out->data = buf_.get() + pos + kHeader;
    peeked_size_ = h->size;
    return true;
  }
}

void PacketRing::Pop() {
  uint64_t tail = tail_.load(std::memory_order_relaxed);
  tail_.store(tail + peeked_size_, std::memory_order_release);
  peeked_size_ = 0;
}

}  // namespace trove
