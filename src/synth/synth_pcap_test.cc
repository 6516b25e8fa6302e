// WritePcap() checked by independent readers: capinfos, tcpdump and tshark
// (checksum validation, malformed packets, TCP analysis, expert info, TCP
// handshakes/teardowns per stream, DNS answers). Skipped when the tools are
// not installed.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "synth/synth.h"

namespace trove::synth {
namespace {

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* f = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (f == nullptr) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

bool Have(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Value of "Label: value" in capinfos output.
std::string Field(const std::string& text, const std::string& label) {
  const size_t at = text.find(label);
  if (at == std::string::npos) return "";
  size_t v = text.find(':', at) + 1;
  while (v < text.size() && text[v] == ' ') ++v;
  return text.substr(v, text.find('\n', v) - v);
}

size_t Lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// Fields of one tshark pass, one row per packet.
struct Row {
  std::string ip_ck, tcp_ck, udp_ck, stream, syn, ack, fin, rst, dns_resp, dns_answers, rcode,
      severities, messages;
};

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> f;
  size_t at = 0;
  for (;;) {
    const size_t tab = line.find('\t', at);
    f.push_back(line.substr(at, tab == std::string::npos ? std::string::npos : tab - at));
    if (tab == std::string::npos) return f;
    at = tab + 1;
  }
}

class SynthPcap : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/trove-synth-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    // Every flow completes (connections mode); messages capped small so
    // the file stays small and tshark fast.
    opts_.seed = 11;
    opts_.max_connections = 300;
    opts_.pareto_cap = 200'000;
    path_ = dir_ + "/main.pcap";
    status_ = WritePcap(opts_, path_, &stats_);
  }

  // The tshark passes run lazily, once per process (ctest runs each test in
  // its own process), and only for the tests that need them.
  static std::string TsharkBase() {
    return "tshark -n -r '" + path_ +
           "' -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "
           "-o udp.check_checksum:TRUE ";
  }
  // Pass 1: every packet that must not exist.
  static const std::string& Bad() {
    static const std::string bad = Shell(TsharkBase() +
                                         "-Y 'ip.checksum.status==0 || tcp.checksum.status==0 || "
                                         "udp.checksum.status==0 || icmp.checksum.status==0 || "
                                         "icmpv6.checksum.status==0 || _ws.malformed || "
                                         "(tcp.analysis.flags && !tcp.analysis.window_update)'");
    return bad;
  }
  // Pass 2: per-packet fields, then the TCP conversation table.
  static const std::vector<Row>& Rows() {
    static const std::vector<Row> rows = [] {
      std::vector<Row> v;
      const std::string out =
          Shell(TsharkBase() +
                "-T fields -E separator=/t -E occurrence=a -E aggregator='|' "
                "-e ip.checksum.status -e tcp.checksum.status -e udp.checksum.status "
                "-e tcp.stream -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin "
                "-e tcp.flags.reset -e dns.flags.response -e dns.count.answers "
                "-e dns.flags.rcode -e _ws.expert.severity -e _ws.expert.message -z conv,tcp");
      std::istringstream in(out);
      std::string line;
      while (std::getline(in, line)) {
        if (line.find("<->") != std::string::npos) {
          ++conv_rows_;
          continue;
        }
        std::vector<std::string> f = SplitTabs(line);
        if (f.size() != 13) continue;
        v.push_back(
            Row{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12]});
      }
      return v;
    }();
    return rows;
  }
  static void TearDownTestSuite() { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }
  void SetUp() override { ASSERT_TRUE(status_.ok()) << status_.ToString(); }

  static uint64_t TcpFlows() {
    uint64_t n = 0;
    for (const auto& [k, c] : stats_.flows_by_kind) {
      if (k != "dns" && k != "ntp" && k != "ping") n += c;
    }
    return n;
  }

  static inline std::string dir_, path_;
  static inline SynthOptions opts_;
  static inline SynthStats stats_;
  static inline Status status_;
  static inline size_t conv_rows_ = 0;
};

TEST_F(SynthPcap, FileHeaderSizeAndDeterminism) {
  EXPECT_EQ(FileSize(path_), stats_.file_bytes);
  const std::string a = ReadFile(path_);
  ASSERT_GE(a.size(), 24u);
  uint32_t magic;
  std::memcpy(&magic, a.data(), 4);
  EXPECT_EQ(magic, 0xa1b23c4du);
  ASSERT_TRUE(WritePcap(opts_, dir_ + "/again.pcap").ok());
  EXPECT_TRUE(a == ReadFile(dir_ + "/again.pcap")) << "same seed, same bytes";
  SynthOptions other = opts_;
  other.seed = 12;
  ASSERT_TRUE(WritePcap(other, dir_ + "/other.pcap").ok());
  EXPECT_FALSE(a == ReadFile(dir_ + "/other.pcap"));
}

TEST_F(SynthPcap, CapinfosAgrees) {
  if (!Have("capinfos")) GTEST_SKIP() << "capinfos not installed";
  const std::string out = Shell("capinfos -M -c -o -E -t '" + path_ + "'");
  EXPECT_EQ(Field(out, "Number of packets"), std::to_string(stats_.packets)) << out;
  EXPECT_EQ(Field(out, "Strict time order"), "True") << out;
  EXPECT_EQ(Field(out, "File encapsulation"), "ether") << out;
  EXPECT_EQ(Field(out, "File type"), "nsecpcap") << out;
}

