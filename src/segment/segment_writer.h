#pragma once
// SegmentWriter: the last step of the writer stage. It appends packets to
// the open segment of one link and publishes segments durably:
//
//   write LINK-START-ID.pcapng.partial → fsync → rename to .pcapng →
//   fsync dir → insert into the catalogue.
//
// So a segment is either complete and catalogued or invisible (a .partial
// that fsck salvages). Rotation is by size (a file never exceeds
// max_bytes unless one packet alone does) and/or by aligned time windows in
// packet time ([k·D, (k+1)·D)); a change of link type also rotates, so each
// segment has exactly one interface and every libpcap program reads it.
//
// I/O: the writer fills checkpoint-sized buffers and a SegmentFlusher
// thread writes them (every write_chunk_bytes), hashes them and fsyncs each
// full buffer (every checkpoint_bytes), at most flush_buffers buffers not
// yet durable. Publishing (trailer, last fsync, rename, catalogue,
// observers) stays on the writer's thread, after the flusher has
// acknowledged the last fsync, so the hash is complete.
//
// Failover: bytes not yet fsynced (at most flush_buffers x checkpoint_bytes)
// are kept in memory. When a write to the primary fails
// or the probe finds it gone, the fsynced prefix is published (or recorded
// as stranded for the mover) and the kept bytes are re-appended to a new
// segment in the spool: no packet is lost and none is stored twice. When
// both areas fail (disk full), packets are counted as store drops and an
// ALARM is printed; the writer retries opening a segment every second.
//
// Later stages plug in through SegmentObserver (indexing, derived levels),
// whose threading contract is stated below.
// Owned and called by the writer thread only.

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "packet/decoded.h"
#include "packet/packet.h"
#include "segment/segment_flusher.h"
#include "segment/segment_header.h"
#include "segment/stats_accumulator.h"
#include "segment/storage_router.h"
#include "segment/segment_policy.h"
#include "util/byte_buffer.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace trove {

// Threading contract: every callback runs on the writer thread (the one
// that calls SegmentWriter::Append/Tick/Close; with several class streams,
// all their writers share that thread), in the order of the events; an
// observer shared by several writers sees their calls interleaved. A
// callback must not block: OnPacketStored runs once per stored packet on
// the capture path (no lock, no I/O, no string comparison), and
// OnSegmentPublished hands any I/O (index files, deriving levels, expiry)
// to a worker thread of its own. Observers outlive the writer.
class SegmentObserver {
 public:
  virtual ~SegmentObserver() = default;
  // A packet was appended at byte `offset` of the open segment `name`.
  // `serial` identifies that open segment: unique in the process (no two
  // segments opened by any SegmentWriter share one), the same for all its
  // packets, so an observer can key per-segment state by it instead of by
  // the name.
  virtual void OnPacketStored(uint64_t /*serial*/, const std::string& /*name*/, const PacketRef&,
                              const DecodedPacket&, uint64_t /*offset*/) {}
  // A packet of this segment's stream that was not stored (dropped past
  // its connection's cutoff) arrived while segment `serial` (`name`) was
  // open; the packet and its view are as they arrived (not shortened).
  virtual void OnPacketNotStored(uint64_t /*serial*/, const std::string& /*name*/,
                                 const PacketRef&, const DecodedPacket&) {}
  // A segment was published and catalogued.
  virtual void OnSegmentPublished(const SegmentRecord&) {}
};

struct SegmentWriterOptions {
  std::string link;
  std::string location;
  std::string interface;  // capture device or "import"
  std::string source;     // "capture" or "import"
  std::string capture_filter;
  std::string capture_host;
  uint32_t snaplen = 0;  // 0 = full packets (recorded in the header)
  SegmentPolicy policy;
  uint64_t checkpoint_bytes = 16ull << 20;
  uint64_t write_chunk_bytes = 1ull << 20;
  // Checkpoint buffers (of checkpoint_bytes) whose bytes are not yet
  // durable, the one being filled included: while the flusher writes and
  // fsyncs one, the writer fills the next. 1: the writer waits for every
  // checkpoint's fsync. Memory: flush_buffers x checkpoint_bytes.
  uint32_t flush_buffers = 2;
  // Segment files are appended with O_DIRECT (Fs::NewDirectWritableFile)
  // where the file system allows it; false: through the page cache.
  bool direct_io = true;
  bool live = false;  // idle time-rotation by wall clock
  // Live: a stored packet reaches the partial file (where `trove query
  // --include-open` reads it) within about this much wall time, even when
  // the link is too quiet to fill a write chunk; 0 = every write chunk.
  int64_t visible_within_ns = 500'000'000;
  // Derived levels (levels/derive_levels.h): recorded in the header
  // (trove.level, trove.key_epoch, trove.parent) and the catalogue row.
  std::string level = "raw";
  std::string key_epoch;
  int64_t parent_id = 0;
  std::string parent_name;
  // Non-empty: segments are named parent_name + name_suffix (e.g.
  // "LINK-...-abc123.scrambled") instead of MakeSegmentName().
  std::string name_suffix;
  // Storage class of this stream (ingest/class_streams.h): recorded in the
  // header (trove.class) and the catalogue row, and part of the segment
  // name (LINK-CLASS-START-XXXXXX). Empty: a store without classes.
  std::string class_name;
};

