#include "util/time_util.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <utility>

namespace trove {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Fixed-width date/time fields: digits only (from_chars would take "-1").
bool ParseDigits(std::string_view s, int64_t* out) {
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return ParseInt(s, out);
}

// secs * 1e9 + frac (0 <= frac < 1e9) without overflow; false if the
// result does not fit int64 nanoseconds.
bool CombineNs(int64_t secs, int64_t frac, int64_t* out) {
  if (secs < 0 && frac > 0) {  // keep the intermediate product in range
    ++secs;
    frac -= kNsPerSec;
  }
  int64_t ns;
  return !__builtin_mul_overflow(secs, kNsPerSec, &ns) && !__builtin_add_overflow(ns, frac, out);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int64_t DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Parses "[.fraction]" into ns; advances pos.
bool ParseFraction(std::string_view s, size_t* pos, int64_t* ns) {
  *ns = 0;
  if (*pos >= s.size() || s[*pos] != '.') return true;
  ++*pos;
  int digits = 0;
  int64_t v = 0;
  while (*pos < s.size() && std::isdigit(static_cast<unsigned char>(s[*pos]))) {
    if (digits < 9) {
      v = v * 10 + (s[*pos] - '0');
      ++digits;
    }
    ++*pos;
  }
  if (digits == 0) return false;
  while (digits++ < 9) v *= 10;
  *ns = v;
  return true;
}

Result<int64_t> ParseRfc3339(std::string_view s) {
  auto bad = [&]() {
    return Status::InvalidArgument("cannot parse time '" + std::string(s) +
                                   "': expected RFC 3339 (2026-11-22T07:00:00Z), epoch "
                                   "seconds, or a relative form like '15m ago'");
  };
  if (s.size() < 19) return bad();
  int64_t Y, Mo, D, h, mi, sec;
  if (!ParseDigits(s.substr(0, 4), &Y) || s[4] != '-' || !ParseDigits(s.substr(5, 2), &Mo) ||
      s[7] != '-' || !ParseDigits(s.substr(8, 2), &D) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !ParseDigits(s.substr(11, 2), &h) ||
      s[13] != ':' || !ParseDigits(s.substr(14, 2), &mi) || s[16] != ':' ||
      !ParseDigits(s.substr(17, 2), &sec))
    return bad();
  if (Mo < 1 || Mo > 12 || D < 1 || D > DaysInMonth(Y, Mo) || h > 23 || mi > 59 || sec > 60)
    return bad();
  size_t pos = 19;
  int64_t frac = 0;
  if (!ParseFraction(s, &pos, &frac)) return bad();
  int64_t offset_s = 0;
  if (pos < s.size()) {
    char c = s[pos];
    if (c == 'Z' || c == 'z') {
      ++pos;
    } else if (c == '+' || c == '-') {
      int64_t oh, om;
      if (s.size() < pos + 6 || !ParseDigits(s.substr(pos + 1, 2), &oh) || s[pos + 3] != ':' ||
          !ParseDigits(s.substr(pos + 4, 2), &om) || oh > 23 || om > 59)
        return bad();
      offset_s = (oh * 3600 + om * 60) * (c == '+' ? 1 : -1);
      pos += 6;
    } else {
      return bad();
    }
  }
  if (pos != s.size()) return bad();
  int64_t days = DaysFromCivil(Y, static_cast<unsigned>(Mo), static_cast<unsigned>(D));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  int64_t ns;
  if (!CombineNs(secs, frac, &ns)) return bad();
  return ns;
}

}  // namespace

int64_t WallClockNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

Result<int64_t> ParseDuration(std::string_view s) {
  auto bad = Status::InvalidArgument("cannot parse duration '" + std::string(s) +
                                     "': expected e.g. 90, 90s, 500ms, 15m, 2h, 1d, 1w");
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return bad;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + i, v);
  if (r.ec != std::errc() || r.ptr != s.data() + i || v < 0) return bad;
  std::string_view unit = s.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  double mult;
  if (unit.empty() || unit == "s" || unit == "sec" || unit == "secs") mult = 1;
  else if (unit == "ms") mult = 1e-3;
  else if (unit == "us") mult = 1e-6;
  else if (unit == "ns") mult = 1e-9;
  else if (unit == "m" || unit == "min" || unit == "mins") mult = 60;
  else if (unit == "h" || unit == "hour" || unit == "hours") mult = 3600;
  else if (unit == "d" || unit == "day" || unit == "days") mult = 86400;
  else if (unit == "w" || unit == "week" || unit == "weeks") mult = 7 * 86400;
  else return bad;
  const double ns = std::round(v * mult * 1e9);
  if (!(ns < 9223372036854775808.0)) return bad;  // 2^63: does not fit int64 ns
  return static_cast<int64_t>(ns);
}

