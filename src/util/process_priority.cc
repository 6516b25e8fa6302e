#include "util/process_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace trove {
namespace {

constexpr int kWhoProcess = 1;  // IOPRIO_WHO_PROCESS
constexpr int kClassShift = 13;

// Rank: larger = lower priority.
int Rank(const IoPriority& p) {
  switch (p.klass) {
    case IoPriority::Class::kRealtime:
      return p.level;
    case IoPriority::Class::kNone:  // the kernel's default: best-effort 4
    case IoPriority::Class::kBestEffort:
      return 10 + (p.klass == IoPriority::Class::kNone ? 4 : p.level);
    case IoPriority::Class::kIdle:
      return 100;
  }
  return 0;
}

}  // namespace

Result<IoPriority> IoPriority::Parse(std::string_view t) {
  IoPriority p;
  if (t == "none" || t.empty()) return p;
  if (t == "idle") {
    p.klass = Class::kIdle;
    return p;
  }
  constexpr std::string_view kBe = "best-effort";
  if (t.substr(0, kBe.size()) == kBe) {
    p.klass = Class::kBestEffort;
    p.level = 7;
    std::string_view rest = t.substr(kBe.size());
    if (rest.empty()) return p;
    if (rest[0] == ':') {
      rest.remove_prefix(1);
      int v = -1;
      auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
      if (ec == std::errc() && end == rest.data() + rest.size() && v >= 0 && v <= 7) {
        p.level = v;
        return p;
      }
    }
  }
  return Status::InvalidArgument("io priority '" + std::string(t) +
                                 "': expected idle, best-effort, best-effort:N (N 0..7) or none");
}

std::string IoPriority::ToString() const {
  switch (klass) {
    case Class::kNone:
      return "none";
    case Class::kIdle:
      return "idle";
    case Class::kBestEffort:
      return "best-effort:" + std::to_string(level);
    case Class::kRealtime:
      return "realtime:" + std::to_string(level);
  }
  return "?";
}

Result<IoPriority> CurrentIoPriority() {
  const long v = syscall(SYS_ioprio_get, kWhoProcess, 0);
  if (v < 0) return Status::FromErrno(errno, "ioprio_get");
  IoPriority p;
  const int cls = static_cast<int>(v >> kClassShift);
  if (cls < 0 || cls > 3)
    return Status::Internal("ioprio_get: unknown class " + std::to_string(cls));
  p.klass = static_cast<IoPriority::Class>(cls);
  p.level = static_cast<int>(v & ((1 << kClassShift) - 1));
  return p;
}

Status LowerIoPriority(const IoPriority& p) {
  if (p.klass == IoPriority::Class::kNone) return Status::Ok();
  auto cur = CurrentIoPriority();
  if (cur.ok() && Rank(*cur) >= Rank(p)) return Status::Ok();
  const int value = static_cast<int>(p.klass) << kClassShift | p.level;
  if (syscall(SYS_ioprio_set, kWhoProcess, 0, value) != 0)
    return Status::FromErrno(errno, "ioprio_set " + p.ToString());
  return Status::Ok();
}

Status LowerCpuPriority(int nice) {
  errno = 0;
  const int cur = getpriority(PRIO_PROCESS, 0);
  if (errno != 0) return Status::FromErrno(errno, "getpriority");
  if (cur >= nice) return Status::Ok();
  if (setpriority(PRIO_PROCESS, 0, nice) != 0)
    return Status::FromErrno(errno, "setpriority " + std::to_string(nice));
  return Status::Ok();
}

}  // namespace trove
