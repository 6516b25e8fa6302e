#include "anon/level_policy.h"

namespace trove::anon {

LevelPolicy PolicyForLevel(PrivacyLevel level) {
  LevelPolicy p;
  p.level = level;
  switch (level) {
    case PrivacyLevel::kRaw:
      break;
    case PrivacyLevel::kScrubbed:
      p.scrub_payload = true;
      p.tcp_options = TcpOptions::kKeep;
      break;
    case PrivacyLevel::kScrambled:
      p.scrub_payload = true;
      p.tcp_options = TcpOptions::kNormalize;
      p.scramble_addresses = true;
      p.scramble_macs = true;
      break;
  }
  return p;
}

Result<PrivacyLevel> ParsePrivacyLevel(std::string_view s) {
  if (s == "raw" || s == "L0" || s == "l0" || s == "0") return PrivacyLevel::kRaw;
  if (s == "scrubbed" || s == "L1" || s == "l1" || s == "1") return PrivacyLevel::kScrubbed;
  if (s == "scrambled" || s == "L2" || s == "l2" || s == "2") return PrivacyLevel::kScrambled;
  return Status::InvalidArgument("unknown privacy level '" + std::string(s) +
                                 "'; expected raw (L0), scrubbed (L1) or scrambled (L2)");
}

const char* ToString(PrivacyLevel level) {
  switch (level) {
    case PrivacyLevel::kRaw:
      return "raw";
    case PrivacyLevel::kScrubbed:
      return "scrubbed";
    case PrivacyLevel::kScrambled:
      return "scrambled";
  }
  return "?";
}

Result<TcpOptions> ParseTcpOptions(std::string_view s) {
  if (s == "keep") return TcpOptions::kKeep;
  if (s == "normalize") return TcpOptions::kNormalize;
  if (s == "strip") return TcpOptions::kStrip;
  return Status::InvalidArgument("unknown TCP options policy '" + std::string(s) +
                                 "'; expected keep, normalize or strip");
}

const char* ToString(TcpOptions t) {
  switch (t) {
    case TcpOptions::kKeep:
      return "keep";
    case TcpOptions::kNormalize:
      return "normalize";
    case TcpOptions::kStrip:
      return "strip";
  }
  return "?";
}

std::string Describe(const LevelPolicy& p) {
  std::string s = ToString(p.level);
  s += " (payload ";
  s += p.scrub_payload ? "cut" : "kept";
  s += ", tcp options ";
  s += ToString(p.tcp_options);
  s += ", addresses ";
  s += p.scramble_addresses ? "scrambled" : "kept";
  s += ", macs ";
  s += p.scramble_macs ? "scrambled" : "kept";
  s += ")";
  return s;
}

}  // namespace trove::anon
