// Tests for util/time_util.h. Expected values are hand-computed (checked
// against `date -u -d ... +%s` when written) or come from date(1) at run
// time through popen; round trips and orderings are checked as properties.

#include "util/time_util.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace trove {
namespace {

constexpr int64_t kS = 1'000'000'000;
// 2026-11-22T07:00:00Z (date -u -d 2026-11-22T07:00:00Z +%s).
constexpr int64_t k20261122 = 1795330800;
// A fixed "now" for the relative forms.
constexpr int64_t kNow = 1'700'000'000'123'456'789;

int64_t MustParse(std::string_view text, int64_t now = kNow) {
  auto r = ParseTime(text, now);
  EXPECT_TRUE(r.ok()) << "'" << text << "': " << r.status().ToString();
  return r.ok() ? *r : std::numeric_limits<int64_t>::min();
}

void ExpectBadTime(const std::string& text, const std::string& must_mention) {
  auto r = ParseTime(text, kNow);
  ASSERT_FALSE(r.ok()) << "'" << text << "' parsed as " << *r;
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << text;
  EXPECT_NE(r.status().message().find(must_mention), std::string::npos)
      << "message for '" << text << "' does not mention '" << must_mention
      << "': " << r.status().message();
}

std::string Popen(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// floor(ns / 1e9) and the non-negative remainder.
void SplitNs(int64_t ns, int64_t* secs, int64_t* frac) {
  *secs = ns / kS;
  *frac = ns % kS;
  if (*frac < 0) {
    *frac += kS;
    --*secs;
  }
}

// ------------------------------------------------------------- ParseTime

TEST(ParseTime, Rfc3339Utc) {
  EXPECT_EQ(MustParse("2026-11-22T07:00:00Z"), k20261122 * kS);
  EXPECT_EQ(MustParse("2026-11-22t07:00:00z"), k20261122 * kS);
  EXPECT_EQ(MustParse("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(MustParse("2000-02-29T12:34:56Z"), 951827696 * kS);  // leap day
  EXPECT_EQ(MustParse("2024-03-01T00:00:00Z"), 1709251200 * kS);
  EXPECT_EQ(MustParse("2038-01-19T03:14:08Z"), 2147483648LL * kS);  // past 32-bit time_t
  // No zone at all: taken as UTC.
  EXPECT_EQ(MustParse("2026-11-22T07:00:00"), k20261122 * kS);
}

TEST(ParseTime, SpaceSeparatedIsUtc) {
  EXPECT_EQ(MustParse("2026-11-22 07:00:00"), k20261122 * kS);
  EXPECT_EQ(MustParse("2026-11-22 07:00:00.5"), k20261122 * kS + 500'000'000);
  // Surrounding whitespace is ignored.
  EXPECT_EQ(MustParse("  2026-11-22 07:00:00\t\n"), k20261122 * kS);
}

TEST(ParseTime, Offsets) {
  // 07:00 at +01:00 is 06:00Z; at -05:30 it is 12:30Z.
  EXPECT_EQ(MustParse("2026-11-22T07:00:00+01:00"), (k20261122 - 3600) * kS);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00-05:30"), (k20261122 + 5 * 3600 + 30 * 60) * kS);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00+00:00"), k20261122 * kS);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00-00:00"), k20261122 * kS);
  // An offset moves across the date line: 2026-11-23T01:00+14:00 = 2026-11-22T11:00Z.
  EXPECT_EQ(MustParse("2026-11-23T01:00:00+14:00"), (k20261122 + 4 * 3600) * kS);
  // Example from the header.
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.123+01:00"), (k20261122 - 3600) * kS + 123'000'000);
}

TEST(ParseTime, Fractions) {
  const int64_t base = k20261122 * kS;
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.1Z"), base + 100'000'000);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.12Z"), base + 120'000'000);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.123Z"), base + 123'000'000);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.123456Z"), base + 123'456'000);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.123456789Z"), base + 123'456'789);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.000000001Z"), base + 1);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.999999999Z"), base + 999'999'999);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.000Z"), base);
  // Digits past the ninth are below a nanosecond: truncated, never rounded
  // up into the next second.
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.9999999999Z"), base + 999'999'999);
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.1234567891234Z"), base + 123'456'789);
  // The fraction is independent of the offset sign.
  EXPECT_EQ(MustParse("2026-11-22T07:00:00.25-01:00"), base + 3600 * kS + 250'000'000);
}

