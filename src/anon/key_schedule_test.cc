// Key schedule: calendar epochs at their boundaries (UTC, incl. a leap day
// and times before 1970) and HKDF-SHA256 key derivation, checked against
// the OpenSSL command line (`openssl kdf ... HKDF`).

#include "anon/key_schedule.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace trove {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kDay = 86'400 * kSec;

// Days since 1970-01-01, counted by hand:
//   2024-01-01: 54 years, 13 leap days (1972..2020)  -> 54*365+13 = 19723
//   2024-02-01: + 31                                 -> 19754
//   2024-02-29: + 28                                 -> 19782
//   2024-03-01: + 29 (leap February)                 -> 19783
//   2026-01-01: 2024 (366) + 2025 (365)              -> 20454
//   2026-11-01: + 304 (Jan..Oct 2026)                -> 20758
//   1969-12-01: - 31                                 -> -31
constexpr int64_t kD20240101 = 19723, kD20240201 = 19754, kD20240229 = 19782, kD20240301 = 19783,
                  kD20260101 = 20454, kD20261101 = 20758, kD19691201 = -31;

TEST(KeyScheduleTest, HandCountedDaysAgreeWithCalendar) {
  EXPECT_EQ(kD20240229 * 86400, 1709164800);  // date -u -d 2024-02-29 +%s
  EXPECT_EQ(kD20260101 * 86400, 1767225600);
}

TEST(KeyScheduleTest, EpochNamesAtBoundaries) {
  EXPECT_EQ(IpEpoch(0), "1970");
  EXPECT_EQ(MacEpoch(0), "1970-01");
  EXPECT_EQ(EpochName(EpochPeriod::kDay, 0), "1970-01-01");
  EXPECT_EQ(IpEpoch(-1), "1969");
  EXPECT_EQ(MacEpoch(-1), "1969-12");
  EXPECT_EQ(EpochName(EpochPeriod::kDay, -1), "1969-12-31");
  EXPECT_EQ(MacEpoch(kD19691201 * kDay), "1969-12");
  EXPECT_EQ(MacEpoch(kD19691201 * kDay - 1), "1969-11");

  EXPECT_EQ(EpochName(EpochPeriod::kDay, kD20240229 * kDay), "2024-02-29");
  EXPECT_EQ(EpochName(EpochPeriod::kDay, kD20240229 * kDay - 1), "2024-02-28");
  EXPECT_EQ(EpochName(EpochPeriod::kDay, kD20240301 * kDay - 1), "2024-02-29");
  EXPECT_EQ(MacEpoch(kD20240301 * kDay - 1), "2024-02");
  EXPECT_EQ(MacEpoch(kD20240301 * kDay), "2024-03");
  EXPECT_EQ(MacEpoch(kD20240201 * kDay - 1), "2024-01");
  EXPECT_EQ(IpEpoch(kD20240101 * kDay - 1), "2023");
  EXPECT_EQ(IpEpoch(kD20240101 * kDay), "2024");

  EXPECT_EQ(IpEpoch(kD20260101 * kDay - 1), "2025");
  EXPECT_EQ(MacEpoch(kD20260101 * kDay - 1), "2025-12");
  EXPECT_EQ(IpEpoch(kD20260101 * kDay), "2026");
  EXPECT_EQ(MacEpoch(kD20260101 * kDay), "2026-01");
  EXPECT_EQ(MacEpoch(kD20261101 * kDay + 7 * kSec), "2026-11");
  EXPECT_EQ(EpochName(EpochPeriod::kNone, kD20261101 * kDay), "all");
}

TEST(KeyScheduleTest, EpochExtents) {
  const int64_t t = (kD20240229 * kDay) + 3600 * kSec;
  Epoch m = EpochOf(EpochPeriod::kMonth, t);
  EXPECT_EQ(m.name, "2024-02");
  EXPECT_EQ(m.begin_ns, kD20240201 * kDay);
  EXPECT_EQ(m.end_ns, kD20240301 * kDay);
  Epoch y = EpochOf(EpochPeriod::kYear, t);
  EXPECT_EQ(y.begin_ns, kD20240101 * kDay);
  EXPECT_EQ(y.end_ns, (kD20240101 + 366) * kDay);
  Epoch d = EpochOf(EpochPeriod::kDay, t);
  EXPECT_EQ(d.begin_ns, kD20240229 * kDay);
  EXPECT_EQ(d.end_ns, kD20240301 * kDay);
  Epoch before = EpochOf(EpochPeriod::kMonth, -1);
  EXPECT_EQ(before.begin_ns, kD19691201 * kDay);
  EXPECT_EQ(before.end_ns, 0);
  // The ends of the int64 range: 1677 and 2262, extents clamped.
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(IpEpoch(kMin), "1677");
  EXPECT_EQ(IpEpoch(kMax), "2262");
  EXPECT_EQ(EpochOf(EpochPeriod::kYear, kMax).end_ns, kMax);
  EXPECT_EQ(EpochOf(EpochPeriod::kYear, kMin).begin_ns, kMin);
  Epoch all = EpochOf(EpochPeriod::kNone, 5);
  EXPECT_EQ(all.begin_ns, kMin);
  EXPECT_EQ(all.end_ns, kMax);
}

