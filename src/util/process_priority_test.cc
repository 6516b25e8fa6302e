#include "util/process_priority.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

namespace trove {
namespace {

TEST(IoPriorityTest, ParsesTheDocumentedForms) {
  EXPECT_EQ(IoPriority::Parse("idle")->klass, IoPriority::Class::kIdle);
  EXPECT_EQ(IoPriority::Parse("none")->klass, IoPriority::Class::kNone);
  auto be = IoPriority::Parse("best-effort");
  ASSERT_TRUE(be.ok());
  EXPECT_EQ(be->klass, IoPriority::Class::kBestEffort);
  EXPECT_EQ(be->level, 7);
  EXPECT_EQ(IoPriority::Parse("best-effort:3")->level, 3);
  EXPECT_EQ(IoPriority::Parse("best-effort:3")->ToString(), "best-effort:3");
  for (const char* bad : {"best-effort:8", "best-effort:", "best-effort:-1", "realtime", "idle2",
                          "best-effort3", "best-effort:3x"}) {
    auto r = IoPriority::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
  }
}

// Each case runs in its own thread: ioprio and nice are per thread on Linux,
// so the test process keeps its priority. The oracle is the raw syscall.
template <class F>
void InThread(F f) {
  std::thread t(f);
  t.join();
}

long RawIoprio() { return syscall(SYS_ioprio_get, 1, 0); }

IoPriority Parsed(const char* text) {
  auto r = IoPriority::Parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : IoPriority{};
}

TEST(IoPriorityTest, LowerToIdleIsWhatTheKernelReports) {
  InThread([] {
    ASSERT_TRUE(LowerIoPriority(Parsed("idle")).ok());
    EXPECT_EQ(RawIoprio() >> 13, 3);  // IOPRIO_CLASS_IDLE
  });
}

TEST(IoPriorityTest, BestEffortLevelIsSetAndNeverRaised) {
  InThread([] {
    ASSERT_TRUE(LowerIoPriority(Parsed("best-effort:6")).ok());
    EXPECT_EQ(RawIoprio(), 2 << 13 | 6);
    // A higher priority (lower level) is refused silently: stays at 6.
    ASSERT_TRUE(LowerIoPriority(Parsed("best-effort:2")).ok());
    EXPECT_EQ(RawIoprio(), 2 << 13 | 6);
    ASSERT_TRUE(LowerIoPriority(Parsed("idle")).ok());
    EXPECT_EQ(RawIoprio() >> 13, 3);
    // Idle is the lowest: best-effort does not raise it again.
    ASSERT_TRUE(LowerIoPriority(Parsed("best-effort:7")).ok());
    EXPECT_EQ(RawIoprio() >> 13, 3);
    auto cur = CurrentIoPriority();
    ASSERT_TRUE(cur.ok());
    EXPECT_EQ(cur->klass, IoPriority::Class::kIdle);
  });
}

TEST(IoPriorityTest, NoneChangesNothing) {
  InThread([] {
    const long before = RawIoprio();
    ASSERT_TRUE(LowerIoPriority(IoPriority{}).ok());
    EXPECT_EQ(RawIoprio(), before);
  });
}

TEST(CpuPriorityTest, NiceIsOnlyLowered) {
  InThread([] {
    // Linux: PRIO_PROCESS with who=0 acts on the calling thread.
    ASSERT_TRUE(LowerCpuPriority(12).ok());
    errno = 0;
    EXPECT_EQ(getpriority(PRIO_PROCESS, 0), 12);
    ASSERT_TRUE(LowerCpuPriority(5).ok());  // not raised back
    EXPECT_EQ(getpriority(PRIO_PROCESS, 0), 12);
  });
}

}  // namespace
}  // namespace trove
