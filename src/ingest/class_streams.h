#pragma once
// ClassStreams: one segment stream per storage class of a link. It owns one
// SegmentWriter per class, created lazily on the first stored packet of
// that class, and routes each packet to its class's writer, so that every
// segment holds the packets of exactly one class and a class's budget and
// retention (store/expiry.h) expire whole segments of that class only.
//
//  - A store without classes has one stream (class_name "", names
//    LINK-START-XXXXXX), as before classes existed.
//  - A segment holds one link type, so a class has one stream per link
//    type it has seen (a pcapng with interfaces of several link types
//    writes interleaved packets to parallel streams instead of rotating at
//    every change); the streams of a class share its name and catalogue
//    class, and a query merges them by time like any overlapping segments.
//  - Every stream gets the same observers (indexing, class statistics,
//    derived levels); they see packets of several open segments
//    interleaved and key their state by segment name.
//  - Source drops (kernel, ring) are attributed to ONE stream: the first
//    one opened in the run gets the drop sampler, so its segments report
//    the drops of their intervals and no drop is counted twice. Store drops
//    stay with the stream that could not store the packet.
//
// Owned and called by the writer thread only.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "segment/segment_writer.h"

namespace trove {

class ClassStreams {
 public:
  // `class_names` in the cutoff stage's order (index = class index); empty
  // for a store without classes.
  ClassStreams(SegmentWriterOptions base, std::vector<std::string> class_names,
               StorageRouter& router, Catalog& catalog);

  // Appends a stored packet to the stream of class `klass` (ignored without
  // classes). A class index out of range is a bug and an error.
  Status Append(const PacketRef& p, const DecodedPacket& d, uint8_t klass);
  // A packet of class `klass` the cutoff dropped: counted by the observers
  // of the segment open in that class's stream, if any (a class whose
  // stream has no open segment -- live idle rotation, both areas full --
  // loses the packet from the flow records; see docs/CLI.md `flows`).
  void NoteNotStored(const PacketRef& p, const DecodedPacket& d, uint8_t klass);
  void Tick(int64_t now_wall_ns);
  // Publishes every open segment; returns the first error.
  Status Close();

  void SetDropSampler(std::function<DropCounters()> f) { drop_sampler_ = std::move(f); }
  void AddObserver(SegmentObserver* o);

  // Sums over the streams.
  WriterCounters counters() const;
  // Ids of every stream's published segments, ascending.
  std::vector<int64_t> published_ids() const;
  // The writer of class `k` used last, or nullptr before its first packet.
  const SegmentWriter* stream(size_t k) const {
    return k < streams_.size() && !streams_[k].empty() ? streams_[k][0].writer : nullptr;
  }
  // Streams opened (over classes and link types).
  size_t size() const { return writers_.size(); }

 private:
  struct Stream {
    uint16_t linktype;
    SegmentWriter* writer;  // owned by writers_
  };
  SegmentWriter& Open(size_t k, uint16_t linktype);

  SegmentWriterOptions base_;
  std::vector<std::string> class_names_;
  StorageRouter& router_;
  Catalog& catalog_;
  std::vector<std::unique_ptr<SegmentWriter>> writers_;  // in opening order
  std::vector<std::vector<Stream>> streams_;              // per class: by link type
  std::vector<SegmentObserver*> observers_;
  std::function<DropCounters()> drop_sampler_;
  bool sampler_given_ = false;
};

}  // namespace trove
