#pragma once
// IndexingObserver: the SegmentObserver that indexes raw segments as they
// are written. OnPacketStored() feeds the open segment's builder (the
// writer gives the EPB offset, so nothing re-reads the segment);
// OnSegmentPublished() writes NAME.idx beside the segment and stores the
// segment summary (time range + Bloom filter) in the catalogue. When the
// builder does not cover the published file exactly (a failover published
// only the fsynced prefix) the index is rebuilt from the file instead.
// Index failures never stop capture: they are logged and counted, and the
// query falls back to scanning that segment until `trove fsck` rebuilds it.
//
// Several segments may be open at once (one per class stream,
// ingest/class_streams.h): there is one builder per open segment name.
// Callbacks run on the writer thread. SnapshotOpen() may be called from any
// thread: it returns an immutable copy of the index of the open segment
// that was fed last.

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "catalog/catalog.h"
#include "index/index_builder.h"
#include "segment/segment_writer.h"
#include "util/fs.h"

namespace trove {

struct IndexingCounters {
  uint64_t indexes_written = 0;
  uint64_t rebuilt_from_file = 0;
  uint64_t errors = 0;
  uint64_t index_bytes = 0;    // bytes of .idx files written
  uint64_t segment_bytes = 0;  // bytes of the segments they index
};

class IndexingObserver : public SegmentObserver {
 public:
  IndexingObserver(Fs& fs, Catalog& catalog) : fs_(fs), catalog_(catalog) {}

  void OnPacketStored(const std::string& name, const PacketRef& p, const DecodedPacket& d,
                      uint64_t offset) override;
  void OnPacketNotStored(const std::string& name, const PacketRef& p,
                         const DecodedPacket& d) override;
  void OnSegmentPublished(const SegmentRecord& rec) override;

  // The index of the open segment so far, or nullptr when none is open.
  std::shared_ptr<const SegmentIndex> SnapshotOpen() const;
  IndexingCounters counters() const;

 private:
  Fs& fs_;
  Catalog& catalog_;
  SegmentIndexBuilder* Builder(const std::string& name, uint16_t linktype);

  mutable std::mutex mu_;  // guards builders_, last_ and counters_
  // One per open segment; an abandoned one (failover) is dropped when more
  // than kMaxOpen are open.
  static constexpr size_t kMaxOpen = 64;
  std::vector<std::unique_ptr<SegmentIndexBuilder>> builders_;
  SegmentIndexBuilder* last_ = nullptr;
  IndexingCounters counters_;
};

// Writes the index of a published segment and its catalogue summary.
// Returns the number of index bytes written.
Result<uint64_t> PublishSegmentIndex(Fs& fs, Catalog& catalog, const SegmentRecord& rec,
                                     const SegmentIndex& ix);

}  // namespace trove
