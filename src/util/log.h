#pragma once
// Operator-facing messages on stderr, each prefixed "trove: ". Alarms are
// for conditions that lose data (both storage areas full) and are always
// printed. Thread-safe (one fprintf per message).

#include <string>

namespace trove {

void LogInfo(const std::string& msg);     // suppressed by SetQuiet(true)
void LogWarning(const std::string& msg);  // "trove: warning: ..."
void LogAlarm(const std::string& msg);    // "trove: ALARM: ..."
void SetLogQuiet(bool quiet);

}  // namespace trove
