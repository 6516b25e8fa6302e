// trove anon: a scrubbed (L1) or scrambled (L2) copy of any pcap/pcapng
// trace, outside any store. Reads with libpcap (FileSource), transforms each
// packet with anon::PacketTransform, writes pcap (nanosecond magic, the
// input's link type) or pcapng (one interface, if_tsresol 9).
//
// The output is written to OUT.partial and renamed to OUT when complete
// (OUT "-" writes to stdout). An input record that cannot be read ends the
// run: the packets before it are in OUT, the error names the input file and
// the offset, exit code 2. Exit codes otherwise as in cli/command.h.

#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "anon/cryptopan_mapper.h"
#include "anon/key_file.h"
#include "anon/level_policy.h"
#include "anon/packet_transform.h"
#include "capture/file_source.h"
#include "cli/command.h"
#include "cli/output.h"
#include "packet/decoder.h"
#include "segment/pcapng_format.h"
#include "trove/version.h"
#include "util/byte_buffer.h"
#include "util/progress.h"

namespace trove::cli {
namespace {

constexpr uint32_t kOutSnaplen = 262144;  // libpcap's maximum

bool TransformUnderstands(uint16_t dlt) {
  switch (dlt) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRaw:
    case kLinkRawBsdOs:
    case kLinkTypeRaw:
    case kLinkLoop:
    case kLinkLinuxSll:
    case kLinkIPv4:
    case kLinkIPv6:
    case kLinkLinuxSll2:
      return true;
    default:
      return false;
  }
}

// The LINKTYPE_ value a file stores for a DLT_ value (they differ only for
// raw IP among the link types the transform understands).
uint16_t FileLinkType(uint16_t dlt) {
  return dlt == kLinkRaw || dlt == kLinkRawBsdOs ? kLinkTypeRaw : dlt;
}

// Writes the output trace: pcap through libpcap's dumper (which also maps
// DLT to LINKTYPE), or pcapng blocks through segment/pcapng_format.h.
class TraceWriter {
 public:
  ~TraceWriter() {
    if (dumper_)
      pcap_dump_close(dumper_);  // closes file_
    else if (file_ && file_ != stdout)
      std::fclose(file_);
    if (dead_) pcap_close(dead_);
  }

  Status Open(const std::string& shown, const std::string& path, bool pcapng, uint16_t dlt,
              const std::string& level) {
    shown_ = shown;
    pcapng_ = pcapng;
    file_ = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
    if (!file_) return Status::FromErrno(errno, shown + ": cannot create the output file");
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
    if (!pcapng) {
      dead_ = pcap_open_dead_with_tstamp_precision(dlt, kOutSnaplen, PCAP_TSTAMP_PRECISION_NANO);
      if (!dead_)
        return Status::Internal(shown + ": libpcap cannot describe link type " +
                                std::to_string(dlt));
      dumper_ = pcap_dump_fopen(dead_, file_);
      if (!dumper_) return Status::InvalidArgument(shown + ": " + pcap_geterr(dead_));
      return Check();
    }
    SectionInfo s;
    s.userappl = std::string("trove ") + kVersion + " anon";
    s.comments.push_back("trove.level=" + level);
    AppendSectionHeader(&buf_, s);
    InterfaceInfo i;
    i.linktype = FileLinkType(dlt);
    i.snaplen = kOutSnaplen;
    i.tsresol = 9;
    AppendInterfaceDescription(&buf_, i);
    return Flush();
  }

  Status Write(int64_t ts_ns, uint32_t caplen, uint32_t wirelen, const uint8_t* data) {
    if (!pcapng_) {
      pcap_pkthdr h{};
      int64_t sec = ts_ns / 1'000'000'000, ns = ts_ns % 1'000'000'000;
      if (ns < 0) {
        ns += 1'000'000'000;
        --sec;
      }
      h.ts.tv_sec = static_cast<time_t>(sec);
      h.ts.tv_usec = static_cast<suseconds_t>(ns);  // nanoseconds: the handle is NANO
      h.caplen = caplen;
      h.len = wirelen;
      pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, data);
      bytes_ += 16 + caplen;
      return Check();
    }
    AppendEnhancedPacket(&buf_, 0, ts_ns, caplen, wirelen, data);
    return buf_.size() >= (1 << 20) ? Flush() : Status::Ok();
  }

