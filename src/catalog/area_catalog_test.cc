// AreaCatalog: rows are stored relative to their area and resolved against
// the current area directories; RelativizeRows upgrades absolute rows.
#include "catalog/area_catalog.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "catalog/sqlite_catalog.h"
#include "segment/segment_test_util.h"

namespace trove {
namespace {

namespace fs = std::filesystem;

TEST(RelativeInside, OnlyPathsStrictlyInsideTheDirectory) {
  EXPECT_EQ(RelativeInside("/s/segments", "/s/segments/l/2026/a.pcapng"), "l/2026/a.pcapng");
  EXPECT_EQ(RelativeInside("/s/segments/", "/s/segments/a.pcapng"), "a.pcapng");
  EXPECT_EQ(RelativeInside("/s/segments", "/s/./segments/x/../a.pcapng"), "a.pcapng");
  EXPECT_FALSE(RelativeInside("/s/segments", "/s/segments"));
  EXPECT_FALSE(RelativeInside("/s/segments", "/s/segments2/a.pcapng"));  // a sibling, not inside
  EXPECT_FALSE(RelativeInside("/s/segments", "/s/segments/../spool/a.pcapng"));
  EXPECT_FALSE(RelativeInside("/s/segments", "/other/a.pcapng"));
  EXPECT_FALSE(RelativeInside("/s/segments", "relative/a.pcapng"));
  EXPECT_FALSE(RelativeInside("", "/a.pcapng"));
}

class AreaCatalogTest : public ::testing::Test {
 protected:
  std::unique_ptr<AreaCatalog> Open(const AreaDirs& d) {
    auto c = SqliteCatalog::Open(dir_ / "catalog.db", /*create=*/true);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::make_unique<AreaCatalog>(std::move(c).value(), d);
  }
  SegmentRecord Rec(const std::string& name, StorageArea a, const std::string& path) {
    SegmentRecord r;
    r.name = name;
    r.link = "l";
    r.area = a;
    r.path = path;
    return r;
  }
  std::string RawPath(AreaCatalog& c, const std::string& name) {
    auto r = c.backend().GetSegment(name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->path : "";
  }
  segtest::TempDir dir_;
};

TEST_F(AreaCatalogTest, StoresRelativeResolvesAgainstTheCurrentAreas) {
  {
    auto c = Open({"/old/s/segments", "/old/s/spool"});
    SegmentRecord a = Rec("a", StorageArea::kPrimary, "/old/s/segments/l/2026/a.pcapng");
    SegmentRecord b = Rec("b", StorageArea::kSpool, "/old/s/spool/l/b.pcapng");
    ASSERT_TRUE(c->InsertSegment(&a).ok());
    ASSERT_TRUE(c->InsertSegment(&b).ok());
    EXPECT_GT(a.id, 0);
    EXPECT_EQ(RawPath(*c, "a"), "l/2026/a.pcapng");
    EXPECT_EQ(RawPath(*c, "b"), "l/b.pcapng");
    EXPECT_EQ(c->GetSegment("a")->path, "/old/s/segments/l/2026/a.pcapng");
    // The mover: spool -> primary.
    ASSERT_TRUE(c->UpdateLocation(b.id, StorageArea::kPrimary, "/old/s/segments/l/b.pcapng").ok());
    EXPECT_EQ(RawPath(*c, "b"), "l/b.pcapng");
    StrandedPartial p{0, "/old/s/segments/l/x.partial", "l", 10, 1};
    ASSERT_TRUE(c->AddStranded(&p).ok());
    EXPECT_GT(p.id, 0);
  }
  // The same catalogue seen by a store that moved: rows follow the areas.
  auto c = Open({"/new/place/segments", "/new/place/spool"});
  auto all = c->ListSegments(SegmentQuery{});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].path, "/new/place/segments/l/2026/a.pcapng");
  EXPECT_EQ((*all)[1].path, "/new/place/segments/l/b.pcapng");
  auto st = c->ListStranded();
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->size(), 1u);
  EXPECT_EQ((*st)[0].path, "/new/place/segments/l/x.partial");
}

TEST_F(AreaCatalogTest, OutsidePathsAreKeptButNeverDeletable) {
  auto c = Open({"/s/segments", "/s/spool"});
  SegmentRecord a = Rec("a", StorageArea::kPrimary, "/elsewhere/a.pcapng");
  ASSERT_TRUE(c->InsertSegment(&a).ok());
  EXPECT_EQ(RawPath(*c, "a"), "/elsewhere/a.pcapng");
  EXPECT_EQ(c->GetSegment("a")->path, "/elsewhere/a.pcapng");
  Status s = CheckInsideAreas(*c, "/elsewhere/a.pcapng");
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("/elsewhere/a.pcapng"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("outside this store's storage areas"), std::string::npos);
  EXPECT_TRUE(CheckInsideAreas(*c, "/s/spool/l/a.pcapng").ok());
  EXPECT_FALSE(CheckInsideAreas(*c, "/s/segments/../keys/master.key").ok());
  // A catalogue that is no AreaCatalog (test fakes) is not checked.
  EXPECT_TRUE(CheckInsideAreas(c->backend(), "/elsewhere/a.pcapng").ok());
}

TEST_F(AreaCatalogTest, RelativizeRowsUpgradesAbsoluteRows) {
  const std::string prim = dir_ / "now-primary";
  fs::create_directories(prim + "/l/2026/11");
  std::ofstream(prim + "/l/2026/11/c.pcapng") << "x";
  auto c = Open({prim, dir_ / "now-spool"});
  // Rows as a trove before schema v6 wrote them, straight into the backend.
  std::vector<SegmentRecord> rows = {
      Rec("a", StorageArea::kPrimary, prim + "/l/a.pcapng"),              // current dir
      Rec("b", StorageArea::kSpool, "/was/spool/l/b.pcapng"),             // recorded old dir
      Rec("c", StorageArea::kPrimary, "/unknown/mnt/l/2026/11/c.pcapng"),  // tail exists
      Rec("d", StorageArea::kPrimary, "/unknown/mnt/l/2026/11/d.pcapng"),  // nothing: file name
      Rec("e", StorageArea::kPrimary, "l/e.pcapng"),                      // already relative
  };
  for (auto& r : rows) ASSERT_TRUE(c->backend().InsertSegment(&r).ok());
  StrandedPartial p{0, "/was/primary/l/x.partial", "l", 10, 1};
  ASSERT_TRUE(c->backend().AddStranded(&p).ok());

  auto n = c->RelativizeRows(AreaDirs{"/was/primary", "/was/spool"});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 5u);  // four segments and the stranded partial
  EXPECT_EQ(RawPath(*c, "a"), "l/a.pcapng");
  EXPECT_EQ(RawPath(*c, "b"), "l/b.pcapng");
  EXPECT_EQ(RawPath(*c, "c"), "l/2026/11/c.pcapng");
  EXPECT_EQ(RawPath(*c, "d"), "d.pcapng");
  EXPECT_EQ(RawPath(*c, "e"), "l/e.pcapng");
  auto st = c->backend().ListStranded();
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->size(), 1u);
  EXPECT_EQ((*st)[0].path, "l/x.partial");
  EXPECT_EQ(c->GetSegment("c")->path, prim + "/l/2026/11/c.pcapng");
  // Idempotent.
  auto again = c->RelativizeRows(AreaDirs{"/was/primary", "/was/spool"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
}

}  // namespace
}  // namespace trove
