#include "store/activity.h"

namespace trove {

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
