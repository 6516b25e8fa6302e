// OpenCatalog: URL schemes and path resolution.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "catalog/catalog.h"

namespace trove {
namespace {

namespace fs = std::filesystem;

class OpenCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "trove-open-catalog-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_F(OpenCatalogTest, RelativePathIsUnderTheStore) {
  auto c = OpenCatalog("sqlite:catalog.db", dir_, true);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(fs::exists(dir_ + "/catalog.db"));
  EXPECT_EQ((*c)->SchemaVersion(), 6);
  SegmentRecord r;
  // Moved from temporaries: assigning these literals (string::assign ->
  // _M_replace) draws a false -Wrestrict from GCC 12 at -O3 (GCC bug 105651).
  r.name = std::string("a");
  r.link = std::string("l");
  r.path = std::string("/x");
  ASSERT_TRUE((*c)->InsertSegment(&r).ok());
  c.value().reset();

  fs::create_directory(dir_ + "/sub");
  auto nested = OpenCatalog("sqlite:sub/../catalog.db", dir_, false);
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  EXPECT_TRUE((*nested)->GetSegment("a").ok());
}

TEST_F(OpenCatalogTest, AbsolutePathIgnoresTheStore) {
  const std::string abs = dir_ + "/elsewhere.db";
  auto c = OpenCatalog("sqlite:" + abs, "/nonexistent-store", true);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(fs::exists(abs));
}

TEST_F(OpenCatalogTest, MissingWithoutCreate) {
  auto c = OpenCatalog("sqlite:catalog.db", dir_, false);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kNotFound);
  EXPECT_NE(c.status().message().find(dir_ + "/catalog.db"), std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("trove init"), std::string::npos);
}

TEST_F(OpenCatalogTest, PostgresqlIsNotBuiltYet) {
  for (const char* url : {"postgresql://trove:s3cret@db.example/trove", "postgres://h/db"}) {
    auto c = OpenCatalog(url, dir_, true);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), Status::Code::kUnavailable);
    EXPECT_NE(c.status().message().find("PostgreSQL backend not built yet"), std::string::npos)
        << c.status().message();
    EXPECT_EQ(c.status().message().find("s3cret"), std::string::npos)
        << "password leaked: " << c.status().message();
  }
}

TEST_F(OpenCatalogTest, UnknownSchemeIsNamed) {
  auto c = OpenCatalog("mysql://h/db", dir_, true);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("'mysql'"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("sqlite:PATH"), std::string::npos);
}

TEST_F(OpenCatalogTest, MalformedUrls) {
  for (const char* url : {"", "catalog.db", ":catalog.db", "sqlite:"}) {
    auto c = OpenCatalog(url, dir_, true);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument) << url;
  }
  EXPECT_TRUE(fs::is_empty(dir_));  // nothing created by a bad URL
}

}  // namespace
}  // namespace trove
