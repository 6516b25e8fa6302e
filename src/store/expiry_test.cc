// Expiry: budgets expire the oldest segments of the class first (with their
// derived segments and indexes), retention is packet time against the
// class's newest packet, other classes are untouched, and a journal left at
// any step rolls forward.
#include "store/expiry.h"

#include "index/index_file.h"
#include "segment/segment_test_util.h"

namespace trove {
namespace {

using namespace segtest;

struct ExpiryFixture : ::testing::Test {
  Harness h;
  std::string run_dir = h.dir / "run";

  // `n` segments of class `klass`, one per 10 s of packet time, from t0.
  std::vector<SegmentRecord> Write(const std::string& klass, int n, int64_t t0) {
    std::vector<SegmentRecord> out;
    for (int i = 0; i < n; ++i) {
      SegmentWriterOptions o = TestWriterOptions("uplink");
      o.class_name = klass;
      SegmentWriter w(o, *h.router, *h.catalog);
      for (const auto& p : UdpStream(20, t0 + i * 10 * kSec, 100'000'000, 300, i + 1))
        EXPECT_TRUE(AppendPacket(w, p).ok());
      EXPECT_TRUE(w.Close().ok());
      auto r = h.catalog->GetSegment(std::to_string(w.published_ids().at(0)));
      EXPECT_TRUE(r.ok());
      out.push_back(*r);
    }
    return out;
  }
  // A stored derived row of `parent` at `path`, a file of `bytes` bytes.
  SegmentRecord Derive(const SegmentRecord& parent, const std::string& level,
                       const std::string& path, size_t bytes) {
    SegmentRecord r = parent;
    r.id = 0;
    r.name = parent.name + "." + level;
    r.level = level;
    r.parent_id = parent.id;
    r.state = SegmentState::kStored;
    r.path = path;
    r.file_bytes = bytes;
    WriteAll(path, std::vector<uint8_t>(bytes, 1));
    EXPECT_TRUE(h.catalog->InsertSegment(&r).ok());
    return r;
  }
  SegmentState State(int64_t id) { return h.catalog->GetSegment(std::to_string(id))->state; }
  uint64_t Bytes(const std::vector<SegmentRecord>& v) {
    uint64_t b = 0;
    for (const auto& r : v) b += r.file_bytes;
    return b;
  }
};

TEST_F(ExpiryFixture, BudgetExpiresOldestFirstWithinTheClass) {
  auto a = Write("a", 5, kBaseTs);
  auto b = Write("b", 3, kBaseTs);
  const uint64_t per = a[0].file_bytes;
  const uint64_t budget = Bytes(a) - 2 * per + 1;  // two must go (sizes are near-equal)
  auto rep = EnforceExpiry(DefaultFs(), *h.catalog, run_dir, "uplink", {{"a", budget, 0}});
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_GE(rep->expired.size(), 2u);
  // Exactly the oldest prefix expired, each for the budget.
  for (size_t i = 0; i < a.size(); ++i) {
    const bool gone = i < rep->expired.size();
    EXPECT_EQ(State(a[i].id), gone ? SegmentState::kExpired : SegmentState::kStored) << i;
    EXPECT_EQ(Exists(a[i].path), !gone) << i;
    if (gone) {
      EXPECT_EQ(rep->expired[i].id, a[i].id);
      EXPECT_EQ(rep->expired[i].reason, "budget");
    }
  }
  for (const auto& r : b) EXPECT_EQ(State(r.id), SegmentState::kStored);
  auto u = ClassUsages(DefaultFs(), *h.catalog, "uplink");
  ASSERT_TRUE(u.ok());
  for (const auto& c : *u) {
    if (c.klass == "a") {
      EXPECT_LE(c.bytes, budget);
    }
  }
  EXPECT_FALSE(Exists(ExpiryJournalPath(run_dir, "uplink")));
  // Idempotent: nothing more to do.
  auto again = EnforceExpiry(DefaultFs(), *h.catalog, run_dir, "uplink", {{"a", budget, 0}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->expired.empty());
}

TEST_F(ExpiryFixture, BudgetCountsIndexesAndDerivedSegments) {
  auto a = Write("a", 2, kBaseTs);
  // An index beside the newest segment and a derived child of the oldest.
  std::string idx = IndexPathFor(a[1].path);
  WriteAll(idx, std::vector<uint8_t>(1000, 7));
  SegmentRecord child = Derive(a[0], "scrubbed", h.dir / "child.pcapng", 500);
  auto u = ClassUsages(DefaultFs(), *h.catalog, "uplink");
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u->size(), 1u);
  EXPECT_EQ((*u)[0].segments, 2u);
  EXPECT_EQ((*u)[0].bytes, Bytes(a) + 1000 + 500);
  EXPECT_EQ((*u)[0].oldest_ns, a[0].stats.first_ts_ns);
  EXPECT_EQ((*u)[0].newest_ns, a[1].stats.last_ts_ns);

  // A budget the newest segment and its index fit in: the oldest goes with its child.
  auto rep =
      EnforceExpiry(DefaultFs(), *h.catalog, run_dir, "uplink", {{"a", a[1].file_bytes + 1000, 0}});
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->expired.size(), 2u);
  EXPECT_EQ(State(a[0].id), SegmentState::kExpired);
  EXPECT_EQ(State(child.id), SegmentState::kExpired);
  EXPECT_FALSE(Exists(child.path));
  EXPECT_EQ(State(a[1].id), SegmentState::kStored);
  EXPECT_TRUE(Exists(idx));
  EXPECT_EQ(rep->bytes_freed, a[0].file_bytes + 500);
}

TEST_F(ExpiryFixture, RetentionIsPacketTimeAgainstTheNewestPacket) {
  auto a = Write("a", 4, kBaseTs);  // segments at 0, 10, 20, 30 s, each ~2 s long
  // Retention 15 s before the newest packet (~32 s): segments ending before ~17 s go.
  auto rep = EnforceExpiry(DefaultFs(), *h.catalog, run_dir, "uplink", {{"a", 0, 15 * kSec}});
  ASSERT_TRUE(rep.ok());
  const int64_t newest = a[3].stats.last_ts_ns;
  for (const auto& r : a) {
    const bool old = r.stats.last_ts_ns < newest - 15 * kSec;
    EXPECT_EQ(State(r.id), old ? SegmentState::kExpired : SegmentState::kStored) << r.name;
  }
  EXPECT_EQ(rep->expired.size(), 2u);
  for (const auto& e : rep->expired) EXPECT_EQ(e.reason, "retention");
}

TEST_F(ExpiryFixture, DryRunChangesNothing) {
  auto a = Write("a", 3, kBaseTs);
  ExpiryOptions o;
  o.dry_run = true;
  auto rep = EnforceExpiry(DefaultFs(), *h.catalog, run_dir, "uplink", {{"a", 1, 0}}, o);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->expired.size(), 3u);
  for (const auto& r : a) {
    EXPECT_EQ(State(r.id), SegmentState::kStored);
    EXPECT_TRUE(Exists(r.path));
  }
}

