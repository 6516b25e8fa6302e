// Index file format: round trip, the header fields as FORMAT.md specifies
// them (checked by hand here, with an independent SHA-256), truncation and
// corruption rejected with the file and offset named, and a fuzz-style loop
// of random byte flips (with and without a repaired checksum) that must
// never crash or read out of bounds (run under ASan in CI).

#include "index/index_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "index/index_decode_check.h"
#include "index/index_file.h"
#include "index/index_test_util.h"
#include "index/index_view.h"
#include "segment/segment_test_util.h"
#include "util/sha256.h"

namespace trove {
namespace {

using testing_util::MakeSynthSegment;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

void FixChecksum(std::vector<uint8_t>& f) {
  Sha256 h;
  h.Update(f.data() + kIndexHeaderBytes, f.size() - kIndexHeaderBytes);
  const std::string hex = h.HexDigest();
  for (int i = 0; i < 8; ++i)
    f[24 + static_cast<size_t>(i)] =
        static_cast<uint8_t>(std::stoi(hex.substr(static_cast<size_t>(2 * i), 2), nullptr, 16));
}

TEST(IndexCodec, RoundTripIsLossless) {
  auto seg = MakeSynthSegment(3000);
  ASSERT_GT(seg.index.conns.size(), 10u);
  const std::string enc = EncodeSegmentIndex(seg.index);
  auto dec = DecodeSegmentIndex(reinterpret_cast<const uint8_t*>(enc.data()), enc.size(), "x.idx");
  ASSERT_TRUE(dec.ok()) << dec.status().ToString();
  EXPECT_EQ(EncodeSegmentIndex(*dec), enc);
  EXPECT_EQ(dec->packets, 3000u);
  EXPECT_EQ(dec->segment_name, "synth-seg");
  ASSERT_EQ(dec->conns.size(), seg.index.conns.size());
  for (size_t i = 0; i < dec->conns.size(); ++i) {
    EXPECT_EQ(dec->conns[i].key, seg.index.conns[i].key);
    EXPECT_EQ(dec->conns[i].offsets, seg.index.conns[i].offsets);
    EXPECT_EQ(dec->conns[i].first_ts_ns, seg.index.conns[i].first_ts_ns);
    EXPECT_EQ(dec->conns[i].last_ts_ns, seg.index.conns[i].last_ts_ns);
  }
  EXPECT_EQ(dec->time_map.size(), (3000 + kTimeBlockPackets - 1) / kTimeBlockPackets);
}

TEST(IndexCodec, HeaderIsAsDocumented) {
  auto seg = MakeSynthSegment(100);
  auto f = Bytes(EncodeSegmentIndex(seg.index, 2));
  ASSERT_GE(f.size(), kIndexHeaderBytes);
  EXPECT_EQ(std::memcmp(f.data(), "TROVEIDX", 8), 0);
  EXPECT_EQ(f[8], 2);  // version 2, little-endian
  EXPECT_EQ(f[9] | f[10] | f[11], 0);
  uint64_t body = 0;
  for (int i = 7; i >= 0; --i) body = body << 8 | f[16 + static_cast<size_t>(i)];
  EXPECT_EQ(body, f.size() - kIndexHeaderBytes);
  auto copy = f;
  FixChecksum(copy);  // an independent computation of the checksum
  EXPECT_EQ(copy, f);
}

TEST(IndexCodec, EveryTruncationIsRejectedWithFileAndOffset) {
  auto seg = MakeSynthSegment(300);
  auto f = Bytes(EncodeSegmentIndex(seg.index));
  for (size_t n = 0; n < f.size(); n += (n < 64 ? 1 : 7)) {
    auto r = DecodeSegmentIndex(f.data(), n, "/s/seg.idx");
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
    EXPECT_NE(r.status().message().find("/s/seg.idx"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("offset"), std::string::npos) << r.status().message();
  }
}

TEST(IndexCodec, FlippedBodyByteFailsTheChecksumV2) {
  auto seg = MakeSynthSegment(300);
  auto f = Bytes(EncodeSegmentIndex(seg.index, 2));
  f[f.size() / 2] ^= 0x40;
  auto r = DecodeSegmentIndex(f.data(), f.size(), "a.idx");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("checksum"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("offset 24"), std::string::npos) << r.status().message();
}

TEST(IndexCodec, StructuralDamageNamesTheOffsetV2) {
  auto seg = MakeSynthSegment(300);
  auto f = Bytes(EncodeSegmentIndex(seg.index, 2));
  // Record count (after name, linktype, sizes, times, flags) made huge.
  const size_t name_len = seg.index.segment_name.size();
  const size_t count_at = kIndexHeaderBytes + 2 + name_len + 2 + 8 + 8 + 8 + 8 + 1;
  f[count_at + 3] = 0x7f;
  FixChecksum(f);
  auto r = DecodeSegmentIndex(f.data(), f.size(), "b.idx");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("b.idx: corrupt at offset " + std::to_string(count_at + 4)),
            std::string::npos)
      << r.status().message();
  // Wrong magic and version.
  auto g = Bytes(EncodeSegmentIndex(seg.index, 2));
  g[0] = 'X';
  EXPECT_NE(DecodeSegmentIndex(g.data(), g.size(), "c.idx").status().message().find("offset 0"),
            std::string::npos);
  g = Bytes(EncodeSegmentIndex(seg.index, 2));
  g[8] = 5;
  EXPECT_NE(DecodeSegmentIndex(g.data(), g.size(), "c.idx").status().message().find("version 5"),
            std::string::npos);
  g[8] = 0;
  EXPECT_NE(DecodeSegmentIndex(g.data(), g.size(), "c.idx").status().message().find("version 0"),
            std::string::npos);
}

TEST(IndexCodec, DeferredOffsetsDecodeToTheSameOffsets) {
  auto seg = MakeSynthSegment(3000);
  const auto f = Bytes(EncodeSegmentIndex(seg.index));
  IndexDecodeOptions lazy;
  lazy.defer_offsets = true;
  auto d = DecodeSegmentIndex(f.data(), f.size(), "d.idx", lazy);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_TRUE(d->deferred);
  ASSERT_EQ(d->conns.size(), seg.index.conns.size());
  for (size_t i = 0; i < d->conns.size(); ++i) {
    EXPECT_TRUE(d->conns[i].offsets.empty());
    auto offs = RecordOffsets(*d, d->conns[i]);
    ASSERT_TRUE(offs.ok()) << offs.status().ToString();
    EXPECT_EQ(*offs, seg.index.conns[i].offsets) << "record " << i;
  }
  // A fully decoded index gives its own offsets back.
  auto full = DecodeSegmentIndex(f.data(), f.size(), "d.idx");
  ASSERT_TRUE(full.ok());
  auto own = RecordOffsets(*full, full->conns[0]);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(*own, seg.index.conns[0].offsets);
}

TEST(IndexCodec, Version1FilesAreStillRead) {
  auto seg = MakeSynthSegment(2000);
  const auto v1 = Bytes(EncodeSegmentIndex(seg.index, 1));
  const auto v2 = Bytes(EncodeSegmentIndex(seg.index, 2));
  const std::string v3 = EncodeSegmentIndex(seg.index, 3);
  EXPECT_EQ(v1[8], 1);
  // v2 adds one length varint per record, nothing else.
  EXPECT_GT(v2.size(), v1.size());
  EXPECT_LE(v2.size(), v1.size() + 3 * seg.index.conns.size());
  for (bool lazy : {false, true}) {
    IndexDecodeOptions o;
    o.defer_offsets = lazy;
    auto d = DecodeSegmentIndex(v1.data(), v1.size(), "v1.idx", o);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    ASSERT_EQ(d->conns.size(), seg.index.conns.size());
    for (size_t i = 0; i < d->conns.size(); ++i) {
      auto offs = RecordOffsets(*d, d->conns[i]);
      ASSERT_TRUE(offs.ok());
      EXPECT_EQ(*offs, seg.index.conns[i].offsets);
    }
    // Re-encoded as version 3, nothing is lost.
    auto full = DecodeSegmentIndex(v1.data(), v1.size(), "v1.idx");
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(EncodeSegmentIndex(*full, 3), v3);
    auto from_v2 = DecodeSegmentIndex(v2.data(), v2.size(), "v2.idx");
    ASSERT_TRUE(from_v2.ok());
    EXPECT_EQ(EncodeSegmentIndex(*from_v2, 3), v3);
  }
}

TEST(IndexCodec, AnOffsetsLengthThatDisagreesIsCorruptionV2) {
  auto seg = MakeSynthSegment(300);
  IndexDecodeOptions lazy;
  lazy.defer_offsets = true;
  auto f = Bytes(EncodeSegmentIndex(seg.index, 2));
  auto d = DecodeSegmentIndex(f.data(), f.size(), "g.idx", lazy);
  ASSERT_TRUE(d.ok());
  // The length varint sits just before the record's offsets; one byte for
  // small records. Growing it by one makes the full decoder and the record's
  // deferred decode both fail (the file is re-checksummed).
  size_t rec = 0;
  while (rec < d->conns.size() && d->conns[rec].offsets_bytes >= 127) ++rec;
  ASSERT_LT(rec, d->conns.size());
  const size_t len_at = static_cast<size_t>(d->conns[rec].offsets_at) - 1;
  ASSERT_EQ(f[len_at], d->conns[rec].offsets_bytes);
  f[len_at] = static_cast<uint8_t>(f[len_at] - 1);  // claims one byte fewer
  FixChecksum(f);
  auto full = DecodeSegmentIndex(f.data(), f.size(), "g.idx");
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.status().message().find("g.idx: corrupt at offset"), std::string::npos)
      << full.status().message();
}

TEST(IndexCodec, DeferredOffsetsAreCheckedWhenDecodedV2) {
  auto seg = MakeSynthSegment(300);
  auto f = Bytes(EncodeSegmentIndex(seg.index, 2));
  IndexDecodeOptions lazy;
  lazy.defer_offsets = true;
  // A record whose second offset delta is a one-byte varint: made 0 (not
  // ascending), the file keeps its shape.
  auto d = DecodeSegmentIndex(f.data(), f.size(), "e.idx", lazy);
  ASSERT_TRUE(d.ok());
  size_t rec = 0, second = 0;
  for (; rec < d->conns.size(); ++rec) {
    if (d->conns[rec].total_packets() < 2) continue;
    size_t at = static_cast<size_t>(d->conns[rec].offsets_at);
    while (f[at] & 0x80) ++at;  // past the first varint
    second = at + 1;
    if (!(f[second] & 0x80)) break;
  }
  ASSERT_LT(rec, d->conns.size());
  f[second] = 0;
  FixChecksum(f);
  auto full = DecodeSegmentIndex(f.data(), f.size(), "e.idx");
  ASSERT_FALSE(full.ok());  // the full decoder rejects it ...
  auto d2 = DecodeSegmentIndex(f.data(), f.size(), "e.idx", lazy);
  ASSERT_TRUE(d2.ok()) << d2.status().ToString();  // ... the deferred one when asked
  auto offs = RecordOffsets(*d2, d2->conns[rec]);
  ASSERT_FALSE(offs.ok());
  EXPECT_EQ(offs.status().code(), Status::Code::kCorruption);
  EXPECT_NE(offs.status().message().find("e.idx: corrupt at offset"), std::string::npos)
      << offs.status().message();
  EXPECT_NE(offs.status().message().find("not ascending"), std::string::npos)
      << offs.status().message();
}

TEST(IndexCodec, RandomFlipsNeverCrash) {
  auto seg = MakeSynthSegment(500);
  for (uint32_t version : {2u, 3u, 4u}) {
    const auto good = Bytes(EncodeSegmentIndex(seg.index, version));
    std::mt19937_64 rng(42);
    int rejected = 0;
    for (int iter = 0; iter < 3000; ++iter) {
      auto f = good;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k)
        f[kIndexHeaderBytes + rng() % (f.size() - kIndexHeaderBytes)] ^=
            static_cast<uint8_t>(1 + rng() % 255);
      if (iter % 2 == 0) {  // reach the structural checks
        if (version >= 3)
          testing_util::RepairV3Checksums(f);
        else
          FixChecksum(f);
      }
      if (rng() % 5 == 0) f.resize(rng() % f.size());
      auto r = DecodeSegmentIndex(f.data(), f.size(), "fuzz.idx");
      // Deferred offsets and the view agree with the full decoder.
      ASSERT_EQ(testing_util::DeferredDecodeDisagreement(f.data(), f.size(), "fuzz.idx"), "")
          << version << " " << iter;
      if (!r.ok()) {
        ++rejected;
        EXPECT_NE(r.status().message().find("fuzz.idx"), std::string::npos);
      } else {
        // Whatever decoded is self-consistent: offsets inside the segment.
        for (const auto& c : r->conns)
          for (uint64_t o : c.offsets) EXPECT_LT(o, r->segment_bytes);
      }
      // The random-access reader never crashes either, whatever it is asked.
      auto v = IndexView::Open(nullptr, f.data(), f.size(), "fuzz.idx");
      if (v.ok()) {
        for (uint32_t i = 0; i < (*v)->record_count() && i < 50; ++i) {
          auto rec = (*v)->Record(i);
          if (rec.ok()) (void)(*v)->Offsets(*rec);
        }
        const uint8_t a[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
        (void)(*v)->AddressIds(4, a);
        (void)(*v)->PortIds(80);
        (void)(*v)->Special();
        (void)(*v)->TimeMap();
      }
    }
    EXPECT_GT(rejected, 1500) << version;
  }
}

// Version 3, read by hand as docs/FORMAT.md lays it out.
uint64_t Le(const std::vector<uint8_t>& f, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(f[at + static_cast<size_t>(i)]) << (8 * i);
  return v;
}

std::vector<uint8_t> Sha8(const uint8_t* p, size_t n) {
  std::vector<uint8_t> out(8);
  testing_util::PutSha8(p, n, out.data());
  return out;
}

TEST(IndexCodecV3, LayoutIsAsDocumented) {
  auto seg = MakeSynthSegment(3000);
  auto f = Bytes(EncodeSegmentIndex(seg.index, 3));
  ASSERT_EQ(f[8], 3);
  const size_t B = kIndexHeaderBytes;
  EXPECT_EQ(Le(f, 16, 8), f.size() - B);
  const size_t dir = Le(f, B, 4);
  EXPECT_EQ(std::vector<uint8_t>(f.begin() + 24, f.begin() + 32), Sha8(f.data() + B, dir));
  size_t at = B + 4;
  const size_t name_len = Le(f, at, 2);
  EXPECT_EQ(std::string(f.begin() + static_cast<long>(at + 2),
                        f.begin() + static_cast<long>(at + 2 + name_len)),
            "synth-seg");
  at += 2 + name_len + 2 + 8;
  EXPECT_EQ(Le(f, at, 8), 3000u);  // packets
  at += 8 + 8 + 8 + 1;
  EXPECT_EQ(Le(f, at, 4), seg.index.conns.size());
  EXPECT_EQ(Le(f, at + 4, 4), seg.index.addresses.size());
  EXPECT_EQ(Le(f, at + 8, 4), seg.index.ports.size());
  EXPECT_EQ(Le(f, at + 12, 4), seg.index.time_map.size());
  at += 16;
  uint64_t sec[8];
  for (int i = 0; i < 8; ++i) sec[i] = Le(f, at + 8 * static_cast<size_t>(i), 8);
  at += 64;
  EXPECT_EQ(sec[0], dir);
  EXPECT_EQ(sec[7], f.size() - B);
  EXPECT_EQ(sec[1] - sec[0], 8 * seg.index.conns.size());
  EXPECT_EQ(sec[3] - sec[2], 24 * seg.index.addresses.size());
  EXPECT_EQ(sec[4] - sec[3], 8 * seg.index.ports.size());
  EXPECT_EQ(sec[7] - sec[6], 28 * seg.index.time_map.size());
  EXPECT_EQ(Le(f, at, 4), 4096u);
  const size_t n = Le(f, at + 4, 4);
  const size_t rest = f.size() - B - dir;
  ASSERT_EQ(n, (rest + 4095) / 4096);
  EXPECT_EQ(at + 8 + 8 * n, B + dir);  // the checksums end the directory
  for (size_t k = 0; k < n; ++k) {
    auto want = Sha8(f.data() + B + dir + 4096 * k, std::min<size_t>(4096, rest - 4096 * k));
    ASSERT_EQ(std::vector<uint8_t>(f.begin() + static_cast<long>(at + 8 + 8 * k),
                                   f.begin() + static_cast<long>(at + 16 + 8 * k)),
              want)
        << k;
  }
  // Record 0 starts the records section; the first address entry names its
  // posting, whose ids decode (varint count, deltas) to the builder's list.
  EXPECT_EQ(Le(f, B + sec[0], 8), 0u);
  const size_t e = B + sec[2];
  EXPECT_EQ(f[e], seg.index.addresses[0].ip_version);
  EXPECT_EQ(std::memcmp(&f[e + 1], seg.index.addresses[0].addr, 16), 0);
  size_t q = B + sec[4] + Le(f, e + 20, 4);
  auto var = [&]() {
    uint64_t v = 0;
    for (int sh = 0;; sh += 7) {
      const uint8_t b = f[q++];
      v |= static_cast<uint64_t>(b & 0x7f) << sh;
      if (!(b & 0x80)) return v;
    }
  };
  std::vector<uint32_t> ids(var());
  uint32_t cur = 0;
  for (size_t i = 0; i < ids.size(); ++i)
    ids[i] = cur = static_cast<uint32_t>(i ? cur + var() : var());
  EXPECT_EQ(ids, seg.index.addresses[0].conns);
  // And the view answers as the full decoder does.
  EXPECT_EQ(testing_util::DeferredDecodeDisagreement(f.data(), f.size(), "v3.idx"), "");
}

TEST(IndexCodecV3, ChunkDamageIsFoundByTheReadThatTouchesIt) {
  auto seg = MakeSynthSegment(3000);
  auto f = Bytes(EncodeSegmentIndex(seg.index));
  auto v0 = IndexView::Open(nullptr, f.data(), f.size(), "/s/h.idx");
  ASSERT_TRUE(v0.ok()) << v0.status().ToString();
  const uint32_t last = (*v0)->record_count() - 1;
  auto rec = (*v0)->Record(last);
  ASSERT_TRUE(rec.ok());
  // Damage the last record's offsets: the directory still verifies, the
  // first record (another chunk) reads, the last one does not.
  const size_t bad = static_cast<size_t>(rec->offsets_at);
  f[bad] ^= 0x01;
  auto v = IndexView::Open(nullptr, f.data(), f.size(), "/s/h.idx");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE((*v)->Record(0).ok());
  auto r = (*v)->Record(last);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().message().find("/s/h.idx: corrupt at offset"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("checksum mismatch over chunk"), std::string::npos)
      << r.status().message();
  auto full = DecodeSegmentIndex(f.data(), f.size(), "/s/h.idx");
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.status().message().find("checksum mismatch over chunk"), std::string::npos);
  // Damage in the directory fails the header checksum at open.
  auto g = Bytes(EncodeSegmentIndex(seg.index));
  g[kIndexHeaderBytes + 8] ^= 0x20;
  auto vg = IndexView::Open(nullptr, g.data(), g.size(), "/s/h.idx");
  ASSERT_FALSE(vg.ok());
  EXPECT_NE(vg.status().message().find("offset 24: checksum mismatch over the directory"),
            std::string::npos)
      << vg.status().message();
}

