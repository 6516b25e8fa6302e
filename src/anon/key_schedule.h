#pragma once
// Key schedule for the privacy levels: every anonymization key is derived
// from one master secret, per purpose, level and epoch, so keys rotate with
// packet time (a pseudonym links traffic only within its epoch) while only
// one secret is ever stored.
//
//   key = HKDF-SHA256 (RFC 5869), 32 bytes, with
//     IKM  = the master secret (at least 32 bytes)
//     salt = "trove-anon-v1" (13 ASCII bytes)
//     info = PURPOSE "/" LEVEL "/" EPOCH, e.g. "ip/scrambled/2026"
//   PURPOSE is "ip", "mac" or "reverse" (reverse-map records, levels/
//   reverse_map.h); LEVEL is 1..64 of [A-Za-z0-9._-]; EPOCH is
//   1..32 of [A-Za-z0-9-]; so the "/" separators are unambiguous.
// Anyone holding the master secret can reproduce a key with
//   openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:MASTER_HEX
//     -kdfopt salt:trove-anon-v1 -kdfopt info:ip/scrambled/2026 HKDF
// (one command line).
//
// Epochs are calendar periods of the packet timestamp (ns since the Unix
// epoch, UTC): year "2026", month "2026-11", day "2026-11-22", or "all" for
// no rotation. Defaults: IP keys rotate yearly (prefix relations stay
// comparable across a year), MAC keys monthly.
// Pure functions; thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "anon/secret_bytes.h"
#include "util/status.h"

namespace trove {

inline constexpr size_t kMinMasterSecretSize = 32;
inline constexpr size_t kDerivedKeySize = 32;
inline constexpr std::string_view kKeyScheduleSalt = "trove-anon-v1";

enum class EpochPeriod { kYear, kMonth, kDay, kNone };

// "year" | "month" | "day" | "none".
Result<EpochPeriod> ParseEpochPeriod(std::string_view name);
std::string_view EpochPeriodName(EpochPeriod period);

// The epoch containing a timestamp: its name and its extent
// [begin_ns, end_ns), clamped to the int64 range (kNone: the whole range),
// so a caller re-derives keys only when a packet falls outside it.
struct Epoch {
  std::string name;
  int64_t begin_ns = 0;
  int64_t end_ns = 0;
};
Epoch EpochOf(EpochPeriod period, int64_t ts_ns);
inline std::string EpochName(EpochPeriod period, int64_t ts_ns) {
  return EpochOf(period, ts_ns).name;
}
inline std::string IpEpoch(int64_t ts_ns) { return EpochName(EpochPeriod::kYear, ts_ns); }
inline std::string MacEpoch(int64_t ts_ns) { return EpochName(EpochPeriod::kMonth, ts_ns); }

// InvalidArgument for a short master secret or a malformed purpose, level
// or epoch (the message names the field, never any secret); Internal if
// OpenSSL's HKDF fails.
Result<SecretBytes> DeriveKey(std::span<const uint8_t> master_secret, std::string_view purpose,
                              std::string_view level, std::string_view epoch);

}  // namespace trove
