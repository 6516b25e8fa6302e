#include "anon/key_schedule.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <chrono>
#include <cstdio>
#include <limits>

namespace trove {

namespace {

bool AllOf(std::string_view s, std::string_view extra) {
  for (const char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

constexpr int64_t kNsPerDay = 86'400'000'000'000;

// Days since 1970-01-01 -> ns, clamped to the int64 range.
int64_t DaysToNs(int64_t days) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (days > kMax / kNsPerDay) return kMax;
  if (days < kMin / kNsPerDay) return kMin;
  return days * kNsPerDay;
}

int64_t DaysOf(std::chrono::year_month_day ymd) {
  return std::chrono::sys_days(ymd).time_since_epoch().count();
}

}  // namespace

Result<EpochPeriod> ParseEpochPeriod(std::string_view name) {
  if (name == "year") return EpochPeriod::kYear;
  if (name == "month") return EpochPeriod::kMonth;
  if (name == "day") return EpochPeriod::kDay;
  if (name == "none") return EpochPeriod::kNone;
  return Status::InvalidArgument("unknown key rotation period \"" + std::string(name) +
                                 "\"; expected year, month, day or none");
}

std::string_view EpochPeriodName(EpochPeriod period) {
  switch (period) {
    case EpochPeriod::kYear:
      return "year";
    case EpochPeriod::kMonth:
      return "month";
    case EpochPeriod::kDay:
      return "day";
    case EpochPeriod::kNone:
      break;
  }
  return "none";
}

Epoch EpochOf(EpochPeriod period, int64_t ts_ns) {
  using namespace std::chrono;
  Epoch e;
  if (period == EpochPeriod::kNone) {
    e.name = "all";
    e.begin_ns = std::numeric_limits<int64_t>::min();
    e.end_ns = std::numeric_limits<int64_t>::max();
    return e;
  }
  const sys_days day = floor<days>(sys_time<nanoseconds>(nanoseconds(ts_ns)));
  const year_month_day ymd(day);
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month());
  const unsigned d = static_cast<unsigned>(ymd.day());
  char buf[32];
  year_month_day begin = ymd, end = ymd;
  switch (period) {
    case EpochPeriod::kYear:
      std::snprintf(buf, sizeof(buf), "%04d", y);
      begin = ymd.year() / January / 1;
      end = (ymd.year() + years(1)) / January / 1;
      break;
    case EpochPeriod::kMonth:
      std::snprintf(buf, sizeof(buf), "%04d-%02u", y, m);
      begin = ymd.year() / ymd.month() / 1;
      end = begin + months(1);
      break;
    case EpochPeriod::kDay:
    default:
      std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", y, m, d);
      begin = ymd;
      end = year_month_day(day + days(1));
      break;
  }
  e.name = buf;
  e.begin_ns = DaysToNs(DaysOf(begin));
  e.end_ns = DaysToNs(DaysOf(end));
  return e;
}

Result<SecretBytes> DeriveKey(std::span<const uint8_t> master_secret, std::string_view purpose,
                              std::string_view level, std::string_view epoch) {
  if (master_secret.size() < kMinMasterSecretSize) {
    return Status::InvalidArgument("master secret is " + std::to_string(master_secret.size()) +
                                   " bytes; at least 32 are required");
  }
  if (purpose != "ip" && purpose != "mac" && purpose != "reverse") {
    return Status::InvalidArgument("key purpose must be \"ip\", \"mac\" or \"reverse\", got \"" +
                                   std::string(purpose) + "\"");
  }
  if (level.empty() || level.size() > 64 || !AllOf(level, "._-")) {
    return Status::InvalidArgument("privacy level name \"" + std::string(level) +
                                   "\" must be 1..64 characters of [A-Za-z0-9._-]");
  }
  if (epoch.empty() || epoch.size() > 32 || !AllOf(epoch, "-")) {
    return Status::InvalidArgument("key epoch \"" + std::string(epoch) +
                                   "\" must be 1..32 characters of [A-Za-z0-9-]");
  }
  std::string info;
  info.reserve(purpose.size() + level.size() + epoch.size() + 2);
  info.append(purpose).append("/").append(level).append("/").append(epoch);

  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* kctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);  // the context keeps its own reference
  if (!kctx) return Status::Internal("HKDF is not available in OpenSSL");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(master_secret.data()), master_secret.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_SALT, const_cast<char*>(kKeyScheduleSalt.data()), kKeyScheduleSalt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes key(kDerivedKeySize);
  const int rc = EVP_KDF_derive(kctx, key.data(), key.size(), params);
  EVP_KDF_CTX_free(kctx);  // wipes its copy of the master secret
  if (rc != 1) return Status::Internal("HKDF-SHA256 key derivation failed in OpenSSL");
  return key;
}

}  // namespace trove
