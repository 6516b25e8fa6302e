// SegmentReader: packets by EPB offset, through the memory map and through
// sparse pread(2) reads (index plans), checked against an independent block
// walk (segment_test_util.h) and the bytes written; blocks larger than the
// 2 KiB read window, packets served from the window (with and without the
// next-offset hint), offsets that are not
// packet blocks and a truncated file.

#include "query/segment_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/uio.h>
#include <unistd.h>

#include <optional>
#include <random>

#include "segment/pcapng_format.h"
#include "segment/segment_test_util.h"
#include "util/byte_buffer.h"

namespace trove {
namespace {

struct Written {
  std::string path;
  std::vector<std::vector<uint8_t>> payloads;
  segtest::Bytes bytes;
};

Written WriteSegment(const std::string& path, int reps = 20) {
  ByteBuffer b;
  AppendSectionHeader(&b, SectionInfo{});
  InterfaceInfo i;
  i.linktype = 1;
  AppendInterfaceDescription(&b, i);
  Written w;
  w.path = path;
  std::mt19937 rng(3);
  // Small ones (several per window), around the 2 KiB window edge, jumbo.
  const uint32_t sizes[] = {60, 64, 1514, 2000, 2016, 2017, 2048, 5000, 9000, 60, 61, 62, 1500};
  int64_t ts = 1'700'000'000'000'000'000;
  for (int rep = 0; rep < reps; ++rep)
    for (uint32_t n : sizes) {
      std::vector<uint8_t> p(n);
      for (auto& c : p) c = static_cast<uint8_t>(rng());
      AppendEnhancedPacket(&b, 0, ts += 1000, n, n + 7, p.data());
      w.payloads.push_back(std::move(p));
    }
  w.bytes.assign(b.data(), b.data() + b.size());
  segtest::WriteAll(path, w.bytes);
  return w;
}

TEST(SegmentReader, SparseReadsReturnWhatTheMapReturns) {
  segtest::TempDir dir;
  const Written w = WriteSegment(dir / "s.pcapng");
  const auto epbs = segtest::Epbs(segtest::WalkBlocks(w.bytes));
  ASSERT_EQ(epbs.size(), w.payloads.size());
  auto mapped = SegmentReader::Open(w.path);
  auto sparse = SegmentReader::Open(w.path);
  ASSERT_TRUE(mapped.ok() && sparse.ok());
  ASSERT_TRUE((*sparse)->UseSparseReads().ok());
  std::vector<uint64_t> all;
  for (const auto& b : epbs) all.push_back(b.offset);
  (*sparse)->Prefetch(all);  // a hint only: what is read stays the same
  // In file order (the window serves neighbours), then shuffled.
  std::vector<size_t> order(epbs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) std::shuffle(order.begin(), order.end(), std::mt19937(9));
    for (size_t j = 0; j < order.size(); ++j) {
      const size_t i = order[j];
      // The next offset as a read-ahead hint (near or far, before or after).
      const uint64_t next = j + 1 < order.size() ? epbs[order[j + 1]].offset : 0;
      for (auto* rd : {mapped->get(), sparse->get()}) {
        auto p = rd->PacketAt(epbs[i].offset, next);
        ASSERT_TRUE(p.ok()) << p.status().ToString();
        EXPECT_EQ(p->ts_ns, epbs[i].ts_ns);
        EXPECT_EQ(p->caplen, epbs[i].caplen);
        EXPECT_EQ(p->wirelen, epbs[i].wirelen);
        EXPECT_EQ(p->block_offset, epbs[i].offset);
        ASSERT_EQ(std::vector<uint8_t>(p->data, p->data + p->caplen), w.payloads[i]) << i;
      }
    }
  }
}

TEST(SegmentReader, BadOffsetsAndTruncationNameTheOffset) {
  segtest::TempDir dir;
  const Written w = WriteSegment(dir / "t.pcapng");
  const auto epbs = segtest::Epbs(segtest::WalkBlocks(w.bytes));
  // The last (1500-byte) block cut in half.
  const uint64_t last = epbs.back().offset;
  segtest::WriteAll(w.path, w.bytes.data(), static_cast<size_t>(last + 700));
  for (bool sparse : {false, true}) {
    auto rd = SegmentReader::Open(w.path);
    ASSERT_TRUE(rd.ok());
    if (sparse) {
      ASSERT_TRUE((*rd)->UseSparseReads().ok());
    }
    auto p = (*rd)->PacketAt(last);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), Status::Code::kCorruption);
    EXPECT_NE(p.status().message().find("offset " + std::to_string(last)), std::string::npos)
        << p.status().message();
    EXPECT_NE(p.status().message().find(w.path), std::string::npos);
    // Inside a packet's data, and beyond the end.
    auto q = (*rd)->PacketAt(epbs[3].offset + 100);
    ASSERT_FALSE(q.ok());
    EXPECT_NE(q.status().message().find("not an enhanced packet block"), std::string::npos)
        << q.status().message();
    auto e = (*rd)->PacketAt(last + 100000);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.status().message().find("beyond the end"), std::string::npos)
        << e.status().message();
    // The packets before the damage still read.
    EXPECT_TRUE((*rd)->PacketAt(epbs[epbs.size() - 2].offset).ok());
  }
}

