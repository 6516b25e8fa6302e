#include "ingest/class_streams.h"

#include <algorithm>

namespace trove {

ClassStreams::ClassStreams(SegmentWriterOptions base, std::vector<std::string> class_names,
                           StorageRouter& router, Catalog& catalog)
    : base_(std::move(base)),
      class_names_(std::move(class_names)),
      router_(router),
      catalog_(catalog),
      streams_(std::max<size_t>(class_names_.size(), 1)) {}

void ClassStreams::AddObserver(SegmentObserver* o) {
  observers_.push_back(o);
  for (auto& w : writers_) w->AddObserver(o);
}

SegmentWriter& ClassStreams::Open(size_t k, uint16_t linktype) {
  SegmentWriterOptions o = base_;
  o.class_name = class_names_.empty() ? "" : class_names_[k];
  writers_.push_back(std::make_unique<SegmentWriter>(std::move(o), router_, catalog_));
  SegmentWriter& w = *writers_.back();
  streams_[k].push_back({linktype, &w});
  for (auto* obs : observers_) w.AddObserver(obs);
  if (!sampler_given_ && drop_sampler_) {
    w.SetDropSampler(drop_sampler_);
    sampler_given_ = true;
  }
  return w;
}

Status ClassStreams::Append(const PacketRef& p, const DecodedPacket& d, uint8_t klass) {
  const size_t k = class_names_.empty() ? 0 : klass;
  if (k >= streams_.size())
    return Status::Internal("packet of class index " + std::to_string(klass) +
                            " but the link has " + std::to_string(class_names_.size()) +
                            " classes");
  // One stream per link type of the class: a segment holds one link type,
  // and a trace that interleaves link types must not rotate at every change.
  // The last stream used is first in the list (a class rarely has more).
  std::vector<Stream>& ss = streams_[k];
  SegmentWriter* w = nullptr;
  for (size_t i = 0; i < ss.size(); ++i) {
    if (ss[i].linktype != p.linktype) continue;
    if (i != 0) std::swap(ss[0], ss[i]);
    w = ss[0].writer;
    break;
  }
  if (w == nullptr) {
    w = &Open(k, p.linktype);
    std::swap(ss.front(), ss.back());
  }
  return w->Append(p, d);
}

void ClassStreams::NoteNotStored(const PacketRef& p, const DecodedPacket& d, uint8_t klass) {
  // The open stream of the packet's class and link type, if any.
  const size_t k = class_names_.empty() ? 0 : klass;
  if (k >= streams_.size()) return;
  for (const Stream& st : streams_[k]) {
    if (st.linktype != p.linktype) continue;
    st.writer->NoteNotStored(p, d);
    return;
  }
}

void ClassStreams::Tick(int64_t now) {
  for (auto& w : writers_) w->Tick(now);
}

Status ClassStreams::Close() {
  Status first;
  for (auto& w : writers_) {
    Status s = w->Close();
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

WriterCounters ClassStreams::counters() const {
  WriterCounters sum;
  for (const auto& w : writers_) {
    const WriterCounters& c = w->counters();
    sum.packets_stored += c.packets_stored;
    sum.bytes_stored += c.bytes_stored;
    sum.segments_published += c.segments_published;
    sum.store_drops += c.store_drops;
    sum.failovers += c.failovers;
    sum.catalog_errors += c.catalog_errors;
  }
  return sum;
}

std::vector<int64_t> ClassStreams::published_ids() const {
  std::vector<int64_t> ids;
  for (const auto& w : writers_)
    ids.insert(ids.end(), w->published_ids().begin(), w->published_ids().end());
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace trove
