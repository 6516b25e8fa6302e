// Tests for ingest/expiry_worker.h as an Activity: it enforces the budget
// in the background, Stop(kDrain) runs the last pass, Reload() applies a
// new budget, and Observe() agrees with the catalogue (the oracle: the
// expired rows and the bytes of the rows left, read back independently).

#include "ingest/expiry_worker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "segment/segment_test_util.h"

namespace trove {
namespace {

using namespace segtest;  // NOLINT

uint64_t Counter(const ActivityStatus& s, const std::string& name) {
  const auto v = s.Counter(name);
  EXPECT_TRUE(v.has_value()) << "no counter " << name;
  return v.value_or(0);
}

class ExpiryWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Store::Init(dir_.path(), InitOptions{}).ok());
    std::filesystem::remove(dir_ / "keys/master.key");  // raw segments only
    auto s = Store::Open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // `n` segments of class "a" on link "uplink", oldest first.
  std::vector<SegmentRecord> Write(int n, SegmentObserver* observer) {
    StorageRouter router(store_->fs(), store_->primary_dir(), store_->spool_dir(), 3600 * kSec);
    std::vector<SegmentRecord> out;
    for (int i = 0; i < n; ++i) {
      SegmentWriterOptions o = TestWriterOptions("uplink");
      o.class_name = "a";
      SegmentWriter w(o, router, store_->catalog());
      if (observer) w.AddObserver(observer);
      for (const auto& p : UdpStream(20, kBaseTs + i * 10 * kSec, 100'000'000, 300, i + 1))
        EXPECT_TRUE(AppendPacket(w, p).ok());
      EXPECT_TRUE(w.Close().ok());
      out.push_back(store_->catalog().GetSegment(std::to_string(w.published_ids().at(0))).value());
    }
    return out;
  }

  // Stored bytes of class "a" and the number of expired rows, from the catalogue.
  std::pair<uint64_t, uint64_t> Usage() {
    SegmentQuery q;
    q.link = "uplink";
    auto rows = store_->catalog().ListSegments(q);
    EXPECT_TRUE(rows.ok());
    uint64_t stored = 0, expired = 0;
    for (const auto& r : *rows) {
      if (r.state == SegmentState::kStored) stored += r.file_bytes;
      if (r.state == SegmentState::kExpired) ++expired;
    }
    return {stored, expired};
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ExpiryWorkerTest, DrainRunsTheLastPassAndReloadAppliesANewBudget) {
  auto first = Write(1, nullptr);
  const uint64_t per = first[0].file_bytes;
  auto w = ExpiryWorker::Start(*store_, "uplink", {{"a", 3 * per + per / 2, 0}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)->name(), "expiry:uplink");
  Write(5, w->get());  // 6 segments in all, about 3.5 fit

  // Reload: the class's budget in the configuration wins.
  StoreConfig c = store_->config();
  ClassConfig a;
  a.name = "a";
  a.disk_budget = per + per / 2;  // about 1.5 segments fit
  c.classes = {a};
  EXPECT_TRUE((*w)->Reload(c).ok());

  (*w)->Stop(StopMode::kDrain);
  ActivityStatus s = (*w)->Observe();
  EXPECT_EQ(s.state, ActivityStatus::State::kStopped);
  EXPECT_GE(Counter(s, "passes"), 1u);
  EXPECT_EQ(Counter(s, "errors"), 0u);
  auto [stored, expired] = Usage();
  EXPECT_LE(stored, per + per / 2);
  EXPECT_GE(expired, 5u);
  EXPECT_EQ(Counter(s, "segments_expired"), expired);  // Observe agrees with the catalogue
  (*w)->Stop(StopMode::kAbort);  // idempotent
  EXPECT_EQ((*w)->Observe().state, ActivityStatus::State::kStopped);
}

TEST_F(ExpiryWorkerTest, AbortSkipsTheLastPass) {
  auto w = ExpiryWorker::Start(*store_, "uplink", {{"a", 1, 0}});  // a budget of one byte
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  // The first pass (on an empty link) ends; then the worker idles.
  for (int i = 0; i < 400 && Counter((*w)->Observe(), "passes") < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(Counter((*w)->Observe(), "passes"), 1u);
  Write(4, nullptr);  // not observed: nothing asks for a pass
  (*w)->Stop(StopMode::kAbort);
  EXPECT_EQ(Counter((*w)->Observe(), "passes"), 1u);
  auto [stored, expired] = Usage();
  EXPECT_EQ(expired, 0u) << "a pass ran after an abort";
  EXPECT_GT(stored, 0u);
  // kDrain would have run one more pass, which expires all four (see above).
}

}  // namespace
}  // namespace trove