  // Flushes everything and checks for write errors; the file stays open
  // (closed by the destructor).
  Status Finish() {
    if (pcapng_) TROVE_RETURN_IF_ERROR(Flush());
    if (std::fflush(file_) != 0) return WriteError(errno);
    return Check();
  }

  uint64_t bytes() const { return pcapng_ ? bytes_ + buf_.size() : bytes_ + 24; }

 private:
  Status Flush() {
    if (buf_.empty()) return Status::Ok();
    if (std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) return WriteError(errno);
    bytes_ += buf_.size();
    buf_.clear();
    return Status::Ok();
  }
  Status Check() {
    if (std::ferror(file_)) return WriteError(errno ? errno : EIO);
    return Status::Ok();
  }
  Status WriteError(int err) {
    return Status::FromErrno(err, shown_ + ": offset " + std::to_string(bytes_) + ": write failed");
  }

  std::string shown_;
  bool pcapng_ = false;
  FILE* file_ = nullptr;
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  ByteBuffer buf_;
  uint64_t bytes_ = 0;
};

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

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

    auto src = FileSource::Open(o->in);
    if (!src.ok()) throw ExitError{2, src.status().message()};
    const uint16_t dlt = (*src)->linktype();
    if (!TransformUnderstands(dlt)) {
      throw ExitError{2, o->in + ": link type " + LinkTypeName(dlt) + " (" + std::to_string(dlt) +
                             ") is not supported by trove anon; supported: EN10MB, LINUX_SLL, "
                             "LINUX_SLL2, NULL, LOOP, RAW, IPV4, IPV6"};
    }
    if (o->out == "-" && o->json) {
      throw ExitError{2, "--json prints to stdout: it cannot be combined with OUT '-'"};
    }
    if (o->out != "-" && SameFile(o->in, o->out)) {
      throw ExitError{2, o->out + ": is the input file; choose another output"};
    }

    const bool to_stdout = o->out == "-";
    const std::string tmp = to_stdout ? o->out : o->out + ".partial";
    TraceWriter w;
    auto fail = [&](int code, const std::string& msg) {
      if (!to_stdout) ::unlink(tmp.c_str());
      throw ExitError{code, msg};
    };
    Status st = w.Open(o->out, tmp, o->format == "pcapng", dlt, anon::ToString(policy.level));
    if (!st.ok()) fail(1, st.message());

    anon::PacketTransform xf(policy, mapper.get());
    Progress progress("anonymizing", (*src)->BytesTotal());
    const auto t0 = std::chrono::steady_clock::now();
    ByteBuffer out(1 << 16);
    PacketRef pkt;
    DecodedPacket d;
    uint32_t wirelen = 0;
    uint64_t packets_out = 0;
    std::string input_error;
    for (;;) {
      const auto r = (*src)->Read(&pkt);
      if (r == PacketSource::ReadResult::kEnd) break;
      if (r == PacketSource::ReadResult::kError) {
        input_error = (*src)->error().message();
        break;
      }
      if (r != PacketSource::ReadResult::kPacket) continue;
      if (pkt.linktype != dlt) {  // a pcapng with interfaces of several link types
        input_error = o->in + ": a packet of link type " + LinkTypeName(pkt.linktype) +
                      " after link type " + LinkTypeName(dlt) +
                      " in the record ending at offset " +
                      std::to_string((*src)->BytesConsumed()) +
                      ": trove anon writes one link type; split the file per interface "
                      "(e.g. tshark -Y frame.interface_id==N -w) and anonymise each part";
        break;
      }
      Decode(pkt, &d);
      if (xf.Apply(pkt, d, &out, &wirelen)) {
        st = w.Write(pkt.ts_ns, static_cast<uint32_t>(out.size()), wirelen, out.data());
        if (!st.ok()) fail(1, st.message());
        ++packets_out;
      }
      if ((xf.stats().packets & 1023) == 0)
        progress.Update((*src)->BytesConsumed(), xf.stats().packets);
    }
    progress.Finish();
    st = w.Finish();
    if (!st.ok()) fail(1, st.message());
    if (!to_stdout && std::rename(tmp.c_str(), o->out.c_str()) != 0) {
      fail(1,
           Status::FromErrno(errno, o->out + ": cannot rename " + tmp + " into place").message());
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const anon::TransformStats& s = xf.stats();
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
          {"output_file_bytes", w.bytes()},
          {"seconds", secs},
          {"input_error",
           input_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(input_error)},
      };
      PrintJson(j);
    } else if (!to_stdout) {
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
