#include "segment/segment_writer.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>

#include "packet/decoder.h"
#include "packet/packet_flow.h"
#include "segment/pcapng_format.h"
#include "segment/segment_recovery.h"
#include "segment/segment_scan.h"
#include "trove/version.h"
#include "util/log.h"
#include "util/time_util.h"

namespace trove {

namespace {
constexpr int64_t kSecond = 1'000'000'000;
// Room past checkpoint_bytes in a checkpoint buffer: the block that fills it
// (a packet up to 64 KiB, or the trailer) never moves it.
constexpr size_t kBufferSlack = 70000;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Serials of open segments (SegmentObserver::OnPacketStored): unique in the
// process, across writers. Taken once per segment, never per packet.
std::atomic<uint64_t> g_next_serial{1};

uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
}  // namespace

std::string MakeSegmentName(const std::string& link, int64_t first_ts_ns, uint32_t seq) {
  uint64_t h =
      Mix64(static_cast<uint64_t>(WallClockNs()) ^ (static_cast<uint64_t>(getpid()) << 32) ^ seq);
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06llx", static_cast<unsigned long long>(h & 0xffffff));
  return link + "-" + FormatCompact(first_ts_ns) + "-" + suffix;
}

std::string StreamName(const SegmentWriterOptions& o) {
  return o.class_name.empty() ? o.link : o.link + "-" + o.class_name;
}

struct SegmentWriter::OpenSegment {
  StorageArea area = StorageArea::kPrimary;
  std::string name, partial_path, final_path;
  uint64_t serial = 0;  // SegmentObserver::OnPacketStored
  std::unique_ptr<WritableFile> file;
  SegmentHeaderInfo header;
  // The bytes not yet durable (the failover window): `sealed` checkpoint
  // buffers handed to the flusher whole, oldest first, each waiting for its
  // fsync, then `cur`, the buffer being filled, whose first `submitted`
  // bytes are handed over (being written).
  std::deque<ByteBuffer> sealed;
  uint64_t sealed_bytes = 0;
  ByteBuffer cur;
  size_t submitted = 0;
  uint64_t durable = 0;     // fsynced file bytes
  uint64_t visible = 0;     // size() when readers were last let see every byte
  size_t header_bytes = 0;  // SHB + IDB
  Sha256 sha;               // updated by the flusher thread, read after it is idle
  StatsAccumulator stats;
  int64_t window_start_ns = INT64_MIN;  // time rotation window [start, boundary)
  int64_t boundary_ns = INT64_MAX;
  uint16_t linktype = 0;
  std::vector<uint64_t> iface_uids;  // PacketInterface::uid per IDB (empty: one IDB)
  uint64_t last_uid = 0;             // cache: the last packet's interface ...
  uint32_t last_id = 0;              // ... and its IDB index
  uint64_t size() const { return durable + sealed_bytes + cur.size(); }
};

SegmentWriter::SegmentWriter(SegmentWriterOptions opts, StorageRouter& router, Catalog& catalog)
    : opts_(std::move(opts)), router_(router), catalog_(catalog), fs_(router.fs()) {}

SegmentWriter::~SegmentWriter() = default;

void SegmentWriter::Alarm(const std::string& msg) {
  int64_t now = MonotonicNs();
  if (now - last_alarm_ns_ < kSecond) return;
  last_alarm_ns_ = now;
  LogAlarm(msg + " (" + std::to_string(counters_.store_drops) +
           " packets not stored so far; free space on the primary or the spool)");
}

DropCounters SegmentWriter::DropsSince(const DropCounters& cur) const {
  DropCounters d;
  d.kernel = cur.kernel - drops_baseline_.kernel;
  d.ring = cur.ring - drops_baseline_.ring;
  d.store = pending_store_drops_;
  return d;
}

Status SegmentWriter::OpenNew(StorageArea area, const PacketRef& first) {
  const std::string dir = router_.SegmentDir(area, opts_.link, first.ts_ns);
  // Do not start a segment on a disk that cannot take its first chunk.
  auto free = fs_.FreeBytes(router_.Dir(area));
  if (!free.ok()) return free.status();
  if (*free < 2 * opts_.write_chunk_bytes)
    return Status::FromErrno(ENOSPC, "storage " + router_.Dir(area));
  TROVE_RETURN_IF_ERROR(fs_.CreateDirs(dir));
  auto seg = std::make_unique<OpenSegment>();
  seg->serial = g_next_serial.fetch_add(1, std::memory_order_relaxed);
  seg->area = area;
  ++seq_;
  seg->name = opts_.name_suffix.empty() ? MakeSegmentName(StreamName(opts_), first.ts_ns, seq_)
                                        : opts_.parent_name + opts_.name_suffix;
  seg->final_path = JoinPath(dir, seg->name + kSegmentSuffix);
  seg->partial_path = seg->final_path + kPartialSuffix;
  auto f = opts_.direct_io ? fs_.NewDirectWritableFile(seg->partial_path)
                           : fs_.NewWritableFile(seg->partial_path);
  if (!f.ok()) return f.status();
  seg->file = std::move(f).value();
  seg->linktype = first.linktype;
  SegmentHeaderInfo& h = seg->header;
  if (first.iface != nullptr) {
    // Every interface of this link type seen so far, so that a stream
    // interleaving them rotates once per new interface, not per change.
    RememberInterface(*first.iface);
    for (const PacketInterface& k : known_ifaces_) {
      if (k.linktype != first.linktype) continue;
      InterfaceInfo i;
      i.name = k.name;
      i.description = k.description;
      // The IDB's snaplen: trove's, cut to the interface's.
      i.snaplen = opts_.snaplen == 0 ? k.snaplen
                  : k.snaplen == 0   ? opts_.snaplen
                                     : std::min(opts_.snaplen, k.snaplen);
      h.interfaces.push_back(std::move(i));
      seg->iface_uids.push_back(k.uid);
    }
  }
  h.name = seg->name;
  h.link = opts_.link;
  h.location = opts_.location;
  h.capture_host = opts_.capture_host;
  h.interface = opts_.interface;
  h.source = opts_.source;
  h.capture_filter = opts_.capture_filter;
  h.trove_version = kVersion;
  h.snaplen = opts_.snaplen;
  h.linktype = first.linktype;
  h.start_ns = first.ts_ns;
  h.level = opts_.level;
  h.key_epoch = opts_.key_epoch;
  h.parent = opts_.parent_name;
  h.klass = opts_.class_name;
  seg->cur = NewBuffer();
  AppendSegmentHeader(&seg->cur, h);
  seg->header_bytes = seg->cur.size();
  if (int64_t d = opts_.policy.max_duration_ns; d > 0) {
    seg->window_start_ns = FloorDiv(first.ts_ns, d) * d;
    seg->boundary_ns = seg->window_start_ns + d;
  }
  seg_ = std::move(seg);
  return Status::Ok();
}

bool SegmentWriter::EnsureOpen(const PacketRef& p, int64_t now) {
  if (seg_) return true;
  if (now < next_retry_ns_) return false;
  StorageArea area = router_.Preferred(now);
  Status st = OpenNew(area, p);
  if (!st.ok() && area == StorageArea::kPrimary) {
    LogWarning("cannot start a segment on the primary (" + st.message() +
               "); writing to the spool " + router_.Dir(StorageArea::kSpool));
    router_.MarkPrimaryFailed(now);
    st = OpenNew(StorageArea::kSpool, p);
  }
  if (!st.ok()) {
    next_retry_ns_ = now + kSecond;
    Alarm("no storage area can take packets: " + st.message());
    return false;
  }
  return true;
}

void SegmentWriter::RememberInterface(const PacketInterface& i) {
  for (const PacketInterface& k : known_ifaces_)
    if (k.uid == i.uid) return;
  known_ifaces_.push_back(i);
}

// The IDB index of the packet's interface in the open segment, or -1 when
// the segment has no IDB for it (then it rotates).
int64_t SegmentWriter::InterfaceId(const PacketRef& p) {
  OpenSegment& s = *seg_;
  if (p.iface == nullptr || s.iface_uids.empty()) return 0;
  if (p.iface->uid == s.last_uid) return s.last_id;
  for (size_t k = 0; k < s.iface_uids.size(); ++k) {
    if (s.iface_uids[k] == p.iface->uid) {
      s.last_uid = p.iface->uid;
      s.last_id = static_cast<uint32_t>(k);
      return s.last_id;
    }
  }
  return -1;
}

bool SegmentWriter::NeedsRotation(const PacketRef& p, size_t block) {
  if (p.linktype != seg_->linktype) return true;
  if (InterfaceId(p) < 0) return true;
  if (opts_.policy.max_duration_ns > 0 &&
      (p.ts_ns >= seg_->boundary_ns || p.ts_ns < seg_->window_start_ns))
    return true;
  if (opts_.policy.max_bytes > 0 && seg_->stats.packets() > 0 &&
      seg_->size() + block + SegmentTrailerSize() > opts_.policy.max_bytes)
    return true;
  return false;
}

Status SegmentWriter::Append(const PacketRef& p, const DecodedPacket& d) {
  if (++appends_since_check_ >= 4096) {
    appends_since_check_ = 0;
    Tick(WallClockNs());
  }
  const size_t block = kEpbOverhead + ((p.caplen + 3u) & ~3u);
  if (seg_ && NeedsRotation(p, block)) TROVE_RETURN_IF_ERROR(Publish());
  if (!seg_ && !EnsureOpen(p, WallClockNs())) {
    ++counters_.store_drops;
    ++pending_store_drops_;
    return Status::Ok();
  }
  AppendBlock(p, d);
  if (opts_.live && (appends_since_check_ & 63) == 0) MakeVisible(WallClockNs());
  return Status::Ok();
}

void SegmentWriter::NoteNotStored(const PacketRef& p, const DecodedPacket& d) {
  if (!seg_) return;
  for (auto* o : observers_) o->OnPacketNotStored(seg_->serial, seg_->name, p, d);
}

void SegmentWriter::MakeVisible(int64_t now) {
  if (!seg_ || opts_.visible_within_ns <= 0 || seg_->size() == seg_->visible ||
      now - last_visible_ns_ < opts_.visible_within_ns)
    return;
  SubmitWrites(false, /*flush=*/true);
  seg_->visible = seg_->size();
  last_visible_ns_ = now;
}

ByteBuffer SegmentWriter::NewBuffer() {
  ByteBuffer b;
  if (!spare_.empty()) {
    b = std::move(spare_.back());
    spare_.pop_back();
    b.clear();
  }
  b.reserve(opts_.checkpoint_bytes + kBufferSlack);
  return b;
}

void SegmentWriter::MakeRoom(size_t n) {
  OpenSegment& s = *seg_;
  if (s.submitted == 0 || s.cur.size() + n <= s.cur.capacity()) return;
  // Growing would move bytes the flusher may be reading (a block larger
  // than the slack): let it finish first. Rare.
  while (flusher_.pending() > 0) TakeAck(flusher_.Wait());
}

void SegmentWriter::AppendBlock(const PacketRef& p, const DecodedPacket& d) {
  OpenSegment& s = *seg_;
  const uint64_t offset = s.size();
  MakeRoom(kEpbOverhead + ((p.caplen + 3u) & ~3u));
  const int64_t ifid = InterfaceId(p);
  AppendEnhancedPacket(&s.cur, ifid < 0 ? 0 : static_cast<uint32_t>(ifid), p.ts_ns, p.caplen,
                       p.wirelen, p.data);
  s.stats.Add(p, d);
  if (!replaying_) {
    ++counters_.packets_stored;
    counters_.bytes_stored += p.caplen;
  }
  for (auto* o : observers_) o->OnPacketStored(s.serial, s.name, p, d, offset);
  if (s.cur.size() >= opts_.checkpoint_bytes) {
    Checkpoint();
  } else if (s.cur.size() - s.submitted >= opts_.write_chunk_bytes) {
    SubmitWrites(false);
    Settle(SIZE_MAX);
  }
}

void SegmentWriter::SubmitWrites(bool sync, bool flush) {
  OpenSegment& s = *seg_;
  SegmentFlusher::Job j;
  j.file = s.file.get();
  j.sha = &s.sha;
  j.data = s.cur.data() + s.submitted;
  j.len = s.cur.size() - s.submitted;
  j.sync = sync;
  j.flush = flush;
  if (j.len == 0 && !sync && !flush) return;
  s.submitted = s.cur.size();
  flusher_.Submit(j);
}

void SegmentWriter::TakeAck(const SegmentFlusher::Ack& a) {
  if (!a.status.ok()) {
    if (flush_error_.ok()) flush_error_ = a.status;
    return;
  }
  if (!a.sync) return;
  // The fsync of the oldest sealed buffer (acks come in job order).
  OpenSegment& s = *seg_;
  s.durable += s.sealed.front().size();
  s.sealed_bytes -= s.sealed.front().size();
  spare_.push_back(std::move(s.sealed.front()));
  s.sealed.pop_front();
}

bool SegmentWriter::Settle(size_t max_sealed) {
  SegmentFlusher::Ack a;
  while (flusher_.Poll(&a)) TakeAck(a);
  while (flush_error_.ok() && seg_->sealed.size() > max_sealed) TakeAck(flusher_.Wait());
  if (flush_error_.ok()) return true;
  const Status why = flush_error_;  // Failover() clears flush_error_
  Failover(why);
  return false;
}

bool SegmentWriter::Checkpoint() {
  OpenSegment& s = *seg_;
  SubmitWrites(true);
  s.sealed_bytes += s.cur.size();
  s.sealed.push_back(std::move(s.cur));
  s.cur = NewBuffer();
  s.submitted = 0;
  return Settle(opts_.flush_buffers > 1 ? opts_.flush_buffers - 1 : 0);
}

Status SegmentWriter::Publish() {
  // Each failed attempt fails over (spool, or drops when both are gone),
  // which replaces or removes seg_, so this loop ends.
  while (seg_) {
    DropCounters cur = drop_sampler_ ? drop_sampler_() : DropCounters{};
    DropCounters d = DropsSince(cur);
    OpenSegment& s = *seg_;
    SegmentStats stats = s.stats.stats();
    MakeRoom(SegmentTrailerSize());
    AppendSegmentTrailer(&s.cur, stats, d);
    // The last fsync and the hash: published only once the flusher is done.
    if (!Checkpoint() || !Settle(0)) continue;
    Status st = seg_->file->Close();
    if (st.ok()) st = fs_.RenameDurable(seg_->partial_path, seg_->final_path);
    if (!st.ok()) {
      Failover(st);
      continue;
    }
    SegmentRecord rec = MakeSegmentRecord(seg_->header, stats, d, seg_->final_path, seg_->area,
                                          seg_->durable, seg_->sha.HexDigest());
    rec.parent_id = opts_.parent_id;
    drops_baseline_ = cur;
    pending_store_drops_ = 0;
    ++counters_.segments_published;
    Status cs = catalog_.InsertSegment(&rec);
    seg_.reset();
    if (!cs.ok()) {
      ++counters_.catalog_errors;
      LogWarning("segment " + rec.path + " is complete but not catalogued: " + cs.message() +
                 "; `trove fsck` will adopt it");
      continue;
    }
    published_ids_.push_back(rec.id);
    for (auto* o : observers_) o->OnSegmentPublished(rec);
  }
  return Status::Ok();
}

void SegmentWriter::Failover(const Status& why) {
  ++counters_.failovers;
  // Collect every job of the failing file: those that completed are
  // durable, the rest (failed, or skipped after the failure) stay in the
  // window. Then the flusher is idle and the old file is ours alone.
  while (flusher_.pending() > 0) TakeAck(flusher_.Wait());
  flush_error_ = Status::Ok();
  flusher_.ClearError();
  std::unique_ptr<OpenSegment> old = std::move(seg_);
  const int64_t now = WallClockNs();
  const StorageArea failed = old->area;
  if (failed == StorageArea::kPrimary) router_.MarkPrimaryFailed(now);
  LogWarning("writing segment " + old->partial_path + " failed: " + why.message() +
             (failed == StorageArea::kPrimary ? "; continuing in the spool" : ""));
  ByteBuffer window;
  for (const ByteBuffer& b : old->sealed) window.Append(b.data(), b.size());
  window.Append(old->cur.data(), old->cur.size());
  const uint64_t durable = old->durable;
  (void)old->file->Close();
  old->file.reset();

  // 1. The fsynced prefix: publish it now if the area still answers,
  //    otherwise record it for the mover / fsck.
  if (durable > old->header_bytes) {
    auto r = SalvagePartial(fs_, catalog_, old->partial_path, durable, failed,
                            PartialKind::kDurablePrefix);
    if (r.ok()) {
      if (r->has_value()) {
        ++counters_.segments_published;
        published_ids_.push_back((*r)->id);
        for (auto* o : observers_) o->OnSegmentPublished(**r);
      }
    } else {
      StrandedPartial sp;
      sp.path = old->partial_path;
      sp.link = opts_.link;
      sp.durable_bytes = durable;
      sp.recorded_at_ns = now;
      Status as = catalog_.AddStranded(&sp);
      LogWarning("segment prefix " + old->partial_path + " (" + std::to_string(durable) +
                 " bytes) is unreachable: " + r.status().message() +
                 (as.ok() ? "; the mover finishes it when the primary returns"
                          : "; and it could not be recorded: " + as.message()));
    }
  } else {
    (void)fs_.Remove(old->partial_path);
  }

  // 2. Re-append the unsynced packets to a new segment elsewhere.
  const bool was_replaying = replaying_;
  replaying_ = true;
  size_t off = durable > 0 ? 0 : old->header_bytes;
  uint64_t lost = 0;
  while (off + 12 <= window.size()) {
    uint32_t type, len;
    std::memcpy(&type, window.data() + off, 4);
    std::memcpy(&len, window.data() + off + 4, 4);
    if (len < 12 || off + len > window.size()) break;
    if (type == kBlockEPB && len >= kEpbOverhead) {
      const uint8_t* b = window.data() + off;
      uint32_t ifid, hi, lo, cap, wire;
      std::memcpy(&ifid, b + 8, 4);
      std::memcpy(&hi, b + 12, 4);
      std::memcpy(&lo, b + 16, 4);
      std::memcpy(&cap, b + 20, 4);
      std::memcpy(&wire, b + 24, 4);
      PacketRef p;
      p.ts_ns = static_cast<int64_t>((uint64_t(hi) << 32) | lo);
      p.caplen = cap;
      p.wirelen = wire;
      p.linktype = old->linktype;
      p.data = b + 28;
      // The interface the packet had (the old segment's IDB), by identity.
      if (ifid < old->iface_uids.size()) {
        for (const PacketInterface& k : known_ifaces_)
          if (k.uid == old->iface_uids[ifid]) p.iface = &k;
      }
      DecodedPacket d;
      Decode(p, &d);
      ComputeFlow(p, &d);
      if (!seg_) {
        StorageArea target =
            failed == StorageArea::kPrimary ? StorageArea::kSpool : StorageArea::kPrimary;
        Status st = Status::Unavailable("primary unavailable");
        if (target == StorageArea::kSpool || router_.PrimaryUsable(now)) st = OpenNew(target, p);
        if (!st.ok()) {
          ++lost;
          off += len;
          continue;
        }
      }
      AppendBlock(p, d);
    }
    off += len;
  }
  replaying_ = was_replaying;
  if (lost > 0) {
    counters_.store_drops += lost;
    counters_.packets_stored -= std::min(counters_.packets_stored, lost);
    pending_store_drops_ += lost;
    next_retry_ns_ = now + kSecond;
    Alarm("both storage areas failed (" + why.message() + "); " + std::to_string(lost) +
          " packets lost");
  }
}

void SegmentWriter::Tick(int64_t now) {
  last_housekeeping_ns_ = now;
  if (seg_) Settle(SIZE_MAX);  // a failed write fails over here at the latest
  if (!seg_) return;
  if (seg_->area == StorageArea::kPrimary) {
    bool ok = router_.PrimaryUsable(now) && router_.OnPrimaryDevice(seg_->file->DeviceId());
    if (!ok) {
      Failover(Status::Unavailable("primary storage " + router_.Dir(StorageArea::kPrimary) +
                                   " is unavailable (probe found no marker " + kPrimaryMarker +
                                   " on the device being written)"));
      if (!seg_) return;
    }
  }
  if (opts_.live && opts_.policy.max_duration_ns > 0 && now >= seg_->boundary_ns + kSecond)
    (void)Publish();  // never fails: failures fail over, and are counted and logged there
  if (opts_.live) MakeVisible(now);
}

Status SegmentWriter::Close() { return Publish(); }

}  // namespace trove