TEST(ParseTime, BeforeTheEpochIsNegative) {
  EXPECT_EQ(MustParse("1969-12-31T23:59:59Z"), -1 * kS);
  EXPECT_EQ(MustParse("1969-12-31T23:59:59.5Z"), -kS + 500'000'000);
  EXPECT_EQ(MustParse("1900-01-01T00:00:00Z"), -2208988800LL * kS);
  EXPECT_EQ(MustParse("1970-01-01T00:59:59+01:00"), -1 * kS);
}

TEST(ParseTime, EpochSeconds) {
  EXPECT_EQ(MustParse("0"), 0);
  EXPECT_EQ(MustParse("1763794800"), 1763794800LL * kS);
  EXPECT_EQ(MustParse("1763794800.25"), 1763794800LL * kS + 250'000'000);
  EXPECT_EQ(MustParse("1763794800.000000001"), 1763794800LL * kS + 1);
  EXPECT_EQ(MustParse("1.5"), 1'500'000'000);
  EXPECT_EQ(MustParse(" 42 "), 42 * kS);
  // The largest whole second that fits int64 nanoseconds.
  EXPECT_EQ(MustParse("9223372036.854775807"), std::numeric_limits<int64_t>::max());
}

TEST(ParseTime, RelativeForms) {
  EXPECT_EQ(MustParse("now"), kNow);
  EXPECT_EQ(MustParse("  now  "), kNow);
  EXPECT_EQ(MustParse("15m ago"), kNow - 15 * 60 * kS);
  EXPECT_EQ(MustParse("2h ago"), kNow - 2 * 3600 * kS);
  EXPECT_EQ(MustParse("3d ago"), kNow - 3 * 86400 * kS);
  EXPECT_EQ(MustParse("90s ago"), kNow - 90 * kS);
  EXPECT_EQ(MustParse("1w ago"), kNow - 7 * 86400 * kS);
  EXPECT_EQ(MustParse("500ms ago"), kNow - 500'000'000);
  EXPECT_EQ(MustParse("0s ago"), kNow);
  // The anchor is the caller's, not the wall clock.
  EXPECT_EQ(MustParse("1h ago", 3600 * kS), 0);
  EXPECT_EQ(MustParse("now", -5), -5);
}

TEST(ParseTime, GarbageIsInvalidArgumentNamingTheInput) {
  for (const char* bad : {
           "yesterday",
           "2026-11-22",                // date only
           "2026-11-22T07:00",          // no seconds
           "2026-13-01T00:00:00Z",      // month 13
           "2026-00-10T00:00:00Z",      // month 0
           "2026-11-32T00:00:00Z",      // day 32
           "2026-11-00T00:00:00Z",      // day 0
           "2026-11-22T24:00:00Z",      // hour 24
           "2026-11-22T07:60:00Z",      // minute 60
           "2026-11-22T07:00:61Z",      // second 61
           "2026-11-22T07:00:00+0100",  // offset without colon
           "2026-11-22T07:00:00+01",    // short offset
           "2026-11-22T07:00:00Q",      // unknown zone letter
           "2026-11-22T07:00:00Zjunk",  // trailing text
           "2026-11-22T07:00:00.Z",     // dot without digits
           "2026-11-22X07:00:00Z",      // bad separator
           "2026/11/22T07:00:00Z",      // bad date separator
           "2026-1a-22T07:00:00Z",      // letter in a field
           "1.2.3",                     // two dots
           "17637.",                    // dot without digits
           "99999999999999999999",      // does not fit int64 seconds
       }) {
    SCOPED_TRACE(bad);
    ExpectBadTime(bad, bad);
  }
  // Relative forms name the part that is not a duration.
  ExpectBadTime("soon ago", "soon");
  ExpectBadTime("15x ago", "15x");
  ExpectBadTime("-5m ago", "-5m");
  ExpectBadTime("2026-11-22T07:00:00Z ago", "2026-11-22T07:00:00Z");
}

TEST(ParseTime, EmptyIsInvalid) {
  auto r = ParseTime("", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  r = ParseTime("   ", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

TEST(ParseTime, NegativeFieldsAreRejected) {
  // std::from_chars accepts a leading '-', so two-character fields like
  // "-1" must be range-checked on both sides.
  ExpectBadTime("2026-11-22T-1:00:00Z", "2026-11-22T-1:00:00Z");
  ExpectBadTime("2026-11-22T07:-1:00Z", "2026-11-22T07:-1:00Z");
  ExpectBadTime("2026-11-22T07:00:-1Z", "2026-11-22T07:00:-1Z");
  ExpectBadTime("2026-11-22T07:00:00+-1:00", "2026-11-22T07:00:00+-1:00");
  ExpectBadTime("2026-11-22T07:00:00+01:-1", "2026-11-22T07:00:00+01:-1");
}

TEST(ParseTime, DayMustExistInItsMonth) {
  ExpectBadTime("2026-02-29T00:00:00Z", "2026-02-29");  // 2026 is not a leap year
  ExpectBadTime("2100-02-29T00:00:00Z", "2100-02-29");  // centuries are not, unless /400
  ExpectBadTime("2026-04-31T00:00:00Z", "2026-04-31");
  ExpectBadTime("2026-02-30T00:00:00Z", "2026-02-30");
  EXPECT_EQ(MustParse("2024-02-29T00:00:00Z"), 1709164800LL * kS);
  EXPECT_EQ(MustParse("2000-02-29T00:00:00Z"), 951782400LL * kS);
}

TEST(ParseTime, OutOfInt64NanosecondRangeIsRejected) {
  // int64 ns spans 1677-09-21T00:12:43.145224192Z .. 2262-04-11T23:47:16.854775807Z.
  EXPECT_EQ(MustParse("2262-04-11T23:47:16.854775807Z"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(MustParse("1677-09-21T00:12:43.145224192Z"), std::numeric_limits<int64_t>::min());
  ExpectBadTime("2262-04-11T23:47:16.854775808Z", "2262-04-11T23:47:16.854775808Z");
  ExpectBadTime("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z");
  ExpectBadTime("1677-09-21T00:12:43.145224191Z", "1677-09-21T00:12:43.145224191Z");
  ExpectBadTime("9223372037", "9223372037");
  ExpectBadTime("9223372036.854775808", "9223372036.854775808");
}

// ------------------------------------------------------------ Durations

TEST(ParseDuration, Units) {
  struct Case {
    const char* text;
    int64_t ns;
  } cases[] = {
      {"90", 90 * kS},
      {"90s", 90 * kS},
      {"15m", 900 * kS},
      {"2h", 7200 * kS},
      {"1d", 86400 * kS},
      {"1w", 604800 * kS},
      {"500ms", 500'000'000},
      {"250us", 250'000},
      {"7ns", 7},
      {"0", 0},
      {"1.5m", 90 * kS},
      {"0.1s", 100'000'000},
      {"2 h", 7200 * kS},
      {"3 days", 3 * 86400 * kS},
      {"1hour", 3600 * kS},
      {"10min", 600 * kS},
      {"2weeks", 1209600 * kS},
      {"1.25", 1'250'000'000},
      {"1sec", kS},
      {"5secs", 5 * kS},
  };
  for (const auto& c : cases) {
    auto r = ParseDuration(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.ns) << c.text;
  }
}

// 'text', appended: `"'" + std::string(text)` draws a false -Wrestrict from
// GCC 12 at -O3 (GCC bug 105329).
std::string Quoted(const char* text) {
  std::string q(1, '\'');
  q.append(text).append(1, '\'');
  return q;
}

TEST(ParseDuration, Bad) {
  for (const char* bad : {"", "s", "-5s", "5x", "5 parsecs", "1.2.3s", ".", "5sm", "abc",
                          "99999999999999999999w", "1e3s"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << "'" << bad << "' parsed as " << *r;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find(Quoted(bad)), std::string::npos)
        << r.status().message();
  }
}

// ---------------------------------------------------------------- Sizes

TEST(ParseSize, DecimalAndBinaryUnits) {
  struct Case {
    const char* text;
    uint64_t bytes;
  } cases[] = {
      {"1000000", 1000000},
      {"0", 0},
      {"512M", 512'000'000},
      {"512MB", 512'000'000},
      {"1G", 1'000'000'000},
      {"1.5G", 1'500'000'000},
      {"2T", 2'000'000'000'000ULL},
      {"10K", 10'000},
      {"10kb", 10'000},
      {"64KiB", 65536},
      {"64kib", 65536},
      {"1MiB", 1048576},
      {"16MiB", 16777216},
      {"1GiB", 1073741824},
      {"1TiB", 1099511627776ULL},
      {"7B", 7},
      {"0.5KiB", 512},
      {"18000000000000000000", 18'000'000'000'000'000'000ULL},  // > INT64_MAX, < 2^64
      {"18T", 18'000'000'000'000ULL},
  };
  for (const auto& c : cases) {
    auto r = ParseSize(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.bytes) << c.text;
  }
}

TEST(ParseSize, Bad) {
  for (const char* bad : {"", "M", "-1", "-1G", "12X", "512 M", " 512M", "1.2.3M", "1e6",
                          "100000000T", "20000000000000000000"}) {
    auto r = ParseSize(bad);
    ASSERT_FALSE(r.ok()) << "'" << bad << "' parsed as " << *r;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find(Quoted(bad)), std::string::npos)
        << r.status().message();
  }
}

// ----------------------------------------------------------- Formatting

TEST(FormatTime, HandComputed) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339(k20261122 * kS), "2026-11-22T07:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339(k20261122 * kS + 123'456'789), "2026-11-22T07:00:00.123456789Z");
  EXPECT_EQ(FormatRfc3339(951827696LL * kS + 1), "2000-02-29T12:34:56.000000001Z");
  EXPECT_EQ(FormatRfc3339(2147483648LL * kS), "2038-01-19T03:14:08.000000000Z");
  EXPECT_EQ(FormatCompact(k20261122 * kS + 4 * kS + 15 * 60 * kS + 123'456'789),
            "20261122T071504.123456789Z");
  EXPECT_EQ(FormatCompact(0), "19700101T000000.000000000Z");
}

TEST(FormatTime, NegativeTimestamps) {
  // -1 ns is the last nanosecond of 1969, not "-0.000000001".
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339(-kS), "1969-12-31T23:59:59.000000000Z");
  EXPECT_EQ(FormatRfc3339(-kS - 1), "1969-12-31T23:59:58.999999999Z");
  EXPECT_EQ(FormatRfc3339(-kS + 500'000'000), "1969-12-31T23:59:59.500000000Z");
  EXPECT_EQ(FormatRfc3339(-2208988800LL * kS), "1900-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatCompact(-1), "19691231T235959.999999999Z");
}

TEST(FormatTime, Int64Extremes) {
  EXPECT_EQ(FormatRfc3339(std::numeric_limits<int64_t>::max()), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(FormatRfc3339(std::numeric_limits<int64_t>::min()), "1677-09-21T00:12:43.145224192Z");
}

TEST(FormatTime, AgreesWithDateForRandomTimes) {
  if (Popen("date -u -d @0 +%Y 2>/dev/null") != "1970") GTEST_SKIP() << "GNU date not available";
  std::mt19937_64 rng(20261122);
  std::uniform_int_distribution<int64_t> any(std::numeric_limits<int64_t>::min(),
                                             std::numeric_limits<int64_t>::max());
  std::vector<int64_t> times = {0, -1, 1, 86400 * kS - 1, 951868800LL * kS - 1};
  for (int i = 0; i < 12; ++i) times.push_back(any(rng));
  // One command for all times keeps this fast.
  std::string cmd;
  for (int64_t t : times) {
    int64_t secs, frac;
    SplitNs(t, &secs, &frac);
    cmd += "date -u -d @" + std::to_string(secs) + " +%Y-%m-%dT%H:%M:%S; ";
  }
  std::string out = Popen(cmd);
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) nl = out.size();
    lines.push_back(out.substr(pos, nl - pos));
    pos = nl + 1;
  }
  ASSERT_EQ(lines.size(), times.size()) << out;
  for (size_t i = 0; i < times.size(); ++i) {
    int64_t secs, frac;
    SplitNs(times[i], &secs, &frac);
    char fr[16];
    std::snprintf(fr, sizeof fr, ".%09lld", static_cast<long long>(frac));
    const std::string want = lines[i] + fr + "Z";
    EXPECT_EQ(FormatRfc3339(times[i]), want) << times[i];
    std::string compact;
    for (char c : want)
      if (c != '-' && c != ':') compact.push_back(c);
    EXPECT_EQ(FormatCompact(times[i]), compact) << times[i];
  }
}

TEST(FormatTime, ParseInvertsFormat) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> any(std::numeric_limits<int64_t>::min(),
                                             std::numeric_limits<int64_t>::max());
  for (int i = 0; i < 2000; ++i) {
    const int64_t t = any(rng);
    auto r = ParseTime(FormatRfc3339(t), 0);
    ASSERT_TRUE(r.ok()) << FormatRfc3339(t) << ": " << r.status().ToString();
    EXPECT_EQ(*r, t) << FormatRfc3339(t);
  }
}

TEST(FormatTime, CompactSortsLikeTime) {
  // File names sort in time order (within years 1000..9999, i.e. all of
  // int64 ns).
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int64_t> any(std::numeric_limits<int64_t>::min(),
                                             std::numeric_limits<int64_t>::max());
  for (int i = 0; i < 2000; ++i) {
    const int64_t a = any(rng), b = i % 2 ? a + 1 : any(rng);
    if (b < a) continue;  // a + 1 overflowed
    EXPECT_EQ(a < b, FormatCompact(a) < FormatCompact(b)) << a << " " << b;
  }
}

TEST(FormatBytes, DecimalUnits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(999), "999 B");
  EXPECT_EQ(FormatBytes(1000), "1.00 kB");
  EXPECT_EQ(FormatBytes(1500), "1.50 kB");
  EXPECT_EQ(FormatBytes(1.5e9), "1.50 GB");
  EXPECT_EQ(FormatBytes(2.25e12), "2.25 TB");
  EXPECT_EQ(FormatBytes(3e18), "3000.00 PB");  // PB is the largest unit
}

TEST(FormatSi, AnyUnit) {
  EXPECT_EQ(FormatSi(45200, "pps"), "45.20 kpps");
  EXPECT_EQ(FormatSi(310.5e6, "bit/s"), "310.50 Mbit/s");
  EXPECT_EQ(FormatSi(12, "pps"), "12 pps");
}

TEST(FormatDuration, Spans) {
  EXPECT_EQ(FormatDuration(0), "0.0s");
  EXPECT_EQ(FormatDuration(12'500'000'000), "12.5s");
  EXPECT_EQ(FormatDuration(3723'000'000'000), "01:02:03");
  EXPECT_EQ(FormatDuration((3 * 86400 + 4 * 3600 + 5 * 60 + 6) * 1'000'000'000LL), "3d 04:05:06");
  EXPECT_EQ(FormatDuration(-5), "0.0s");
}

TEST(Clocks, WallClockMatchesDateAndMonotonicNeverGoesBack) {
  const std::string d = Popen("date -u +%s");
  if (d.empty()) GTEST_SKIP() << "date not available";
  const int64_t wall = WallClockNs();
  EXPECT_NEAR(static_cast<double>(wall / kS), std::stod(d), 5.0);
  int64_t prev = MonotonicNs();
  for (int i = 0; i < 1000; ++i) {
    const int64_t m = MonotonicNs();
    EXPECT_GE(m, prev);
    prev = m;
  }
}

}  // namespace
}  // namespace trove
