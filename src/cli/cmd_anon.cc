// trove anon: a scrubbed (L1) or scrambled (L2) copy of any pcap/pcapng
// trace, outside any store (levels/anonymize_trace.h). An input record that
// cannot be read ends the run: the packets before it are in OUT, the error
// names the input file and the offset, exit code 2. Exit codes otherwise as
// in cli/command.h.

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "anon/cryptopan_mapper.h"
#include "anon/key_file.h"
#include "cli/command.h"
#include "cli/output.h"
#include "levels/anonymize_trace.h"

namespace trove::cli {

void RegisterAnon(CLI::App& app, GlobalOptions& /*g*/) {
  auto* cmd = app.add_subcommand(
      "anon",
      "Write a scrubbed (headers only) or scrambled (headers only, addresses replaced by "
      "prefix-preserving pseudonyms) copy of a pcap/pcapng trace");
  struct Opts {
    std::string level, key, tcp_options, format = "pcap", in, out;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--level", o->level,
                  "scrubbed: link/IP/transport headers only, payload cut; scrambled: scrubbed "
                  "plus Crypto-PAn IP addresses and keyed MAC pseudonyms")
      ->required()
      ->check(CLI::IsMember({"scrubbed", "scrambled"}));
  cmd->add_option("--cryptopan-key", o->key,
                  "Key file for --level scrambled: 32 raw bytes or 64 hex digits, mode 0600, used "
                  "as-is for Crypto-PAn (IPv4 pseudonyms match traceanon's with the same key); "
                  "the MAC key is derived from it (HKDF, info mac/scrambled/all)");
  cmd->add_option("--tcp-options", o->tcp_options,
                  "keep | normalize (only MSS, window scale, SACK-permitted; others become NOPs) "
                  "| strip (all NOPs). Default: keep for scrubbed, normalize for scrambled")
      ->check(CLI::IsMember({"keep", "normalize", "strip"}));
  cmd->add_option("--format", o->format, "Output format (default pcap, nanosecond timestamps)")
      ->check(CLI::IsMember({"pcap", "pcapng"}));
  cmd->add_flag("--json", o->json, "Print a JSON summary on stdout");
  cmd->add_option("IN", o->in, "Input trace (pcap or pcapng, any byte order and precision)")
      ->required();
  cmd->add_option("OUT", o->out, "Output trace ('-' for stdout)")->required();

  cmd->callback([o] {
    auto level = anon::ParsePrivacyLevel(o->level);
    if (!level.ok()) throw ExitError{2, level.status().message()};
    anon::LevelPolicy policy = anon::PolicyForLevel(level.value());
    if (!o->tcp_options.empty()) {
      auto t = anon::ParseTcpOptions(o->tcp_options);
      if (!t.ok()) throw ExitError{2, t.status().message()};
      policy.tcp_options = t.value();
    }
    std::unique_ptr<anon::CryptoPAnMapper> mapper;
    if (policy.needs_mapper()) {
      if (o->key.empty()) {
        throw ExitError{2,
                        "--level scrambled needs --cryptopan-key FILE (32 raw bytes or 64 hex "
                        "digits, mode 0600)"};
      }
      auto key = LoadKeyFile(o->key);
      if (!key.ok()) throw ExitError{2, key.status().message()};
      auto m = anon::CryptoPAnMapper::FromCryptoPAnKey(key->span());
      if (!m.ok()) throw ExitError{2, o->key + ": " + m.status().message()};
      mapper = std::move(m).value();
    } else if (!o->key.empty()) {
      throw ExitError{2, "--cryptopan-key is only used with --level scrambled"};
    }

    if (o->out == "-" && o->json) {
      throw ExitError{2, "--json prints to stdout: it cannot be combined with OUT '-'"};
    }
    AnonymizeTraceOptions ao;
    ao.in = o->in;
    ao.out = o->out;
    ao.format = o->format == "pcapng" ? CaptureFormat::kPcapng : CaptureFormat::kPcap;
    ao.policy = policy;
    ao.mapper = mapper.get();
    auto rep = AnonymizeTrace(ao);
    if (!rep.ok())
      throw ExitError{rep.status().code() == Status::Code::kInvalidArgument ? 2 : 1,
                      rep.status().message()};
    const uint16_t dlt = rep->linktype;
    const uint64_t packets_out = rep->packets_out;
    const std::string& input_error = rep->input_error;
    const double secs = rep->seconds;
    const anon::TransformStats& s = rep->stats;
    if (o->json) {
      nlohmann::json j = {
          {"input", o->in},
          {"output", o->out},
          {"format", o->format},
          {"level", anon::ToString(policy.level)},
          {"policy",
           {{"scrub_payload", policy.scrub_payload},
            {"tcp_options", anon::ToString(policy.tcp_options)},
            {"scramble_addresses", policy.scramble_addresses},
            {"scramble_macs", policy.scramble_macs}}},
          {"linktype", dlt},
          {"linktype_name", LinkTypeName(dlt)},
          {"packets_in", s.packets},
          {"packets_out", packets_out},
          {"dropped", s.dropped},
          {"link_only", s.link_only},
          {"bytes_in", s.bytes_in},
          {"bytes_out", s.bytes_out},
          {"checksums_updated", s.checksums_updated},
          {"checksums_zeroed", s.checksums_zeroed},
          {"output_file_bytes", rep->output_bytes},
          {"seconds", secs},
          {"input_error",
           input_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(input_error)},
      };
      PrintJson(j);
    } else if (o->out != "-") {
      std::printf("%s -> %s: %s\n", o->in.c_str(), o->out.c_str(), anon::Describe(policy).c_str());
      std::printf(
          "  packets   %llu in, %llu out, %llu dropped (nothing understood), %llu link "
          "header only\n",
          static_cast<unsigned long long>(s.packets), static_cast<unsigned long long>(packets_out),
          static_cast<unsigned long long>(s.dropped), static_cast<unsigned long long>(s.link_only));
      std::printf("  bytes     %llu captured in, %llu out\n",
                  static_cast<unsigned long long>(s.bytes_in),
                  static_cast<unsigned long long>(s.bytes_out));
      std::printf("  checksums %llu updated, %llu set to 0 (segment not wholly captured)\n",
                  static_cast<unsigned long long>(s.checksums_updated),
                  static_cast<unsigned long long>(s.checksums_zeroed));
    }
    if (!input_error.empty()) {
      throw ExitError{2, input_error + " (" + o->out + " holds the " + std::to_string(packets_out) +
                             " packets before it)"};
    }
  });
}

}  // namespace trove::cli