// A crash after each step: the journal (or its absence) decides, and
// FinishExpiryJournal completes it.
TEST_F(ExpiryFixture, JournalRollsForwardAfterACrashAtEveryStep) {
  for (const char* step : {"journal", "catalog", "file"}) {
    SCOPED_TRACE(step);
    auto a = Write("a", 2, kBaseTs + (step[0] == 'j' ? 0 : step[0] == 'c' ? 100 : 200) * kSec);
    struct Crash {};
    ExpiryOptions o;
    const std::string at = step;
    o.step_hook = [at](const char* s) {
      if (at == s) throw Crash{};
    };
    EXPECT_THROW((void)EnforceExpiry(DefaultFs(), *h.catalog, run_dir, "uplink",
                                     {{"a", a[1].file_bytes, 0}}, o),
                 Crash);
    const std::string journal = ExpiryJournalPath(run_dir, "uplink");
    ASSERT_TRUE(Exists(journal));
    ExpiryReport rep;
    ASSERT_TRUE(FinishExpiryJournal(DefaultFs(), *h.catalog, run_dir, "uplink", &rep).ok());
    EXPECT_TRUE(rep.journal_finished);
    EXPECT_FALSE(Exists(journal));
    // Everything the journal named (at least the oldest) is expired and gone.
    EXPECT_EQ(State(a[0].id), SegmentState::kExpired);
    EXPECT_FALSE(Exists(a[0].path));
  }
}

TEST_F(ExpiryFixture, ABadJournalIsAnErrorNamingTheFile) {
  std::filesystem::create_directories(run_dir);
  const std::string journal = ExpiryJournalPath(run_dir, "uplink");
  WriteAll(journal, std::vector<uint8_t>{'x', '\n'});
  Status s = FinishExpiryJournal(DefaultFs(), *h.catalog, run_dir, "uplink", nullptr);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find(journal), std::string::npos) << s.message();
}

TEST_F(ExpiryFixture, DerivedSegmentsOfAnExpiredParentExpire) {
  auto a = Write("a", 1, kBaseTs);
  ASSERT_TRUE(h.catalog->UpdateState(a[0].id, SegmentState::kExpired).ok());
  SegmentRecord child = Derive(a[0], "scrambled", h.dir / "late-child.pcapng", 10);
  auto rep = EnforceExpiry(DefaultFs(), *h.catalog, run_dir, "uplink", {});
  ASSERT_TRUE(rep.ok());
  ASSERT_EQ(rep->expired.size(), 1u);
  EXPECT_EQ(rep->expired[0].reason, "parent expired");
  EXPECT_EQ(State(child.id), SegmentState::kExpired);
  EXPECT_FALSE(Exists(child.path));
}

// A chain derived while its raw parent expired (scrubbed from raw, then
// scrambled from scrubbed) expires whole in one pass: the scrambled row's
// own parent is still stored when the pass starts.
TEST_F(ExpiryFixture, ADerivedChainOfAnExpiredParentExpiresInOnePass) {
  auto a = Write("a", 1, kBaseTs);
  ASSERT_TRUE(h.catalog->UpdateState(a[0].id, SegmentState::kExpired).ok());
  SegmentRecord scrubbed = Derive(a[0], "scrubbed", h.dir / "chain-scrubbed.pcapng", 10);
  SegmentRecord scrambled = Derive(scrubbed, "scrambled", h.dir / "chain-scrambled.pcapng", 10);
  auto rep = EnforceExpiry(DefaultFs(), *h.catalog, run_dir, "uplink", {});
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_EQ(rep->expired.size(), 2u);
  for (const auto& e : rep->expired) EXPECT_EQ(e.reason, "parent expired");
  EXPECT_EQ(State(scrubbed.id), SegmentState::kExpired);
  EXPECT_EQ(State(scrambled.id), SegmentState::kExpired);
  EXPECT_FALSE(Exists(scrubbed.path));
  EXPECT_FALSE(Exists(scrambled.path));
}

}  // namespace
}  // namespace trove
