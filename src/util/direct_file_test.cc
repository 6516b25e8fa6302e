// OpenDirectWritableFile: random appends (1 byte to 3 MiB, across block and
// stage boundaries), Syncs and Truncates leave exactly the appended bytes,
// checked by reading the file back through an independent descriptor after
// every Sync (the file is then exactly the prefix appended so far: size and
// bytes) and at the end; the data bypassed the page cache (a large aligned
// range is not cached after the writes, where the file system honours
// O_DIRECT).
#include "util/direct_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <random>

#include "util/test_files.h"

namespace trove {
namespace {

std::vector<uint8_t> Contents(const std::string& path) { return testing_util::ReadAll(path); }

bool HonoursDirectIo(const std::string& dir) {
  struct statfs fs;
  return ::statfs(dir.c_str(), &fs) == 0 && fs.f_type != TMPFS_MAGIC;
}

TEST(DirectFile, RandomAppendsSyncsAndTruncatesLeaveExactlyTheAppendedBytes) {
  testing_util::TempDir dir;
  const std::string path = dir / "seg.partial";
  auto f = OpenDirectWritableFile(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(OpenDirectWritableFile(path).ok()) << "creating an existing file fails";
  std::mt19937 rng(11);
  std::vector<uint8_t> want;
  for (int i = 0; i < 70; ++i) {
    const size_t sizes[] = {1, 7, 4095, 4096, 4097, 1000, 65536, (1u << 20) - 3, 2u << 20};
    const size_t n = sizes[rng() % std::size(sizes)] + rng() % 3;
    std::vector<uint8_t> chunk(n);
    for (auto& c : chunk) c = static_cast<uint8_t>(rng());
    ASSERT_TRUE((*f)->Append(chunk.data(), chunk.size()).ok());
    want.insert(want.end(), chunk.begin(), chunk.end());
    ASSERT_EQ((*f)->Size(), want.size());
    if (rng() % 5 == 0) {
      ASSERT_TRUE((*f)->Sync().ok());
      ASSERT_EQ(Contents(path), want) << "after a Sync, the file is exactly what was appended";
    }
    if (rng() % 11 == 0) {
      const size_t cut = want.size() - rng() % std::min<size_t>(want.size(), 10000);
      const Status ts = (*f)->Truncate(cut);
      ASSERT_TRUE(ts.ok()) << ts.ToString();
      want.resize(cut);
      ASSERT_EQ((*f)->Size(), cut);
      ASSERT_EQ(Contents(path), want) << "after a Truncate to " << cut;
    }
  }
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(Contents(path), want);
  ASSERT_GT(want.size(), 8u << 20);
}

// The bytes go to the device, not through the page cache: after 32 MiB of
// appends (never read back), a 4 MiB range in the middle is not cached.
TEST(DirectFile, TheBytesBypassThePageCache) {
  testing_util::TempDir dir;
  if (!HonoursDirectIo(dir.path())) GTEST_SKIP() << "tmpfs: buffered fallback";
  const std::string path = dir / "seg.partial";
  auto f = OpenDirectWritableFile(path);
  ASSERT_TRUE(f.ok());
  std::vector<uint8_t> chunk((1u << 20) + 3, 0x5a);
  for (int i = 0; i < 32; ++i) ASSERT_TRUE((*f)->Append(chunk.data(), chunk.size()).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> probe(4096);
  int cached = 0;
  for (uint64_t off = 14u << 20; off < 18u << 20; off += 65536) {
    iovec v{probe.data(), probe.size()};
    if (::preadv2(fd, &v, 1, static_cast<off_t>(off), RWF_NOWAIT) > 0) ++cached;
  }
  ::close(fd);
  EXPECT_LE(cached, 2) << "pages of the middle of the file are cached: O_DIRECT was not used";
}

TEST(DirectFile, AnEmptyFileAndASmallOneAreExact) {
  testing_util::TempDir dir;
  {
    auto f = OpenDirectWritableFile(dir / "empty");
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Close().ok());
    EXPECT_TRUE(Contents(dir / "empty").empty());
  }
  auto f = OpenDirectWritableFile(dir / "small");
  ASSERT_TRUE(f.ok());
  const std::string text = "trove";
  ASSERT_TRUE((*f)->Append(text.data(), text.size()).ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(Contents(dir / "small"), std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace
}  // namespace trove
