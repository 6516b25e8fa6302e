#pragma once
// Time parsing and formatting. All trove timestamps are int64 nanoseconds
// since the Unix epoch (UTC). Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace trove {

int64_t WallClockNs();       // CLOCK_REALTIME
int64_t MonotonicNs();       // CLOCK_MONOTONIC

// Accepts RFC 3339 ("2026-11-22T07:00:00Z", "2026-11-22T07:00:00.123+01:00",
// "2026-11-22 07:00:00" taken as UTC), epoch seconds ("1795330800",
// "1795330800.25"), relative forms ("15m ago", "2h ago", "3d ago", "90s ago",
// "1w ago") and "now". `now_ns` anchors the relative forms.
Result<int64_t> ParseTime(std::string_view text, int64_t now_ns);

// Durations: "90", "90s", "15m", "2h", "1d", "500ms" -> ns.
Result<int64_t> ParseDuration(std::string_view text);

// "2026-11-22T07:15:04.123456789Z"
std::string FormatRfc3339(int64_t ns);
// "20261122T071504.123456789Z" (file names: sortable, no colons)
std::string FormatCompact(int64_t ns);
// Human sizes: "1.50 GB" (decimal units).
std::string FormatBytes(double bytes);
// Any quantity with a decimal prefix: FormatSi(45200, "pps") = "45.20 kpps".
std::string FormatSi(double v, const char* unit);
// Spans: "12.5s", "01:02:03", "3d 04:05:06".
std::string FormatDuration(int64_t ns);
// The largest unit that represents ns exactly ("30s", "1500ms", "7ns"), so
// ParseDuration gives it back.
std::string FormatDurationExact(int64_t ns);
// Parses "512M", "1G", "1000000", "64KiB", "1Mi" -> bytes (K/M/G/T[B] decimal,
// Ki/Mi/Gi/Ti[B] binary).
Result<uint64_t> ParseSize(std::string_view text);

}  // namespace trove