// The prefetch advice is adaptive: a segment whose blocks are all in the
// page cache is read without one POSIX_FADV_WILLNEED call; once a read
// misses the cache, the runs from there on are advised (once), and what is
// read is the same either way.
TEST(SegmentReader, PrefetchAdvisesOnlyWhenAReadMissesThePageCache) {
  segtest::TempDir dir;
  const Written w = WriteSegment(dir / "s.pcapng", 250);  // 6.6 MB
  const auto epbs = segtest::Epbs(segtest::WalkBlocks(w.bytes));
  // Blocks past the first 2 MiB (reading the header maps the first pages,
  // perhaps as a large folio), every 25th: several runs.
  std::vector<size_t> picked;
  for (size_t i = 0; i < epbs.size(); i += 25)
    if (epbs[i].offset >= 2 * 1024 * 1024) picked.push_back(i);
  ASSERT_GE(picked.size(), 10u);
  std::vector<uint64_t> offsets;
  for (size_t i : picked) offsets.push_back(epbs[i].offset);
  // Evicts the file's clean pages (those not mapped); false if they stay.
  auto evict = [&]() -> bool {
    const int fd = ::open(w.path.c_str(), O_RDONLY);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::fsync(fd), 0);
    EXPECT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    char probe[64];
    iovec v{probe, sizeof probe};
    const bool gone =
        ::preadv2(fd, &v, 1, static_cast<off_t>(offsets[0]), RWF_NOWAIT) < 0 && errno == EAGAIN;
    ::close(fd);
    return gone;
  };
  // Reads the picked blocks, from a cold cache if `cold`; the advice calls,
  // or nullopt when the pages could not be evicted.
  auto read_all = [&](bool cold) -> std::optional<uint64_t> {
    auto rd = SegmentReader::Open(w.path);  // maps (and reads) the head
    EXPECT_TRUE(rd.ok());
    EXPECT_TRUE((*rd)->UseSparseReads().ok());
    (*rd)->Prefetch(offsets);
    if (cold && !evict()) return std::nullopt;
    for (size_t j = 0; j < picked.size(); ++j) {
      auto p = (*rd)->PacketAt(offsets[j], j + 1 < offsets.size() ? offsets[j + 1] : 0);
      EXPECT_TRUE(p.ok()) << p.status().ToString();
      if (!p.ok()) return 0;
      EXPECT_EQ(std::vector<uint8_t>(p->data, p->data + p->caplen), w.payloads[picked[j]]);
    }
    return (*rd)->advice_calls();
  };
  EXPECT_EQ(read_all(false), 0u) << "warm: every read hit the page cache";
  const auto cold = read_all(true);
  if (!cold) GTEST_SKIP() << "the file system kept the pages cached";
  EXPECT_GE(*cold, 1u) << "cold: the runs were advised";
}

}  // namespace
}  // namespace trove
