#include "flow/connection_table.h"

#include <algorithm>

namespace trove {
namespace {

constexpr uint64_t kNotFound = ~uint64_t{0};
constexpr int64_t kSweepIntervalNs = 1'000'000'000;
constexpr int kRequeueLimit = 8;

}  // namespace

ConnectionTable::ConnectionTable(ConnectionTableOptions opts) : opts_(opts) {
  if (opts_.max_connections == 0) opts_.max_connections = 1;
  if (opts_.max_connections >= kNil / 2) opts_.max_connections = kNil / 2 - 1;
  pool_.reserve(opts_.max_connections);
  max_timeout_ = *std::max_element(opts_.timeout_ns.begin(), opts_.timeout_ns.end());
  max_slots_ = 1024;
  while (max_slots_ < 2ull * opts_.max_connections) max_slots_ <<= 1;
  const uint64_t n = std::min<uint64_t>(max_slots_, 4096);
  slots_.assign(n, Slot{});
  mask_ = n - 1;
}

size_t ConnectionTable::MemoryBytes() const {
  return pool_.capacity() * sizeof(Connection) + slots_.capacity() * sizeof(Slot);
}

size_t ConnectionTable::MaxMemoryBytes() const {
  return pool_.capacity() * sizeof(Connection) + max_slots_ * sizeof(Slot);
}

// Doubles the index (load > 1/2). Rare: log2(max_slots / 4096) times in
// the life of a table, each O(size).
void ConnectionTable::GrowIndex() {
  ResizeProbeSlots(&slots_, slots_.size() * 2);
  mask_ = slots_.size() - 1;
}

ProtoGroup ConnectionTable::GroupOf(const FlowKey& k) {
  if (k.kind == FlowKind::kIcmp) return ProtoGroup::kIcmp;
  if (k.kind == FlowKind::kTransport) {
    if (k.proto == 6) return ProtoGroup::kTcp;
    if (k.proto == 17) return ProtoGroup::kUdp;
  }
  return ProtoGroup::kOther;
}

uint64_t ConnectionTable::ProbeFind(const FlowKey& key, uint32_t tag) const {
  for (uint64_t pos = tag & mask_;; pos = (pos + 1) & mask_) {
    const Slot& s = slots_[pos];
    if (s.idx == kNil) return kNotFound;
    if (s.tag == tag && pool_[s.idx].key == key) return pos;
  }
}

void ConnectionTable::Unlink(uint32_t idx) {
  Connection& c = pool_[idx];
  List& l = ListOf(c);
  if (c.prev != kNil)
    pool_[c.prev].next = c.next;
  else
    l.head = c.next;
  if (c.next != kNil)
    pool_[c.next].prev = c.prev;
  else
    l.tail = c.prev;
  c.prev = c.next = kNil;
}

void ConnectionTable::Append(uint32_t idx) {
  Connection& c = pool_[idx];
  List& l = ListOf(c);
  c.list_ts_ns = now_;
  c.next = kNil;
  c.prev = l.tail;
  if (l.tail != kNil)
    pool_[l.tail].next = idx;
  else
    l.head = idx;
  l.tail = idx;
}

// Backward-shift deletion (linear probing): no tombstones, so probe
// lengths do not degrade under churn.
void ConnectionTable::EraseSlot(uint64_t i) {
  for (uint64_t j = (i + 1) & mask_; slots_[j].idx != kNil; j = (j + 1) & mask_) {
    const uint64_t home = slots_[j].tag & mask_;
    if (((j - home) & mask_) >= ((j - i) & mask_)) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i].idx = kNil;
}

void ConnectionTable::Remove(uint32_t idx) {
  Connection& c = pool_[idx];
  const uint32_t tag = static_cast<uint32_t>(c.key.Hash());
  const uint64_t pos = ProbeFind(c.key, tag);
  if (pos != kNotFound) EraseSlot(pos);
  Unlink(idx);
  --active_by_class_[c.klass];
  c.next = free_head_;
  free_head_ = idx;
  --size_;
}

void ConnectionTable::ExpireIdle(int64_t now_ns) {
  now_ = std::max(now_, now_ns);
  for (auto& tier : lists_) {
    for (int g = 0; g < kProtoGroups; ++g) {
      List& l = tier[g];
      const int64_t timeout = opts_.timeout_ns[g];
      // The list is in queue order, and list_ts <= last_ts for every entry,
      // so the first head queued within the timeout ends the sweep.
      while (l.head != kNil) {
        Connection& c = pool_[l.head];
        if (now_ - c.list_ts_ns <= timeout) break;
        const uint32_t idx = l.head;
        if (Expired(c)) {
          Remove(idx);
          ++counters_.expired;
        } else {
          Unlink(idx);
          Append(idx);
        }
      }
    }
  }
}

bool ConnectionTable::EvictOne() {
  for (int t = 0; t < kConnTiers; ++t) {
    for (int attempt = 0; attempt <= kRequeueLimit; ++attempt) {
      // The oldest queued head of this tier across protocol groups.
      int best = -1;
      for (int g = 0; g < kProtoGroups; ++g) {
        const uint32_t h = lists_[t][g].head;
        if (h == kNil) continue;
        if (best < 0 || pool_[h].list_ts_ns < pool_[lists_[t][best].head].list_ts_ns) best = g;
      }
      if (best < 0) break;  // tier empty
      const uint32_t idx = lists_[t][best].head;
      Connection& c = pool_[idx];
      if (attempt < kRequeueLimit && c.last_ts_ns > c.list_ts_ns && lists_[t][best].tail != idx) {
        Unlink(idx);  // active since queued: give it another round
        Append(idx);
        continue;
      }
      ++evicted_by_class_[c.klass];
      ++counters_.evicted_early;
      ++counters_.evicted_early_by_tier[t];
      Remove(idx);
      return true;
    }
  }
  return false;
}

void ConnectionTable::StartEpoch(int64_t ts_ns) {
  last_epoch_ended_ = size_;
  for (auto& tier : lists_)
    for (auto& l : tier)
      while (l.head != kNil) Remove(l.head);
  counters_.expired += last_epoch_ended_;
  ++counters_.time_steps;
  now_ = ts_ns;
  next_sweep_ = INT64_MIN;
}

Connection* ConnectionTable::Find(const FlowKey& key) {
  const uint32_t tag = static_cast<uint32_t>(key.Hash());
  const uint64_t pos = ProbeFind(key, tag);
  if (pos == kNotFound) return nullptr;
  Connection& c = pool_[slots_[pos].idx];
  return Expired(c) ? nullptr : &c;
}

void ConnectionTable::SetClass(Connection* c, uint8_t klass) {
  --active_by_class_[c->klass];
  c->klass = klass;
  ++active_by_class_[klass];
}

Connection* ConnectionTable::Touch(const FlowKey& key, uint64_t hash, bool src_is_hi, int64_t ts_ns,
                                   bool* created) {
  AdvanceClock(ts_ns);
  if (now_ >= next_sweep_) {
    ExpireIdle(now_);
    next_sweep_ = now_ + kSweepIntervalNs;
  }
  const uint8_t dir = src_is_hi ? Connection::kSeenHiToLo : Connection::kSeenLoToHi;
  const uint32_t tag = static_cast<uint32_t>(hash);
  uint64_t pos = ProbeFind(key, tag);
  if (pos != kNotFound) {
    const uint32_t idx = slots_[pos].idx;
    Connection& c = pool_[idx];
    if (!Expired(c)) {
      *created = false;
      ++c.packets;
      c.last_ts_ns = std::max(c.last_ts_ns, ts_ns);
      if ((c.flags & dir) == 0 || c.tier == ConnTier::kOnePacket) {
        c.flags |= dir;
        const ConnTier t =
            (c.flags & Connection::kSeenLoToHi) && (c.flags & Connection::kSeenHiToLo)
                ? ConnTier::kTwoSided
                : ConnTier::kOneSided;
        if (t != c.tier) {
          Unlink(idx);
          c.tier = t;
          Append(idx);
        }
      }
      return &c;
    }
    Remove(idx);
    ++counters_.expired;
  }
  if (size_ >= opts_.max_connections) {
    ExpireIdle(now_);
    if (size_ >= opts_.max_connections) EvictOne();
  }
  if (2 * (size_ + 1) > slots_.size() && slots_.size() < max_slots_) GrowIndex();
  uint32_t idx;
  if (free_head_ != kNil) {
    idx = free_head_;
    free_head_ = pool_[idx].next;
  } else {
    idx = static_cast<uint32_t>(pool_.size());
    pool_.emplace_back();  // within the reserved capacity: no reallocation
  }
  Connection& c = pool_[idx];
  c = Connection{};
  c.key = key;
  c.flags = static_cast<uint8_t>(dir | (src_is_hi ? Connection::kOrigIsHi : 0));
  c.group = GroupOf(key);
  c.packets = 1;
  c.first_ts_ns = c.last_ts_ns = ts_ns;
  c.prev = c.next = kNil;
  Append(idx);
  ++active_by_class_[kNoClass];
  ++size_;
  ++counters_.created;
  // Removals above may have shifted slots: probe again for the free one.
  for (pos = tag & mask_; slots_[pos].idx != kNil; pos = (pos + 1) & mask_) {
  }
  slots_[pos] = Slot{idx, tag};
  *created = true;
  return &c;
}

}  // namespace trove
