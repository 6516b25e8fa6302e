// IndexingObserver + IndexPublisher: the indexes of published segments are
// written by the worker thread, in publication order, byte-identical to
// the index written synchronously (PublishSegmentIndex) and to the one
// rebuilt from the file; Finish() drains the queue; failures are counted
// and do not stop later segments; an expired segment is skipped.

#include "index/indexing_observer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "index/index_file.h"
#include "packet/decoder.h"
#include "segment/segment_header.h"
#include "segment/segment_test_util.h"
#include "synth/synth.h"

namespace trove {
namespace {

using segtest::ReadAll;
using segtest::TempDir;

// Records the summaries stored, in order; GetSegment answers `state_of`.
class FakeCatalog : public Catalog {
 public:
  int SchemaVersion() const override { return 3; }
  Status InsertSegment(SegmentRecord*) override { return Status::Ok(); }
  Status UpdateLocation(int64_t, StorageArea, const std::string&) override { return Status::Ok(); }
  Status UpdateState(int64_t, SegmentState) override { return Status::Ok(); }
  Status DeleteSegment(int64_t) override { return Status::Ok(); }
  Result<std::vector<SegmentRecord>> ListSegments(const SegmentQuery&) override {
    return std::vector<SegmentRecord>{};
  }
  Result<SegmentRecord> GetSegment(const std::string& id) override {
    std::lock_guard<std::mutex> l(*mu);
    if (id == expired_id) {
      SegmentRecord r;
      r.state = SegmentState::kExpired;
      return r;
    }
    return Status::NotFound("");
  }
  Result<CatalogTotals> Totals(const SegmentQuery&) override { return CatalogTotals{}; }
  Status AddStranded(StrandedPartial*) override { return Status::Ok(); }
  Result<std::vector<StrandedPartial>> ListStranded() override {
    return std::vector<StrandedPartial>{};
  }
  Status RemoveStranded(int64_t) override { return Status::Ok(); }
  Status Transaction(const std::function<Status()>& fn) override { return fn(); }
  Status PutSegmentSummary(int64_t id, int64_t, int64_t, const std::string&) override {
    std::lock_guard<std::mutex> l(*mu);
    summaries->push_back(id);
    return Status::Ok();
  }
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<int64_t>> summaries = std::make_shared<std::vector<int64_t>>();
  std::string expired_id;
};

// A real segment file (header, packets, trailer) of `n` synthetic packets,
// fed to `obs` as the writer would, under `serial`.
struct Seg {
  SegmentRecord rec;
};

Seg WriteSegment(const std::string& dir, const std::string& name, int64_t id, uint64_t n,
                 uint64_t seed, IndexingObserver* obs, uint64_t serial) {
  ByteBuffer buf;
  SegmentHeaderInfo h;
  h.name = name;
  h.link = "l";
  h.linktype = 1;
  AppendSegmentHeader(&buf, h);
  synth::SynthOptions o;
  o.seed = seed;
  o.hosts = 50;
  o.servers = 10;
  o.max_packets = n;
  uint64_t packets = 0;
  (void)synth::Synthesize(o, [&](const PacketRef& p) {
    PacketRef r = p;
    r.linktype = 1;
    DecodedPacket d;
    Decode(r, &d);
    const uint64_t off = buf.size();
    AppendEnhancedPacket(&buf, 0, r.ts_ns, r.caplen, r.wirelen, r.data);
    if (obs) obs->OnPacketStored(serial, name, r, d, off);
    ++packets;
    return Status::Ok();
  });
  AppendSegmentTrailer(&buf, SegmentStats{}, DropCounters{});
  Seg s;
  s.rec.id = id;
  s.rec.name = name;
  s.rec.level = "raw";
  s.rec.path = dir + "/" + name + ".pcapng";
  s.rec.file_bytes = buf.size();
  s.rec.stats.packets = packets;
  segtest::WriteAll(s.rec.path, buf.data(), buf.size());
  return s;
}

TEST(IndexPublisher, WritesInOrderAndEqualsSynchronousAndRebuiltIndex) {
  TempDir dir;
  auto cat = std::make_unique<FakeCatalog>();
  auto summaries = cat->summaries;
  auto mu = cat->mu;
  IndexingObserver obs(DefaultFs(), std::move(cat));
  // Two segments open at once (class streams), their packets interleaved
  // by segment: serial 11 and 12, then more of 11.
  std::vector<Seg> segs;
  for (int i = 0; i < 6; ++i)
    segs.push_back(WriteSegment(dir.path(), "seg" + std::to_string(i), 100 + i, 200 + 50 * i,
                                static_cast<uint64_t>(i + 1), &obs, 11 + static_cast<uint64_t>(i)));
  for (const auto& s : segs) obs.OnSegmentPublished(s.rec);
  obs.Finish();
  const IndexingCounters c = obs.counters();
  EXPECT_EQ(c.indexes_written, segs.size());
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.rebuilt_from_file, 0u);
  {
    std::lock_guard<std::mutex> l(*mu);
    std::vector<int64_t> want;
    for (const auto& s : segs) want.push_back(s.rec.id);
    EXPECT_EQ(*summaries, want);  // publication order
  }
  uint64_t idx_bytes = 0;
  for (const auto& s : segs) {
    const std::string idx = IndexPathFor(s.rec.path);
    const auto got = ReadAll(idx);
    idx_bytes += got.size();
    // The index rebuilt from the file, written synchronously elsewhere.
    auto rebuilt = BuildIndexFromSegment(s.rec.path, s.rec.name);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().message();
    SegmentRecord other = s.rec;
    other.path = s.rec.path + ".sync";
    FakeCatalog sync_cat;
    ASSERT_TRUE(PublishSegmentIndex(DefaultFs(), sync_cat, other, *rebuilt).ok());
    EXPECT_EQ(got, ReadAll(IndexPathFor(other.path))) << s.rec.name;
    EXPECT_EQ(rebuilt->packets, s.rec.stats.packets);
  }
  EXPECT_EQ(c.index_bytes, idx_bytes);
}

TEST(IndexPublisher, FinishDrainsTheQueueAndBoundsQueuedBuilders) {
  TempDir dir;
  // No builder may wait in the queue: every segment is rebuilt from its
  // file by the worker, and still indexed before Finish() returns.
  IndexPublisherOptions o;
  o.max_pending_builders = 0;
  o.nice = 0;
  IndexingObserver obs(DefaultFs(), std::make_unique<FakeCatalog>(), o);
  std::vector<Seg> segs;
  for (int i = 0; i < 8; ++i)
    segs.push_back(WriteSegment(dir.path(), std::string("d").append(std::to_string(i)), 1 + i,
                                150, 3, &obs,
                                100 + static_cast<uint64_t>(i)));
  for (const auto& s : segs) obs.OnSegmentPublished(s.rec);
  obs.Finish();
  obs.Finish();  // idempotent
  EXPECT_EQ(obs.counters().indexes_written, segs.size());
  EXPECT_EQ(obs.counters().rebuilt_from_file, segs.size());
  EXPECT_GE(obs.counters().max_queued, 1u);
  for (const auto& s : segs) EXPECT_TRUE(segtest::Exists(IndexPathFor(s.rec.path)));
}

TEST(IndexPublisher, FailureIsCountedAndLaterSegmentsStillIndexed) {
  TempDir dir;
  auto cat = std::make_unique<FakeCatalog>();
  cat->expired_id = "3";
  IndexingObserver obs(DefaultFs(), std::move(cat));
  Seg ok1 = WriteSegment(dir.path(), "a", 1, 100, 1, &obs, 1);
  // Its directory is gone by the time the index is written.
  Seg bad = WriteSegment(dir.path(), "b", 2, 100, 2, &obs, 2);
  bad.rec.path = dir.path() + "/missing/b.pcapng";
  // Expired (budget) before the worker reaches it: skipped, no orphan index.
  Seg expired = WriteSegment(dir.path(), "c", 3, 100, 3, &obs, 3);
  Seg ok2 = WriteSegment(dir.path(), "e", 4, 100, 4, &obs, 4);
  for (const Seg* s : {&ok1, &bad, &expired, &ok2}) obs.OnSegmentPublished(s->rec);
  obs.Drain();
  const IndexingCounters c = obs.counters();
  EXPECT_EQ(c.errors, 1u);
  EXPECT_EQ(c.indexes_written, 2u);
  EXPECT_EQ(c.skipped_expired, 1u);
  EXPECT_TRUE(segtest::Exists(IndexPathFor(ok1.rec.path)));
  EXPECT_TRUE(segtest::Exists(IndexPathFor(ok2.rec.path)));
  EXPECT_FALSE(segtest::Exists(IndexPathFor(expired.rec.path)));
}

TEST(IndexingObserver, BuilderNotCoveringTheFileIsRebuiltFromIt) {
  // A failover published only a prefix: the builder saw more packets than
  // the file holds, so the worker indexes the file instead.
  TempDir dir;
  IndexingObserver obs(DefaultFs(), std::make_unique<FakeCatalog>());
  Seg s = WriteSegment(dir.path(), "f", 1, 120, 5, &obs, 7);
  s.rec.stats.packets -= 1;
  obs.OnSegmentPublished(s.rec);
  obs.Finish();
  EXPECT_EQ(obs.counters().rebuilt_from_file, 1u);
  EXPECT_EQ(obs.counters().indexes_written, 1u);
  auto ix = ReadIndexFile(IndexPathFor(s.rec.path));
  ASSERT_TRUE(ix.ok()) << ix.status().message();
  EXPECT_EQ(ix->packets, 120u);  // what the file holds
}

TEST(IndexingObserver, DerivedLevelsAreNotIndexed) {
  TempDir dir;
  IndexingObserver obs(DefaultFs(), std::make_unique<FakeCatalog>());
  Seg s = WriteSegment(dir.path(), "g", 1, 50, 5, nullptr, 0);
  s.rec.level = "scrambled";
  obs.OnSegmentPublished(s.rec);
  obs.Finish();
  EXPECT_EQ(obs.counters().indexes_written, 0u);
  EXPECT_FALSE(segtest::Exists(IndexPathFor(s.rec.path)));
}

}  // namespace
}  // namespace trove