TEST(IndexCodecV3, StructuralDamageNamesTheOffset) {
  auto seg = MakeSynthSegment(3000);
  auto f = Bytes(EncodeSegmentIndex(seg.index));
  auto v0 = IndexView::Open(nullptr, f.data(), f.size(), "k.idx");
  ASSERT_TRUE(v0.ok());
  // Record 2's start moved before record 1's (checksums repaired).
  const size_t B = kIndexHeaderBytes, dir = Le(f, B, 4);
  const size_t entry2 = B + dir + 16;
  f[entry2] = 0;
  f[entry2 + 1] = 0;
  testing_util::RepairV3Checksums(f);
  auto v = IndexView::Open(nullptr, f.data(), f.size(), "k.idx");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE((*v)->Record(0).ok());
  auto r = (*v)->Record(1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("k.idx: corrupt at offset " + std::to_string(entry2)),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(DecodeSegmentIndex(f.data(), f.size(), "k.idx").ok());
  // A section count that disagrees with its section is refused at open.
  auto g = Bytes(EncodeSegmentIndex(seg.index));
  const size_t counts = B + 4 + 2 + seg.index.segment_name.size() + 2 + 8 + 8 + 8 + 8 + 1;
  g[counts + 4] ^= 0x01;  // address count
  testing_util::RepairV3Checksums(g);
  auto vg = IndexView::Open(nullptr, g.data(), g.size(), "k.idx");
  ASSERT_FALSE(vg.ok());
  EXPECT_NE(vg.status().message().find("address directory section holds"), std::string::npos)
      << vg.status().message();
}

// Version 4 keeps each record's wire counts; older versions report the
// stored counts as wire counts and no IP bytes (docs/FORMAT.md).
TEST(IndexCodecV4, WireCountsRoundTripAndOlderVersionsReportStoredCounts) {
  auto seg = MakeSynthSegment(2000);
  SegmentIndex ix = seg.index;
  // A record with wire packets but no stored packet (all dropped past the
  // cutoff), and one with more wire than stored packets.
  ConnRecord extra = ix.conns[0];
  extra.key.port_lo = 1;
  extra.packets[0] = extra.packets[1] = extra.bytes[0] = extra.bytes[1] = 0;
  extra.offsets.clear();
  extra.wire_packets[0] = 7;
  extra.wire_bytes[0] = 7000;
  extra.ip_bytes[0] = 6902;
  ix.conns.push_back(extra);
  ix.conns[1].wire_packets[1] += 100;
  ix.conns[1].wire_bytes[1] += 150000;
  ix.conns[1].ip_bytes[1] += 148600;
  const std::string v4 = EncodeSegmentIndex(ix);
  EXPECT_EQ(v4[8], 4);
  for (bool lazy : {false, true}) {
    IndexDecodeOptions o;
    o.defer_offsets = lazy;
    auto d = DecodeSegmentIndex(reinterpret_cast<const uint8_t*>(v4.data()), v4.size(), "v4.idx", o);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->decoded_version, 4u);
    ASSERT_EQ(d->conns.size(), ix.conns.size());
    for (size_t i = 0; i < ix.conns.size(); ++i)
      for (int k = 0; k < 2; ++k) {
        EXPECT_EQ(d->conns[i].wire_packets[k], ix.conns[i].wire_packets[k]) << i;
        EXPECT_EQ(d->conns[i].wire_bytes[k], ix.conns[i].wire_bytes[k]) << i;
        EXPECT_EQ(d->conns[i].ip_bytes[k], ix.conns[i].ip_bytes[k]) << i;
        EXPECT_EQ(d->conns[i].packets[k], ix.conns[i].packets[k]) << i;
      }
  }
  auto view = IndexView::Open(nullptr, reinterpret_cast<const uint8_t*>(v4.data()), v4.size(), "v4.idx");
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  auto rec = (*view)->Record(static_cast<uint32_t>(ix.conns.size() - 1));
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->wire_packets[0], 7u);
  EXPECT_EQ(rec->ip_bytes[0], 6902u);
  EXPECT_EQ(rec->total_packets(), 0u);
  // The wire counts cost a few bytes per record, not per packet.
  const std::string v3 = EncodeSegmentIndex(ix, 3);
  EXPECT_LE(v4.size(), v3.size() + 12 * ix.conns.size());
  for (uint32_t v : {1u, 2u, 3u}) {
    const std::string old = EncodeSegmentIndex(ix, v);
    auto d = DecodeSegmentIndex(reinterpret_cast<const uint8_t*>(old.data()), old.size(), "old.idx");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->decoded_version, v);
    for (size_t i = 0; i < ix.conns.size(); ++i)
      for (int k = 0; k < 2; ++k) {
        EXPECT_EQ(d->conns[i].wire_packets[k], ix.conns[i].packets[k]);
        EXPECT_EQ(d->conns[i].wire_bytes[k], ix.conns[i].bytes[k]);
        EXPECT_EQ(d->conns[i].ip_bytes[k], 0u);
      }
  }
}

