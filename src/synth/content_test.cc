#include "synth/content.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace trove::synth {
namespace {

uint32_t BE16(const std::string& s, size_t at) {
  return (static_cast<uint8_t>(s[at]) << 8) | static_cast<uint8_t>(s[at + 1]);
}
uint32_t BE24(const std::string& s, size_t at) {
  return (static_cast<uint8_t>(s[at]) << 16) | BE16(s, at + 1);
}

std::string Render(const ContentPools& pools, const Message& m) {
  std::string out(m.size(), '\0');
  pools.Copy(m, 0, out.size(), reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

TEST(SynthContent, CopyIsConsistentAcrossArbitrarySplits) {
  ContentPools pools(1);
  Rng rng(2);
  for (BodyKind kind : {BodyKind::kBinary, BodyKind::kText, BodyKind::kTlsRecords}) {
    Message m;
    m.head = "HEAD";
    m.kind = kind;
    m.body_len = kind == BodyKind::kTlsRecords ? TlsBodyLen(100'000) : 100'000;
    m.pool_base = pools.RandomBase(rng, kind);
    m.tail = "TAIL";
    const std::string whole = Render(pools, m);
    std::string pieces;
    for (uint64_t off = 0; off < m.size();) {
      const size_t n = std::min<uint64_t>(1 + rng.Below(1500), m.size() - off);
      std::string part(n, '\0');
      pools.Copy(m, off, n, reinterpret_cast<uint8_t*>(part.data()));
      pieces += part;
      off += n;
    }
    EXPECT_EQ(whole, pieces);
    EXPECT_EQ(whole.substr(0, 4), "HEAD");
    EXPECT_EQ(whole.substr(whole.size() - 4), "TAIL");
  }
}

TEST(SynthContent, TlsBodiesAreWellFramedRecords) {
  ContentPools pools(1);
  Rng rng(3);
  for (uint64_t want : {1, 22, 100, 16405, 16406, 16407, 16420, 50'000, 1'000'000}) {
    Message m;
    m.kind = BodyKind::kTlsRecords;
    m.body_len = TlsBodyLen(want);
    ASSERT_GE(m.body_len, want);
    m.pool_base = pools.RandomBase(rng, m.kind);
    const std::string s = Render(pools, m);
    size_t at = 0;
    while (at < s.size()) {
      ASSERT_LE(at + 5, s.size());
      EXPECT_EQ(static_cast<uint8_t>(s[at]), 0x17);
      EXPECT_EQ(BE16(s, at + 1), 0x0303u);
      const uint32_t len = BE16(s, at + 3);
      EXPECT_GE(len, 17u);
      EXPECT_LE(len, 16401u);
      at += 5 + len;
    }
    EXPECT_EQ(at, s.size()) << want;
  }
}

TEST(SynthContent, ClientAndServerHelloLengthsAgree) {
  Rng rng(4);
  for (bool resume : {false, true}) {
    const std::string ch = TlsClientHello(rng, "www.kobita.example.com", true, resume);
    EXPECT_EQ(static_cast<uint8_t>(ch[0]), 0x16);
    EXPECT_EQ(BE16(ch, 3) + 5, ch.size());
    EXPECT_EQ(static_cast<uint8_t>(ch[5]), 1);
    EXPECT_EQ(BE24(ch, 6) + 9, ch.size());
    EXPECT_NE(ch.find("www.kobita.example.com"), std::string::npos);
    const std::string sh = TlsServerHello(rng, ch, resume);
    EXPECT_EQ(static_cast<uint8_t>(sh[5]), 2);
    const size_t rec = BE16(sh, 3) + 5;
    EXPECT_EQ(BE24(sh, 6) + 9, rec);
    EXPECT_EQ(sh.substr(rec), TlsChangeCipherSpec());
    EXPECT_EQ(sh.substr(43, 33), ch.substr(43, 33)) << "session id echoed";
  }
}

TEST(SynthContent, HttpHeadsMatchRequestedSizes) {
  ContentPools pools(1);
  Rng rng(5);
  for (uint64_t want : {100, 500, 2000, 4096, 5000, 1'000'000}) {
    uint64_t body = 0;
    const std::string h = HttpRequestHead(rng, pools, "www.example.com", want, &body);
    EXPECT_EQ(h.substr(h.size() - 4), "\r\n\r\n");
    if (want > 4096) {
      EXPECT_EQ(h.substr(0, 5), "POST ");
      EXPECT_NE(h.find("Content-Length: " + std::to_string(body) + "\r\n"), std::string::npos);
      EXPECT_EQ(h.size() + body, want);
    } else {
      EXPECT_EQ(h.substr(0, 4), "GET ");
      EXPECT_EQ(body, 0u);
      if (want > 400) {
        EXPECT_EQ(h.size(), want);
      }
    }
  }
  EXPECT_EQ(HttpDate(1'767'225'600'000'000'000ull), "Thu, 01 Jan 2026 00:00:00 GMT");
  EXPECT_EQ(HttpDate(951'782'400'000'000'000ull), "Tue, 29 Feb 2000 00:00:00 GMT");
  const std::string r = HttpResponseHead(1'767'225'600'000'000'000ull, 1234);
  EXPECT_NE(r.find("Content-Length: 1234\r\n"), std::string::npos);
}

TEST(SynthContent, DnsMessages) {
  const std::string q = DnsQuery(0xBEEF, "www.kobita.example.com", kDnsA);
  EXPECT_EQ(BE16(q, 0), 0xBEEFu);
  EXPECT_EQ(BE16(q, 2), 0x0100u);  // RD
  EXPECT_EQ(BE16(q, 4), 1u);
  EXPECT_EQ(BE16(q, 10), 1u);  // OPT
  EXPECT_EQ(q.substr(12, 5), std::string("\x03www\x06", 5));

  DnsAnswer a;
  a.cname = "edge-1.cdn.example.net";
  a.addrs = {std::string("\xc0\x00\x02\x05", 4), std::string("\xc0\x00\x02\x06", 4)};
  const std::string r = DnsResponse(0xBEEF, "www.kobita.example.com", kDnsA, a);
  EXPECT_EQ(BE16(r, 2), 0x8180u);
  EXPECT_EQ(BE16(r, 6), 3u);  // CNAME + 2 A
  EXPECT_EQ(r.substr(12, q.size() - 12 - 11), q.substr(12, q.size() - 12 - 11)) << "question";
  EXPECT_NE(r.find(std::string("\xc0\x0c\x00\x05", 4)), std::string::npos) << "CNAME at qname";

  DnsAnswer nx;
  nx.nxdomain = true;
  nx.zone = "corp.example.net";
  const std::string n = DnsResponse(1, "wpad.corp.example.net", kDnsA, nx);
  EXPECT_EQ(BE16(n, 2), 0x8183u);
  EXPECT_EQ(BE16(n, 6), 0u);
  EXPECT_EQ(BE16(n, 8), 1u);  // SOA in authority
}

TEST(SynthContent, SshPacketsArePaddedToBlocks) {
  Rng rng(6);
  for (const std::string& p : {SshKexInit(rng, false), SshKexInit(rng, true), SshEcdhInit(rng),
                               SshEcdhReply(rng), SshNewKeys(rng)}) {
    const uint32_t len = (BE16(p, 0) << 16) | BE16(p, 2);
    EXPECT_EQ(len + 4, p.size());
    EXPECT_EQ(p.size() % 8, 0u);
    EXPECT_GE(static_cast<uint8_t>(p[4]), 4);
  }
}

TEST(SynthContent, NtpAndPing) {
  uint8_t req[kNtpLen], resp[kNtpLen];
  NtpRequest(req, 1'767'225'600'500'000'000ull);
  EXPECT_EQ(req[0], 0x23);
  // 2026-01-01 in NTP seconds: 1767225600 + 2208988800 = 3976214400.
  EXPECT_EQ((uint32_t{req[40]} << 24) | (req[41] << 16) | (req[42] << 8) | req[43], 3976214400u);
  EXPECT_EQ(req[44], 0x80);  // .5 s
  NtpResponse(resp, req, 1'767'225'600'600'000'000ull, 1'767'225'600'600'020'000ull, 1);
  EXPECT_EQ(resp[0], 0x24);
  EXPECT_EQ(0, std::memcmp(resp + 24, req + 40, 8)) << "origin timestamp";
  uint8_t ping[kPingPayload];
  PingPayload(ping, 1'767'225'600'000'001'000ull);
  EXPECT_EQ(ping[8], 1);  // tv_usec, little-endian
  EXPECT_EQ(ping[16], 0x10);
  EXPECT_EQ(ping[55], 0x37);
}

}  // namespace
}  // namespace trove::synth
