// Store identity: markers, copies, moves, foreign areas.
#include "store/store_identity.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "segment/segment_test_util.h"
#include "store/store.h"

namespace trove {
namespace {

namespace fs = std::filesystem;
using segtest::TempDir;

std::string ReadAll(const std::string& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(StoreIdentity, NewStoreIdIsARandomVersion4Uuid) {
  auto a = NewStoreId(), b = NewStoreId();
  ASSERT_TRUE(a.ok() && b.ok());
  // RFC 4122 version 4, lower-case hex: xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx.
  // (Checked by hand: <regex> trips GCC 12's -Wmaybe-uninitialized under ASan.)
  auto is_uuid4 = [](const std::string& u) {
    if (u.size() != 36) return false;
    for (size_t i = 0; i < u.size(); ++i) {
      const char c = u[i];
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        if (c != '-') return false;
      } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return u[14] == '4' && (u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
  };
  EXPECT_TRUE(is_uuid4(*a)) << *a;
  EXPECT_NE(*a, *b);
}

TEST(StoreIdentity, MarkerRoundTripLegacyAndMissing) {
  TempDir d;
  auto none = ReadAreaMarker(DefaultFs(), d.path(), StorageArea::kSpool);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->exists);
  ASSERT_TRUE(WriteAreaMarker(DefaultFs(), d.path(), StorageArea::kSpool, "id-1").ok());
  EXPECT_EQ(ReadAll(d / ".trove-spool"), "trove storage area\nstore-id = \"id-1\"\narea = \"spool\"\n");
  auto m = ReadAreaMarker(DefaultFs(), d.path(), StorageArea::kSpool);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->exists);
  EXPECT_EQ(m->store_id, "id-1");
  // The marker written by a trove before identities.
  std::ofstream(d / ".trove-primary") << "trove primary segment path for store /old/s\n";
  auto l = ReadAreaMarker(DefaultFs(), d.path(), StorageArea::kPrimary);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->exists);
  EXPECT_EQ(l->store_id, "");
  EXPECT_EQ(l->legacy_store_dir, "/old/s");
}

class StoreIdentityTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenOk(const std::string& dir) {
    auto s = Store::Open(dir);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::string MarkerId(const std::string& area_dir, StorageArea a) {
    auto m = ReadAreaMarker(DefaultFs(), area_dir, a);
    return m.ok() ? m->store_id : "?";
  }
  TempDir root_;
};

TEST_F(StoreIdentityTest, InitMarksBothAreasWithTheCatalogueIdentity) {
  const std::string dir = root_ / "s";
  ASSERT_TRUE(Store::Init(dir, InitOptions{}).ok());
  auto s = OpenOk(dir);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->store_id().empty());
  EXPECT_EQ(*s->catalog().GetMeta("store_id").value(), s->store_id());
  EXPECT_EQ(MarkerId(s->primary_dir(), StorageArea::kPrimary), s->store_id());
  EXPECT_EQ(MarkerId(s->spool_dir(), StorageArea::kSpool), s->store_id());
  EXPECT_TRUE(s->CheckWritable().ok());
  // A second store may not be made on the same primary.
  InitOptions o;
  o.primary = s->primary_dir();
  Status st = Store::Init(root_ / "t", o);
  EXPECT_EQ(st.code(), Status::Code::kAlreadyExists) << st.ToString();
  EXPECT_NE(st.message().find(s->primary_dir()), std::string::npos) << st.message();
}

