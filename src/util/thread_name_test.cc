// SetThreadName: the kernel's view of the thread (/proc/self/task/TID/comm,
// read independently of pthread_getname_np) carries the name, cut to the
// 15 characters Linux keeps.
#include "util/thread_name.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

namespace trove {
namespace {

std::string KernelComm() {
  std::ifstream in("/proc/self/task/" + std::to_string(gettid()) + "/comm");
  std::string s;
  std::getline(in, s);
  return s;
}

TEST(ThreadName, TheKernelSeesTheNameCutTo15Characters) {
  std::string short_name, long_name;
  std::thread t([&] {
    SetThreadName("trove-flush");
    short_name = KernelComm();
    SetThreadName("trove-a-very-long-thread-name");
    long_name = KernelComm();
  });
  t.join();
  EXPECT_EQ(short_name, "trove-flush");
  EXPECT_EQ(long_name, "trove-a-very-lo");
}

}  // namespace
}  // namespace trove
