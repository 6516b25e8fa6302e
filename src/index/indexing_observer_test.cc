// IndexingObserver: the open segment's index is queryable through a
// snapshot while packets arrive, and a snapshot does not change afterwards.

#include "index/indexing_observer.h"

#include <gtest/gtest.h>

#include "index/index_test_util.h"
#include "packet/decoder.h"

namespace trove {
namespace {

class NoCatalog : public Catalog {
 public:
  int SchemaVersion() const override { return 3; }
  Status InsertSegment(SegmentRecord*) override { return Status::Ok(); }
  Status UpdateLocation(int64_t, StorageArea, const std::string&) override { return Status::Ok(); }
  Status UpdateState(int64_t, SegmentState) override { return Status::Ok(); }
  Status DeleteSegment(int64_t) override { return Status::Ok(); }
  Result<std::vector<SegmentRecord>> ListSegments(const SegmentQuery&) override {
    return std::vector<SegmentRecord>{};
  }
  Result<SegmentRecord> GetSegment(const std::string&) override { return Status::NotFound(""); }
  Result<CatalogTotals> Totals(const SegmentQuery&) override { return CatalogTotals{}; }
  Status AddStranded(StrandedPartial*) override { return Status::Ok(); }
  Result<std::vector<StrandedPartial>> ListStranded() override {
    return std::vector<StrandedPartial>{};
  }
  Status RemoveStranded(int64_t) override { return Status::Ok(); }
  Status Transaction(const std::function<Status()>& fn) override { return fn(); }
};

TEST(IndexingObserver, OpenSegmentSnapshot) {
  NoCatalog cat;
  IndexingObserver obs(DefaultFs(), cat);
  EXPECT_EQ(obs.SnapshotOpen(), nullptr);
  auto seg = testing_util::MakeSynthSegment(300, 2);
  std::shared_ptr<const SegmentIndex> mid;
  for (size_t i = 0; i < seg.packets.size(); ++i) {
    const auto& p = seg.packets[i];
    PacketRef r{p.ts_ns, static_cast<uint32_t>(p.bytes.size()),
                static_cast<uint32_t>(p.bytes.size()), 1, p.bytes.data()};
    DecodedPacket d;
    Decode(r, &d);
    obs.OnPacketStored("open-seg", r, d, p.offset);
    if (i == 149) mid = obs.SnapshotOpen();
  }
  ASSERT_NE(mid, nullptr);
  EXPECT_EQ(mid->packets, 150u);
  EXPECT_EQ(mid->segment_name, "open-seg");
  auto end = obs.SnapshotOpen();
  EXPECT_EQ(end->packets, 300u);
  EXPECT_EQ(mid->packets, 150u);  // unchanged by later packets
  EXPECT_EQ(end->conns.size(), seg.index.conns.size());
  // A new segment name starts a new index.
  const auto& p = seg.packets[0];
  PacketRef r{p.ts_ns, static_cast<uint32_t>(p.bytes.size()), static_cast<uint32_t>(p.bytes.size()),
              1, p.bytes.data()};
  DecodedPacket d;
  Decode(r, &d);
  obs.OnPacketStored("next-seg", r, d, 200);
  EXPECT_EQ(obs.SnapshotOpen()->packets, 1u);
}

}  // namespace
}  // namespace trove
