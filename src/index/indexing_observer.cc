#include "index/indexing_observer.h"

namespace trove {

void IndexingObserver::OnPacketStored(uint64_t serial, const std::string& name,
                                      const PacketRef& p, const DecodedPacket& d,
                                      uint64_t offset) {
  Builder(serial, name, p.linktype)->Add(p, d, offset);
}

void IndexingObserver::OnPacketNotStored(uint64_t serial, const std::string& name,
                                         const PacketRef& p, const DecodedPacket& d) {
  Builder(serial, name, p.linktype)->AddNotStored(p, d);
}

SegmentIndexBuilder* IndexingObserver::Builder(uint64_t serial, const std::string& name,
                                               uint16_t linktype) {
  if (last_ && serial == last_serial_) return last_;  // the usual case: one compare
  last_serial_ = serial;
  for (auto& o : open_)
    if (o.serial == serial) return last_ = o.builder.get();
  if (open_.size() >= kMaxOpen) open_.erase(open_.begin());
  open_.push_back(Open{serial, std::make_unique<SegmentIndexBuilder>(name, linktype)});
  return last_ = open_.back().builder.get();
}

void IndexingObserver::OnSegmentPublished(const SegmentRecord& rec) {
  if (rec.level != "raw") return;  // derived levels are not indexed (docs/FORMAT.md)
  std::unique_ptr<SegmentIndexBuilder> b;
  // Once per segment: the name is what the record carries.
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (it->builder->segment_name() != rec.name) continue;
    b = std::move(it->builder);
    open_.erase(it);
    if (last_ == b.get()) last_ = nullptr, last_serial_ = 0;
    break;
  }
  publisher_.Submit(rec, std::move(b));
}

}  // namespace trove
