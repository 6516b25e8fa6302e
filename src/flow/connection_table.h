#pragma once
// ConnectionTable: the active bidirectional connections of one link, keyed
// by FlowKey (packet/flow_key.h: canonical order, VLAN/QinQ/MPLS already
// stripped by the decoder, ICMP by type/code/id).
//
// Contract:
//  - Time is packet time: `now` is the largest timestamp seen so far (a
//    packet older than that does not move the clock back). A connection
//    whose last packet is more than the timeout of its protocol group older
//    than `now` is over; the next packet with its key starts a new one.
//    Timeouts are configured per group (TCP, UDP, ICMP, other/fragments).
//  - Time that steps back: a packet older than `now` by at most the largest
//    timeout is a reordering and changes nothing (the clock stays). A packet
//    older by more than that starts a new epoch: every open connection ends
//    as if timed out (counted in `expired`), `now` becomes the packet's
//    time, and `time_steps` counts the step. So an older trace after a newer
//    one, or a clock stepped back, is cut as if it came alone.
//  - Memory is bounded: at most max_connections entries. The entry pool is
//    reserved once (address space; pages are touched only as it fills).
//    The hash index (8 bytes a slot, load <= 1/2) starts at 4096 slots and
//    doubles as the table grows, up to 2x..4x max_connections: so a small
//    table stays in cache, and the index never exceeds MaxMemoryBytes().
//    In steady state a Touch() does not allocate; it probes a few slots.
//  - When the table is full, idle connections are expired first; if none
//    is, one is evicted early, in this order: one-packet connections, then
//    one-sided ones (packets in one direction only), then two-sided ones;
//    within a tier the one queued longest ago, skipping (re-queueing, at
//    most 8 times) entries that were active since they were queued. Early
//    evictions are counted in total, by tier and by class.
//  - Expiry is exact on lookup (an expired key is never reused) and lazy
//    otherwise: idle entries are swept in queue order once per second of
//    packet time and whenever the table is full.
// Not thread-safe: owned by the writer thread.

#include <array>
#include <cstdint>
#include <vector>

#include "flow/connection.h"
#include "packet/flow_key.h"
#include "util/probe_slots.h"

namespace trove {

struct ConnectionTableOptions {
  uint32_t max_connections = 1'000'000;
  // Inactivity timeouts in ns of packet time, indexed by ProtoGroup.
  std::array<int64_t, kProtoGroups> timeout_ns = {300'000'000'000, 60'000'000'000, 60'000'000'000,
                                                  60'000'000'000};
};

struct ConnectionTableCounters {
  uint64_t created = 0;
  uint64_t expired = 0;        // ended by the inactivity timeout
  uint64_t evicted_early = 0;  // removed before their timeout because the table was full
  std::array<uint64_t, kConnTiers> evicted_early_by_tier = {};
  uint64_t time_steps = 0;     // epochs started by time stepping back (see above)
};

class ConnectionTable {
 public:
  explicit ConnectionTable(ConnectionTableOptions opts);
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // Finds or creates the connection of `key` and counts one packet on it
  // (direction: src_is_hi as from MakeFlowKey). *created is set when a new
  // connection was started (klass kNoClass, bytes 0). Never null.
  // `hash` is key.Hash(), when the caller has it already (packet_flow.h).
  Connection* Touch(const FlowKey& key, uint64_t hash, bool src_is_hi, int64_t ts_ns,
                    bool* created);
  Connection* Touch(const FlowKey& key, bool src_is_hi, int64_t ts_ns, bool* created) {
    return Touch(key, key.Hash(), src_is_hi, ts_ns, created);
  }
  // The active connection of `key`, or null. Does not count a packet.
  Connection* Find(const FlowKey& key);
  // Sets the class of a connection (keeps the per-class active counts).
  void SetClass(Connection* c, uint8_t klass);
  // Expires every connection idle for longer than its timeout at `now_ns`.
  void ExpireIdle(int64_t now_ns);
  // Moves the clock to a packet at `ts_ns` (Touch() does it too). Returns
  // true when that started a new epoch (time stepped back by more than the
  // largest timeout); last_epoch_ended() then says how many connections
  // it ended.
  bool AdvanceClock(int64_t ts_ns) {
    if (ts_ns >= now_) {
      now_ = ts_ns;
      return false;
    }
    // now_ > ts_ns: the difference fits in 64 unsigned bits.
    if (static_cast<uint64_t>(now_) - static_cast<uint64_t>(ts_ns) <=
        static_cast<uint64_t>(max_timeout_))
      return false;
    StartEpoch(ts_ns);
    return true;
  }
  size_t last_epoch_ended() const { return last_epoch_ended_; }
  // The largest timeout of any protocol group: the step that starts an epoch.
  int64_t max_timeout_ns() const { return max_timeout_; }

  size_t size() const { return size_; }
  uint32_t max_connections() const { return opts_.max_connections; }
  int64_t now_ns() const { return now_; }
  const ConnectionTableCounters& counters() const { return counters_; }
  uint64_t active_in_class(uint8_t klass) const { return active_by_class_[klass]; }
  uint64_t evicted_early_in_class(uint8_t klass) const { return evicted_by_class_[klass]; }
  // Bytes the table holds now (pool capacity and index), and the most it
  // can ever hold.
  size_t MemoryBytes() const;
  size_t MaxMemoryBytes() const;

  static ProtoGroup GroupOf(const FlowKey& k);

 private:
  static constexpr uint32_t kNil = ProbeSlot::kNil;
  using Slot = ProbeSlot;  // pool index (kNil = empty), low 32 bits of the key hash
  struct List {
    uint32_t head = kNil, tail = kNil;
  };

  uint64_t ProbeFind(const FlowKey& key, uint32_t tag) const;  // slot or kNotFound
  void Remove(uint32_t idx);
  void GrowIndex();
  void StartEpoch(int64_t ts_ns);
  void EraseSlot(uint64_t pos);
  bool EvictOne();
  void Unlink(uint32_t idx);
  void Append(uint32_t idx);
  List& ListOf(const Connection& c) {
    return lists_[static_cast<int>(c.tier)][static_cast<int>(c.group)];
  }
  bool Expired(const Connection& c) const {
    return now_ - c.last_ts_ns > opts_.timeout_ns[static_cast<int>(c.group)];
  }

  ConnectionTableOptions opts_;
  std::vector<Connection> pool_;  // capacity reserved = max_connections
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  uint64_t max_slots_ = 0;
  uint32_t free_head_ = kNil;
  size_t size_ = 0;
  List lists_[kConnTiers][kProtoGroups];
  int64_t now_ = INT64_MIN;
  int64_t max_timeout_ = 0;
  size_t last_epoch_ended_ = 0;
  int64_t next_sweep_ = INT64_MIN;
  ConnectionTableCounters counters_;
  std::array<uint64_t, 256> active_by_class_ = {};
  std::array<uint64_t, 256> evicted_by_class_ = {};
};

}  // namespace trove
