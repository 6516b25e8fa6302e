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
  auto f = Bytes(EncodeSegmentIndex(seg.index));
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

TEST(IndexCodec, FlippedBodyByteFailsTheChecksum) {
  auto seg = MakeSynthSegment(300);
  auto f = Bytes(EncodeSegmentIndex(seg.index));
  f[f.size() / 2] ^= 0x40;
  auto r = DecodeSegmentIndex(f.data(), f.size(), "a.idx");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("checksum"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("offset 24"), std::string::npos) << r.status().message();
}

TEST(IndexCodec, StructuralDamageNamesTheOffset) {
  auto seg = MakeSynthSegment(300);
  auto f = Bytes(EncodeSegmentIndex(seg.index));
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
  auto g = Bytes(EncodeSegmentIndex(seg.index));
  g[0] = 'X';
  EXPECT_NE(DecodeSegmentIndex(g.data(), g.size(), "c.idx").status().message().find("offset 0"),
            std::string::npos);
  g = Bytes(EncodeSegmentIndex(seg.index));
  g[8] = 3;
  EXPECT_NE(DecodeSegmentIndex(g.data(), g.size(), "c.idx").status().message().find("version 3"),
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
  const auto v2 = Bytes(EncodeSegmentIndex(seg.index));
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
    // Re-encoded, it is the current version.
    auto full = DecodeSegmentIndex(v1.data(), v1.size(), "v1.idx");
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(EncodeSegmentIndex(*full), std::string(v2.begin(), v2.end()));
  }
}

TEST(IndexCodec, AnOffsetsLengthThatDisagreesIsCorruption) {
  auto seg = MakeSynthSegment(300);
  IndexDecodeOptions lazy;
  lazy.defer_offsets = true;
  auto f = Bytes(EncodeSegmentIndex(seg.index));
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

TEST(IndexCodec, DeferredOffsetsAreCheckedWhenDecoded) {
  auto seg = MakeSynthSegment(300);
  auto f = Bytes(EncodeSegmentIndex(seg.index));
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
  const auto good = Bytes(EncodeSegmentIndex(seg.index));
  std::mt19937_64 rng(42);
  int rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    auto f = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k)
      f[kIndexHeaderBytes + rng() % (f.size() - kIndexHeaderBytes)] ^=
          static_cast<uint8_t>(1 + rng() % 255);
    if (iter % 2 == 0) FixChecksum(f);  // reach the structural checks
    if (rng() % 5 == 0) f.resize(rng() % f.size());
    auto r = DecodeSegmentIndex(f.data(), f.size(), "fuzz.idx");
    // Deferred offsets agree with the full decoder.
    ASSERT_EQ(testing_util::DeferredDecodeDisagreement(f.data(), f.size(), "fuzz.idx"), "") << iter;
    if (!r.ok()) {
      ++rejected;
      EXPECT_NE(r.status().message().find("fuzz.idx"), std::string::npos);
    } else {
      // Whatever decoded is self-consistent: offsets inside the segment.
      for (const auto& c : r->conns)
        for (uint64_t o : c.offsets) EXPECT_LT(o, r->segment_bytes);
    }
  }
  EXPECT_GT(rejected, 1500);
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