// Fewer wire packets than stored ones is impossible: Corruption, with the
// file and offset.
TEST(IndexCodecV4, FewerWirePacketsThanStoredIsCorruption) {
  SegmentIndex ix = MakeSynthSegment(50).index;
  ix.conns[0].wire_packets[0] = 0;
  ix.conns[0].wire_packets[1] = 0;
  const std::string f = EncodeSegmentIndex(ix);
  auto d = DecodeSegmentIndex(reinterpret_cast<const uint8_t*>(f.data()), f.size(), "w.idx");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("w.idx: corrupt at offset"), std::string::npos)
      << d.status().message();
  EXPECT_NE(d.status().message().find("wire packets"), std::string::npos) << d.status().message();
}

TEST(IndexFile, WriteReadAndPathNaming) {
  segtest::TempDir dir;
  auto seg = MakeSynthSegment(200);
  EXPECT_EQ(IndexPathFor("/a/b/L-1.pcapng"), "/a/b/L-1.idx");
  EXPECT_EQ(IndexPathFor("/a/b/odd"), "/a/b/odd.idx");
  const std::string p = dir / "L-1.idx";
  uint64_t n = 0;
  ASSERT_TRUE(WriteIndexFile(DefaultFs(), p, seg.index, &n).ok());
  EXPECT_FALSE(std::filesystem::exists(p + ".partial"));
  EXPECT_EQ(std::filesystem::file_size(p), n);
  auto r = ReadIndexFile(p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->packets, 200u);
  EXPECT_EQ(ReadIndexFile(dir / "none.idx").status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace trove
