#include "index/indexing_observer.h"

#include "index/index_file.h"
#include "index/segment_summary.h"
#include "util/log.h"

namespace trove {

void IndexingObserver::OnPacketStored(const std::string& name, const PacketRef& p,
                                      const DecodedPacket& d, uint64_t offset) {
  std::lock_guard<std::mutex> l(mu_);
  Builder(name, p.linktype)->Add(p, d, offset);
}

void IndexingObserver::OnPacketNotStored(const std::string& name, const PacketRef& p,
                                         const DecodedPacket& d) {
  std::lock_guard<std::mutex> l(mu_);
  Builder(name, p.linktype)->AddNotStored(p, d);
}

SegmentIndexBuilder* IndexingObserver::Builder(const std::string& name, uint16_t linktype) {
  if (last_ && last_->segment_name() == name) return last_;
  for (auto& b : builders_)
    if (b->segment_name() == name) return last_ = b.get();
  if (builders_.size() >= kMaxOpen) builders_.erase(builders_.begin());
  builders_.push_back(std::make_unique<SegmentIndexBuilder>(name, linktype));
  return last_ = builders_.back().get();
}

Result<uint64_t> PublishSegmentIndex(Fs& fs, Catalog& catalog, const SegmentRecord& rec,
                                     const SegmentIndex& ix) {
  uint64_t bytes = 0;
  TROVE_RETURN_IF_ERROR(WriteIndexFile(fs, IndexPathFor(rec.path), ix, &bytes));
  const SegmentSummary sum = SummarizeIndex(ix);
  TROVE_RETURN_IF_ERROR(
      catalog.PutSegmentSummary(rec.id, sum.first_ts_ns, sum.last_ts_ns, sum.Encode()));
  return bytes;
}

void IndexingObserver::OnSegmentPublished(const SegmentRecord& rec) {
  if (rec.level != "raw") return;  // derived levels are not indexed (docs/FORMAT.md)
  std::unique_ptr<SegmentIndexBuilder> b;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = builders_.begin(); it != builders_.end(); ++it) {
      if ((*it)->segment_name() != rec.name) continue;
      b = std::move(*it);
      builders_.erase(it);
      if (last_ == b.get()) last_ = nullptr;
      break;
    }
  }
  Result<SegmentIndex> ix = Status::NotFound("");
  bool rebuilt = false;
  if (b && b->end_offset() <= rec.file_bytes && b->packets() == rec.stats.packets) {
    ix = b->Snapshot(rec.file_bytes);
  } else {
    ix = BuildIndexFromSegment(rec.path, rec.name);
    rebuilt = true;
  }
  Result<uint64_t> n = ix.ok() ? PublishSegmentIndex(fs_, catalog_, rec, *ix) : ix.status();
  std::lock_guard<std::mutex> l(mu_);
  if (!n.ok()) {
    ++counters_.errors;
    LogWarning("indexing segment " + rec.path + " failed: " + n.status().message() +
               "; queries scan it until `trove fsck` rebuilds the index");
    return;
  }
  ++counters_.indexes_written;
  if (rebuilt) ++counters_.rebuilt_from_file;
  counters_.index_bytes += *n;
  counters_.segment_bytes += rec.file_bytes;
}

std::shared_ptr<const SegmentIndex> IndexingObserver::SnapshotOpen() const {
  std::lock_guard<std::mutex> l(mu_);
  if (!last_) return nullptr;
  return std::make_shared<const SegmentIndex>(last_->Snapshot(0));
}

IndexingCounters IndexingObserver::counters() const {
  std::lock_guard<std::mutex> l(mu_);
  return counters_;
}

}  // namespace trove
