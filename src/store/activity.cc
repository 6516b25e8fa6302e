#include "store/activity.h"

namespace trove {

std::optional<uint64_t> ActivityStatus::Counter(const std::string& name) const {
  for (const auto& [n, v] : counters)
    if (n == name) return v;
  return std::nullopt;
}

ActivityStatus::State ActivityStatus::Lifecycle(bool joined, bool stopping) {
  return joined ? State::kStopped : stopping ? State::kStopping : State::kRunning;
}

const char* ToString(ActivityStatus::State s) {
  switch (s) {
    case ActivityStatus::State::kRunning:
      return "running";
    case ActivityStatus::State::kStopping:
      return "stopping";
    case ActivityStatus::State::kStopped:
      return "stopped";
    case ActivityStatus::State::kFailed:
      return "failed";
  }
  return "?";
}

}  // namespace trove
