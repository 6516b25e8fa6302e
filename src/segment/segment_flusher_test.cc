// SegmentFlusher: jobs run and are acknowledged in submission order, the
// hash it keeps equals sha256 of the file it wrote, and the first failure
// stops every later job (nothing appended past a failed write) until
// ClearError(). The writer's in-flight bound is in segment_writer_test.cc
// (FlushBuffersBoundTheBytesNotYetDurable).

#include "segment/segment_flusher.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "segment/segment_test_util.h"
#include "util/sha256.h"

namespace trove {
namespace {

using segtest::ReadAll;
using segtest::TempDir;
using Bytes = std::vector<uint8_t>;

// An in-memory file that fails Append on call `fail_append` (0-based) and
// Sync on call `fail_sync`.
class MemFile final : public WritableFile {
 public:
  int fail_append = -1, fail_sync = -1;
  int appends = 0, syncs = 0, writebacks = 0;
  Bytes data;
  Status Append(const void* p, size_t n) override {
    if (appends++ == fail_append) return Status::FromErrno(ENOSPC, "writing mem");
    const auto* b = static_cast<const uint8_t*>(p);
    data.insert(data.end(), b, b + n);
    return Status::Ok();
  }
  Status Sync() override {
    if (syncs++ == fail_sync) return Status::FromErrno(EIO, "fsync mem");
    return Status::Ok();
  }
  void StartWriteback() override { ++writebacks; }
  Status Truncate(uint64_t n) override {
    data.resize(n);
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  uint64_t Size() const override { return data.size(); }
  uint64_t DeviceId() const override { return 0; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_ = "mem";
};

Bytes Pattern(size_t n, uint32_t seed) {
  Bytes b(n);
  for (auto& x : b) {
    seed = seed * 1103515245u + 12345u;
    x = static_cast<uint8_t>(seed >> 16);
  }
  return b;
}

SegmentFlusher::Job JobOf(WritableFile* f, Sha256* sha, const Bytes& b, bool sync) {
  SegmentFlusher::Job j;
  j.file = f;
  j.sha = sha;
  j.data = b.data();
  j.len = b.size();
  j.sync = sync;
  return j;
}

TEST(SegmentFlusherTest, InOrderAndTheHashIsSha256OfTheFile) {
  TempDir dir;
  const std::string path = dir / "seg.partial";
  auto f = DefaultFs().NewWritableFile(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  std::vector<Bytes> chunks;
  // Small jobs (hashed after the write) and large ones (hashed while written).
  for (uint32_t i = 0; i < 40; ++i)
    chunks.push_back(Pattern(i % 2 ? 1000 + 37 * i : 70000 + 37 * i, i));
  Sha256 sha;
  Bytes all;
  {
    SegmentFlusher fl;
    for (size_t i = 0; i < chunks.size(); ++i) {
      fl.Submit(JobOf(f->get(), &sha, chunks[i], i % 4 == 3));
      all.insert(all.end(), chunks[i].begin(), chunks[i].end());
    }
    EXPECT_EQ(fl.pending(), chunks.size());
    for (size_t i = 0; i < chunks.size(); ++i) {
      SegmentFlusher::Ack a = fl.Wait();
      EXPECT_TRUE(a.status.ok()) << a.status.ToString();
      EXPECT_TRUE(a.ran);
      EXPECT_EQ(a.len, chunks[i].size()) << "acks come in submission order";
      EXPECT_EQ(a.sync, i % 4 == 3);
    }
    EXPECT_EQ(fl.pending(), 0u);
    SegmentFlusher::Ack none;
    EXPECT_FALSE(fl.Poll(&none));
  }
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(ReadAll(path), all);
  auto want = Sha256File(path);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(sha.HexDigest(), *want);
}

TEST(SegmentFlusherTest, PollReturnsAcksOnlyOnceTheJobIsDone) {
  MemFile f;
  const Bytes b = Pattern(64, 1);
  SegmentFlusher fl;
  SegmentFlusher::Ack a;
  EXPECT_FALSE(fl.Poll(&a)) << "nothing submitted";
  fl.Submit(JobOf(&f, nullptr, b, true));
  while (!fl.Poll(&a)) std::this_thread::yield();
  EXPECT_TRUE(a.status.ok());
  EXPECT_EQ(f.data, b);
  EXPECT_EQ(f.syncs, 1);
  EXPECT_EQ(f.writebacks, 1);
}

// Small jobs are hashed after their write; large ones while they are
// written, on the hash thread, and rolled back when the write fails.
TEST(SegmentFlusherTest, AFailedWriteSkipsEveryLaterJobUntilClearError) {
  for (const uint32_t size : {100u, 200000u}) {
    SCOPED_TRACE("job size " + std::to_string(size));
    MemFile f;
    f.fail_append = 2;
    std::vector<Bytes> chunks;
    for (uint32_t i = 0; i < 6; ++i) chunks.push_back(Pattern(size, i));
    Sha256 sha;
    SegmentFlusher fl;
    for (const auto& c : chunks) fl.Submit(JobOf(&f, &sha, c, false));
    for (size_t i = 0; i < chunks.size(); ++i) {
      SegmentFlusher::Ack a = fl.Wait();
      if (i < 2) {
        EXPECT_TRUE(a.status.ok()) << i;
      } else {
        EXPECT_FALSE(a.status.ok()) << i;
        EXPECT_EQ(a.status.code(), Status::Code::kNoSpace) << a.status.ToString();
        EXPECT_EQ(a.ran, i == 2) << "only the failing job ran: " << i;
      }
    }
    EXPECT_EQ(f.appends, 3) << "nothing appended past the failed write";
    Bytes want;
    for (size_t i = 0; i < 2; ++i) want.insert(want.end(), chunks[i].begin(), chunks[i].end());
    EXPECT_EQ(f.data, want);
    // The hash holds what was written, not the failed job's bytes.
    Sha256 ref;
    ref.Update(want.data(), want.size());
    EXPECT_EQ(sha.HexDigest(), ref.HexDigest());

    fl.ClearError();
    fl.Submit(JobOf(&f, nullptr, chunks[5], true));
    SegmentFlusher::Ack a = fl.Wait();
    EXPECT_TRUE(a.status.ok()) << a.status.ToString();
    EXPECT_EQ(f.appends, 4);
  }
}

TEST(SegmentFlusherTest, AFailedSyncIsReportedOnItsJob) {
  MemFile f;
  f.fail_sync = 0;
  const Bytes b = Pattern(10, 3);
  SegmentFlusher fl;
  fl.Submit(JobOf(&f, nullptr, b, false));
  fl.Submit(JobOf(&f, nullptr, b, true));
  fl.Submit(JobOf(&f, nullptr, b, true));
  EXPECT_TRUE(fl.Wait().status.ok());
  SegmentFlusher::Ack s = fl.Wait();
  EXPECT_TRUE(s.sync);
  EXPECT_TRUE(s.ran);
  EXPECT_EQ(s.status.code(), Status::Code::kIoError) << s.status.ToString();
  SegmentFlusher::Ack skipped = fl.Wait();
  EXPECT_FALSE(skipped.ran);
  EXPECT_FALSE(skipped.status.ok());
  EXPECT_EQ(f.syncs, 1);
}

TEST(SegmentFlusherTest, DestroyingWithQueuedJobsJoins) {
  MemFile f;
  const Bytes b = Pattern(1 << 16, 4);
  {
    SegmentFlusher fl;
    for (int i = 0; i < 50; ++i) fl.Submit(JobOf(&f, nullptr, b, true));
  }  // joins without running the queued rest
  EXPECT_LE(f.appends, 50);
  EXPECT_EQ(f.data.size() % b.size(), 0u);
}

}  // namespace
}  // namespace trove
