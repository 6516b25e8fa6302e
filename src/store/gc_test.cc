// Tests for store/gc.h: RunGc expires what the budgets demand on links it
// can lock (the catalogue's rows are the oracle), leaves a link locked by
// a running ingest alone, and refuses an unknown link.

#include "store/gc.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "segment/segment_test_util.h"

namespace trove {
namespace {

using namespace segtest;  // NOLINT

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Store::Init(dir_.path(), InitOptions{}).ok());
    std::filesystem::remove(dir_ / "keys/master.key");  // raw segments only
    Open();
  }
  void Open() {
    store_.reset();
    auto s = Store::Open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  // `n` segments of the store's default class on its first link.
  std::vector<SegmentRecord> Write(int n) {
    StorageRouter router(store_->fs(), store_->primary_dir(), store_->spool_dir(), 3600 * kSec);
    std::vector<SegmentRecord> out;
    for (int i = 0; i < n; ++i) {
      SegmentWriterOptions o = TestWriterOptions(store_->config().links.at(0).name);
      o.class_name = store_->config().classes.at(0).name;
      SegmentWriter w(o, router, store_->catalog());
      for (const auto& p : UdpStream(20, kBaseTs + i * 10 * kSec, 100'000'000, 300, i + 1))
        EXPECT_TRUE(AppendPacket(w, p).ok());
      EXPECT_TRUE(w.Close().ok());
      out.push_back(store_->catalog().GetSegment(std::to_string(w.published_ids().at(0))).value());
    }
    return out;
  }
  // Budget of the default class, written to trove.toml and reopened.
  void SetBudget(uint64_t bytes) {
    StoreConfig c = store_->config();
    c.classes.at(0).disk_budget = bytes;
    std::ofstream(dir_ / "trove.toml") << SerializeStoreConfig(c);
    Open();
  }
  SegmentState State(int64_t id) {
    return store_->catalog().GetSegment(std::to_string(id))->state;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(GcTest, ExpiresTheOldestOverBudgetAndReportsUsage) {
  auto recs = Write(4);
  SetBudget(recs[0].file_bytes * 2 + recs[0].file_bytes / 2);
  auto rep = RunGc(*store_, GcOptions{});
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_EQ(rep->links.size(), 1u);
  const GcLinkReport& l = rep->links[0];
  EXPECT_FALSE(l.busy);
  EXPECT_FALSE(rep->has_problems());
  EXPECT_EQ(rep->segments_expired, 2u);
  EXPECT_EQ(State(recs[0].id), SegmentState::kExpired);
  EXPECT_EQ(State(recs[1].id), SegmentState::kExpired);
  EXPECT_EQ(State(recs[2].id), SegmentState::kStored);
  EXPECT_FALSE(Exists(recs[0].path));
  ASSERT_EQ(l.usage.size(), 1u);
  EXPECT_EQ(l.usage[0].segments, 2u);
}

TEST_F(GcTest, LeavesALinkInUseAlone) {
  auto recs = Write(3);
  SetBudget(1);
  auto lock = store_->LockLink(store_->config().links.at(0).name);  // "a running ingest"
  ASSERT_TRUE(lock.ok());
  auto rep = RunGc(*store_, GcOptions{});
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_EQ(rep->links.size(), 1u);
  EXPECT_TRUE(rep->links[0].busy);
  EXPECT_EQ(rep->segments_expired, 0u);
  for (const auto& r : recs) EXPECT_EQ(State(r.id), SegmentState::kStored);
}

TEST_F(GcTest, RefusesAnUnknownLink) {
  GcOptions o;
  o.link = "nosuchlink";
  auto rep = RunGc(*store_, o);
  ASSERT_FALSE(rep.ok());
  EXPECT_EQ(rep.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(rep.status().message().find("nosuchlink"), std::string::npos);
}

}  // namespace
}  // namespace trove