Result<int64_t> ParseTime(std::string_view s, int64_t now_ns) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s == "now") return now_ns;
  constexpr std::string_view kAgo = " ago";
  if (s.size() > kAgo.size() && s.substr(s.size() - kAgo.size()) == kAgo) {
    auto d = ParseDuration(s.substr(0, s.size() - kAgo.size()));
    if (!d.ok()) return d.status();
    int64_t t;
    if (__builtin_sub_overflow(now_ns, *d, &t))
      return Status::InvalidArgument("time '" + std::string(s) + "' is out of range");
    return t;
  }
  // Epoch seconds, optionally fractional.
  bool numeric = !s.empty();
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') numeric = false;
  if (numeric) {
    size_t dot = s.find('.');
    int64_t secs;
    if (!ParseInt(s.substr(0, dot), &secs))
      return Status::InvalidArgument("cannot parse time '" + std::string(s) + "'");
    int64_t frac = 0;
    if (dot != std::string_view::npos) {
      size_t pos = dot;
      if (!ParseFraction(s, &pos, &frac) || pos != s.size())
        return Status::InvalidArgument("cannot parse time '" + std::string(s) + "'");
    }
    int64_t ns;
    if (!CombineNs(secs, frac, &ns))
      return Status::InvalidArgument("cannot parse time '" + std::string(s) +
                                     "': out of range (int64 nanoseconds end in 2262)");
    return ns;
  }
  return ParseRfc3339(s);
}

std::string FormatRfc3339(int64_t ns) {
  int64_t secs = ns / kNsPerSec;
  int64_t frac = ns % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  tm tmv;
  gmtime_r(&t, &tmv);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tmv.tm_year + 1900,
                tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

std::string FormatCompact(int64_t ns) {
  std::string r = FormatRfc3339(ns);  // 2026-11-22T07:15:04.123456789Z
  std::string out;
  for (char c : r)
    if (c != '-' && c != ':') out.push_back(c);
  return out;
}

std::string FormatSi(double v, const char* unit) {
  const char* prefix[] = {"", "k", "M", "G", "T", "P"};
  int u = 0;
  while (v >= 1000 && u < 5) {
    v /= 1000;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s%s" : "%.2f %s%s", v, prefix[u], unit);
  return buf;
}

std::string FormatBytes(double b) { return FormatSi(b, "B"); }

std::string FormatDuration(int64_t ns) {
  if (ns < 0) ns = 0;
  const int64_t s = ns / 1'000'000'000;
  char buf[48];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ns) / 1e9);
  else if (s < 86400)
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lldd %02lld:%02lld:%02lld", static_cast<long long>(s / 86400),
                  static_cast<long long>(s / 3600 % 24), static_cast<long long>(s / 60 % 60),
                  static_cast<long long>(s % 60));
  return buf;
}

Result<uint64_t> ParseSize(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + i, v);
  if (i == 0 || r.ec != std::errc() || r.ptr != s.data() + i || v < 0)
    return Status::InvalidArgument("cannot parse size '" + std::string(s) +
                                   "': expected e.g. 1000000, 512M, 1G, 64KiB");
  std::string u(s.substr(i));
  for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double m;
  if (u.empty() || u == "B") m = 1;
  else if (u == "K" || u == "KB") m = 1e3;
  else if (u == "M" || u == "MB") m = 1e6;
  else if (u == "G" || u == "GB") m = 1e9;
  else if (u == "T" || u == "TB") m = 1e12;
  else if (u == "KI" || u == "KIB") m = 1024.0;
  else if (u == "MI" || u == "MIB") m = 1024.0 * 1024;
  else if (u == "GI" || u == "GIB") m = 1024.0 * 1024 * 1024;
  else if (u == "TI" || u == "TIB") m = 1024.0 * 1024 * 1024 * 1024;
  else
    return Status::InvalidArgument("cannot parse size '" + std::string(s) + "': unknown unit");
  const double bytes = std::round(v * m);
  if (!(bytes < 18446744073709551616.0))  // 2^64
    return Status::InvalidArgument("cannot parse size '" + std::string(s) + "': too large");
  return static_cast<uint64_t>(bytes);
}

std::string FormatDurationExact(int64_t ns) {
  for (auto [div, unit] :
       {std::pair<int64_t, const char*>{1'000'000'000, "s"}, {1'000'000, "ms"}, {1'000, "us"}})
    if (ns % div == 0) return std::to_string(ns / div) + unit;
  return std::to_string(ns) + "ns";
}

}  // namespace trove