struct WriterCounters {
  uint64_t packets_stored = 0;
  uint64_t bytes_stored = 0;  // captured bytes of stored packets
  uint64_t segments_published = 0;
  uint64_t store_drops = 0;  // packets lost because no area could take them
  uint64_t failovers = 0;
  uint64_t catalog_errors = 0;
};

class SegmentWriter {
 public:
  SegmentWriter(SegmentWriterOptions opts, StorageRouter& router, Catalog& catalog);
  ~SegmentWriter();

  // Appends one packet (already cut to the snaplen). Storage failures are
  // handled here (failover, alarm, counted); a non-ok status means a bug or
  // an unrecoverable state and ends the pipeline.
  Status Append(const PacketRef& p, const DecodedPacket& d);
  // A packet of this stream the cutoff did not store: the observers see it
  // (OnPacketNotStored) when a segment is open; otherwise nothing happens.
  // Never blocks, never rotates.
  void NoteNotStored(const PacketRef& p, const DecodedPacket& d);
  // Housekeeping from the writer thread when idle or periodically: primary
  // probe, live time rotation, retry after both areas were full.
  void Tick(int64_t now_wall_ns);
  // Publishes the open segment, if any.
  Status Close();

  // Cumulative drop counters of the source (kernel, ring); sampled at each
  // segment close so every segment reports the drops of its interval.
  void SetDropSampler(std::function<DropCounters()> f) { drop_sampler_ = std::move(f); }
  void AddObserver(SegmentObserver* o) { observers_.push_back(o); }

  const WriterCounters& counters() const { return counters_; }
  const std::vector<int64_t>& published_ids() const { return published_ids_; }

 private:
  struct OpenSegment;
  bool EnsureOpen(const PacketRef& p, int64_t now);
  Status OpenNew(StorageArea area, const PacketRef& first);
  void AppendBlock(const PacketRef& p, const DecodedPacket& d);
  void RememberInterface(const PacketInterface& i);
  int64_t InterfaceId(const PacketRef& p);
  ByteBuffer NewBuffer();   // a checkpoint buffer, recycled when possible
  void MakeRoom(size_t n);  // before appending n bytes to the open buffer
  // Hands the open buffer's unsubmitted bytes to the flusher (sync: and
  // fdatasync after them; flush: and WritableFile::Flush).
  void SubmitWrites(bool sync, bool flush = false);
  // Live: lets readers of the partial file (query --include-open) see
  // every packet appended, at most every visible_within_ns.
  void MakeVisible(int64_t now);
  void TakeAck(const SegmentFlusher::Ack& a);
  // Collects the flusher's acks, waiting while more than `max_sealed`
  // sealed buffers are not durable; on a flush error fails over and
  // returns false.
  bool Settle(size_t max_sealed);
  // Seals the open buffer (its last bytes + fsync go to the flusher) and
  // starts a new one; false: the area failed (failover already done).
  bool Checkpoint();
  Status Publish();
  void Failover(const Status& why);
  void Abandon(OpenSegment& seg);
  DropCounters DropsSince(const DropCounters& cumulative) const;
  void Alarm(const std::string& msg);
  bool NeedsRotation(const PacketRef& p, size_t block_size);

  SegmentWriterOptions opts_;
  StorageRouter& router_;
  Catalog& catalog_;
  Fs& fs_;
  std::unique_ptr<OpenSegment> seg_;
  std::vector<ByteBuffer> spare_;  // checkpoint buffers for reuse
  Status flush_error_;             // first failed flush ack not yet failed over
  // Declared after seg_ and spare_: destroyed (joined) before the buffers
  // its jobs point into.
  SegmentFlusher flusher_;
  ByteBuffer header_scratch_;
  std::function<DropCounters()> drop_sampler_;
  DropCounters drops_baseline_;
  uint64_t pending_store_drops_ = 0;
  std::vector<SegmentObserver*> observers_;
  WriterCounters counters_;
  std::vector<int64_t> published_ids_;
  int64_t last_housekeeping_ns_ = 0;
  int64_t next_retry_ns_ = 0;
  int64_t last_alarm_ns_ = 0;
  uint64_t appends_since_check_ = 0;
  int64_t last_visible_ns_ = 0;
  uint32_t seq_ = 0;
  // Copies of every PacketInterface seen (the source owns the originals);
  // a new segment gets an IDB for each of its link type.
  std::deque<PacketInterface> known_ifaces_;
  bool replaying_ = false;
};

// A unique segment name: STREAM-YYYYMMDDTHHMMSS.nnnnnnnnnZ-XXXXXX, where
// STREAM is StreamName(): LINK, or LINK-CLASS for a class's stream.
std::string MakeSegmentName(const std::string& stream, int64_t first_ts_ns, uint32_t seq);
std::string StreamName(const SegmentWriterOptions& o);

}  // namespace trove