TEST_F(SynthPcap, TcpdumpReadsEveryPacket) {
  if (!Have("tcpdump")) GTEST_SKIP() << "tcpdump not installed";
  EXPECT_EQ(Lines(Shell("tcpdump -nn -r '" + path_ + "'")), stats_.packets);
}

TEST_F(SynthPcap, TsharkFindsNoBadChecksumsMalformedPacketsOrTcpAnomalies) {
  if (!Have("tshark")) GTEST_SKIP() << "tshark not installed";
  EXPECT_EQ(Bad(), "");
  ASSERT_EQ(Rows().size(), stats_.packets);
  // Validation really ran: every IP/TCP/UDP checksum is reported good (1).
  size_t good = 0;
  for (const Row& r : Rows()) {
    for (const std::string* ck : {&r.ip_ck, &r.tcp_ck, &r.udp_ck}) {
      if (ck->empty()) continue;
      EXPECT_EQ(*ck, "1");
      ++good;
    }
  }
  EXPECT_GT(good, stats_.packets);
}

TEST_F(SynthPcap, TsharkExpertInfoIsClean) {
  if (!Have("tshark")) GTEST_SKIP() << "tshark not installed";
  // Only two warnings are expected: RST teardowns, and Wireshark 4.0's
  // inability to decode Ed25519 SSH signatures ("legnth" is its typo).
  constexpr long kWarning = 0x00600000;
  for (const Row& r : Rows()) {
    if (r.severities.empty()) continue;
    std::istringstream sev(r.severities), msg(r.messages);
    std::string s, m;
    while (std::getline(sev, s, '|') && std::getline(msg, m, '|')) {
      if (std::strtol(s.c_str(), nullptr, 10) < kWarning) continue;
      const bool rst = m.find("Connection reset (RST)") != std::string::npos;
      const bool ssh_sig = m.find("but packet legnth is 83 bytes") != std::string::npos;
      EXPECT_TRUE(rst || ssh_sig) << m;
    }
  }
}

TEST_F(SynthPcap, EveryTcpStreamHasHandshakeAndTeardown) {
  if (!Have("tshark")) GTEST_SKIP() << "tshark not installed";
  struct Counts {
    int syn = 0, synack = 0, fin = 0, rst = 0;
  };
  std::map<std::string, Counts> streams;
  for (const Row& r : Rows()) {
    if (r.stream.empty()) continue;
    Counts& c = streams[r.stream];
    const bool syn = r.syn == "1", ack = r.ack == "1";
    c.syn += syn && !ack;
    c.synack += syn && ack;
    c.fin += r.fin == "1";
    c.rst += r.rst == "1";
  }
  EXPECT_EQ(streams.size(), TcpFlows());
  EXPECT_EQ(conv_rows_, TcpFlows()) << "conv,tcp";
  uint64_t resets = 0;
  for (const auto& [s, c] : streams) {
    EXPECT_EQ(c.syn, 1) << "stream " << s;
    EXPECT_EQ(c.synack, 1) << "stream " << s;
    EXPECT_TRUE((c.fin == 2 && c.rst == 0) || (c.fin == 0 && c.rst == 1)) << "stream " << s;
    resets += c.rst;
  }
  EXPECT_EQ(resets, stats_.tcp_resets);
}

TEST_F(SynthPcap, DnsResponsesDecodeWithAnswers) {
  if (!Have("tshark")) GTEST_SKIP() << "tshark not installed";
  int queries = 0, responses = 0, answered = 0, nxdomain = 0;
  for (const Row& r : Rows()) {
    if (r.dns_resp.empty()) continue;
    if (r.dns_resp == "0") {
      ++queries;
      continue;
    }
    ++responses;
    answered += std::atoi(r.dns_answers.c_str()) > 0;
    nxdomain += r.rcode == "3";
  }
  EXPECT_GT(queries, 50);
  EXPECT_EQ(queries, responses);
  EXPECT_GT(answered, responses * 8 / 10);
  EXPECT_EQ(answered + nxdomain, responses);
}

TEST_F(SynthPcap, MicrosecondFile) {
  if (!Have("capinfos")) GTEST_SKIP() << "capinfos not installed";
  SynthOptions o = opts_;
  o.nanosecond_pcap = false;
  SynthStats st;
  const std::string p = dir_ + "/usec.pcap";
  ASSERT_TRUE(WritePcap(o, p, &st).ok());
  EXPECT_EQ(st.packets, stats_.packets);
  const std::string out = Shell("capinfos -M -c -t -o '" + p + "'");
  EXPECT_EQ(Field(out, "Number of packets"), std::to_string(st.packets));
  EXPECT_EQ(Field(out, "File type"), "pcap") << out;
  EXPECT_EQ(Field(out, "Strict time order"), "True");
}

TEST_F(SynthPcap, TenMegabyteTarget) {
  SynthOptions o;
  o.max_file_bytes = 10'000'000;
  SynthStats st;
  const std::string p = dir_ + "/10m.pcap";
  ASSERT_TRUE(WritePcap(o, p, &st).ok());
  const uint64_t size = FileSize(p);
  EXPECT_EQ(size, st.file_bytes);
  EXPECT_LE(size, 10'000'000u);
  EXPECT_GE(size, 10'000'000u - 100'000 - 1530);  // within 1% (+1 packet)
}

TEST_F(SynthPcap, UnwritablePathIsAnError) {
  SynthOptions o;
  o.max_packets = 10;
  Status s = WritePcap(o, dir_ + "/no/such/dir/x.pcap");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no/such/dir"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace trove::synth