TEST_F(StoreIdentityTest, ACopyIsReadOnlyUntilItHasItsOwnIdentity) {
  const std::string dir = root_ / "s", copy = root_ / "copy";
  ASSERT_TRUE(Store::Init(dir, InitOptions{}).ok());
  std::string id;
  { id = OpenOk(dir)->store_id(); }
  fs::copy(dir, copy, fs::copy_options::recursive);
  {
    auto c = OpenOk(copy);
    ASSERT_TRUE(c);
    Status w = c->CheckWritable();
    EXPECT_EQ(w.code(), Status::Code::kFailedPrecondition);
    EXPECT_NE(w.message().find("copy of the store at " + dir), std::string::npos) << w.message();
    EXPECT_NE(w.message().find("trove init --store " + copy + " --new-identity"), std::string::npos);
    EXPECT_FALSE(c->LockLink("default").ok());
    EXPECT_TRUE(c->catalog().ListSegments(SegmentQuery{}).ok());  // reads work
    // A read-only open records nothing.
    EXPECT_EQ(*c->catalog().GetMeta("opened_at").value(), dir);
  }
  ASSERT_TRUE(Store::NewIdentity(copy).ok());
  auto c = OpenOk(copy);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->CheckWritable().ok());
  EXPECT_NE(c->store_id(), id);
  EXPECT_EQ(MarkerId(c->primary_dir(), StorageArea::kPrimary), c->store_id());
  EXPECT_EQ(MarkerId(dir + "/segments", StorageArea::kPrimary), id);  // the original's untouched
  EXPECT_TRUE(OpenOk(dir)->CheckWritable().ok());
}

TEST_F(StoreIdentityTest, AMovedStoreRecordsItsNewPlace) {
  const std::string dir = root_ / "s", moved = root_ / "moved";
  ASSERT_TRUE(Store::Init(dir, InitOptions{}).ok());
  { OpenOk(dir); }
  fs::rename(dir, moved);
  auto s = OpenOk(moved);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->CheckWritable().ok()) << s->CheckWritable().ToString();
  EXPECT_EQ(*s->catalog().GetMeta("opened_at").value(), moved);
  EXPECT_EQ(*s->catalog().GetMeta("area_dir.primary").value(), moved + "/segments");
}

TEST_F(StoreIdentityTest, AStoreReachedThroughASymlinkIsNotACopy) {
  const std::string dir = root_ / "s", link = root_ / "link";
  ASSERT_TRUE(Store::Init(dir, InitOptions{}).ok());
  fs::create_directory_symlink(dir, link);
  auto s = OpenOk(link);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->CheckWritable().ok()) << s->CheckWritable().ToString();
}

TEST_F(StoreIdentityTest, AnAreaOfAnotherStoreIsRefusedUntilAdopted) {
  const std::string a = root_ / "a", b = root_ / "b";
  ASSERT_TRUE(Store::Init(a, InitOptions{}).ok());
  ASSERT_TRUE(Store::Init(b, InitOptions{}).ok());
  // b's spool is replaced by a directory marked by a.
  fs::remove_all(b + "/spool");
  fs::create_directories(b + "/spool");
  const std::string a_id = OpenOk(a)->store_id();
  ASSERT_TRUE(WriteAreaMarker(DefaultFs(), b + "/spool", StorageArea::kSpool, a_id).ok());
  {
    auto s = OpenOk(b);
    ASSERT_TRUE(s);
    Status w = s->CheckWritable();
    EXPECT_EQ(w.code(), Status::Code::kFailedPrecondition);
    EXPECT_NE(w.message().find("spool area " + b + "/spool"), std::string::npos) << w.message();
    EXPECT_NE(w.message().find(a_id), std::string::npos);
    EXPECT_NE(w.message().find("--adopt-areas"), std::string::npos);
  }
  ASSERT_TRUE(Store::AdoptAreas(b).ok());
  auto s = OpenOk(b);
  EXPECT_TRUE(s->CheckWritable().ok());
  EXPECT_EQ(MarkerId(b + "/spool", StorageArea::kSpool), s->store_id());
}

TEST_F(StoreIdentityTest, CheckOwnedPathRefusesPathsOutsideTheAreas) {
  const std::string dir = root_ / "s";
  ASSERT_TRUE(Store::Init(dir, InitOptions{}).ok());
  auto s = OpenOk(dir);
  EXPECT_TRUE(s->CheckOwnedPath(s->primary_dir() + "/l/x.pcapng").ok());
  EXPECT_TRUE(s->CheckOwnedPath(s->spool_dir() + "/x.pcapng").ok());
  EXPECT_FALSE(s->CheckOwnedPath(dir + "/catalog.db").ok());
  EXPECT_FALSE(s->CheckOwnedPath(root_ / "elsewhere/x.pcapng").ok());
}

}  // namespace
}  // namespace trove
