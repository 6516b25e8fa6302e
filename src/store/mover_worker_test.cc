// Tests for store/mover_worker.h: the background mover drains a real spool
// into the primary (content checked with sha256sum), reports what it
// could not move while the primary is away, stops idempotently, and
// refuses a reload that needs a restart.

#include "store/mover_worker.h"

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

class MoverWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTool("sha256sum")) GTEST_SKIP() << "sha256sum is the oracle here";
    ASSERT_TRUE(Store::Init(dir_.path(), InitOptions{}).ok());
    std::filesystem::remove(dir_ / "keys/master.key");  // no derived levels here
    auto s = Store::Open(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    marker_ = JoinPath(store_->primary_dir(), kPrimaryMarker);
  }
  void HidePrimary() { std::filesystem::rename(marker_, dir_ / "marker.saved"); }
  void ShowPrimary() { std::filesystem::rename(dir_ / "marker.saved", marker_); }

  std::vector<SegmentRecord> WriteToSpool(size_t segments) {
    StorageRouter router(store_->fs(), store_->primary_dir(), store_->spool_dir(), 3600 * kSec);
    SegmentWriterOptions o = TestWriterOptions();
    o.policy.max_duration_ns = 10 * kSec;
    SegmentWriter w(o, router, store_->catalog());
    for (size_t s = 0; s < segments; ++s)
      for (const auto& p : UdpStream(10, kBaseTs + static_cast<int64_t>(s) * 10 * kSec, 500'000'000,
                                     300, static_cast<uint32_t>(s + 1)))
        EXPECT_TRUE(AppendPacket(w, p).ok());
    EXPECT_TRUE(w.Close().ok());
    std::vector<SegmentRecord> out;
    for (int64_t id : w.published_ids())
      out.push_back(store_->catalog().GetSegment(std::to_string(id)).value());
    return out;
  }

  // Polls (no timing assertion: up to 20 s on a loaded machine) until
  // `done` holds for the worker's status.
  template <class Pred>
  ActivityStatus WaitFor(const MoverWorker& w, Pred done) {
    ActivityStatus s = w.Observe();
    for (int i = 0; i < 400 && !done(s); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      s = w.Observe();
    }
    return s;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::string marker_;
};

TEST_F(MoverWorkerTest, DrainsTheSpoolOnceThePrimaryIsBack) {
  HidePrimary();
  auto recs = WriteToSpool(2);
  ASSERT_EQ(recs.size(), 2u);
  for (const auto& r : recs) ASSERT_EQ(r.area, StorageArea::kSpool);

  auto w = MoverWorker::Start(dir_.path(), MoverWorkerOptions{50'000'000});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)->name(), "mover");
  // While the primary is away a pass moves nothing and reports the backlog.
  ActivityStatus s = WaitFor(**w, [](const ActivityStatus& x) { return Counter(x, "passes") >= 1; });
  EXPECT_EQ(s.state, ActivityStatus::State::kRunning);
  EXPECT_EQ(s.backlog, 2u);
  EXPECT_EQ(s.detail, "primary unavailable");
  EXPECT_EQ(Counter(s, "segments_moved"), 0u);

  ShowPrimary();
  (*w)->Kick();
  s = WaitFor(**w, [](const ActivityStatus& x) { return Counter(x, "segments_moved") == 2; });
  EXPECT_EQ(Counter(s, "segments_moved"), 2u);
  EXPECT_EQ(Counter(s, "errors"), 0u);
  EXPECT_EQ(s.backlog, 0u);
  EXPECT_EQ(s.detail, "");
  for (const auto& r : recs) {
    auto now = store_->catalog().GetSegment(r.name);
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(now->area, StorageArea::kPrimary);
    EXPECT_EQ(Sha256Sum(now->path), r.sha256);  // the bytes the writer hashed
    EXPECT_FALSE(Exists(r.path)) << "spool copy left behind";
  }

  (*w)->Stop(StopMode::kDrain);
  EXPECT_EQ((*w)->Observe().state, ActivityStatus::State::kStopped);
  (*w)->Stop(StopMode::kAbort);  // idempotent
  EXPECT_EQ((*w)->Observe().state, ActivityStatus::State::kStopped);
}

TEST_F(MoverWorkerTest, ReloadRefusesChangedStoragePaths) {
  auto w = MoverWorker::Start(dir_.path(), MoverWorkerOptions{3'600'000'000'000});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  StoreConfig c = store_->config();
  EXPECT_TRUE((*w)->Reload(c).ok());
  c.storage.primary = "/elsewhere";
  Status st = (*w)->Reload(c);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(st.message().find("primary"), std::string::npos) << st.message();
  (*w)->Stop(StopMode::kAbort);  // returns although the next pass is an hour away
  EXPECT_EQ((*w)->Observe().state, ActivityStatus::State::kStopped);
}

TEST(MoverWorkerStart, FailsOnAMissingStore) {
  auto w = MoverWorker::Start("/nonexistent/trove-store");
  EXPECT_FALSE(w.ok());
}

}  // namespace
}  // namespace trove
