#pragma once
// IndexingObserver: the SegmentObserver that indexes raw segments as they
// are written. OnPacketStored() feeds the open segment's builder (the
// writer gives the EPB offset, so nothing re-reads the segment);
// OnSegmentPublished() hands the builder to an IndexPublisher
// (index_publisher.h), whose worker thread writes NAME.idx beside the
// segment and stores the segment summary (time range + Bloom filter) in the
// catalogue, or rebuilds the index from the file when the builder does not
// cover the published file exactly (a failover published only the fsynced
// prefix). Index failures never stop capture: they are logged and counted,
// and the query scans that segment until `trove fsck` rebuilds it.
//
// Several segments may be open at once (one per class stream,
// ingest/class_streams.h): there is one builder per open segment, keyed by
// the writer's segment serial (SegmentObserver), so the per-packet call is
// an integer comparison with the last segment fed and takes no lock.
//
// Threads: OnPacketStored and OnSegmentPublished run on the writer thread
// only (SegmentObserver's contract), and the builders belong to it.
// Finish() and the destructor from the owner's thread; counters() from any.

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "index/index_builder.h"
#include "index/index_publisher.h"
#include "segment/segment_writer.h"

namespace trove {

class IndexingObserver : public SegmentObserver {
 public:
  // `worker_catalog`: the publishing worker's own catalogue connection.
  IndexingObserver(Fs& fs, std::unique_ptr<Catalog> worker_catalog,
                   IndexPublisherOptions o = {})
      : publisher_(fs, std::move(worker_catalog), o) {}

  void OnPacketStored(uint64_t serial, const std::string& name, const PacketRef& p,
                      const DecodedPacket& d, uint64_t offset) override;
  void OnPacketNotStored(uint64_t serial, const std::string& name, const PacketRef& p,
                         const DecodedPacket& d) override;
  void OnSegmentPublished(const SegmentRecord& rec) override;

  // Waits until the indexes of every segment published so far are written.
  void Drain() { publisher_.Drain(); }
  // Writes every queued index, then stops the worker. Idempotent.
  void Finish() { publisher_.Finish(); }
  IndexingCounters counters() const { return publisher_.counters(); }

 private:
  struct Open {
    uint64_t serial;
    std::unique_ptr<SegmentIndexBuilder> builder;
  };
  SegmentIndexBuilder* Builder(uint64_t serial, const std::string& name, uint16_t linktype);

  // One per open segment; an abandoned one (failover) is dropped when more
  // than kMaxOpen are open. Writer thread only.
  static constexpr size_t kMaxOpen = 64;
  std::vector<Open> open_;
  uint64_t last_serial_ = 0;
  SegmentIndexBuilder* last_ = nullptr;
  IndexPublisher publisher_;  // last: joined before the rest is destroyed
};

}  // namespace trove