TEST(KeyScheduleTest, ParsesPeriods) {
  for (const char* name : {"year", "month", "day", "none"}) {
    Result<EpochPeriod> p = ParseEpochPeriod(name);
    ASSERT_TRUE(p.ok()) << name;
    EXPECT_EQ(EpochPeriodName(*p), name);
  }
  EXPECT_FALSE(ParseEpochPeriod("week").ok());
  EXPECT_FALSE(ParseEpochPeriod("").ok());
}

std::vector<uint8_t> Master() {
  std::vector<uint8_t> m(32);
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<uint8_t>(0xC0 + i);
  return m;
}

std::string Hex(std::span<const uint8_t> b, const char* sep = "") {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < b.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%02X", b[i]);
    if (i) s += sep;
    s += buf;
  }
  return s;
}

SecretBytes Derive(std::string_view purpose, std::string_view level, std::string_view epoch) {
  Result<SecretBytes> k = DeriveKey(Master(), purpose, level, epoch);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? k.value() : SecretBytes();
}

TEST(KeyScheduleTest, DerivedKeysAreDeterministicAndSeparated) {
  const SecretBytes base = Derive("ip", "scrambled", "2026");
  ASSERT_EQ(base.size(), 32u);
  EXPECT_TRUE(base == Derive("ip", "scrambled", "2026"));
  EXPECT_FALSE(base == Derive("mac", "scrambled", "2026"));
  EXPECT_FALSE(base == Derive("ip", "research", "2026"));
  EXPECT_FALSE(base == Derive("ip", "scrambled", "2027"));
  EXPECT_FALSE(Derive("mac", "scrambled", "2026-11") == Derive("mac", "scrambled", "2026-12"));
  std::vector<uint8_t> other = Master();
  other[31] ^= 1;
  Result<SecretBytes> k = DeriveKey(other, "ip", "scrambled", "2026");
  ASSERT_TRUE(k.ok());
  EXPECT_FALSE(base == *k);
  // A longer master secret is accepted.
  std::vector<uint8_t> longer(64, 0x11);
  EXPECT_TRUE(DeriveKey(longer, "mac", "l", "all").ok());
}

TEST(KeyScheduleTest, MatchesOpensslCommandLine) {
  if (::access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "no openssl CLI";
  const std::vector<uint8_t> master = Master();
  const char* const cases[][3] = {
      {"ip", "scrambled", "2026"}, {"mac", "scrambled", "2026-11"}, {"ip", "research.v2", "all"}};
  for (const auto& c : cases) {
    const std::string cmd =
        "/usr/bin/openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:" + Hex(master) +
        " -kdfopt salt:trove-anon-v1 -kdfopt info:" + c[0] + "/" + c[1] + "/" + c[2] + " HKDF 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[256] = {};
    const size_t n = std::fread(buf, 1, sizeof(buf) - 1, p);
    ASSERT_EQ(::pclose(p), 0) << buf;
    std::string out(buf, n);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    const SecretBytes k = Derive(c[0], c[1], c[2]);
    EXPECT_EQ(Hex(k.span(), ":"), out) << c[0] << "/" << c[1] << "/" << c[2];
  }
}

TEST(KeyScheduleTest, RejectsBadInputsWithoutEchoingSecrets) {
  const std::vector<uint8_t> master = Master();
  const std::string master_hex = Hex(master);
  std::vector<uint8_t> short_master(31, 0xC0);
  Result<SecretBytes> r = DeriveKey(short_master, "ip", "scrambled", "2026");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("31 bytes"), std::string::npos);
  for (const auto& [purpose, level, epoch] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"tcp", "scrambled", "2026"},
           {"ip", "", "2026"},
           {"ip", "a/b", "2026"},
           {"ip", std::string(65, 'x'), "2026"},
           {"ip", "scrambled", ""},
           {"ip", "scrambled", "2026/11"},
           {"ip", "scrambled", "2026.11"}}) {
    Result<SecretBytes> bad = DeriveKey(master, purpose, level, epoch);
    ASSERT_FALSE(bad.ok()) << purpose << "|" << level << "|" << epoch;
    EXPECT_EQ(bad.status().message().find(master_hex.substr(0, 8)), std::string::npos);
  }
}

}  // namespace
}  // namespace trove
