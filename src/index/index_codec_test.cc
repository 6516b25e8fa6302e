// Index file format: round trip, the header fields as FORMAT.md specifies
// them (checked by hand here, with an independent SHA-256), truncation and
// corruption rejected with the file and offset named, and a fuzz-style loop
// of random byte flips (with and without a repaired checksum) that must
// never crash or read out of bounds (run under ASan in CI).

#include "index/index_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

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
  EXPECT_EQ(f[8], 1);  // version 1, little-endian
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
  g[8] = 2;
  EXPECT_NE(DecodeSegmentIndex(g.data(), g.size(), "c.idx").status().message().find("version 2"),
            std::string::npos);
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
