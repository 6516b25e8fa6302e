#pragma once
// Test-only: a synthetic segment's packets (trove synth) kept in memory,
// with the EPB offsets a segment would give them, and its index built by
// SegmentIndexBuilder. Header only; included by *_test.cc.

#include <cstdint>
#include <vector>

#include "index/index_builder.h"
#include "packet/decoder.h"
#include "segment/pcapng_format.h"
#include "synth/synth.h"

namespace trove::testing_util {

struct StoredPacket {
  int64_t ts_ns;
  uint64_t offset;
  std::vector<uint8_t> bytes;
};

struct SynthSegment {
  std::vector<StoredPacket> packets;
  SegmentIndex index;
};

inline SynthSegment MakeSynthSegment(uint64_t packets, uint64_t seed = 7) {
  synth::SynthOptions o;
  o.seed = seed;
  o.hosts = 50;
  o.servers = 10;
  o.max_packets = packets;
  SynthSegment s;
  SegmentIndexBuilder b("synth-seg", 1);
  uint64_t off = 200;  // after a notional header
  (void)synth::Synthesize(o, [&](const PacketRef& p) {
    StoredPacket sp{p.ts_ns, off, std::vector<uint8_t>(p.data, p.data + p.caplen)};
    PacketRef r = p;
    r.linktype = 1;
    r.data = sp.bytes.data();
    DecodedPacket d;
    Decode(r, &d);
    b.Add(r, d, off);
    off += kEpbOverhead + ((p.caplen + 3u) & ~3u);
    s.packets.push_back(std::move(sp));
    return Status::Ok();
  });
  s.index = b.Snapshot(off);
  return s;
}

}  // namespace trove::testing_util
