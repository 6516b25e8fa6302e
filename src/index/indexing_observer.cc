#include "index/indexing_observer.h"

namespace trove {

void IndexingObserver::OnPacketStored(uint64_t serial, const std::string& name,
                                      const PacketRef& p, const DecodedPacket& d,
                                      uint64_t offset) {
  SegmentIndexBuilder* b = serial == last_serial_ && last_ ? last_ : Builder(serial, name, p.linktype);
  b->Add(p, d, offset);
}

SegmentIndexBuilder* IndexingObserver::Builder(uint64_t serial, const std::string& name,
                                               uint16_t linktype) {
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
